"""The engine's fast paths give what its general paths give, byte for byte: months of eligibility
by stretches between event dates (against month by month), prorating only the households with
events, deductions and earlier payments with one row per household in registry order (against
sorting and grouping), and sorted id look-ups by an as-of join (against a binary search)."""
from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemes import engine, months
from schemes.engine import Extra, allocate
from schemes.invariants import check
from schemes.loader import parse_scheme
from schemes.months import month_by_month, month_table, unit_months
from schemes.steps import adjustments
from schemes.steps.context import rows_of
from tests.reach import reached

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STATUSES = ["poor", "exited", "monitored", "non_poor"]
HH_SCHEMA = {"household_id": pl.String, "village_id": pl.String, "status": pl.String, "members": pl.Int64,
             "able_members": pl.Int64, "shares": pl.Int64, "capital_fen": pl.Int64}
EVENT_SCHEMA = {"household_id": pl.String, "event": pl.String, "scope": pl.String, "date": pl.Date,
                "from_status": pl.String}


def _scheme(doc: dict[str, Any]) -> Any:
    base = {"id": "p", "version": 1, "effective": "2020-01-01", "title": "p", "description": "p",
            "accounts": {"collective": "c", "carry_over": "r"}}
    return parse_scheme(yaml.safe_dump({**base, **doc}, sort_keys=False), "p.yaml")


@st.composite
def registry(draw: Any) -> pl.DataFrame:
    rows = []
    for v in range(draw(st.integers(1, 3))):
        for i in range(draw(st.integers(1, 12))):
            members = draw(st.integers(0, 8))
            rows.append({"household_id": f"V{v}-{i:02d}", "village_id": f"V{v}", "status": draw(st.sampled_from(STATUSES)),
                         "members": members, "able_members": draw(st.integers(0, members)),
                         "shares": draw(st.integers(0, 9)), "capital_fen": 0})
    return pl.DataFrame(rows, schema=HH_SCHEMA)


@st.composite
def events_of(draw: Any, households: pl.DataFrame) -> pl.DataFrame:
    ids = households["household_id"].to_list()
    rows = []
    for _ in range(draw(st.integers(1, 3 * len(ids)))):  # (no events: the whole year, tested elsewhere)
        event = draw(st.sampled_from(["joined", "left", "died", "status_changed"]))
        scope = "person" if event == "died" else ("household" if event == "status_changed" else
                                                  draw(st.sampled_from(["person", "household"])))
        day = date(2024, draw(st.integers(1, 12)), draw(st.integers(1, 28)))
        rows.append({"household_id": draw(st.sampled_from(ids)), "event": event, "scope": scope, "date": day,
                     "from_status": draw(st.sampled_from(STATUSES)) if event == "status_changed" else None})
    return pl.DataFrame(rows, schema=EVENT_SCHEMA)


def _engine_frame(households: pl.DataFrame) -> pl.DataFrame:
    return households.sort("village_id", "household_id").with_columns(
        (pl.col("members") - pl.col("able_members")).alias("unable_members"))


@SETTINGS
@given(st.data(), st.sampled_from(["next_month", "same_month"]), st.sampled_from(["person", "household"]),
       st.sampled_from([None, {"status": ["poor", "monitored"]}, {"members": {"gte": 2}}]))
def test_stretches_between_event_dates_give_the_unit_months_of_month_by_month(
        data: Any, effect: str, basis: str, eligible: Any) -> None:
    hh = _engine_frame(data.draw(registry()))
    events = data.draw(events_of(hh))
    step: dict[str, Any] = {"id": "x", "kind": "per_unit", "per": basis, "amount": "1", "prorate": {"by": "months", "effect": effect}}
    if eligible is not None:
        step["eligible"] = eligible
    parsed = _scheme({"steps": [step, {"id": "rest", "kind": "remainder", "to": "carry_over"}]}).step("x")
    where, unit = parsed.eligible, parsed.rate.basis
    if events.height:  # (examples without events compare two whole years)
        reached()
    fast = month_table(hh, events, effect)  # type: ignore[arg-type]
    general = month_by_month(hh, events, effect)  # type: ignore[arg-type]
    assert fast.hrows.equals(general.hrows)
    assert fast.frame.group_by("hrow").agg(pl.col("months").sum())["months"].to_list() == [12] * fast.hrows.len()
    assert unit_months(hh, fast, unit, where).equals(unit_months(hh, general, unit, where))


@SETTINGS
@given(st.data(), st.sampled_from(["next_month", "same_month"]), st.booleans(),
       st.sampled_from(["household", "person"]),
       st.sampled_from([None, {"status": ["poor", "monitored"]}, {"members": {"gte": 2}}]))
def test_households_with_one_event_get_the_stretches_the_joins_give(
        data: Any, effect: str, only_one: bool, basis: str, eligible: Any) -> None:
    """The path without joins for households with exactly one event (all of them, or beside
    households with several) gives the frame of the stretch joins, row for row and type for
    type, and the unit-months added up from its two states are the stretches' sums."""
    hh = _engine_frame(data.draw(registry()))
    events = data.draw(events_of(hh))
    if only_one:
        events = events.unique("household_id", keep="first", maintain_order=True)
    ev = months._typed_events(hh, events, effect, None)  # type: ignore[arg-type]
    if ev["hrow"].is_unique().any():
        reached()
    fast = month_table(hh, events, effect)  # type: ignore[arg-type]
    general = months._stretch_table(hh, ev)
    assert fast.hrows.equals(general.hrows)
    assert fast.frame.schema == general.frame.schema
    assert fast.frame.equals(general.frame)
    step: dict[str, Any] = {"id": "x", "kind": "per_unit", "per": basis, "amount": "1", "prorate": {"by": "months", "effect": effect}}
    if eligible is not None:
        step["eligible"] = eligible
    parsed = _scheme({"steps": [step, {"id": "rest", "kind": "remainder", "to": "carry_over"}]}).step("x")
    assert months.prorated_unit_months(fast, parsed.rate.basis, parsed.eligible).equals(
        months.prorated_unit_months(general, parsed.rate.basis, parsed.eligible))


def _months_scheme(effect: str) -> Any:
    return _scheme({"steps": [
        {"id": "dividend", "kind": "per_unit", "per": "person", "amount": "500", "eligible": {"status": ["poor", "monitored"]},
         "prorate": {"by": "months", "effect": effect}, "on_shortfall": "pro_rate"},
        {"id": "rest", "kind": "remainder", "to": "carry_over"}]})


@SETTINGS
@given(st.data(), st.sampled_from(["next_month", "same_month"]), st.integers(0, 10**7))
def test_prorating_only_the_households_with_events_pays_what_every_households_unit_months_pay(
        data: Any, effect: str, pool: int) -> None:
    """The general rule, ``amount x unit-months / 12`` half up on every household (12 months
    for those without events), gives the engine's needs; the lines then agree."""
    hh = data.draw(registry())
    events = data.draw(events_of(hh))
    villages = sorted(set(hh["village_id"].to_list()))
    returns = pl.DataFrame({"village_id": villages, "amount_fen": [pool] * len(villages)})
    scheme = _months_scheme(effect)
    if events.height:
        reached()
    a = allocate(scheme, hh, returns, period=2024, extra=Extra(events=events))
    assert check(a) == []
    frame = _engine_frame(hh)
    step = scheme.step("dividend")
    um = unit_months(frame, month_by_month(frame, events, effect), step.rate.basis, step.eligible)  # type: ignore[arg-type]
    need = (um * 50000 * 2 + 12) // 24
    requested = a.summary.filter(pl.col("step_id") == "dividend")["requested_fen"]
    per_village = frame.with_columns(need=need).group_by("village_id").agg(pl.col("need").sum()).sort("village_id")
    assert requested.to_list() == per_village["need"].to_list()
    if (a.summary.filter(pl.col("step_id") == "dividend")["shortfall_fen"] == 0).all():
        assert a.households.sort("village_id", "household_id")["dividend"].to_list() == need.to_list()


def _general(monkeypatch: pytest.MonkeyPatch, module: Any) -> None:
    """Force the general path: no input counts as one row per household in order."""
    monkeypatch.setattr(module, "ordered_distinct", lambda values: False)


def _both_paths(doc: dict[str, Any], hh: pl.DataFrame, pool: int, extra: Extra, module: Any) -> tuple[Any, Any]:
    """The allocation by the fast path and by the general one (``module``'s check forced off):
    the same lines, households, summary and deduction rows."""
    villages = sorted(set(hh["village_id"].to_list()))
    returns = pl.DataFrame({"village_id": villages, "amount_fen": [pool] * len(villages)})
    scheme = _scheme(doc)
    fast = allocate(scheme, hh, returns, period=2024, extra=extra)
    assert check(fast) == []
    with pytest.MonkeyPatch.context() as m:
        _general(m, module)
        general = allocate(scheme, hh, returns, period=2024, extra=extra)
    _same(fast, general)
    return fast, general


def _same(a: Any, b: Any) -> None:
    assert a.lines().equals(b.lines())
    assert a.households.equals(b.households)
    assert a.summary.equals(b.summary)
    if a.deductions is None:
        assert b.deductions is None
    else:
        assert a.deductions.equals(b.deductions)


DEDUCTING = {"steps": [{"id": "d", "kind": "pro_rata", "percent": "100", "weight": "person", "on_shortfall": "pro_rate"},
                       {"id": "rest", "kind": "remainder", "to": "carry_over"}],
             "deductions": {"protected": {"per": "person", "amount": "30"}, "creditors": ["collective", "carry_over"]}}


@SETTINGS
@given(st.data(), st.integers(0, 10**6), st.booleans())
def test_one_deduction_per_household_in_order_is_settled_as_the_general_path_settles_it(
        data: Any, pool: int, two_creditors: bool) -> None:
    hh = data.draw(registry())
    ids = sorted(hh["household_id"].to_list())
    chosen = sorted(data.draw(st.sets(st.sampled_from(ids), min_size=1)))
    rows = [(h, data.draw(st.integers(0, 10**6)), "loan",
             data.draw(st.sampled_from(["collective", "carry_over"])) if two_creditors else "collective") for h in chosen]
    deductions = pl.DataFrame(rows, schema={"household_id": pl.String, "amount_fen": pl.Int64, "reason": pl.String,
                                            "creditor": pl.String}, orient="row")
    reached()
    fast, general = _both_paths(DEDUCTING, hh, pool, Extra(deductions=deductions), adjustments)
    fast_check = [c for c in fast.checks if isinstance(c, adjustments.DeductionCheck)][0]
    general_check = [c for c in general.checks if isinstance(c, adjustments.DeductionCheck)][0]
    assert fast_check.frame.equals(general_check.frame)


CAPPED = {"steps": [{"id": "d", "kind": "per_unit", "per": "person", "amount": "500", "on_shortfall": "pro_rate"},
                    {"id": "cap", "kind": "cap", "limit": {"per": "household", "amount": "2000"}, "counts": ["d"],
                     "over": "period", "excess_to": "remaining"},
                    {"id": "rest", "kind": "remainder", "to": "carry_over"}]}


@SETTINGS
@given(st.data(), st.integers(0, 10**7))
def test_earlier_payments_one_row_per_household_in_order_cap_as_the_grouped_path_caps(data: Any, pool: int) -> None:
    hh = data.draw(registry())
    ids = sorted(hh["household_id"].to_list())
    chosen = sorted(data.draw(st.sets(st.sampled_from(ids), min_size=1)) | data.draw(st.sets(st.just("ZZ-unknown"))))
    earlier = pl.DataFrame({"household_id": chosen, "amount_fen": [data.draw(st.integers(0, 300000)) for _ in chosen]},
                           schema={"household_id": pl.String, "amount_fen": pl.Int64})
    reached()
    _both_paths(CAPPED, hh, pool, Extra(earlier_paid=earlier), engine)


@SETTINGS
@given(st.lists(st.text("AB0-9", min_size=1, max_size=4), unique=True).map(sorted),
       st.lists(st.text("AB0-9", min_size=0, max_size=5), max_size=30), st.booleans())
def test_sorted_ids_are_found_by_the_as_of_join_where_the_binary_search_finds_them(
        household_ids: list[str], wanted: list[str], in_order: bool) -> None:
    ids = pl.Series(household_ids, dtype=pl.String)
    asked = pl.Series(sorted(wanted) if in_order else wanted, dtype=pl.String)
    expected = [household_ids.index(w) if w in household_ids else None for w in asked.to_list()]
    reached()
    assert rows_of(ids, asked, True).to_list() == expected
    assert rows_of(ids, asked).to_list() == expected


def test_the_bench_inputs_take_the_fast_paths() -> None:
    """The bench's deductions and earlier payments (one row per household, in id order) skip
    the sort and the grouping; its events make two stretches per household, not twelve months."""
    from schemes.frames import ordered_distinct

    ids = pl.Series([f"V0001-{i:05d}" for i in range(0, 400, 20)])
    assert ordered_distinct(ids)
    hh = _engine_frame(pl.DataFrame([{"household_id": f"V0001-{i:05d}", "village_id": "V0001", "status": "poor",
                                      "members": 3, "able_members": 1, "shares": 0, "capital_fen": 0}
                                     for i in range(10)], schema=HH_SCHEMA))
    events = pl.DataFrame([{"household_id": "V0001-00003", "event": "died", "scope": "person", "date": date(2024, 5, 10),
                            "from_status": None}], schema=EVENT_SCHEMA)
    table = month_table(hh, events, "next_month")
    assert table.frame.select("hrow", "month", "months", "members").rows() == [(3, 1, 5, 4), (3, 6, 7, 3)]


def test_the_deduction_evidence_rows_are_used_only_where_they_hold_the_households() -> None:
    """The invariant reads each household's deductions line at the row the evidence names, and
    looks the household up when that row holds another household (or none)."""
    from dataclasses import replace

    from schemes.invariants import deductions_bounded

    hh = pl.DataFrame([{"household_id": f"V0-{i:02d}", "village_id": "V0", "status": "poor", "members": 2,
                        "able_members": 1, "shares": 0, "capital_fen": 0} for i in range(6)], schema=HH_SCHEMA)
    deductions = pl.DataFrame({"household_id": ["V0-01", "V0-04"], "amount_fen": [500, 900], "reason": ["loan", "loan"],
                               "creditor": ["collective", "collective"]})
    returns = pl.DataFrame({"village_id": ["V0"], "amount_fen": [600000]})
    a = allocate(_scheme(DEDUCTING), hh, returns, period=2024, extra=Extra(deductions=deductions))
    [evidence] = [c for c in a.checks if isinstance(c, adjustments.DeductionCheck)]
    assert evidence.hrows is not None and evidence.hrows.to_list() == [1, 4]
    assert deductions_bounded(a) == []
    for wrong in (pl.Series([0, 3], dtype=pl.Int64), pl.Series([1, 99], dtype=pl.Int64), None):
        moved = replace(a, checks=tuple(replace(c, hrows=wrong) if c is evidence else c for c in a.checks))
        assert deductions_bounded(moved) == []  # found by looking the households up
    broken = a.households.with_columns(pl.when(pl.col("household_id") == "V0-04").then(-1).otherwise(pl.col("deductions"))
                                       .alias("deductions"))
    assert deductions_bounded(replace(a, households=broken))  # the line read at the named row disagrees


@SETTINGS
@given(st.integers(1, 6), st.lists(st.tuples(st.integers(0, 5), st.integers(-(2**40), 2**40)), max_size=40),
       st.sampled_from([pl.Int64, pl.Int32, pl.UInt32]), st.booleans())
def test_per_village_sums_by_a_running_sum_match_the_group_by(v: int, rows: list[tuple[int, int]], dtype: Any,
                                                              by_slices: bool) -> None:
    from schemes.steps import context
    from schemes.steps.context import I128, sums_by_sorted_vix, sums_by_sorted_vix_each

    # by_slices: the many-rows path (a group_by of the villages flagged sorted), taken here on few rows
    kept = context.SORTED_GROUP_ROWS
    context.SORTED_GROUP_ROWS = 0 if by_slices else kept
    try:
        _per_village_sums_match(v, rows, dtype)
    finally:
        context.SORTED_GROUP_ROWS = kept


def _per_village_sums_match(v: int, rows: list[tuple[int, int]], dtype: Any) -> None:
    from schemes.steps.context import I128, sums_by_sorted_vix, sums_by_sorted_vix_each

    rows = sorted((min(i, v - 1), x) for i, x in rows)
    if dtype != pl.Int64:
        rows = [(i, abs(x) % 2**31) for i, x in rows]
    vix = pl.Series([i for i, _ in rows], dtype=pl.Int64)
    values = pl.Series([x for _, x in rows], dtype=dtype)
    fast = sums_by_sorted_vix(vix, values, v)
    assert fast is not None
    general = [sum(x for i, x in rows if i == k) for k in range(v)]
    reached()
    assert fast.dtype == pl.Int64 and fast.name == "fen"
    assert fast.to_list() == general
    # unsorted rows, nulls or sums that could leave Int64 take the general path
    if len(set(vix.to_list())) > 1:
        assert sums_by_sorted_vix(vix.reverse(), values, v) is None
    assert sums_by_sorted_vix(vix, pl.Series([2**62] * len(rows) or [0], dtype=I128)[:len(rows)], v) is None
    # several columns on the same rows, the villages' bounds found once: each as if alone
    counts = (values != 0).cast(pl.Int64)
    each = sums_by_sorted_vix_each(vix, [values, counts], v)
    assert each is not None and [s.to_list() for s in each] == [general, [sum(1 for i, x in rows if i == k and x)
                                                                           for k in range(v)]]
    assert all(s.dtype == pl.Int64 and s.name == "fen" for s in each)
    # one column that cannot take the path sends them all to the general one
    assert sums_by_sorted_vix_each(vix, [counts, pl.Series([2**62] * len(rows) or [0], dtype=I128)[:len(rows)]], v) is None


GUARANTEED = {"steps": [
    {"id": "collective", "kind": "carve_out", "to": "collective", "percent": "30"},
    {"id": "dividend", "kind": "pro_rata", "percent": "100", "of": "remaining", "weight": "share",
     "eligible": {"shares": {"gt": 0}}, "on_shortfall": "pro_rate"},
    {"id": "guarantee", "kind": "minimum_guarantee", "eligible": {"capital": {"gt": 0}},
     "floor": {"per": "capital", "percent": "25"}, "counts": ["dividend"], "funded_by": ["collective", "remaining"],
     "on_shortfall": "pro_rate"},
    {"id": "rest", "kind": "remainder", "to": "carry_over"}]}


@SETTINGS
@given(st.data(), st.integers(0, 10**7), st.integers(1, 10**12))
def test_a_guarantee_cut_in_int64_pays_what_the_int128_cut_pays(data: Any, pool: int, capital: int) -> None:
    """Top-ups cut pro rata where the money is short: in Int64 when every need x grant stays
    below 2**62, as in Int128 (capital up to 10**12 fen takes both)."""
    from schemes.steps import context

    hh = data.draw(registry())
    hh = hh.with_columns(capital_fen=pl.Series([data.draw(st.integers(0, capital)) for _ in range(hh.height)],
                                               dtype=pl.Int64))
    reached()
    villages = sorted(set(hh["village_id"].to_list()))
    returns = pl.DataFrame({"village_id": villages, "amount_fen": [pool] * len(villages)})
    scheme = _scheme(GUARANTEED)
    narrow = allocate(scheme, hh, returns, period=2024)
    assert check(narrow) == []
    with pytest.MonkeyPatch.context() as m:
        m.setattr(context, "_narrow", lambda need, granted: False)
        wide = allocate(scheme, hh, returns, period=2024)
    _same(narrow, wide)
    for a, b in zip(narrow.checks, wide.checks, strict=True):  # the evidence the invariants read is the same too
        assert a.frame.equals(b.frame) and a.frame.schema == b.frame.schema


@pytest.mark.parametrize(("need", "granted", "narrow"), [
    ([2**31 - 1, 0], [2**31 + 1], True),  # the product just below 2**62
    ([2**31, 1], [2**31], False),  # at 2**62
    ([-1, 5], [5], False),  # a negative need
    ([3, 4], [-1], False),  # a negative grant
    ([], [5], False),
    ([1, None], [5], False),
])
def test_a_guarantee_cut_is_narrow_only_below_2_62(need: list[int | None], granted: list[int], narrow: bool) -> None:
    from schemes.steps.context import _narrow

    assert _narrow(pl.Series(need, dtype=pl.Int64), pl.Series(granted, dtype=pl.Int64)) is narrow


def _floors_scheme(percent: str, per_unit: str) -> dict[str, Any]:
    return {"steps": [
        {"id": "base", "kind": "per_unit", "per": "person", "amount": per_unit, "on_shortfall": "pro_rate"},
        {"id": "dividend", "kind": "pro_rata", "percent": "50", "weight": "share", "on_shortfall": "pro_rate"},
        {"id": "guarantee", "kind": "minimum_guarantee", "floor": {"per": "capital", "percent": percent},
         "counts": ["dividend"], "funded_by": ["remaining"], "on_shortfall": "pro_rate"},
        {"id": "rest", "kind": "remainder", "to": "carry_over"}]}


@SETTINGS
@given(st.data(), st.sampled_from(["25", "33.333333", "100/3", "7.5", "1/7"]), st.sampled_from(["0.01", "12.34", "1000"]),
       st.integers(0, 10**13))
def test_needs_in_int64_where_the_bounds_allow_are_the_int128_needs(data: Any, percent: str, per_unit: str,
                                                                     pool: int) -> None:
    from schemes.steps.context import RunContext

    hh = data.draw(registry())
    capital = data.draw(st.lists(st.one_of(st.integers(0, 10**6), st.integers(0, 10**17)),
                                 min_size=hh.height, max_size=hh.height))
    hh = hh.with_columns(pl.Series("capital_fen", capital, dtype=pl.Int64))
    reached()
    villages = sorted(set(hh["village_id"].to_list()))
    returns = pl.DataFrame({"village_id": villages, "amount_fen": [pool] * len(villages)})
    scheme = _scheme(_floors_scheme(percent, per_unit))
    narrow = allocate(scheme, hh, returns, period=2024)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(RunContext, "_units_bound", lambda self, basis: 2**70)  # every need in Int128
        wide = allocate(scheme, hh, returns, period=2024)
    _same(narrow, wide)
    assert check(narrow) == []


@SETTINGS
@given(st.integers(1, 6), st.lists(st.lists(st.tuples(st.integers(0, 5), st.integers(-(2**40), 2**40)), max_size=12),
                                   min_size=1, max_size=5))
def test_per_village_sums_over_a_few_ascending_runs_match_the_group_by(v: int, runs: list[list[tuple[int, int]]]) -> None:
    # a claim group's lines (groups_settled): claim after claim, each claim's lines in village order
    from schemes.invariants import _sums_by_runs

    rows = [(min(i, v - 1), x) for run in runs for i, x in sorted(run)]
    vix = pl.Series([i for i, _ in rows], dtype=pl.Int64)
    values = pl.Series([x for _, x in rows], dtype=pl.Int64)
    counts = (values > 0).cast(pl.Int64)
    sums = _sums_by_runs(vix, [values, counts], v)
    reached()
    assert sums is not None
    assert [s.to_list() for s in sums] == [[sum(x for i, x in rows if i == k) for k in range(v)],
                                           [sum(1 for i, x in rows if i == k and x > 0) for k in range(v)]]
    assert all(s.dtype == pl.Int64 and s.len() == v for s in sums)
    # more runs than asked for, nulls, or sums that could leave Int64: the general path (None)
    descents = int((vix.diff() < 0).sum())
    if descents:
        assert _sums_by_runs(vix, [values], v, most=descents) is None
    assert _sums_by_runs(vix, [values.scatter(0, None)], v) is None if rows else True
    assert _sums_by_runs(vix, [pl.Series([2**61] * len(rows), dtype=pl.Int64)], v) is None if len(rows) > 1 else True
