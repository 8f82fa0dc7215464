"""Helpers for the web tests: a seeded county, users of every role, signed-in HTTP clients."""
from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from starlette.applications import Starlette

from dividends import access
from dividends.clock import FixedClock
from dividends.settings import Settings
from dividends.web.app import create_app
from support.fake_sender import FakeSender

PASSWORD = "correct horse battery"
SECRET = "test-secret-key-0123456789abcdef"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def settings_for(database_url: str, **extra: str) -> Settings:
    return Settings.from_env({"SECRET_KEY": SECRET, "DATABASE_URL": database_url, "SMS_BACKEND": "console",
                              "PUBLIC_BASE_URL": "http://testserver", **extra})


def make_clock() -> FixedClock:
    return FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))


@dataclass(frozen=True)
class People:
    """Two counties; county C1 has villages V0001 and V0002, county C2 has V9001."""

    usernames: dict[str, str]


ROLES_OF = {
    "acc1": ("accountant", "V0001", None), "com1": ("committee", "V0001", None),
    "com1b": ("committee", "V0001", None), "acc2": ("accountant", "V0002", None),
    "aud1": ("auditor", None, "C1"), "aud2": ("auditor", None, "C2"), "adm1": ("admin", None, "C1"),
    "root": ("admin", None, None),
}


DISPLAY_NAMES = {"acc1": "李会计", "com1": "王监委", "com1b": "赵监委", "acc2": "孙会计", "aud1": "周审计",
                 "aud2": "吴审计", "adm1": "郑管理", "root": "系统管理员"}


async def seed_people() -> None:
    cli = access.Actor(0, "test", "test", "admin")
    await access.create_village(cli, "V0001", "东村", county="C1", county_name="甲县", contact_phone="0539-1234567")
    await access.create_village(cli, "V0002", "西村", county="C1")
    await access.create_village(cli, "V9001", "外县村", county="C2", county_name="乙县")
    for username, (role, village, county) in ROLES_OF.items():
        await access.create_user(username, PASSWORD, role, actor="test", village=village, county=county,
                                 display_name=DISPLAY_NAMES[username])


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


class Browser:
    """An HTTP client that signs in and posts forms with the page's CSRF token."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.csrf = ""

    async def login(self, username: str, password: str = PASSWORD) -> httpx.Response:
        page = await self.client.get("/login")
        self.csrf = csrf_of(page.text)
        response = await self.client.post("/login", data={"username": username, "password": password,
                                                          "csrf_token": self.csrf, "next": "/"})
        if response.status_code == 303:
            home = await self.client.get("/account/tokens")
            self.csrf = csrf_of(home.text)
        return response

    async def get(self, url: str, **kw: object) -> httpx.Response:
        return await self.client.get(url, **kw)  # type: ignore[arg-type]

    async def post(self, url: str, data: dict[str, str] | None = None, files: dict[str, object] | None = None,
                   **kw: object) -> httpx.Response:
        return await self.client.post(url, data={**(data or {}), "csrf_token": self.csrf}, files=files, **kw)  # type: ignore[arg-type]


@asynccontextmanager
async def running(app: Starlette) -> AsyncIterator[Starlette]:
    async with app.router.lifespan_context(app):
        yield app


@asynccontextmanager
async def browser(app: Starlette, username: str | None = None) -> AsyncIterator[Browser]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.0.0.1", 1234)),
                                 base_url="http://testserver", follow_redirects=False) as client:
        b = Browser(client)
        if username:
            response = await b.login(username)
            assert response.status_code == 303, response.text[:500]
        yield b


def new_app(database_url: str, clock: FixedClock) -> Starlette:
    return create_app(settings_for(database_url), clock, manage_database=False, sender=FakeSender)
