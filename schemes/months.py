"""Months of eligibility from household and member events within the period.

The registry describes each household as it is at the end of the period, after every event of
the period. An *events* frame says what changed and when:

============== ========= ===================================================================
event          scope     months it changes (``e`` = the month the event takes effect)
============== ========= ===================================================================
joined         person    the member counts from month ``e`` (was not there before)
left, died     person    the member counted in the months before ``e`` (no longer listed)
joined         household the household counts from month ``e``
left           household the household counts in the months before ``e``
status_changed household before ``e`` the household had ``from_status``
============== ========= ===================================================================

An event dated in month ``m`` takes effect in month ``m + 1`` (``next_month``: "stops from the
month after", the common rule) or in month ``m`` (``same_month``); an effect in month 13 changes
nothing in the period. A prorated per-unit step then pays ``amount * unit-months / 12`` where a
household's unit-months add up, over the 12 months, the units it had (1 per household, or its
members) in the months it was present and eligible under the step's filter (evaluated on that
month's status and members). A household without events has 12 times its units.

>>> month_of_effect(date(2024, 5, 10), "next_month"), month_of_effect(date(2024, 5, 10), "same_month")
(6, 5)
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from schemes.filters import Filter, compile_filter
from schemes.model import Basis, Effect

MONTHS = 12
EVENT_KINDS = ("joined", "left", "died", "status_changed")
EVENT_COLUMNS = {"household_id": pl.String, "event": pl.String, "scope": pl.String, "date": pl.Date,
                 "from_status": pl.String}


@dataclass(frozen=True)
class MonthTable:
    """Per month (1..12) state of the households that have events: ``hrow`` (the household's row
    in the engine's frame), ``month``, ``present``, and the household columns with ``status``,
    ``members`` and ``unable_members`` as they were that month."""

    frame: pl.DataFrame
    hrows: pl.Series  # the rows of households with events, unique


def month_of_effect(day: date, effect: Effect) -> int:
    return day.month + 1 if effect == "next_month" else day.month


def month_table(hh: pl.DataFrame, events: pl.DataFrame, effect: Effect) -> MonthTable:
    """The month-by-month state of every household with an event (``hh`` has ``household_id``,
    sorted, and the engine's household columns)."""
    rows = hh.select("household_id").with_row_index("hrow").with_columns(pl.col("hrow").cast(pl.Int64))
    ev = events.join(rows, on="household_id", how="inner").sort("hrow", "date", "event", "scope", "from_status")
    hrows = ev["hrow"].unique().sort()
    base = hh.with_row_index("hrow").with_columns(pl.col("hrow").cast(pl.Int64)).filter(pl.col("hrow").is_in(hrows.implode()))
    state: dict[int, dict[str, list[object]]] = {}
    current = {r["hrow"]: r for r in base.select("hrow", "status", "members").iter_rows(named=True)}
    for hrow, r in current.items():
        state[hrow] = {"present": [True] * MONTHS, "status": [r["status"]] * MONTHS, "members": [r["members"]] * MONTHS}
    changes: list[tuple[int, int, str | None]] = []
    for e in ev.iter_rows(named=True):
        s = state[e["hrow"]]
        start = month_of_effect(e["date"], effect)  # months 1..start-1 are "before"
        before = range(0, min(start - 1, MONTHS))
        if e["event"] == "status_changed":
            changes.append((e["hrow"], start, e["from_status"]))
        elif e["scope"] == "person":
            delta = -1 if e["event"] == "joined" else 1
            for m in before:
                s["members"][m] = max(int(s["members"][m]) + delta, 0)  # type: ignore[call-overload]
        elif e["event"] == "joined":
            for m in before:
                s["present"][m] = False
        else:  # the household left
            for m in range(min(start - 1, MONTHS), MONTHS):
                s["present"][m] = False
    for hrow, start, from_status in sorted(changes, key=lambda c: (c[0], -c[1])):
        for m in range(0, min(start - 1, MONTHS)):
            state[hrow]["status"][m] = from_status
    months = pl.DataFrame({
        "hrow": [h for h in state for _ in range(MONTHS)],
        "month": [m + 1 for _ in state for m in range(MONTHS)],
        "present": [p for h in state for p in state[h]["present"]],
        "status_m": [x for h in state for x in state[h]["status"]],
        "members_m": [x for h in state for x in state[h]["members"]],
    }, schema={"hrow": pl.Int64, "month": pl.Int64, "present": pl.Boolean, "status_m": pl.String, "members_m": pl.Int64})
    frame = months.join(base, on="hrow", how="left").with_columns(
        pl.col("status_m").alias("status"), pl.col("members_m").alias("members"),
        (pl.col("members_m") - pl.col("able_members")).clip(lower_bound=0).alias("unable_members"),
    ).drop("status_m", "members_m")
    return MonthTable(frame, hrows)


def unit_months(hh: pl.DataFrame, table: MonthTable | None, basis: Basis, eligible: Filter | None) -> pl.Series:
    """Eligible unit-months per household row (Int64)."""
    from schemes.steps.context import units_expr

    ok = compile_filter(eligible).fill_null(False)
    full = hh.with_columns(pl.when(ok).then(units_expr(basis).cast(pl.Int64) * MONTHS).otherwise(0).alias("um"))["um"]
    if table is None or table.hrows.len() == 0:
        return full
    per = table.frame.group_by("hrow").agg(
        (pl.when(pl.col("present") & ok).then(units_expr(basis).cast(pl.Int64)).otherwise(0)).sum().alias("um"))
    return full.scatter(per["hrow"], per["um"])
