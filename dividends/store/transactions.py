"""Transactions and low-level helpers for services (which do not import tortoise)."""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from tortoise.connection import get_connection
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

__all__ = ["IntegrityError", "transaction", "dialect"]


@contextlib.asynccontextmanager
async def transaction() -> AsyncIterator[None]:
    """One database transaction; every ORM call and bulk insert inside it uses it."""
    async with in_transaction("default"):
        yield


def dialect() -> str:
    return str(get_connection("default").capabilities.dialect)
