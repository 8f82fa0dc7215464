"""Schema migrations upgrade an existing database that holds data (in a child process, so that
tortoise's global state never mixes with the test session's database)."""
from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dbsupport import BACKEND, PG_ADMIN_URL, _pg, database_url, scratch_name  # noqa: F401

pytestmark = pytest.mark.db
ROOT = Path(__file__).resolve().parents[2]


def test_a_database_at_an_older_migration_is_upgraded_with_its_data(database_url: str, tmp_path: Path) -> None:
    if BACKEND == "sqlite":
        url = f"sqlite://{tmp_path / 'old.sqlite3'}"
    else:
        name = scratch_name("dividends_mig")
        asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
        url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    try:
        done = subprocess.run([sys.executable, "-m", "tests.dividends.migration_scenario", url], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
    finally:
        if BACKEND != "sqlite":
            asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
