"""What the audit pack reads from the database besides runs and ledgers (objections, payout
items and their bank results, bank files, notices), as plain records."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dividends.store.files import file_name, get_file
from dividends.store.models import BankResultImport, BankResultLine, Notice, Objection, PayoutBatch, PayoutItem


async def objections(run_id: int) -> list[dict[str, Any]]:
    return await Objection.filter(run_id=run_id).order_by("id").values(
        "household_id", "text", "channel", "received_at", "recorded_by", "status", "resolution", "resolved_by", "resolved_at")


async def payout_items(run_id: int) -> list[dict[str, Any]]:
    """Each payout item with its batch number and its bank result (bank_ref, reason; empty
    when no result came), in (batch, household) order."""
    items = await PayoutItem.filter(run_id=run_id).order_by("batch_id", "household_id").values(
        "id", "batch__number", "household_id", "amount_fen", "status")
    results = {r["item_id"]: r for r in await BankResultLine.filter(item__run_id=run_id).values(
        "item_id", "bank_ref", "reason")}
    return [{"batch": i["batch__number"], "household_id": i["household_id"], "amount_fen": i["amount_fen"],
             "status": i["status"], "bank_ref": results.get(i["id"], {}).get("bank_ref", ""),
             "reason": results.get(i["id"], {}).get("reason", "")} for i in items]


@dataclass(frozen=True)
class BatchFiles:
    number: int
    csv: bytes
    xlsx: bytes
    results: list[tuple[str, bytes]]  # (suffix, bytes) of each imported result file, in import order


async def batch_files(run_id: int) -> list[BatchFiles]:
    out = []
    for batch in await PayoutBatch.filter(run_id=run_id).order_by("number"):
        results = []
        for result in await BankResultImport.filter(batch=batch).order_by("id"):
            results.append((Path(await file_name(result.file)).suffix or ".csv", await get_file(result.file)))
        out.append(BatchFiles(batch.number, await get_file(batch.csv_file), await get_file(batch.xlsx_file), results))
    return out


async def notices(run_id: int) -> list[dict[str, Any]]:
    return await Notice.filter(run_id=run_id).order_by("household_id", "kind", "attempt").values(
        "household_id", "kind", "attempt", "status", "sid", "error_code", "segments")
