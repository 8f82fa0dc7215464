"""The database itself refuses to rewrite the books (migration 0008), and a signed checkpoint
kept outside the database detects a rewrite of entries and head together (triggers dropped)."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from tortoise.connection import get_connection
from tortoise.transactions import in_transaction

from dividends import ledger
from dividends.ledger.entries import postings_of
from dividends.store import guards
from dividends.store import ledger as ledger_store
from dividends.store.models import Village
from tests.dbsupport import BACKEND, ROOT, clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.people import Person, person

pytestmark = pytest.mark.db
KEY = "county-keeps-this-key-0123456789"


def _draft(village: str, ref: str, fen: int, narration: str = "") -> ledger.EntryDraft:
    return ledger.EntryDraft(village, date(2025, 1, 20), "return", "", ref, narration,
                             postings_of([(f"Assets:Bank:{village}", fen), (f"Income:AssetReturn:{village}", -fen)]))


async def books() -> Village:
    """Two villages with two entries each."""
    conn = get_connection("default")
    await conn.execute_script("INSERT INTO county (code, name) VALUES ('C1', '沂南县');"
                              "INSERT INTO village (county_id, code, name) VALUES (1, 'V1', '一村');"
                              "INSERT INTO village (county_id, code, name) VALUES (1, 'V2', '二村');")
    for code in ("V1", "V2"):
        village = await Village.get(code=code)
        async with in_transaction():
            await ledger_store.append(village, [_draft(code, f"{code}:a", 100)], run_id=None)
        async with in_transaction():
            await ledger_store.append(village, [_draft(code, f"{code}:b", 250)], run_id=None)
    return await Village.get(code="V1")


REFUSED = [
    "UPDATE ledger_entry SET narration = 'edited' WHERE seq = 1",
    "UPDATE ledger_entry SET hash = prev_hash",
    "DELETE FROM ledger_entry WHERE seq = 2",
    "UPDATE ledger_posting SET amount_fen = amount_fen * 2",
    "DELETE FROM ledger_posting",
    "DELETE FROM ledger_head",
    "UPDATE ledger_head SET seq = 1",                       # moving the head back
    "UPDATE ledger_head SET hash = '" + "0" * 64 + "'",     # same seq, another hash
    "UPDATE ledger_head SET seq = seq + 1",                 # a head past the last entry
]


@pytest.mark.parametrize("sql", REFUSED + (["TRUNCATE ledger_entry CASCADE", "TRUNCATE ledger_posting",
                                            "TRUNCATE ledger_head"] if BACKEND == "postgres" else []))
async def test_raw_sql_cannot_rewrite_the_ledger(clean_db: str, sql: str) -> None:
    await books()
    before = await ledger_store.entries_by_village()
    heads = await ledger_store.heads()
    conn = get_connection("default")
    with pytest.raises(Exception) as refused:
        await conn.execute_script(sql)
    assert "append-only" in str(refused.value) or "may only advance" in str(refused.value) \
        or "last ledger entry" in str(refused.value), refused.value
    after = await ledger_store.entries_by_village()
    assert [(e.seq, e.hash, e.narration) for es in after.values() for e in es] == \
        [(e.seq, e.hash, e.narration) for es in before.values() for e in es]
    assert await ledger_store.heads() == heads
    assert ledger.verify(after, heads) == []


async def test_appending_still_advances_the_head(clean_db: str) -> None:
    village = await books()
    async with in_transaction():
        await ledger_store.append(village, [_draft("V1", "V1:c", 5), _draft("V1", "V1:d", 6)], run_id=None)
    heads = await ledger_store.heads()
    assert heads["V1"].seq == 4 and heads["V2"].seq == 2
    assert ledger.verify(await ledger_store.entries_by_village(), heads) == []


async def rewrite_chain(village_code: str, narration: str) -> None:
    """What someone with the database (and the triggers dropped) can do: change an entry and
    rehash the whole chain and its head, so that the in-database checks all pass."""
    conn = get_connection("default")
    dialect = conn.capabilities.dialect
    await conn.execute_script(guards.drop_sql(dialect))
    entries = (await ledger_store.entries_by_village([village_code]))[village_code]
    drafts = [ledger.EntryDraft(e.village_id, e.on, e.kind, e.run_id, e.ref, narration if e.seq == 1 else e.narration,
                                e.postings) for e in entries]
    mark = (lambda i: f"${i}") if dialect == "postgres" else (lambda i: "?")
    for new in ledger.chain(drafts, None):
        await conn.execute_query(f"UPDATE ledger_entry SET narration = {mark(1)}, prev_hash = {mark(2)}, hash = {mark(3)} "
                                 f"WHERE seq = {mark(4)} AND village_id = (SELECT id FROM village WHERE code = {mark(5)})",
                                 [new.narration, new.prev_hash, new.hash, new.seq, village_code])
        last = new
    await conn.execute_query(f"UPDATE ledger_head SET hash = {mark(1)} WHERE village_id = (SELECT id FROM village WHERE code = {mark(2)})",
                             [last.hash, village_code])
    await conn.execute_script(guards.create_sql(dialect))


def cli(url: str, *args: str, key: str | None = KEY, who: Person) -> subprocess.CompletedProcess[str]:
    """``dividends ARGS`` signed in with ``who``'s API token."""
    env = {**os.environ, "DATABASE_URL": url, "DIVIDENDS_LANG": "en", "COLUMNS": "200", **who.env}
    env.pop("LEDGER_CHECKPOINT_KEY", None)
    if key is not None:
        env["LEDGER_CHECKPOINT_KEY"] = key
    return subprocess.run([sys.executable, "-m", "dividends", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)


async def test_a_signed_checkpoint_detects_a_rewrite_of_entries_and_head(clean_db: str, tmp_path: Path) -> None:
    village = await books()
    admin = await person("county-admin", "admin", token=True)
    checkpoint = tmp_path / "county" / "checkpoint.json"
    written = cli(clean_db, "ledger", "checkpoint", "--out", str(checkpoint), who=admin)
    assert written.returncode == 0, written.stderr
    assert "checkpoint written" in written.stdout and checkpoint.exists()

    # the chain grows after the checkpoint: still agrees
    async with in_transaction():
        await ledger_store.append(village, [_draft("V1", "V1:c", 7)], run_id=None)
    fine = cli(clean_db, "ledger", "verify", "--against", str(checkpoint), who=admin)
    assert fine.returncode == 0, fine.stdout + fine.stderr
    assert "agrees with checkpoint" in fine.stdout

    await rewrite_chain("V1", "rewritten quietly")
    alone = cli(clean_db, "ledger", "verify", who=admin)
    assert alone.returncode == 0, alone.stdout  # the database's own head was rewritten too
    caught = cli(clean_db, "ledger", "verify", "--against", str(checkpoint), who=admin)
    assert caught.returncode == 1
    assert "village V1, entry #2" in caught.stdout and "rewritten" in caught.stdout
    assert "V2" not in caught.stdout.split("\n", 1)[1]  # the other village's chain is intact

    only_v2 = cli(clean_db, "ledger", "verify", "--against", str(checkpoint), "--village", "V2", who=admin)
    assert only_v2.returncode == 0, only_v2.stdout


async def test_a_checkpoint_is_trusted_only_with_its_key_and_unchanged(clean_db: str, tmp_path: Path) -> None:
    await books()
    admin = await person("county-admin", "admin", token=True)
    checkpoint = tmp_path / "checkpoint.json"
    assert cli(clean_db, "ledger", "checkpoint", "--out", str(checkpoint), who=admin).returncode == 0
    wrong_key = cli(clean_db, "ledger", "verify", "--against", str(checkpoint), key="another-key-of-16-chars", who=admin)
    assert wrong_key.returncode == 1 and "signature does not match" in wrong_key.stderr
    forged = tmp_path / "forged.json"
    forged.write_text(checkpoint.read_text().replace('"seq": 2', '"seq": 1', 1))
    changed = cli(clean_db, "ledger", "verify", "--against", str(forged), who=admin)
    assert changed.returncode == 1 and "signature does not match" in changed.stderr
    no_key = cli(clean_db, "ledger", "checkpoint", "--out", str(tmp_path / "x.json"), key=None, who=admin)
    assert no_key.returncode == 2 and "LEDGER_CHECKPOINT_KEY is not set" in no_key.stderr
    short = cli(clean_db, "ledger", "checkpoint", "--out", str(tmp_path / "x.json"), key="short", who=admin)
    assert short.returncode != 0 and "LEDGER_CHECKPOINT_KEY" in short.stdout + short.stderr
    # the county anchors the heads, not a village: an accountant may not write a checkpoint
    clerk = await person("clerk", "accountant", village="V1", token=True)
    refused = cli(clean_db, "ledger", "checkpoint", "--out", str(tmp_path / "y.json"), who=clerk)
    assert refused.returncode == 5 and not (tmp_path / "y.json").exists()
