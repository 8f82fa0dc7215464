"""The notices' store: what preparing, estimating, reporting and answering replies read and
write. Plain tuples and records out; the rules stay in :mod:`dividends.outbox`.

(The dispatcher's claims, records and receipts are in :mod:`dividends.store.outbox`.)
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, cast

from dividends.store import audit
from dividends.store.bulk import insert_rows
from dividends.store.models import (
    AllocationLine,
    BankResultLine,
    Household,
    InboundMessage,
    Notice,
    OptOut,
    PayoutItem,
    Run,
)
from dividends.store.transactions import transaction

PAGE_IN = 5_000
#: The columns of a notice row as :func:`insert_notices` takes them.
NOTICE_COLUMNS = ("run_id", "household_id", "kind", "attempt", "phone", "lang", "body", "encoding", "segments",
                  "status", "tries", "error_code", "error_message", "next_try_at", "created_at", "final_at",
                  "provider", "template", "params")
HOUSEHOLD_COLUMNS = ("household_id", "head_name", "phone", "language", "account_no", "bank")


def template_max() -> int:
    """The longest template id a notice row holds (``notice.template``)."""
    return int(Notice._meta.fields_map["template"].max_length)  # type: ignore[attr-defined]


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), PAGE_IN):
        yield values[start:start + PAGE_IN]


# ----------------------------------------------------------------------------- preparing


async def household_page(snapshot_id: int, after: str, limit: int) -> list[tuple[str, ...]]:
    """The next ``limit`` households of a snapshot after ``after``, in :data:`HOUSEHOLD_COLUMNS`."""
    return cast(list[tuple[str, ...]], await Household.filter(snapshot_id=snapshot_id, household_id__gt=after)
                .order_by("household_id").limit(limit).values_list(*HOUSEHOLD_COLUMNS))


async def notified(run_id: int, kind: str, household_ids: Sequence[str]) -> set[str]:
    """The households among ``household_ids`` that have a notice of ``kind`` in the run."""
    return {h for chunk in _chunks(household_ids) for h in await Notice.filter(
        run_id=run_id, kind=kind, household_id__in=list(chunk)).values_list("household_id", flat=True)}


async def opted_out(phones: Iterable[str]) -> set[str]:
    wanted = sorted({p for p in phones if p})
    return {p for chunk in _chunks(wanted) for p in await OptOut.filter(
        phone__in=list(chunk), opted_out=True).values_list("phone", flat=True)}


async def allocation_lines(run_id: int, household_ids: Sequence[str]) -> dict[str, tuple[int, str | None]]:
    """household -> (amount in fen, breakdown JSON) of the run's allocation lines."""
    return {r: (a, b) for r, a, b in await AllocationLine.filter(
        run_id=run_id, recipient_kind="household", recipient_id__in=list(household_ids)).values_list(
        "recipient_id", "amount_fen", "breakdown")}


async def payout_items(run_id: int, household_ids: Sequence[str]) -> list[tuple[int, str, int, str]]:
    """(item id, household, amount in fen, status) of the run's payout items, oldest first."""
    return cast(list[tuple[int, str, int, str]], await PayoutItem.filter(
        run_id=run_id, household_id__in=list(household_ids)).order_by("id").values_list(
        "id", "household_id", "amount_fen", "status"))


async def bank_results(item_ids: Sequence[int]) -> dict[int, tuple[str, str, date | datetime | None]]:
    """item -> (status, reason, the day it was settled or the moment the result came)."""
    return {item: (status, reason, on or at) for item, status, reason, on, at in await BankResultLine.filter(
        item_id__in=list(item_ids)).values_list("item_id", "status", "reason", "settlement__on",
                                                "result__imported_at")}


async def insert_notices(rows: Sequence[Sequence[Any]]) -> None:
    """Rows in :data:`NOTICE_COLUMNS` order, in one transaction (the unique (run, household,
    kind, attempt) key refuses a concurrent duplicate with ``IntegrityError``)."""
    async with transaction():
        await insert_rows(Notice._meta.db_table, NOTICE_COLUMNS, rows)


async def resend(rows: Sequence[Sequence[Any]], actor: str, run: Any, **detail: Any) -> None:
    """The next attempts of failed notices and their audit event, in one transaction."""
    async with transaction():
        await insert_rows(Notice._meta.db_table, NOTICE_COLUMNS, rows)
        await audit.record(actor, "notice.resend_failed", "run", run.id, village=run.village, **detail)


async def record_event(actor: str, action: str, run: Any, **detail: Any) -> None:
    async with transaction():
        await audit.record(actor, action, "run", run.id, village=run.village, **detail)


# ----------------------------------------------------------------------------- estimating


async def queued_summary(run_id: int, kind: str, max_segments: int, limit: int) -> dict[str, Any]:
    """What is stored of one kind: queued texts (count, segments, GSM-7), the ones over the
    limit, no phone, opted out, unrenderable, already done, released, the unreachable list."""
    stored = Notice.filter(run_id=run_id, kind=kind)
    out: dict[str, Any] = {"queued": 0, "segments": 0, "gsm7": 0}
    for encoding, segments in await stored.filter(status="queued").group_by("encoding", "segments") \
            .values_list("encoding", "segments"):
        n = await stored.filter(status="queued", encoding=encoding, segments=segments).count()
        out["queued"] += n
        out["segments"] += n * segments
        out["gsm7"] += n if encoding == "GSM-7" else 0
    over = stored.filter(status="queued", segments__gt=max_segments)
    out["over_limit_count"] = await over.count()
    out["over_limit"] = await over.order_by("household_id").limit(limit).values_list("household_id", "segments")
    out["no_phone"] = await stored.filter(status="no_phone").count()
    out["opted_out"] = await stored.filter(status="opted_out").count()
    out["unrenderable"] = await stored.filter(status="failed", tries=0).count()
    out["done"] = (await stored.filter(status__in=["sending", "sent", "delivered", "undelivered"]).count()
                   + await stored.filter(status="failed", tries__gt=0).count())
    out["prepared"] = await stored.exists()
    out["released"] = await stored.filter(status="queued", next_try_at__isnull=False).count()
    out["unreachable"] = await stored.filter(status__in=["no_phone", "opted_out"]).order_by("household_id") \
        .limit(limit).values_list("household_id", "status")
    samples = []
    for lang in sorted(set(await stored.exclude(body="").distinct().values_list("lang", flat=True))):
        row = await stored.filter(lang=lang).exclude(body="").order_by("id").first().values_list(
            "provider", "template", "body", "segments")
        if row:
            samples.append((lang, *row))
    out["samples"] = samples
    return out


# ----------------------------------------------------------------------------- reports


async def latest_attempts(run_id: int, kind: str | None = None) -> dict[tuple[str, str], int]:
    """(household, kind) -> latest attempt, for those resent at least once."""
    query = Notice.filter(run_id=run_id, attempt__gt=0)
    if kind is not None:
        query = query.filter(kind=kind)
    latest: dict[tuple[str, str], int] = {}
    for hid, k, attempt in await query.values_list("household_id", "kind", "attempt"):
        latest[(hid, k)] = max(attempt, latest.get((hid, k), 0))
    return latest


async def counts(run_id: int) -> list[tuple[str, str, int]]:
    """(kind, status, notices) of a run."""
    notices = Notice.filter(run_id=run_id)
    return [(kind, status, await notices.filter(kind=kind, status=status).count())
            for kind, status in await notices.group_by("kind", "status").values_list("kind", "status")]


async def attempt_rows(run_id: int, household_ids: Sequence[str]) -> list[tuple[str, str, int, str]]:
    return [row for chunk in _chunks(sorted(household_ids)) for row in await Notice.filter(
        run_id=run_id, household_id__in=list(chunk)).values_list("household_id", "kind", "attempt", "status")]


async def segments_sent(run_id: int) -> int:
    """Segments of the messages the run's notices hold now (those with a SID)."""
    with_sid = Notice.filter(run_id=run_id, sid__isnull=False)
    return sum([value * await with_sid.filter(segments=value).count()
                for (value,) in await with_sid.group_by("segments").values_list("segments")])


async def failed(run_id: int, statuses: Sequence[str], limit: int) -> tuple[int, list[tuple[Any, ...]]]:
    """(how many, the first ``limit``) notices in ``statuses``: id, household, kind, attempt,
    phone, status, code, reason, tries, provider code."""
    rows = Notice.filter(run_id=run_id, status__in=list(statuses))
    return await rows.count(), await rows.order_by("kind", "household_id", "attempt").limit(limit).values_list(
        "id", "household_id", "kind", "attempt", "phone", "status", "error_code", "error_message", "tries",
        "provider_code")


async def resendable(run_id: int, kind: str, statuses: Sequence[str]) -> list[tuple[Any, ...]]:
    """Notices with a text and a phone in ``statuses``: household, attempt, phone, lang, body,
    encoding, segments, provider, template, params."""
    return cast(list[tuple[Any, ...]], await Notice.filter(run_id=run_id, kind=kind, status__in=list(statuses))
                .exclude(phone="").exclude(body="").order_by("household_id").values_list(
        "household_id", "attempt", "phone", "lang", "body", "encoding", "segments", "provider", "template",
        "params"))


# ----------------------------------------------------------------------------- replies


async def households_with_phone(mobile: str) -> list[tuple[Any, ...]]:
    """(snapshot, household columns...) of every registry entry with this national mobile."""
    return cast(list[tuple[Any, ...]], await Household.filter(phone=mobile).order_by(
        "-snapshot_id", "household_id").values_list("snapshot_id", *HOUSEHOLD_COLUMNS))


async def runs_told(snapshot_ids: Sequence[int], states: Sequence[str]) -> list[Any]:
    """Regular and correction runs of these snapshots in ``states``, newest first, with the
    village, scheme, snapshot and asset return loaded (the runs service's records)."""
    return list(await Run.filter(snapshot_id__in=list(snapshot_ids), kind__in=["regular", "correction"],
                                 state__in=list(states)).order_by("-id").prefetch_related(
        "village", "scheme", "snapshot", "asset_return"))


async def inbound_reply(sid: str) -> tuple[int, str] | None:
    """(id, the answer recorded) of an inbound message already handled, by its provider id."""
    found = await InboundMessage.get_or_none(sid=sid)
    return (found.id, found.reply or "") if found is not None else None


async def record_inbound(sid: str, phone: str, body: str, intent: str, household_id: str | None) -> int:
    message = await InboundMessage.create(sid=sid, phone=phone[:16], body=body, intent=intent,
                                          household_id=household_id)
    return int(message.id)


async def set_inbound_reply(message_id: int, reply: str) -> None:
    await InboundMessage.filter(id=message_id).update(reply=reply)


async def set_opt_out(phone: str, stop: bool, source: str) -> None:
    await OptOut.update_or_create(phone=phone[:16], defaults={"opted_out": stop, "source": source[:64]})


async def household_line(run_id: int, household_id: str) -> tuple[int, str | None]:
    line = await AllocationLine.filter(run_id=run_id, recipient_kind="household", recipient_id=household_id) \
        .values_list("amount_fen", "breakdown")
    return cast(tuple[int, str | None], line[0]) if line else (0, None)


async def household_payout(run_id: int, household_id: str) -> tuple[list[tuple[int, str, int]],
                                                                     date | datetime | None]:
    """(the household's payout items: id, status, amount; when the last paid one was settled)."""
    items = cast(list[tuple[int, str, int]], await PayoutItem.filter(run_id=run_id, household_id=household_id)
                 .order_by("id").values_list("id", "status", "amount_fen"))
    paid = [i for i in items if i[1] == "paid"]
    when = None
    if paid:
        rows = await BankResultLine.filter(item_id=paid[-1][0]).values_list("settlement__on", "result__imported_at")
        when = (rows[0][0] or rows[0][1]) if rows else None
    return items, when


async def run_of(run_id: int) -> Any:
    """The run with its village loaded, or ``None``."""
    return await Run.get_or_none(id=run_id).prefetch_related("village")


async def unsent_period_notices(village_code: str, period: int, kind: str, anchor_run_id: int,
                                household_ids: Sequence[str]) -> list[int]:
    """Notices of ``kind`` of these households on the village's *other* runs of ``period`` that
    were never tried (queued, no try, no provider id): a newer period statement supersedes them."""
    out: list[int] = []
    for chunk in _chunks(household_ids):
        out += await Notice.filter(run__village__code=village_code, run__period=period, kind=kind, status="queued",
                                   tries=0, sid=None, household_id__in=list(chunk)).exclude(
            run_id=anchor_run_id).values_list("id", flat=True)
    return [int(i) for i in out]


async def supersede_and_insert(stale_ids: Sequence[int], rows: Sequence[Sequence[Any]]) -> int:
    """Delete the never-tried notices ``stale_ids`` (still queued with no try: a dispatcher's
    claim, which sets ``sending``, wins over this) and insert ``rows``, in one transaction.
    Returns how many were deleted."""
    removed = 0
    async with transaction():
        for chunk in _chunks(list(stale_ids)):
            removed += await Notice.filter(id__in=list(chunk), status="queued", tries=0, sid=None).delete()
        if rows:
            await insert_rows(Notice._meta.db_table, NOTICE_COLUMNS, rows)
    return removed
