"""Signing in on the command line: every command that changes or reads the database acts as a
real user, with the same rules as on the web (:mod:`dividends.policy`).

- ``--user NAME``: the password is asked for (not echoed), or read from the first line of
  standard input with ``--password-stdin`` (scripts);
- or an API token (created on the web page "API tokens") in the environment variable
  ``DIVIDENDS_TOKEN``, when ``--user`` is not given.

Naming a user is never enough. A wrong user name or password, a revoked token and too many
failed attempts are refused with a translated message and exit code 4, before anything is read.
"""
from __future__ import annotations

from pathlib import Path

import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Optional, TypeVar

import typer

from dividends import access
from dividends.actors import Actor
from dividends.cli.console import err
from dividends.settings import load_settings
from dividends.store.db import database
from schemes.i18n import Msg, load_catalog

T = TypeVar("T")

load_catalog(Path(__file__).parents[1] / "locale", "dividends")

ADDRESS = "cli"
"""The address login throttling counts command-line attempts under."""

UserOpt = Annotated[Optional[str], typer.Option(
    "--user", help="sign in as this user (the password is asked for; or DIVIDENDS_TOKEN)", show_default=False)]
PasswordStdinOpt = Annotated[bool, typer.Option(
    "--password-stdin", help="read the password from the first line of standard input")]


class LoginFailed(Exception):
    """The command line could not sign in; ``msg`` says why (exit 4)."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.msg = Msg(key, **params)


def read_password(user: str, stdin: bool) -> str:
    """The password: the first line of standard input, or asked for without echo."""
    if stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(Msg("cli.login.prompt", user=user).text())
    if not password:
        raise LoginFailed("cli.login.no_password")
    return password


async def sign_in(user: str | None, password: str | None) -> Actor:
    """The actor the credentials name: ``user`` with ``password``, else ``DIVIDENDS_TOKEN``."""
    if user:
        try:
            actor = await access.verify_login(user, password or "", ADDRESS)
        except access.Throttled as throttled:
            raise LoginFailed("cli.login.throttled", seconds=throttled.retry_after) from None
        if actor is None:
            raise LoginFailed("cli.login.failed")
        return actor
    token = os.environ.get("DIVIDENDS_TOKEN", "").strip()
    if not token:
        raise LoginFailed("cli.login.needed")
    actor = await access.actor_for_token(token)
    if actor is None:
        raise LoginFailed("cli.login.bad_token")
    return actor


def credentials(user: str | None, password_stdin: bool) -> tuple[str | None, str | None]:
    """Read the password now (before the database opens), when a user is named."""
    if not user:
        return None, None  # DIVIDENDS_TOKEN, or "sign in first" when there is none
    return user, read_password(user, password_stdin)


def as_user(user: str | None, password_stdin: bool, work: Callable[[Actor], Awaitable[T]],
            busy: str | None = None) -> T:
    """Open the database, sign in, run ``work(actor)``, close (one event loop)."""
    name, password = credentials(user, password_stdin)

    async def main() -> T:
        async with database(load_settings().database_url):
            actor = await sign_in(name, password)
            return await work(actor)
    if busy and err.is_terminal:
        with err.status(busy):
            return asyncio.run(main())
    return asyncio.run(main())
