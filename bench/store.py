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
(allocation + 1M lines) and approval (ledger entry with 1M postings).
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
        pl.when(pl.col("account_no") == "").then(pl.lit("6217000000") + pl.col("household_id").str.slice(-6))
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
            await runs.publicize(run.id, date(2025, 1, 1), date(2025, 1, 7), "bench", clock)
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
                name = f"dividends_bench_{os.getpid()}"
                subprocess.run(["psql", "-h", "127.0.0.1", "-d", "test", "-qc", f'CREATE DATABASE "{name}"'], check=True)
                url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
            try:
                done = subprocess.run([sys.executable, __file__, "--child", url, "--households", str(args.households)],
                                      capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
            finally:
                if backend == "postgres":
                    subprocess.run(["psql", "-h", "127.0.0.1", "-d", "test", "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'])
            if done.returncode != 0:
                print(f"{backend}: failed\n{done.stderr[-3000:]}")
                continue
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"\n{backend}: {r['households']:,} households in one village (peak RSS {r['peak_rss_gib']:.2f} GiB)")
            print(f"  registry import {r['import_s']:.1f} s, compute_run {r['compute_run_s']:.1f} s, approve {r['approve_s']:.1f} s")
            print(f"  {'bulk write':<18}{'rows':>10}{'ours rows/s':>14}{'raw rows/s':>14}{'ours/raw':>10}")
            for b in r["bulk"]:
                ours, raw = b["rows"] / b["ours_s"], b["rows"] / b["raw_s"]
                print(f"  {b['what']:<18}{b['rows']:>10,}{ours:>14,.0f}{raw:>14,.0f}{ours / raw:>9.0%}")


if __name__ == "__main__":
    main()
