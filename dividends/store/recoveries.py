"""The queries of recoveries (the rules are in :mod:`dividends.recoveries`)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from tortoise.expressions import Q

from dividends.recoveries import Owed, Taken
from dividends.store.models import Debt, DebtRecovery, PayoutItem, Run

POSTED = ("approved", "paid", "closed")
UNPOSTED_LIVE = ("draft", "computed", "publicized")


async def outstanding(village_id: int) -> list[Owed]:
    """The village's debts with something left to recover, in id order: recorded by a posted
    run, minus what posted runs recovered, leaving out those a live unposted run already takes."""
    debts = await Debt.filter(village_id=village_id, run__state__in=list(POSTED)).order_by("id")
    if not debts:
        return []
    taken: dict[int, int] = {}
    for debt_id, fen in await DebtRecovery.filter(debt_id__in=[d.id for d in debts],
                                                  run__state__in=list(POSTED)).values_list("debt_id", "recovered_fen"):
        taken[debt_id] = taken.get(debt_id, 0) + int(fen)
    busy: set[int] = set()
    for rows in await Run.filter(village_id=village_id, state__in=list(UNPOSTED_LIVE),
                                 recoveries__not_isnull=True).values_list("recoveries", flat=True):
        busy |= {int(r[0]) for r in rows or []}  # type: ignore[union-attr]
    return [Owed(d.id, d.household_id, d.amount_fen - taken.get(d.id, 0), d.reason, d.creditor)
            for d in debts if d.id not in busy and d.amount_fen - taken.get(d.id, 0) > 0]


async def record_taken(run: Run, taken: Sequence[Taken]) -> None:
    """At compute (inside its transaction): the deductions file's rows become the run's debts,
    and what the engine recovered of each debt is written against this run. A run returned to
    draft and computed again replaces what its earlier computation wrote (no other run can have
    taken the debts of a run not yet posted)."""
    await DebtRecovery.filter(run_id=run.id).delete()
    await Debt.filter(run_id=run.id, kind="deduction").delete()
    for t in taken:
        debt_id = t.debt
        if debt_id is None:
            debt = await Debt.create(village_id=run.village_id, run=run, household_id=t.household,  # type: ignore[attr-defined]
                                     kind="deduction", creditor=t.creditor, reason=t.reason, amount_fen=t.amount_fen)
            debt_id = debt.id
        if t.recovered_fen:
            await DebtRecovery.create(debt_id=debt_id, run=run, recovered_fen=t.recovered_fen)


async def new_debts(run_id: int) -> list[tuple[str, str, int]]:
    """The debts a run's deductions file recorded: (household, creditor, fen)."""
    return [(h, c, int(f)) for h, c, f in await Debt.filter(run_id=run_id, kind="deduction").order_by("id")
            .values_list("household_id", "creditor", "amount_fen")]


async def record_overpayments(run: Run, amounts: Mapping[str, int], creditor: str, reason: str) -> None:
    """At a correction's approval (inside its transaction)."""
    for household, fen in sorted(amounts.items()):
        await Debt.create(village_id=run.village_id, run=run, household_id=household, kind="overpayment",  # type: ignore[attr-defined]
                          creditor=creditor, reason=reason, amount_fen=fen)


async def runs_taking_debts_of(run: Run) -> list[Run]:
    """The live runs whose recoveries take a debt ``run`` recorded, in id order."""
    ids = set(await Debt.filter(run_id=run.id).values_list("id", flat=True))
    if not ids:
        return []
    rows = await Run.filter(village_id=run.village_id, state__not_in=["cancelled", "reversed"],  # type: ignore[attr-defined]
                            recoveries__not_isnull=True).order_by("id")
    return [r for r in rows if any(int(o[0]) in ids for o in r.recoveries or [])]


async def reversed_source(run: Run) -> int | None:
    """The first reversed run that recorded a debt ``run`` takes (None: none)."""
    ids = [int(o[0]) for o in run.recoveries or []]
    row = await Debt.filter(id__in=ids, run__state="reversed").order_by("run_id").first() if ids else None
    return row.run_id if row is not None else None  # type: ignore[attr-defined]


async def paid_under_replaced(run: Run) -> dict[str, int]:
    """What households were paid (bank results) under the runs ``run`` replaces, in all."""
    paid: dict[str, int] = {}
    current = run
    while current.replaces_id is not None:  # type: ignore[attr-defined]
        current = await Run.get(id=current.replaces_id)  # type: ignore[attr-defined]
        for hid, fen in await PayoutItem.filter(run=current, status="paid").values_list("household_id", "amount_fen"):
            paid[hid] = paid.get(hid, 0) + fen
    return paid


async def balances(village_id: int) -> list[dict[str, object]]:
    """Every counted debt of a village with what posted runs recovered of it (for tests and pages)."""
    out = []
    for d in await Debt.filter(village_id=village_id, run__state__in=list(POSTED)).order_by("id"):
        got = sum(int(f) for f in await DebtRecovery.filter(debt_id=d.id, run__state__in=list(POSTED))
                  .values_list("recovered_fen", flat=True))
        out.append({"debt": d.id, "household": d.household_id, "kind": d.kind, "run": d.run_id,  # type: ignore[attr-defined]
                    "amount_fen": d.amount_fen, "recovered_fen": got, "left_fen": d.amount_fen - got})
    return out


async def taken_by_run(run_id: int) -> dict[int, int]:
    """Debt id -> fen the run's deductions step took of it (written at compute)."""
    out: dict[int, int] = {}
    for debt, fen in await DebtRecovery.filter(run_id=run_id).values_list("debt_id", "recovered_fen"):
        out[int(debt)] = out.get(int(debt), 0) + int(fen)
    return out


async def deducted_by_runs(run_ids: Sequence[int]) -> dict[tuple[int, str], int]:
    """(run, household) -> fen the run's deductions step took from the household's payout
    (written at compute; the same as the ``deductions`` column of its line, negated)."""
    out: dict[tuple[int, str], int] = {}
    if not run_ids:
        return out
    for run_id, household, fen in await DebtRecovery.filter(run_id__in=list(run_ids)).values_list(
            "run_id", "debt__household_id", "recovered_fen"):
        if int(fen):
            key = (int(run_id), str(household))
            out[key] = out.get(key, 0) + int(fen)
    return out


async def owed_after(village_id: int, run_ids: Sequence[int]) -> dict[str, int]:
    """Household -> what it still owes once ``run_ids`` count (posted or not yet: their own
    deductions file's debts and what they take), beside the posted runs: each debt recorded by
    a posted run or one of ``run_ids``, minus what those runs recovered of it (> 0 only)."""
    ids = [int(i) for i in run_ids]
    counted = Q(run__state__in=list(POSTED)) | Q(run_id__in=ids)
    left: dict[int, tuple[str, int]] = {
        int(d): (str(h), int(f)) for d, h, f in await Debt.filter(counted, village_id=village_id).values_list(
            "id", "household_id", "amount_fen")}
    if not left:
        return {}
    for debt_id, fen in await DebtRecovery.filter(counted, debt__village_id=village_id).values_list(
            "debt_id", "recovered_fen"):
        if int(debt_id) in left:
            household, rest = left[int(debt_id)]
            left[int(debt_id)] = (household, rest - int(fen))
    out: dict[str, int] = {}
    for household, rest in left.values():
        out[household] = out.get(household, 0) + rest
    return {h: f for h, f in sorted(out.items()) if f > 0}
