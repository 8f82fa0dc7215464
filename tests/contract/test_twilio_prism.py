"""The adapter's real requests checked against Twilio's own OpenAPI description, through Prism.

Prism (``make prism`` installs it into ``.cache/prism``) validates each request against
``twilio-oai/twilio_api_v2010.json`` and answers 201/200 with the spec's example, or 422 when
a request breaks the schema. Without Node or Prism this module skips with the reason; in CI
(``CI=true``) it fails instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from notify.senders import OutgoingSms, PermanentSendError, SendResult
from pydantic import SecretStr

from notify.settings import SmsSettings
from notify.twilio_sender import TwilioSender

ROOT = Path(__file__).resolve().parents[2]
SPEC = Path(__file__).parent / "twilio-oai" / "twilio_api_v2010.json"
PRISM = ROOT / ".cache" / "prism" / "node_modules" / ".bin" / "prism"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
SERVICE_SID = "MG" + "fedcba9876543210" * 2
PHONE = "+8613800138000"
BODY = "【青山村】张*明户：2026年度光伏收益分红拟发放1,234.50元。回复查询看明细，回TD退订"
CALLBACK = "https://dividends.example.org/webhooks/twilio/status"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the Twilio contract test must run in CI: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def prism_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if shutil.which("node") is None:
        _unavailable("Node.js is not installed (needed by Prism; `make prism` installs Prism)")
    if not os.access(PRISM, os.X_OK):
        _unavailable(f"Prism is not installed at {PRISM.relative_to(ROOT)} (run `make prism`)")
    logs = tmp_path_factory.mktemp("prism")
    for attempt in range(5):  # a port found free may be taken by a parallel test before Prism binds it
        port = _free_port()
        log = logs / f"prism-{attempt}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), str(SPEC)],
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        deadline = time.monotonic() + 60
        while "Prism is listening" not in log.read_text(errors="replace") and process.poll() is None:
            if time.monotonic() > deadline:
                _stop(process)
                pytest.fail(f"Prism did not start within 60 s: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        if process.poll() is None:
            break
        if "EADDRINUSE" not in log.read_text(errors="replace"):
            pytest.fail(f"Prism exited with {process.returncode}: {log.read_text()[-2000:]}")
    else:
        pytest.fail(f"Prism found no free port in five tries: {log.read_text()[-2000:]}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()  # our own child, by its pid
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def settings(prism_url: str, **sender: str) -> SmsSettings:
    return SmsSettings(
        backend="twilio",
        account_sid=ACCOUNT_SID,
        auth_token=SecretStr("contract-test-token"),
        api_base_url=prism_url,
        **(sender or {"from_number": "+15005550006"}),
    )


def last_status(sender: TwilioSender) -> int:
    """The HTTP status of the adapter's last exchange (the SDK keeps it for tests)."""
    response: Any = sender._http._test_only_last_response  # type: ignore[union-attr]
    return int(response.status_code)


@pytest.mark.parametrize(
    "sender_setting",
    [{"from_number": "+15005550006"}, {"messaging_service_sid": SERVICE_SID}],
    ids=["from", "messaging-service"],
)
async def test_a_create_with_a_status_callback_meets_the_contract(
    prism_url: str, sender_setting: dict[str, str]
) -> None:
    async with TwilioSender(settings(prism_url, **sender_setting)) as sender:
        result = await sender.send(OutgoingSms(PHONE, BODY, CALLBACK, reference="N-1"))
        assert last_status(sender) == 201
        retried = await sender.send(OutgoingSms(PHONE, BODY, CALLBACK, reference="N-1", attempt=2))
        assert last_status(sender) == 201
    assert isinstance(result, SendResult) and result.sid.startswith("SM")
    assert retried.sid


async def test_the_lookup_before_a_resend_meets_the_contract(prism_url: str) -> None:
    async with TwilioSender(settings(prism_url)) as sender:
        found = await sender.find_existing(PHONE, datetime.now(UTC) - timedelta(minutes=5), BODY)
        assert last_status(sender) == 200
    assert found is None  # Prism's example messages are from 2019 and say "testing"


async def test_a_request_that_breaks_the_contract_gets_422(prism_url: str) -> None:
    async with TwilioSender(settings(prism_url)) as sender:
        with pytest.raises(PermanentSendError) as caught:
            await sender.send(OutgoingSms(PHONE, BODY, "not a url"))
    assert caught.value.http_status == 422
    async with httpx.AsyncClient(base_url=prism_url, trust_env=False) as http:
        missing_to = await http.post(
            f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
            data={"From": "+15005550006", "Body": BODY},
            auth=(ACCOUNT_SID, "contract-test-token"),
        )
        unsigned = await http.post(
            f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
            data={"To": PHONE, "From": "+15005550006", "Body": BODY},
        )
    assert missing_to.status_code == 422
    assert "'To'" in missing_to.text
    assert unsigned.status_code == 401
