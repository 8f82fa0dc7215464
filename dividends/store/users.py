"""Accounts, sessions, API tokens and login throttling: the queries behind :mod:`dividends.access`
and :mod:`dividends.web.auth` (no module outside ``store/`` touches these tables).

Sessions: a signed cookie holds the user id and the user's ``session_generation`` at sign-in.
:func:`end_sessions` bumps the generation (logout, deactivation, password change), so every
cookie signed before it stops working, and reactivating a user does not revive them.

Throttling: :func:`count_attempt` adds one to a bucket's counter in one ``INSERT ... ON
CONFLICT DO UPDATE ... RETURNING`` statement (SQLite 3.35+ and PostgreSQL), so concurrent
attempts can never all read "no failures yet": the n-th concurrent attempt sees n.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.connection import get_connection

from dividends.store import audit
from dividends.store.models import ApiToken, LoginAttempt, User
from dividends.store.queries import fetch
from dividends.store.transactions import transaction

_ACTOR_SQL = (
    "SELECT u.id, u.username, u.display_name, u.role, u.session_generation, u.village_id, "
    "v.code AS village_code, v.name AS village_name, COALESCE(v.county_id, t.county_id, u.county_id) AS county_id, "
    "c.code AS county_code, c.name AS county_name, u.township_id FROM app_user u "
    "LEFT JOIN village v ON v.id = u.village_id LEFT JOIN township t ON t.id = u.township_id "
    "LEFT JOIN county c ON c.id = COALESCE(v.county_id, t.county_id, u.county_id) WHERE u.id = ? AND u.active = ?")


async def active_user_row(user_id: int) -> dict[str, Any] | None:
    """The active user with this id, with its village and county, in one query (every page asks)."""
    rows = await fetch(_ACTOR_SQL, user_id, True)
    return rows[0] if rows else None


async def login_candidate(username: str) -> tuple[int, str] | None:
    """The id and password hash of the active user with this name."""
    row = await User.get_or_none(username=username, active=True).only("id", "password_hash")
    return (row.id, row.password_hash) if row is not None else None


async def replace_password_hash(user_id: int, password_hash: str) -> None:
    """A rehash of the same password (newer argon2 parameters): sessions stay."""
    await User.filter(id=user_id).update(password_hash=password_hash)


async def record_attempt(username: str, address: str, at: datetime, success: bool) -> None:
    await LoginAttempt.create(username=username, address=address, at=at, success=success)


_COUNT_SQL = (
    "INSERT INTO login_throttle (bucket, window_start, failures) VALUES (?, ?, 1) "
    "ON CONFLICT (bucket) DO UPDATE SET "
    "failures = CASE WHEN login_throttle.window_start <= ? THEN 1 ELSE login_throttle.failures + 1 END, "
    "window_start = CASE WHEN login_throttle.window_start <= ? THEN excluded.window_start "
    "ELSE login_throttle.window_start END "
    "RETURNING failures, window_start")


async def count_attempt(bucket: str, now: int, window: int) -> tuple[int, int]:
    """Count one attempt in ``bucket`` (atomically) and return (attempts in the current window,
    the window's start, epoch seconds). A window older than ``window`` seconds starts afresh."""
    rows = await fetch(_COUNT_SQL, bucket, now, now - window, now - window)
    return int(rows[0]["failures"]), int(rows[0]["window_start"])


async def uncount_attempt(bucket: str) -> None:
    """Take back one counted attempt (it succeeded, so it was not a failure)."""
    conn = get_connection("default")
    sql = "UPDATE login_throttle SET failures = failures - 1 WHERE bucket = ? AND failures > 0"
    if conn.capabilities.dialect == "postgres":
        sql = sql.replace("?", "$1")
    await conn.execute_query(sql, [bucket])


async def end_sessions(user_id: int) -> None:
    """Every session of this user signed in so far stops working."""
    conn = get_connection("default")
    sql = "UPDATE app_user SET session_generation = session_generation + 1 WHERE id = ?"
    if conn.capabilities.dialect == "postgres":
        sql = sql.replace("?", "$1")
    await conn.execute_query(sql, [user_id])


async def set_password_hash(username: str, password_hash: str, *, actor: str) -> bool:
    """A new password: the user's sessions end and its API tokens are revoked. False: no such user."""
    async with transaction():
        user = await User.get_or_none(username=username).only("id")
        if user is None:
            return False
        await User.filter(id=user.id).update(password_hash=password_hash)
        await end_sessions(user.id)
        revoked = await ApiToken.filter(user_id=user.id, revoked=False).update(revoked=True)
        await audit.record(actor, "user.password", "user", username, tokens_revoked=revoked)
    return True


async def set_active(user_id: int, active: bool, *, actor: str) -> None:
    """Deactivating revokes the API tokens; either way the sessions signed in so far end, so
    reactivating a user does not bring back a session or token from before."""
    async with transaction():
        await User.filter(id=user_id).update(active=active)
        await end_sessions(user_id)
        if not active:
            await ApiToken.filter(user_id=user_id, revoked=False).update(revoked=True)
        await audit.record(actor, "user.activate" if active else "user.deactivate", "user", user_id)


# --------------------------------------------------------------------------- API tokens


async def add_token(user_id: int, username: str, name: str, token_hash: str) -> None:
    async with transaction():
        row = await ApiToken.create(user_id=user_id, name=name, token_hash=token_hash)
        await audit.record(username, "token.create", "api_token", row.id, name=name)


async def tokens_of(user_id: int) -> list[ApiToken]:
    return list(await ApiToken.filter(user_id=user_id).order_by("-id"))


async def revoke_token(user_id: int, username: str, token_id: int) -> bool:
    async with transaction():
        if not await ApiToken.filter(id=token_id, user_id=user_id, revoked=False).update(revoked=True):
            return False
        await audit.record(username, "token.revoke", "api_token", token_id)
    return True


async def live_token(token_hash: str) -> tuple[int, int, datetime | None] | None:
    """(token id, user id, last used) of an unrevoked token with this hash."""
    row = await ApiToken.get_or_none(token_hash=token_hash, revoked=False)
    if row is None:
        return None
    return row.id, row.user_id, row.last_used_at  # type: ignore[attr-defined]


async def mark_token_used(token_id: int, at: datetime) -> None:
    await ApiToken.filter(id=token_id).update(last_used_at=at)
