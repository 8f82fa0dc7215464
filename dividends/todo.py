"""What is waiting for a person, by role: the to-do list of the home page.

- a committee member: runs whose notice period has ended, waiting for approval;
- an accountant: notice periods ending within :data:`SOON_DAYS` days (or ended, waiting for the
  committee), households whose payment failed and is not re-issued, texts that failed;
- a county auditor or administrator: the same, for every village of the county;
- a township reviewer (乡镇农经站): plans of its villages not reviewed yet.

Each item is one run: what to do, how many, and the page to do it on.
"""
from __future__ import annotations

from pathlib import Path

from dataclasses import dataclass
from datetime import date

from dividends.actors import Actor
from dividends.store import todo as store
from dividends.store.approvals import reviewed
from schemes.i18n import Msg, load_catalog

#: A notice period ending within this many days is on the accountant's list.
SOON_DAYS = 3

load_catalog(Path(__file__).with_name("locale"), "dividends")


@dataclass(frozen=True)
class Todo:
    kind: str  # approve | notice_ends | failed_payments | failed_texts | review
    msg: Msg
    url: str


def _scope(actor: Actor) -> store.Scope | None:
    if actor.in_village:
        return store.Scope(village_id=actor.village_id if actor.village_id is not None else -1)
    if actor.in_township:
        return store.Scope(township_id=actor.township_id if actor.township_id is not None else -1)
    if actor.may("county.read"):
        return store.Scope(county_ids=None if actor.county_id is None else (actor.county_id,))
    return None


async def todo(actor: Actor, today: date) -> list[Todo]:
    """The person's open items, the most urgent kinds first."""
    scope = _scope(actor)
    if scope is None:
        return []
    items: list[Todo] = []
    if actor.in_township:
        return [Todo("review", Msg("todo.review", village=r["name"], period=r["period"], run=r["id"]),
                     f"/runs/{r['id']}#decision")
                for r in await store.plans_to_review(scope)
                if not (r["content_hash"] and await reviewed(int(r["id"]), str(r["content_hash"])))]
    approver = actor.role == "committee"
    for r in await store.publicized_runs(scope):
        end = store.as_date(r["notice_end"])
        if end is None:
            continue
        place = {"village": r["name"], "period": r["period"], "run": r["id"], "end": end.isoformat()}
        if end < today:
            items.append(Todo("approve", Msg("todo.approve", **place), f"/runs/{r['id']}#decision"))
        elif not approver and (end - today).days <= SOON_DAYS:
            items.append(Todo("notice_ends", Msg("todo.notice_ends", **place), f"/runs/{r['id']}"))
    if not approver:
        for r in await store.failed_payments(scope):
            items.append(Todo("failed_payments", Msg("todo.failed_payments", village=r["name"], period=r["period"],
                                                     run=r["id"], count=int(r["n"])), f"/runs/{r['id']}#bank-failures"))
        for r in await store.failed_texts(scope):
            items.append(Todo("failed_texts", Msg("todo.failed_texts", village=r["name"], period=r["period"], run=r["id"],
                                                  count=int(r["n"])), f"/runs/{r['id']}/notices"))
    return items
