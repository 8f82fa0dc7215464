"""Cash payments of a paid run against the signed receipt list (签字领取表): the only place with
their ORM queries (the rules stay in dividends/payouts.py and dividends/usecases/payments.py)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from dividends.store import audit
from dividends.store.bulk import insert_rows
from dividends.store.files import get_file, put_file
from dividends.store.models import CashPayment, CashPaymentLine, PayoutItem, Run
from dividends.store.transactions import transaction


async def owed_in_cash(run_id: int) -> dict[str, tuple[int, int]]:
    """Household -> (item id, amount_fen) of its last payout item, for the households that may be
    paid in cash: their last item failed (or, with no bank account, was approved for cash), none
    was paid, none is pending at the bank."""
    last: dict[str, tuple[int, int, str]] = {}
    settled: set[str] = set()
    for item_id, household, amount, status in await PayoutItem.filter(run_id=run_id).order_by("id").values_list(
            "id", "household_id", "amount_fen", "status"):
        last[household] = (item_id, amount, status)
        if status in ("paid", "pending"):
            settled.add(household)
    return {h: (i, a) for h, (i, a, s) in sorted(last.items()) if s in ("failed", "cash") and h not in settled}


async def awaiting(run_id: int) -> dict[str, int]:
    """Household -> the cash payment (recorded, not yet approved) it is on."""
    return dict(await CashPaymentLine.filter(payment__run_id=run_id, payment__state="prepared")
                .values_list("household_id", "payment_id"))


async def prepare(run: Run, lines: Sequence[tuple[str, int, int]], *, name: str, media_type: str, data: bytes,
                  note: str, actor: str) -> CashPayment:
    """Record a cash payment of ``lines`` (household, item id, amount_fen) with the scan of the
    signed list (stored by its sha256), audited on the run."""
    async with transaction():
        digest = await put_file(name, data)
        row = await CashPayment.create(run=run, evidence=digest, evidence_type=media_type, note=note,
                                       total_fen=sum(a for _, _, a in lines), prepared_by=actor)
        await insert_rows(CashPaymentLine._meta.db_table, ["payment_id", "item_id", "household_id", "amount_fen"],
                          [(row.id, i, h, a) for h, i, a in lines])
        await audit.record(actor, "run.cash_recorded", "run", run.id, village=run.village, payment=row.id,
                           households=[h for h, _, _ in lines], total_fen=row.total_fen, evidence_sha256=digest)
    return row


async def get(run_id: int, payment_id: int) -> CashPayment | None:
    return await CashPayment.get_or_none(id=payment_id, run_id=run_id)


async def lines_of(payment_id: int) -> list[tuple[str, int, int]]:
    """(household, item id, amount_fen) of a cash payment, by household."""
    return list(await CashPaymentLine.filter(payment_id=payment_id).order_by("household_id")
                .values_list("household_id", "item_id", "amount_fen"))


async def approve(payment_id: int, actor: str, now: datetime) -> bool:
    """Mark a recorded payment approved (False: it was not waiting any more); in the caller's
    transaction, with :func:`settle`."""
    return bool(await CashPayment.filter(id=payment_id, state="prepared").update(
        state="approved", approved_by=actor, approved_at=now))


async def reject(payment_id: int, run: Run, actor: str, now: datetime, reason: str) -> bool:
    """A recorded payment turned down (False: it was not waiting any more): its households stay
    owed (a new record, a follow-up batch, or closing with the reason)."""
    async with transaction():
        updated = await CashPayment.filter(id=payment_id, state="prepared").update(
            state="rejected", approved_by=actor, approved_at=now, reason=reason)
        if updated:
            await audit.record(actor, "run.cash_rejected", "run", run.id, village=run.village, payment=payment_id,
                               reason=reason)
    return bool(updated)


async def settle(payment_id: int, item_ids: Sequence[int], entry_id: int) -> int:
    """The payment's failed (or cash) items become paid (with the run's one ``paid_key`` per household: a
    household paid otherwise meanwhile makes this fail) and the payment points at its ledger
    entry. Returns how many items changed."""
    changed = 0
    for item_id in item_ids:
        item = await PayoutItem.get(id=item_id)
        changed += await PayoutItem.filter(id=item_id, status__in=("failed", "cash")).update(
            status="paid", paid_key=f"{item.run_id}:{item.household_id}")  # type: ignore[attr-defined]
    await CashPayment.filter(id=payment_id).update(settlement_id=entry_id)
    return changed


async def of_run(run_id: int) -> list[dict[str, Any]]:
    """The run's cash payments with their lines, in the order recorded (pages, the audit pack)."""
    out = []
    for p in await CashPayment.filter(run_id=run_id).order_by("id").prefetch_related("settlement"):
        out.append({"id": p.id, "state": p.state, "total_fen": p.total_fen, "note": p.note,
                    "evidence_sha256": p.evidence, "media_type": p.evidence_type,
                    "prepared_by": p.prepared_by, "approved_by": p.approved_by, "reason": p.reason,
                    "created_at": p.created_at.isoformat() if p.created_at else None,
                    "approved_at": p.approved_at.isoformat() if p.approved_at else None,
                    "settlement_ref": p.settlement.ref if p.settlement else None,
                    "lines": [{"household_id": h, "amount_fen": a} for h, _, a in await lines_of(p.id)]})
    return out


async def evidence_bytes(digest: str) -> bytes:
    return await get_file(digest)
