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
