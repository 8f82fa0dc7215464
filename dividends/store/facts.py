"""Reading the facts the rules are checked on (:mod:`dividends.store.records`)."""
from __future__ import annotations

from dividends.actors import Place
from dividends.store.models import Objection, Run, Village
from dividends.store.records import ObjectionFacts, RunFacts

MAX_ID = 2**31 - 1


def _valid(value: int) -> bool:
    return isinstance(value, int) and 0 < value <= MAX_ID


async def run_facts(run_id: int) -> RunFacts | None:
    if not _valid(run_id):
        return None
    row = await Run.get_or_none(id=run_id).prefetch_related("village")
    if row is None:
        return None
    return RunFacts(row.id, Place(row.village.id, row.village.county_id, row.village.code,  # type: ignore[attr-defined]
                                       row.village.township_id),  # type: ignore[attr-defined]
                    row.period, row.kind, row.state, row.prepared_by, row.approved_by,
                    row.asset_return_id, row.reverses_id, row.replaces_id,  # type: ignore[attr-defined]
                    row.notice_start, row.notice_end)


async def village_place(code: str) -> Place | None:
    if not 0 < len(code) <= 64:
        return None
    row = await Village.get_or_none(code=code)
    return None if row is None else Place(row.id, row.county_id, row.code, row.township_id)  # type: ignore[attr-defined]


async def objection_facts(objection_id: int) -> ObjectionFacts | None:
    if not _valid(objection_id):
        return None
    row = await Objection.get_or_none(id=objection_id)
    return None if row is None else ObjectionFacts(row.id, row.run_id, row.status)  # type: ignore[attr-defined]


async def pending_reversal_of(run_id: int) -> int | None:
    """The reversal prepared for a run and not yet approved, if any."""
    row = await Run.filter(reverses_id=run_id, kind="reversal", state="computed").first()
    return None if row is None else row.id
