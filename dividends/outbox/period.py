"""Period statements through the outbox (issue 10, item 5): one notice per (village, period,
household) over the village's told runs of the period (:mod:`dividends.period_statement`).

A notice row belongs to a run; a period statement is anchored on the *newest* told run of the
period (its village and period are the key, the anchor says which runs it covers: every told
run of the period up to it). So the outbox's machinery applies unchanged: the unique (run,
household, kind, attempt) key makes preparing idempotent, :func:`dividends.outbox.prepare.release`
queues it, the dispatcher/worker sends it at most once within the daily limits, opted-out phones
are recorded and never sent, receipts and resends work as for every kind, the run's notices page
shows it.

Preparing again after a new run of the period became told anchors on that run and
*supersedes* the earlier anchor's statements that were never tried (queued, no try, no provider
id: deleted in the transaction that inserts the new ones, audited as ``superseded``). A
statement already claimed, sent or final stays (the household was told the earlier total; the new
one tells the new total).
"""
from __future__ import annotations

from datetime import UTC
from typing import Any

from dividends.clock import Clock, SystemClock
from dividends.outbox import content
from dividends.outbox.messages import refuse
from dividends.outbox.prepare import PrepareReport, _draft, _Tally, check_deduction_templates, check_templates, duplicate
from dividends.period_statement import KIND, Period, period_of, record
from dividends.store import notices as store
from notify.catalog import Channel, ProviderTemplates
from notify.phones import to_e164
from notify.settings import DEFAULT_MAX_SEGMENTS
from notify.texts import DEFAULT_CHANNEL
from schemes.i18n import register

register({
    "outbox.period_none": {
        "zh": "村 {village} 第 {period} 期没有已公示的批次：期间对账单无从准备",
        "en": "village {village} has no publicized (or later) run in period {period}: no period statement to prepare"},
})


async def prepare_period(village_code: str, period: int, actor: str, clock: Clock = SystemClock(), *,
                         max_segments: int = DEFAULT_MAX_SEGMENTS, channel: Channel = DEFAULT_CHANNEL,
                         templates: ProviderTemplates | None = None) -> PrepareReport:
    """The missing period statements of the village's ``period``, anchored on its newest told run."""
    found = await period_of(village_code, period)
    if not found.runs:
        raise refuse("outbox.period_none", village=village_code, period=period)
    check_templates(KIND, channel, templates)
    anchor = found.runs[-1]
    check_deduction_templates(anchor.id, KIND, ((line.row.household_id, line.row.lang, line.deducted_fen, line.owed_fen)
                                                for line in found.lines), channel, templates)
    tally = _Tally()
    existing = superseded = 0
    ids = [line.row.household_id for line in found.lines]
    for attempt in range(2):
        done = await store.notified(anchor.id, KIND, ids)
        drafts = await _drafts(found, done, max_segments, channel, templates)
        stale = await store.unsent_period_notices(village_code, period, KIND, anchor.id, [d.household_id for d in drafts])
        now = clock.now().astimezone(UTC)
        rows = [(anchor.id, d.household_id, KIND, 0, d.phone, d.lang, d.body, d.encoding, d.segments, d.status, 0,
                 None, d.error_message, None, now, None if d.status == "queued" else now, channel.provider,
                 d.template, d.params) for d in drafts]
        try:
            superseded = await store.supersede_and_insert(stale, rows)
        except Exception as exc:  # a concurrent prepare wrote some of them first: start over once
            if attempt or not duplicate(exc):
                raise
            continue
        existing = len(done)
        break
    for d in drafts:
        tally.add(d, max_segments)
    created = len(drafts)
    if created:
        await store.record_event(actor, "notice.prepare", anchor, kind=KIND, period=period, created=created,
                                 queued=tally.queued, no_phone=tally.no_phone, opted_out=tally.opted_out,
                                 unrenderable=tally.unrenderable, existing=existing, superseded=superseded,
                                 runs=[r.id for r in found.runs], segments=tally.segments,
                                 over_limit=tally.over_limit_count)
    return PrepareReport(anchor.id, KIND, created, tally.queued, tally.no_phone, tally.opted_out, tally.unrenderable,
                         existing, tally.over_limit_count, tuple(tally.over_limit), tuple(tally.failures))


async def drafts_to_add(run: Any, max_segments: int, channel: Channel,
                        templates: ProviderTemplates | None) -> list[Any]:
    """What preparing the period statements of ``run``'s period would add (for the estimate):
    nothing unless ``run`` is the period's newest told run (the anchor)."""
    found = await period_of(run.village.code, run.period)
    if not found.runs or found.runs[-1].id != run.id:
        return []
    done = await store.notified(run.id, KIND, [line.row.household_id for line in found.lines])
    return await _drafts(found, done, max_segments, channel, templates)


async def _drafts(found: Period, done: set[str], max_segments: int, channel: Channel,
                  templates: ProviderTemplates | None) -> list:  # type: ignore[type-arg]
    todo = [line for line in found.lines if line.row.household_id not in done]
    phones = {line.row.household_id: to_e164(line.row.phone) for line in todo}
    opted = await store.opted_out(p for p in phones.values() if p)
    out = []
    for line in todo:
        try:
            made: content.Record | Exception = record(found, line)
        except (ValueError, TypeError) as exc:
            made = exc
        out.append(_draft(line.row, KIND, made, phones[line.row.household_id], opted, max_segments, channel,
                          templates))
    return out
