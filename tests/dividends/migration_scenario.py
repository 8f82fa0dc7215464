"""Run in a child process: bring a fresh database to migration 0002, add data, then open it with
the current code (which upgrades it) and check the data survived. Prints "ok" on success."""
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
        "INSERT INTO village (county_id, code, name, contact) VALUES (1, 'V1', '一村', 'old free text');")
    await Tortoise.close_connections()
    await open_database(url)
    try:
        from dividends.store.models import Village
        village = await Village.get(code="V1")
        assert (village.name, village.contact_name, village.office_address) == ("一村", "", ""), village
        village.contact_phone = "0539-1234567"
        await village.save()
        assert (await Village.get(code="V1")).contact_phone == "0539-1234567"
    finally:
        await close_database()
    print("ok")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
