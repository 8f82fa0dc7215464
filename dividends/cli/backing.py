"""``dividends backup OUT`` and ``dividends restore IN`` (administrators; SQLite — PostgreSQL
is backed up with pg_dump/pg_restore as the README describes).

Restoring checks before it replaces anything: the backup opens and passes SQLite's integrity
check, it was written by this version or an older one (its missing migrations are applied to a
working copy), and every village's ledger verifies. A database that holds data is replaced only
with ``--replace``. The administrator signs in to the database being replaced, or, when that
one is empty (a new machine), to the backup.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from dividends.cli.console import say
from dividends.cli.login import PasswordStdinOpt, UserOpt, as_user, credentials, sign_in
from dividends.refusals import refuse
from dividends.settings import load_settings
from dividends.store import backup as backup_store
from dividends.store.db import database
from dividends.usecases import backups
from schemes.i18n import load_catalog

load_catalog(Path(__file__).parents[1] / "locale", "dividends")


def backup(out_file: Annotated[Path, typer.Argument(help="the backup file to write (mode 0600)")],
           user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Back up the SQLite database while the app runs (administrators; PostgreSQL: see the README).

    SQLite's online backup API copies one consistent state to OUT (mode 0600)."""
    size = as_user(user, password_stdin, lambda actor: backups.backup(actor, out_file.resolve()))
    say("cli.backup.written", file=str(out_file), size=size)


def restore(in_file: Annotated[Path, typer.Argument(help="a backup written by dividends backup")],
            replace: Annotated[bool, typer.Option("--replace", help="overwrite a database that holds data")] = False,
            user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Restore a backup after checking it opens, its migrations and its ledgers (administrators).

    Replaces the database of DATABASE_URL once the backup opens, its migrations are current
    (older ones are upgraded) and every ledger verifies; a database that holds data is
    overwritten only with --replace."""
    url = load_settings().database_url
    target = backup_store.sqlite_path(url)
    if target is None:
        raise refuse("backup.postgres")
    backup_store.inspect(in_file)  # before anything is asked or written
    name, password = credentials(user, password_stdin)
    has_data = backup_store.has_content(target)

    async def main() -> backups.Restorable:
        actor = None
        if has_data:  # the administrator of the database being replaced decides
            async with database(url):
                actor = await sign_in(name, password)
                backups.may_restore(actor, str(target), target_has_data=True, replace=replace)
        staged = backup_store.staging_copy(in_file, target)
        try:
            async with database(f"sqlite://{staged}"):  # applies any missing migrations to the copy
                if actor is None:  # a new machine: an administrator of the backup restores it
                    actor = await sign_in(name, password)
                    backups.may_restore(actor, str(target), target_has_data=False, replace=replace)
                found = await backups.check_restorable(actor, str(in_file))
        except BaseException:
            backup_store.discard(staged)
            raise
        backup_store.replace(staged, target)
        return found

    found = asyncio.run(main())
    say("cli.backup.restored", file=str(in_file), target=str(target), migrations=found.migrations,
        villages=found.villages, entries=found.entries)
