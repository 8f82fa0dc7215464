"""Opening the database: SQLite file by default, PostgreSQL when DATABASE_URL says so.

Schema changes go through tortoise's migrations (``dividends/store/migrations``); opening a
database applies the missing ones, so an existing database is upgraded in place.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from typing import Any

from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.migrations.api import migrate

DEFAULT_URL = "sqlite://dividends.sqlite3"
APP = "dividends"


def database_url(env: dict[str, str] | None = None) -> str:
    env = dict(os.environ) if env is None else env
    return env.get("DATABASE_URL") or DEFAULT_URL


def tortoise_config(url: str) -> dict[str, Any]:
    if url.startswith("postgresql://"):
        url = "postgres://" + url.removeprefix("postgresql://")
    return {
        "connections": {"default": url},
        "apps": {APP: {"models": ["dividends.store.models"], "migrations": "dividends.store.migrations",
                       "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


def dialect() -> str:
    """``sqlite`` or ``postgres`` for the open default connection."""
    return str(get_connection("default").capabilities.dialect)


async def open_database(url: str | None = None, *, upgrade: bool = True) -> None:
    """Connect (and bring the schema up to date unless ``upgrade`` is False)."""
    config = tortoise_config(url or database_url())
    if upgrade:
        # the migration API initialises apps for schema work only; open them for queries after
        await migrate(config=config)
        await Tortoise.close_connections()
    await Tortoise.init(config=config)
    if dialect() == "sqlite":
        conn = get_connection("default")
        # WAL lets readers (web pages) run while a run is being written; FULL sync for money.
        await conn.execute_script("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")


async def close_database() -> None:
    await Tortoise.close_connections()


@contextlib.asynccontextmanager
async def database(url: str | None = None, *, upgrade: bool = True) -> AsyncIterator[None]:
    await open_database(url, upgrade=upgrade)
    try:
        yield
    finally:
        await close_database()
