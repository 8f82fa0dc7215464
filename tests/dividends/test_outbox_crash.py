"""Workers killed mid-send (SIGKILL, by their own pid) and started again, for every provider:
every notice ends with exactly one message at the provider's fake, and the bookkeeping agrees.

The fake is told to hang on the next creates once some messages are stored: two of the hanging
requests are stored first (the provider has them, the worker never hears back), two are not. On
PostgreSQL three workers run at once and one of them is killed while requests hang; on SQLite one
worker runs and is killed. The survivors, and a worker started afterwards, must look the four up
(by correlation key for Aliyun and Tencent, by recipient and text for Twilio), record the two the
provider has and send the two it does not, and send everything never claimed; then SIGTERM stops
each worker gracefully (exit 0).
"""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from dividends.clock import FixedClock
from dividends.outbox.prepare import prepare, release
from dividends.store.models import Notice
from notify.settings import SmsSettings, channel_of, provider_templates
from support.fake_aliyun import FakeAliyunProcess
from support.fake_provider import provider_env
from support.fake_tencent import FakeTencentProcess
from support.fake_twilio import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, FAKE_FROM, FakeTwilioProcess
from tests.dbsupport import BACKEND, ROOT, clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.test_outbox_support import phones, publicized_run

pytestmark = [pytest.mark.db, pytest.mark.slow]

LEASE = 4
WORKERS = 3 if BACKEND == "postgres" else 1
#: Tencent accounts with longer variables approved (the default 6 characters cannot hold 1,250.00).
EXTRA = {"SMS_PARAM_MAX": "12", "SMS_RECEIPT_WINDOW_SECONDS": "1", "SMS_QUIET_HOURS": "none"}


@pytest.fixture(params=["twilio", "aliyun", "tencent"])
def fake(request: pytest.FixtureRequest) -> Iterator[Any]:
    process = {"twilio": lambda: FakeTwilioProcess(callbacks=False), "aliyun": FakeAliyunProcess,
               "tencent": FakeTencentProcess}[request.param]()
    process.provider = request.param
    with process:
        yield process


def provider_vars(fake: Any) -> dict[str, str]:
    if fake.provider == "twilio":
        return {"SMS_BACKEND": "twilio", "TWILIO_ACCOUNT_SID": FAKE_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": FAKE_AUTH_TOKEN,
                "TWILIO_FROM": FAKE_FROM, "TWILIO_API_BASE_URL": fake.url, "SMS_TWO_WAY": "true"}
    return provider_env(fake.provider, fake.url)


def worker(database: str, fake: Any) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": database, **provider_vars(fake), **EXTRA, "PUBLIC_BASE_URL": "http://127.0.0.1:9",
           "SMS_TIMEOUT_SECONDS": "2", "DIVIDENDS_LANG": "en", "NO_PROXY": "127.0.0.1", "SMS_RECEIPTS": "push"}
    env.pop("DIVIDENDS_DEBUG", None)
    command = [sys.executable, "-m", "dividends", "notify", "worker", "--rate", "5", "--concurrency", "4",
               "--lease", str(LEASE)]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


async def started(process: subprocess.Popen[str]) -> str:
    """Wait for the worker's first line ("started", printed once its SIGTERM handler is in place):
    a SIGTERM sent while it is still importing would end it with -15, not a graceful stop."""
    assert process.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), 120)
    assert line.startswith("SMS worker started"), (line, process.communicate() if not line else "")
    return line


async def until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check() if asyncio.iscoroutinefunction(check) else not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    out, errors = process.communicate()
    return process.returncode, out + errors


async def test_killed_workers_never_send_a_notice_twice_and_every_notice_ends_sent(
        clean_db: str, tmp_path: Any, fake: Any) -> None:
    clock = FixedClock(datetime.now(UTC))
    run = await publicized_run(tmp_path, clock, households=40)
    settings = SmsSettings.from_env({**provider_vars(fake), **EXTRA})
    prepared = await prepare(run.id, "publicity", "accountant", clock, channel=channel_of(settings),
                             templates=provider_templates(settings))
    numbers = await phones(run)
    assert prepared.queued == len(numbers) >= 30, prepared.failures
    await release(run.id, "publicity", "accountant", clock)

    workers = [worker(clean_db, fake) for _ in range(WORKERS)]
    victim = workers[0]
    try:
        for process in workers:
            await started(process)
        await until(lambda: fake.summary()["messages"] >= 8 or victim.poll() is not None, 60, "the first messages")
        assert victim.poll() is None, victim.communicate()
        fake.control(fail_next=[{"kind": "hang_after_store", "count": 2}, {"kind": "hang", "count": 2}])
        await until(lambda: fake.summary()["hanging"] >= 4 or fake.summary()["messages"] >= len(numbers), 20,
                    "four hanging requests")
        os.kill(victim.pid, signal.SIGKILL)
        assert victim.wait(10) == -signal.SIGKILL
        victim.communicate()
        fake.control(release=True) if fake.provider != "twilio" else None
        workers.append(worker(clean_db, fake))  # the killed one, restarted
        await started(workers[-1])

        async def finished() -> bool:
            return not await Notice.filter(run_id=run.id, status__in=["queued", "sending"]).exists()

        await until(finished, 90, "every notice to be settled")
    finally:
        results = [stop(p) for p in workers[1:]]
        if victim.poll() is None:
            victim.kill()
            victim.communicate()
    for code, output in results:
        assert code == 0, output

    rows = await Notice.filter(run_id=run.id).exclude(status="no_phone").values_list("id", "phone", "status", "sid",
                                                                                     "tries")
    assert len(rows) == len(numbers)
    summary = fake.summary()
    assert summary["messages"] == len(numbers)  # exactly one message per notice
    for _, _, status, sid, tries in rows:
        assert sid and status in ("sent", "delivered") and 1 <= tries <= 2, (status, sid, tries)
    if fake.provider == "twilio":
        for _, phone, _, sid, _ in rows:
            messages = httpx.get(fake.url + "/_fake/messages", params={"To": phone}, trust_env=False).json()
            assert [m["sid"] for m in messages["messages"]] == [sid], phone
    else:
        assert summary["duplicate_keys"] == []
    assert sum(1 for *_, tries in rows if tries == 2) >= 2  # the two never stored were sent again
