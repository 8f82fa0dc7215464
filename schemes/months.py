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
from schemes.frames import ordered_distinct
from schemes.model import Basis, Effect

MONTHS = 12
EVENT_KINDS = ("joined", "left", "died", "status_changed")
EVENT_COLUMNS = {"household_id": pl.String, "event": pl.String, "scope": pl.String, "date": pl.Date,
                 "from_status": pl.String}


@dataclass(frozen=True)
class MonthTable:
    """The state of the households that have events, one row per *stretch*: the months between
    two of the household's event dates, over which nothing changes. Columns: ``hrow`` (the
    household's row in the engine's frame), ``month`` (the stretch's first month), ``months``
    (how many months it lasts; a household's stretches add up to 12), ``present``, and the
    household columns with ``status``, ``members`` and ``unable_members`` as they were then.
    A household with one event has two stretches, not twelve months."""

    frame: pl.DataFrame
    hrows: pl.Series  # the rows of households with events, unique, sorted


def month_of_effect(day: date, effect: Effect) -> int:
    return day.month + 1 if effect == "next_month" else day.month


def _typed_events(hh: pl.DataFrame, events: pl.DataFrame, effect: Effect, ids_sorted: bool | None) -> pl.DataFrame:
    """Each event's household row and ``start``, the month it takes effect (13: after the period)."""
    from schemes.steps.context import rows_of

    shift = 1 if effect == "next_month" else 0
    if "hrow" not in events.columns:  # the engine passes the rows it found checking the events
        events = events.with_columns(hrow=rows_of(hh["household_id"], events["household_id"], ids_sorted))
    return events.filter(pl.col("hrow").is_not_null()).select(
        "hrow", "event", "scope", "from_status", (pl.col("date").dt.month().cast(pl.Int64) + shift).alias("start"))


def _state(hh: pl.DataFrame, ev: pl.DataFrame, hrows: pl.Series, months: pl.DataFrame) -> pl.DataFrame:
    """The households' state in each of ``months`` (rows ``hrow, month``, with any other columns
    carried along): a member counts in the months before a ``left``/``died`` event and from a
    ``joined`` one; a household is absent before it joined and from the month it left; before a
    status change it had ``from_status`` (the earliest change still to come decides)."""
    base = hh[hrows].with_columns(hrows.alias("hrow"))
    before = months.select("hrow", "month").join(ev, on="hrow", maintain_order="left_right").filter(
        pl.col("month") < pl.col("start"))  # the events still to come in each month
    person = before.filter(pl.col("scope") == "person").group_by("hrow", "month").agg(
        pl.when(pl.col("event") == "joined").then(-1).otherwise(1).sum().alias("delta"))
    household = before.filter((pl.col("scope") == "household") & pl.col("event").is_in(["joined", "left"]))
    absent_before = household.filter(pl.col("event") == "joined").select("hrow", "month").unique()
    left = ev.filter((pl.col("scope") == "household") & (pl.col("event") == "left")).group_by("hrow").agg(
        pl.col("start").min().alias("left_from"))
    status = (before.filter(pl.col("event") == "status_changed").sort("hrow", "month", "start", maintain_order=True)
              .group_by("hrow", "month", maintain_order=True).agg(pl.col("from_status").first().alias("status_m")))
    return _finish(
        months.join(person, on=["hrow", "month"], how="left")
        .join(absent_before.with_columns(pl.lit(True).alias("absent")), on=["hrow", "month"], how="left")
        .join(left, on="hrow", how="left")
        .join(status, on=["hrow", "month"], how="left")
        .join(base, on="hrow", how="left"))


def _finish(stretches: pl.DataFrame) -> pl.DataFrame:
    """The state from the stretches' columns ``delta`` (members to add back), ``absent``,
    ``left_from`` and ``status_m`` (null: nothing changes) and the household columns."""
    return (
        stretches.with_columns(
            present=pl.col("absent").is_null() & (pl.col("left_from").is_null() | (pl.col("month") < pl.col("left_from"))),
            status=pl.coalesce("status_m", "status"),
            members=(pl.col("members") + pl.col("delta").fill_null(0)).clip(lower_bound=0),
        )
        .with_columns((pl.col("members") - pl.col("able_members")).clip(lower_bound=0).alias("unable_members"))
        .drop("delta", "absent", "left_from", "status_m")
        .sort("hrow", "month")
    )


def month_table(hh: pl.DataFrame, events: pl.DataFrame, effect: Effect, ids_sorted: bool | None = None) -> MonthTable:
    """The stretch-by-stretch state of every household with an event (``hh`` has
    ``household_id``, sorted, and the engine's household columns): a stretch starts in month 1
    and in each month an event of the household takes effect (2..12)."""
    ev = _typed_events(hh, events, effect, ids_sorted)
    if ordered_distinct(ev["hrow"]):  # one event per household, in row order: no hashing to see it
        return _one_event_table(hh, ev)
    one = ev["hrow"].is_unique()
    if one.all():  # every household with one event (the common case): no joins
        return _one_event_table(hh, ev)
    if not one.any():
        return _stretch_table(hh, ev)
    single, several = _one_event_table(hh, ev.filter(one)), _stretch_table(hh, ev.filter(~one))
    return MonthTable(pl.concat([single.frame, several.frame]).sort("hrow", "month"),
                      pl.concat([single.hrows, several.hrows]).sort())


def _stretch_table(hh: pl.DataFrame, ev: pl.DataFrame) -> MonthTable:
    """The stretches by joining each stretch with the events still to come (any number of
    events per household)."""
    hrows = ev["hrow"].unique().sort()
    cuts = pl.concat([
        hrows.to_frame("hrow").with_columns(month=pl.lit(1, pl.Int64)),
        ev.filter((pl.col("start") > 1) & (pl.col("start") <= MONTHS)).select("hrow", pl.col("start").alias("month")),
    ]).unique().sort("hrow", "month")
    stretches = cuts.with_columns(months=pl.when(pl.col("hrow").shift(-1) == pl.col("hrow"))
                                  .then(pl.col("month").shift(-1)).otherwise(MONTHS + 1) - pl.col("month"))
    return MonthTable(_state(hh, ev, hrows, stretches), hrows)


def _one_event_table(hh: pl.DataFrame, ev: pl.DataFrame) -> MonthTable:
    """The stretches of households with exactly one event each, row by row without joins: the
    months before the event's ``start`` (when ``start > 1``), with the event still to come, and
    the months from it (when ``start <= 12``), with the registry's state (a household that
    left is absent from then on). The same frame as :func:`_stretch_table` gives."""
    if not ev["hrow"].is_sorted():
        ev = ev.sort("hrow")
    hrows = ev["hrow"]
    start, event, household = pl.col("start"), pl.col("event"), pl.col("scope") == "household"
    flags = ev.select(
        "hrow", "start",
        _delta=pl.when(household).then(None).when(event == "joined").then(pl.lit(-1, pl.Int32)).otherwise(pl.lit(1, pl.Int32)),
        _absent=pl.when(household & (event == "joined")).then(True).otherwise(pl.lit(None, pl.Boolean)),
        left_from=pl.when(household & (event == "left")).then(start).otherwise(pl.lit(None, pl.Int64)),
        _status=pl.when(event == "status_changed").then(pl.col("from_status")).otherwise(pl.lit(None, pl.String)),
    )
    wide = pl.concat([flags, hh[hrows]], how="horizontal")
    one, none_i32, none_bool = pl.lit(1, pl.Int64), pl.lit(None, pl.Int32), pl.lit(None, pl.Boolean)
    columns = ["hrow", "month", "months", "delta", "absent", "left_from", "status_m", *hh.columns]
    before = wide.filter(start > 1).select(
        "hrow", month=one, months=pl.min_horizontal(start, MONTHS + 1) - 1, delta="_delta", absent="_absent",
        left_from="left_from", status_m="_status", *hh.columns)
    after = wide.filter(start <= MONTHS).select(
        "hrow", month=pl.max_horizontal(start, one), months=MONTHS + 1 - pl.max_horizontal(start, one), delta=none_i32,
        absent=none_bool, left_from="left_from", status_m=pl.lit(None, pl.String), *hh.columns)
    return MonthTable(_finish(pl.concat([before, after]).select(columns)), hrows)


def month_by_month(hh: pl.DataFrame, events: pl.DataFrame, effect: Effect, ids_sorted: bool | None = None) -> MonthTable:
    """The general form of :func:`month_table`: every household with an event, every month
    (``months`` = 1 on each row). The engine uses the stretches; tests check both agree."""
    ev = _typed_events(hh, events, effect, ids_sorted)
    hrows = ev["hrow"].unique().sort()
    months = hrows.to_frame("hrow").join(
        pl.DataFrame({"month": pl.arange(1, MONTHS + 1, eager=True, dtype=pl.Int64)}), how="cross").with_columns(
        months=pl.lit(1, pl.Int64))
    return MonthTable(_state(hh, ev, hrows, months), hrows)


def prorated_unit_months(table: MonthTable, basis: Basis, eligible: Filter | None) -> pl.DataFrame:
    """Eligible unit-months (``um``, Int64) of each household with events (``hrow``, in order):
    its units in each stretch it was present and eligible, times the stretch's months."""
    from schemes.steps.context import units_expr

    ok = compile_filter(eligible).fill_null(False)
    return table.frame.group_by("hrow").agg(
        (pl.when(pl.col("present") & ok).then(units_expr(basis).cast(pl.Int64) * pl.col("months")).otherwise(0))
        .sum().alias("um")).sort("hrow")


def unit_months(hh: pl.DataFrame, table: MonthTable | None, basis: Basis, eligible: Filter | None) -> pl.Series:
    """Eligible unit-months of every household row (Int64): 12 times its units when eligible
    and without events (the general form; the engine prices the whole year directly and
    prorates only the households with events, see :func:`prorated_unit_months`)."""
    from schemes.steps.context import units_expr

    ok = compile_filter(eligible).fill_null(False)
    full = hh.with_columns(pl.when(ok).then(units_expr(basis).cast(pl.Int64) * MONTHS).otherwise(0).alias("um"))["um"]
    if table is None or table.hrows.len() == 0:
        return full
    per = prorated_unit_months(table, basis, eligible)
    return full.scatter(per["hrow"], per["um"])
