"""Who may see and touch what: accounts, roles, scopes, API tokens and login throttling.

Every page, API endpoint and admin command goes through this module to reach a village-scoped
object, so no route can forget the scope:

====================  =====================================================================
role                  scope and rights
====================  =====================================================================
``accountant``        one village: imports the registry, records returns, prepares and pays
                      runs, records objections, sends notices
``committee``         one village: approves runs (never one the same person prepared),
                      records and resolves objections
``auditor``           one county: reads every village of it, verifies, downloads; changes
                      nothing
``admin``             one county, or every county when it has none: manages users, villages
                      and counties; reads like an auditor
====================  =====================================================================

Out of scope is *not found* (:class:`NotAllowed`, a 404 on the web): a user who changes an id
in a URL learns nothing about another village. In scope but not the role's to do is
:class:`Forbidden` (a 403). Every write here records an audit event.

Login throttling: more than :data:`MAX_FAILURES` failed logins for one username from one
address within :data:`WINDOW` (counted from the first of them), or
:data:`MAX_FAILURES_PER_ADDRESS` from one address for any usernames, refuse further attempts
(even with the right password, and without hashing it) until the window has passed. Attempts
are counted by one atomic statement each (:mod:`dividends.store.users`), so concurrent guesses
cannot slip past the limit; argon2 runs in worker threads, at most
``PASSWORD_HASH_CONCURRENCY`` at once.
"""
from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from dividends.actors import COUNTY_ROLES, ROLES, VILLAGE_ROLES, Actor, Place, sees
from dividends.clock import Clock, SystemClock
from dividends.imports import ImportReport, import_registry
from dividends.runs import get_run, refuse
from dividends.store import places
from dividends.store import users as users_store
from dividends.policy import PERMISSIONS, require
from dividends.refusals import Forbidden, NotAllowed
from dividends.store.transactions import transaction
from schemes.i18n import load_catalog

if TYPE_CHECKING:  # rows the store returns; every query lives in dividends/store/
    from dividends.store.models import Objection, PayoutBatch, RegistrySnapshot, Run, Township, User, Village

MAX_ID = 2**31 - 1
T = TypeVar("T")

WINDOW = timedelta(minutes=15)
MAX_FAILURES = 5
MAX_FAILURES_PER_ADDRESS = 20
MIN_PASSWORD = 10

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a password of anyone")

load_catalog(Path(__file__).with_name("locale"), "dividends")


# --------------------------------------------------------------------------- users


async def actor_and_generation(user_id: int) -> tuple[Actor, int] | None:
    """The active user with this id and its session generation, in one query (every page asks)."""
    if not 0 < user_id <= MAX_ID:
        return None
    r = await users_store.active_user_row(user_id)
    if r is None:
        return None
    actor = Actor(r["id"], r["username"], r["display_name"] or r["username"], r["role"], r["village_id"],
                  r["village_code"], r["village_name"], r["county_id"], r["county_code"], r["county_name"],
                  r["township_id"])
    return actor, int(r["session_generation"])


async def actor_for(user_id: int) -> Actor | None:
    """The active user with this id, or None (deactivated users are signed out at once)."""
    found = await actor_and_generation(user_id)
    return found[0] if found else None


async def end_sessions(actor: Actor) -> None:
    """Sign the actor out everywhere: every session cookie signed in so far stops working
    (``POST /logout``; a copied cookie cannot be replayed afterwards)."""
    await users_store.end_sessions(actor.user_id)


async def actor_named(username: str) -> Actor | None:
    """The active user of this name (the command line's ``--user`` until it authenticates)."""
    found = await users_store.login_candidate(username.strip()[:64])
    if found is None:
        return None
    pair = await actor_and_generation(found[0])
    return None if pair is None else pair[0]


def _checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise refuse("access.password_short", min=MIN_PASSWORD)
    return password


def hash_password(password: str) -> str:
    return _HASHER.hash(_checked_password(password))


_HASH_SLOTS: dict[asyncio.AbstractEventLoop, tuple[int, asyncio.Semaphore]] = {}


def _slots() -> asyncio.Semaphore:
    """The running loop's semaphore of hashing slots (a new one when the setting changed)."""
    loop = asyncio.get_running_loop()
    size = password_hash_concurrency()
    known = _HASH_SLOTS.get(loop)
    if known is None or known[0] != size:
        for old in [other for other in _HASH_SLOTS if other.is_closed()]:
            del _HASH_SLOTS[old]
        known = _HASH_SLOTS[loop] = (size, asyncio.Semaphore(size))
    return known[1]


def password_hash_concurrency() -> int:
    """``PASSWORD_HASH_CONCURRENCY`` (default 2): argon2 hashes computed at once, each in a
    worker thread (argon2 releases the GIL), so a storm of logins leaves the event loop free and
    queues instead of taking every core."""
    from dividends.settings import read_environment
    text = read_environment().get("PASSWORD_HASH_CONCURRENCY", "").strip()
    return int(text) if text.isascii() and text.isdigit() and int(text) > 0 else 2


async def _hashing(function: Callable[..., T], *args: Any) -> T:
    """Run an argon2 call off the event loop, at most :func:`password_hash_concurrency` at once."""
    async with _slots():
        return await asyncio.to_thread(function, *args)


def _valid_name(text: str, *, low: int = 3) -> bool:
    return low <= len(text) <= 64 and all(c.isascii() and (c.isalnum() or c in "._-") for c in text)


async def create_user(username: str, password: str, role: str, *, actor: str, village: str | None = None,
                      county: str | None = None, display_name: str = "", township: str | None = None,
                      first: bool = False) -> User:
    """A new account. Village roles need ``village``; an auditor needs ``county``; an admin
    without a county manages every county. ``first``: the first user of an empty database
    (:class:`dividends.store.places.BootstrapDone` when there is one already)."""
    username = username.strip()
    if not _valid_name(username):
        raise refuse("access.username", found=username)
    if role not in ROLES:
        raise refuse("access.role", expected=list(ROLES), found=role)
    village_row = county_row = township_row = None
    if role == "township":
        township_row = await places.township_by_code(township or "")
        if township_row is None:
            raise refuse("access.unknown_township", code=township or "")
        county_row = township_row.county
    elif role in VILLAGE_ROLES:
        if not village:
            raise refuse("access.scope_village")
        village_row = await places.village_by_code(village)
        if village_row is None:
            raise refuse("access.unknown_village", code=village)
    elif county:
        county_row = await places.county_by_code(county)
        if county_row is None:
            raise refuse("access.unknown_county", code=county)
    elif role == "auditor":
        raise refuse("access.scope_county")
    password_hash = await _hashing(_HASHER.hash, _checked_password(password))
    user = await places.create_user(actor, username, password_hash, role, village=village_row, county=county_row,
                                    township=township_row, display_name=display_name.strip()[:128], first=first)
    if user is None:
        raise refuse("access.user_exists", username=username)
    return user


async def set_password(username: str, password: str, *, actor: str) -> None:
    """A new password: the user's sessions end and its API tokens are revoked."""
    password_hash = await _hashing(_HASHER.hash, _checked_password(password))
    if not await users_store.set_password_hash(username, password_hash, actor=actor):
        raise refuse("access.unknown_user", username=username)


async def set_active(user_id: int, active: bool, *, actor: str) -> None:
    """(De)activate; the sessions signed in so far end either way, and deactivating revokes the
    API tokens, so a reactivated user signs in afresh."""
    await users_store.set_active(user_id, active, actor=actor)


async def users_for(actor: Actor) -> list[User]:
    """The users an admin manages: those of its county's villages and county (or everyone)."""
    require(actor, "users.manage")
    users = await places.all_users()
    return [u for u in users if actor.county_id is None or _user_county(u) == actor.county_id]


def _user_county(user: User) -> int | None:
    return user.village.county.id if user.village else (user.county.id if user.county else None)


async def user_for(actor: Actor, user_id: int) -> User:
    require(actor, "users.manage")
    user = await places.user(_id(user_id))
    if user is None:
        raise NotAllowed(user_id)
    if actor.county_id is not None and _user_county(user) != actor.county_id:
        raise NotAllowed(user_id)
    return user


async def create_user_as(actor: Actor, username: str, password: str, role: str, *, village: str | None = None,
                         county: str | None = None, display_name: str = "") -> User:
    """:func:`create_user` within the admin's own scope: a village outside it is unknown; a
    county admin's auditors and admins belong to its county."""
    require(actor, "users.manage")
    if role in VILLAGE_ROLES:
        if not village:
            raise refuse("access.scope_village")
        village_row = await places.village_by_code(village)
        if village_row is None or not _village_in_scope(actor, village_row):
            raise refuse("access.unknown_village", code=village or "")
        county = None
    else:
        village = None
        if actor.county_id is not None:
            county = actor.county_code
    return await create_user(username, password, role, actor=actor.username, village=village, county=county or None,
                             display_name=display_name)


async def verify_login(username: str, password: str, address: str, clock: Clock = SystemClock()) -> Actor | None:
    """Check a password and record the attempt. Returns the actor, or None for a wrong
    username or password (the same answer for both, in about the same time).

    Raises :class:`Throttled` when too many attempts failed lately. The attempt is counted
    (atomically, in the database) before the password is hashed, so concurrent attempts beyond
    the limit are refused without hashing; a successful attempt is then taken back.
    """
    username = username.strip()[:64]
    address = address[:64]
    now = clock.now()
    buckets = await _count_attempt(username, address, now)
    found = await users_store.login_candidate(username)
    ok = False
    try:
        ok = await _hashing(_HASHER.verify, found[1] if found else _DUMMY_HASH, password) and found is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    await users_store.record_attempt(username, address, now, ok)
    if not ok or found is None:
        return None
    for bucket in buckets:
        await users_store.uncount_attempt(bucket)
    if _HASHER.check_needs_rehash(found[1]):
        await users_store.replace_password_hash(found[0], await _hashing(_HASHER.hash, password))
    return await actor_for(found[0])


class Throttled(Exception):
    """Too many failed logins lately; ``retry_after`` seconds until the next attempt counts."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


async def _count_attempt(username: str, address: str, now: datetime) -> list[str]:
    """Count the attempt in its buckets (username at address, and address); raise
    :class:`Throttled` when a bucket is past its limit. Returns the buckets counted."""
    window = int(WINDOW.total_seconds())
    epoch = int(now.timestamp())
    counted: list[str] = []
    for bucket, limit in ((f"u:{username}|{address}", MAX_FAILURES), (f"a:{address}", MAX_FAILURES_PER_ADDRESS)):
        failures, start = await users_store.count_attempt(bucket, epoch, window)
        counted.append(bucket)
        if failures > limit:
            raise Throttled(max(1, start + window - epoch))
    return counted


# --------------------------------------------------------------------------- API tokens


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_token(actor: Actor, name: str) -> str:
    """A new API token for the actor's own account; the secret is shown once, stored hashed."""
    name = name.strip()
    if not 1 <= len(name) <= 64:
        raise refuse("access.token_name")
    token = "dvd_" + secrets.token_urlsafe(32)
    await users_store.add_token(actor.user_id, actor.username, name, _token_digest(token))
    return token


async def tokens_of(actor: Actor) -> list[Any]:
    return await users_store.tokens_of(actor.user_id)


async def revoke_token(actor: Actor, token_id: int) -> None:
    if not await users_store.revoke_token(actor.user_id, actor.username, _id(token_id)):
        raise NotAllowed(token_id)


async def actor_for_token(token: str, clock: Clock = SystemClock()) -> Actor | None:
    found = await users_store.live_token(_token_digest(token))
    if found is None:
        return None
    token_id, user_id, last_used = found
    actor = await actor_for(user_id)
    if actor is not None and (last_used is None or clock.now() - last_used > timedelta(minutes=5)):
        await users_store.mark_token_used(token_id, clock.now())
    return actor


# --------------------------------------------------------------------------- scope


def _village_in_scope(actor: Actor, village: Village) -> bool:
    return sees(actor, place_of(village))


def place_of(village: Village) -> Place:
    return Place(village.id, village.county_id, village.code, village.township_id)  # type: ignore[attr-defined]


def villages_query(actor: Actor) -> Any:
    """The villages the actor may see, as a query (filter it further, never widen it)."""
    if actor.in_village:
        return places.villages(village_id=actor.village_id if actor.village_id is not None else -1)
    if actor.in_township:
        return places.villages(township_id=actor.township_id if actor.township_id is not None else -1)
    if actor.in_county and actor.county_id is None:
        return places.villages(everything=True)
    if actor.in_county:
        return places.villages(county_id=actor.county_id)
    return places.villages()


async def village_for(actor: Actor, code: str) -> Village:
    if not 0 < len(code) <= 64:
        raise NotAllowed(code[:64])
    village = await places.village_by_code(code)
    if village is None or not _village_in_scope(actor, village):
        raise NotAllowed(code)
    return village


def _id(value: int) -> int:
    """An id from a URL: anything outside the database's integer range is simply not found."""
    if not 0 < value <= MAX_ID:
        raise NotAllowed(value)
    return value


async def run_for(actor: Actor, run_id: int) -> Run:
    village = await places.village_of_run(_id(run_id))
    if village is None or not _village_in_scope(actor, village):
        raise NotAllowed(run_id)
    return await get_run(run_id)


async def snapshot_for(actor: Actor, snapshot_id: int) -> RegistrySnapshot:
    snapshot = await places.snapshot(_id(snapshot_id))
    if snapshot is None or not _village_in_scope(actor, snapshot.village):
        raise NotAllowed(snapshot_id)
    return snapshot


async def objection_for(actor: Actor, run: Run, objection_id: int) -> Objection:
    objection = await places.objection(run.id, _id(objection_id))
    if objection is None:
        raise NotAllowed(objection_id)
    return objection


async def batch_for(actor: Actor, run: Run, number: int) -> PayoutBatch:
    batch = await places.batch(run.id, _id(number))
    if batch is None:
        raise NotAllowed(number)
    return batch


# --------------------------------------------------------------------------- villages


async def create_village(actor: Actor, code: str, name: str, *, county: str, county_name: str = "",
                         contact_name: str = "", contact_phone: str = "", office_address: str = "") -> Village:
    """A village (and its county if new). A county admin creates villages only in its county."""
    require(actor, "users.manage")
    code, county = code.strip(), county.strip()
    for value in (code, county):
        if not _valid_name(value, low=1) or "." in value:
            raise refuse("access.code", found=value)
    if actor.county_id is not None and county != actor.county_code:
        raise Forbidden("users.manage")
    village = await places.create_village(actor.username, code, name.strip(), county=county,
                                          county_name=county_name.strip(), contact_name=contact_name.strip()[:64],
                                          contact_phone=contact_phone.strip()[:32],
                                          office_address=office_address.strip()[:255])
    if village is None:
        raise refuse("access.village_exists", code=code)
    return village


async def create_township(actor: Actor, code: str, name: str, *, county: str) -> Township:
    """A township (乡镇) of a county: the scope of its farm economy station's reviewers."""
    require(actor, "villages.manage")
    code, county = code.strip(), county.strip()
    if not _valid_name(code, low=1) or "." in code:
        raise refuse("access.code", found=code)
    if actor.county_id is not None and county != actor.county_code:
        raise Forbidden("villages.manage")
    county_row = await places.county_by_code(county)
    if county_row is None:
        raise refuse("access.unknown_county", code=county)
    return await places.create_township(actor.username, code, name.strip() or code, county_row)


async def set_village_township(actor: Actor, village: str, township: str) -> Village:
    """Put a village under a township of its own county (township -> village scopes)."""
    require(actor, "villages.manage")
    row = await village_for(actor, village)
    town = await places.township_by_code(township.strip())
    if town is None or town.county_id != row.county_id:  # type: ignore[attr-defined]
        raise refuse("access.unknown_township", code=township)
    await places.set_village_township(actor.username, row, town)
    row.township_id = town.id  # type: ignore[attr-defined]
    return row


# --------------------------------------------------------------------------- scoped writes


async def import_registry_for(actor: Actor, village: Village, households: Path, *, period: int,
                              members: Path | None = None, posts: Path | None = None,
                              reference_date: date | None = None, **options: Any) -> ImportReport:
    """:func:`dividends.imports.import_registry` for the actor's own village: a file that holds
    households of another village is refused whole (the import is rolled back)."""
    require(actor, "registry.import")
    if not _village_in_scope(actor, village):
        raise NotAllowed(village.code)
    county = await village.county
    async with transaction():
        report = await import_registry(households, period=period, actor=actor.username, posts=posts, members=members,
                                       county=county.code, reference_date=reference_date, **options)
        foreign = sorted({v.village for v in report.villages} - {village.code})
        if foreign or village.code not in {v.village for v in report.villages}:
            raise refuse("access.foreign_village", villages=foreign[:10], village=village.code)
    return report
