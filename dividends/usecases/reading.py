"""Reading what the database holds, as the actor may see it: lists of runs, a run's details,
its printable notice and audit pack, the villages' ledgers. Every role reads its own scope
(a village's people their village, the county's auditors and administrators its villages);
the audit pack holds full personal numbers, so only the village's accountant and the county's
auditors and administrators get it."""
from __future__ import annotations

from dividends import ledger, runs
from dividends.actors import Actor
from dividends.clock import Clock, SystemClock
from dividends.policy import allow
from dividends.refusals import NotAllowed
from dividends.store import ledger as ledger_store
from dividends.store import listing
from dividends.usecases import scope


async def list_runs(actor: Actor, *, village: str | None = None, period: int | None = None,
                    state: str | None = None) -> list[listing.RunRow]:
    allow(actor, "village.read")
    return await listing.runs(actor, village=village, period=period, state=state)


async def run_details(actor: Actor, run_id: int) -> tuple[runs.Run, listing.RunDetails]:
    found = await scope.run(actor, run_id)
    allow(actor, "village.read", found.place, what=run_id)
    return await runs.get_run(found.id), await listing.run_details(found.id)


async def notice_html(actor: Actor, run_id: int, lang: str | None = None, clock: Clock = SystemClock()) -> str:
    """The printable public notice of a computed run (nothing to publish before), in ``lang``
    or else the village's document language (never the operator's locale)."""
    from dividends.publicity import notice_html as render
    from dividends.villages import document_language
    found = await scope.run(actor, run_id)
    allow(actor, "village.read", found.place, what=run_id)
    if found.state == "draft":
        raise NotAllowed(run_id)
    return await render(found.id, lang or await document_language(found.place.village_id), clock)


async def audit_pack(actor: Actor, run_id: int) -> bytes:
    from dividends.auditpack import build_pack
    found = await scope.run(actor, run_id)
    allow(actor, "run.pack", found.place, what=run_id)
    if (await runs.get_run(found.id)).content_hash is None:
        raise NotAllowed(run_id)  # nothing computed, nothing to audit
    return await build_pack(found.id)


async def ledgers(actor: Actor, villages: list[str] | None = None) -> tuple[dict[str, list[ledger.Entry]],
                                                                            dict[str, ledger.ChainHead]]:
    """The ledger entries and chain heads of the actor's villages (of ``villages`` only, when
    given; a named village outside the scope is not found)."""
    allow(actor, "ledger.read")
    codes = await listing.village_codes(actor, villages)
    missing = sorted(set(villages or ()) - set(codes))
    if missing:
        raise NotAllowed(missing[0])
    if not codes:
        return {}, {}
    return await ledger_store.entries_by_village(codes), await ledger_store.heads(codes)


async def checkpoint_ledgers(actor: Actor) -> tuple[dict[str, list[ledger.Entry]], dict[str, ledger.ChainHead]]:
    """Every ledger of the actor's county (every county for an administrator without one), for
    a signed checkpoint: the county's auditors and administrators anchor the heads outside the
    villages' database."""
    allow(actor, "ledger.checkpoint")
    return await ledgers(actor)
