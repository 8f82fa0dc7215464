"""Engine edges the scenario format cannot state: a report cut at 20 names exactly 20, the
guard against a step that overdraws the balance (a bug, never a user error) names the step, and
the per-village sums of many household rows (the path a scenario of a few households never takes)."""
from __future__ import annotations

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
