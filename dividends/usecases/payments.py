"""Paying a run: payout batches, the bank's results, closing (the village's accountant)."""
from __future__ import annotations

from pathlib import Path

from dividends import payouts
from dividends.actors import Actor
from dividends.clock import Clock, SystemClock
from dividends.policy import allow
from dividends.usecases import scope
from schemes.problems import InputError


async def pay(actor: Actor, run_id: int, *, bank_format: str = "generic",
              clock: Clock = SystemClock()) -> payouts.BatchOutcome:
    found = await scope.run(actor, run_id)
    allow(actor, "run.pay", found.place, state=found.state, what=run_id)
    return await payouts.pay(found.id, actor.username, bank_format=bank_format, clock=clock)


async def bank_result(actor: Actor, run_id: int, path: Path, *, batch_number: int | None = None,
                      clock: Clock = SystemClock()) -> payouts.ResultOutcome:
    found = await scope.run(actor, run_id)
    allow(actor, "run.bank_result", found.place, state=found.state, what=run_id)
    return await payouts.import_bank_result(found.id, path, actor.username, batch_number=batch_number, clock=clock)


async def close(actor: Actor, run_id: int, *, allow_unpaid: bool = False, reason: str = "",
                clock: Clock = SystemClock()) -> payouts.Outcome:
    """Close a paid run; with unpaid households only when ``allow_unpaid`` and a ``reason``."""
    found = await scope.run(actor, run_id)
    allow(actor, "run.close", found.place, state=found.state, what=run_id)
    return await payouts.close(found.id, actor.username, allow_unpaid=allow_unpaid, reason=reason, clock=clock)


async def closing(actor: Actor, run_id: int) -> payouts.ClosingView:
    """What closing would meet, for the page's close form: why not yet, or who stays unpaid.
    A state or role that does not allow closing is itself the ``blocker``."""
    found = await scope.run(actor, run_id)
    try:
        allow(actor, "run.close", found.place, state=found.state, what=run_id)
    except InputError as refused:
        return payouts.ClosingView(refused.problems[0].msg, [], 0)
    return await payouts.closing(found.id)


async def export_batch(actor: Actor, run_id: int, number: int, directory: Path) -> list[Path]:
    """The stored bank files of a batch, written for the accountant who pays."""
    found = await scope.run(actor, run_id)
    allow(actor, "run.pay", found.place, what=run_id)
    return await payouts.export_batch(found.id, number, directory)
