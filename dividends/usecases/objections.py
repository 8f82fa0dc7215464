"""Objections during the notice period: recorded by the village's accountant or committee,
resolved by the committee."""
from __future__ import annotations

from dividends import runs
from dividends.actors import Actor
from dividends.clock import Clock, SystemClock
from dividends.policy import allow
from dividends.usecases import scope


async def record(actor: Actor, run_id: int, household_id: str, text: str, *, channel: str = "web",
                 clock: Clock = SystemClock()) -> runs.Objection:
    found = await scope.run(actor, run_id)
    allow(actor, "objection.record", found.place, state=found.state, what=run_id)
    return await runs.record_objection(found.id, household_id, text, channel=channel, actor=actor.username, clock=clock)


async def resolve(actor: Actor, objection_id: int, resolution: str, *, run_id: int | None = None,
                  clock: Clock = SystemClock()) -> runs.Objection:
    objection, found = await scope.objection(actor, objection_id, run_id)
    allow(actor, "objection.resolve", found.place, what=objection_id)
    return await runs.resolve_objection(objection.id, resolution, actor.username, clock)
