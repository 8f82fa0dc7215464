"""Engine edges the scenario format cannot state: a report cut at 20 names exactly 20, the
guard against a step that overdraws the balance (a bug, never a user error) names the step, and
the per-village sums of many household rows (the path a scenario of a few households never takes)."""
from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from schemes.engine import Extra, allocate
from schemes.loader import parse_scheme
from schemes.problems import InputError
from schemes.steps import EVALUATORS
from schemes.steps.context import SORTED_GROUP_ROWS, SplitCheck, StepOutcome, sums_by_sorted_vix_each
from tests.schemes.scenario import households_frame

SCHEME = ("{id: edges, version: 1, effective: 2020-01-01, title: t, description: d,"
          " accounts: {reserve: {label: r}, carry_over: {label: c}},"
          " steps: [{id: reserve, kind: carve_out, to: reserve, percent: 10},"
          " {id: carry, kind: remainder, to: carry_over}]}")


def _inputs() -> tuple[pl.DataFrame, pl.DataFrame]:
    households = households_frame([{"household_id": "H1", "status": "poor", "members": 1}])
    return households, pl.DataFrame({"village_id": ["V1"], "amount_fen": [10_000]})


def test_amounts_brought_forward_to_21_unknown_villages_name_the_first_20() -> None:
    households, returns = _inputs()
    unknown = [f"X{i:02d}" for i in range(1, 22)]
    bf = pl.DataFrame({"village_id": ["V1", *unknown], "amount_fen": [100] * 22})
    with pytest.raises(InputError) as caught:
        allocate(parse_scheme(SCHEME, "edges.yaml"), households, returns, period=2024, extra=Extra(brought_forward=bf))
    text = caught.value.text("en")
    assert f"no return: {', '.join(unknown[:20])}" in text
    assert "X21" not in text


def test_a_step_that_overdraws_the_balance_is_a_bug_named_after_the_step(monkeypatch: pytest.MonkeyPatch) -> None:
    def overdraw(step, ctx):  # type: ignore[no-untyped-def]
        too_much = ctx.remaining + 1
        return StepOutcome(None, {step.to: too_much}, too_much, too_much, ctx.zeros())

    monkeypatch.setitem(EVALUATORS, "carve_out", overdraw)
    households, returns = _inputs()
    with pytest.raises(AssertionError, match=r"^step reserve overdrew the remaining balance$"):
        allocate(parse_scheme(SCHEME, "edges.yaml"), households, returns, period=2024)


def test_a_household_without_a_village_is_refused_as_one_without_a_return() -> None:
    households, returns = _inputs()
    households = pl.concat([households.with_columns(pl.lit(None, pl.String).alias("village_id")),
                            households.with_columns(pl.lit("H2").alias("household_id"))])
    with pytest.raises(InputError) as caught:  # ids sorted, one without a village: the joins' path
        allocate(parse_scheme(SCHEME, "edges.yaml"), households, returns, period=2024)
    assert "these villages have households but no return amount: None" in caught.value.text("en")


def test_a_pro_rated_per_unit_step_leaves_split_evidence_named_after_the_step() -> None:
    scheme = parse_scheme("{id: short, version: 1, effective: 2020-01-01, title: t, description: d,"
                          " accounts: {carry_over: {label: c}},"
                          " steps: [{id: pay, kind: per_unit, per: household, amount: 100, on_shortfall: pro_rate},"
                          " {id: carry, kind: remainder, to: carry_over}]}", "short.yaml")
    households = households_frame([{"household_id": h, "status": "poor", "members": 1} for h in ("H1", "H2", "H3")])
    returns = pl.DataFrame({"village_id": ["V1"], "amount_fen": [10_000]})  # 100 yuan for 300 asked
    allocation = allocate(scheme, households, returns, period=2024)
    # the invariants name a broken split after its evidence's step
    assert [(c.step_id, c.part) for c in allocation.checks if isinstance(c, SplitCheck)] == [("pay", "")]


@pytest.mark.parametrize("n", [7, SORTED_GROUP_ROWS])  # a few rows: running sums; many: a sorted group_by
def test_per_village_sums_of_several_columns_are_those_of_each_village_on_either_path(n: int) -> None:
    v = 5  # villages 0, 2 and 4 have no rows
    vix = [1] * (n // 2) + [3] * (n - n // 2)
    amounts = [(-1) ** i * (i + 1) for i in range(n)]
    counts = [i % 3 for i in range(n)]
    sums = sums_by_sorted_vix_each(pl.Series(vix, dtype=pl.Int64),
                                   [pl.Series(amounts, dtype=pl.Int64), pl.Series(counts, dtype=pl.Int32)], v)
    assert sums is not None
    for got, values in zip(sums, (amounts, counts)):
        assert got.name == "fen" and got.dtype == pl.Int64  # as the general path's per-village Series
        assert got.to_list() == [sum(x for k, x in zip(vix, values) if k == village) for village in range(v)]


# ------------------------------------------------- blank or negative numbers the steps read

BLANKS = ("{id: blanks, version: 1, effective: 2020-01-01, title: t, description: d,"
          " accounts: {collective: {label: k}, carry_over: {label: c}},"
          " steps: [STEP, {id: carry, kind: remainder, to: carry_over}]}")
# a unit basis -> the households column it reads
UNIT_COLUMNS = {"person": "members", "able_person": "able_members", "unable_person": "members",
                "share": "shares", "capital": "capital_fen"}


def _blanks_scheme(step: str) -> object:
    return parse_scheme(BLANKS.replace("STEP", step), "blanks.yaml")


def _two_households(column: str | None = None, value: int | None = None) -> pl.DataFrame:
    """H1 and H2 (H1 with ``column`` set to ``value``, a null by default)."""
    households = households_frame([{"household_id": h, "status": "poor", "members": 3, "able_members": 1,
                                    "shares": 2, "capital_yuan": "100"} for h in ("H1", "H2")])
    if column is None:
        return households
    return households.with_columns(pl.when(pl.col("household_id") == "H1").then(pl.lit(value, pl.Int64))
                                   .otherwise(pl.col(column)).alias(column))


RETURNS = pl.DataFrame({"village_id": ["V1"], "amount_fen": [100_000]})


def _refusal(scheme: object, households: pl.DataFrame, returns: pl.DataFrame = RETURNS, **kw: object) -> InputError:
    with pytest.raises(InputError) as caught:
        allocate(scheme, households, returns, period=2024, **kw)  # type: ignore[arg-type]
    return caught.value


@pytest.mark.parametrize("basis", sorted(UNIT_COLUMNS))
def test_a_blank_unit_under_a_step_counting_it_is_refused_naming_the_column_and_the_household(basis: str) -> None:
    column = UNIT_COLUMNS[basis]
    rate = "percent: 10" if basis == "capital" else "amount: 10"
    step = f"{{id: pay, kind: per_unit, per: {basis}, {rate}, on_shortfall: pro_rate}}"
    refused = _refusal(_blanks_scheme(step), _two_households(column))
    assert refused.text("en") == (f"1 problem(s) found:\n  - step(s) pay read the households' {column},"
                                  " which is blank for 1 household(s): H1")
    assert f"步骤 pay 要用户的 {column}，但有 1 户为空：H1" in refused.text("zh")


@pytest.mark.parametrize("step", [
    "{id: pay, kind: pro_rata, percent: 50, weight: share}",
    "{id: pay, kind: per_unit, per: household, amount: 10, eligible: {shares: {gte: 1}}}",
    "{id: pay, kind: minimum_guarantee, floor: {per: share, amount: 10}, funded_by: [remaining], on_shortfall: pro_rate}",
    "{id: pay, kind: per_unit, per: household, amount: 10, on_shortfall: priority, priority: [{shares: {gte: 1}}]}",
])
def test_a_blank_number_read_by_a_weight_a_filter_a_floor_or_a_priority_is_refused(step: str) -> None:
    text = _refusal(_blanks_scheme(step), _two_households("shares")).text("en")
    assert "step(s) pay read the households' shares, which is blank for 1 household(s): H1" in text


@pytest.mark.parametrize("column", ["members", "able_members", "shares", "capital_fen"])
def test_a_blank_number_no_step_reads_is_still_computed(column: str) -> None:
    step = "{id: pay, kind: per_unit, per: household, amount: 10}"
    allocation = allocate(_blanks_scheme(step), _two_households(column), RETURNS, period=2024)  # type: ignore[arg-type]
    assert allocation.households["pay"].to_list() == [1_000, 1_000]


def test_a_negative_unit_is_refused_as_the_registry_refuses_it() -> None:
    step = "{id: pay, kind: pro_rata, percent: 50, weight: share}"
    text = _refusal(_blanks_scheme(step), _two_households("shares", -2)).text("en")
    assert "step(s) pay read the households' shares, which is negative for 1 household(s): H1" in text


def test_more_able_members_than_members_is_refused_where_a_step_counts_those_unable_to_work() -> None:
    step = "{id: pay, kind: per_unit, per: unable_person, amount: 10, on_shortfall: pro_rate}"
    refused = _refusal(_blanks_scheme(step), _two_households("able_members", 4))
    assert ("step(s) pay count members unable to work, but 1 household(s) have more able members than members: H1"
            in refused.text("en"))
    assert "有 1 户的劳动力人数大于人口数：H1" in refused.text("zh")


def test_blank_units_name_every_column_the_count_and_the_first_20_households() -> None:
    households = households_frame([{"household_id": f"H{i:02d}", "status": "poor"} for i in range(25)])
    households = households.with_columns(pl.lit(None, pl.Int64).alias("shares"), pl.lit(None, pl.Int64).alias("members"))
    step = ("{id: pay, kind: pro_rata, percent: 50, weight: share, eligible: {members: {gte: 1}}},"
            " {id: more, kind: per_unit, per: person, amount: 1, on_shortfall: pro_rate}")
    text = _refusal(_blanks_scheme(step), households).text("en")
    names = ", ".join(f"H{i:02d}" for i in range(20))
    assert f"step(s) pay, more read the households' members, which is blank for 25 household(s): {names}" in text
    assert f"step(s) pay read the households' shares, which is blank for 25 household(s): {names}" in text
    assert "H20" not in text


def test_blank_or_negative_returns_are_refused_naming_the_villages() -> None:
    step = "{id: pay, kind: per_unit, per: household, amount: 10, on_shortfall: pro_rate}"
    returns = pl.DataFrame({"village_id": ["V1", "V2"], "amount_fen": [None, -5]}, schema={"village_id": pl.String,
                                                                                          "amount_fen": pl.Int64})
    households = pl.concat([_two_households(), _two_households().with_columns(pl.lit("V2").alias("village_id"),
                                                                              pl.col("household_id") + "b")])
    refused = _refusal(_blanks_scheme(step), households, returns)
    assert "the return amount is blank or negative for villages V1, V2" in refused.text("en")
    assert "以下村的收益金额为空或为负数：V1、V2" in refused.text("zh")


def test_blank_amounts_brought_forward_deducted_or_paid_earlier_are_refused() -> None:
    step = ("{id: pay, kind: per_unit, per: household, amount: 10},"
            " {id: cap, kind: cap, limit: {per: household, amount: 5}, excess_to: carry_over, over: period}")
    blank = pl.lit(None, pl.Int64).alias("amount_fen")
    extra = Extra(
        brought_forward=pl.DataFrame({"village_id": ["V1"]}).with_columns(blank),
        deductions=pl.DataFrame({"household_id": ["H1", "H2"], "reason": ["r", "r"],
                                 "creditor": ["collective", "collective"]}).with_columns(blank),
        earlier_paid=pl.DataFrame({"household_id": ["H2"]}).with_columns(blank),
    )
    refused = _refusal(_blanks_scheme(step), _two_households(), extra=extra)
    text = refused.text("en")
    assert "1 amount(s) brought forward are blank, of villages V1" in text
    assert "2 deduction(s) have a blank amount, of households H1, H2" in text
    assert "1 row(s) of what earlier runs of the period paid have a blank amount, of households H2" in text
    assert "有 2 笔扣款金额为空，所属户：H1、H2" in refused.text("zh")


def test_a_blank_earlier_payment_is_not_read_without_a_cap_over_the_period() -> None:
    step = "{id: pay, kind: per_unit, per: household, amount: 10}"
    extra = Extra(earlier_paid=pl.DataFrame({"household_id": ["H2"], "amount_fen": [None]},
                                            schema={"household_id": pl.String, "amount_fen": pl.Int64}))
    allocation = allocate(_blanks_scheme(step), _two_households(), RETURNS, period=2024, extra=extra)  # type: ignore[arg-type]
    assert allocation.households["pay"].to_list() == [1_000, 1_000]


POSTS_SCHEMA = {"household_id": pl.String, "person_name": pl.String, "post_type": pl.String, "grade": pl.String,
                "months_served": pl.Int64}


@pytest.mark.parametrize(("grade", "months", "column"), [("1", None, "months_served"), ("1", -1, "months_served"),
                                                         ("1", 13, "months_served"), (None, 6, "grade")])
def test_a_post_without_months_or_grade_under_a_post_subsidy_is_refused(grade: str | None, months: int | None,
                                                                        column: str) -> None:
    step = "{id: pay, kind: post_subsidy, grades: {'1': 360}, on_shortfall: pro_rate}"
    posts = pl.DataFrame({"household_id": ["H1", "H2"], "person_name": ["a", "b"], "post_type": ["x", "x"],
                          "grade": ["1", grade], "months_served": [12, months]}, schema=POSTS_SCHEMA)
    text = _refusal(_blanks_scheme(step), _two_households(), posts=posts).text("en")
    assert f"step(s) pay read the posts' {column}, which is blank or invalid in 1 post(s), of households H2" in text


def test_a_blank_months_served_no_step_reads_is_still_computed() -> None:
    step = "{id: pay, kind: per_unit, per: post, amount: 10}"  # counts posts, never their months
    posts = pl.DataFrame({"household_id": ["H1"], "person_name": ["a"], "post_type": ["x"], "grade": [None],
                          "months_served": [None]}, schema=POSTS_SCHEMA)
    allocation = allocate(_blanks_scheme(step), _two_households(), RETURNS, period=2024, posts=posts)  # type: ignore[arg-type]
    assert allocation.households["pay"].to_list() == [1_000, 0]


def test_a_person_without_a_birth_date_under_an_age_filter_is_refused_not_counted_150_years_old() -> None:
    step = "{id: pay, kind: per_unit, per: {persons: {age: {gte: 80}}}, amount: 10}"
    persons = pl.DataFrame({"household_id": ["H1", "H2"], "birth_date": [None, date(1940, 1, 1)],
                            "able_to_work": [True, False], "student": [False, False]},
                           schema={"household_id": pl.String, "birth_date": pl.Date, "able_to_work": pl.Boolean,
                                   "student": pl.Boolean})
    refused = _refusal(_blanks_scheme(step), _two_households(), persons=persons)
    assert "step(s) pay read the members' birth_date, which is blank for 1 person(s), of households H1" in refused.text("en")
    ok = persons.with_columns(pl.lit(date(1930, 1, 1)).alias("birth_date"))
    allocation = allocate(_blanks_scheme(step), _two_households(), RETURNS, period=2024, persons=ok)  # type: ignore[arg-type]
    assert allocation.households["pay"].to_list() == [1_000, 1_000]


def test_a_blank_unit_of_the_protected_minimum_is_refused_only_when_deductions_are_given() -> None:
    scheme = parse_scheme(BLANKS.replace("STEP", "{id: pay, kind: per_unit, per: household, amount: 10}")
                          .replace(" steps:", " deductions: {protected: {per: person, amount: 1}}, steps:"), "blanks.yaml")
    households = _two_households("members")
    deductions = pl.DataFrame({"household_id": ["H2"], "amount_fen": [300], "reason": ["r"], "creditor": ["collective"]})
    text = _refusal(scheme, households, extra=Extra(deductions=deductions)).text("en")
    assert "step(s) deductions read the households' members, which is blank for 1 household(s): H1" in text
    allocation = allocate(scheme, households, RETURNS, period=2024)  # type: ignore[arg-type]
    assert allocation.households["pay"].to_list() == [1_000, 1_000]


def test_a_blank_unit_comes_with_the_other_problems_of_the_inputs_at_once() -> None:
    households = pl.concat([_two_households("shares"), _two_households().slice(1, 1)])  # H2 twice
    text = _refusal(_blanks_scheme("{id: pay, kind: pro_rata, percent: 50, weight: share}"), households).text("en")
    assert text.startswith("2 problem(s) found:")
    assert "duplicate household ids: H2" in text and "shares, which is blank for 1 household(s): H1" in text


def test_a_village_without_households_has_no_units_to_refuse() -> None:
    scheme = _blanks_scheme("{id: pay, kind: pro_rata, percent: 50, weight: share}")
    allocation = allocate(scheme, _two_households().clear(), RETURNS, period=2024)  # type: ignore[arg-type]
    assert allocation.accounts["amount_fen"].sum() == 100_000


def test_blank_posts_and_birth_dates_name_their_first_20_households_in_the_rosters_order() -> None:
    ids = [f"H{i:02d}" for i in range(30)]
    households = households_frame([{"household_id": h, "status": "poor"} for h in ids])
    posts = pl.DataFrame({"household_id": [h for h in ids for _ in (1, 2)], "person_name": ["a", "b"] * 30,
                          "post_type": ["x"] * 60, "grade": ["1"] * 60, "months_served": [None] * 60},
                         schema=POSTS_SCHEMA)
    persons = pl.DataFrame({"household_id": ids, "birth_date": [None] * 30, "able_to_work": [True] * 30,
                            "student": [False] * 30},
                           schema={"household_id": pl.String, "birth_date": pl.Date, "able_to_work": pl.Boolean,
                                   "student": pl.Boolean})
    step = ("{id: pay, kind: post_subsidy, grades: {'1': 360}, on_shortfall: pro_rate},"
            " {id: old, kind: per_unit, per: {persons: {age: {gte: 80}}}, amount: 10, on_shortfall: pro_rate}")
    returns = pl.DataFrame({"village_id": ["V1"], "amount_fen": [100_000]})
    text = _refusal(_blanks_scheme(step), households, returns, posts=posts, persons=persons).text("en")
    first = ", ".join(ids[:20])
    assert f"months_served, which is blank or invalid in 60 post(s), of households {first}\n" in text
    assert text.endswith(f"birth_date, which is blank for 30 person(s), of households {first}")


def test_an_amount_brought_forward_to_no_village_is_refused_not_dropped() -> None:
    bf = pl.DataFrame({"village_id": ["V1", None], "amount_fen": [100, 500]})
    text = _refusal(_blanks_scheme("{id: pay, kind: per_unit, per: household, amount: 10}"), _two_households(),
                    extra=Extra(brought_forward=bf)).text("en")
    assert "amounts brought forward must be one non-negative row per village" in text


def test_two_returns_of_one_village_or_a_return_without_a_village_are_refused() -> None:
    """Households are joined to their village's return: two returns of one village would pay
    every household of it once per return row (the registry's returns reader refuses both)."""
    households = households_frame([{"household_id": "H1", "status": "poor", "members": 1},
                                   {"household_id": "H2", "status": "poor", "members": 1}])
    twice = pl.DataFrame({"village_id": ["V1", "V2", "V1", "V2"], "amount_fen": [10_000, 1, 5_000, 2]})
    with pytest.raises(InputError) as caught:
        allocate(parse_scheme(SCHEME, "edges.yaml"), households, twice, period=2024)
    assert [p.msg.key for p in caught.value.problems] == ["compute.duplicate_returns"]
    assert "villages with more than one return: V1, V2" in caught.value.text("en")
    assert "以下村有多于一行收益：V1、V2" in caught.value.text("zh")
    blank = pl.DataFrame({"village_id": ["V1", None], "amount_fen": [10_000, 5_000]},
                         schema={"village_id": pl.String, "amount_fen": pl.Int64})
    with pytest.raises(InputError) as caught:
        allocate(parse_scheme(SCHEME, "edges.yaml"), households, blank, period=2024)
    assert "a return has no village id (1 row(s))" in caught.value.text("en")
    assert "有 1 行收益没有村编码" in caught.value.text("zh")
