"""Payout runs and each transition, as the actor may do them (see :mod:`dividends.policy`).

``approve`` is the one place a run is approved; later rules of approval (the villagers'
resolution, a township review) extend it here.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from dividends import runs
from dividends.actors import Actor
from dividends.clock import Clock, SystemClock, today
from dividends.policy import allow
from dividends.refusals import NotAllowed, refuse
from dividends.store import facts
from dividends.usecases import scope

Outcome = runs.Outcome


async def show(actor: Actor, run_id: int) -> runs.Run:
    """A run the actor may read (every role, in its scope)."""
    found = await scope.run(actor, run_id)
    allow(actor, "village.read", found.place, what=run_id)
    return await runs.get_run(found.id)


async def create(actor: Actor, village: str, period: int, scheme_ref: str, *, amount_yuan: str | None = None,
                 asset: str | None = None, replaces: int | None = None) -> runs.Run:
    """A draft run of the actor's village. One live regular run per asset return; a correction
    (``replaces``) replaces a reversed run of the same village."""
    place = await scope.village(actor, village)
    allow(actor, "run.create", place, what=village)
    if amount_yuan is not None:
        allow(actor, "return.record", place, what=village)
    if replaces is not None:
        replaced = await facts.run_facts(replaces)
        if replaced is None or replaced.place.village_id != place.village_id:
            raise NotAllowed(replaces)
    return await runs.create_run(village, period, scheme_ref, actor.username, amount_yuan=amount_yuan, asset=asset,
                                 replaces=replaces)


async def compute(actor: Actor, run_id: int, clock: Clock = SystemClock()) -> Outcome:
    found = await scope.run(actor, run_id)
    allow(actor, "run.compute", found.place, state=found.state, what=run_id)
    return await runs.compute_run(found.id, actor.username, clock)


async def publicize(actor: Actor, run_id: int, start: date | None = None, end: date | None = None,
                    clock: Clock = SystemClock(), min_days: int = runs.MIN_NOTICE_DAYS) -> Outcome:
    """Start the notice period: from ``start`` (default: today, never earlier) for at least
    ``min_days`` days (default: exactly that)."""
    found = await scope.run(actor, run_id)
    allow(actor, "run.publicize", found.place, state=found.state, what=run_id)
    first = start or today(clock)
    last = end or date.fromordinal(first.toordinal() + min_days - 1)
    return await runs.publicize(found.id, first, last, actor.username, clock, min_days)


async def approve(actor: Actor, run_id: int, clock: Clock = SystemClock(), resolution: Any = None) -> Outcome:
    """Approval by a committee member of the run's village who did not prepare it, after the
    notice period, with no open objection (checked by :func:`dividends.runs.approve`); posts the
    accrual. ``resolution`` is reserved for the villagers' decision (issue 8 item 6)."""
    found = await scope.run(actor, run_id)
    allow(actor, "run.approve", found.place, state=found.state, prepared_by=found.prepared_by, what=run_id)
    return await runs.approve(found.id, actor.username, clock)


async def cancel(actor: Actor, run_id: int, reason: str, clock: Clock = SystemClock()) -> Outcome:
    found = await scope.run(actor, run_id)
    allow(actor, "run.cancel", found.place, state=found.state, what=run_id)
    return await runs.cancel(found.id, actor.username, reason, clock)


async def reverse(actor: Actor, run_id: int, reason: str, clock: Clock = SystemClock()) -> runs.Run:
    """Prepare the reversal of a posted run; it posts only when another committee member of
    the village approves it (:func:`approve_reversal`)."""
    found = await scope.run(actor, run_id)
    allow(actor, "run.reverse", found.place, state=found.state, what=run_id)
    if not reason.strip():
        raise refuse("web.form.required", field="reason")
    return await runs.prepare_reversal(found.id, actor.username, reason.strip(), clock)


async def approve_reversal(actor: Actor, reversal_id: int, clock: Clock = SystemClock()) -> runs.Run:
    """Approve a prepared reversal: a committee member of the village who did not prepare it."""
    found = await scope.run(actor, reversal_id)
    if found.kind != "reversal":
        raise refuse("refusal.not_a_reversal", run=reversal_id)
    allow(actor, "reversal.approve", found.place, prepared_by=found.prepared_by if found.state != "closed" else None,
          what=reversal_id)
    return await runs.approve_reversal(found.id, actor.username, clock)
