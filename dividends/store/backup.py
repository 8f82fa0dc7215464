"""Copies of a SQLite database that restore: SQLite's online backup API, and the checks a
backup passes before it replaces a database.

The backup API copies the pages of a database while others keep reading and writing it (the web
app, a worker): the copy is one consistent state, as of one moment, never half a transaction.
PostgreSQL is backed up with its own tools (``pg_dump``/``pg_restore``, see the README).
"""
from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from tortoise.connection import get_connection

from schemes.i18n import Msg, load_catalog
from schemes.problems import InputError, Problem

load_catalog(Path(__file__).parents[1] / "locale", "dividends")

APP = "dividends"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: Tables whose rows make a database "not empty" (restoring over it needs ``--replace``).
CONTENT_TABLES = ("app_user", "village", "run", "ledger_entry", "registry_import")


def known_migrations() -> list[str]:
    """The migrations this version of the program has (their module names, in order)."""
    return sorted(p.stem for p in MIGRATIONS.glob("[0-9]*.py"))


def sqlite_file() -> Path | None:
    """The file of the open default connection, or None when it is not SQLite (PostgreSQL)."""
    conn = get_connection("default")
    if conn.capabilities.dialect != "sqlite":
        return None
    return Path(conn.filename)  # type: ignore[attr-defined]


def _problem(key: str, **params: object) -> InputError:
    return InputError([Problem(Msg(key, **params))])


@contextlib.contextmanager
def _connect(path: Path, *, readonly: bool = False) -> Iterator[sqlite3.Connection]:
    uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    conn = sqlite3.connect(uri, uri=True, timeout=30)
    try:
        yield conn
    finally:
        conn.close()


def copy(source: Path, out: Path) -> int:
    """Copy the database ``source`` to ``out`` with the online backup API (a consistent copy
    while the app keeps running); ``out`` is written next to itself first, then renamed, and
    created with mode 0600 (it holds personal data). Returns the size in bytes."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
    try:
        with _connect(source) as src, _connect(partial) as dst:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return out.stat().st_size


def inspect(path: Path) -> list[str]:
    """Check that ``path`` is a sound backup of this program's database that this version can
    open: SQLite opens it, its integrity check passes, and it has no migration this version
    does not know (an older backup is fine: opening it applies the missing ones). Returns the
    migrations it has; raises a located input error otherwise."""
    if not path.is_file():
        raise _problem("backup.not_sqlite", path=str(path), detail="no such file")
    try:
        with _connect(path, readonly=True) as conn:
            check = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
            if check != ["ok"]:
                raise _problem("backup.damaged", path=str(path), detail="; ".join(map(str, check[:3])))
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "tortoise_migrations" not in tables:
                raise _problem("backup.no_schema", path=str(path))
            applied = [row[0] for row in conn.execute(
                "SELECT name FROM tortoise_migrations WHERE app = ? ORDER BY name", (APP,))]
    except sqlite3.DatabaseError as exc:
        raise _problem("backup.not_sqlite", path=str(path), detail=str(exc)) from None
    if not applied:
        raise _problem("backup.no_schema", path=str(path))
    unknown = sorted(set(applied) - set(known_migrations()))
    if unknown:
        raise _problem("backup.newer", path=str(path), names=", ".join(unknown))
    return applied


async def applied_migrations() -> list[str]:
    """The migrations recorded in the open database."""
    rows = await get_connection("default").execute_query_dict(
        "SELECT name FROM tortoise_migrations WHERE app = 'dividends' ORDER BY name")
    return [str(r["name"]) for r in rows]


def has_content(path: Path) -> bool:
    """Whether the database file ``path`` holds anything worth keeping (users, villages, runs,
    ledger entries, imports); a missing file or a freshly migrated empty one does not."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    try:
        with _connect(path) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            return any(conn.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone()  # noqa: S608 - our own names
                       for t in CONTENT_TABLES if t in tables)
    except sqlite3.DatabaseError:
        return True  # something that is not an empty database: never overwrite it silently


def staging_copy(backup: Path, target: Path) -> Path:
    """A private working copy of ``backup`` next to ``target`` (the checks and the upgrade
    run on it, never on the backup itself)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".restoring")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{staged}{suffix}").unlink(missing_ok=True)
    copy(backup, staged)
    return staged


def replace(staged: Path, target: Path) -> int:
    """Write the checked copy ``staged`` over ``target`` with the backup API (under the target's
    own lock, so a reader never sees half of it), then remove ``staged``. Returns the size."""
    if not target.exists():
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
    with _connect(staged) as src, _connect(target) as dst:
        src.backup(dst)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{staged}{suffix}").unlink(missing_ok=True)
    return target.stat().st_size


def discard(staged: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{staged}{suffix}").unlink(missing_ok=True)


def sqlite_path(url: str) -> Path | None:
    """The file a ``sqlite://`` database URL names (None for PostgreSQL)."""
    if not url.startswith("sqlite://"):
        return None
    return Path(url.removeprefix("sqlite://").split("?", 1)[0])
