"""``dividends serve`` (the web app under uvicorn) and the administration commands a fresh
installation needs before anyone can sign in: ``dividends user add``, ``user password`` and
``village add`` (next to ``village set`` of :mod:`dividends.cli.running`)."""
from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Optional, TypeVar

import typer

from dividends.access import ROLES, Actor, create_user, create_village, set_password
from dividends.cli.console import err, out
from dividends.cli.running import village_app
from dividends.settings import Settings, SettingsError
from dividends.store.db import close_database, database, open_database

T = TypeVar("T")

CLI_ACTOR = Actor(0, "cli", "cli", "admin")
"""Who the audit log names for changes made from the command line."""

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


def _password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    if os.environ.get("DIVIDENDS_PASSWORD"):
        return os.environ["DIVIDENDS_PASSWORD"]
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


@users.command("add")
def user_add(username: str,
             role: Annotated[str, typer.Option("--role", help=" | ".join(ROLES))],
             village: Annotated[Optional[str], typer.Option("--village", help="village code (accountant, committee)")] = None,
             county: Annotated[Optional[str], typer.Option("--county", help="county code (auditor; admin of one county)")] = None,
             name: Annotated[str, typer.Option("--name", help="full name")] = "",
             password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")] = False) -> None:
    """Add a user (the password is asked for, read from stdin, or from DIVIDENDS_PASSWORD)."""
    password = _password(password_stdin)
    user = _with_database(lambda: create_user(username, password, role, actor=CLI_ACTOR.username, village=village,
                                              county=county, display_name=name))
    out.print(f"user {user.username} ({user.role}) created", markup=False)


@users.command("password")
def user_password(username: str,
                  password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")] = False) -> None:
    """Set a user's password (signs the user's sessions out)."""
    password = _password(password_stdin)
    _with_database(lambda: set_password(username, password, actor=CLI_ACTOR.username))
    out.print(f"password of {username} changed", markup=False)


@village_app.command("add")
def village_add(code: str,
                county: Annotated[str, typer.Option("--county", help="county code (created if new)")],
                name: Annotated[str, typer.Option("--name", help="village name")] = "",
                county_name: Annotated[str, typer.Option("--county-name", help="county name, for a new county")] = "",
                contact_name: Annotated[str, typer.Option("--contact-name", help="who takes objections")] = "",
                contact_phone: Annotated[str, typer.Option("--contact-phone", help="the committee's published phone")] = "",
                address: Annotated[str, typer.Option("--address", help="the village office address")] = "") -> None:
    """Add a village (and its county)."""
    village = _with_database(lambda: create_village(CLI_ACTOR, code, name, county=county, county_name=county_name,
                                                    contact_name=contact_name, contact_phone=contact_phone,
                                                    office_address=address))
    out.print(f"village {village.code} created", markup=False)

