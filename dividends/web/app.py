"""The web app: ``create_app(settings)`` wires routes, middleware and resources.

The lifespan opens the database (migrations run on open) and the SMS sender, and puts
``settings``, ``clock`` and ``sender`` on ``app.state`` (tests swap the clock to move time).
Routes are an explicit list; each endpoint parses, calls one service and renders, or maps a
domain error (:mod:`dividends.web.render`).
"""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from dividends.clock import Clock, SystemClock
from dividends.settings import Settings, SettingsError
from dividends.store.db import close_database, open_database
from dividends.store.queries import ping
from dividends.web import api, spreadsheets
from dividends.web.auth import SESSION_SECONDS, login, login_form, logout
from dividends.web.render import EXCEPTION_HANDLERS, error_response, on_http_error, on_server_error
from dividends.web.routes import admin, county, decisions, notices, runs, village
from dividends.web.sending import EmbeddedWorker
from dividends.web.webhooks import webhook_routes
from dividends.web.i18n import language
from dividends.web.security import (
    BodyLimit, BodyTooLarge, CSRFProtect, DatabaseContext, RunInDatabaseContext, SecurityHeaders,
)
from notify.senders import Sender
from notify.settings import make_sender
from schemes.i18n import Msg

STATIC = Path(__file__).with_name("static")


async def healthz(request: Request) -> Response:
    """200 when the app can read its database."""
    await ping()
    return JSONResponse({"status": "ok"})


async def favicon(request: Request) -> Response:
    return RedirectResponse("/static/favicon.svg", status_code=301)


def routes() -> list[BaseRoute]:
    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/favicon.ico", favicon, methods=["GET"]),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
        *village.ROUTES,
        *runs.ROUTES,
        *decisions.ROUTES,
        *notices.ROUTES,
        *county.ROUTES,
        *admin.ROUTES,
        *spreadsheets.ROUTES,
        *api.ROUTES,
        *webhook_routes(),  # Twilio status callbacks and replies (signed; no session, no CSRF)
    ]


async def _deny(scope: Scope, receive: Receive, send: Send, reason: str) -> None:
    request = Request(scope, receive)
    response = error_response(request, 403, "error.csrf")
    await response(scope, receive, send)


async def _too_large(scope: Scope, receive: Receive, send: Send, refused: BodyTooLarge) -> None:
    """413, a short page or JSON body that says the limit (the body is not read further)."""
    request = Request(scope, receive)
    response = error_response(request, 413, "error.413", [{"where": "", "message": refused.msg().text(language(request))}])
    response.headers["connection"] = "close"
    await response(scope, receive, send)


def create_app(settings: Settings, clock: Clock | None = None, *, manage_database: bool = True,
               sender: Callable[[], Sender] | None = None) -> Starlette:
    """The app. ``manage_database`` False: the caller has opened the database already (tests
    with a database fixture). ``sender`` makes the SMS sender (default: the one the settings
    name; tests pass a fake)."""
    make = sender or (lambda: make_sender(settings.sms))
    if settings.secret_key is None or len(settings.secret_key) < 16:
        raise SettingsError("SECRET_KEY", Msg("web.settings.secret_key"),
                            Msg("sms.settings.missing") if settings.secret_key is None else
                            Msg("sms.settings.hidden", length=len(settings.secret_key)))
    holder = DatabaseContext()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_database:
            await open_database(settings.database_url)
        try:
            async with make() as sender:
                app.state.sender = sender
                app.state.worker = EmbeddedWorker()
                holder.capture()
                if settings.sms.embedded_worker:
                    app.state.worker.start(sender, settings.sms, app.state.clock)
                try:
                    yield
                finally:
                    await app.state.worker.stop()
                    holder.release()
        finally:
            if manage_database:
                await close_database()

    secret = settings.secret_key
    assert isinstance(secret, SecretStr)
    app = Starlette(
        routes=routes(),
        middleware=[
            Middleware(RunInDatabaseContext, holder=holder),
            Middleware(SecurityHeaders, https=settings.session_https_only),
            Middleware(SessionMiddleware, secret_key=secret.get_secret_value(), session_cookie="dividends_session",
                       max_age=SESSION_SECONDS, same_site="lax", https_only=settings.session_https_only),
            Middleware(BodyLimit, refuse=_too_large),
            Middleware(CSRFProtect, deny=_deny),
        ],
        exception_handlers={**EXCEPTION_HANDLERS, HTTPException: on_http_error, 500: on_server_error},
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    return app


def create_app_from_env() -> Starlette:
    """For ``uvicorn --factory``: settings from the environment and ``.env``; the schema is
    brought up to date by ``dividends serve`` before the workers start."""
    return create_app(Settings.from_env())
