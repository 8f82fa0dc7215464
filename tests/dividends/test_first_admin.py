"""Issue 8 item 2: the first administrator of an empty database, created without signing in,
exactly once — even when two offices type ``user add NAME --role admin`` at the same moment."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dividends import access
from dividends.refusals import refuse
from dividends.store import places
from dividends.usecases import users
from schemes.problems import InputError
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)

pytestmark = pytest.mark.db
ROOT = Path(__file__).resolve().parents[2]


async def _try(name: str) -> str:
    try:
        await users.bootstrap_admin(name, "a long password 1")
    except InputError as error:
        return error.problems[0].msg.key
    return "created"


async def test_two_concurrent_first_admins_make_one(clean_db) -> None:  # type: ignore[no-untyped-def]
    # both pass the "no users yet" check before either is written (hashing the password yields)
    got = await asyncio.gather(*(_try(f"root{k}") for k in range(4)))
    assert sorted(got) == ["created"] + ["users.bootstrap_done"] * 3, got
    assert await places.user_count() == 1
    assert not await users.needs_bootstrap()
    assert await _try("late") == "users.bootstrap_done"


async def test_the_marker_holds_even_when_the_users_check_is_passed(clean_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    async def always_empty() -> bool:  # as if every caller read the count before anyone wrote
        return True
    monkeypatch.setattr(users, "needs_bootstrap", always_empty)
    assert await _try("root1") == "created"
    assert await _try("root2") == "users.bootstrap_done"
    assert [u.username for u in await places.all_users()] == ["root1"]


async def test_a_failed_first_admin_leaves_the_database_open_for_the_next(clean_db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError):
        await users.bootstrap_admin("bad name with spaces", "a long password 1")
    with pytest.raises(InputError):
        await users.bootstrap_admin("root", "short")
    assert await users.needs_bootstrap()
    assert await _try("root") == "created"
    assert (await access.actor_named("root")).role == "admin"  # type: ignore[union-attr]


def test_bootstrap_done_is_a_translated_refusal() -> None:
    error = refuse("users.bootstrap_done")
    assert "sign in as an administrator" in error.problems[0].msg.text("en")
    assert "请以管理员身份登录" in error.problems[0].msg.text("zh")


async def test_two_cli_processes_at_once_create_one_admin(clean_db: str) -> None:
    env = {**os.environ, "DATABASE_URL": clean_db, "DIVIDENDS_LANG": "en", "COLUMNS": "200"}
    for name in ("DIVIDENDS_TOKEN", "DIVIDENDS_PASSWORD", "DIVIDENDS_DEBUG"):
        env.pop(name, None)
    started = [subprocess.Popen([sys.executable, "-m", "dividends", "user", "add", f"root{k}", "--role", "admin",
                                 "--password-stdin"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT) for k in range(2)]
    done = [p.communicate("a long password 1\n", timeout=120) for p in started]
    codes = sorted(p.returncode for p in started)
    assert codes[0] == 0 and codes[1] != 0, done
    assert sum("created" in out for out, _ in done) == 1, done
    assert await places.user_count() == 1
