"""``dividends serve`` (the web app under uvicorn) and the administration commands a fresh
installation needs: ``dividends user add`` (the first administrator of an empty database without
signing in; every later user by a signed-in administrator), ``user password``, ``user token``
and ``village add`` (next to ``village set`` of :mod:`dividends.cli.running`)."""
from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Optional, TypeVar

import typer

from dividends.actors import ROLES, Actor
from dividends.cli.login import PasswordStdinOpt, UserOpt, credentials, sign_in
from dividends.cli.console import err, out
from dividends.cli.running import village_app
from dividends.refusals import refuse
from dividends.settings import Settings, SettingsError
from dividends.store.db import close_database, database, open_database

T = TypeVar("T")

users = typer.Typer(help="User accounts of the web app.", no_args_is_help=True)


def _with_database(work: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        async with database(Settings.from_env().database_url):
            return await work()

    return asyncio.run(main())


def serve(host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option("--port", help="port to listen on")] = 8000,
          workers: Annotated[int, typer.Option("--workers", help="worker processes")] = 1,
          proxy_headers: Annotated[bool, typer.Option("--proxy-headers/--no-proxy-headers",
                                                      help="trust X-Forwarded-* from the addresses in FORWARDED_ALLOW_IPS")] = False) -> None:
    """Serve the web app (migrations are applied first)."""
    import uvicorn

    from dividends.web.app import create_app
    try:
        settings = Settings.from_env()
        create_app(settings)  # refuses a missing or short SECRET_KEY before anything starts
    except SettingsError as error:
        err.print(error.text(), style="red", markup=False)
        raise typer.Exit(2) from None

    async def migrate() -> None:
        await open_database(settings.database_url)
        await close_database()

    asyncio.run(migrate())
    out.print(f"serving on http://{host}:{port} ({settings.database_url.split('://', 1)[0]})", markup=False)
    uvicorn.run("dividends.web.app:create_app_from_env", factory=True, host=host, port=port, workers=workers,
                proxy_headers=proxy_headers, forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
                server_header=False, access_log=False, log_level="warning")


def _new_password(stdin: bool) -> str:
    """The new password: the next line of standard input, DIVIDENDS_PASSWORD, or asked twice."""
    if stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if os.environ.get("DIVIDENDS_PASSWORD"):
        return os.environ["DIVIDENDS_PASSWORD"]
    return str(typer.prompt("new password", hide_input=True, confirmation_prompt=True))


def _signed_in(user: str | None, password_stdin: bool, work: Callable[[Actor, str], Awaitable[T]],
               new_password: bool = True) -> T:
    """Sign in (the signer's password is read first: with --password-stdin, the first line; the
    new password, when the command sets one, is the line after), then run ``work(actor)``."""
    name, password = credentials(user, password_stdin)
    fresh = _new_password(password_stdin) if new_password else ""

    async def main() -> T:
        async with database(Settings.from_env().database_url):
            actor = await sign_in(name, password)
            return await work(actor, fresh)
    return asyncio.run(main())


@users.command("add")
def user_add(username: str,
             role: Annotated[str, typer.Option("--role", help=" | ".join(ROLES))],
             village: Annotated[Optional[str], typer.Option("--village", help="village code (accountant, committee)")] = None,
             county: Annotated[Optional[str], typer.Option("--county", help="county code (auditor; admin of one county)")] = None,
             name: Annotated[str, typer.Option("--name", help="full name")] = "",
             password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password(s) from stdin")] = False,
             user: UserOpt = None) -> None:
    """Add a user (admin). On a database with no users, the first administrator is added without
    signing in. The new password is asked for, read from stdin (after the signer's, when --user
    is given), or taken from DIVIDENDS_PASSWORD."""
    from dividends.usecases import users as user_cases

    async def first() -> bool:
        return await user_cases.needs_bootstrap()
    if not user and not os.environ.get("DIVIDENDS_TOKEN") and _with_database(first):
        if role != "admin":
            raise refuse("users.first_admin")
        password = _new_password(password_stdin)
        created = _with_database(lambda: user_cases.bootstrap_admin(username, password, county=county,
                                                                    display_name=name))
    else:
        created = _signed_in(user, password_stdin, lambda actor, password: user_cases.create(
            actor, username, password, role, village=village, county=county, display_name=name))
    out.print(f"user {created.username} ({created.role}) created", markup=False)


@users.command("password")
def user_password(username: str,
                  password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password(s) from stdin")] = False,
                  user: UserOpt = None) -> None:
    """Set a password: your own, or (admin) that of a user in your scope. Sign in first; with
    --password-stdin the first line is your password, the second the new one."""
    from dividends.usecases import users as user_cases
    _signed_in(user, password_stdin, lambda actor, password: user_cases.set_password(
        actor, username, password))
    out.print(f"password of {username} changed", markup=False)


@users.command("token")
def user_token(name: Annotated[str, typer.Argument(help="what the token is for (e.g. the office PC)")],
               password_stdin: PasswordStdinOpt = False, user: UserOpt = None) -> None:
    """Create an API token for your own account and print it once (use it as DIVIDENDS_TOKEN)."""
    from dividends.usecases import tokens
    token = _signed_in(user, password_stdin, lambda actor, _: tokens.create(actor, name),
                       new_password=False)
    out.print(token, markup=False)


@village_app.command("add")
def village_add(code: str,
                county: Annotated[str, typer.Option("--county", help="county code (created if new)")],
                name: Annotated[str, typer.Option("--name", help="village name")] = "",
                county_name: Annotated[str, typer.Option("--county-name", help="county name, for a new county")] = "",
                contact_name: Annotated[str, typer.Option("--contact-name", help="who takes objections")] = "",
                contact_phone: Annotated[str, typer.Option("--contact-phone", help="the committee's published phone")] = "",
                address: Annotated[str, typer.Option("--address", help="the village office address")] = "",
                user: UserOpt = None, password_stdin: PasswordStdinOpt = False) -> None:
    """Add a village (and its county; admin)."""
    from dividends.usecases import villages
    village = _signed_in(user, password_stdin, lambda actor, _: villages.create(
        actor, code, name, county=county, county_name=county_name, contact_name=contact_name,
        contact_phone=contact_phone, office_address=address), new_password=False)
    out.print(f"village {village.code} created", markup=False)
