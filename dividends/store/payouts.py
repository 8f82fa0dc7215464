"""Payout batches, their items and the bank results recorded against them (the only place with
their ORM queries; the rules stay in dividends/payouts.py)."""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from dividends.store.bulk import insert_rows, update_where_in
from dividends.store.models import BankResultImport, BankResultLine, LedgerEntry, PayoutBatch, PayoutItem, Run


async def item_rows(run: Run) -> list[tuple[str, int, str]]:
    """(household_id, amount_fen, status) of every item of the run, in every batch."""
    return await PayoutItem.filter(run=run).values_list("household_id", "amount_fen", "status")


async def first_batch(run: Run) -> PayoutBatch | None:
    return await PayoutBatch.filter(run=run, number=1).first()


async def last_batch(run: Run) -> PayoutBatch | None:
    return await PayoutBatch.filter(run=run).order_by("-number").first()


async def batch_numbered(run: Run, number: int) -> PayoutBatch | None:
    return await PayoutBatch.filter(run=run, number=number).first()


async def get_batch(run_id: int, number: int) -> PayoutBatch:
    """The batch, or tortoise's DoesNotExist as before."""
    return await PayoutBatch.get(run_id=run_id, number=number)


async def batch_count(run: Run) -> int:
    return await PayoutBatch.filter(run=run).count()


async def pending_count(run: Run) -> int:
    return await PayoutItem.filter(run=run, status="pending").count()


async def create_batch(run: Run, rows: Sequence[tuple[str, int]], **fields: object) -> PayoutBatch:
    """A batch and its pending items, one per (household_id, amount_fen); inside the caller's
    transaction."""
    batch = await PayoutBatch.create(run=run, **fields)
    await insert_rows(PayoutItem._meta.db_table, ["batch_id", "run_id", "household_id", "amount_fen", "status"],
                      [(batch.id, run.id, h, a, "pending") for h, a in rows])
    return batch


async def create_cash_items(run: Run, rows: Sequence[tuple[str, int]]) -> None:
    """Items in no bank batch (status ``cash``) for households with no bank account, to be paid
    in cash; inside the caller's transaction."""
    await insert_rows(PayoutItem._meta.db_table, ["batch_id", "run_id", "household_id", "amount_fen", "status"],
                      [(None, run.id, h, a, "cash") for h, a in rows])


async def result_already_imported(batch: PayoutBatch, digest: str) -> bool:
    return await BankResultImport.filter(batch=batch, file=digest).exists()


async def items_of_batch(batch: PayoutBatch) -> list[PayoutItem]:
    return await PayoutItem.filter(batch=batch)


async def create_result(batch: PayoutBatch, **fields: object) -> BankResultImport:
    return await BankResultImport.create(batch=batch, **fields)


async def ledger_entry_id(ref: str) -> int:
    return (await LedgerEntry.get(ref=ref)).id


async def record_result_lines(rows: Iterable[tuple[int, int, str, str, str, int | None]]) -> None:
    """(result_id, item_id, status, bank_ref, reason, settlement_id) per decided line."""
    await insert_rows(BankResultLine._meta.db_table,
                      ["result_id", "item_id", "status", "bank_ref", "reason", "settlement_id"], list(rows))


async def mark_items(paid: list[int], failed: list[int]) -> None:
    """Mark pending items paid or failed (an item no longer pending is left alone)."""
    table = PayoutItem._meta.db_table
    # paid_key is unique: a household can be marked paid once per run, whatever happens
    await update_where_in(table, "status = 'paid', paid_key = CAST(run_id AS TEXT) || ':' || household_id", "id",
                          paid, extra="status = 'pending'")
    await update_where_in(table, "status = 'failed'", "id", failed, extra="status = 'pending'")
