"""ASGI middleware of the app: security headers, CSRF, and running requests in the database
context the lifespan opened.

CSRF: each session holds a random token (``session["csrf"]``); every POST, PUT, PATCH and
DELETE must carry it, in the form field ``csrf_token`` or the ``X-CSRF-Token`` header, and an
``Origin`` header, when sent, must be this site. Exempt: requests with ``Authorization: Bearer``
(scripts; the session cookie is then ignored) and the Twilio webhooks (signed by Twilio).
"""
from __future__ import annotations

import asyncio
import contextvars
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
MAX_BODY = 64 * 1024 * 1024
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}


def csrf_token(session: dict[str, Any]) -> str:
    """The session's CSRF token (made on first use)."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


class DatabaseContext:
    """Where the lifespan opened the database: tortoise keeps its connections in a context
    variable, which request tasks started by the server would not see. The lifespan calls
    :meth:`capture` once the database is open; :class:`RunInDatabaseContext` then runs each
    request in a copy of that context."""

    def __init__(self) -> None:
        self.context: contextvars.Context | None = None

    def capture(self) -> None:
        self.context = contextvars.copy_context()

    def release(self) -> None:
        self.context = None


class RunInDatabaseContext:
    def __init__(self, app: ASGIApp, *, holder: DatabaseContext) -> None:
        self.app = app
        self.holder = holder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        context = self.holder.context
        if scope["type"] == "lifespan" or context is None:
            await self.app(scope, receive, send)
            return
        await asyncio.create_task(self.app(scope, receive, send), context=context.copy())


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.headers = dict(SECURITY_HEADERS)
        if https:
            self.headers["strict-transport-security"] = "max-age=31536000"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name not in headers:
                        headers[name] = value
                if "cache-control" not in headers:
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


Deny = Callable[[Scope, Receive, Send, str], Awaitable[None]]


class CSRFProtect:
    """Refuses unsafe requests without the session's token (403, nothing done)."""

    def __init__(self, app: ASGIApp, *, deny: Deny, exempt_prefixes: tuple[str, ...] = ("/webhooks/",)) -> None:
        self.app = app
        self.deny = deny
        self.exempt = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if headers.get("authorization", "").lower().startswith("bearer "):
            await self.app(scope, receive, send)
            return
        origin = headers.get("origin")
        if origin and not _same_origin(origin, scope, headers):
            await self.deny(scope, receive, send, "origin")
            return
        expected = scope.get("session", {}).get("csrf")
        token = headers.get(CSRF_HEADER)
        downstream = receive
        if token is None:
            body = await _read_body(receive)
            if body is None:
                await self.deny(scope, receive, send, "size")
                return
            token = await _form_token(scope, body)
            downstream = _replay(body, receive)
        if not expected or not token or not secrets.compare_digest(str(token), str(expected)):
            await self.deny(scope, downstream, send, "csrf")
            return
        await self.app(scope, downstream, send)


def _same_origin(origin: str, scope: Scope, headers: Headers) -> bool:
    host = headers.get("host", "")
    parts = urlsplit(origin)
    return parts.netloc == host


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _form_token(scope: Scope, body: bytes) -> str | None:
    content_type = Headers(scope=scope).get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return None
    request = Request(scope, _replay(body, _never))
    try:
        form = await request.form(max_files=10, max_fields=200)
    except Exception:  # noqa: BLE001 - a malformed body has no token; the endpoint never runs
        return None
    try:
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    finally:
        await form.close()


async def _never() -> Message:
    return {"type": "http.disconnect"}
