"""Reading runs and villages for lists and reports (the command line's ``run list``/``run
show``, ``ledger verify``/``export``): plain records out, no ORM row leaves the store."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from dividends.actors import Actor
from dividends.store.models import Notice, Objection, PayoutBatch, PayoutItem, Run, Village


@dataclass(frozen=True)
class RunRow:
    id: int
    village: str
    period: int
    kind: str
    state: str
    scheme: str
    pool_fen: int
    created: date


@dataclass(frozen=True)
class RunDetails:
    """What ``run show`` prints beyond the run itself."""

    objections: list[tuple[int, str, str]]  # id, household, status
    batches: list[tuple[int, int, int]]  # number, items, total fen
    items: Counter[str]  # payout item status -> count


def _villages(actor: Actor):  # type: ignore[no-untyped-def]
    if actor.in_village:
        return Village.filter(id=actor.village_id if actor.village_id is not None else -1)
    if actor.in_county and actor.county_id is None:
        return Village.all()
    if actor.in_county:
        return Village.filter(county_id=actor.county_id)
    return Village.filter(id=-1)


async def village_codes(actor: Actor, wanted: list[str] | None = None) -> list[str]:
    """The codes of the villages the actor sees (of ``wanted`` only, when given), sorted."""
    query = _villages(actor)
    if wanted:
        query = query.filter(code__in=wanted)
    return sorted(await query.values_list("code", flat=True))


async def runs(actor: Actor, *, village: str | None = None, period: int | None = None, state: str | None = None,
               limit: int = 200) -> list[RunRow]:
    """Runs of the actor's villages, newest first."""
    ids = await _villages(actor).values_list("id", flat=True)
    query = Run.filter(village_id__in=list(ids)).prefetch_related("village", "scheme").order_by("-id")
    if village:
        query = query.filter(village__code=village)
    if period:
        query = query.filter(period=period)
    if state:
        query = query.filter(state=state)
    return [RunRow(r.id, r.village.code, r.period, r.kind, r.state, f"{r.scheme.scheme_id} v{r.scheme.version}",
                   r.pool_fen, r.created_at.date()) for r in await query.limit(limit)]


async def run_details(run_id: int) -> RunDetails:
    objections = await Objection.filter(run_id=run_id).order_by("id").values_list("id", "household_id", "status")
    batches = await PayoutBatch.filter(run_id=run_id).order_by("number").values_list("number", "items", "total_fen")
    items = await PayoutItem.filter(run_id=run_id).values_list("status", flat=True)
    return RunDetails([tuple(o) for o in objections], [tuple(b) for b in batches],  # type: ignore[misc]
                      Counter(items))


async def payout_household_ids(run_id: int, batch_number: int) -> list[str]:
    """The households of one payout batch, sorted (to write a bank's result file)."""
    return sorted(await PayoutItem.filter(run_id=run_id, batch__number=batch_number)
                  .values_list("household_id", flat=True))


async def first_sent_notice(run_id: int, kind: str) -> str | None:
    """The text of the first notice of a kind sent for a run (the demo shows one)."""
    row = await Notice.filter(run_id=run_id, kind=kind, status="sent").order_by("household_id").first()
    return None if row is None else row.body
