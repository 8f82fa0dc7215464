"""ASGI middleware of the app: security headers, CSRF, and running requests in the database
context the lifespan opened.

CSRF: each session holds a random token (``session["csrf"]``); every POST, PUT, PATCH and
DELETE must carry it, in the form field ``csrf_token`` or the ``X-CSRF-Token`` header, and an
``Origin`` header, when sent, must be this site. Exempt: the JSON API (``/api/``) called with
``Authorization: Bearer`` (scripts; the API then ignores the session cookie) and the webhooks
(signed by their providers). Page routes check CSRF whatever other headers a request carries.

Body size: :class:`BodyLimit` bounds every request body while it streams in (a declared larger
``Content-Length`` is refused before reading): an upload route by its kind of file
(:mod:`dividends.files.limits`: registry, bank result, audit pack), webhooks by a few KB, any
other form or JSON body by :data:`FORM_BYTES`. It holds the same on every route and whatever
the authentication (session form with the token in a field or a header, bearer token), because
it wraps the body before CSRF or an endpoint reads it. The CSRF check spools a form body to a
temporary file (in memory up to 1 MB), never into one buffer.
"""
from __future__ import annotations

from pathlib import Path

import asyncio
import contextvars
import re
import secrets
import tempfile
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dividends.files.limits import MB, FileKind, Limits
from schemes.i18n import Msg, load_catalog

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
FORM_BYTES = 1 * MB
WEBHOOK_BYTES = 64 * 1024  # an outer guard; the webhook endpoints cap at 16 KB themselves
#: Upload routes (page and API alike), the kind of file they take, and how many files at most.
UPLOADS: tuple[tuple[re.Pattern[str], FileKind, int], ...] = (
    (re.compile(r"/(api/v1/)?villages/[^/]+/registry"), "registry", 3),
    (re.compile(r"/(api/v1/)?runs/[0-9]+/bank-result"), "bank_result", 1),
    (re.compile(r"/county/verify-pack"), "audit_pack", 1),
)
SPOOL_BYTES = 1 * MB
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


load_catalog(Path(__file__).parents[1] / "locale", "dividends")


class BodyTooLarge(Exception):
    """The request body passed its limit while streaming in (a 413, nothing done)."""

    def __init__(self, limit: int, kind: FileKind | None, shown: int) -> None:
        super().__init__(limit)
        self.limit = limit
        self.kind = kind
        self.shown = shown

    def msg(self) -> Msg:
        size = f"{self.shown // MB} MB" if self.shown >= MB else f"{self.shown // 1024} KB"
        if self.kind is None:
            return Msg("web.error.too_large", limit=size)
        return Msg("web.error.too_large_kind", kind=Msg(f"limits.kind.{self.kind}"), limit=size)


def body_limit(path: str, limits: Limits) -> BodyTooLarge:
    """The largest body this path accepts (as the refusal to raise when it is passed). An upload
    route may carry as many files of its kind as it takes, each up to the kind's limit (checked
    again per file by the reader), plus 1 MB of fields; other bodies :data:`FORM_BYTES`."""
    if path.startswith("/webhooks/"):
        return BodyTooLarge(WEBHOOK_BYTES, None, WEBHOOK_BYTES)
    for pattern, kind, files in UPLOADS:
        if pattern.fullmatch(path):
            return BodyTooLarge(files * limits.file_bytes(kind) + FORM_BYTES, kind, limits.file_bytes(kind))
    return BodyTooLarge(FORM_BYTES, None, FORM_BYTES)


Refuse = Callable[[Scope, Receive, Send, BodyTooLarge], Awaitable[None]]


class BodyLimit:
    """Counts the body as it streams in and stops it at the path's limit (:func:`body_limit`)."""

    def __init__(self, app: ASGIApp, *, refuse: Refuse) -> None:
        self.app = app
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        refusal = body_limit(scope["path"], Limits.from_env())
        limit = refusal.limit
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > limit:
            await self.refuse(scope, receive, send, refusal)
            return
        size = 0
        started = False

        async def counted() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > limit:
                    raise refusal
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as refused:
            if started:
                raise
            await self.refuse(scope, receive, send, refused)


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
        if scope["path"].startswith("/api/") and headers.get("authorization", "").lower().startswith("bearer "):
            await self.app(scope, receive, send)  # the API authenticates by the token alone
            return
        origin = headers.get("origin")
        if origin and not _same_origin(origin, scope, headers):
            await self.deny(scope, receive, send, "origin")
            return
        expected = scope.get("session", {}).get("csrf")
        token = headers.get(CSRF_HEADER)
        if token is not None:
            if not expected or not secrets.compare_digest(str(token), str(expected)):
                await self.deny(scope, receive, send, "csrf")
                return
            await self.app(scope, receive, send)
            return
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            await _spool_body(receive, spool)
            token = await _form_token(scope, spool)
            downstream = _replay(spool, receive)
            if not expected or not token or not secrets.compare_digest(str(token), str(expected)):
                await self.deny(scope, downstream, send, "csrf")
                return
            await self.app(scope, downstream, send)


def _same_origin(origin: str, scope: Scope, headers: Headers) -> bool:
    host = headers.get("host", "")
    parts = urlsplit(origin)
    return parts.netloc == host


async def _spool_body(receive: Receive, spool: Any) -> None:
    """Copy the body into ``spool`` as it comes (the size is bounded by :class:`BodyLimit`)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        spool.write(message.get("body", b""))
        if not message.get("more_body"):
            break


CHUNK = 64 * 1024


def _replay(spool: Any, receive: Receive) -> Receive:
    """The spooled body again, in chunks, then whatever ``receive`` says (a disconnect)."""
    spool.seek(0)
    done = False

    async def replay() -> Message:
        nonlocal done
        if not done:
            chunk = spool.read(CHUNK)
            more = len(chunk) == CHUNK
            if not more:
                done = True
            return {"type": "http.request", "body": chunk, "more_body": more}
        return await receive()

    return replay


async def _form_token(scope: Scope, spool: Any) -> str | None:
    content_type = Headers(scope=scope).get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return None
    request = Request(scope, _replay(spool, _never))
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
