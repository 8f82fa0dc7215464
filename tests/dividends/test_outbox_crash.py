"""A dispatcher process killed mid-batch (SIGKILL, by its own pid) and started again: every notice
ends with exactly one message at the fake Twilio, and the bookkeeping agrees with the fake.

The fake is told to hang on the next creates once some messages are stored: two of the hanging
requests are stored first (the provider has them, the dispatcher never hears back), two are not;
the dispatcher is killed while all its workers wait. The restarted one must look the four up,
record the two it finds and send the two it does not, and send everything never claimed.
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
from pathlib import Path

import httpx
import pytest

from dividends.clock import FixedClock
from dividends.outbox.prepare import prepare
from dividends.store.models import AuditEvent, Notice
from support.fake_twilio import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN, FAKE_FROM, FakeTwilioProcess
from tests.dbsupport import ROOT, clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.test_outbox_support import phones, publicized_run

pytestmark = [pytest.mark.db, pytest.mark.slow]

LEASE = 5


@pytest.fixture
def fake() -> Iterator[FakeTwilioProcess]:
    with FakeTwilioProcess(callbacks=False) as process:
        yield process


def send_command(run_id: int, database: str, fake: FakeTwilioProcess) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "DATABASE_URL": database, "SMS_BACKEND": "twilio", "TWILIO_ACCOUNT_SID": FAKE_ACCOUNT_SID,
           "TWILIO_AUTH_TOKEN": FAKE_AUTH_TOKEN, "TWILIO_FROM": FAKE_FROM, "TWILIO_API_BASE_URL": fake.url,
           "PUBLIC_BASE_URL": "http://127.0.0.1:9", "SMS_TIMEOUT_SECONDS": "3", "DIVIDENDS_LANG": "en",
           "NO_PROXY": "127.0.0.1", "COLUMNS": "200"}
    env.pop("DIVIDENDS_DEBUG", None)
    command = [sys.executable, "-m", "dividends", "notify", "send", str(run_id), "--kind", "publicity", "--yes",
               "--rate", "20", "--concurrency", "4", "--lease", str(LEASE), "--wait", str(LEASE + 10),
               "--user", "tester"]
    return command, env


async def until(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def test_a_killed_dispatcher_restarted_sends_every_notice_exactly_once(
        clean_db: str, tmp_path: Path, fake: FakeTwilioProcess) -> None:
    clock = FixedClock(datetime.now(UTC))
    run = await publicized_run(tmp_path, clock, households=40)
    prepared = await prepare(run.id, "publicity", "accountant", clock)
    numbers = await phones(run)
    assert prepared.queued == len(numbers) >= 30
    command, env = send_command(run.id, clean_db, fake)

    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        await until(lambda: fake.summary()["messages"] >= 8 or first.poll() is not None, 60, "the first messages")
        assert first.poll() is None, first.stderr.read() if first.stderr else ""
        fake.control(fail_next=[{"kind": "hang_after_store", "count": 2}, {"kind": "hang", "count": 2}])
        await until(lambda: fake.summary()["hanging"] >= 4, 10, "four hanging requests")
        os.kill(first.pid, signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
        if first.stderr:
            first.stderr.close()

    stored_before = fake.summary()["messages"]
    in_doubt = await Notice.filter(run_id=run.id, status="sending", sid__isnull=True).count()
    assert in_doubt >= 4 and stored_before < len(numbers)

    second = await asyncio.to_thread(subprocess.run, command, cwd=ROOT, env=env, capture_output=True, text=True,
                                     timeout=120)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "found already sent" in second.stdout

    rows = await Notice.filter(run_id=run.id).exclude(status="no_phone").values_list("phone", "status", "sid", "tries")
    assert len(rows) == len(numbers)
    assert fake.summary()["messages"] == len(numbers)  # exactly one message per notice
    for phone, status, sid, tries in rows:
        response = httpx.get(fake.url + "/_fake/messages", params={"To": phone}, trust_env=False)
        messages = response.json()["messages"]
        assert [m["sid"] for m in messages] == [sid], phone
        assert status in ("sent", "delivered") and 1 <= tries <= 2  # a look-up sees the fake's final status
    assert sum(1 for *_, tries in rows if tries == 2) >= 2  # the two never stored were sent again
    assert sum(1 for _, status, *_ in rows if status == "delivered") >= 2  # the two stored were found
    sends = await AuditEvent.filter(action="notice.send", actor="tester").values_list("detail", flat=True)
    assert len(sends) == 1 and sends[0]["recovered"] >= 2  # type: ignore[index]  (the killed run left none)
