"""Raw read queries for aggregates the ORM cannot say in one statement (county pages)."""
from __future__ import annotations

from typing import Any

from tortoise.connection import get_connection


async def fetch(sql: str, *params: Any) -> list[dict[str, Any]]:
    """One read query, written by us with ``?`` placeholders (turned into ``$n`` on PostgreSQL);
    values are always bound parameters, never formatted into the text."""
    conn = get_connection("default")
    if conn.capabilities.dialect == "postgres":
        parts = sql.split("?")
        sql = parts[0] + "".join(f"${i}{p}" for i, p in enumerate(parts[1:], start=1))
    return list(await conn.execute_query_dict(sql, list(params)))


async def ping() -> None:
    """One trivial read: raises when the database cannot be reached (``/healthz``)."""
    await fetch("SELECT 1")
