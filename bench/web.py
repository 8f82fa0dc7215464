"""Benchmark of the web app (not a timed test): the county overview with 1,000 villages under 50
concurrent clients.

    python bench/web.py                               # SQLite, and PostgreSQL if reachable
    python bench/web.py --villages 1000 --clients 50 --seconds 20 --backend sqlite
    python bench/web.py --workers 2                   # uvicorn worker processes

For each backend it seeds a county of N villages (each with a registry snapshot, a return, a
run in one of the states and ``--households`` allocation lines; rows inserted with the bulk path
``dividends.store.bulk.insert_rows``), starts ``dividends serve`` on 127.0.0.1 in a child
process, signs an auditor in, and lets C clients (one httpx connection each, sharing nothing
but the session cookie) request ``GET /county`` back to back for S seconds. It prints p50, p95
and p99 latency, requests per second and the status codes, then stops the server by its pid.
Target: p95 under 200 ms with 1,000 villages and 50 clients.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
PASSWORD = "bench password 0001"
STATES = ("closed", "closed", "paid", "approved", "publicized", "computed")


async def seed(url: str, villages: int, households: int) -> None:
    from dividends import access
    from dividends.runs import store_scheme
    from dividends.store.bulk import insert_rows
    from dividends.store.db import close_database, open_database
    from dividends.store.models import AllocationLine, AssetReturn, County, PayoutBatch, RegistryImport, RegistrySnapshot, Run, Village
    from dividends.store.transactions import transaction

    await open_database(url)
    try:
        county = await County.create(code="C1", name="Bench County")
        scheme = await store_scheme("shareholding", "bench")
        now = datetime(2025, 3, 1, tzinfo=UTC)
        async with transaction():
            record = await RegistryImport.create(period=2024, created_by="bench", files={}, households=villages * households)
            await insert_rows(Village._meta.db_table, ["county_id", "code", "name", "contact_name", "contact_phone", "office_address"],
                              [(county.id, f"V{i:05d}", f"村{i:05d}", "", "", "") for i in range(1, villages + 1)])
            ids = dict(await Village.all().values_list("code", "id"))
            codes = sorted(ids)
            await insert_rows(RegistrySnapshot._meta.db_table,
                              ["registry_import_id", "village_id", "period", "version", "households_file", "households",
                               "added", "removed", "changed", "created_at"],
                              [(record.id, ids[c], 2024, 1, "0" * 64, households, households, 0, 0, now) for c in codes])
            snaps = dict(await RegistrySnapshot.all().values_list("village_id", "id"))
            await insert_rows(AssetReturn._meta.db_table, ["village_id", "period", "asset", "amount_fen", "note", "created_at",
                                                           "created_by"],
                              [(ids[c], 2024, "asset", 1_000_000 + 997 * n, "", now, "bench") for n, c in enumerate(codes)])
            returns = dict(await AssetReturn.all().values_list("village_id", "id"))
            run_rows = []
            for n, c in enumerate(codes):
                state = STATES[n % len(STATES)]
                v = ids[c]
                paid = now + timedelta(days=n % 90) if state in ("paid", "closed") else None
                run_rows.append((v, 2024, "regular", state, scheme.id, snaps[v], returns[v], 1_000_000 + 997 * n, "acc", "com",
                                 "0" * 64, households, now, now, now, now if state in ("approved", "paid", "closed") else None,
                                 paid))
            await insert_rows(Run._meta.db_table, ["village_id", "period", "kind", "state", "scheme_id", "snapshot_id",
                                                   "asset_return_id", "pool_fen", "prepared_by", "approved_by", "content_hash",
                                                   "lines", "created_at", "computed_at", "publicized_at", "approved_at",
                                                   "paid_at"], run_rows)
            runs = await Run.all().values_list("id", "pool_fen", "state")
            lines = []
            batches = []
            for run_id, pool, state in runs:
                share = pool // (households + 1)
                lines.append((run_id, "account", "collective", pool - share * households, "{}"))
                lines.extend((run_id, "household", f"H{run_id:05d}-{h:04d}", share - (h % 7) * 100 + (h % 7) * 100, "{}")
                             for h in range(households))
                if state in ("paid", "closed"):
                    batches.append((run_id, 1, "generic", "0" * 64, "0" * 64, households, share * households, now, "bench"))
            await insert_rows(AllocationLine._meta.db_table, ["run_id", "recipient_kind", "recipient_id", "amount_fen",
                                                              "breakdown"], lines)
            await insert_rows(PayoutBatch._meta.db_table, ["run_id", "number", "bank_format", "csv_file", "xlsx_file", "items",
                                                           "total_fen", "created_at", "created_by"], batches)
        await access.create_user("auditor", PASSWORD, "auditor", actor="bench", county="C1")
    finally:
        await close_database()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32), "SESSION_HTTPS_ONLY": "false",
           "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "SMS_BACKEND": "console"}
    return subprocess.Popen([sys.executable, "-m", "dividends", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", str(workers)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL)


async def hammer(base: str, clients: int, seconds: float, path: str) -> dict[str, object]:
    import httpx

    async with httpx.AsyncClient(base_url=base) as login:
        deadline = time.monotonic() + 60
        while True:
            try:
                if (await login.get("/healthz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            await asyncio.sleep(0.2)
        page = await login.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        signed = await login.post("/login", data={"username": "auditor", "password": PASSWORD, "csrf_token": csrf, "next": "/"})
        assert signed.status_code == 303, signed.status_code
        cookies = dict(login.cookies)
        t = time.perf_counter()
        warm = await login.get(path)
        cold_ms = round((time.perf_counter() - t) * 1000, 1)  # the aggregates computed, not cached
        assert warm.status_code == 200 and "村00001" in warm.text, warm.status_code

    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    stop_at = time.monotonic() + seconds

    async def client() -> None:
        async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=30,
                                     limits=httpx.Limits(max_connections=1)) as c:
            while time.monotonic() < stop_at:
                t = time.perf_counter()
                r = await c.get(path)
                latencies.append(time.perf_counter() - t)
                statuses[r.status_code] += 1

    started = time.monotonic()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.monotonic() - started
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1)

    return {"cold_ms": cold_ms, "requests": len(latencies), "rps": round(len(latencies) / elapsed, 1), "p50_ms": pct(0.50),
            "p95_ms": pct(0.95), "p99_ms": pct(0.99), "statuses": dict(statuses)}


def bench(backend: str, args: argparse.Namespace) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        if backend == "sqlite":
            url = f"sqlite://{tmp}/bench.sqlite3"
            drop = None
        else:
            name = f"dividends_bench_{secrets.token_hex(4)}"
            asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
            url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
            drop = name
        try:
            t = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--seed", url, "--villages", str(args.villages),
                            "--households", str(args.households)], check=True, cwd=ROOT)
            seeded = time.perf_counter() - t
            port = free_port()
            server = start_server(url, port, args.workers)
            try:
                result = asyncio.run(hammer(f"http://127.0.0.1:{port}", args.clients, args.seconds, args.path))
            finally:
                os.kill(server.pid, signal.SIGTERM)
                server.wait(timeout=30)
        finally:
            if drop:
                asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)'))
    return {"backend": backend, "villages": args.villages, "lines_per_village": args.households + 1,
            "clients": args.clients, "workers": args.workers, "seconds": args.seconds, "seed_s": round(seeded, 1), **result}


async def _pg(sql: str) -> None:
    import asyncpg
    conn = await asyncpg.connect(PG_ADMIN.replace("postgres://", "postgresql://", 1), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def pg_reachable() -> bool:
    try:
        asyncio.run(_pg("SELECT 1"))
    except Exception:  # noqa: BLE001
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=1000)
    parser.add_argument("--households", type=int, default=100, help="household lines per village's run")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--path", default="/county")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seed", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        asyncio.run(seed(args.seed, args.villages, args.households))
        return
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        if backend == "postgres" and not pg_reachable():
            print(json.dumps({"backend": "postgres", "skipped": f"not reachable at {PG_ADMIN}"}))
            continue
        result = bench(backend, args)
        result["target_p95_ms"] = 200
        result["met"] = float(result["p95_ms"]) < 200  # type: ignore[arg-type]
        print(json.dumps(result, ensure_ascii=False))
        p95 = float(result["p95_ms"])  # type: ignore[arg-type]
        print(f"{backend}: p95 {p95:.0f} ms vs target 200 ms: {p95 / 200:.2f}x ({'ok' if p95 < 200 else 'OVER'}; "
              f"load {' '.join(f'{x:.1f}' for x in os.getloadavg())})")


if __name__ == "__main__":
    main()
