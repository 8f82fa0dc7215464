"""The driver's bulk path through tortoise's own connection (inside the current transaction).

SQLite: one prepared INSERT run by ``executemany``; PostgreSQL: ``COPY`` via asyncpg's
``copy_records_to_table``. Both run on the connection of the enclosing ``transaction()``, so a
million rows commit or roll back together with the rest of the transition.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.connection import get_connection
from tortoise.exceptions import IntegrityError

CHUNK = 50_000


def _integrity(exc: BaseException) -> bool:
    """A constraint refused the rows (sqlite3.IntegrityError, asyncpg's integrity violations)."""
    return any(cls.__name__ in ("IntegrityError", "IntegrityConstraintViolationError") for cls in type(exc).__mro__)


async def insert_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order, values already in database form)."""
    if not rows:
        return 0
    conn = get_connection("default")
    dialect = conn.capabilities.dialect
    try:
        async with conn.acquire_connection() as raw:
            if dialect == "postgres":
                for start in range(0, len(rows), CHUNK * 4):
                    await raw.copy_records_to_table(table, records=rows[start:start + CHUNK * 4], columns=list(columns))
            else:
                marks = ", ".join("?" for _ in columns)
                sql = f'INSERT INTO "{table}" ({", ".join(f"{c!s}" for c in columns)}) VALUES ({marks})'
                for start in range(0, len(rows), CHUNK):
                    await raw.executemany(sql, rows[start:start + CHUNK])
    except Exception as exc:
        if _integrity(exc):  # one exception type for services, whatever the driver
            raise IntegrityError(exc) from exc
        raise
    return len(rows)


async def update_where_in(table: str, assignments: str, column: str, values: Sequence[Any], *, extra: str = "") -> int:
    """``UPDATE table SET assignments WHERE column IN (values) [AND extra]``, in chunks, on the
    current transaction's connection. ``assignments`` and ``extra`` are fixed SQL written by us
    (never user text); the values are bound parameters."""
    if not values:
        return 0
    conn = get_connection("default")
    postgres = conn.capabilities.dialect == "postgres"
    total = 0
    for start in range(0, len(values), 900):
        chunk = list(values[start:start + 900])
        marks = ", ".join(f"${i + 1}" if postgres else "?" for i in range(len(chunk)))
        sql = f'UPDATE "{table}" SET {assignments} WHERE "{column}" IN ({marks})' + (f" AND {extra}" if extra else "")
        total += (await conn.execute_query(sql, chunk))[0]
    return total
