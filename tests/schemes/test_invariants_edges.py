"""Edges of the invariant checks that the broken cases of ``test_invariants.py`` do not reach.

Each test feeds ``check()`` (or the one invariant concerned) evidence that is sound in an unusual
way, or broken in one: stale row pointers in a deduction's evidence, a deduction step that took
nothing from nobody, a negative account total, accounts below zero after a step, a village without any line, and splits whose Int64 products or weight sums
wrap round unless the check widens for them.
"""
from __future__ import annotations

from dataclasses import replace

import polars as pl

from schemes import invariants
from schemes.invariants import check
from schemes.steps.adjustments import DeductionCheck
from tests.schemes.test_invariants import FLOOR, MONTHS, SPLIT, WEI, _replace_check, _run, _split_of

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
    for rows in ([1, 99], [1, a.households.height], [-1, 2], [1, None]):  # one past the last row too
        stale = _replace_check(a, DeductionCheck, lambda c, rows=rows: replace(  # type: ignore[misc]
            c, hrows=pl.Series("hrow", rows, dtype=pl.Int64)))
        assert check(stale) == [], rows


def test_a_household_whose_row_pointer_is_missing_is_still_checked() -> None:
    """A null among the evidence's household rows: the shortcut does not hold, the ids are
    looked up, and a wrong deduction of the household without a pointer is still found."""
    a = _run(MONTHS)
    for rows, household, recovered, asked in (([1, None], "H3", 10000, 10000), ([None, 2], "H2", 55000, 80000)):
        stale = _replace_check(a, DeductionCheck, lambda c, rows=rows: replace(  # type: ignore[misc]
            c, hrows=pl.Series("hrow", rows, dtype=pl.Int64)))
        broken = replace(stale, households=stale.households.with_columns(
            pl.when(pl.col("household_id") == household).then(-recovered + 1000).otherwise(pl.col("deductions")).alias("deductions")))
        assert f"[deductions_bounded] household {household}: {recovered} fen recovered does not match its deductions column " \
            f"or exceeds the {asked} fen asked" in [v.text("en") for v in invariants.deductions_bounded(broken)]


def test_a_deduction_record_with_a_negative_part_is_reported_although_its_parts_add_up() -> None:
    """H3's 10000 fen debt recorded as -1 fen recovered and 10001 carried forward, or 10001 and
    -1: the parts add up to the debt, and either negative part is still reported."""
    a = _run(MONTHS)
    for recovered, carried in ((-1, 10001), (10001, -1)):
        broken = replace(a, deductions=a.deductions.with_columns(  # type: ignore[union-attr]
            recovered_fen=pl.Series([55000, recovered]), carried_forward_fen=pl.Series([25000, carried])), _lines=[])
        assert [v.text("en") for v in invariants.deductions_bounded(broken)] == [
            "[deductions_bounded] household *: - fen recovered does not match its deductions column or exceeds the - fen asked"]


def test_deductions_below_the_protected_amount_in_25_households_are_reported_for_20() -> None:
    """25 households each taken from 1000 to 400 fen, below their protected 500: the report
    names the first 20."""
    a = _run(MONTHS)
    ids = [f"X{i:02d}" for i in range(1, 26)]
    frame = pl.DataFrame({"vix": [0] * 25, "household_id": ids, "before": [1000] * 25, "protected": [500] * 25,
                          "asked": [600] * 25, "recovered": [600] * 25, "after": [400] * 25},
                         schema=_deduction_check(a).frame.schema)
    low = _replace_check(a, DeductionCheck, lambda c: replace(c, frame=frame, hrows=None))  # type: ignore[arg-type]
    assert [v.text("en") for v in invariants.deductions_bounded(low)] == [
        f"[deductions_bounded] household {h}: deductions of 600 fen take it from 1000 to 400 fen, below its protected 500 fen "
        "or below zero" for h in ids[:20]]


def test_a_summary_in_any_row_order_chains_alike() -> None:
    """The summary's rows reversed: each village's steps are chained in step order, not in the
    order the rows come in, so a sound allocation stays sound."""
    for name in (MONTHS, WEI):
        a = _run(name)
        assert check(replace(a, summary=a.summary.reverse(), _lines=[])) == []


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


def test_accounts_below_zero_after_a_step_are_reported_for_the_first_five_of_that_step() -> None:
    """Seven accounts one fen below zero after the first step (and back at zero after the
    next): the running balances name the step, and the report stops at five accounts a step."""
    a = _run(FLOOR)
    funds = pl.DataFrame({"village_id": ["V1"] * 7, "account": [f"fund_{i}" for i in range(1, 8)],
                          "collective": [-1] * 7, "dividend": [1] * 7, "guarantee": [0] * 7, "carry_over": [0] * 7,
                          "amount_fen": [0] * 7}, schema=a.accounts.schema)
    broken = replace(a, accounts=pl.concat([a.accounts, funds]), _lines=[])
    assert [v.text("en") for v in invariants.no_negative_line(broken)] == [
        f"[no_negative_line] village V1: account fund_{i} is negative after step 'collective' (-1 fen)" for i in range(1, 6)]
    assert "no_negative_line" in {v.check for v in check(broken)}


def test_a_village_without_any_line_adds_up_to_nothing() -> None:
    """A village with no household or account line at all: its lines add up to 0 fen, which is
    sound when nothing was distributable there and reported (as 0 fen) when 1 fen was."""
    a = _run(WEI)

    def with_village(pool: int) -> object:
        v2 = pl.DataFrame({"village_id": ["V2"], "pool_fen": [pool], "households": [0], "return_fen": [pool],
                           "brought_forward_fen": [0]}, schema=a.villages.schema)
        return replace(a, villages=pl.concat([a.villages, v2]), _lines=[])

    assert check(with_village(0)) == []  # type: ignore[arg-type]
    assert [v.text("en") for v in invariants.conservation(with_village(1))] == [  # type: ignore[arg-type]
        "[conservation] village V2: the lines add up to 0 fen, not the distributable 1 fen"]


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


def test_a_line_exactly_one_fen_below_its_share_is_counted_on_the_python_integer_path_too() -> None:
    """4 fen by two weights of 2**124 (products beyond Int128: Python integers) paid 3 and 1:
    each line is exactly one fen from its share of 2, and both count, as in the narrower widths."""
    frame = pl.DataFrame({"group": [0, 0], "pool": [4, 4], "weight": [2**124, 2**124], "out": [3, 1]}, schema=SPLIT_SCHEMA)
    assert invariants._width(frame) == 129
    assert [v.text("en") for v in invariants.within_one_fen(_split_of(_run(SPLIT), "dividend", lambda f: frame))] == [
        "[within_one_fen] step 'dividend': 2 line(s) are more than one fen from their exact share"]


def test_groups_keyed_by_large_ids_in_no_order_count_their_lines_in_the_width() -> None:
    """Group 10**6 (16 lines of weight 2**26, 2**35 fen, shares 2**31) interleaved with group 5:
    neither in order nor small keys, so the largest group is counted by a window. One line is
    2**34 fen too high; its error times the weight sum (2**30) is 2**64, which Int64 wraps to 0."""
    big = 10**6
    frame = pl.DataFrame({"group": [big, 5] + [big] * 15, "pool": [2**35, 1] + [2**35] * 15,
                          "weight": [2**26, 1] + [2**26] * 15, "out": [2**31 + 2**34, 1] + [2**31] * 15},
                         schema=SPLIT_SCHEMA)
    assert invariants._dense_groups(frame) is None and not frame["group"].is_sorted()
    assert [v.text("en") for v in invariants.within_one_fen(_split_of(_run(SPLIT), "dividend", lambda f: frame))] == [
        "[within_one_fen] step 'dividend': 1 line(s) are more than one fen from their exact share",
        "[within_one_fen] step 'dividend': the split does not add up to its pool"]


def test_evidence_with_a_null_group_key_is_checked_not_a_crash() -> None:
    """The checks return violations and never raise: small integer keys out of order with a null
    among them (the null rows are one group of their own) are checked by the window."""
    frame = pl.DataFrame({"group": [1, None, 0, 1, None], "pool": [3, 5, 2, 3, 5], "weight": [1, 1, 1, 2, 1],
                          "out": [1, 3, 2, 2, 2]}, schema=SPLIT_SCHEMA)
    assert invariants.within_one_fen(_split_of(_run(SPLIT), "dividend", lambda f: frame)) == []
    broken = frame.with_columns(out=pl.Series([1, 4, 2, 2, 1], dtype=pl.Int64))  # the null group 4 and 1 of 5 by 1:1
    assert [v.text("en") for v in invariants.within_one_fen(_split_of(_run(SPLIT), "dividend", lambda f: broken))] == [
        "[within_one_fen] step 'dividend': 2 line(s) are more than one fen from their exact share"]


def test_a_deduction_stops_at_zero_even_where_the_evidence_protects_less_than_nothing() -> None:
    """H2 (75000 fen before, 80000 asked) taken down to exactly 0 with the rest carried forward:
    sound. A protected minimum below zero must not make the check ask for more than the whole
    line: the floor of a deduction is never below zero."""
    a = _run(MONTHS)
    frame = _deduction_check(a).frame.with_columns(
        protected=pl.when(pl.col("household_id") == "H2").then(-100).otherwise(pl.col("protected")),
        recovered=pl.when(pl.col("household_id") == "H2").then(75000).otherwise(pl.col("recovered")),
        after=pl.when(pl.col("household_id") == "H2").then(0).otherwise(pl.col("after")))
    taken = _replace_check(a, DeductionCheck, lambda c: replace(c, frame=frame))  # type: ignore[arg-type]
    taken = replace(taken, households=taken.households.with_columns(
        pl.when(pl.col("household_id") == "H2").then(-75000).otherwise(pl.col("deductions")).alias("deductions")))
    assert invariants.deductions_bounded(taken) == []
    # one fen less recovered while the line is above zero: a debt carried forward too early
    early = _replace_check(taken, DeductionCheck, lambda c: replace(c, frame=frame.with_columns(  # type: ignore[arg-type]
        recovered=pl.when(pl.col("household_id") == "H2").then(74999).otherwise(pl.col("recovered")),
        after=pl.when(pl.col("household_id") == "H2").then(1).otherwise(pl.col("after")))))
    early = replace(early, households=early.households.with_columns(
        pl.when(pl.col("household_id") == "H2").then(-74999).otherwise(pl.col("deductions")).alias("deductions")))
    assert [v.text("en") for v in invariants.deductions_bounded(early)] == [
        "[deductions_bounded] household H2: part of its debt is carried forward although it is still above its protected amount (1 fen > 0 fen)"]


def _with_group(lines: pl.DataFrame, available: int = 100, policy: str = "pro_rate") -> object:
    from tests.schemes.test_invariants import _twenty_five_villages
    from schemes.steps.groups import GroupCheck
    a = _twenty_five_villages()
    check_ = GroupCheck("claims", policy, lines, pl.Series("available", [available] * 25, dtype=pl.Int64))
    return replace(a, checks=(*a.checks, check_), _lines=[])


def test_a_claim_groups_lines_in_any_village_order_are_summed_alike() -> None:
    """One claim line per village of 25, paid in full; V01's paid one fen more than its claim and
    than what was available. In village order the lines are one ascending run; in reverse order
    25 runs (the general sum by village): the same violations either way."""
    ascending = pl.DataFrame({"vix": list(range(25)), "level": [0] * 25, "claim": [0] * 25, "need": [100] * 25,
                              "paid": [101] + [100] * 24}, schema={c: pl.Int64 for c in ("vix", "level", "claim", "need", "paid")})
    expected = ["[groups_settled] group 'claims': 1 line(s) are above their claim or negative",
                "[groups_settled] village V01, group 'claims': the claims add up to 101 fen, not 100 fen "
                "(the lesser of the claims and what was available)"]
    for lines in (ascending, ascending.reverse()):
        assert [v.text("en") for v in invariants.groups_settled(_with_group(lines))] == expected
        sound = lines.with_columns(paid=pl.col("need"))
        assert invariants.groups_settled(_with_group(sound)) == []


def test_deductions_of_an_allocation_without_a_deductions_column_are_reported() -> None:
    """Evidence of money recovered while the households carry no ``deductions`` column at all:
    what the column shows is nothing, so each recovery is reported against it."""
    a = _run(MONTHS)
    broken = replace(a, households=a.households.drop("deductions"), _lines=[])
    assert [v.text("en") for v in invariants.deductions_bounded(replace(broken, deductions=None))] == [
        "[deductions_bounded] household H2: 55000 fen recovered does not match its deductions column or exceeds the 80000 fen asked",
        "[deductions_bounded] household H3: 10000 fen recovered does not match its deductions column or exceeds the 10000 fen asked"]


def test_a_claim_groups_lines_claim_after_claim_are_summed_per_village() -> None:
    """Three claims over 25 villages, each claim's lines in village order (three ascending runs,
    as the engine writes them): V01 paid one fen beyond its first claim, 91 fen in all where the
    claims ask 90 and 100 were available."""
    vix = list(range(25)) * 3
    lines = pl.DataFrame({"vix": vix, "level": [0] * 75, "claim": [0] * 25 + [1] * 25 + [2] * 25, "need": [30] * 75,
                          "paid": [31] + [30] * 74}, schema={c: pl.Int64 for c in ("vix", "level", "claim", "need", "paid")})
    assert [v.text("en") for v in invariants.groups_settled(_with_group(lines))] == [
        "[groups_settled] group 'claims': 1 line(s) are above their claim or negative",
        "[groups_settled] village V01, group 'claims': the claims add up to 91 fen, not 90 fen "
        "(the lesser of the claims and what was available)"]
    assert invariants.groups_settled(_with_group(lines.with_columns(paid=pl.col("need")))) == []


GROUP_SCHEMA = {c: pl.Int64 for c in ("vix", "level", "claim", "need", "paid")}


def test_two_claims_of_as_many_lines_are_each_summed_from_their_own_lines() -> None:
    """Two claims over the same 25 villages, 20 and 70 fen a village, each claim's lines in
    village order: two ascending runs of equal length. Each run is summed from its own lines (the
    second claim's read twice would make 140 fen of 100 available); V01's first claim paid one
    fen short is reported with the 89 fen paid."""
    lines = pl.DataFrame({"vix": list(range(25)) * 2, "level": [0] * 50, "claim": [0] * 25 + [1] * 25,
                          "need": [20] * 25 + [70] * 25, "paid": [20] * 25 + [70] * 25}, schema=GROUP_SCHEMA)
    assert invariants.groups_settled(_with_group(lines, 100)) == []  # type: ignore[arg-type]
    short = lines.with_columns(paid=pl.when(pl.int_range(pl.len()) == 0).then(19).otherwise(pl.col("paid")))
    assert [v.text("en") for v in invariants.groups_settled(_with_group(short, 100))] == [  # type: ignore[arg-type]
        "[groups_settled] village V01, group 'claims': the claims add up to 89 fen, not 90 fen "
        "(the lesser of the claims and what was available)"]


def test_a_priority_groups_order_broken_in_25_villages_is_reported_for_20() -> None:
    """A priority group whose second level is paid in every village of 25 while the first is
    short (50 of 60 fen, then 10 of 40: the 60 available paid out): each village breaks the
    order, and the report stops at 20 villages."""
    lines = pl.DataFrame({"vix": list(range(25)) * 2, "level": [0] * 25 + [1] * 25, "claim": [0] * 25 + [1] * 25,
                          "need": [60] * 25 + [40] * 25, "paid": [50] * 25 + [10] * 25}, schema=GROUP_SCHEMA)
    texts = [v.text("en") for v in invariants.groups_settled(_with_group(lines, 60, "priority"))]  # type: ignore[arg-type]
    assert texts == [f"[groups_settled] village V{i:02d}, group 'claims': a later priority level is paid while an earlier "
                     "one is not paid in full" for i in range(1, 21)]


def test_a_line_far_above_its_pool_widens_the_comparison() -> None:
    """8 fen by four weights of 1, one line paid 2**62 + 2 fen: small weights and pool, but that
    line times the weight sum (2**64 + 8) wraps round in Int64 to 8, its exact share times 4. The
    width must count the lines' own largest value, so that line is found more than a fen off."""
    frame = pl.DataFrame({"group": [0] * 4, "pool": [8] * 4, "weight": [1] * 4, "out": [2**62 + 2, 2, 2, 2]},
                         schema=SPLIT_SCHEMA)
    assert invariants._width(frame) == 128
    assert invariants._one_fen_counts(frame, pl.Int64) == (0, 1)  # what Int64 would count
    texts = [v.text("en") for v in invariants.within_one_fen(_split_of(_run(SPLIT), "dividend", lambda f: frame))]
    assert texts == ["[within_one_fen] step 'dividend': 1 line(s) are more than one fen from their exact share",
                     "[within_one_fen] step 'dividend': the split does not add up to its pool"]


def test_a_village_without_claim_lines_owes_nothing_whatever_the_lines_order() -> None:
    """A claim group's lines in 24 of 25 villages (V01 has none), in village order (one run) and
    reversed (the general sum by village): V01 is paid nothing of nothing, which is sound."""
    lines = pl.DataFrame({"vix": list(range(1, 25)), "level": [0] * 24, "claim": [0] * 24, "need": [100] * 24,
                          "paid": [100] * 24}, schema=GROUP_SCHEMA)
    for ordered in (lines, lines.reverse()):
        assert invariants.groups_settled(_with_group(ordered)) == []  # type: ignore[arg-type]


def test_a_later_level_paid_in_full_while_an_earlier_one_is_short_breaks_the_order() -> None:
    """A priority group over 25 villages, 90 fen available in each: the first level asks 60 and
    the second 40. Everywhere the first is paid in full and the second 30, but in V01 the first
    gets 50 and the second all its 40: the order is broken there, though the sum is right."""
    paid_first, paid_second = [50] + [60] * 24, [40] + [30] * 24
    lines = pl.DataFrame({"vix": list(range(25)) * 2, "level": [0] * 25 + [1] * 25, "claim": [0] * 25 + [1] * 25,
                          "need": [60] * 25 + [40] * 25, "paid": paid_first + paid_second}, schema=GROUP_SCHEMA)
    assert [v.text("en") for v in invariants.groups_settled(_with_group(lines, 90, "priority"))] == [  # type: ignore[arg-type]
        "[groups_settled] village V01, group 'claims': a later priority level is paid while an earlier one is not paid in full"]
