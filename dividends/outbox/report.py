"""Was this household told? The delivery report of a run, and resending failed notices.

A household's notice of one kind may have several *attempts*: attempt 0 from ``prepare``, and
one more for each explicit resend (:func:`resend_failed`, audited). The report counts each
household's latest attempt (older ones are ``superseded``) and lists every latest attempt that
failed or was not delivered, with the provider's code and the reason.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from dividends.clock import Clock, SystemClock
from dividends.store.outbox import opted_out
from dividends.outbox.fates import FATES, KINDS, OPTED_OUT, QUEUED, RESENDABLE, check_kind
from dividends.outbox.messages import refuse
from dividends.outbox.prepare import NOTICE_COLUMNS, duplicate
from dividends.runs import get_run
from dividends.store import audit
from dividends.store.bulk import insert_rows
from dividends.store.models import Notice
from dividends.store.transactions import transaction
from notify.privacy import mask_phone
from notify.segments import estimate_cost_fen
from notify.settings import DEFAULT_PRICE_PER_SEGMENT_FEN

FAILED_LIST_LIMIT = 1_000


@dataclass(frozen=True)
class FailedNotice:
    notice_id: int
    household_id: str
    kind: str
    attempt: int
    phone: str
    """Masked: ``+86 138****8000``."""
    status: str
    code: int | None
    reason: str
    tries: int


@dataclass(frozen=True)
class DeliveryReport:
    run_id: int
    counts: dict[str, dict[str, int]]
    """kind -> status -> households (latest attempt), every status listed."""
    superseded: int
    segments_sent: int
    """Segments of the messages the notices hold now (one per notice that reached the provider;
    earlier messages of automatic delivery retries are in the audit log)."""
    cost_fen: int
    failed_count: int
    failed: tuple[FailedNotice, ...]

    def total(self, status: str | None = None) -> int:
        return sum(n for by_status in self.counts.values() for s, n in by_status.items() if status in (None, s))

    @property
    def notices(self) -> int:
        return self.total()


async def _attempts(run_id: int, kind: str | None = None) -> dict[tuple[str, str], int]:
    """(household, kind) -> latest attempt, for those resent at least once."""
    query = Notice.filter(run_id=run_id, attempt__gt=0)
    if kind is not None:
        query = query.filter(kind=kind)
    latest: dict[tuple[str, str], int] = {}
    for hid, k, attempt in await query.values_list("household_id", "kind", "attempt"):
        latest[(hid, k)] = max(attempt, latest.get((hid, k), 0))
    return latest


async def report(run_id: int, *, price_per_segment_fen: int = DEFAULT_PRICE_PER_SEGMENT_FEN,
                 limit: int = FAILED_LIST_LIMIT) -> DeliveryReport:
    """Counts by kind and status, segments and cost, and the failed list (up to ``limit``)."""
    run = await get_run(run_id)
    notices = Notice.filter(run_id=run.id)
    counts: dict[str, dict[str, int]] = {}
    for kind, status in await notices.group_by("kind", "status").values_list("kind", "status"):
        counts.setdefault(kind, dict.fromkeys(FATES, 0))[status] = await notices.filter(kind=kind, status=status).count()
    counts = {k: counts[k] for k in sorted(counts, key=lambda k: KINDS.index(k) if k in KINDS else len(KINDS))}
    latest = await _attempts(run.id)
    superseded = 0
    old_failed = 0
    if latest:
        households = sorted({h for h, _ in latest})
        rows = [row for start in range(0, len(households), 5_000)
                for row in await notices.filter(household_id__in=households[start:start + 5_000]).values_list(
                    "household_id", "kind", "attempt", "status")]
        for hid, kind, attempt, status in rows:
            if attempt < latest.get((hid, kind), 0):
                superseded += 1
                counts[kind][status] -= 1
                old_failed += status in RESENDABLE
    segments = 0
    with_sid = notices.filter(sid__isnull=False)
    for (value,) in await with_sid.group_by("segments").values_list("segments"):
        segments += value * await with_sid.filter(segments=value).count()
    failed_rows = notices.filter(status__in=sorted(RESENDABLE))
    failed_count = await failed_rows.count() - old_failed
    listed: list[FailedNotice] = []
    for nid, hid, kind, attempt, phone, status, code, reason, tries in await failed_rows.order_by(
            "kind", "household_id", "attempt").limit(limit + old_failed).values_list(
            "id", "household_id", "kind", "attempt", "phone", "status", "error_code", "error_message", "tries"):
        if attempt < latest.get((hid, kind), 0) or len(listed) >= limit:
            continue
        listed.append(FailedNotice(nid, hid, kind, attempt, mask_phone(phone) if phone else "", status, code, reason,
                                   tries))
    return DeliveryReport(run.id, counts, superseded, segments, estimate_cost_fen(segments, price_per_segment_fen),
                          failed_count, tuple(listed))


@dataclass(frozen=True)
class ResendReport:
    run_id: int
    kind: str
    queued: int
    opted_out: int
    households: tuple[str, ...]


async def resend_failed(run_id: int, kind: str, actor: str, clock: Clock = SystemClock()) -> ResendReport:
    """Queue the next attempt of every ``failed``/``undelivered`` latest notice of ``kind`` (with
    the same text and phone; opted-out phones are recorded ``opted_out``). An explicit action,
    audited; notices that never had a text or a phone stay as they are."""
    kind = check_kind(kind)
    run = await get_run(run_id)
    latest = await _attempts(run.id, kind)
    rows = await Notice.filter(run_id=run.id, kind=kind, status__in=sorted(RESENDABLE)).exclude(phone="") \
        .exclude(body="").order_by("household_id").values_list("household_id", "attempt", "phone", "lang", "body",
                                                               "encoding", "segments", "provider", "template",
                                                               "params")
    todo = [r for r in rows if r[1] >= latest.get((r[0], kind), 0)]
    if not todo:
        return ResendReport(run.id, kind, 0, 0, ())
    stopped = await opted_out(r[2] for r in todo)
    now = clock.now().astimezone(UTC)
    values = []
    for hid, attempt, phone, lang, body, encoding, segments, provider, template, params in todo:
        status = OPTED_OUT if phone in stopped else QUEUED
        values.append((run.id, hid, kind, attempt + 1, phone, lang, body, encoding, segments, status, 0, None,
                       "opted out before the resend" if status == OPTED_OUT else "", now, now,
                       None if status == QUEUED else now, provider, template, params))
    households = tuple(r[0] for r in todo)
    try:
        async with transaction():
            await insert_rows(Notice._meta.db_table, NOTICE_COLUMNS, values)
            await audit.record(actor, "notice.resend_failed", "run", run.id, village=run.village, kind=kind,
                               count=len(values), households=list(households[:FAILED_LIST_LIMIT]),
                               truncated=len(households) > FAILED_LIST_LIMIT)
    except Exception as exc:
        if duplicate(exc):  # someone else resent them at the same moment: nothing was written here
            raise refuse("outbox.resend_concurrent", run=run.id, kind=kind) from None
        raise
    queued = sum(1 for v in values if v[9] == QUEUED)
    return ResendReport(run.id, kind, queued, len(values) - queued, households)


__all__ = ["DeliveryReport", "FailedNotice", "ResendReport", "report", "resend_failed"]
