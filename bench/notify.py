"""Benchmark of the SMS dispatcher (not a timed test): N notices to the local fake Twilio.

    python bench/notify.py                          # 100,000 notices, SQLite in a temporary directory
    python bench/notify.py --notices 20000 --concurrency 128
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/notify.py   # an empty database

Three phases, each in a fresh child process so that its peak RSS is its own:

1. setup: a sample registry of N households (one village) imported, a run created, computed and
   publicized through the real services;
2. prepare: the N publicity notices rendered (zh/en templates, segments) and bulk-inserted;
3. dispatch: every notice through ``dividends.outbox.dispatcher.dispatch`` with the real
   ``TwilioSender`` (the Twilio SDK over HTTP) to ``FakeTwilioProcess`` (its own process, no
   status callbacks), all bookkeeping included: claims committed before sending, SIDs written in
   batched transactions (SQLite with ``synchronous=FULL``), the final counts checked against the
   fake.

Target: at least 1,000 messages per second, so that Twilio's own sender limits (about 1
segment/s for a long code, 100+/s for a short code) are the only bottleneck.
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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def setup(url: str, notices: int, work: Path) -> dict[str, Any]:
    from dividends import runs
    from dividends.clock import FixedClock, today
    from dividends.imports import import_registry
    from support.sample import generate, write_csv
    from dividends.store.db import database
    from dividends.store.models import Household

    t0 = time.perf_counter()
    data = generate(notices, 1, seed=2024)
    files = write_csv(data, work / "registry")
    clock = FixedClock(datetime.now(UTC))
    async with database(url):
        await import_registry(files["households"], period=2024, actor="bench", posts=files["posts"],
                              members=files["persons"], reference_date=date(2025, 1, 1))
        await Household.filter(phone="").update(phone="13800000000")  # every household gets a text
        run = await runs.create_run("V0001", 2024, "shareholding", "bench", amount_yuan="5000000")
        await runs.compute_run(run.id, "bench", clock)
        start = today(clock)
        await runs.publicize(run.id, start - timedelta(days=1), start + timedelta(days=6), "bench", clock)
    return {"phase": "setup", "run_id": run.id, "seconds": time.perf_counter() - t0, "peak_rss_mib": peak_rss_mib()}


async def prepare(url: str, run_id: int) -> dict[str, Any]:
    from dividends.outbox.prepare import prepare as prepare_notices
    from dividends.store.db import database

    async with database(url):
        t0 = time.perf_counter()
        done = await prepare_notices(run_id, "publicity", "bench")
        seconds = time.perf_counter() - t0
    return {"phase": "prepare", "notices": done.queued, "seconds": seconds, "per_second": done.queued / seconds,
            "peak_rss_mib": peak_rss_mib()}


async def dispatch(url: str, run_id: int, api: str, concurrency: int, rate: float) -> dict[str, Any]:
    from dividends.clock import SystemClock
    from dividends.outbox.dispatcher import dispatch as run_dispatch
    from dividends.store.db import database
    from dividends.store.models import Notice
    from support.fake_twilio import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, FAKE_FROM
    from notify.settings import Secret, SmsSettings
    from notify.twilio_sender import TwilioSender

    sms = SmsSettings(backend="twilio", account_sid=FAKE_ACCOUNT_SID, auth_token=Secret(FAKE_AUTH_TOKEN),
                      from_number=FAKE_FROM, api_base_url=api, public_base_url="http://127.0.0.1:9",
                      rate_per_second=min(int(rate), 10_000))
    async with database(url):
        async with TwilioSender(sms) as sender:
            report = await run_dispatch(sender, sms, SystemClock(), run_id=run_id, concurrency=concurrency,
                                        rate_per_second=rate)
        sent = await Notice.filter(run_id=run_id, status="sent", sid__isnull=False).count()
        left = await Notice.filter(run_id=run_id).exclude(status="sent").count()
    return {"phase": "dispatch", "sent": report.sent, "recorded_sent": sent, "not_sent": left,
            "failed": report.failed, "retries": report.retry_scheduled, "in_doubt": report.in_doubt,
            "seconds": report.elapsed_seconds, "per_second": report.messages_per_second,
            "peak_rss_mib": peak_rss_mib()}


def child(argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, *argv], capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{argv[0]} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notices", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=96)
    parser.add_argument("--rate", type=float, default=100_000.0, help="sends per second the dispatcher may start")
    parser.add_argument("--phase", choices=("setup", "prepare", "dispatch"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--run", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase == "setup":
        print(json.dumps(asyncio.run(setup(args.url, args.notices, Path(args.work)))))
        return
    if args.phase == "prepare":
        print(json.dumps(asyncio.run(prepare(args.url, args.run))))
        return
    if args.phase == "dispatch":
        print(json.dumps(asyncio.run(dispatch(args.url, args.run, args.api, args.concurrency, args.rate))))
        return

    from support.fake_twilio import FakeTwilioProcess

    with tempfile.TemporaryDirectory(prefix="bench-notify-") as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite://{Path(tmp) / 'bench.sqlite3'}"
        env = {**os.environ, "NO_PROXY": "127.0.0.1", "DIVIDENDS_LANG": "en"}
        common = ["--url", url, "--notices", str(args.notices), "--work", tmp]
        print(f"database {url.split('@')[-1]}, {args.notices:,} notices, concurrency {args.concurrency}", flush=True)
        made = child(["--phase", "setup", *common], env)
        print(f"setup     {made['seconds']:8.1f} s   (registry import, compute, publicize)   "
              f"peak RSS {made['peak_rss_mib']:7.0f} MiB", flush=True)
        run = ["--run", str(made["run_id"])]
        prepared = child(["--phase", "prepare", *common, *run], env)
        print(f"prepare   {prepared['seconds']:8.1f} s   {prepared['per_second']:9,.0f} notices/s"
              f"                 peak RSS {prepared['peak_rss_mib']:7.0f} MiB", flush=True)
        with FakeTwilioProcess(callbacks=False) as fake:
            sent = child(["--phase", "dispatch", *common, *run, "--api", fake.url,
                          "--concurrency", str(args.concurrency), "--rate", str(args.rate)], env)
            at_fake = fake.summary()["messages"]
        print(f"dispatch  {sent['seconds']:8.1f} s   {sent['per_second']:9,.0f} messages/s"
              f"                peak RSS {sent['peak_rss_mib']:7.0f} MiB", flush=True)
        ok = sent["sent"] == sent["recorded_sent"] == at_fake == prepared["notices"] and sent["not_sent"] == 0
        print(f"check     sent {sent['sent']:,}, recorded {sent['recorded_sent']:,}, at the fake {at_fake:,}, "
              f"not sent {sent['not_sent']:,}: {'ok' if ok else 'MISMATCH'}")
        verdict = "meets" if sent["per_second"] >= 1_000 else "MISSES"
        print(f"target    >= 1,000 messages/s: {verdict}")
        if not ok:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
