"""The queries of carry-over that arrives and of earlier runs of a period (the rules are in
:mod:`dividends.carryover`)."""
from __future__ import annotations

from collections.abc import Iterable

from dividends.store.models import AllocationLine, Run

POSTED = ("approved", "paid", "closed")
NOT_LIVE = ("cancelled", "reversed")


async def posted_source(village_id: int, period: int, asset: str) -> Run | None:
    """The village's latest posted regular or correction run of ``period`` for ``asset``."""
    return await (Run.filter(village_id=village_id, period=period, asset_return__asset=asset,
                             kind__in=["regular", "correction"], state__in=list(POSTED))
                  .order_by("-id").prefetch_related("scheme").first())


async def account_lines(run_id: int) -> dict[str, int]:
    """A run's lines to accounts: account -> fen."""
    rows = await AllocationLine.filter(run_id=run_id, recipient_kind="account").values_list("recipient_id", "amount_fen")
    return {str(a): int(f) for a, f in rows}


async def live_runs_drawing_on(source: Run) -> list[Run]:
    """The live (not cancelled, not reversed) runs of the next period that the carry-over of
    ``source`` arrived in."""
    rows = await Run.filter(village_id=source.village_id, period=source.period + 1,  # type: ignore[attr-defined]
                            kind__in=["regular", "correction"], state__not_in=list(NOT_LIVE),
                            brought_forward__not_isnull=True).order_by("id")
    return [r for r in rows if (r.brought_forward or {}).get("run") == source.id]


async def live_runs_capped_by(source: Run) -> list[Run]:
    """The live runs of the same period whose cap over the period took what ``source`` paid
    (``source`` is one of their ``earlier_paid`` runs)."""
    rows = await Run.filter(village_id=source.village_id, period=source.period,  # type: ignore[attr-defined]
                            kind__in=["regular", "correction"], state__not_in=list(NOT_LIVE),
                            earlier_paid__not_isnull=True).exclude(id=source.id).order_by("id")
    return [r for r in rows if source.id in ((r.earlier_paid or {}).get("runs") or [])]


async def runs_to_flag(source: Run) -> list[tuple[Run, str]]:
    """The live runs a reversal of ``source`` invalidates, with why: its carry-over arrived in
    them (next period), or their cap over the period counted what it paid (same period)."""
    from dividends.carryover import EARLIER_REVERSED, REVERSED
    return ([(r, REVERSED) for r in await live_runs_drawing_on(source)]
            + [(r, EARLIER_REVERSED) for r in await live_runs_capped_by(source)])


async def flag(run_ids: Iterable[int], reason: str) -> int:
    ids = list(run_ids)
    return await Run.filter(id__in=ids).update(correction_needed=reason) if ids else 0


async def arrived_sources(run_ids: Iterable[int]) -> set[int]:
    """Which of ``run_ids`` brought their carry-over forward into a live run."""
    wanted = set(run_ids)
    if not wanted:
        return set()
    rows = await Run.filter(kind__in=["regular", "correction"], state__not_in=list(NOT_LIVE),
                            brought_forward__not_isnull=True).values_list("brought_forward", flat=True)
    return {int(b["run"]) for b in rows if isinstance(b, dict) and b.get("run") in wanted}


async def earlier_posted_lines(village_id: int, period: int, asset_return_id: int) -> tuple[list[int], dict[str, int]]:
    """The village's posted regular and correction runs of ``period`` for other asset returns, and
    what they paid each household in all (household -> fen, non-zero only)."""
    ids = list(await Run.filter(village_id=village_id, period=period, kind__in=["regular", "correction"],
                                state__in=list(POSTED), asset_return_id__not=asset_return_id)
               .order_by("id").values_list("id", flat=True))
    paid: dict[str, int] = {}
    if ids:
        for household, fen in await AllocationLine.filter(run_id__in=ids, recipient_kind="household").values_list(
                "recipient_id", "amount_fen"):
            paid[household] = paid.get(household, 0) + int(fen)
    return [int(i) for i in ids], {h: f for h, f in sorted(paid.items()) if f}
