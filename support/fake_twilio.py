"""A fake of Twilio's Messages API, for behaviour tests, demos and benchmarks (127.0.0.1 only).

A plain ASGI app (:class:`FakeTwilioApp`) over a :class:`FakeTwilioState`:

- ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` (form-encoded ``To``, ``From`` or
  ``MessagingServiceSid``, ``Body``, ``StatusCallback``…) → 201 and a message resource shaped
  like Twilio's (``sid`` ``SM`` + 32 hex, ``status`` ``queued``, or ``accepted`` with
  ``num_segments`` ``"0"`` through a Messaging Service, as Twilio does). Basic auth with the
  account SID and auth token, else 401 (code 20003). Twilio's validation codes: 21604 no To,
  21211 To not E.164, 21603 no sender, 21602 no Body, 21617 Body over 1,600 characters, 21609
  a StatusCallback that is not an http(s) URL.
- ``GET …/Messages.json?To=&From=&DateSent=&DateSent<=&DateSent>=&PageSize=&Page=`` → a page
  (newest first), ``GET …/Messages/{Sid}.json`` → one message.
- Status callbacks: after a create with ``StatusCallback``, ``sent`` and then the final status
  (``delivered`` by default; per recipient ``undelivered``/``failed`` with an ``ErrorCode``) are
  POSTed form-encoded to that URL, signed with ``X-Twilio-Signature`` (:func:`notify.
  twilio_sender.sign` over the URL and fields), by ``callback_concurrency`` background workers;
  optionally final-before-sent (out of order), the final one only, or none at all. A message
  reaches its final status at once; the callbacks only report it.

Behaviour is set in process (methods of :class:`FakeTwilioState`) or over HTTP with
``POST /_fake/control`` (JSON, see :meth:`FakeTwilioState.control`); ``GET /_fake/state`` gives
counters and ``GET /_fake/messages?To=…`` the messages to one recipient.

Run it: :class:`FakeTwilioServer` (a thread of this process, ``.url``, ``.state``),
:class:`FakeTwilioProcess` (a child process, controlled over HTTP: a second CPU for
benchmarks) or ``python -m support.fake_twilio --port 4011`` by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Literal, Self
from urllib.parse import parse_qsl, urlencode

import httpx
import uvicorn
from pydantic import SecretStr

from notify.segments import count_segments
from notify.settings import SmsSettings
from notify.twilio_sender import sign
from support.serve import BackgroundServer, StartStop

FAKE_ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
FAKE_AUTH_TOKEN = "fake-twilio-auth-token-0000000000"
FAKE_FROM = "+15005550006"
FAKE_SERVICE_SID = "MG" + "fedcba9876543210" * 2
API_VERSION = "2010-04-01"

FailureKind = Literal["429", "500", "500_after_store", "hang", "hang_after_store"]
FAILURE_KINDS: tuple[str, ...] = ("429", "500", "500_after_store", "hang", "hang_after_store")
DeliveryStatus = Literal["delivered", "undelivered", "failed"]

_MESSAGES = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages\.json$")
_MESSAGE = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages/([^/]+)\.json$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_CALLBACK_URL = re.compile(r"^https?://[^/\s_]+(/\S*)?$")  # a host name without underscores

ERROR_TEXT: dict[int, str] = {
    20001: "Invalid query parameter",
    20003: "Authenticate",
    20404: "The requested resource {path} was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    20503: "Service Unavailable",
    21211: "The 'To' number {to} is not a valid phone number.",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' "
    "number: {to}.",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21608: "The number {to} is unverified. Trial accounts cannot send messages to unverified "
    "numbers.",
    21609: "Invalid StatusCallback: {url}",
    21610: "Attempt to send to unsubscribed recipient",
    21611: "This 'From' number has exceeded the maximum number of queued messages",
    21614: "'To' number is not a valid mobile number",
    21617: "The concatenated message body exceeds the 1600 character limit.",
    21635: "'To' number cannot be a landline",
}


def error_body(code: int, http_status: int, **fields: str) -> dict[str, Any]:
    """Twilio's error document: ``{"code", "message", "more_info", "status"}``."""
    return {
        "code": code,
        "message": ERROR_TEXT.get(code, "Error {code}").format(code=code, **fields),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": http_status,
    }


@dataclass(slots=True)
class FakeMessage:
    sid: str
    account_sid: str
    to: str
    body: str
    from_: str | None
    messaging_service_sid: str | None
    status_callback: str | None
    status: str
    date_created: datetime
    date_sent: datetime | None = None
    date_updated: datetime | None = None
    num_segments: int = 1
    error_code: int | None = None

    def resource(self) -> dict[str, Any]:
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}"
        counted = self.messaging_service_sid is None or self.status not in ("accepted", "queued")
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": _rfc2822(self.date_created),
            "date_sent": _rfc2822(self.date_sent) if self.date_sent else None,
            "date_updated": _rfc2822(self.date_updated or self.date_created),
            "direction": "outbound-api",
            "error_code": self.error_code,
            "error_message": None,
            "from": self.from_ or (FAKE_FROM if self.date_sent else None),
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": "0",
            "num_segments": str(self.num_segments if counted else 0),
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": uri + "/Media.json"},
            "to": self.to,
            "uri": uri + ".json",
        }


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    status: DeliveryStatus = "delivered"
    error_code: int | None = None


DELIVERED = DeliveryOutcome()
_rfc2822_cache: tuple[int, str] = (0, "")


def _rfc2822(moment: datetime) -> str:
    global _rfc2822_cache
    second = int(moment.timestamp())
    if _rfc2822_cache[0] != second:
        _rfc2822_cache = (second, format_datetime(moment.replace(microsecond=0)))
    return _rfc2822_cache[1]


def _parse_when(text: str) -> datetime | date:
    """A ``DateSent`` filter value: ``2026-12-01T08:00:00Z`` (the SDK) or ``2026-12-01``."""
    text = text.strip()
    if "T" in text:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return date.fromisoformat(text)


def _on_or_after(moment: datetime, bound: datetime | date) -> bool:
    return moment >= bound if isinstance(bound, datetime) else moment.date() >= bound


def _on_or_before(moment: datetime, bound: datetime | date) -> bool:
    return moment <= bound if isinstance(bound, datetime) else moment.date() <= bound


class FakeTwilioState:
    """Everything the fake holds and how it behaves. Safe to drive from the test's thread while
    the server runs in its own: each control call is one atomic update."""

    def __init__(
        self,
        account_sid: str = FAKE_ACCOUNT_SID,
        auth_token: str = FAKE_AUTH_TOKEN,
        *,
        callbacks: bool = True,
        callback_concurrency: int = 8,
        callbacks_out_of_order: bool = False,
        callbacks_final_only: bool = False,
        deterministic_sids: bool = False,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.callbacks_enabled = callbacks
        self.callback_concurrency = callback_concurrency
        self.callbacks_out_of_order = callbacks_out_of_order
        self.callbacks_final_only = callbacks_final_only
        self._sid_prefix = "0" * 8 if deterministic_sids else secrets.token_hex(4)
        self._auth_header = b"Basic " + base64.b64encode(
            f"{account_sid}:{auth_token}".encode("latin-1")
        )
        self.loop: asyncio.AbstractEventLoop | None = None
        self._release: asyncio.Event | None = None
        self.callbacks_pending = 0  # maintained by the callback workers; reset() keeps it
        self.reset()

    def reset(self) -> None:
        """Forget messages, counters and scripted behaviour (callback settings stay)."""
        self.messages: dict[str, FakeMessage] = {}
        self.by_to: dict[str, list[FakeMessage]] = {}
        self.requests: Counter[str] = Counter()
        self.responses: Counter[int] = Counter()
        self.recipient_errors: dict[str, int] = {}
        self.deliveries: dict[str, DeliveryOutcome] = {}
        self.failures: deque[str] = deque()
        self.callbacks_posted = 0
        self.callbacks_failed = 0
        self.callback_errors: deque[str] = deque(maxlen=20)
        self.hanging = 0
        self._seq = 0

    # ------------------------------------------------------------------ control
    def set_recipient_error(self, to: str, code: int | None) -> None:
        """Creates to ``to`` answer Twilio error ``code`` (HTTP 400); ``None`` clears it."""
        if code is None:
            self.recipient_errors.pop(to, None)
        else:
            self.recipient_errors[to] = int(code)

    def fail_next(self, kind: str, count: int = 1) -> None:
        """The next ``count`` creates answer ``kind``: ``429``, ``500``, ``500_after_store`` (the
        message is stored and delivered, the answer is 500), ``hang`` or ``hang_after_store`` (no
        answer until the client gives up or the server stops)."""
        if kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure {kind!r}; expected one of {FAILURE_KINDS}")
        self.failures.extend([kind] * count)

    def set_delivery(
        self, to: str, status: DeliveryStatus = "delivered", error_code: int | None = None
    ) -> None:
        """The final status callbacks report for messages to ``to``."""
        if status not in ("delivered", "undelivered", "failed"):
            raise ValueError(f"unknown delivery status {status!r}")
        self.deliveries[to] = DeliveryOutcome(status, error_code)

    def control(self, command: Mapping[str, Any]) -> None:
        """Apply a JSON control document (what ``POST /_fake/control`` takes)::

        {"reset": true,
         "recipient_errors": {"+8613800000001": 21211, "+8613800000002": null},
         "fail_next": [{"kind": "429", "count": 2}],
         "delivery": {"+8613800000003": {"status": "undelivered", "error_code": 30003}},
         "callbacks": {"enabled": true, "out_of_order": false, "final_only": false}}
        """
        if command.get("reset"):
            self.reset()
        for to, code in (command.get("recipient_errors") or {}).items():
            self.set_recipient_error(to, code)
        for item in command.get("fail_next") or ():
            self.fail_next(str(item["kind"]), int(item.get("count", 1)))
        for to, outcome in (command.get("delivery") or {}).items():
            self.set_delivery(to, outcome.get("status", "delivered"), outcome.get("error_code"))
        callbacks = command.get("callbacks") or {}
        if "enabled" in callbacks:
            self.callbacks_enabled = bool(callbacks["enabled"])
        if "out_of_order" in callbacks:
            self.callbacks_out_of_order = bool(callbacks["out_of_order"])
        if "final_only" in callbacks:
            self.callbacks_final_only = bool(callbacks["final_only"])

    def release_hangs(self) -> None:
        """Let the requests hanging now end; later ones hang again (thread-safe)."""
        if self.loop is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed in between
                self.loop.call_soon_threadsafe(self._rearm_release)

    def _rearm_release(self) -> None:
        if self._release is not None:
            self._release.set()
        self._release = asyncio.Event()

    # ------------------------------------------------------------------ reading
    def messages_to(self, to: str) -> list[FakeMessage]:
        return list(self.by_to.get(to, ()))

    def summary(self) -> dict[str, Any]:
        return {
            "account_sid": self.account_sid,
            "messages": len(self.messages),
            "recipients": len(self.by_to),
            "requests": dict(self.requests),
            "responses": {str(k): v for k, v in self.responses.items()},
            "callbacks": {
                "posted": self.callbacks_posted,
                "failed": self.callbacks_failed,
                "pending": self.callbacks_pending,
                "errors": list(self.callback_errors),
            },
            "hanging": self.hanging,
        }

    # ------------------------------------------------------------------ behaviour
    def authorised(self, header: bytes | None) -> bool:
        if header is None:
            return False
        if header == self._auth_header:
            return True
        scheme, _, value = header.partition(b" ")
        if scheme.lower() != b"basic":
            return False
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except ValueError:
            return False
        sid, _, token = decoded.partition(":")
        return secrets.compare_digest(sid, self.account_sid) and secrets.compare_digest(
            token, self.auth_token
        )

    def new_message(self, form: Mapping[str, str], now: datetime) -> FakeMessage:
        self._seq += 1
        service = form.get("MessagingServiceSid") or None
        body = form["Body"]
        sender = form.get("From") or None
        callback = form.get("StatusCallback") or None
        message = FakeMessage(  # repeated strings interned: 100,000 messages stay near 60 MB
            sid=f"SM{self._sid_prefix}{self._seq:024x}",
            account_sid=self.account_sid,
            to=form["To"],
            body=body,
            from_=sys.intern(sender) if sender else None,
            messaging_service_sid=sys.intern(service) if service else None,
            status_callback=sys.intern(callback) if callback else None,
            status="accepted" if service else "queued",
            date_created=now,
            num_segments=count_segments(body).segments,
        )
        self.messages[message.sid] = message
        self.by_to.setdefault(message.to, []).append(message)
        return message

    def finish(self, message: FakeMessage, now: datetime) -> DeliveryOutcome:
        """Move a message to its final status (the status callbacks report it)."""
        outcome = self.deliveries.get(message.to, DELIVERED)
        message.status = outcome.status
        message.error_code = outcome.error_code
        message.date_sent = message.date_updated = now
        return outcome


async def _read_body(receive: Any) -> bytes:
    chunks: list[bytes] = []
    while True:
        event = await receive()
        if event["type"] == "http.disconnect":
            break
        chunks.append(event.get("body", b""))
        if not event.get("more_body"):
            break
    return b"".join(chunks)


_JSON = [(b"content-type", b"application/json; charset=utf-8")]


async def _respond(send: Any, status: int, document: Any) -> None:
    payload = json.dumps(document, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*_JSON, (b"content-length", str(len(payload)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class FakeTwilioApp:
    """The ASGI callable. Needs the lifespan protocol (uvicorn runs it) for status callbacks."""

    def __init__(self, state: FakeTwilioState) -> None:
        self.state = state
        self._queue: asyncio.Queue[tuple[FakeMessage, DeliveryOutcome]] | None = None
        self._workers: list[asyncio.Task[None]] = []
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            status, document = await self._handle(scope, receive)
            if not scope["path"].startswith("/_fake/"):
                self.state.responses[status] += 1
            await _respond(send, status, document)

    # ------------------------------------------------------------------ lifespan
    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            event = await receive()
            if event["type"] == "lifespan.startup":
                await self.startup()
                await send({"type": "lifespan.startup.complete"})
            elif event["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def startup(self) -> None:
        state = self.state
        state.loop = asyncio.get_running_loop()
        state._release = asyncio.Event()
        self._queue = asyncio.Queue()
        concurrency = max(1, state.callback_concurrency)
        self._client = httpx.AsyncClient(
            timeout=10.0,
            trust_env=False,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        )
        self._workers = [asyncio.create_task(self._callback_worker()) for _ in range(concurrency)]

    async def shutdown(self) -> None:
        if self.state._release is not None:
            self.state._release.set()
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self._queue = None
        self.state.callbacks_pending = 0

    # ------------------------------------------------------------------ routing
    async def _handle(self, scope: dict[str, Any], receive: Any) -> tuple[int, Any]:
        state = self.state
        method, path = scope["method"], scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        body = await _read_body(receive)
        if path.startswith("/_fake/"):
            state.requests["control"] += 1
            return self._control(method, path, body, query)
        headers = dict(scope["headers"])
        if not state.authorised(headers.get(b"authorization")):
            state.requests["unauthorised"] += 1
            return 401, error_body(20003, 401)
        if m := _MESSAGES.match(path):
            if m.group(1) != state.account_sid:
                return 404, error_body(20404, 404, path=path)
            if method == "POST":
                state.requests["create"] += 1
                return await self._create(body, receive)
            if method == "GET":
                state.requests["list"] += 1
                try:
                    return 200, self._list(path, query)
                except ValueError:
                    return 400, error_body(20001, 400)
        elif (m := _MESSAGE.match(path)) and method == "GET":
            state.requests["fetch"] += 1
            message = state.messages.get(m.group(2))
            if m.group(1) == state.account_sid and message is not None:
                return 200, message.resource()
        state.requests["other"] += 1
        return 404, error_body(20404, 404, path=path)

    def _control(self, method: str, path: str, body: bytes, query: str) -> tuple[int, Any]:
        state = self.state
        if path == "/_fake/control" and method == "POST":
            try:
                state.control(json.loads(body or b"{}"))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                return 400, {"error": str(exc)}
            return 200, {"ok": True}
        if path == "/_fake/state" and method == "GET":
            return 200, state.summary()
        if path == "/_fake/messages" and method == "GET":
            to = dict(parse_qsl(query)).get("To", "")
            return 200, {"messages": [m.resource() for m in state.messages_to(to)]}
        return 404, {"error": f"no fake route {method} {path}"}

    # ------------------------------------------------------------------ messages
    async def _create(self, body: bytes, receive: Any) -> tuple[int, Any]:
        state = self.state
        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        to = form.get("To", "")
        if not to:
            return 400, error_body(21604, 400)
        if not _E164.match(to):
            return 400, error_body(21211, 400, to=to)
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return 400, error_body(21603, 400)
        text = form.get("Body", "")
        if not text:
            return 400, error_body(21602, 400)
        if len(text) > 1600:
            return 400, error_body(21617, 400)
        callback = form.get("StatusCallback", "")
        if callback and not _CALLBACK_URL.match(callback):
            return 400, error_body(21609, 400, url=callback)
        code = state.recipient_errors.get(to)
        if code is not None:
            return 400, error_body(code, 400, to=to)
        try:
            failure = state.failures.popleft()
        except IndexError:
            failure = None
        if failure == "429":
            return 429, error_body(20429, 429)
        if failure == "500":
            return 500, error_body(20500, 500)
        if failure in ("hang", "hang_after_store"):
            if failure == "hang_after_store":
                self._store(form)
            await self._hang(receive)
            return 503, error_body(20503, 503)  # the client has gone; uvicorn drops this
        snapshot = self._store(form)
        if failure == "500_after_store":
            return 500, error_body(20500, 500)
        return 201, snapshot

    def _store(self, form: Mapping[str, str]) -> dict[str, Any]:
        now = datetime.now(UTC)
        message = self.state.new_message(form, now)
        snapshot = message.resource()
        outcome = self.state.finish(message, now)
        if message.status_callback and self.state.callbacks_enabled and self._queue is not None:
            self.state.callbacks_pending += 1
            self._queue.put_nowait((message, outcome))
        return snapshot

    async def _hang(self, receive: Any) -> None:
        """Wait until the client hangs up or the server stops (the 503 after it goes nowhere)."""
        state = self.state
        state.hanging += 1
        release = state._release

        async def until_disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass  # uvicorn may hand over an empty trailing body event first

        disconnect = asyncio.ensure_future(until_disconnect())
        stop = asyncio.ensure_future(release.wait()) if release is not None else None
        try:
            await asyncio.wait(
                [t for t in (disconnect, stop) if t is not None],
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            for task in (disconnect, stop):
                if task is not None and not task.done():
                    task.cancel()
            state.hanging -= 1

    def _list(self, path: str, query: str) -> dict[str, Any]:
        params = dict(parse_qsl(query, keep_blank_values=True))
        state = self.state
        to, sender = params.get("To"), params.get("From")
        candidates = state.by_to.get(to, []) if to else list(state.messages.values())
        exact = _parse_when(params["DateSent"]) if params.get("DateSent") else None
        after = _parse_when(params["DateSent>"]) if params.get("DateSent>") else None
        before = _parse_when(params["DateSent<"]) if params.get("DateSent<") else None
        selected = []
        for message in reversed(candidates):  # newest first
            if sender and message.from_ != sender:
                continue
            sent = message.date_sent
            if exact or after or before:
                if sent is None:
                    continue
                if exact and not (_on_or_after(sent, exact) and _on_or_before(sent, exact)):
                    continue
                if after and not _on_or_after(sent, after):
                    continue
                if before and not _on_or_before(sent, before):
                    continue
            selected.append(message)
        page_size = min(max(int(params.get("PageSize") or 50), 1), 1000)
        page = max(int(params.get("Page") or 0), 0)
        start = page * page_size
        chunk = selected[start : start + page_size]
        keep = {k: v for k, v in params.items() if k not in ("Page", "PageSize", "PageToken")}

        def uri(n: int) -> str:
            return f"{path}?{urlencode({**keep, 'PageSize': page_size, 'Page': n})}"

        has_next = start + page_size < len(selected)
        return {
            "messages": [m.resource() for m in chunk],
            "end": start + max(len(chunk) - 1, 0),
            "first_page_uri": uri(0),
            "next_page_uri": (uri(page + 1) + f"&PageToken=PA{start + page_size}")
            if has_next
            else None,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": uri(page - 1) if page > 0 else None,
            "start": start,
            "uri": uri(page),
        }

    # ------------------------------------------------------------------ callbacks
    async def _callback_worker(self) -> None:
        assert self._queue is not None
        queue = self._queue
        while True:
            message, outcome = await queue.get()
            try:
                steps: list[tuple[str, int | None]] = [
                    ("sent", None),
                    (outcome.status, outcome.error_code),
                ]
                if self.state.callbacks_final_only:
                    del steps[0]
                elif self.state.callbacks_out_of_order:
                    steps.reverse()
                for status, code in steps:
                    await self._post_callback(message, status, code)
            finally:
                self.state.callbacks_pending -= 1

    async def _post_callback(self, message: FakeMessage, status: str, code: int | None) -> None:
        state = self.state
        assert message.status_callback is not None and self._client is not None
        params = {
            "SmsSid": message.sid,
            "SmsStatus": status,
            "MessageStatus": status,
            "To": message.to,
            "MessageSid": message.sid,
            "AccountSid": message.account_sid,
            "From": message.from_ or FAKE_FROM,
            "ApiVersion": API_VERSION,
        }
        if message.messaging_service_sid:
            params["MessagingServiceSid"] = message.messaging_service_sid
        if code is not None:
            params["ErrorCode"] = str(code)
        if status in ("delivered", "undelivered"):
            params["RawDlrDoneDate"] = datetime.now(UTC).strftime("%y%m%d%H%M")
        headers = {
            "X-Twilio-Signature": sign(state.auth_token, message.status_callback, params),
            "I-Twilio-Idempotency-Token": f"{message.sid}-{status}",
            "User-Agent": "TwilioProxy/1.1",
        }
        try:
            response = await self._client.post(
                message.status_callback, data=params, headers=headers
            )
        except Exception as exc:  # a worker must survive whatever one callback meets
            state.callbacks_failed += 1
            state.callback_errors.append(f"{message.sid} {status}: {type(exc).__name__}")
            return
        if 200 <= response.status_code < 300:
            state.callbacks_posted += 1
        else:
            state.callbacks_failed += 1
            state.callback_errors.append(f"{message.sid} {status}: HTTP {response.status_code}")


# ---------------------------------------------------------------------- running it


def _settings_for(
    url: str,
    account_sid: str,
    auth_token: str,
    messaging_service_sid: str | None,
    from_number: str | None,
    public_base_url: str | None,
    **overrides: Any,
) -> SmsSettings:
    if messaging_service_sid is None and from_number is None:
        from_number = FAKE_FROM
    return SmsSettings(
        backend="twilio",
        account_sid=account_sid,
        auth_token=SecretStr(auth_token),
        messaging_service_sid=messaging_service_sid,
        from_number=from_number,
        public_base_url=public_base_url,
        api_base_url=url,
        **overrides,
    )


class _PointedSettings:
    """``sms_settings()`` of a fake at ``self.url`` with ``self.credentials()``."""

    url: str

    def credentials(self) -> tuple[str, str]:
        raise NotImplementedError

    def sms_settings(
        self,
        *,
        messaging_service_sid: str | None = None,
        from_number: str | None = None,
        public_base_url: str | None = None,
        **overrides: Any,
    ) -> SmsSettings:
        """Settings of a ``twilio`` backend pointed at this fake (``TWILIO_FROM`` +15005550006
        unless a Messaging Service SID or another sender is given)."""
        return _settings_for(self.url, *self.credentials(), messaging_service_sid, from_number, public_base_url,
                             **overrides)


class FakeTwilioServer(_PointedSettings, BackgroundServer):
    """The fake in a background thread of this process: ``.url``, ``.state``."""

    def __init__(self, state: FakeTwilioState | None = None, **state_options: Any) -> None:
        self.state = state or FakeTwilioState(**state_options)
        super().__init__(FakeTwilioApp(self.state))

    def before_stop(self) -> None:
        self.state.release_hangs()

    def credentials(self) -> tuple[str, str]:
        return self.state.account_sid, self.state.auth_token

    async def wait_for_callbacks(self, timeout: float = 5.0) -> None:
        """Wait until every queued status callback has been posted (or has failed)."""
        deadline = time.monotonic() + timeout
        while self.state.callbacks_pending > 0:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.state.callbacks_pending} status callbacks still pending")
            await asyncio.sleep(0.01)


class FakeTwilioProcess(_PointedSettings, StartStop):
    """The fake in a child process (``python -m support.fake_twilio``), driven over HTTP.

    Use it where the fake must not share this process's CPU (benchmarks)::

        with FakeTwilioProcess(callbacks=False) as fake:
            settings = fake.sms_settings()
            ...
            assert fake.summary()["messages"] == 100_000
    """

    def __init__(
        self,
        *,
        account_sid: str = FAKE_ACCOUNT_SID,
        auth_token: str = FAKE_AUTH_TOKEN,
        callbacks: bool = True,
        callbacks_final_only: bool = False,
        callback_concurrency: int = 8,
        start_timeout: float = 20.0,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._args = ["--port", "0", "--callback-concurrency", str(callback_concurrency)]
        if not callbacks:
            self._args.append("--no-callbacks")
        if callbacks_final_only:
            self._args.append("--final-callbacks-only")
        self._start_timeout = start_timeout
        self._process: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> Self:
        env = {
            **os.environ,
            "FAKE_TWILIO_ACCOUNT_SID": self.account_sid,
            "FAKE_TWILIO_AUTH_TOKEN": self.auth_token,
            "PYTHONUNBUFFERED": "1",
        }
        root = Path(__file__).resolve().parent.parent
        self._process = subprocess.Popen(
            [sys.executable, "-m", "support.fake_twilio", *self._args],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self._process.stdout is not None
        deadline = time.monotonic() + self._start_timeout
        line = ""
        while time.monotonic() < deadline and self._process.poll() is None:
            line = self._process.stdout.readline()
            if line.startswith("fake Twilio listening on "):
                self.url = line.split()[4]
                return self
        self.stop()
        raise RuntimeError(f"the fake Twilio process did not start (last output {line!r})")

    def stop(self) -> None:
        from support.fake_provider import stop_child

        process, self._process = self._process, None
        stop_child(process)

    def control(self, **command: Any) -> None:
        """``POST /_fake/control`` (see :meth:`FakeTwilioState.control`)."""
        response = httpx.post(self.url + "/_fake/control", json=command, trust_env=False)
        response.raise_for_status()

    def summary(self) -> dict[str, Any]:
        response = httpx.get(self.url + "/_fake/state", trust_env=False)
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def credentials(self) -> tuple[str, str]:
        return self.account_sid, self.auth_token


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m support.fake_twilio", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4011, help="0 picks a free port")
    parser.add_argument("--no-callbacks", action="store_true", help="never post status callbacks")
    parser.add_argument(
        "--final-callbacks-only",
        action="store_true",
        help="post only the final status callback of each message",
    )
    parser.add_argument("--callback-concurrency", type=int, default=8)
    args = parser.parse_args(argv)
    state = FakeTwilioState(
        os.environ.get("FAKE_TWILIO_ACCOUNT_SID", FAKE_ACCOUNT_SID),
        os.environ.get("FAKE_TWILIO_AUTH_TOKEN", FAKE_AUTH_TOKEN),
        callbacks=not args.no_callbacks,
        callback_concurrency=args.callback_concurrency,
        callbacks_final_only=args.final_callbacks_only,
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(2048)
    host, port = sock.getsockname()[:2]
    print(f"fake Twilio listening on http://{host}:{port} account {state.account_sid}", flush=True)
    config = uvicorn.Config(
        FakeTwilioApp(state),
        lifespan="on",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
        backlog=2048,
        server_header=False,
        date_header=False,
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()


if __name__ == "__main__":
    main()
