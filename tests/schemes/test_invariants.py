"""Negative tests: every invariant, fed a deliberately broken allocation, reports it by name.

Each case starts from a sound allocation of a scenario (all checks pass) and breaks one thing;
the check that owns that rule must report it. A last test makes sure no check of
``schemes.invariants.CHECKS`` is without such a case, so deleting an invariant (or making one
pass everything) fails a test.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from functools import cache

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemes import invariants
from schemes.engine import Allocation, allocate
from schemes.invariants import CHECKS, check
from schemes.loader import load_scheme, parse_scheme
from schemes.steps.adjustments import DeductionCheck
from schemes.steps.context import FloorCheck, SplitCheck
from schemes.steps.groups import GroupCheck
from tests.reach import reached
from tests.schemes.scenario import HERE, Case, households_frame, load_cases

CASES = {c.name: c for c in load_cases("presets.yaml") + load_cases("steps.yaml") + load_cases("shapes.yaml")}


def _run(name: str) -> Allocation:
    c: Case = CASES[name]
    a = allocate(c.scheme, c.households, c.returns, period=c.period, posts=c.posts, persons=c.persons, extra=c.extra)
    assert check(a) == []
    return a


WEI = "Wei County in a poor year, pro-rate everything, every promise cut by exactly 105/108"
PRIORITY = "Claims in priority order with enough for the first level cut only the dividend"
MONTHS = "Months of eligibility, a cap over the year's total, deductions and a carry-over sent to the collective"
FLOOR = "A floor top-up drains the first source before it touches the second"
SPLIT = "Equal remainders go to the lowest household id, whatever the row order"
SHORT_YEAR = "In a short year the poor are paid first, then monitored households, then the rest"


HUGE_SCHEME = """id: big
version: 1
effective: 2020-01-01
title: t
description: d
accounts: {carry_over: c}
steps:
  - id: split
    kind: pro_rata
    percent: 50
    weight: {by: capital, multiplier: {poor: "999999.999999", others: "0.000001"}, bonus: {poor: "1/999983"}}
  - {id: even, kind: pro_rata, percent: 100, of: remaining, weight: {by: household}}
  - {id: rest, kind: remainder, to: carry_over}
"""


@cache
def _huge() -> Allocation:
    """Capital in fen times fine multipliers: the first split's exact comparison needs Python
    integers (beyond Int128); the second split is an ordinary one after it."""
    households = pl.DataFrame({"household_id": ["A", "B", "C"], "village_id": ["V1"] * 3,
                               "status": ["poor", "non_poor", "poor"], "members": [1, 1, 1], "able_members": [0, 0, 0],
                               "shares": [0, 0, 0], "capital_fen": [2**62, 2**62 - 1, 3]})
    returns = pl.DataFrame({"village_id": ["V1"], "amount_fen": [2**63 - 1]})
    a = allocate(parse_scheme(HUGE_SCHEME, "big.yaml"), households, returns, period=2024)
    assert check(a) == []
    return a


def _split_of(a: Allocation, step: str, fix: Callable[[pl.DataFrame], pl.DataFrame]) -> Allocation:
    checks = tuple(replace(c, frame=fix(c.frame)) if isinstance(c, SplitCheck) and c.step_id == step else c
                   for c in a.checks)
    return replace(a, checks=checks, _lines=[])


def _bump(frame: pl.DataFrame, column: str, row: int, by: int) -> pl.DataFrame:
    values = frame[column].to_list()
    values[row] += by
    return frame.with_columns(pl.Series(column, values, dtype=frame.schema[column]))


def _replace_check(a: Allocation, kind: type, fix: Callable[[object], object]) -> Allocation:
    return replace(a, checks=tuple(fix(c) if isinstance(c, kind) else c for c in a.checks), _lines=[])


def _households(a: Allocation, f: Callable[[pl.DataFrame], pl.DataFrame]) -> Allocation:
    return replace(a, households=f(a.households), _lines=[])


BROKEN: dict[str, list[tuple[str, Callable[[], Allocation]]]] = {
    "conservation": [
        ("a household total one fen too high", lambda: _households(_run(WEI), lambda h: _bump(h, "amount_fen", 0, 1))),
        ("an account total one fen too low", lambda: replace(_run(WEI), accounts=_bump(_run(WEI).accounts, "amount_fen", 0, -1))),
        # three household lines 2**64 fen too high in all: an Int64 sum wraps round to the pool exactly,
        # so the sum must widen for the biggest value of any frame, not only of the last (the accounts)
        ("household lines 2**64 fen too high in all, which an Int64 sum wraps round to the pool", lambda: _households(
            _run(WEI), lambda h: _bump(_bump(_bump(h, "amount_fen", 0, 2**64 // 3), "amount_fen", 1, 2**64 // 3),
                                       "amount_fen", 2, 2**64 - 2 * (2**64 // 3)))),
    ],
    "step_conservation": [
        ("a step line moved without the balance", lambda: _households(_run(WEI), lambda h: _bump(h, "dividend", 0, 1))),
        ("a summary balance that does not chain", lambda: replace(_run(WEI), summary=_bump(_run(WEI).summary, "available_fen", 1, 5))),
        ("money left at the end", lambda: replace(_run(WEI), summary=_bump(_run(WEI).summary, "remaining_fen",
                                                                           _run(WEI).summary.height - 1, 7))),
    ],
    "no_negative_line": [
        ("a negative household", lambda: _households(_run(WEI), lambda h: h.with_columns(
            pl.when(pl.col("household_id") == "N1").then(-5).otherwise(pl.col("amount_fen")).alias("amount_fen")))),
        ("an account drawn below zero mid-way", lambda: replace(_run(FLOOR), accounts=_run(FLOOR).accounts.with_columns(
            pl.when(pl.col("account") == "collective").then(-40000).otherwise(pl.col("guarantee")).alias("guarantee")))),
    ],
    "floors_met": [
        ("a household below its floor with no shortfall", lambda: _replace_check(
            _run(FLOOR), FloorCheck, lambda c: replace(c, frame=_bump(c.frame, "total", 0, -1)))),  # type: ignore[arg-type]
    ],
    "within_one_fen": [
        ("a line two fen from its share", lambda: _replace_check(
            _run(SPLIT), SplitCheck, lambda c: replace(c, frame=_bump(_bump(c.frame, "out", 0, 2), "out", 1, -2)))),  # type: ignore[arg-type]
        ("a split that does not add up", lambda: _replace_check(
            _run(SPLIT), SplitCheck, lambda c: replace(c, frame=_bump(c.frame, "out", 2, 1)))),  # type: ignore[arg-type]
        ("a line beyond Int64 products from its share", lambda: _replace_check(
            _run(SPLIT), SplitCheck, lambda c: replace(c, frame=_bump(_bump(c.frame, "out", 0, 2**61), "out", 1, -2**61)))),  # type: ignore[arg-type]
        ("a line two fen from its share of weights beyond Int128", lambda: _split_of(
            _huge(), "split", lambda f: _bump(_bump(f, "out", 0, 2), "out", 1, -2))),
        ("a split of weights beyond Int128 that does not add up", lambda: _split_of(
            _huge(), "split", lambda f: _bump(f, "out", 2, 1))),
        ("a split after one of weights beyond Int128 that does not add up", lambda: _split_of(
            _huge(), "even", lambda f: _bump(f, "out", 2, 1))),
        ("a priority split whose lines are missing", lambda: _split_of(
            _run(SHORT_YEAR), "guaranteed", lambda f: f.with_columns(out=None))),
        ("a line far below zero from its share", lambda: _split_of(
            _run(SPLIT), "dividend", lambda f: _bump(_bump(f, "out", 0, -2**61), "out", 1, 2**61))),
        # 4 fen by weights 2:2, a line of 2 - 2**62 fen: in Int64, (2 - 2**62) x 4 wraps round to
        # exactly its share's 8, so the check must widen when a line is negative
        ("lines exactly one fen from whole shares", lambda: _split_of(  # 4 fen by 1:1 is 2 and 2, not 3 and 1
            _run(SPLIT), "dividend", lambda f: pl.DataFrame(
                {"group": [0, 0], "pool": [4, 4], "weight": [1, 1], "out": [3, 1]},
                schema={"group": pl.Int64, "pool": pl.Int64, "weight": pl.Int128, "out": pl.Int64}))),
        ("a line so far below zero that Int64 products wrap", lambda: _split_of(
            _run(SPLIT), "dividend", lambda f: pl.DataFrame(
                {"group": [0, 0], "pool": [4, 4], "weight": [2, 2], "out": [2 - 2**62, 2]},
                schema={"group": pl.Int64, "pool": pl.Int64, "weight": pl.Int128, "out": pl.Int64}))),
        # the pool near 2**62 and nothing paid: pool x weight leaves Int64 although every line is 0
        ("a pool near 2**62 of which nothing is paid", lambda: _split_of(
            _run(SPLIT), "dividend", lambda f: pl.DataFrame(
                {"group": [0, 0], "pool": [2**62, 2**62], "weight": [2, 2], "out": [0, 0]},
                schema={"group": pl.Int64, "pool": pl.Int64, "weight": pl.Int128, "out": pl.Int64}))),
        # weights of 2**70 and a pool of 2**60: line x weight sum and pool x weight leave Int128
        # (a difference of 2**129 wraps round to 0), so the comparison needs Python integers
        ("a line 2**58 fen from its share of weights whose products leave Int128", lambda: _split_of(
            _run(SPLIT), "dividend", lambda f: pl.DataFrame(
                {"group": [0, 0], "pool": [2**60, 2**60], "weight": [2**70, 2**70], "out": [2**59 + 2**58, 2**59 - 2**58]},
                schema={"group": pl.Int64, "pool": pl.Int64, "weight": pl.Int128, "out": pl.Int64}))),
        ("a group cut off by more than a fen", lambda: _replace_check(
            _run(WEI), SplitCheck, lambda c: replace(c, frame=_bump(_bump(c.frame, "out", 0, 3), "out", 1, -3)))),  # type: ignore[arg-type]
    ],
    "groups_settled": [
        ("a group paying more than was available", lambda: _replace_check(
            _run(WEI), GroupCheck, lambda c: replace(c, frame=_bump(c.frame, "paid", 0, 1)))),  # type: ignore[arg-type]
        ("a claim line above its claim", lambda: _replace_check(
            _run(PRIORITY), GroupCheck, lambda c: replace(c, frame=_bump(_bump(c.frame, "paid", 0, 1), "paid", 2, -1)))),  # type: ignore[arg-type]
        ("a later level paid before an earlier one is full", lambda: _replace_check(
            _run(PRIORITY), GroupCheck, lambda c: replace(c, frame=c.frame.with_columns(  # type: ignore[attr-defined]
                paid=pl.when(pl.col("claim") == 0).then(pl.col("paid") - 100).when(pl.col("claim") == 2)
                .then(pl.col("paid") + 100).otherwise(pl.col("paid")))))),
    ],
    "deductions_bounded": [
        ("a deduction below the protected minimum", lambda: _replace_check(
            _run(MONTHS), DeductionCheck, lambda c: replace(c, frame=c.frame.with_columns(  # type: ignore[attr-defined]
                recovered=pl.col("recovered") + 100, after=pl.col("after") - 100)))),
        ("a debt carried forward while money was left to recover", lambda: _replace_check(
            _run(MONTHS), DeductionCheck, lambda c: replace(c, frame=c.frame.with_columns(  # type: ignore[attr-defined]
                recovered=pl.col("recovered") - 1, after=pl.col("after") + 1)))),
        ("a deduction row whose recovered and carried forward do not make its amount", lambda: replace(
            _run(MONTHS), deductions=_bump(_run(MONTHS).deductions, "carried_forward_fen", 0, 1))),  # type: ignore[arg-type]
        ("recovered more than the line shows", lambda: _households(_run(MONTHS), lambda h: h.with_columns(
            pl.when(pl.col("household_id") == "H3").then(-101).otherwise(pl.col("deductions")).alias("deductions")))),
    ],
}


@pytest.mark.parametrize(("name", "broken"), [(n, b) for n, items in BROKEN.items() for _, b in items],
                         ids=[f"{n}: {what}" for n, items in BROKEN.items() for what, _ in items])
def test_a_broken_allocation_is_reported_by_the_check_that_names_it(name: str, broken: Callable[[], Allocation]) -> None:
    allocation = broken()
    named = getattr(invariants, name)(allocation)
    assert named, f"{name} did not notice"
    assert {v.check for v in named} == {name}
    assert name in {v.check for v in check(allocation)}
    assert all(v.text("zh") and v.text("en") for v in named)


# what each broken case reports, word for word: the auditor reads these (village, step, recipient
# and both amounts), so a violation naming the wrong value or none is a failure too
MESSAGES: dict[str, list[str]] = {
    'a household total one fen too high': [
        '[conservation] village V1: the lines add up to 10500001 fen, not the distributable 10500000 fen',
    ],
    'an account total one fen too low': [
        '[conservation] village V1: the lines add up to 10499999 fen, not the distributable 10500000 fen',
    ],
    'household lines 2**64 fen too high in all, which an Int64 sum wraps round to the pool': [
        '[conservation] village V1: the lines add up to 18446744073720051616 fen, not the distributable 10500000 fen',
    ],
    'a step line moved without the balance': [
        "[step_conservation] village V1, step 'dividend': the lines add up to 777779 fen but the balance moved by 777778 fen",
    ],
    'a summary balance that does not chain': [
        "[step_conservation] village V1, step 'collective': the lines add up to 9722222 fen but the balance moved by 9722227 fen",
        "[step_conservation] village V1, step 'collective': opening balance 9722227 fen differs from the previous closing 9722222 fen",
    ],
    'money left at the end': [
        "[step_conservation] village V1, step 'development': the lines add up to 0 fen but the balance moved by -7 fen",
        '[step_conservation] village V1: 7 fen left unassigned at the end',
    ],
    'a negative household': [
        '[no_negative_line] village V1: household N1 has a negative amount (-5 fen)',
    ],
    'an account drawn below zero mid-way': [
        "[no_negative_line] village V1: account collective is negative after step 'guarantee' (-10000 fen)",
        "[no_negative_line] village V1: account collective is negative after step 'carry_over' (-10000 fen)",
    ],
    'a household below its floor with no shortfall': [
        "[floors_met] step 'guarantee': 1 household(s) in village V1 are below their floor but no shortfall is reported",
    ],
    'a line two fen from its share': [
        "[within_one_fen] step 'dividend': 2 line(s) are more than one fen from their exact share",
    ],
    'a split that does not add up': [
        "[within_one_fen] step 'dividend': the split does not add up to its pool",
    ],
    'a priority split whose lines are missing': [
        "[within_one_fen] step 'guaranteed' (priority): the split does not add up to its pool",
    ],
    'a line beyond Int64 products from its share': [
        "[within_one_fen] step 'dividend': 2 line(s) are more than one fen from their exact share",
    ],
    'a line two fen from its share of weights beyond Int128': [
        "[within_one_fen] step 'split': 2 line(s) are more than one fen from their exact share",
    ],
    'a split of weights beyond Int128 that does not add up': [
        "[within_one_fen] step 'split': the split does not add up to its pool",
    ],
    'a split after one of weights beyond Int128 that does not add up': [
        "[within_one_fen] step 'even': the split does not add up to its pool",
    ],
    'a line far below zero from its share': [
        "[within_one_fen] step 'dividend': 2 line(s) are more than one fen from their exact share",
    ],
    'lines exactly one fen from whole shares': [
        "[within_one_fen] step 'dividend': 2 line(s) are more than one fen from their exact share",
    ],
    'a line so far below zero that Int64 products wrap': [
        "[within_one_fen] step 'dividend': 1 line(s) are more than one fen from their exact share",
        "[within_one_fen] step 'dividend': the split does not add up to its pool",
    ],
    'a pool near 2**62 of which nothing is paid': [
        "[within_one_fen] step 'dividend': 2 line(s) are more than one fen from their exact share",
        "[within_one_fen] step 'dividend': the split does not add up to its pool",
    ],
    'a line 2**58 fen from its share of weights whose products leave Int128': [
        "[within_one_fen] step 'dividend': 2 line(s) are more than one fen from their exact share",
    ],
    'a group cut off by more than a fen': [
        "[within_one_fen] step 'promise' (group): 2 line(s) are more than one fen from their exact share",
    ],
    'a group paying more than was available': [
        "[groups_settled] group 'promise': 1 line(s) are above their claim or negative",
        "[groups_settled] village V1, group 'promise': the claims add up to 10500001 fen, not 10500000 fen (the lesser of the claims and what was available)",
    ],
    'a claim line above its claim': [
        "[groups_settled] group 'claims': 1 line(s) are above their claim or negative",
    ],
    'a later level paid before an earlier one is full': [
        "[groups_settled] village V1, group 'claims': the claims add up to 2200100 fen, not 2200000 fen (the lesser of the claims and what was available)",
        "[groups_settled] village V1, group 'claims': a later priority level is paid while an earlier one is not paid in full",
    ],
    'a deduction below the protected minimum': [
        '[deductions_bounded] household H2: deductions of 55100 fen take it from 75000 to 19900 fen, below its protected 20000 fen or below zero',
        '[deductions_bounded] household H2: 55100 fen recovered does not match its deductions column or exceeds the 80000 fen asked',
        '[deductions_bounded] household H3: 10100 fen recovered does not match its deductions column or exceeds the 10000 fen asked',
    ],
    'a debt carried forward while money was left to recover': [
        '[deductions_bounded] household H2: 54999 fen recovered does not match its deductions column or exceeds the 80000 fen asked',
        '[deductions_bounded] household H3: 9999 fen recovered does not match its deductions column or exceeds the 10000 fen asked',
        '[deductions_bounded] household H2: part of its debt is carried forward although it is still above its protected amount (20001 fen > 20000 fen)',
        '[deductions_bounded] household H3: part of its debt is carried forward although it is still above its protected amount (40001 fen > 20000 fen)',
    ],
    'a deduction row whose recovered and carried forward do not make its amount': [
        '[deductions_bounded] household *: - fen recovered does not match its deductions column or exceeds the - fen asked',
    ],
    'recovered more than the line shows': [
        '[deductions_bounded] household H3: 10000 fen recovered does not match its deductions column or exceeds the 10000 fen asked',
    ],
}


@pytest.mark.parametrize(("name", "what", "broken"), [(n, w, b) for n, items in BROKEN.items() for w, b in items],
                         ids=[f"{n}: {what}" for n, items in BROKEN.items() for what, _ in items])
def test_a_violation_names_the_village_step_recipient_and_amounts(name: str, what: str,
                                                                  broken: Callable[[], Allocation]) -> None:
    named = getattr(invariants, name)(broken())
    assert [v.text("en") for v in named] == MESSAGES[what]
    for v, english in zip(named, MESSAGES[what], strict=True):  # the same values in Chinese
        assert not Counter(re.findall(r"-?\d+", english)) - Counter(re.findall(r"-?\d+", v.text("zh")))


def test_every_invariant_has_a_negative_test() -> None:
    assert {c.__name__ for c in CHECKS} == set(BROKEN)


@cache
def _twenty_five_villages() -> Allocation:
    """A sound allocation of 25 villages of one poor household each."""
    villages = [f"V{i:02d}" for i in range(1, 26)]
    households = households_frame([{"household_id": f"H{v}", "village_id": v, "status": "poor"} for v in villages])
    returns = pl.DataFrame({"village_id": villages, "amount_fen": [10_000] * len(villages)},
                           schema={"village_id": pl.String, "amount_fen": pl.Int64})
    a = allocate(load_scheme(HERE / "schemes/status-weights.yaml"), households, returns, period=2024)
    assert check(a) == []
    return a


def test_a_report_of_many_broken_villages_is_cut_at_twenty_per_kind() -> None:
    """25 villages each broken the same way: each kind of step_conservation violation is
    reported for 20 villages, not for all 25 (nor for 21)."""
    a = _twenty_five_villages()
    last = pl.col("step_index") == pl.col("step_index").max()
    # the last step of every village: opens 7 fen above the previous closing, closes with 14 left
    summary = a.summary.with_columns(
        available_fen=pl.when(last & (pl.col("part") == "")).then(pl.col("available_fen") + 7).otherwise(pl.col("available_fen")),
        remaining_fen=pl.when(last & (pl.col("part") == "")).then(pl.col("remaining_fen") + 14).otherwise(pl.col("remaining_fen")))
    texts = [v.text("en") for v in invariants.step_conservation(replace(a, summary=summary))]
    kinds = Counter("left unassigned" if "left unassigned" in t else "opening balance" if "opening balance" in t
                    else "lines add up" if "lines add up" in t else t for t in texts)
    assert kinds == {"lines add up": 20, "opening balance": 20, "left unassigned": 20}
    assert all(t.endswith(": 14 fen left unassigned at the end") for t in texts if "left unassigned" in t)


def test_a_conservation_report_of_many_broken_villages_is_cut_at_twenty() -> None:
    a = _twenty_five_villages()
    texts = [v.text("en") for v in invariants.conservation(_households(a, lambda h: h.with_columns(
        pl.col("amount_fen") + 1)))]
    assert len(texts) == 20 and all(t.endswith("the lines add up to 10001 fen, not the distributable 10000 fen")
                                    for t in texts)


def test_a_village_whose_lines_are_all_missing_is_reported_for_every_step_that_moved_money() -> None:
    """No household or account line left in village V01: its steps have no sums at all (not sums
    of 0), and each step that moved money must still be reported."""
    a = _twenty_five_villages()
    broken = replace(a, households=a.households.filter(pl.col("village_id") != "V01"),
                     accounts=a.accounts.filter(pl.col("village_id") != "V01"), _lines=[])
    moved = a.summary.filter((pl.col("village_id") == "V01") & (pl.col("part") == "")
                             & (pl.col("available_fen") != pl.col("remaining_fen")))
    assert moved.height
    texts = [v.text("en") for v in invariants.step_conservation(broken)]
    assert texts == [f"[step_conservation] village V01, step '{r['step_id']}': the lines add up to 0 fen but the balance moved by "
                     f"{r['available_fen'] - r['remaining_fen']} fen" for r in moved.iter_rows(named=True)]


# the one-fen counts read per group sums back at each row by its run of equal groups (rows in
# group order), by a table indexed by group (small integer groups in any order: a claim group's
# cut) or by a window (any order): each is the counts of the rule written out
@settings(deadline=None, max_examples=150)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 50), st.integers(0, 6), st.integers(0, 60)),
                min_size=1, max_size=25))
def test_one_fen_counts_in_group_order_and_in_any_order_are_the_rule(rows: list[tuple[int, int, int, int]]) -> None:
    pools: dict[int, int] = {}
    rows = sorted((g, pools.setdefault(g, p), w, o) for g, p, w, o in rows)  # one pool per group
    frame = pl.DataFrame(rows, schema={"group": pl.Int64, "pool": pl.Int64, "weight": pl.Int128, "out": pl.Int64},
                         orient="row")
    weight_sum = {g: sum(w for h, _, w, _ in rows if h == g) for g in pools}
    off = sum(1 for g, p, w, o in rows if weight_sum[g] > 0 and abs(o * weight_sum[g] - p * w) >= weight_sum[g])
    unsummed = sum(1 for g in pools if weight_sum[g] > 0 and sum(o for h, _, _, o in rows if h == g) != pools[g])
    reached()
    half = len(rows) // 2  # two runs in group order one after the other, as a claim group's cut gives
    for other in (frame.reverse(), pl.concat([frame.slice(half), frame.slice(0, half)])):
        dense = invariants._dense_groups(other)
        assert dense is not None or other["group"].is_sorted()
        assert invariants._width(other, dense) == invariants._width(frame)
        for wide in (pl.Int64, pl.Int128):
            assert invariants._one_fen_counts(frame, wide) == (off, unsummed)
            assert invariants._one_fen_counts(other, wide) == (off, unsummed)
            assert invariants._one_fen_counts(other, wide, dense) == (off, unsummed)
