from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette

from dividends.clock import FixedClock
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.web.support import make_clock, new_app, running, seed_people


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> None:
    """argon2 at its production cost makes every seeded user ~50 ms: tests use a cheap one
    (the production parameters are argon2-cffi's defaults, unchanged)."""
    from argon2 import PasswordHasher

    from dividends import access
    access._HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    access._DUMMY_HASH = access._HASHER.hash("not a password of anyone")


@pytest.fixture
def clock() -> FixedClock:
    return make_clock()


@pytest.fixture
async def app(clean_db: str, clock: FixedClock) -> AsyncIterator[Starlette]:  # noqa: F811
    await seed_people()
    application = new_app(clean_db, clock)
    async with running(application):
        yield application
