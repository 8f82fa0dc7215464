"""SMS notices of a run: prepare, release (the sender's confirmation), resend failed ones; the
village's accountant does it (the worker then sends)."""
from __future__ import annotations

from typing import Any

from dividends.actors import Actor
from dividends.clock import Clock, SystemClock
from dividends.policy import allow
from dividends.usecases import scope


async def prepare(actor: Actor, run_id: int, kind: str, clock: Clock = SystemClock(), **options: Any) -> Any:
    from dividends.outbox.prepare import prepare as prepare_notices
    found = await scope.run(actor, run_id)
    allow(actor, "notices.prepare", found.place, what=run_id)
    if kind == "period_statement":  # the run's whole period: from a run its households were told of
        allow(actor, "notices.period", found.place, state=found.state, what=run_id)
    return await prepare_notices(found.id, kind, actor.username, clock, **options)


async def prepare_period(actor: Actor, village: str, period: int, clock: Clock = SystemClock(), **options: Any) -> Any:
    """Queue one period statement per household of a village's period (:mod:`dividends.outbox.period`);
    the village's accountant, then released and sent like every notice."""
    from dividends.outbox.period import prepare_period as prepare_statements
    place = await scope.village(actor, village)
    allow(actor, "notices.prepare", place, what=village)
    allow(actor, "notices.period", place, what=village)
    return await prepare_statements(village, period, actor.username, clock, **options)


async def release(actor: Actor, run_id: int, kind: str | None, clock: Clock = SystemClock()) -> int:
    from dividends.outbox.prepare import release as release_notices
    found = await scope.run(actor, run_id)
    allow(actor, "notices.release", found.place, what=run_id)
    return await release_notices(found.id, kind, actor.username, clock)


async def resend_failed(actor: Actor, run_id: int, kind: str, clock: Clock = SystemClock()) -> Any:
    from dividends.outbox.report import resend_failed as resend
    found = await scope.run(actor, run_id)
    allow(actor, "notices.send", found.place, what=run_id)
    return await resend(found.id, kind, actor.username, clock)


async def readable(actor: Actor, run_id: int) -> int:
    """The run's id when the actor may read its notices (every role in scope)."""
    found = await scope.run(actor, run_id)
    allow(actor, "village.read", found.place, what=run_id)
    return found.id


async def period_statements(actor: Actor, village: str, period: int, run_ids: list[int] | None = None) -> Any:
    """A village's period across its told runs (several assets): one statement per
    (period, household) and the combined notice (:mod:`dividends.period_statement`); every role
    that reads the village."""
    from dividends.period_statement import period_of
    place = await scope.village(actor, village)
    allow(actor, "village.read", place, what=village)
    return await period_of(village, period, run_ids)
