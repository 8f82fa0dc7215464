"""Negative tests: every invariant, fed a deliberately broken allocation, reports it by name.

Each case starts from a sound allocation of a scenario (all checks pass) and breaks one thing;
the check that owns that rule must report it. A last test makes sure no check of
``schemes.invariants.CHECKS`` is without such a case, so deleting an invariant (or making one
pass everything) fails a test.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import polars as pl
import pytest

from schemes import invariants
from schemes.engine import Allocation, allocate
from schemes.invariants import CHECKS, check
from schemes.steps.adjustments import DeductionCheck
from schemes.steps.context import FloorCheck, SplitCheck
from schemes.steps.groups import GroupCheck
from tests.schemes.scenario import Case, load_cases

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


def test_every_invariant_has_a_negative_test() -> None:
    assert {c.__name__ for c in CHECKS} == set(BROKEN)
