"""Edges of the invariant checks that the broken cases of ``test_invariants.py`` do not reach.

Each test feeds ``check()`` (or the one invariant concerned) evidence that is sound in an unusual
way, or broken in one: stale row pointers in a deduction's evidence, a deduction step that took
nothing from nobody, a negative account total, and splits whose Int64 products or weight sums
wrap round unless the check widens for them.
"""
from __future__ import annotations

from dataclasses import replace

import polars as pl

from schemes import invariants
from schemes.invariants import check
from schemes.steps.adjustments import DeductionCheck
from tests.schemes.test_invariants import FLOOR, MONTHS, SPLIT, _replace_check, _run, _split_of

SPLIT_SCHEMA = {"group": pl.Int64, "pool": pl.Int64, "weight": pl.Int128, "out": pl.Int64}


def _deduction_check(a: object) -> DeductionCheck:
    (found,) = [c for c in a.checks if isinstance(c, DeductionCheck)]  # type: ignore[attr-defined]
    return found


def test_a_deduction_whose_evidence_points_at_other_rows_is_checked_against_its_own_household() -> None:
    """The evidence's household rows (``hrows``) are a shortcut: rows that do not hold the named
    households (here each other's, swapped) must not be read; the check looks the ids up and
    finds a sound allocation."""
    a = _run(MONTHS)
    assert _deduction_check(a).hrows is not None and _deduction_check(a).hrows.to_list() == [1, 2]
    stale = _replace_check(a, DeductionCheck, lambda c: replace(c, hrows=pl.Series("hrow", [2, 1])))  # type: ignore[arg-type]
    assert check(stale) == []
    # and the rows are still the households', so a wrong line is still found there
    broken = replace(stale, households=stale.households.with_columns(
        pl.when(pl.col("household_id") == "H2").then(-54000).otherwise(pl.col("deductions")).alias("deductions")))
    assert [v.text("en") for v in invariants.deductions_bounded(broken)] == [
        "[deductions_bounded] household H2: 55000 fen recovered does not match its deductions column or exceeds the 80000 fen asked"]


def test_rows_outside_the_households_are_not_read_either() -> None:
    a = _run(MONTHS)
    for rows in ([1, 99], [-1, 2], [1, None]):
        stale = _replace_check(a, DeductionCheck, lambda c, rows=rows: replace(  # type: ignore[misc]
            c, hrows=pl.Series("hrow", rows, dtype=pl.Int64)))
        assert check(stale) == [], rows


def test_a_deduction_step_that_took_nothing_from_nobody_is_sound() -> None:
    """No household with a deduction: the evidence has no rows and no household rows."""
    a = _run(MONTHS)
    empty = _replace_check(a, DeductionCheck, lambda c: replace(  # type: ignore[arg-type]
        c, frame=c.frame.clear(), hrows=pl.Series("hrow", [], dtype=pl.Int64)))  # type: ignore[attr-defined]
    assert invariants.deductions_bounded(replace(empty, deductions=None)) == []


def test_a_negative_account_total_is_reported_naming_the_account() -> None:
    a = _run(FLOOR)
    broken = replace(a, accounts=a.accounts.with_columns(
        pl.when(pl.col("account") == "carry_over").then(-5).otherwise(pl.col("amount_fen")).alias("amount_fen")), _lines=[])
    assert [v.text("en") for v in invariants.no_negative_line(broken)] == [
        "[no_negative_line] village V1: account carry_over has a negative amount (-5 fen)"]
    assert "no_negative_line" in {v.check for v in check(broken)}


def test_a_line_2_to_the_32_fen_off_among_four_lines_is_found_although_int64_would_hide_it() -> None:
    """2**33 fen by four weights of 2**30 (shares of 2**31): one line 2**32 fen too high. Its
    error times the weight sum (2**32) is 2**64, which Int64 wraps round to 0: the width must
    count the four lines (2**30 x 4 x 2**33 = 2**65), not divide by them."""
    frame = pl.DataFrame({"group": [0] * 4, "pool": [2**33] * 4, "weight": [2**30] * 4,
                          "out": [2**31 + 2**32, 2**31, 2**31, 2**31]}, schema=SPLIT_SCHEMA)
    assert invariants._width(frame) == 128
    texts = [v.text("en") for v in invariants.within_one_fen(_split_of(_run(SPLIT), "dividend", lambda f: frame))]
    assert texts == ["[within_one_fen] step 'dividend': 1 line(s) are more than one fen from their exact share",
                     "[within_one_fen] step 'dividend': the split does not add up to its pool"]


def test_a_group_whose_weights_add_up_below_zero_has_no_weight_even_where_int64_wraps_its_sum() -> None:
    """Three weights of -2**62 add up to -3 x 2**62, which Int64 wraps round to +2**62: the width
    must count a negative weight as negative (the sum then stays exact), and a group whose weight
    sum is not positive is, by the rule, a group without weight whose lines are not compared."""
    frame = pl.DataFrame({"group": [0] * 3, "pool": [1] * 3, "weight": [-2**62] * 3, "out": [0] * 3},
                         schema=SPLIT_SCHEMA)
    assert invariants._width(frame) == 128
    assert invariants._off_by_more_than_one_python(frame) == 0  # the rule in Python integers
    assert invariants._one_fen_counts(frame, pl.Int128) == (0, 0)
    assert invariants.within_one_fen(_split_of(_run(SPLIT), "dividend", lambda f: frame)) == []
