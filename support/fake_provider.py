"""What the fakes of the template providers (Aliyun SMS, Tencent Cloud SMS) share.

A fake holds the provider's side of the story: the approved templates and the signature (from
``support/sms_templates.yaml`` and :data:`FAKE_SIGNATURE`), the messages it accepted, their
delivery receipts (pushed to a URL, or queued for a pull), households' replies, a daily limit per
number and template, and a script of failures for the next requests:

==========================  =====================================================================
``fail_next`` kind          the next request(s)
==========================  =====================================================================
``throttle``                refused as flow-controlled (the message is not stored)
``server_error``            HTTP 500 (not stored)
``server_error_after_store`` stored, then HTTP 500 (the provider has it; we were not told)
``hang``                    no answer until released (not stored)
``hang_after_store``        stored, then no answer until released
``error:CODE``              refused with the provider's error ``CODE``
==========================  =====================================================================

``fail_for`` makes deliveries to one phone fail with a code (a receipt of failure, the message
stays stored); ``report_delay`` delays receipts (late receipts); ``duplicate_reports`` sends each
receipt twice. The protocol of each provider lives in its module; the fake runs in this process
(:class:`FakeProviderServer`) or in a child process (:class:`FakeProviderProcess`), driven over
``/_fake/control`` and read at ``/_fake/state``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from notify.catalog import CATALOG, ProviderTemplates, load_provider_templates, substitute
from support.serve import BackgroundServer, StartStop

TEMPLATES_FILE = Path(__file__).with_name("sms_templates.yaml")
FAKE_SIGNATURE = "青山镇人民政府"
FAKE_KEY_ID = "fake-access-key-id-0001"
FAKE_KEY_SECRET = "fake-access-key-secret-0000000001"
FAKE_SDK_APP_ID = "1400000001"
FAKE_WEBHOOK_TOKEN = "fake-webhook-token-0123456789"


@dataclass
class StoredMessage:
    sid: str
    phone: str
    """E.164, ``+8613800138000``."""
    template: str
    lang: str
    code: str
    params: dict[str, str]
    key: str
    content: str
    created: datetime
    status: str = "sent"
    """``sent`` (no receipt yet), ``delivered`` or ``failed``."""
    error: str | None = None


@dataclass
class Refusal:
    """The provider refused the request: ``code`` its error code; ``http`` its HTTP status."""

    code: str
    message: str
    http: int = 200


@dataclass
class FakeProviderState:
    provider: str
    signature: str = FAKE_SIGNATURE
    daily_limit: int = 50
    templates: ProviderTemplates = field(default_factory=lambda: load_provider_templates(TEMPLATES_FILE))
    report_url: str | None = None
    reply_url: str | None = None
    report_delay: float = 0.0
    duplicate_reports: bool = False
    messages: dict[str, StoredMessage] = field(default_factory=dict)
    by_phone: dict[str, list[StoredMessage]] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    script: deque[str] = field(default_factory=deque)
    pending_reports: list[StoredMessage] = field(default_factory=list)
    pending_replies: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    hanging: int = 0
    pushed: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _release: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        self.release()
        with self._lock:
            self.messages.clear()
            self.by_phone.clear()
            self.outcomes.clear()
            self.script.clear()
            self.pending_reports.clear()
            self.pending_replies.clear()
            self.counts.clear()
            self.report_url = self.reply_url = None
            self.report_delay, self.duplicate_reports, self.hanging, self.pushed = 0.0, False, 0, 0
            self._release = threading.Event()

    def release(self) -> None:
        self._release.set()

    def control(self, command: dict[str, Any]) -> None:
        for step in command.get("fail_next", []):
            self.script.extend([str(step["kind"])] * int(step.get("count", 1)))
        for phone, code in (command.get("fail_for") or {}).items():
            if code is None:
                self.outcomes.pop(phone, None)
            else:
                self.outcomes[phone] = str(code)
        for name in ("report_url", "reply_url", "report_delay", "duplicate_reports", "daily_limit"):
            if name in command:
                setattr(self, name, command[name])
        if command.get("release"):
            self.release()
        if "reply" in command:
            self.pending_replies.append(dict(command["reply"]))

    def summary(self) -> dict[str, Any]:
        by_status = Counter(m.status for m in self.messages.values())
        keys = Counter(m.key for m in self.messages.values() if m.key)
        return {"messages": len(self.messages), "by_status": dict(by_status), "hanging": self.hanging,
                "requests": dict(self.counts), "pushed": self.pushed,
                "duplicate_keys": sorted(k for k, n in keys.items() if n > 1),
                "pending_reports": len(self.pending_reports)}

    def next_failure(self) -> str | None:
        with self._lock:
            return self.script.popleft() if self.script else None

    def accept(self, phone: str, code: str, params: dict[str, str], sign: str, key: str,
               now: datetime) -> StoredMessage | Refusal:
        """Check one message as the provider would and store it."""
        found = self.templates.by_code(self.provider).get(code)
        if found is None or self.templates.registration(self.provider, *found).state != "approved":
            return Refusal("template", f"template {code} is not approved")
        template_id, lang = found
        if sign != self.signature:
            return Refusal("signature", f"signature {sign!r} is not approved")
        template = CATALOG.template(template_id)
        wanted = template.variables(lang)
        if sorted(params) != sorted(wanted) or any(not str(v).strip() for v in params.values()):
            return Refusal("params", f"template {code} takes {list(wanted)}")
        if not re.fullmatch(r"\+861[3-9]\d{9}", phone):
            return Refusal("phone", "not a mainland mobile number")
        today = [m for m in self.by_phone.get(phone, []) if m.code == code
                 and m.created.date() == now.date()]
        if len(today) >= self.daily_limit:
            return Refusal("daily_limit", f"{phone[-4:]}: {self.daily_limit} texts of {code} today")
        content = f"【{sign}】" + substitute(template.text[lang], params)
        with self._lock:
            sid = self.new_sid(next(self._ids))
            message = StoredMessage(sid, phone, template_id, lang, code, dict(params), key, content, now)
            self.messages[sid] = message
            self.by_phone.setdefault(phone, []).append(message)
        return message

    def new_sid(self, n: int) -> str:
        return f"{self.provider}-{n:012d}"

    def deliver(self, message: StoredMessage) -> None:
        """Decide the fate of a stored message (its receipt)."""
        failure = self.outcomes.get(message.phone)
        message.status, message.error = ("failed", failure) if failure else ("delivered", None)
        copies = 2 if self.duplicate_reports else 1
        self.pending_reports.extend([message] * copies)

    async def hang_until_released(self) -> None:
        self.hanging += 1
        try:
            while not self._release.is_set():
                await asyncio.sleep(0.02)
        finally:
            self.hanging -= 1


async def read_body(receive: Any, limit: int = 1 << 20) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise ValueError("request body too large")
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def respond(send: Any, status: int, document: Any) -> None:
    payload = json.dumps(document, ensure_ascii=False).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


class FakeProviderApp:
    """ASGI plumbing of a fake: control routes, the receipt pusher; subclasses speak the API."""

    def __init__(self, state: FakeProviderState) -> None:
        self.state = state
        self._pusher: asyncio.Task[None] | None = None

    async def api(self, scope: dict[str, Any], body: bytes) -> tuple[int, Any]:
        raise NotImplementedError

    def report_documents(self, messages: list[StoredMessage]) -> list[Any]:
        """The push bodies for these receipts (one request each)."""
        raise NotImplementedError

    def reply_document(self, reply: dict[str, Any]) -> Any:
        raise NotImplementedError

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                event = await receive()
                if event["type"] == "lifespan.startup":
                    self._pusher = asyncio.create_task(self._push_loop())
                    await send({"type": "lifespan.startup.complete"})
                else:
                    if self._pusher is not None:
                        self._pusher.cancel()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        path = scope["path"]
        if path == "/_fake/control":
            self.state.control(json.loads(body or b"{}"))
            await respond(send, 200, {"ok": True})
        elif path == "/_fake/state":
            await respond(send, 200, self.state.summary())
        else:
            status, document = await self.api(scope, body)
            await respond(send, status, document)

    async def _push_loop(self) -> None:
        """Post receipts and replies to the configured URLs (a provider retries a few times)."""
        async with httpx.AsyncClient(timeout=5.0, trust_env=False) as client:
            while True:
                await asyncio.sleep(0.02)
                state = self.state
                if state.reply_url and state.pending_replies:
                    replies, state.pending_replies = state.pending_replies, []
                    for reply in replies:
                        await self._post(client, state.reply_url, self.reply_document(reply))
                if not state.report_url or not state.pending_reports:
                    continue
                if state.report_delay:
                    await asyncio.sleep(state.report_delay)
                batch, state.pending_reports = state.pending_reports[:100], state.pending_reports[100:]
                for document in self.report_documents(batch):
                    await self._post(client, state.report_url, document)

    async def _post(self, client: httpx.AsyncClient, url: str, document: Any) -> None:
        for _ in range(3):
            try:
                response = await client.post(url, json=document)
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
                continue
            self.state.pushed += 1
            if response.status_code < 500:
                return


class FakeProviderServer(BackgroundServer):
    """A fake in a background thread of this process: ``.url``, ``.state``."""

    def __init__(self, app: FakeProviderApp) -> None:
        self.state = app.state
        super().__init__(app)

    def before_stop(self) -> None:
        self.state.release()


def serve_main(prog: str, make_app: Any, argv: list[str] | None = None) -> None:
    """``python -m support.fake_<provider> --port 0``: print the URL, serve until SIGINT."""
    import argparse

    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(2048)
    host, port = sock.getsockname()[:2]
    print(f"fake provider listening on http://{host}:{port}", flush=True)
    config = uvicorn.Config(make_app(), lifespan="on", log_level="warning", access_log=False,
                            timeout_graceful_shutdown=2, backlog=2048, server_header=False, date_header=False)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()


def stop_child(process: subprocess.Popen[str] | None) -> None:
    """Stop a fake's child process: SIGINT (uvicorn shuts down), SIGKILL after 10 s."""
    if process is None:
        return
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


class FakeProviderProcess(StartStop):
    """A fake in a child process (benchmarks, crash tests): ``control``, ``summary``, ``url``."""

    def __init__(self, module: str, start_timeout: float = 20.0) -> None:
        self.module = module
        self.url = ""
        self._timeout = start_timeout
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> FakeProviderProcess:
        root = Path(__file__).resolve().parent.parent
        self._process = subprocess.Popen([sys.executable, "-m", self.module, "--port", "0"], cwd=root,
                                         env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, text=True)
        assert self._process.stdout is not None
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline and self._process.poll() is None:
            line = self._process.stdout.readline()
            if line.startswith("fake provider listening on "):
                self.url = line.split()[4]
                return self
        self.stop()
        raise RuntimeError(f"{self.module} did not start")

    def stop(self) -> None:
        process, self._process = self._process, None
        stop_child(process)

    def control(self, **command: Any) -> None:
        httpx.post(self.url + "/_fake/control", json=command, trust_env=False).raise_for_status()

    def summary(self) -> dict[str, Any]:
        response = httpx.get(self.url + "/_fake/state", trust_env=False)
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]


def now_utc() -> datetime:
    return datetime.now(UTC)


def provider_env(provider: str, url: str) -> dict[str, str]:
    """Environment variables of a backend pointed at a fake (subprocess tests, the benchmark)."""
    common = {"SMS_BACKEND": provider, "SMS_SIGNATURE": FAKE_SIGNATURE, "SMS_TEMPLATES_FILE": str(TEMPLATES_FILE),
              "NO_PROXY": "127.0.0.1"}
    if provider == "aliyun":
        return {**common, "ALIYUN_ACCESS_KEY_ID": FAKE_KEY_ID, "ALIYUN_ACCESS_KEY_SECRET": FAKE_KEY_SECRET,
                "ALIYUN_SMS_ENDPOINT": url}
    return {**common, "TENCENT_SECRET_ID": FAKE_KEY_ID, "TENCENT_SECRET_KEY": FAKE_KEY_SECRET,
            "TENCENT_SMS_SDK_APP_ID": FAKE_SDK_APP_ID, "TENCENT_SMS_ENDPOINT": url}


def provider_settings(provider: str, url: str, **env: str) -> Any:
    """:class:`notify.settings.SmsSettings` of a backend pointed at a fake."""
    from notify.settings import SmsSettings

    return SmsSettings.from_env({**provider_env(provider, url), **env})
