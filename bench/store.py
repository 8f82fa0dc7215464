"""Benchmark of bulk writes (not a timed test): a 1,000,000-household run on SQLite and PostgreSQL.

    python bench/store.py                      # both backends, 1,000,000 households
    python bench/store.py --households 200000 --backend sqlite

For each backend (in its own process) it measures, on the same rows:
  1. the project's bulk path (dividends.store.bulk.insert_rows: executemany / COPY through
     tortoise's connection, inside one transaction) writing the run's allocation lines and its
     accrual postings into scratch tables, and
  2. the raw driver alone (aiosqlite executemany in one transaction / asyncpg COPY) doing the same,
and prints rows/s and the ratio (target: the project's path at least 50% of the raw driver).
It also times the real transitions on a 1,000,000-household village: registry import, compute
(allocation + 1M lines) and approval (ledger entry with 1M postings), each beside its floor:
  - registry import against reading and validating the same files (read_registry) plus the raw
    driver's bulk insert of the same household rows (every column) into a table with the
    household table's indexes (executemany in one transaction on SQLite, COPY on PostgreSQL);
    target 3x;
  - ``run compute`` on the stored snapshot (Parquet frames trusted by hash, snapshot format
    parquet-v2) against ``dividends compute`` on the files (compute + write the bundle, in the
    same process); target 1.5x.
Load average is printed with the figures: the machine is shared.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
HOUSEHOLDS_DDL = ("(id {id}, snapshot_id INTEGER, household_id TEXT, head_name TEXT, id_number TEXT, phone TEXT, "
                  "members INTEGER, able_members INTEGER, status TEXT, shares BIGINT, capital_fen BIGINT, "
                  "account_no TEXT, bank TEXT, language TEXT)")
HOUSEHOLD_COLUMNS = ["snapshot_id", "household_id", "head_name", "id_number", "phone", "members", "able_members",
                     "status", "shares", "capital_fen", "account_no", "bank", "language"]
HOUSEHOLD_INDEXES = ("CREATE UNIQUE INDEX {t}_sh ON {t} (snapshot_id, household_id); "
                     "CREATE INDEX {t}_id ON {t} (id_number); CREATE INDEX {t}_ph ON {t} (phone);")
SCRATCH = {  # the same columns as allocation_line and ledger_posting ({id} is the dialect's auto-increment key)
    "bench_lines": "(id {id}, run_id INTEGER, recipient_kind TEXT, recipient_id TEXT, amount_fen BIGINT, breakdown TEXT)",
    "bench_postings": "(id {id}, entry_id INTEGER, account TEXT, amount_fen BIGINT)",
}


async def raw_insert(url: str, table: str, columns: list[str], rows: list[tuple]) -> float:
    t = time.perf_counter()
    if url.startswith("sqlite"):
        import aiosqlite
        async with aiosqlite.connect(url.removeprefix("sqlite://"), isolation_level=None) as conn:
            await conn.execute("BEGIN")
            marks = ", ".join("?" for _ in columns)
            await conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
            await conn.execute("COMMIT")
    else:
        import asyncpg
        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        try:
            async with conn.transaction():
                await conn.copy_records_to_table(table, records=rows, columns=columns)
        finally:
            await conn.close()
    return time.perf_counter() - t


async def raw_households(url: str, files: dict[str, Path], rows_of) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """The import floor: read and validate the files, then the raw driver inserts the household rows
    (every column) into a fresh table with the household table's indexes. (read s, insert s)"""
    from dividends.registry import read_registry
    t = time.perf_counter()
    registry = read_registry(files["households"], posts=files["posts"], members=files["persons"],
                             reference_date=date(2025, 1, 1))
    rows = rows_of(registry.households)
    read_s = time.perf_counter() - t
    table = "bench_households"
    t = time.perf_counter()
    if url.startswith("sqlite"):
        import aiosqlite
        async with aiosqlite.connect(url.removeprefix("sqlite://"), isolation_level=None) as conn:
            await conn.execute("BEGIN")
            await conn.execute(f"DROP TABLE IF EXISTS {table}")
            await conn.execute(f"CREATE TABLE {table} {HOUSEHOLDS_DDL.format(id='INTEGER PRIMARY KEY')}")
            for statement in HOUSEHOLD_INDEXES.format(t=table).split(";"):
                if statement.strip():
                    await conn.execute(statement)
            marks = ", ".join("?" for _ in HOUSEHOLD_COLUMNS)
            await conn.executemany(f"INSERT INTO {table} ({', '.join(HOUSEHOLD_COLUMNS)}) VALUES ({marks})", rows)
            await conn.execute("COMMIT")
            await conn.execute(f"DROP TABLE {table}")
    else:
        import asyncpg
        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        try:
            async with conn.transaction():
                await conn.execute(f"DROP TABLE IF EXISTS {table}")
                await conn.execute(f"CREATE TABLE {table} {HOUSEHOLDS_DDL.format(id='BIGSERIAL PRIMARY KEY')}")
                await conn.execute(HOUSEHOLD_INDEXES.format(t=table))
                await conn.copy_records_to_table(table, records=rows, columns=HOUSEHOLD_COLUMNS)
            await conn.execute(f"DROP TABLE {table}")
        finally:
            await conn.close()
    return read_s, time.perf_counter() - t


def compute_files(files: dict[str, Path], out: Path) -> float:
    """``dividends compute`` on the files, in this process: compute and write the bundle."""
    from dividends.bundle import write_bundle
    from dividends.compute import Inputs, compute
    t = time.perf_counter()
    c = compute(Inputs(scheme="shareholding", registry=files["households"], posts=files["posts"],
                       members=files["persons"], period=2024, amount_yuan="90000000",
                       reference_date=date(2025, 1, 1)))
    write_bundle(c, out)
    return time.perf_counter() - t


async def child(url: str, households: int) -> dict[str, object]:
    import polars as pl

    from dividends import runs
    from dividends.clock import FixedClock
    from dividends.imports import import_registry
    from support.sample import generate, write_csv
    from dividends.store.bulk import insert_rows
    from dividends.store.db import close_database, open_database
    from dividends.store.transactions import transaction
    from tortoise.connection import get_connection

    out: dict[str, object] = {"backend": "sqlite" if url.startswith("sqlite") else "postgres", "households": households}
    data = generate(households, 1, seed=11)
    data = data.__class__(households=data.households.with_columns(
        pl.when(pl.col("account_no") == "").then(pl.lit("6217000000") + pl.col("household_id").str.replace_all(r"\D", ""))
        .otherwise(pl.col("account_no")).alias("account_no")), persons=data.persons, posts=data.posts, returns=data.returns)
    with tempfile.TemporaryDirectory() as tmp:
        files = write_csv(data, Path(tmp))
        await open_database(url)
        try:
            clock = FixedClock(datetime(2025, 1, 6, tzinfo=UTC))
            t = time.perf_counter()
            await import_registry(files["households"], period=2024, actor="bench", posts=files["posts"],
                                  members=files["persons"], reference_date=date(2025, 1, 1))
            out["import_s"] = time.perf_counter() - t
            run = await runs.create_run("V0001", 2024, "shareholding", "bench", amount_yuan="90000000")
            t = time.perf_counter()
            await runs.compute_run(run.id, "bench", clock)
            out["compute_run_s"] = time.perf_counter() - t
            snapshot = (await runs.get_run(run.id)).snapshot
            out["snapshot_format"] = snapshot.format
            out["compute_files_s"] = compute_files(files, Path(tmp) / "bundle")
            read_s, insert_s = await raw_households(url, files, lambda h: h.select(
                pl.lit(snapshot.id + 1).alias("snapshot_id"), "household_id", "head_name", "id_number", "phone",
                "members", "able_members", "status", "shares", "capital_fen", "account_no", "bank", "language").rows())
            out["floor_read_s"], out["floor_insert_s"] = read_s, insert_s
            await runs.publicize(run.id, date(2025, 1, 6), date(2025, 1, 12), "bench", clock)
            clock.advance(days=10)
            t = time.perf_counter()
            await runs.approve(run.id, "chair", clock)
            out["approve_s"] = time.perf_counter() - t

            conn = get_connection("default")
            key = "INTEGER PRIMARY KEY" if out["backend"] == "sqlite" else "BIGSERIAL PRIMARY KEY"
            for table, ddl in SCRATCH.items():
                await conn.execute_script(f"DROP TABLE IF EXISTS {table}; CREATE TABLE {table} {ddl.format(id=key)};")
            lines = await runs.lines_frame(run.id)
            line_rows = lines.select(pl.lit(run.id).alias("r"), "recipient_kind", "recipient_id", "amount_fen", "breakdown").rows()
            posting_rows = [(1, f"Liabilities:Payable:V0001:{rid}", -amt) for _, _, rid, amt, _ in line_rows]
            cases = [("allocation lines", "bench_lines", ["run_id", "recipient_kind", "recipient_id", "amount_fen", "breakdown"], line_rows),
                     ("ledger postings", "bench_postings", ["entry_id", "account", "amount_fen"], posting_rows)]
            results = []
            for label, table, columns, rows in cases:
                t = time.perf_counter()
                async with transaction():
                    await insert_rows(table, columns, rows)
                ours = time.perf_counter() - t
                await conn.execute_script(f"DELETE FROM {table};")
                raw = await raw_insert(url, table, columns, rows)
                await conn.execute_script(f"DELETE FROM {table};")
                results.append({"what": label, "rows": len(rows), "ours_s": ours, "raw_s": raw})
            out["bulk"] = results
        finally:
            await close_database()
    out["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(args.child, args.households))))
        return
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
            if backend == "sqlite":
                url = f"sqlite://{tmp}/bench.sqlite3"
            else:
                name = f"dividends_bench_store_{os.getpid()}"
                subprocess.run(["psql", "-h", "127.0.0.1", "-d", "test", "-qc", f'CREATE DATABASE "{name}"'], check=True)
                url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
            try:
                done = subprocess.run([sys.executable, __file__, "--child", url, "--households", str(args.households)],
                                      capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT),
                                                                                "MAX_REGISTRY_FILE_MB": "4096"})
            finally:
                if backend == "postgres":
                    subprocess.run(["psql", "-h", "127.0.0.1", "-d", "test", "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])
            if done.returncode != 0:
                print(f"{backend}: failed\n{done.stderr[-3000:]}")
                continue
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"\n{backend}: {r['households']:,} households in one village (peak RSS {r['peak_rss_gib']:.2f} GiB)")
            load = " ".join(f"{x:.1f}" for x in os.getloadavg())
            floor_import = r["floor_read_s"] + r["floor_insert_s"]
            print(f"  load average {load}; snapshot format {r['snapshot_format']}")
            print(f"  registry import {r['import_s']:.1f} s vs floor {floor_import:.1f} s (read+validate "
                  f"{r['floor_read_s']:.1f} s + raw household insert with indexes {r['floor_insert_s']:.1f} s): "
                  f"{r['import_s'] / floor_import:.2f}x (target 3x)")
            print(f"  run compute on the stored snapshot {r['compute_run_s']:.1f} s vs dividends compute on the files "
                  f"{r['compute_files_s']:.1f} s: {r['compute_run_s'] / r['compute_files_s']:.2f}x (target 1.5x)")
            print(f"  approve {r['approve_s']:.1f} s")
            print(f"  {'bulk write':<18}{'rows':>10}{'ours rows/s':>14}{'raw rows/s':>14}{'ours/raw':>10}")
            for b in r["bulk"]:
                ours, raw = b["rows"] / b["ours_s"], b["rows"] / b["raw_s"]
                print(f"  {b['what']:<18}{b['rows']:>10,}{ours:>14,.0f}{raw:>14,.0f}{ours / raw:>9.0%}")


if __name__ == "__main__":
    main()
