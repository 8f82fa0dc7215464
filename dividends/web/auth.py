"""Signing in and out, and who is asking.

Pages use the session cookie (signed with ``SECRET_KEY`` by itsdangerous; HttpOnly,
SameSite=Lax, Secure behind HTTPS, 12 hours). The session holds the user id, the user's session
generation at sign-in, the CSRF token and the language; signing in starts a new session. The
generation moves on at ``POST /logout`` (the user is signed out everywhere, so a copied cookie
cannot be replayed), at deactivation and at a password change: a cookie from before never works
again, also after reactivation. Scripts use ``Authorization: Bearer <token>`` on the JSON API
(see :mod:`dividends.access`); with a bearer header the cookie is ignored there, and page routes
check CSRF whatever the headers (:mod:`dividends.web.security`).

Passwords are hashed with argon2id (argon2-cffi); failed logins are throttled per username and
address (:func:`dividends.access.verify_login`).
"""
from __future__ import annotations

import functools
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from dividends import access
from dividends.access import Actor
from dividends.web.i18n import language, t
from dividends.web.render import redirect, render

Handler = Callable[[Request, Actor], Awaitable[Response]]
SESSION_SECONDS = 12 * 60 * 60


async def session_actor(request: Request) -> Actor | None:
    session = request.scope.get("session") or {}
    uid, generation = session.get("uid"), session.get("gen")
    if not isinstance(uid, int) or not isinstance(generation, int):
        return None
    found = await access.actor_and_generation(uid)
    if found is None or found[1] != generation:
        return None
    return found[0]


async def bearer_actor(request: Request) -> Actor | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return await access.actor_for_token(token.strip(), request.app.state.clock)


def page(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A page for signed-in users; others go to the login page and come back."""
    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        actor = await session_actor(request)
        if actor is None:
            if request.method != "GET":
                return redirect("/login")
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return redirect("/login?next=" + quote(target, safe=""))
        request.state.actor = actor
        return await handler(request, actor)

    return endpoint


def api(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A JSON endpoint: a bearer token, or the session (with the CSRF header for writes)."""
    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        if request.headers.get("authorization"):
            actor = await bearer_actor(request)
        else:
            actor = await session_actor(request)
        if actor is None:
            return JSONResponse({"error": t(language(request), "login.title")}, status_code=401,
                                headers={"www-authenticate": "Bearer"})
        request.state.actor = actor
        return await handler(request, actor)

    return endpoint


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


async def login_form(request: Request) -> Response:
    if await session_actor(request) is not None:
        return redirect(_safe_next(request.query_params.get("next")))
    return render(request, "login.html", {"next": _safe_next(request.query_params.get("next")), "message": None})


async def login(request: Request) -> Response:
    form = await request.form()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    username = username.replace("\x00", "\ufffd")  # no user has a NUL; the attempt is recorded, never stored raw
    target = _safe_next(str(form.get("next", "")))
    address = request.client.host if request.client else "unknown"
    lang = language(request)
    try:
        actor = await access.verify_login(username, password, address, request.app.state.clock)
    except access.Throttled as refused:
        response = render(request, "login.html", {"next": target, "message": t(
            lang, "login.throttled", minutes=-(-refused.retry_after // 60))}, status=429)
        response.headers["retry-after"] = str(refused.retry_after)
        return response
    if actor is None:
        return render(request, "login.html", {"next": target, "message": t(lang, "login.failed")}, status=401)
    found = await access.actor_and_generation(actor.user_id)
    if found is None:  # deactivated between the password check and now
        return render(request, "login.html", {"next": target, "message": t(lang, "login.failed")}, status=401)
    session = request.session
    keep = session.get("lang")
    session.clear()
    session.update({"uid": actor.user_id, "gen": found[1], "csrf": secrets.token_urlsafe(32)})
    if keep:
        session["lang"] = keep
    return redirect(target)


async def logout(request: Request) -> Response:
    """Sign out: this session and every other of the same user end (the generation moves on),
    so the old cookie, replayed, lands on the login page."""
    actor = await session_actor(request)
    if actor is not None:
        await access.end_sessions(actor)
    keep = request.session.get("lang")
    request.session.clear()
    if keep:
        request.session["lang"] = keep
    return redirect("/login")
