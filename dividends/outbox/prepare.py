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
``period_statement``       keyed by (village, period, household), not by the run: every
                           household a told run of the run's period pays, its total over
                           those runs (:mod:`dividends.outbox.period`, anchored on the
                           period's newest told run)
=========================  ===============================================================

A household without a mobile number gets a ``no_phone`` notice and an opted-out phone an
``opted_out`` one (recorded, never sent); a text that cannot be rendered (a name missing, an
account number in a bank's reason) is ``failed`` with the reason. Prepared notices wait for :func:`release` (the sender's confirmation after the estimate)
before a worker may send them. Preparing again adds nothing:
each page skips households that have a notice, and the unique (run, household, kind, attempt)
constraint refuses a concurrent duplicate.

:func:`estimate` answers what sending will cost before anything is sent: notices to send, total
segments, the estimated price in fen, and the notices over the segment limit (listed).
"""
from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from dividends.clock import Clock, SystemClock, today
from dividends.outbox import content
from dividends.outbox.fates import (DELIVERED, FAILED, NO_PHONE, OPTED_OUT, QUEUED, SENDING, SENT, UNDELIVERED,
                                    NoticeKind, check_kind)
from dividends.outbox.messages import refuse
from notify.phones import to_e164
from dividends.runs import get_run
from dividends.store import notices as store
from dividends.store import outbox as outbox_store
from dividends.store import period as period_store
from dividends.store.notices import NOTICE_COLUMNS
from dividends.store.period import TOLD
from dividends.store.transactions import IntegrityError
from notify.privacy import mask_phone, scrub
from notify.segments import estimate_cost_fen
from notify.settings import DEFAULT_MAX_SEGMENTS, DEFAULT_PRICE_PER_SEGMENT_FEN
from notify.catalog import CATALOG, Channel, ProviderTemplates, TemplateError, deduction_variant
from notify.texts import DEFAULT_CHANNEL, render
from schemes.i18n import Msg
from schemes.problems import InputError, Problem

PAGE = 5_000
LIST_LIMIT = 50
__all__ = ["NOTICE_COLUMNS", "estimate", "prepare", "release"]


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
    template: str = ""
    params: str = ""


@dataclass(frozen=True, slots=True)
class OverLimit:
    household_id: str
    segments: int


@dataclass(frozen=True, slots=True)
class Sample:
    """The exact text one household would get, for one language and provider."""

    lang: str
    provider: str
    template: str
    body: str
    segments: int
    error: str = ""


@dataclass(frozen=True, slots=True)
class Unreachable:
    """A household the SMS will not reach (to be told another way): no phone, or opted out."""

    household_id: str
    status: str


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
    unreachable: list[Unreachable] = field(default_factory=list)

    def add(self, draft: Draft, max_segments: int) -> None:
        if draft.status in (NO_PHONE, OPTED_OUT) and len(self.unreachable) < LIST_LIMIT:
            self.unreachable.append(Unreachable(draft.household_id, draft.status))
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
    samples: tuple[Sample, ...] = ()
    """A household's exact text per language, as the configured provider sends it and as the
    other providers would."""
    unreachable: tuple[Unreachable, ...] = ()
    """Households without a phone or opted out (the first :data:`LIST_LIMIT`)."""
    released: int = 0
    """Queued notices already released to the worker."""
    closed: Msg | None = None
    """Why :func:`prepare` would add nothing for this kind now (the run's state, the notice
    period), or ``None`` when it is open for preparing."""

    @property
    def ok(self) -> bool:
        return self.over_limit_count == 0


async def check_run_for(run: Any, kind: str, clock: Clock) -> None:
    if kind == "publicity":
        if run.state != "publicized":
            raise refuse("outbox.run_state", run=run.id, state=run.state, kind=kind, needed="publicized")
        if run.notice_end is not None and today(clock) > run.notice_end:
            raise refuse("outbox.notice_over", run=run.id, end=run.notice_end.isoformat())
    elif kind == "period_statement":
        if run.state not in TOLD:
            raise refuse("outbox.run_state", run=run.id, state=run.state, kind=kind, needed=" / ".join(TOLD))
    elif run.state not in ("paid", "closed"):
        raise refuse("outbox.run_state", run=run.id, state=run.state, kind=kind, needed="paid / closed")


#: The logical templates a notice kind is told with (:mod:`notify.catalog`).
KIND_TEMPLATES: dict[str, tuple[str, ...]] = {
    "publicity": ("publicity", "publicity_nothing"),
    "payment_confirmation": ("payment_confirmation",),
    "payment_failed": ("payment_failed",),
    "period_statement": ("period_statement",),
}


def check_templates(kind: str, channel: Channel, templates: ProviderTemplates | None) -> None:
    """Refuse, before anything is written, a kind whose Chinese template (or its one-way twin on a
    one-way channel) is not approved at a template provider."""
    if not channel.profile.templated:
        return
    mapping = templates or ProviderTemplates()
    for template_id in KIND_TEMPLATES[kind]:
        template = CATALOG.for_channel(template_id, two_way=channel.two_way, provider=channel.provider,
                                       split=channel.splits_amount)
        try:
            mapping.require(channel.provider, template, "zh")
        except TemplateError as exc:
            raise InputError([Problem(exc.msg)]) from None


#: The template a kind tells a deducted payout with, as :func:`notify.catalog.deduction_variant`
#: turns it into its deduction variants (``payment_failed`` shows no breakdown).
DEDUCTION_TEMPLATES: dict[str, str] = {
    "publicity": "publicity",
    "payment_confirmation": "payment_confirmation",
    "period_statement": "period_statement",
}


def check_deduction_templates(run_id: int, kind: str, needs: Iterable[tuple[str, str, int, int]], channel: Channel,
                              templates: ProviderTemplates | None) -> None:
    """Refuse, before anything is written, notices of households whose payout the run deducted
    a debt from when the deduction variant they need (``publicity_deduction``,
    ``..._deduction_owed`` when something is still owed; one-way and split as the channel
    sends it) is not approved at a template provider, or is longer than a notice row holds
    (whatever the provider: ``notice.template``). ``needs``: (household, language,
    deducted fen, fen still owed). The message names the run, the template, the language, how
    many households need it and the first of them."""
    base = DEDUCTION_TEMPLATES.get(kind)
    if base is None:
        return
    mapping = templates or ProviderTemplates()
    wanted: dict[tuple[str, str], list[str]] = {}
    for household, lang, deducted, owed in needs:
        if deducted > 0:
            template = CATALOG.for_channel(deduction_variant(base, deducted, owed), two_way=channel.two_way,
                                           provider=channel.provider, split=channel.splits_amount)
            wanted.setdefault((template.id, lang), []).append(household)
    problems = []
    longest = store.template_max()
    for (template_id, lang), households in sorted(wanted.items()):
        where = {"run": run_id, "kind": Msg(f"notify.kind.{kind}"), "count": len(households), "household": min(households)}
        if len(template_id) > longest:
            problems.append(Problem(Msg("outbox.deduction_template_long", **where, template=template_id,
                                        length=len(template_id), max=longest)))
            continue
        if not channel.profile.templated:
            continue
        try:
            mapping.require(channel.provider, CATALOG.template(template_id), lang)
        except TemplateError as exc:
            problems.append(Problem(Msg("outbox.deduction_template", **where, problem=exc.msg)))
    if problems:
        raise InputError(problems)


async def deduction_needs(run: Any, kind: str, words: content.RunWords) -> list[tuple[str, str, int, int]]:
    """(household, language, deducted, still owed) of the households the run deducted from (for
    a payment confirmation: those it paid)."""
    ids = sorted(words.deducted)
    if kind == "payment_confirmation":
        paid: set[str] = set()
        for start in range(0, len(ids), PAGE):
            paid |= {h for _, h, _, status in await store.payout_items(run.id, ids[start:start + PAGE]) if status == "paid"}
        ids = sorted(paid)
    rows = await period_store.households_of(run.snapshot.id, ids)
    langs = {r[0]: content.HouseholdRow(*r, fallback=words.language).lang for r in rows}
    return [(h, langs.get(h, words.language), fen, int(words.owed.get(h, 0)))
            for h, fen in sorted(words.deducted.items()) if h in langs]


async def prepare(run_id: int, kind: str, actor: str, clock: Clock = SystemClock(), *,
                  max_segments: int = DEFAULT_MAX_SEGMENTS, channel: Channel = DEFAULT_CHANNEL,
                  templates: ProviderTemplates | None = None) -> PrepareReport:
    """Create the missing notices of ``kind`` for run ``run_id`` (see the module docstring),
    written for ``channel`` (its provider, signature and reply capability)."""
    kind = check_kind(kind)
    run = await get_run(run_id)
    if kind == "period_statement":  # keyed by (village, period, household), not by this run
        from dividends.outbox.period import prepare_period
        await check_run_for(run, kind, clock)
        return await prepare_period(run.village.code, run.period, actor, clock, max_segments=max_segments,
                                    channel=channel, templates=templates)
    await check_run_for(run, kind, clock)
    check_templates(kind, channel, templates)
    words = await content.run_words(run)
    if words.deducted:
        check_deduction_templates(run.id, kind, await deduction_needs(run, kind, words), channel, templates)
    tally = _Tally()
    existing = 0
    async for skipped, page in _pages(run, kind, words, max_segments, channel, templates):
        existing += skipped
        for attempt in range(2):
            try:
                await _insert(run.id, kind, page, clock.now().astimezone(UTC), channel.provider)
                break
            except Exception as exc:  # a concurrent prepare wrote some of this page first
                if attempt or not duplicate(exc):
                    raise
                done = await store.notified(run.id, kind, [d.household_id for d in page])
                existing += len(done)
                page = [d for d in page if d.household_id not in done]
        for draft in page:
            tally.add(draft, max_segments)
    created = tally.queued + tally.no_phone + tally.opted_out + tally.unrenderable
    if created:
        await store.record_event(actor, "notice.prepare", run, kind=kind, created=created, queued=tally.queued,
                                 no_phone=tally.no_phone, opted_out=tally.opted_out, unrenderable=tally.unrenderable,
                                 existing=existing, segments=tally.segments, over_limit=tally.over_limit_count)
    return PrepareReport(run.id, kind, created, tally.queued, tally.no_phone, tally.opted_out, tally.unrenderable,
                         existing, tally.over_limit_count, tuple(tally.over_limit), tuple(tally.failures))


async def _insert(run_id: int, kind: str, page: Sequence[Draft], now: datetime, provider: str) -> None:
    if not page:
        return
    rows = [(run_id, d.household_id, kind, 0, d.phone, d.lang, d.body, d.encoding, d.segments, d.status, 0, None,
             d.error_message, None, now, None if d.status == QUEUED else now, provider, d.template, d.params)
            for d in page]
    await store.insert_notices(rows)


async def release(run_id: int, kind: str | None, actor: str, clock: Clock = SystemClock()) -> int:
    """Queue the prepared notices of a run (and kind) for the worker: the sender's confirmation.

    Prepared notices wait (``queued`` without ``next_try_at``) until released, so a worker never
    sends what nobody confirmed. Returns how many were released; audited.
    """
    run = await get_run(run_id)
    now = clock.now().astimezone(UTC)
    kinds = [check_kind(kind)] if kind else None
    count = await outbox_store.release_prepared(run.id, kinds, now)
    if count:
        await store.record_event(actor, "notice.release", run, kind=kind, count=count)
    return count


async def estimate(run_id: int, kind: str, *, price_per_segment_fen: int = DEFAULT_PRICE_PER_SEGMENT_FEN,
                   max_segments: int = DEFAULT_MAX_SEGMENTS, clock: Clock = SystemClock(),
                   channel: Channel = DEFAULT_CHANNEL, templates: ProviderTemplates | None = None) -> NoticeEstimate:
    """Totals of the queued notices of ``kind``, and of the ones :func:`prepare` would still add."""
    kind = check_kind(kind)
    run = await get_run(run_id)
    summary = await store.queued_summary(run.id, kind, max_segments, LIST_LIMIT)
    tally = _Tally(queued=summary["queued"], segments=summary["segments"], gsm7=summary["gsm7"],
                   over_limit_count=summary["over_limit_count"], no_phone=summary["no_phone"],
                   opted_out=summary["opted_out"], unrenderable=summary["unrenderable"])
    tally.over_limit = [OverLimit(h, n) for h, n in summary["over_limit"]]
    done = summary["done"]
    prepared = summary["prepared"]
    closed: Msg | None = None
    try:
        await check_run_for(run, kind, clock)
        open_for_prepare = True
    except InputError as error:  # a run not (or no longer) in the right state: prepare would add nothing
        open_for_prepare = False
        closed = error.problems[0].msg if error.problems else None
    records: dict[str, content.Record] = {}
    if open_for_prepare and kind == "period_statement":
        from dividends.outbox.period import drafts_to_add
        for draft in await drafts_to_add(run, max_segments, channel, templates):
            tally.add(draft, max_segments)
    elif open_for_prepare:
        words = await content.run_words(run)
        async for _, page in _pages(run, kind, words, max_segments, channel, templates, records):
            for draft in page:
                tally.add(draft, max_segments)
    unreachable = [Unreachable(h, st) for h, st in summary["unreachable"]] + tally.unreachable
    samples = _samples(kind, records, channel) or [
        Sample(lang, provider or channel.provider, template, body, segments)
        for lang, provider, template, body, segments in summary["samples"]]
    released = summary["released"]
    return NoticeEstimate(
        run_id=run.id, kind=kind, prepared=prepared, to_send=tally.queued, segments=tally.segments,
        cost_fen=estimate_cost_fen(tally.segments, price_per_segment_fen), gsm7=tally.gsm7,
        ucs2=tally.queued - tally.gsm7, max_segments=max_segments, price_per_segment_fen=price_per_segment_fen,
        over_limit_count=tally.over_limit_count, over_limit=tuple(tally.over_limit[:LIST_LIMIT]),
        no_phone=tally.no_phone, opted_out=tally.opted_out, unrenderable=tally.unrenderable, done=done,
        samples=tuple(samples), unreachable=tuple(unreachable[:LIST_LIMIT]), released=released, closed=closed)


async def preview(run_id: int, kind: str, *, channel: Channel = DEFAULT_CHANNEL,
                  deadline: date | None = None) -> tuple[Sample, ...]:
    """The text the first household per language would get, without the run-state check of
    :func:`prepare` (a computed run's publicity text before publicizing, a kind whose texts were
    never prepared). ``deadline`` stands in for a notice end the run does not have yet."""
    kind = check_kind(kind)
    run = await get_run(run_id)
    words = await content.run_words(run)
    if words.deadline is None and deadline is not None:
        words = replace(words, deadline=deadline)
    records: dict[str, content.Record] = {}
    last = ""
    while rows := await store.household_page(run.snapshot.id, last, PAGE):
        last = rows[-1][0]
        households = [h for h in map(lambda r: content.HouseholdRow(*r), rows) if h.lang not in records]
        found = await _records(run, kind, words, households)
        for h in households:
            record = found.get(h.household_id)
            if record is not None and not isinstance(record, Exception) and h.lang not in records:
                records[h.lang] = record
    return tuple(s for s in _samples(kind, records, channel) if s.provider == channel.provider)


def _samples(kind: str, records: dict[str, content.Record], channel: Channel) -> list[Sample]:
    """The first household's text per language through the configured channel, then through the
    other providers with the same signature (what switching provider would change)."""
    out: list[Sample] = []
    providers = [channel.provider] + [p for p in ("aliyun", "tencent", "twilio") if p != channel.provider]
    for lang, record in sorted(records.items()):
        for provider in providers:
            other = channel if provider == channel.provider else Channel.of(provider, channel.signature)
            try:
                text = render(kind, lang, record, channel=other)
            except (ValueError, TypeError) as exc:
                out.append(Sample(lang, provider, "", "", 0, _text_error(exc)))
                continue
            out.append(Sample(lang, provider, text.template, text.body, text.info.segments))
    return out


# ----------------------------------------------------------------------------- drafts


async def _pages(run: Any, kind: NoticeKind, words: content.RunWords, max_segments: int, channel: Channel,
                 templates: ProviderTemplates | None, samples: dict[str, content.Record] | None = None,
                 ) -> AsyncIterator[tuple[int, list[Draft]]]:
    """(households of the page that have a notice of ``kind`` already, drafts for the others that
    ``kind`` concerns)."""
    last = ""
    while True:
        rows = await store.household_page(run.snapshot.id, last, PAGE)
        if not rows:
            return
        last = rows[-1][0]
        households = [content.HouseholdRow(*r, fallback=words.language) for r in rows]
        ids = [h.household_id for h in households]
        done = await store.notified(run.id, kind, ids)
        todo = [h for h in households if h.household_id not in done]
        records = await _records(run, kind, words, todo)
        if samples is not None:
            for h in todo:
                record = records.get(h.household_id)
                if record is not None and not isinstance(record, Exception) and h.lang not in samples:
                    samples[h.lang] = record
        phones = {h.household_id: to_e164(h.phone) for h in todo}
        opted = await store.opted_out(p for p in phones.values() if p)
        page = [_draft(h, kind, record, phones[h.household_id], opted, max_segments, channel, templates)
                for h in todo if (record := records.get(h.household_id)) is not None]
        yield len(done), page


def _draft(row: content.HouseholdRow, kind: str, record: content.Record | Exception, phone: str | None,
           opted: set[str], max_segments: int, channel: Channel = DEFAULT_CHANNEL,
           templates: ProviderTemplates | None = None) -> Draft:
    lang = row.lang
    if isinstance(record, Exception):
        return Draft(row.household_id, phone or "", lang, "", "", 0, FAILED, _text_error(record))
    try:
        text = render(kind, lang, record, max_segments=max_segments, channel=channel)
        if channel.profile.templated:
            (templates or ProviderTemplates()).require(channel.provider, CATALOG.template(text.template), lang)
    except TemplateError as exc:
        return Draft(row.household_id, phone or "", lang, "", "", 0, FAILED, _text_error(exc))
    except (ValueError, TypeError) as exc:
        return Draft(row.household_id, phone or "", lang, "", "", 0, FAILED, _text_error(exc))
    params = json.dumps(dict(text.params or {}), ensure_ascii=False) if channel.profile.templated else ""
    info = text.info
    if phone is None:
        note = f"no mobile number in the registry ({mask_phone(row.phone)})" if row.phone.strip() else ""
        return Draft(row.household_id, "", lang, text.body, info.encoding, info.segments, NO_PHONE, note,
                     text.template, params)
    status = OPTED_OUT if phone in opted else QUEUED
    note = "opted out before the notice was prepared" if status == OPTED_OUT else ""
    return Draft(row.household_id, phone, lang, text.body, info.encoding, info.segments, status, note,
                 text.template, params)


def duplicate(exc: BaseException) -> bool:
    """A unique constraint refused an insert (the store raises tortoise's ``IntegrityError`` for
    the ORM and the bulk path alike)."""
    return isinstance(exc, IntegrityError)


def _text_error(exc: Exception) -> str:
    detail = exc.text() if isinstance(exc, TemplateError) else str(exc)
    return scrub(f"the text could not be rendered: {detail}")[:500]


async def _records(run: Any, kind: NoticeKind, words: content.RunWords,
                   households: Sequence[content.HouseholdRow]) -> dict[str, content.Record | Exception]:
    """The text record of each household ``kind`` concerns (an exception when it cannot be made)."""
    ids = [h.household_id for h in households]
    if not ids:
        return {}
    lines = await store.allocation_lines(run.id, ids)
    out: dict[str, content.Record | Exception] = {}
    if kind == "publicity":
        for h in households:
            amount, breakdown = lines.get(h.household_id, (0, None))
            out[h.household_id] = _attempt(content.publicity, words, h, amount, breakdown)
        return out
    items = await store.payout_items(run.id, ids)
    results = await store.bank_results([i[0] for i in items])
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


def day_settled(when: date | datetime | None, run: Any) -> date:
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
