"""Real users for tests that drive the command line (issue 8, item 2: the CLI signs in).

``await person("acc1", "accountant", village="V0001")`` creates the user (and its village, in a
county of its own, when the village does not exist yet) and returns a :class:`Person` that
signs in like anyone would: with its password (``person.args`` + ``person.stdin``) or with an
API token (``person.env``, created on first use). ``cli(person, ...)`` runs a command as that
person in a fresh process.
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from dividends import access
from dividends.actors import Actor

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "a long test password"
_SETUP = Actor(0, "tests", "tests", "admin")  # creates the villages people belong to (no county: every county)


@dataclass
class Person:
    username: str
    role: str
    actor: Actor
    password: str = PASSWORD
    token: str = ""
    _env: dict[str, str] = field(default_factory=dict)

    @property
    def args(self) -> list[str]:
        """Sign in with the password on standard input (give it ``stdin``)."""
        return ["--user", self.username, "--password-stdin"]

    @property
    def stdin(self) -> str:
        return self.password + "\n"

    @property
    def env(self) -> dict[str, str]:
        """Sign in with the person's API token (see :func:`with_token`)."""
        assert self.token, "await with_token(person) first"
        return {"DIVIDENDS_TOKEN": self.token}


async def person(username: str, role: str, *, village: str | None = None, county: str | None = None,
                 password: str = PASSWORD, token: bool = False) -> Person:
    """A user of ``role`` in ``village`` (accountant, committee) or ``county`` (auditor, admin)."""
    if village is not None:
        from dividends.store.facts import village_place
        if await village_place(village) is None:
            await access.create_village(_SETUP, village, village, county=county or "C-" + village)
    await access.create_user(username, password, role, actor="tests", village=village,
                             county=None if village else county)
    actor = await access.verify_login(username, password, "tests")
    assert actor is not None
    found = Person(username, role, actor, password)
    if token:
        await with_token(found)
    return found


async def with_token(found: Person) -> Person:
    found.token = await access.create_token(found.actor, "tests")
    return found


def cli(who: Person | None, *args: str | Path, env: dict[str, str] | None = None, lang: str = "en",
        token: bool = False, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """Run ``dividends ARGS`` as ``who`` (its password on stdin, or its token with ``token``)."""
    full = {**os.environ, "DIVIDENDS_LANG": lang, "COLUMNS": "200", **(env or {})}
    for name in ("DIVIDENDS_DEBUG", "DIVIDENDS_TOKEN"):
        full.pop(name, None)
    command = [sys.executable, "-m", "dividends", *map(str, args)]
    stdin = ""
    if who is not None and token:
        full |= who.env
    elif who is not None:
        command += who.args
        stdin = who.stdin
    return subprocess.run(command, input=stdin, capture_output=True, text=True, env=full, cwd=ROOT, timeout=timeout)
