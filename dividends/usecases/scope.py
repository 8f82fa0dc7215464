"""Finding an object for an actor: outside the actor's scope it does not exist (NotAllowed)."""
from __future__ import annotations

from dividends.actors import Actor, Place, sees
from dividends.refusals import NotAllowed
from dividends.store import facts
from dividends.store.records import ObjectionFacts, RunFacts


async def run(actor: Actor, run_id: int) -> RunFacts:
    found = await facts.run_facts(run_id)
    if found is None or not sees(actor, found.place):
        raise NotAllowed(run_id)
    return found


async def village(actor: Actor, code: str) -> Place:
    found = await facts.village_place(code)
    if found is None or not sees(actor, found):
        raise NotAllowed(code[:64])
    return found


async def objection(actor: Actor, objection_id: int, run_id: int | None = None) -> tuple[ObjectionFacts, RunFacts]:
    found = await facts.objection_facts(objection_id)
    if found is None or (run_id is not None and found.run_id != run_id):
        raise NotAllowed(objection_id)
    try:
        return found, await run(actor, found.run_id)
    except NotAllowed:
        raise NotAllowed(objection_id) from None


async def precheck(actor: Actor, action: str, *, village: str | None = None, run_id: int | None = None) -> None:
    """Scope and role of ``action`` alone, for an entry point to ask before it reads a body or
    an upload (so a wrong user learns nothing from the input's errors). The use-case itself
    still checks everything when it is called."""
    from dividends.policy import allow
    if run_id is not None:
        found = await run(actor, run_id)
        allow(actor, action, found.place, what=run_id)
    elif village is not None:
        allow(actor, action, await _village(actor, village), what=village)
    else:
        allow(actor, action)

_village = village
