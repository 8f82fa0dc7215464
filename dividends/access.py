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
address within :data:`WINDOW`, or :data:`MAX_FAILURES_PER_ADDRESS` from one address for any
usernames, refuse further attempts (even with the right password) until the window has passed.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from dividends.actors import COUNTY_ROLES, ROLES, VILLAGE_ROLES, Actor, Place, sees
from dividends.clock import Clock, SystemClock
from dividends.imports import ImportReport, import_registry
from dividends.runs import get_run, refuse
from dividends.store.queries import fetch
from dividends.store import audit
from dividends.store.models import (
    ApiToken, County, LoginAttempt, Objection, PayoutBatch, RegistrySnapshot, Run, User, Village,
)
from dividends.policy import PERMISSIONS, require
from dividends.refusals import Forbidden, NotAllowed
from dividends.store.transactions import dialect, transaction
from schemes.i18n import register

MAX_ID = 2**31 - 1

WINDOW = timedelta(minutes=15)
MAX_FAILURES = 5
MAX_FAILURES_PER_ADDRESS = 20
MIN_PASSWORD = 10

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a password of anyone")

register({
    "access.role": {"zh": "角色应为 {expected} 之一，实际为 {found}", "en": "the role must be one of {expected}, found {found}"},
    "access.scope_village": {"zh": "会计和村务监督委员会成员须属于一个村（--village）",
                             "en": "an accountant or committee member belongs to one village (--village)"},
    "access.scope_county": {"zh": "审计员须属于一个县（--county）", "en": "an auditor belongs to one county (--county)"},
    "access.unknown_village": {"zh": "没有编码为 {code} 的村", "en": "no village with the code {code}"},
    "access.unknown_county": {"zh": "没有编码为 {code} 的县", "en": "no county with the code {code}"},
    "access.user_exists": {"zh": "用户名 {username} 已被使用", "en": "the username {username} is taken"},
    "access.username": {"zh": "用户名应为 3 到 64 个字母、数字、点、横线或下划线，实际为“{found}”",
                        "en": "a username is 3 to 64 letters, digits, dots, dashes or underscores; found '{found}'"},
    "access.password_short": {"zh": "密码至少需要 {min} 个字符", "en": "a password needs at least {min} characters"},
    "access.unknown_user": {"zh": "没有用户 {username}", "en": "no user {username}"},
    "access.village_exists": {"zh": "村编码 {code} 已存在", "en": "the village code {code} exists already"},
    "access.code": {"zh": "编码应为 1 到 64 个字母、数字或横线，实际为“{found}”",
                    "en": "a code is 1 to 64 letters, digits or dashes; found '{found}'"},
    "access.foreign_village": {
        "zh": "名册中有其他村的农户（{villages}）；只能导入本村（{village}）的名册",
        "en": "the registry holds households of other villages ({villages}); you may import only your village ({village})",
    },
    "access.token_name": {"zh": "令牌名称不能为空（最多 64 个字符）", "en": "a token needs a name (at most 64 characters)"},
})


# --------------------------------------------------------------------------- users


_ACTOR_SQL = (
    "SELECT u.id, u.username, u.display_name, u.role, u.password_hash, u.village_id, v.code AS village_code, "
    "v.name AS village_name, COALESCE(v.county_id, u.county_id) AS county_id, c.code AS county_code, "
    "c.name AS county_name FROM app_user u LEFT JOIN village v ON v.id = u.village_id "
    "LEFT JOIN county c ON c.id = COALESCE(v.county_id, u.county_id) WHERE u.id = ? AND u.active = ?")


async def actor_and_hash(user_id: int) -> tuple[Actor, str] | None:
    """The active user with this id and its password hash, in one query (every page asks)."""
    if not 0 < user_id <= MAX_ID:
        return None
    rows = await fetch(_ACTOR_SQL, user_id, True)
    if not rows:
        return None
    r = rows[0]
    actor = Actor(r["id"], r["username"], r["display_name"] or r["username"], r["role"], r["village_id"],
                  r["village_code"], r["village_name"], r["county_id"], r["county_code"], r["county_name"])
    return actor, r["password_hash"]


async def actor_for(user_id: int) -> Actor | None:
    """The active user with this id, or None (deactivated users are signed out at once)."""
    found = await actor_and_hash(user_id)
    return found[0] if found else None


def _actor(user: User) -> Actor:
    village: Village | None = user.village
    county: County | None = village.county if village is not None else user.county
    return Actor(user.id, user.username, user.display_name or user.username, user.role,
                 village.id if village else None, village.code if village else None, village.name if village else None,
                 county.id if county else None, county.code if county else None, county.name if county else None)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise refuse("access.password_short", min=MIN_PASSWORD)
    return _HASHER.hash(password)


def _valid_name(text: str, *, low: int = 3) -> bool:
    return low <= len(text) <= 64 and all(c.isascii() and (c.isalnum() or c in "._-") for c in text)


async def create_user(username: str, password: str, role: str, *, actor: str, village: str | None = None,
                      county: str | None = None, display_name: str = "") -> User:
    """A new account. Village roles need ``village``; an auditor needs ``county``; an admin
    without a county manages every county."""
    username = username.strip()
    if not _valid_name(username):
        raise refuse("access.username", found=username)
    if role not in ROLES:
        raise refuse("access.role", expected=list(ROLES), found=role)
    village_row = county_row = None
    if role in VILLAGE_ROLES:
        if not village:
            raise refuse("access.scope_village")
        village_row = await Village.get_or_none(code=village)
        if village_row is None:
            raise refuse("access.unknown_village", code=village)
    elif county:
        county_row = await County.get_or_none(code=county)
        if county_row is None:
            raise refuse("access.unknown_county", code=county)
    elif role == "auditor":
        raise refuse("access.scope_county")
    password_hash = hash_password(password)
    async with transaction():
        if await User.filter(username=username).exists():
            raise refuse("access.user_exists", username=username)
        user = await User.create(username=username, password_hash=password_hash, role=role, village=village_row,
                                 county=county_row, display_name=display_name.strip()[:128])
        await audit.record(actor, "user.create", "user", user.id, village=village_row, username=username, role=role,
                           county=county_row.code if county_row else None)
    return user


async def set_password(username: str, password: str, *, actor: str) -> None:
    password_hash = hash_password(password)
    async with transaction():
        if not await User.filter(username=username).update(password_hash=password_hash):
            raise refuse("access.unknown_user", username=username)
        await audit.record(actor, "user.password", "user", username)


async def set_active(user_id: int, active: bool, *, actor: str) -> None:
    async with transaction():
        await User.filter(id=user_id).update(active=active)
        if not active:
            await ApiToken.filter(user_id=user_id, revoked=False).update(revoked=True)
        await audit.record(actor, "user.activate" if active else "user.deactivate", "user", user_id)


async def users_for(actor: Actor) -> list[User]:
    """The users an admin manages: those of its county's villages and county (or everyone)."""
    require(actor, "users.manage")
    users = await User.all().prefetch_related("village__county", "county").order_by("username")
    return [u for u in users if actor.county_id is None or _user_county(u) == actor.county_id]


def _user_county(user: User) -> int | None:
    return user.village.county.id if user.village else (user.county.id if user.county else None)


async def user_for(actor: Actor, user_id: int) -> User:
    require(actor, "users.manage")
    user = await User.get_or_none(id=_id(user_id)).prefetch_related("village__county", "county")
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
        village_row = await Village.get_or_none(code=village or "")
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

    Raises :class:`Throttled` when too many attempts failed lately (checked first).
    """
    username = username.strip()[:64]
    address = address[:64]
    now = clock.now()
    await check_throttle(username, address, now)
    user = await User.get_or_none(username=username, active=True).prefetch_related("village__county", "county")
    ok = False
    try:
        ok = _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password) and user is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    await LoginAttempt.create(username=username, address=address, at=now, success=ok)
    if not ok or user is None:
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        await User.filter(id=user.id).update(password_hash=_HASHER.hash(password))
    return _actor(user)


class Throttled(Exception):
    """Too many failed logins lately; ``retry_after`` seconds until the next attempt counts."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


async def check_throttle(username: str, address: str, now: datetime) -> None:
    since = now - WINDOW
    failed = LoginAttempt.filter(address=address, success=False, at__gt=since)
    for query, limit in ((failed.filter(username=username), MAX_FAILURES), (failed, MAX_FAILURES_PER_ADDRESS)):
        times = await query.order_by("-at").limit(limit).values_list("at", flat=True)
        if len(times) >= limit:
            oldest: datetime = times[-1]
            raise Throttled(max(1, int((oldest + WINDOW - now).total_seconds()) + 1))


# --------------------------------------------------------------------------- API tokens


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_token(actor: Actor, name: str) -> str:
    """A new API token for the actor's own account; the secret is shown once, stored hashed."""
    name = name.strip()
    if not 1 <= len(name) <= 64:
        raise refuse("access.token_name")
    token = "dvd_" + secrets.token_urlsafe(32)
    async with transaction():
        row = await ApiToken.create(user_id=actor.user_id, name=name, token_hash=_token_digest(token))
        await audit.record(actor.username, "token.create", "api_token", row.id, name=name)
    return token


async def tokens_of(actor: Actor) -> list[ApiToken]:
    return list(await ApiToken.filter(user_id=actor.user_id).order_by("-id"))


async def revoke_token(actor: Actor, token_id: int) -> None:
    async with transaction():
        if not await ApiToken.filter(id=_id(token_id), user_id=actor.user_id, revoked=False).update(revoked=True):
            raise NotAllowed(token_id)
        await audit.record(actor.username, "token.revoke", "api_token", token_id)


async def actor_for_token(token: str, clock: Clock = SystemClock()) -> Actor | None:
    row = await ApiToken.get_or_none(token_hash=_token_digest(token), revoked=False)
    if row is None:
        return None
    actor = await actor_for(row.user_id)  # type: ignore[attr-defined]
    if actor is not None and (row.last_used_at is None or clock.now() - row.last_used_at > timedelta(minutes=5)):
        await ApiToken.filter(id=row.id).update(last_used_at=clock.now())
    return actor


# --------------------------------------------------------------------------- scope


def _village_in_scope(actor: Actor, village: Village) -> bool:
    return sees(actor, place_of(village))


def place_of(village: Village) -> Place:
    return Place(village.id, village.county_id, village.code)  # type: ignore[attr-defined]


def villages_query(actor: Actor) -> Any:
    """The villages the actor may see, as a query (filter it further, never widen it)."""
    if actor.in_village:
        return Village.filter(id=actor.village_id)
    if actor.in_county and actor.county_id is None:
        return Village.all()
    if actor.in_county:
        return Village.filter(county_id=actor.county_id)
    return Village.filter(id=-1)


def counties_query(actor: Actor) -> Any:
    if actor.in_county and actor.county_id is None:
        return County.all()
    return County.filter(id=actor.county_id if actor.county_id is not None else -1)


async def village_for(actor: Actor, code: str) -> Village:
    if not 0 < len(code) <= 64:
        raise NotAllowed(code[:64])
    village = await Village.get_or_none(code=code).prefetch_related("county")
    if village is None or not _village_in_scope(actor, village):
        raise NotAllowed(code)
    return village


def _id(value: int) -> int:
    """An id from a URL: anything outside the database's integer range is simply not found."""
    if not 0 < value <= MAX_ID:
        raise NotAllowed(value)
    return value


async def run_for(actor: Actor, run_id: int) -> Run:
    run = await Run.get_or_none(id=_id(run_id)).only("id", "village_id")
    if run is None or not _village_in_scope(actor, await Village.get(id=run.village_id)):  # type: ignore[attr-defined]
        raise NotAllowed(run_id)
    return await get_run(run_id)


async def snapshot_for(actor: Actor, snapshot_id: int) -> RegistrySnapshot:
    snapshot = await RegistrySnapshot.get_or_none(id=_id(snapshot_id)).prefetch_related("village", "registry_import")
    if snapshot is None or not _village_in_scope(actor, snapshot.village):
        raise NotAllowed(snapshot_id)
    return snapshot


async def objection_for(actor: Actor, run: Run, objection_id: int) -> Objection:
    objection = await Objection.get_or_none(id=_id(objection_id), run_id=run.id)
    if objection is None:
        raise NotAllowed(objection_id)
    return objection


async def batch_for(actor: Actor, run: Run, number: int) -> PayoutBatch:
    batch = await PayoutBatch.get_or_none(run_id=run.id, number=_id(number))
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
    async with transaction():
        if await Village.filter(code=code).exists():
            raise refuse("access.village_exists", code=code)
        county_row, _ = await County.get_or_create(code=county, defaults={"name": county_name.strip() or county})
        village = await Village.create(code=code, name=name.strip() or code, county=county_row,
                                       contact_name=contact_name.strip()[:64], contact_phone=contact_phone.strip()[:32],
                                       office_address=office_address.strip()[:255])
        await audit.record(actor.username, "village.create", "village", village.id, village=village, code=code,
                           county=county)
    return village


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
