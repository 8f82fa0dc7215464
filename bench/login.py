"""Benchmark (not a timed test): a storm of wrong passwords against the login form, and how the
app answers ``/healthz`` meanwhile.

    python bench/login.py                         # 40 concurrent attempts on one account, then a
                                                  # storm of 200 from 10 addresses; settings 1, 2, 4
    python bench/login.py --storm 400 --addresses 20 --concurrency 2

The app runs in this process on a fresh SQLite database (httpx over ASGI, so the event loop
measured is the app's own) with argon2 at its production cost. Printed per
``PASSWORD_HASH_CONCURRENCY`` setting:

* the 40 concurrent wrong passwords on one account and address: how many were checked (401) and
  how many refused unhashed (429); the limit is 5;
* the storm (distinct usernames, at most 20 per address, so every attempt is hashed): its wall
  time and attempts per second;
* ``/healthz`` asked every 20 ms during the storm: answers, p50 and worst latency, and the longest
  pause of a 10 ms ticker on the loop (hashing runs in worker threads, so both stay small).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "bench password 0001"


async def _login_csrf(client) -> str:  # type: ignore[no-untyped-def]
    from tests.web.support import csrf_of
    return csrf_of((await client.get("/login")).text)


async def run(storm: int, addresses: int, concurrency: int) -> None:
    import httpx

    from dividends import access
    from dividends.clock import SystemClock
    from dividends.store.db import close_database, open_database
    from dividends.web.app import create_app
    from support.fake_sender import FakeSender
    from tests.web.support import running, settings_for

    os.environ["PASSWORD_HASH_CONCURRENCY"] = str(concurrency)
    with tempfile.TemporaryDirectory(prefix="bench-login-") as tmp:
        url = f"sqlite://{tmp}/bench.sqlite3"
        await open_database(url)
        try:
            cli = access.Actor(0, "bench", "bench", "admin")
            await access.create_village(cli, "V1", "村", county="C1")
            await access.create_user("victim", PASSWORD, "accountant", actor="bench", village="V1")
            app = create_app(settings_for(url), SystemClock(), manage_database=False, sender=FakeSender)
            async with running(app):
                def client(address: str) -> httpx.AsyncClient:
                    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 1)),
                                             base_url="http://testserver", follow_redirects=False)

                async with client("10.1.0.1") as one:
                    csrf = await _login_csrf(one)
                    started = time.perf_counter()
                    codes = await asyncio.gather(*(one.post("/login", data={
                        "username": "victim", "password": "wrong", "csrf_token": csrf}) for _ in range(40)))
                    burst = time.perf_counter() - started
                counted = Counter(c.status_code for c in codes)

                clients = [client(f"10.2.0.{i}") for i in range(addresses)]
                tokens = [await _login_csrf(c) for c in clients]
                stop = asyncio.Event()
                latencies: list[float] = []
                pauses: list[float] = []

                async def probe() -> None:
                    async with client("10.3.0.1") as p:
                        while not stop.is_set():
                            t0 = time.perf_counter()
                            assert (await p.get("/healthz")).status_code == 200
                            latencies.append(time.perf_counter() - t0)
                            await asyncio.sleep(0.02)

                async def ticker() -> None:
                    last = time.perf_counter()
                    while not stop.is_set():
                        await asyncio.sleep(0.01)
                        now = time.perf_counter()
                        pauses.append(now - last - 0.01)
                        last = now

                per = -(-storm // addresses)
                watchers = [asyncio.ensure_future(probe()), asyncio.ensure_future(ticker())]
                started = time.perf_counter()
                results = await asyncio.gather(*(
                    clients[i % addresses].post("/login", data={"username": f"u{i // addresses}-{i % addresses}",
                                                                "password": "wrong", "csrf_token": tokens[i % addresses]})
                    for i in range(per * addresses)))
                wall = time.perf_counter() - started
                stop.set()
                await asyncio.gather(*watchers)
                for c in clients:
                    await c.aclose()
        finally:
            await close_database()
    storm_codes = Counter(r.status_code for r in results)
    print(f"PASSWORD_HASH_CONCURRENCY={concurrency}")
    print(f"  40 concurrent wrong passwords, one account: {counted[401]} checked (401), {counted[429]} refused "
          f"unhashed (429), {burst:.2f} s; checked {counted[401]} vs limit 5: {counted[401] / 5:.2f}x "
          f"({'ok' if counted[401] <= 5 else 'OVER'})")
    print(f"  storm of {len(results)} attempts from {addresses} addresses: {dict(storm_codes)}, {wall:.2f} s, "
          f"{len(results) / wall:.0f} attempts/s")
    if latencies:
        print(f"  /healthz during the storm: {len(latencies)} answers, p50 {statistics.median(latencies) * 1000:.0f} ms, "
              f"worst {max(latencies) * 1000:.0f} ms; longest loop pause {max(pauses, default=0) * 1000:.0f} ms")
        pause = max(pauses, default=0)
        print(f"  longest loop pause {pause:.3f} s vs floor 1 s (as bench/hostile.py): {pause:.2f}x "
              f"({'ok' if pause <= 1 else 'OVER'}; load {' '.join(f'{x:.1f}' for x in os.getloadavg())})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storm", type=int, default=200)
    parser.add_argument("--addresses", type=int, default=10)
    parser.add_argument("--concurrency", type=int, action="append")
    args = parser.parse_args()

    async def every() -> None:  # one event loop: tortoise keeps its context in it
        for concurrency in args.concurrency or [1, 2, 4]:
            await run(args.storm, args.addresses, concurrency)

    asyncio.run(every())


if __name__ == "__main__":
    main()
