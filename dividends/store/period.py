"""Queries of a household's period across runs (issue 10, item 5): the village's told runs of
a period (several assets) and what each paid each household (the rules are in
:mod:`dividends.period_statement`)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dividends.store.models import AllocationLine, Household, Run
from dividends.store.notices import HOUSEHOLD_COLUMNS

TOLD = ("publicized", "approved", "paid", "closed")
"""States of a run whose amounts households have been told (a draft or computed run's are not)."""


async def told_runs(village_code: str, period: int, run_ids: Sequence[int] | None = None) -> list[Any]:
    """The village's regular and correction runs of ``period`` in :data:`TOLD` states (or just
    ``run_ids`` among them), oldest first, with asset return, scheme, snapshot and village loaded."""
    query = Run.filter(village__code=village_code, period=period, kind__in=["regular", "correction"],
                       state__in=list(TOLD))
    if run_ids is not None:
        query = query.filter(id__in=list(run_ids))
    return list(await query.order_by("id").prefetch_related("village", "scheme", "snapshot", "asset_return"))


async def household_amounts(run_ids: Sequence[int]) -> list[tuple[int, str, int]]:
    """(run, household, fen) of every household line of these runs."""
    rows = await AllocationLine.filter(run_id__in=list(run_ids), recipient_kind="household").values_list(
        "run_id", "recipient_id", "amount_fen")
    return [(int(r), str(h), int(f)) for r, h, f in rows]


async def households_of(snapshot_id: int, household_ids: Sequence[str]) -> list[tuple[str, ...]]:
    """The registry rows (:data:`HOUSEHOLD_COLUMNS`) of these households in one snapshot."""
    out: list[tuple[str, ...]] = []
    ids = list(household_ids)
    for start in range(0, len(ids), 500):
        out += await Household.filter(snapshot_id=snapshot_id, household_id__in=ids[start:start + 500]).order_by(
            "household_id").values_list(*HOUSEHOLD_COLUMNS)
    return sorted(out)
