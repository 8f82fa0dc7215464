"""Backups that restore (issue 8, item 8): ``dividends backup`` copies the SQLite database while
it is open (the online backup API), ``dividends restore`` checks a backup before it replaces
anything, and a backup taken mid-lifecycle (one run approved, another paid) restores with its
ledgers and every audit pack still verifying."""
from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dividends import payouts, runs
from dividends.auditpack import build_pack, verify_pack
from dividends.clock import FixedClock
from dividends.imports import import_registry
from dividends.store import guards
from tests.dbsupport import BACKEND, clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.support import sample_files
from tests.people import Person, cli, person

pytestmark = pytest.mark.db
sqlite_only = pytest.mark.skipif(BACKEND != "sqlite", reason="the backup command is SQLite's; PostgreSQL uses pg_dump")


async def mid_lifecycle(tmp_path: Path) -> tuple[int, int]:
    """Two villages: V0001's run approved and paid (a batch at the bank), V0002's approved."""
    clock = FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))
    files = sample_files(tmp_path / "reg", households=12, villages=2, seed=3)
    await import_registry(files.households, period=2024, actor="accountant", posts=files.posts,
                          members=files.members, reference_date=date(2025, 1, 1))
    made = []
    for village in ("V0001", "V0002"):
        run = await runs.create_run(village, 2024, "shareholding", "accountant", amount_yuan="50000")
        await runs.compute_run(run.id, "accountant", clock)
        await runs.publicize(run.id, date(2025, 1, 6), date(2025, 1, 12), "accountant", clock)
        made.append(run.id)
    clock.advance(days=7)
    for run_id in made:
        await runs.approve(run_id, "chair", clock)
    await payouts.pay(made[0], "accountant", clock=clock)
    return made[0], made[1]


def restore(who: Person, backup: Path, target: Path, *args: str):  # type: ignore[no-untyped-def]
    return cli(who, "restore", str(backup), *args, env={"DATABASE_URL": f"sqlite://{target}"})


@sqlite_only
async def test_a_backup_taken_mid_lifecycle_restores_and_its_books_and_packs_verify(clean_db: str, tmp_path: Path) -> None:
    paid, approved = await mid_lifecycle(tmp_path)
    admin = await person("root", "admin")
    accountant = await person("acc1", "accountant", village="V0001")
    packs = {run_id: await build_pack(run_id) for run_id in (paid, approved)}
    live = {"DATABASE_URL": clean_db}

    refused = cli(accountant, "backup", str(tmp_path / "b.sqlite3"), env=live)
    assert refused.returncode == 5 and "may not" in refused.stderr, refused.stderr
    backup = tmp_path / "kept" / "backup.sqlite3"
    done = cli(admin, "backup", str(backup), env=live)  # this process keeps the database open meanwhile
    assert done.returncode == 0, done.stderr
    assert "backed up to" in done.stdout and "personal data" in done.stdout
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert not Path(f"{backup}-wal").exists()  # one self-contained file

    # the live database moves on after the backup: the restored one is the state of the backup
    await payouts.pay(approved, "accountant", clock=FixedClock(datetime(2025, 1, 14, 2, 0, tzinfo=UTC)))

    target = tmp_path / "new-machine" / "dividends.sqlite3"  # an empty machine: sign in to the backup
    assert restore(accountant, backup, target).returncode == 5
    assert not target.exists()
    restored = restore(admin, backup, target)
    assert restored.returncode == 0, restored.stderr
    assert "ledgers of 2 villages" in restored.stdout and "verify" in restored.stdout, restored.stdout
    assert sorted(p.name for p in target.parent.iterdir()) == ["dividends.sqlite3"]  # no working copy left

    on_target = {"DATABASE_URL": f"sqlite://{target}"}
    verified = cli(admin, "ledger", "verify", env=on_target)
    assert verified.returncode == 0 and "ledger verified: 2 villages" in verified.stdout, verified.stdout + verified.stderr
    states = dict(sqlite3.connect(target).execute("SELECT id, state FROM run").fetchall())
    assert states == {paid: "paid", approved: "approved"}  # as at the backup, not as the live one now
    for run_id, before in packs.items():
        pack = tmp_path / f"pack-{run_id}.zip"
        written = cli(admin, "run", "pack", str(run_id), "--out", str(pack), env=on_target)
        assert written.returncode == 0, written.stderr
        checked = verify_pack(pack)
        assert checked.ok, checked
        assert pack.read_bytes() == before  # the same pack as before the backup, byte for byte

    # a database that holds data is overwritten only when told to
    again = restore(admin, backup, target)
    assert again.returncode == 2 and "--replace" in again.stderr, again.stderr
    assert restore(admin, backup, target, "--replace").returncode == 0
    audit = sqlite3.connect(target).execute(
        "SELECT actor, action FROM audit_event WHERE object_type = 'database' ORDER BY id").fetchall()
    assert audit == [("root", "database.backup"), ("root", "database.restore")]


def _edit(path: Path, *sql: str) -> None:
    conn = sqlite3.connect(path)
    try:
        for statement in sql:
            conn.executescript(statement)
        conn.commit()
    finally:
        conn.close()


@sqlite_only
async def test_a_backup_that_fails_a_check_replaces_nothing(clean_db: str, tmp_path: Path) -> None:
    await mid_lifecycle(tmp_path)
    admin = await person("root", "admin")
    backup = tmp_path / "backup.sqlite3"
    assert cli(admin, "backup", str(backup), env={"DATABASE_URL": clean_db}).returncode == 0
    target = tmp_path / "target" / "dividends.sqlite3"

    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database at all" * 100)
    refused = restore(admin, garbage, target)
    assert refused.returncode == 2 and "not a readable SQLite database backup" in refused.stderr, refused.stderr

    newer = tmp_path / "newer.sqlite3"
    newer.write_bytes(backup.read_bytes())
    _edit(newer, "INSERT INTO tortoise_migrations (app, name, applied_at) VALUES ('dividends', '0099_future', '2030-01-01')")
    refused = restore(admin, newer, target)
    assert refused.returncode == 2 and "newer version" in refused.stderr and "0099_future" in refused.stderr

    rewritten = tmp_path / "rewritten.sqlite3"  # books edited behind the guards' back
    rewritten.write_bytes(backup.read_bytes())
    _edit(rewritten, guards.drop_sql("sqlite"), "UPDATE ledger_posting SET amount_fen = amount_fen + 1 WHERE id = 1",
          guards.create_sql("sqlite"))
    refused = restore(admin, rewritten, target)
    assert refused.returncode == 2 and "do not verify" in refused.stderr, refused.stderr
    assert not target.exists() and list(target.parent.iterdir()) == []  # nothing written, no copy left


@sqlite_only
async def test_a_backup_of_an_earlier_version_is_upgraded_when_restored(clean_db: str, tmp_path: Path) -> None:
    """A backup written before the ledger guards and the snapshot format (migrations 0008, 0009)
    restores: the restore applies the missing migrations to its working copy, the guards then hold
    in the restored database, its snapshots are read as csv-v1 and its packs verify."""
    paid, _ = await mid_lifecycle(tmp_path)
    admin = await person("root", "admin")
    backup = tmp_path / "backup.sqlite3"
    assert cli(admin, "backup", str(backup), env={"DATABASE_URL": clean_db}).returncode == 0
    _edit(backup, guards.drop_sql("sqlite"), "ALTER TABLE registry_snapshot DROP COLUMN format",
          "DELETE FROM tortoise_migrations WHERE name IN ('0008_ledger_guards', '0010_snapshot_format')")
    target = tmp_path / "target.sqlite3"
    restored = restore(admin, backup, target)
    assert restored.returncode == 0, restored.stderr
    conn = sqlite3.connect(target)
    assert conn.execute("SELECT count(*) FROM tortoise_migrations WHERE name IN "
                        "('0008_ledger_guards', '0010_snapshot_format')").fetchone() == (2,)
    assert conn.execute("SELECT DISTINCT format FROM registry_snapshot").fetchall() == [("csv-v1",)]
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE ledger_entry SET narration = 'edited'")
    conn.close()
    pack = tmp_path / "pack.zip"
    assert cli(admin, "run", "pack", str(paid), "--out", str(pack), env={"DATABASE_URL": f"sqlite://{target}"}).returncode == 0
    assert verify_pack(pack).ok


async def test_a_snapshot_in_a_format_this_version_does_not_know_is_refused(clean_db: str, tmp_path: Path) -> None:
    """Snapshots record their stored format; one this version cannot read is refused, named,
    instead of being misread (a database restored from a newer version)."""
    from dividends.store.snapshot_format import FORMAT
    from dividends.store.queries import fetch
    from dividends.store.registry import SNAPSHOT_FORMATS
    from schemes.problems import InputError

    paid, _ = await mid_lifecycle(tmp_path)
    assert FORMAT in SNAPSHOT_FORMATS
    assert [r["format"] for r in await fetch("SELECT DISTINCT format FROM registry_snapshot")] == [FORMAT]
    await build_pack(paid)
    from tortoise.connection import get_connection
    await get_connection("default").execute_script("UPDATE registry_snapshot SET format = 'csv-v9'")
    with pytest.raises(InputError) as refused:
        await build_pack(paid)
    text = refused.value.problems[0].text("en")
    assert "'csv-v9'" in text and "reads only csv-v1" in text and "version 1" in text, text


async def test_postgres_is_backed_up_with_its_own_tools(clean_db: str, tmp_path: Path) -> None:
    admin = await person("root", "admin")
    out = tmp_path / "backup.sqlite3"
    if BACKEND == "sqlite":
        pytest.skip("the refusal is PostgreSQL's")
    refused = cli(admin, "backup", str(out), env={"DATABASE_URL": clean_db})
    assert refused.returncode == 2 and "pg_dump" in refused.stderr and "README" in refused.stderr, refused.stderr
    assert not out.exists()
    refused = cli(admin, "restore", str(out), env={"DATABASE_URL": clean_db})
    assert refused.returncode == 2 and "pg_restore" in refused.stderr, refused.stderr


async def test_a_postgres_dump_taken_mid_lifecycle_restores_as_the_readme_says(clean_db: str, tmp_path: Path) -> None:
    """The README's procedure: pg_dump (custom format, --no-owner) while the app holds the
    database open, pg_restore into a new database; ledger verify passes, every audit pack is the
    same byte for byte, and the ledger guards hold in the restored database."""
    import shutil
    import subprocess

    from tests.dbsupport import _pg
    if BACKEND != "postgres":
        pytest.skip("pg_dump/pg_restore are PostgreSQL's")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore not installed")
    paid, approved = await mid_lifecycle(tmp_path)
    admin = await person("root", "admin")
    packs = {run_id: await build_pack(run_id) for run_id in (paid, approved)}
    dump = tmp_path / "dividends.dump"
    dumped = subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", clean_db],
                            capture_output=True, text=True, timeout=180)
    assert dumped.returncode == 0, dumped.stderr
    name = f"{clean_db.rsplit('/', 1)[1]}_restored"
    await _pg(f'CREATE DATABASE "{name}"')
    try:
        url = f"{clean_db.rsplit('/', 1)[0]}/{name}"
        restored = subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction",
                                   f"--dbname={url}", str(dump)], capture_output=True, text=True, timeout=180)
        assert restored.returncode == 0, restored.stderr
        on_restored = {"DATABASE_URL": url}
        verified = cli(admin, "ledger", "verify", env=on_restored)
        assert verified.returncode == 0 and "ledger verified: 2 villages" in verified.stdout, verified.stdout + verified.stderr
        for run_id, before in packs.items():
            pack = tmp_path / f"pack-{run_id}.zip"
            written = cli(admin, "run", "pack", str(run_id), "--out", str(pack), env=on_restored)
            assert written.returncode == 0, written.stderr
            assert verify_pack(pack).ok and pack.read_bytes() == before
        import asyncpg
        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1), timeout=10)
        try:
            with pytest.raises(Exception, match="append-only"):
                await conn.execute("UPDATE ledger_entry SET narration = 'edited'")
        finally:
            await conn.close()
    finally:
        await _pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
