"""Notices of a run: one per (run, household, kind), rendered, counted and costed before sending.

:func:`prepare` writes a notice for every household the kind concerns, in the household's
language, page by page (a run may have a million households):

=========================  ===============================================================
kind                       households
=========================  ===============================================================
``publicity``              every household of the run's registry snapshot (the run must be
                           publicized and its notice period not over): the proposed amount
                           (0 too: a household left out may object), the breakdown by step,
                           the deadline and how to object
``payment_confirmation``   households with a paid payout item: amount, breakdown, the day
                           the bank result was recorded, channel and masked account
``payment_failed``         households whose payout failed and is not paid since: the reason
=========================  ===============================================================

A household without a mobile number gets a ``no_phone`` notice and an opted-out phone an
``opted_out`` one (recorded, never sent); a text that cannot be rendered (a name missing, an
account number in a bank's reason) is ``failed`` with the reason. Preparing again adds nothing:
each page skips households that have a notice, and the unique (run, household, kind, attempt)
constraint refuses a concurrent duplicate.

:func:`estimate` answers what sending will cost before anything is sent: notices to send, total
segments, the estimated price in fen, and the notices over the segment limit (listed).
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import cast

from dividends.clock import Clock, SystemClock, today
from dividends.outbox import content
from dividends.outbox.fates import (
    DELIVERED,
    FAILED,
    NO_PHONE,
    OPTED_OUT,
    QUEUED,
    SENDING,
    SENT,
    UNDELIVERED,
    NoticeKind,
    check_kind,
)
from dividends.outbox.messages import refuse
from notify.phones import to_e164
from dividends.runs import get_run
from dividends.store import audit
from dividends.store.bulk import insert_rows
from dividends.store.models import (
    AllocationLine,
    BankResultLine,
    Household,
    Notice,
    OptOut,
    PayoutItem,
    Run,
)
from dividends.store.transactions import IntegrityError, transaction
from notify.privacy import mask_phone, scrub
from notify.segments import estimate_cost_fen
from notify.settings import DEFAULT_MAX_SEGMENTS, DEFAULT_PRICE_PER_SEGMENT_FEN
from notify.texts import render
from schemes.problems import InputError

PAGE = 5_000
LIST_LIMIT = 50
NOTICE_COLUMNS = ("run_id", "household_id", "kind", "attempt", "phone", "lang", "body", "encoding", "segments",
                  "status", "tries", "error_code", "error_message", "next_try_at", "created_at", "final_at")


@dataclass(frozen=True, slots=True)
class Draft:
    """One notice before it is stored."""

    household_id: str
    phone: str
    lang: str
    body: str
    encoding: str
    segments: int
    status: str
    error_message: str = ""


@dataclass(frozen=True, slots=True)
class OverLimit:
    household_id: str
    segments: int


@dataclass
class _Tally:
    queued: int = 0
    no_phone: int = 0
    opted_out: int = 0
    unrenderable: int = 0
    segments: int = 0
    gsm7: int = 0
    over_limit_count: int = 0
    over_limit: list[OverLimit] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)

    def add(self, draft: Draft, max_segments: int) -> None:
        if draft.status == NO_PHONE:
            self.no_phone += 1
        elif draft.status == OPTED_OUT:
            self.opted_out += 1
        elif draft.status == FAILED:
            self.unrenderable += 1
            if len(self.failures) < LIST_LIMIT:
                self.failures.append((draft.household_id, draft.error_message))
        if draft.status != QUEUED:
            return
        self.queued += 1
        self.segments += draft.segments
        self.gsm7 += draft.encoding == "GSM-7"
        if draft.segments > max_segments:
            self.over_limit_count += 1
            if len(self.over_limit) < LIST_LIMIT:
                self.over_limit.append(OverLimit(draft.household_id, draft.segments))


@dataclass(frozen=True)
class PrepareReport:
    """What :func:`prepare` wrote. ``existing``: households that already had a notice of this kind."""

    run_id: int
    kind: str
    created: int
    queued: int
    no_phone: int
    opted_out: int
    unrenderable: int
    existing: int
    over_limit_count: int
    over_limit: tuple[OverLimit, ...]
    failures: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class NoticeEstimate:
    """Shown before anything is sent: the queued notices of a run and kind (prepared or not yet)."""

    run_id: int
    kind: str
    prepared: bool
    to_send: int
    segments: int
    cost_fen: int
    gsm7: int
    ucs2: int
    max_segments: int
    price_per_segment_fen: int
    over_limit_count: int
    over_limit: tuple[OverLimit, ...]
    no_phone: int
    opted_out: int
    unrenderable: int
    done: int
    """Notices of this kind already past ``queued`` (sending, sent, delivered or failed)."""

    @property
    def ok(self) -> bool:
        return self.over_limit_count == 0


async def check_run_for(run: Run, kind: str, clock: Clock) -> None:
    if kind == "publicity":
        if run.state != "publicized":
            raise refuse("outbox.run_state", run=run.id, state=run.state, kind=kind, needed="publicized")
        if run.notice_end is not None and today(clock) > run.notice_end:
            raise refuse("outbox.notice_over", run=run.id, end=run.notice_end.isoformat())
    elif run.state not in ("paid", "closed"):
        raise refuse("outbox.run_state", run=run.id, state=run.state, kind=kind, needed="paid / closed")


async def prepare(run_id: int, kind: str, actor: str, clock: Clock = SystemClock(), *,
                  max_segments: int = DEFAULT_MAX_SEGMENTS) -> PrepareReport:
    """Create the missing notices of ``kind`` for run ``run_id`` (see the module docstring)."""
    kind = check_kind(kind)
    run = await get_run(run_id)
    await check_run_for(run, kind, clock)
    words = await content.run_words(run)
    tally = _Tally()
    existing = 0
    async for skipped, page in _pages(run, kind, words, max_segments):
        existing += skipped
        for attempt in range(2):
            try:
                await _insert(run.id, kind, page, clock.now().astimezone(UTC))
                break
            except Exception as exc:  # a concurrent prepare wrote some of this page first
                if attempt or not duplicate(exc):
                    raise
                done = set(await Notice.filter(run_id=run.id, kind=kind,
                                               household_id__in=[d.household_id for d in page])
                           .values_list("household_id", flat=True))
                existing += len(done)
                page = [d for d in page if d.household_id not in done]
        for draft in page:
            tally.add(draft, max_segments)
    created = tally.queued + tally.no_phone + tally.opted_out + tally.unrenderable
    if created:
        async with transaction():
            await audit.record(actor, "notice.prepare", "run", run.id, village=run.village, kind=kind, created=created,
                               queued=tally.queued, no_phone=tally.no_phone, opted_out=tally.opted_out,
                               unrenderable=tally.unrenderable, existing=existing, segments=tally.segments,
                               over_limit=tally.over_limit_count)
    return PrepareReport(run.id, kind, created, tally.queued, tally.no_phone, tally.opted_out, tally.unrenderable,
                         existing, tally.over_limit_count, tuple(tally.over_limit), tuple(tally.failures))


async def _insert(run_id: int, kind: str, page: Sequence[Draft], now: datetime) -> None:
    if not page:
        return
    rows = [(run_id, d.household_id, kind, 0, d.phone, d.lang, d.body, d.encoding, d.segments, d.status, 0, None,
             d.error_message, now, now, None if d.status == QUEUED else now) for d in page]
    async with transaction():
        await insert_rows(Notice._meta.db_table, NOTICE_COLUMNS, rows)


async def estimate(run_id: int, kind: str, *, price_per_segment_fen: int = DEFAULT_PRICE_PER_SEGMENT_FEN,
                   max_segments: int = DEFAULT_MAX_SEGMENTS, clock: Clock = SystemClock()) -> NoticeEstimate:
    """Totals of the queued notices of ``kind``, and of the ones :func:`prepare` would still add."""
    kind = check_kind(kind)
    run = await get_run(run_id)
    stored = Notice.filter(run_id=run.id, kind=kind)
    tally = _Tally()
    pairs = await stored.filter(status=QUEUED).group_by("encoding", "segments").values_list("encoding", "segments")
    for encoding, segments in pairs:
        n = await stored.filter(status=QUEUED, encoding=encoding, segments=segments).count()
        tally.queued += n
        tally.segments += n * segments
        tally.gsm7 += n if encoding == "GSM-7" else 0
    over = stored.filter(status=QUEUED, segments__gt=max_segments)
    tally.over_limit_count = await over.count()
    tally.over_limit = [OverLimit(h, s) for h, s in
                        await over.order_by("household_id").limit(LIST_LIMIT).values_list("household_id", "segments")]
    tally.no_phone = await stored.filter(status=NO_PHONE).count()
    tally.opted_out = await stored.filter(status=OPTED_OUT).count()
    tally.unrenderable = await stored.filter(status=FAILED, tries=0).count()
    done = (await stored.filter(status__in=[SENDING, SENT, DELIVERED, UNDELIVERED]).count()
            + await stored.filter(status=FAILED, tries__gt=0).count())
    prepared = await stored.exists()
    try:
        await check_run_for(run, kind, clock)
        open_for_prepare = True
    except InputError:  # a run not (or no longer) in the right state: prepare would add nothing
        open_for_prepare = False
    if open_for_prepare:
        words = await content.run_words(run)
        async for _, page in _pages(run, kind, words, max_segments):
            for draft in page:
                tally.add(draft, max_segments)
    return NoticeEstimate(
        run_id=run.id, kind=kind, prepared=prepared, to_send=tally.queued, segments=tally.segments,
        cost_fen=estimate_cost_fen(tally.segments, price_per_segment_fen), gsm7=tally.gsm7,
        ucs2=tally.queued - tally.gsm7, max_segments=max_segments, price_per_segment_fen=price_per_segment_fen,
        over_limit_count=tally.over_limit_count, over_limit=tuple(tally.over_limit[:LIST_LIMIT]),
        no_phone=tally.no_phone, opted_out=tally.opted_out, unrenderable=tally.unrenderable, done=done)


# ----------------------------------------------------------------------------- drafts


async def _pages(run: Run, kind: NoticeKind, words: content.RunWords,
                 max_segments: int) -> AsyncIterator[tuple[int, list[Draft]]]:
    """(households of the page that have a notice of ``kind`` already, drafts for the others that
    ``kind`` concerns)."""
    last = ""
    while True:
        rows = await Household.filter(snapshot_id=run.snapshot.id, household_id__gt=last).order_by("household_id") \
            .limit(PAGE).values_list("household_id", "head_name", "phone", "language", "account_no", "bank")
        if not rows:
            return
        last = rows[-1][0]
        households = [content.HouseholdRow(*r) for r in rows]
        ids = [h.household_id for h in households]
        done = set(await Notice.filter(run_id=run.id, kind=kind, household_id__in=ids)
                   .values_list("household_id", flat=True))
        todo = [h for h in households if h.household_id not in done]
        records = await _records(run, kind, words, todo)
        phones = {h.household_id: to_e164(h.phone) for h in todo}
        opted = cast(set[str], set(await OptOut.filter(phone__in=[p for p in phones.values() if p], opted_out=True)
                                   .values_list("phone", flat=True)))
        page = [_draft(h, kind, record, phones[h.household_id], opted, max_segments)
                for h in todo if (record := records.get(h.household_id)) is not None]
        yield len(done), page


def _draft(row: content.HouseholdRow, kind: str, record: content.Record | Exception, phone: str | None,
           opted: set[str], max_segments: int) -> Draft:
    lang = row.lang
    if isinstance(record, Exception):
        return Draft(row.household_id, phone or "", lang, "", "", 0, FAILED, _text_error(record))
    try:
        text = render(kind, lang, record, max_segments=max_segments)
    except (ValueError, TypeError) as exc:  # UnmaskedNumberError is a ValueError
        return Draft(row.household_id, phone or "", lang, "", "", 0, FAILED, _text_error(exc))
    if phone is None:
        note = f"no mobile number in the registry ({mask_phone(row.phone)})" if row.phone.strip() else ""
        return Draft(row.household_id, "", lang, text.body, text.info.encoding, text.info.segments, NO_PHONE, note)
    status = OPTED_OUT if phone in opted else QUEUED
    note = "opted out before the notice was prepared" if status == OPTED_OUT else ""
    return Draft(row.household_id, phone, lang, text.body, text.info.encoding, text.info.segments, status, note)


def duplicate(exc: BaseException) -> bool:
    """A unique constraint refused an insert (the store raises tortoise's ``IntegrityError`` for
    the ORM and the bulk path alike)."""
    return isinstance(exc, IntegrityError)


def _text_error(exc: Exception) -> str:
    return scrub(f"the text could not be rendered: {exc}")[:500]


async def _records(run: Run, kind: NoticeKind, words: content.RunWords,
                   households: Sequence[content.HouseholdRow]) -> dict[str, content.Record | Exception]:
    """The text record of each household ``kind`` concerns (an exception when it cannot be made)."""
    ids = [h.household_id for h in households]
    if not ids:
        return {}
    lines = {r: (a, b) for r, a, b in await AllocationLine.filter(
        run_id=run.id, recipient_kind="household", recipient_id__in=ids).values_list(
        "recipient_id", "amount_fen", "breakdown")}
    out: dict[str, content.Record | Exception] = {}
    if kind == "publicity":
        for h in households:
            amount, breakdown = lines.get(h.household_id, (0, None))
            out[h.household_id] = _attempt(content.publicity, words, h, amount, breakdown)
        return out
    items = await PayoutItem.filter(run_id=run.id, household_id__in=ids).order_by("id").values_list(
        "id", "household_id", "amount_fen", "status")
    results = {item: (status, reason, on or at) for item, status, reason, on, at in await BankResultLine.filter(
        item_id__in=[i[0] for i in items]).values_list("item_id", "status", "reason", "settlement__on",
                                                       "result__imported_at")}
    by_household: dict[str, list[tuple[int, int, str]]] = {}
    for item_id, hid, amount, status in items:
        by_household.setdefault(hid, []).append((item_id, amount, status))
    for h in households:
        mine = by_household.get(h.household_id, [])
        paid = [(i, a) for i, a, s in mine if s == "paid"]
        if kind == "payment_confirmation" and paid:
            item_id, amount = paid[-1]
            paid_on = day_settled(results.get(item_id, ("", "", None))[2], run)
            out[h.household_id] = _attempt(content.payment_confirmation, words, h, amount,
                                           lines.get(h.household_id, (0, None))[1], paid_on)
        elif kind == "payment_failed" and not paid and mine and mine[-1][2] == "failed":
            item_id, amount, _ = mine[-1]
            reason = results.get(item_id, ("", "", None))[1] or ""
            out[h.household_id] = _attempt(content.payment_failed, words, h, amount, reason)
    return out


def day_settled(when: date | datetime | None, run: Run) -> date:
    """The day a payment was settled: its settlement entry's date, else when the bank result or
    the run was recorded."""
    if isinstance(when, datetime):
        return content.china_date(when)
    if isinstance(when, date):
        return when
    return content.china_date(run.paid_at or run.created_at)


def _attempt(build: Callable[..., content.Record], *args: object) -> content.Record | Exception:
    try:
        return build(*args)
    except (ValueError, TypeError) as exc:
        return exc
