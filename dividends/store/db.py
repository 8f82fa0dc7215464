"""Opening the database: SQLite file by default, PostgreSQL when DATABASE_URL says so.

Schema changes go through tortoise's migrations (``dividends/store/migrations``); opening a
database applies the missing ones, so an existing database is upgraded in place.
"""
from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from collections.abc import AsyncIterator, Mapping
from typing import Any

from tortoise import Tortoise
from tortoise.connection import get_connection
from tortoise.exceptions import DBConnectionError, OperationalError
from tortoise.migrations.api import migrate

from dividends.settings import DEFAULT_DATABASE_URL, read_environment
from schemes.i18n import Msg, load_catalog
from schemes.problems import InputError, Problem

load_catalog(Path(__file__).parents[1] / "locale", "dividends")

DEFAULT_URL = DEFAULT_DATABASE_URL
APP = "dividends"


def database_url(env: Mapping[str, str] | None = None) -> str:
    """``DATABASE_URL`` of ``env`` (default: the settings' environment over ``.env``)."""
    env = read_environment() if env is None else env
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


def migration_config(url: str) -> dict[str, Any]:
    """The configuration migrations run with. On SQLite, foreign keys are off while migrating:
    a migration that changes a column rebuilds the table (copy, drop, rename, SQLite's own
    procedure), and dropping a table that others reference (village, run: ledger entries point
    at them) fails with foreign keys on. :func:`_check_foreign_keys` checks afterwards."""
    if url.startswith("sqlite://"):
        url += ("&" if "?" in url else "?") + "foreign_keys=OFF"
    return tortoise_config(url)


async def _check_foreign_keys() -> None:
    broken = await get_connection("default").execute_query_dict("PRAGMA foreign_key_check")
    if broken:
        raise OperationalError(f"foreign keys broken after migrating: {broken[:5]}")


def dialect() -> str:
    """``sqlite`` or ``postgres`` for the open default connection."""
    return str(get_connection("default").capabilities.dialect)


def shown_url(url: str) -> str:
    """The URL with any password hidden."""
    return re.sub(r"(//[^:/@]+):[^@]*@", r"\1:****@", url)


async def open_database(url: str | None = None, *, upgrade: bool = True) -> None:
    """Connect (and bring the schema up to date unless ``upgrade`` is False). A database that
    cannot be reached or opened is reported with its (password-less) URL, not a traceback."""
    url = url or database_url()
    config = tortoise_config(url)
    if url.startswith("sqlite://"):
        # aiosqlite never returns from a connect that fails in its thread: check the place first
        path = Path(url.removeprefix("sqlite://").split("?", 1)[0])
        if str(path) != ":memory:" and not (path.parent.is_dir() and os.access(path.parent, os.W_OK)):
            raise InputError([Problem(Msg("db.unavailable", url=url, detail=f"no writable directory {path.parent}"))])
    try:
        if upgrade:
            # the migration API initialises apps for schema work only; open them for queries after
            await migrate(config=migration_config(url))
            if url.startswith("sqlite://"):
                await _check_foreign_keys()
            await Tortoise.close_connections()
        await Tortoise.init(config=config)
    except (OSError, ConnectionError, DBConnectionError, OperationalError) as exc:
        await Tortoise.close_connections()
        raise InputError([Problem(Msg("db.unavailable", url=shown_url(url), detail=f"{type(exc).__name__}: {exc}"))]) from None
    except Exception as exc:  # asyncpg: unknown database, wrong password...
        if type(exc).__module__.startswith("asyncpg"):
            await Tortoise.close_connections()
            raise InputError([Problem(Msg("db.unavailable", url=shown_url(url), detail=f"{type(exc).__name__}: {exc}"))]) from None
        raise
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
