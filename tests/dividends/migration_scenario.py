"""Run in a child process: bring a fresh database to migration 0002, add data (a village with
ledger entries, postings and a head), then open it with the current code (which upgrades it:
0003 rebuilds the village table on SQLite, 0005 adds the ledger guards) and check the data
survived and the guards hold. Prints "ok" on success."""
from __future__ import annotations

import asyncio
import sys

from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.migrations.api import migrate

from dividends.store.db import close_database, open_database, tortoise_config


async def main(url: str) -> None:
    await migrate(config=tortoise_config(url), target="dividends.0002_ledger_head")
    await get_connection("default").execute_script(
        "INSERT INTO county (code, name) VALUES ('C1', '沂南县');"
        "INSERT INTO village (county_id, code, name, contact) VALUES (1, 'V1', '一村', 'old free text');"
        "INSERT INTO ledger_entry (village_id, seq, \"on\", kind, ref, narration, prev_hash, hash, created_at) "
        f"VALUES (1, 1, '2025-01-20', 'return', 'return:1', 'old entry', '{'0' * 64}', '{'a' * 64}', '2025-01-20 00:00:00+00:00');"
        "INSERT INTO ledger_posting (entry_id, account, amount_fen) VALUES (1, 'Assets:Bank:V1', 100);"
        "INSERT INTO ledger_posting (entry_id, account, amount_fen) VALUES (1, 'Income:AssetReturn:V1', -100);"
        f"INSERT INTO ledger_head (village_id, seq, hash, updated_at) VALUES (1, 1, '{'a' * 64}', '2025-01-20 00:00:00+00:00');")
    await Tortoise.close_connections()
    await open_database(url)
    try:
        from dividends.store.models import Village
        village = await Village.get(code="V1")
        assert (village.name, village.contact_name, village.office_address) == ("一村", "", ""), village
        village.contact_phone = "0539-1234567"
        await village.save()
        assert (await Village.get(code="V1")).contact_phone == "0539-1234567"
        from dividends.store import ledger as ledger_store
        entries = await ledger_store.entries_by_village(["V1"])
        assert [(e.seq, e.narration, e.postings["amount_fen"].sum()) for e in entries["V1"]] == [(1, "old entry", 0)]
        assert (await ledger_store.heads())["V1"].hash == "a" * 64
        for sql in ("UPDATE ledger_entry SET narration = 'x'", "DELETE FROM ledger_posting", "DELETE FROM ledger_head"):
            try:
                await get_connection("default").execute_script(sql)
            except Exception as exc:  # noqa: BLE001 - the driver's own error type
                assert "append-only" in str(exc) or "advance" in str(exc), exc
            else:
                raise AssertionError(f"{sql} was not refused after the upgrade")
    finally:
        await close_database()
    print("ok")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
