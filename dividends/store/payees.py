"""Payee-account corrections on a run (the only place with their ORM queries)."""
from __future__ import annotations

from datetime import datetime

from dividends.store import audit
from dividends.store.models import Household, PayeeCorrection, PayoutItem, Run
from dividends.store.transactions import transaction


async def unpaid_failed(run_id: int) -> set[str]:
    """Households of the run whose payment failed and that no later batch paid."""
    rows = await PayoutItem.filter(run_id=run_id).values_list("household_id", "status")
    paid = {h for h, s in rows if s == "paid"}
    return {h for h, s in rows if s == "failed"} - paid


async def pending_of(run_id: int, household_id: str) -> PayeeCorrection | None:
    return await PayeeCorrection.filter(run_id=run_id, household_id=household_id, state="prepared").first()


async def prepare(run: Run, household_id: str, account_no: str, bank: str, reason: str, actor: str) -> PayeeCorrection:
    async with transaction():
        row = await PayeeCorrection.create(run=run, household_id=household_id, account_no=account_no, bank=bank,
                                           reason=reason, prepared_by=actor)
        await audit.record(actor, "payee.correct", "payee_correction", row.id, village=run.village, run=run.id,
                           household=household_id, account_no=account_no, bank=bank, reason=reason)
    return row


async def get(run_id: int, correction_id: int) -> PayeeCorrection | None:
    return await PayeeCorrection.get_or_none(id=correction_id, run_id=run_id)


async def approve(row: PayeeCorrection, run: Run, actor: str, now: datetime) -> bool:
    """Approve a prepared correction (False: already approved: a no-op)."""
    async with transaction():
        updated = await PayeeCorrection.filter(id=row.id, state="prepared").update(state="approved", approved_by=actor,
                                                                                    approved_at=now)
        if updated:
            await audit.record(actor, "payee.approve", "payee_correction", row.id, village=run.village, run=run.id,
                               household=row.household_id)
    return bool(updated)


async def of_run(run_id: int) -> list[PayeeCorrection]:
    return list(await PayeeCorrection.filter(run_id=run_id).order_by("id"))


async def approved_accounts(run_id: int) -> dict[str, tuple[str, str]]:
    """Household -> (account number, bank) of its latest approved correction on the run."""
    out: dict[str, tuple[str, str]] = {}
    for row in await PayeeCorrection.filter(run_id=run_id, state="approved").order_by("approved_at", "id"):
        out[row.household_id] = (row.account_no, row.bank)
    return out


async def not_in_snapshot(village_id: int, snapshot_id: int) -> list[PayeeCorrection]:
    """The village's approved payee corrections (the latest per household) whose account the
    registry version ``snapshot_id`` does not carry: the change to apply in the next registry file."""
    latest: dict[str, PayeeCorrection] = {}
    for c in await PayeeCorrection.filter(run__village_id=village_id, state="approved").order_by("id"):
        latest[c.household_id] = c
    if not latest:
        return []
    accounts = dict(await Household.filter(snapshot_id=snapshot_id, household_id__in=list(latest))
                    .values_list("household_id", "account_no"))
    return [c for h, c in sorted(latest.items()) if h in accounts and accounts[h] != c.account_no]
