"""Backing up and restoring the database (administrators only: a backup holds every village's
books and personal data).

- :func:`backup` copies the open SQLite database with the online backup API while the app
  keeps running; on PostgreSQL it refuses and points to the README (``pg_dump``).
- Restoring is three steps, each a function here, because it involves two databases: the one
  to replace and a working copy of the backup. :func:`may_restore` (on whichever database the
  administrator signed in to) refuses to overwrite a database that holds anything unless told
  to; :func:`check_restorable` (on the working copy, after opening it applied any missing
  migrations) requires the migrations to be current and every ledger to verify, and records the
  restore in the copy's audit trail; only then does the caller replace the database.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from dividends import ledger
from dividends.actors import Actor
from dividends.policy import allow
from dividends.refusals import refuse
from dividends.store import audit
from dividends.store import backup as backup_store
from dividends.store import ledger as ledger_store
from dividends.store import transactions
from schemes.i18n import load_catalog

load_catalog(Path(__file__).parents[1] / "locale", "dividends")


@dataclass(frozen=True)
class Restorable:
    """What the checks found in a backup that may be restored."""

    migrations: int
    villages: int
    entries: int


async def backup(actor: Actor, out: Path) -> int:
    """Copy the open database to ``out`` (mode 0600); returns its size in bytes. The backup
    records who took it (an audit event written just before the copy)."""
    allow(actor, "database.backup")
    source = backup_store.sqlite_file()
    if source is None:
        raise refuse("backup.postgres")
    async with transactions.transaction():
        await audit.record(actor.username, "database.backup", "database", source.name, file=str(out))
    return await asyncio.to_thread(backup_store.copy, source, out)


def may_restore(actor: Actor, target: str, *, target_has_data: bool, replace: bool) -> None:
    """The administrator may restore over ``target``: refused for other roles, and over a
    database that holds data unless ``replace``."""
    allow(actor, "database.restore")
    if target_has_data and not replace:
        raise refuse("backup.not_empty", target=target)


async def check_restorable(actor: Actor, backup: str) -> Restorable:
    """On the open working copy of a backup (opened with the migrations applied): its
    migrations are those of this version and every village's ledger verifies (entries balance,
    chains and heads intact). Records the restore in the copy's audit trail."""
    allow(actor, "database.restore")
    known = backup_store.known_migrations()
    applied = await backup_store.applied_migrations()
    missing = sorted(set(known) - set(applied))
    if missing:
        raise refuse("backup.migrations_behind", names=", ".join(missing))
    entries = await ledger_store.entries_by_village()
    errors = ledger.verify(entries, await ledger_store.heads(), every_head=True)
    if errors:
        raise refuse("backup.ledger_bad", errors="; ".join(e.text() for e in errors[:5]))
    async with transactions.transaction():
        await audit.record(actor.username, "database.restore", "database", Path(backup).name, file=backup)
    return Restorable(len(applied), len(entries), sum(len(v) for v in entries.values()))
