"""Who is acting: the authenticated user as every use-case receives it.

An :class:`Actor` is obtained only by authenticating — a password (web login, CLI ``--user``
with the password asked for or ``--password-stdin``), an API token (``Authorization: Bearer``
or ``DIVIDENDS_TOKEN``) or a web session — through :mod:`dividends.access`; never from a bare
user name. Use-cases take it first and ask :mod:`dividends.policy` whether it may act.

====================  =====================================================================
role                  scope and rights
====================  =====================================================================
``accountant``        one village: imports the registry, records returns, prepares and pays
                      runs, records objections, prepares reversals, sends notices
``committee``         one village: approves runs and reversals (never one the same person
                      prepared), records and resolves objections
``auditor``           one county: reads every village of it, verifies, downloads; changes
                      nothing
``admin``             one county, or every county when it has none: manages users, villages
                      and counties; reads like an auditor
``township``          one township (乡镇农经站): reads the villages of its township, records its
                      review and filing of their plans; changes nothing else
====================  =====================================================================
"""
from __future__ import annotations

from dataclasses import dataclass

ROLES = ("accountant", "committee", "auditor", "admin", "township")
#: role -> (zh, en): how pages, notices and the command line name a role (the one table).
ROLE_LABELS: dict[str, tuple[str, str]] = {
    "accountant": ("会计", "accountant"), "committee": ("村务监督委员会成员", "committee member"),
    "auditor": ("县审计员", "county auditor"), "admin": ("管理员", "administrator"),
    "township": ("乡镇农经站审核员", "township reviewer"),
}
VILLAGE_ROLES = frozenset({"accountant", "committee"})
COUNTY_ROLES = frozenset({"auditor", "admin"})
TOWNSHIP_ROLES = frozenset({"township"})


@dataclass(frozen=True)
class Actor:
    """The signed-in user, as the services need it (no ORM row leaks into the pages)."""

    user_id: int
    username: str
    display_name: str
    role: str
    village_id: int | None = None
    village_code: str | None = None
    village_name: str | None = None
    county_id: int | None = None
    county_code: str | None = None
    county_name: str | None = None
    township_id: int | None = None

    @property
    def in_township(self) -> bool:
        return self.role in TOWNSHIP_ROLES

    @property
    def in_village(self) -> bool:
        return self.role in VILLAGE_ROLES

    @property
    def in_county(self) -> bool:
        return self.role in COUNTY_ROLES

    def may(self, action: str) -> bool:
        from dividends.policy import may
        return may(self, action)


@dataclass(frozen=True)
class Place:
    """Where an object lives, as the scope rules need it: its village and that village's county."""

    village_id: int
    county_id: int | None
    village_code: str = ""
    township_id: int | None = None


def sees(actor: Actor, place: Place) -> bool:
    """True when ``place`` is in the actor's scope (its village, its township's villages, or its
    county's villages)."""
    if actor.in_village:
        return place.village_id == actor.village_id
    if actor.in_township:
        return actor.township_id is not None and place.township_id == actor.township_id
    if actor.in_county:
        return actor.county_id is None or place.county_id == actor.county_id
    return False
