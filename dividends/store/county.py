"""Reads for the county pages and the anomalies list: the aggregates across villages that the
ORM cannot say in one statement, as plain rows (dicts), and the village pages' lists.

:mod:`dividends.overview` and :mod:`dividends.anomalies` shape these rows into the figures the
pages show; they neither import the ORM models nor write SQL (``tests/test_architecture.py``).
Every query takes ``county_ids`` (None: every county, an administrator without one).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dividends.store.models import (
    AssetReturn, BankResultImport, BankResultLine, Household, Notice, Objection, PayoutBatch, PayoutItem,
    RegistryChange, RegistrySnapshot, Run, SchemeVersion, User, Village,
)
from dividends.store.queries import fetch

Row = dict[str, Any]
POSTED_SQL = "r.state IN ('approved', 'paid', 'closed') AND r.kind != 'reversal'"
LIVE_REGULAR_SQL = "r.kind = 'regular' AND r.state NOT IN ('cancelled', 'reversed')"


def _in(values: Sequence[Any]) -> str:
    return "(" + ", ".join("?" for _ in values) + ")" if values else "(NULL)"


def county_filter(county_ids: Sequence[int] | None, alias: str = "v") -> tuple[str, list[Any]]:
    if county_ids is None:
        return "1=1", []
    return f"{alias}.county_id IN {_in(county_ids)}", list(county_ids)


async def data_version() -> int:
    """The newest audit event's id: it moves with every recorded change."""
    rows = await fetch("SELECT MAX(id) AS v FROM audit_event")
    return int(rows[0]["v"] or 0)


# --------------------------------------------------------------------------- county overview


async def villages(county_ids: Sequence[int] | None) -> list[Row]:
    where, args = county_filter(county_ids)
    return await fetch(f"SELECT v.id, v.code, v.name, c.code AS county FROM village v JOIN county c ON c.id = v.county_id "
                       f"WHERE {where} ORDER BY v.code", *args)


async def run_periods(county_ids: Sequence[int] | None) -> tuple[int, ...]:
    """The periods with a run, newest first."""
    where, args = county_filter(county_ids)
    return tuple(r["period"] for r in await fetch(
        f"SELECT DISTINCT r.period FROM run r JOIN village v ON v.id = r.village_id WHERE {where} ORDER BY r.period DESC",
        *args))


async def period_runs(county_ids: Sequence[int] | None, period: int) -> list[Row]:
    where, args = county_filter(county_ids)
    return await fetch(
        "SELECT r.id, r.village_id, r.state, r.kind, r.pool_fen, r.scheme_id FROM run r JOIN village v ON v.id = r.village_id "
        f"WHERE {where} AND r.period = ? ORDER BY r.id", *args, period)


async def issued_by_village(county_ids: Sequence[int] | None, period: int) -> dict[int, int]:
    """Fen sent to the bank per village: each (run, household) payout item counted once,
    however often its failed line was re-issued in a new batch."""
    where, args = county_filter(county_ids)
    rows = await fetch(
        "SELECT r.village_id, SUM(i.fen) AS fen FROM (SELECT run_id, household_id, MAX(amount_fen) AS fen "
        "FROM payout_item GROUP BY run_id, household_id) i JOIN run r ON r.id = i.run_id "
        f"JOIN village v ON v.id = r.village_id WHERE {where} AND r.period = ? AND r.state != 'reversed' "
        "GROUP BY r.village_id", *args, period)
    return {r["village_id"]: int(r["fen"] or 0) for r in rows}


async def households_by_village(county_ids: Sequence[int] | None, period: int) -> dict[int, int]:
    """Households of each village's newest registry snapshot of ``period``."""
    where, args = county_filter(county_ids)
    rows = await fetch(
        "SELECT s.village_id, s.households FROM registry_snapshot s JOIN village v ON v.id = s.village_id "
        f"WHERE {where} AND s.period = ? ORDER BY s.village_id, s.version", *args, period)
    return {r["village_id"]: int(r["households"]) for r in rows}  # the newest version wins


async def scheme_titles() -> dict[int, Row]:
    return {r["id"]: r for r in await fetch("SELECT id, scheme_id, version, title FROM scheme_version")}


async def household_amount_counts(run_ids: Sequence[int]) -> dict[int, int]:
    """Household lines of the runs: amount in fen -> how many lines have it."""
    counts: dict[int, int] = {}
    for i in range(0, len(run_ids), 900):
        chunk = list(run_ids[i:i + 900])
        for r in await fetch(f"SELECT amount_fen AS a, COUNT(*) AS n FROM allocation_line WHERE recipient_kind = 'household' "
                             f"AND run_id IN {_in(chunk)} GROUP BY amount_fen", *chunk):
            counts[int(r["a"])] = counts.get(int(r["a"]), 0) + int(r["n"])
    return counts


async def county_runs(county_ids: Sequence[int] | None, *, state: str | None, village_ids: Sequence[int] | None,
                      limit: int, offset: int) -> tuple[list[Row], int]:
    """Runs of the villages in scope, newest first, with their transition moments; and how many."""
    where, args = county_filter(county_ids)
    if state:
        where += " AND r.state = ?"
        args.append(state)
    if village_ids is not None:
        where += f" AND r.village_id IN {_in(village_ids)}"
        args.extend(village_ids)
    total = int((await fetch(f"SELECT COUNT(*) AS n FROM run r JOIN village v ON v.id = r.village_id WHERE {where}", *args))[0]["n"])
    rows = await fetch(
        "SELECT r.id, v.code, v.name, r.period, r.kind, r.state, s.title, s.version, r.pool_fen, r.created_at, "
        "r.computed_at, r.publicized_at, r.approved_at, r.paid_at, r.closed_at FROM run r "
        "JOIN village v ON v.id = r.village_id JOIN scheme_version s ON s.id = r.scheme_id "
        f"WHERE {where} ORDER BY r.id DESC LIMIT ? OFFSET ?", *args, limit, offset)
    return rows, total


# --------------------------------------------------------------------------- anomalies


async def double_payment_rows(county_ids: Sequence[int] | None) -> list[Row]:
    """Household lines paid by posted runs whose ID number is paid in two or more villages of a period."""
    where, args = county_filter(county_ids)
    base = ("FROM allocation_line a JOIN run r ON r.id = a.run_id JOIN village v ON v.id = r.village_id "
            "JOIN household h ON h.snapshot_id = r.snapshot_id AND h.household_id = a.recipient_id "
            f"WHERE a.recipient_kind = 'household' AND a.amount_fen > 0 AND {POSTED_SQL} AND {where}")
    return await fetch(f"SELECT r.period, h.id_number, v.code, h.household_id, r.id AS run_id, a.amount_fen {base} "
                       f"AND h.id_number IN (SELECT h.id_number {base} GROUP BY r.period, h.id_number "
                       "HAVING COUNT(DISTINCT r.village_id) > 1) ORDER BY r.period, h.id_number, v.code, h.household_id",
                       *args, *args)


async def shared_phone_rows(county_ids: Sequence[int] | None, threshold: int) -> list[Row]:
    """Households of the newest registries of a period whose phone is on ``threshold`` or more."""
    where, args = county_filter(county_ids)
    newest = ("s.version = (SELECT MAX(s2.version) FROM registry_snapshot s2 WHERE s2.village_id = s.village_id "
              "AND s2.period = s.period)")
    base = (f"FROM household h JOIN registry_snapshot s ON s.id = h.snapshot_id JOIN village v ON v.id = s.village_id "
            f"WHERE h.phone != '' AND {newest} AND {where}")
    return await fetch(f"SELECT s.period, h.phone, v.code, h.household_id {base} AND h.phone IN "
                       f"(SELECT h.phone {base} GROUP BY s.period, h.phone HAVING COUNT(*) >= ?) "
                       "ORDER BY s.period, h.phone, v.code, h.household_id", *args, *args, threshold)


async def open_run_rows(county_ids: Sequence[int] | None) -> list[Row]:
    """Regular and correcting runs neither reversed nor cancelled, with when they were paid."""
    where, args = county_filter(county_ids)
    return await fetch("SELECT r.id, v.code, r.period, r.state, r.paid_at FROM run r JOIN village v ON v.id = r.village_id "
                       f"WHERE r.kind != 'reversal' AND r.state NOT IN ('reversed', 'cancelled') AND {where} "
                       "ORDER BY r.period, v.code, r.id", *args)


async def posted_account_rows(county_ids: Sequence[int] | None) -> list[Row]:
    """Account lines (amount > 0) of posted runs, with the text of the run's scheme."""
    where, args = county_filter(county_ids)
    return await fetch("SELECT r.id, v.code, r.period, s.text, a.recipient_id, a.amount_fen FROM allocation_line a "
                       "JOIN run r ON r.id = a.run_id JOIN village v ON v.id = r.village_id "
                       "JOIN scheme_version s ON s.id = r.scheme_id "
                       f"WHERE a.recipient_kind = 'account' AND a.amount_fen > 0 AND {POSTED_SQL} AND {where} "
                       "ORDER BY v.code, r.id, a.recipient_id", *args)


async def double_booking_rows(county_ids: Sequence[int] | None) -> list[Row]:
    """Live regular runs of asset returns that two or more live regular runs book."""
    where, args = county_filter(county_ids)
    return await fetch("SELECT v.code, a.id AS return_id, a.period, a.asset, a.amount_fen, r.id AS run_id, r.state "
                       "FROM run r JOIN asset_return a ON a.id = r.asset_return_id JOIN village v ON v.id = r.village_id "
                       f"WHERE {LIVE_REGULAR_SQL} AND {where} AND r.asset_return_id IN (SELECT r.asset_return_id FROM run r "
                       f"WHERE {LIVE_REGULAR_SQL} GROUP BY r.asset_return_id HAVING COUNT(*) > 1) "
                       "ORDER BY v.code, a.period, a.id, r.id", *args)


# --------------------------------------------------------------------------- village and run pages


async def households_of(snapshot_id: int) -> list[tuple[str, str, str, int]]:
    """(household id, head's name, status, members) of a registry snapshot."""
    return list(await Household.filter(snapshot_id=snapshot_id)
                .values_list("household_id", "head_name", "status", "members"))  # type: ignore[arg-type]


async def scheme_versions() -> list[SchemeVersion]:
    return list(await SchemeVersion.all().order_by("scheme_id", "version"))


async def computed_runs(village: Village, run_ids: Sequence[int] | None = None) -> list[tuple[int, str]]:
    """(id, state) of the village's computed runs that are not reversals, oldest first."""
    query = Run.filter(village=village, kind__not="reversal", content_hash__not_isnull=True)
    if run_ids is not None:
        query = query.filter(id__in=list(run_ids))
    return list(await query.order_by("id").values_list("id", "state"))  # type: ignore[arg-type]


async def village_lists(village: Village) -> tuple[list[RegistrySnapshot], list[AssetReturn], list[Run]]:
    """The village page's newest snapshots (20), its asset returns and its runs."""
    return (list(await RegistrySnapshot.filter(village=village).prefetch_related("registry_import")
                 .order_by("-period", "-version").limit(20)),
            list(await AssetReturn.filter(village=village).order_by("-period", "asset")),
            list(await Run.filter(village=village).order_by("-id").prefetch_related("scheme")))


async def snapshot_changes(snapshot: RegistrySnapshot, limit: int = 500) -> list[RegistryChange]:
    return list(await RegistryChange.filter(snapshot=snapshot).order_by("change", "household_id").limit(limit))


async def display_names(usernames: Sequence[str]) -> list[tuple[str, str]]:
    """(username, display name) of the users named."""
    if not usernames:
        return []
    return list(await User.filter(username__in=list(usernames)).values_list("username", "display_name"))  # type: ignore[arg-type]


async def run_records(run_id: int) -> tuple[list[str], list[Objection], list[PayoutBatch], list[BankResultImport]]:
    """A run page's notice statuses (one per notice), objections, payout batches and bank results."""
    return ([str(s) for s in await Notice.filter(run_id=run_id).values_list("status", flat=True)],
            list(await Objection.filter(run_id=run_id).order_by("id")),
            list(await PayoutBatch.filter(run_id=run_id).order_by("number")),
            list(await BankResultImport.filter(batch__run_id=run_id).order_by("id")))


async def payout_items_with_reasons(run_id: int) -> tuple[list[tuple[int, str, int, str]], dict[int, str]]:
    """The run's payout items (id, household, fen, status) and the bank's reason per item id."""
    items = list(await PayoutItem.filter(run_id=run_id).values_list("id", "household_id", "amount_fen", "status"))
    reasons = dict(await BankResultLine.filter(item_id__in=[i for i, *_ in items]).values_list("item_id", "reason")) \
        if items else {}
    return items, reasons  # type: ignore[return-value]


async def previous_regular_run(run: Run) -> Run | None:
    """The village's newest computed regular run of an earlier period, not cancelled or reversed."""
    return await Run.filter(village_id=run.village_id, period__lt=run.period, kind="regular", lines__gt=0,
                            state__not_in=["cancelled", "reversed", "draft"]).order_by("-period", "-id").first()
