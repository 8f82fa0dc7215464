"""Database fixtures for tests that need one: SQLite (default) or PostgreSQL.

One backend per pytest process (tortoise caches SQL per connection name, so SQLite and
PostgreSQL cannot share one process): ``TEST_DATABASE=postgres pytest -m db`` runs the same
database tests on PostgreSQL. Outside CI a missing PostgreSQL server skips them with the reason;
with ``CI=true`` it fails.
"""
from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

BACKEND = os.environ.get("TEST_DATABASE", "sqlite")
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")


def worker() -> str:
    """This pytest-xdist worker's id (``gw0``, ``gw1``, ...; ``main`` without xdist): in the name of
    every database a test session creates, so parallel workers never share one (their temporary
    directories, and so their SQLite files, are per worker already)."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def scratch_name(prefix: str) -> str:
    """A fresh PostgreSQL database name of this worker: ``<prefix>_<worker>_<random>``."""
    return f"{prefix}_{worker()}_{secrets.token_hex(4)}"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


async def _pg(sql: str) -> None:
    import asyncpg
    conn = await asyncpg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://", 1), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def pg_reachable() -> str | None:
    try:
        asyncio.run(_pg("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(exc).__name__}: {exc}"
    return None


# backend -> the migrated template of this process. Every test module imports the fixtures below
# (``from tests.dbsupport import clean_db, database_url, db``), and pytest keys a fixture by where it
# is defined: each module has a session fixture ``database_url`` of its own, which without this
# cache migrated a template per module (4 s of CPU each, 25-45 s under a loaded CI machine).
_TEMPLATES: dict[str, str] = {}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> str:
    """A fresh, empty, migrated template database for this test session (one per process, so one
    per xdist worker); dropped at the end of the session.
    Tests that need a database get their own copy of it (``clean_db``): the ledger tables refuse
    DELETE and TRUNCATE (migration 0005), so no fixture empties tables."""
    if BACKEND in _TEMPLATES:
        return _TEMPLATES[BACKEND]
    if BACKEND == "sqlite":
        url = f"sqlite://{tmp_path_factory.mktemp(f'db-{worker()}') / 'template.sqlite3'}"
        asyncio.run(_migrate(url))
        _TEMPLATES[BACKEND] = url
        return url
    reason = pg_reachable()
    if reason is not None:
        if _in_ci():
            pytest.fail(f"PostgreSQL is required in CI but unreachable at {PG_ADMIN_URL}: {reason}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL} ({reason}); set TEST_POSTGRES_URL")
    name = scratch_name("dividends_test")
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        _TEMPLATES.pop(BACKEND, None)
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    request.addfinalizer(drop)  # a session fixture: at the end of the session
    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    asyncio.run(_migrate(url))
    _TEMPLATES[BACKEND] = url
    return url


async def _migrate(url: str) -> None:
    from dividends.store.db import close_database, open_database
    await open_database(url)
    await close_database()


@pytest.fixture(scope="session")
def db(database_url: str) -> str:
    """The session's template database (migrated, never opened by tests: use ``clean_db``)."""
    return database_url


@asynccontextmanager
async def database_copy(template: str, tmp: Path) -> AsyncIterator[str]:
    """A copy of the (closed) database ``template``, not opened; dropped afterwards. On SQLite the
    file is copied into ``tmp``, on PostgreSQL ``CREATE DATABASE ... TEMPLATE`` (its name starts
    with the template's, so it carries the worker id too)."""
    if BACKEND == "sqlite":
        path = tmp / f"copy-{secrets.token_hex(3)}.sqlite3"
        shutil.copyfile(template.removeprefix("sqlite://"), path)
        yield f"sqlite://{path}"
        return
    base, source = template.rsplit("/", 1)
    name = f"{source}_{secrets.token_hex(3)}"
    await _pg(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    try:
        yield f"{base}/{name}"
    finally:
        await _pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def opened_copy(template: str, tmp: Path) -> AsyncIterator[str]:
    """A copy of ``template`` opened (tortoise) for the block; its URL is yielded for child processes."""
    from dividends.store.db import close_database, open_database
    async with database_copy(template, tmp) as url:
        await open_database(url, upgrade=False)
        try:
            yield url
        finally:
            await close_database()


@pytest.fixture
async def clean_db(db: str, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh database for one test, copied from the session's template: on SQLite the
    template file is copied, on PostgreSQL ``CREATE DATABASE ... TEMPLATE``. The test's
    database is opened (tortoise) and its URL yielded for child processes."""
    async with opened_copy(db, tmp_path) as url:
        yield url


def cli_env(database_url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url}


ROOT = Path(__file__).resolve().parent.parent
