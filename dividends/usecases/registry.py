"""The village registry: importing (its accountant, its own households only) and withdrawing
an import no run uses."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from dividends import access, imports
from dividends.actors import Actor, Place, sees
from dividends.clock import Clock, SystemClock
from dividends.imports import ImportReport, Withdrawal
from dividends.policy import allow
from dividends.refusals import NotAllowed, refuse
from dividends.registry.mapping import ColumnMapping
from dividends.store import registry as store
from dividends.usecases import scope


async def import_registry(actor: Actor, village: str, households: Path, *, period: int, members: Path | None = None,
                          posts: Path | None = None, reference_date: date | None = None,
                          **options: Any) -> ImportReport:
    """A new snapshot of the actor's village; a file holding households of another village is
    refused whole (nothing is stored)."""
    place = await scope.village(actor, village)
    allow(actor, "registry.import", place, what=village)
    return await access.import_registry_for(actor, await access.village_for(actor, village), households, period=period,
                                            members=members, posts=posts, reference_date=reference_date, **options)


async def withdraw(actor: Actor, import_id: int, reason: str, clock: Clock = SystemClock()) -> Withdrawal:
    """Withdraw an import (recorded, not deleted) that no run uses: by an accountant of every
    village it holds (an import of several villages, made from the command line, is refused to
    an accountant of one of them). Outside the actor's scope the import does not exist."""
    found = await store.import_facts(import_id)
    if found is None or not found.village_ids:
        raise NotAllowed(import_id)
    places = [Place(v, c, code) for v, c, code in zip(found.village_ids, found.county_ids, found.village_codes)]
    visible = [p for p in places if sees(actor, p)]
    if not visible:
        raise NotAllowed(import_id)
    allow(actor, "registry.withdraw", visible[0], what=import_id)
    if len(visible) < len(places):
        others = sorted({p.village_code for p in places} - {p.village_code for p in visible})
        raise refuse("registry.withdraw.other_villages", id=import_id, villages=others[:10])
    return await imports.withdraw_import(found.id, actor.username, reason, clock.now())


async def county_mapping(actor: Actor, village: str) -> ColumnMapping:
    """The column mapping remembered for the village's county (shown on the import page)."""
    place = await scope.village(actor, village)
    allow(actor, "village.read", place, what=village)
    return ColumnMapping.from_dict(await store.county_mapping_of(place.county_id) if place.county_id else {})
