"""User accounts: an administrator manages the users of its county (or of every county when it
has none); every user may change its own password. The first administrator of an empty
database is created without signing in (:func:`bootstrap_admin`), and only then."""
from __future__ import annotations

from pathlib import Path

from typing import Any

from dividends import access
from dividends.actors import Actor
from dividends.policy import allow
from dividends.refusals import Forbidden, NotAllowed, refuse
from dividends.store import places
from schemes.i18n import load_catalog

load_catalog(Path(__file__).parents[1] / "locale", "dividends")


async def needs_bootstrap() -> bool:
    """True on a database without any user (the first administrator needs no login)."""
    return await places.user_count() == 0


async def bootstrap_admin(username: str, password: str, *, county: str | None = None, display_name: str = "") -> Any:
    """The first administrator of an empty database (refused once any user exists). Two at once
    (two offices typing ``user add NAME --role admin`` on the same new database) cannot both
    succeed: the user is created in one transaction with the single bootstrap marker row."""
    if not await needs_bootstrap():
        raise refuse("users.bootstrap_done")
    try:
        return await access.create_user(username, password, "admin", actor=username.strip(), county=county,
                                        display_name=display_name, first=True)
    except places.BootstrapDone:
        raise refuse("users.bootstrap_done") from None


async def create(actor: Actor, username: str, password: str, role: str, *, village: str | None = None,
                 county: str | None = None, display_name: str = "") -> Any:
    """A new user in the administrator's scope (a village outside it is unknown)."""
    allow(actor, "users.manage")
    return await access.create_user_as(actor, username, password, role, village=village, county=county,
                                       display_name=display_name)


async def all_of(actor: Actor) -> list[Any]:
    allow(actor, "users.manage")
    return await access.users_for(actor)


async def set_password(actor: Actor, username: str, password: str) -> None:
    """A user changes its own password; an administrator that of a user in its scope."""
    target = await places.user_id(username)
    if target is None or target != actor.user_id:
        allow(actor, "users.manage")
        if target is None:
            raise NotAllowed(username)
        await access.user_for(actor, target)  # outside the scope: not found
    await access.set_password(username, password, actor=actor.username)


async def set_active(actor: Actor, user_id: int, active: bool) -> None:
    """(De)activate a user of the administrator's scope; an administrator cannot lock itself out."""
    allow(actor, "users.manage")
    user = await access.user_for(actor, user_id)
    if user.id == actor.user_id and not active:
        raise Forbidden("users.manage", actor.role)
    await access.set_active(user.id, active, actor=actor.username)
