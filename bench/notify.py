"""Benchmark of the SMS dispatcher (not a timed test): N notices to each provider's local fake.

    python bench/notify.py                          # 100,000 notices per provider, SQLite in a temporary dir
    python bench/notify.py --notices 20000 --providers aliyun
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench python bench/notify.py   # an empty database
    DATABASE_URL=postgres://... python bench/notify.py --providers tencent --workers 1,2,3   # workers at once

Three phases, each in a fresh child process so that its peak RSS is its own:

1. setup: a sample registry of N households (one village) imported, a run created, computed and
   publicized through the real services;
2. prepare: the N publicity notices rendered (zh/en templates, segments) and bulk-inserted;
3. dispatch: every notice through ``dividends.outbox.dispatcher.dispatch`` with the provider's
   real sender (its official SDK over HTTP) to the provider's fake in its own process (no
   receipts pushed), all bookkeeping included: claims committed before sending (``FOR UPDATE
   SKIP LOCKED`` on PostgreSQL), daily-limit and opt-out checks, SIDs written in batched
   transactions (SQLite with ``synchronous=FULL``), the final counts checked against the fake.
   With ``--workers`` that many dispatch processes share the queue at once.

Targets (printed beside each figure): at least 1,000 messages per second per worker for each
provider, and at least 1,000 per second in total for several workers on PostgreSQL on this
2-core machine, so that the providers' own limits are the only bottleneck.
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
        from dividends.store.transactions import transaction

        async with transaction():  # every household gets a text, each on its own number
            for n, pk in enumerate(await Household.filter(phone="").values_list("id", flat=True)):
                await Household.filter(id=pk).update(phone=f"1990{n:07d}")
        run = await runs.create_run("V0001", 2024, "shareholding", "bench", amount_yuan="5000000")
        await runs.compute_run(run.id, "bench", clock)
        start = today(clock)
        await runs.publicize(run.id, start, start + timedelta(days=7), "bench", clock)
    return {"phase": "setup", "run_id": run.id, "seconds": time.perf_counter() - t0, "peak_rss_mib": peak_rss_mib()}


async def prepare(url: str, run_id: int, provider: str, api: str) -> dict[str, Any]:
    from dividends.outbox.prepare import prepare as prepare_notices
    from dividends.outbox.prepare import release
    from dividends.store.db import database
    from notify.settings import SmsSettings, channel_of, provider_templates

    sms = SmsSettings.from_env(provider_vars(provider, api))
    async with database(url):
        t0 = time.perf_counter()
        done = await prepare_notices(run_id, "publicity", "bench", channel=channel_of(sms),
                                     templates=provider_templates(sms))
        await release(run_id, "publicity", "bench")
        seconds = time.perf_counter() - t0
    return {"phase": "prepare", "notices": done.queued, "seconds": seconds, "per_second": done.queued / seconds,
            "peak_rss_mib": peak_rss_mib()}


async def dispatch(url: str, run_id: int, provider: str, api: str, concurrency: int, rate: float) -> dict[str, Any]:
    from dividends.clock import SystemClock
    from dividends.outbox.dispatcher import dispatch as run_dispatch
    from dividends.store.db import database
    from notify.settings import SmsSettings, make_sender

    sms = SmsSettings.from_env({**provider_vars(provider, api), "SMS_RATE_PER_SECOND": str(min(int(rate), 10_000))})
    async with database(url):
        async with make_sender(sms) as sender:
            cpu0 = time.process_time()  # the dispatch only (not the imports, not the database's opening)
            report = await run_dispatch(sender, sms, SystemClock(), run_id=run_id, concurrency=concurrency,
                                        rate_per_second=rate)
    return {"phase": "dispatch", "sent": report.sent, "failed": report.failed, "retries": report.retry_scheduled,
            "in_doubt": report.in_doubt, "seconds": report.elapsed_seconds, "per_second": report.messages_per_second,
            "cpu_seconds": time.process_time() - cpu0, "peak_rss_mib": peak_rss_mib()}


async def count(url: str, run_id: int) -> dict[str, Any]:
    from dividends.store.db import database
    from dividends.store.models import Notice

    async with database(url):
        sent = await Notice.filter(run_id=run_id, status="sent", sid__isnull=False).count()
        left = await Notice.filter(run_id=run_id).exclude(status="sent").count()
    return {"phase": "count", "recorded_sent": sent, "not_sent": left}


async def reset(url: str, run_id: int) -> dict[str, Any]:
    """Forget the run's notices (the next provider prepares its own texts)."""
    from dividends.store.db import database
    from dividends.store.models import Notice

    async with database(url):
        await Notice.filter(run_id=run_id).delete()
    return {"phase": "reset"}


def provider_vars(provider: str, api: str) -> dict[str, str]:
    from support.fake_provider import provider_env
    from support.fake_twilio import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, FAKE_FROM

    common = {"SMS_QUIET_HOURS": "none", "SMS_PARAM_MAX": "12", "SMS_RECEIPTS": "push",
              "SMS_DAILY_LIMIT_PER_NUMBER": "1000"}
    if provider == "twilio":
        return {**common, "SMS_BACKEND": "twilio", "TWILIO_ACCOUNT_SID": FAKE_ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": FAKE_AUTH_TOKEN, "TWILIO_FROM": FAKE_FROM, "TWILIO_API_BASE_URL": api,
                "PUBLIC_BASE_URL": "http://127.0.0.1:9", "SMS_TWO_WAY": "true"}
    return {**common, **provider_env(provider, api)}


def child(argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, *argv], capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{argv[0]} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def children(argv: list[str], env: dict[str, str], n: int) -> tuple[list[dict[str, Any]], float]:
    """``n`` copies of a phase at once (several workers): their results and the wall time."""
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, __file__, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env, cwd=ROOT) for _ in range(n)]
    results = []
    for p in procs:
        out, err = p.communicate()
        if p.returncode != 0:
            raise SystemExit(f"worker failed:\n{out}\n{err}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results, time.perf_counter() - t0


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fake_for(provider: str) -> Any:
    from support.fake_aliyun import FakeAliyunProcess
    from support.fake_tencent import FakeTencentProcess
    from support.fake_twilio import FakeTwilioProcess

    return {"twilio": lambda: FakeTwilioProcess(callbacks=False), "aliyun": FakeAliyunProcess,
            "tencent": FakeTencentProcess}[provider]()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notices", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=96)
    parser.add_argument("--rate", type=float, default=100_000.0, help="sends per second a worker may start")
    parser.add_argument("--providers", default="twilio,aliyun,tencent")
    parser.add_argument("--workers", default="", help="e.g. 1,2,3: that many workers at once (PostgreSQL)")
    parser.add_argument("--phase", choices=("setup", "prepare", "dispatch", "count", "reset"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--run", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--provider", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase:
        phases = {
            "setup": lambda: setup(args.url, args.notices, Path(args.work)),
            "prepare": lambda: prepare(args.url, args.run, args.provider, args.api),
            "dispatch": lambda: dispatch(args.url, args.run, args.provider, args.api, args.concurrency, args.rate),
            "count": lambda: count(args.url, args.run),
            "reset": lambda: reset(args.url, args.run),
        }
        print(json.dumps(asyncio.run(phases[args.phase]())))
        return

    with tempfile.TemporaryDirectory(prefix="bench-notify-") as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite://{Path(tmp) / 'bench.sqlite3'}"
        env = {**os.environ, "NO_PROXY": "127.0.0.1", "DIVIDENDS_LANG": "en"}
        common = ["--url", url, "--notices", str(args.notices), "--work", tmp]
        load = os.getloadavg()
        print(f"database {url.split('@')[-1]}, {args.notices:,} notices, concurrency {args.concurrency}, "
              f"load average {load[0]:.2f} on {os.cpu_count()} cores", flush=True)
        made = child(["--phase", "setup", *common], env)
        print(f"setup     {made['seconds']:8.1f} s   (registry import, compute, publicize)   "
              f"peak RSS {made['peak_rss_mib']:7.0f} MiB", flush=True)
        run = ["--run", str(made["run_id"])]
        ok = True
        plans = [(p, 1) for p in args.providers.split(",") if p]
        if args.workers:
            plans = [(p, int(n)) for p in args.providers.split(",") if p for n in args.workers.split(",")]
        for provider, workers in plans:
            child(["--phase", "reset", *common, *run], env)
            with fake_for(provider) as fake:
                where = ["--provider", provider, "--api", fake.url]
                prepared = child(["--phase", "prepare", *common, *run, *where], env)
                fake_pid = fake._process.pid  # noqa: SLF001 - the fake's own process, for its CPU
                fake_cpu0 = cpu_of(fake_pid)
                load_before = os.getloadavg()[0]
                sent, wall = children(["--phase", "dispatch", *common, *run, *where, "--concurrency",
                                       str(args.concurrency), "--rate", str(args.rate)], env, workers)
                fake_cpu = cpu_of(fake_pid) - fake_cpu0
                at_fake = fake.summary()["messages"]
            counted = child(["--phase", "count", *common, *run], env)
            total = sum(r["sent"] for r in sent)
            rate = total / wall
            per_worker = [r["per_second"] for r in sent]
            good = total == counted["recorded_sent"] == at_fake == prepared["notices"] and counted["not_sent"] == 0
            ok = ok and good
            print(f"{provider:8} prepare {prepared['seconds']:6.1f} s ({prepared['per_second']:7,.0f}/s); "
                  f"{workers} worker(s): {total:,} sent in {wall:6.1f} s = {rate:7,.0f} messages/s in total, "
                  f"per worker {', '.join(f'{r:,.0f}' for r in per_worker)}/s; "
                  f"peak RSS {max(r['peak_rss_mib'] for r in sent):5.0f} MiB", flush=True)
            worker_cpu = sum(r["cpu_seconds"] for r in sent)
            print(f"          CPU: workers {worker_cpu:.1f} s ({1e3 * worker_cpu / max(total, 1):.2f} ms/message), "
                  f"fake {fake_cpu:.1f} s ({1e3 * fake_cpu / max(total, 1):.2f} ms/message); "
                  f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after", flush=True)
            print(f"          check: recorded {counted['recorded_sent']:,}, at the fake {at_fake:,}, "
                  f"not sent {counted['not_sent']:,}: {'ok' if good else 'MISMATCH'}", flush=True)
            floor = 1_000 * (1 if workers == 1 else 1)
            verdict = "meets" if (min(per_worker) if workers == 1 else rate) >= floor else "MISSES"
            target = "per worker" if workers == 1 else "in total"
            print(f"          target >= {floor:,} messages/s {target}: {verdict}", flush=True)
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        if not ok:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
