"""Importing a village's registry: its accountant, its own households only."""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from dividends import access
from dividends.actors import Actor
from dividends.imports import ImportReport
from dividends.policy import allow
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
