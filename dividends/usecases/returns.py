"""Asset returns (the money a village's assets earned in a period), recorded by its accountant."""
from __future__ import annotations

from dividends import runs
from dividends.actors import Actor
from dividends.policy import allow
from dividends.usecases import scope


async def record(actor: Actor, village: str, period: int, amount_yuan: str, asset: str = "asset",
                 note: str = "") -> runs.AssetReturn:
    place = await scope.village(actor, village)
    allow(actor, "return.record", place, what=village)
    return await runs.record_return(village, period, amount_yuan, actor.username, asset or "asset", note)


async def correct(actor: Actor, village: str, period: int, asset: str, amount_yuan: str,
                  reason: str) -> runs.AssetReturn:
    """Correct a recorded return before a run books it (afterwards: a correction run)."""
    place = await scope.village(actor, village)
    allow(actor, "return.correct", place, what=village)
    return await runs.correct_return(village, period, asset, amount_yuan, actor.username, reason)


async def corrections(actor: Actor, village: str) -> dict[int, dict[str, object]]:
    """Per recorded return of a village: why it cannot be corrected now (``blocker``, None when
    it can) and its recorded corrections, oldest first (``history``: old and new amount, who,
    when, why)."""
    place = await scope.village(actor, village)
    allow(actor, "village.read", place, what=village)
    out: dict[int, dict[str, object]] = {}
    for row in await runs.returns_of(village):
        out[row.id] = {"blocker": await runs.return_blocker(row.id), "history": await runs.return_corrections(row.id)}
    return out
