"""Property tests for the invariants of the new shapes: a claim group's lines add up and each is
within a fen of its exact share; deductions never make a line negative nor cut below the
protected minimum; carry-over is conserved across periods."""
from __future__ import annotations

from fractions import Fraction
from typing import Any

import polars as pl
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemes.engine import Extra, allocate
from schemes.invariants import check
from schemes.loader import parse_scheme
from tests.reach import reached

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STATUSES = ["poor", "exited", "monitored", "non_poor"]
HH_SCHEMA = {"household_id": pl.String, "village_id": pl.String, "status": pl.String, "members": pl.Int64,
             "able_members": pl.Int64, "shares": pl.Int64, "capital_fen": pl.Int64}


def _scheme(doc: dict[str, Any]) -> Any:
    base = {"id": "p", "version": 1, "effective": "2020-01-01", "title": "p", "description": "p",
            "accounts": {"collective": "c", "carry_over": "r"}}
    return parse_scheme(yaml.safe_dump({**base, **doc}, sort_keys=False), "p.yaml")


@st.composite
def village(draw: Any, name: str = "V1") -> pl.DataFrame:
    n = draw(st.integers(1, 15))
    rows = [{"household_id": f"{name}-{i:02d}", "village_id": name, "status": draw(st.sampled_from(STATUSES)),
             "members": draw(st.integers(1, 8)), "able_members": 0, "shares": draw(st.integers(0, 9)),
             "capital_fen": 0} for i in range(n)]
    return pl.DataFrame(rows, schema=HH_SCHEMA)


def _returns(amounts: dict[str, int]) -> pl.DataFrame:
    return pl.DataFrame({"village_id": list(amounts), "amount_fen": list(amounts.values())},
                        schema={"village_id": pl.String, "amount_fen": pl.Int64})


@SETTINGS
@given(village(), st.integers(0, 10**6), st.integers(0, 10**7), st.integers(0, 10**6), st.integers(0, 100),
       st.sampled_from(["pro_rate", "priority"]))
def test_a_claim_groups_lines_add_up_and_each_is_within_a_fen(households: pl.DataFrame, per_person: int, fixed: int,
                                                              pool: int, percent: int, policy: str) -> None:
    group: dict[str, Any] = {"id": "g", "kind": "claim_group", "on_shortfall": policy, "claims": [
        {"id": "people", "kind": "per_unit", "per": "person", "amount": f"{per_person / 100:.2f}"},
        {"id": "fixed", "kind": "carve_out", "to": "collective", "amount": f"{fixed / 100:.2f}"},
        {"id": "share", "kind": "carve_out", "to": "collective", "percent": str(percent)}]}
    if policy == "priority":
        group["priority"] = [["fixed", "share"], "people"]
    scheme = _scheme({"steps": [group, {"id": "rest", "kind": "remainder", "to": "carry_over"}]})
    a = allocate(scheme, households, _returns({"V1": pool}), period=2024)
    reached()
    assert check(a) == []
    needs = {"people": [m * per_person for m in households["members"].to_list()], "fixed": [fixed],
             "share": [pool * percent // 100]}
    total = sum(sum(v) for v in needs.values())
    paid = {"people": a.households["people"].to_list(),
            "fixed": [int(a.accounts.filter(pl.col("account") == "collective")["fixed"][0])],
            "share": [int(a.accounts.filter(pl.col("account") == "collective")["share"][0])]}
    assert sum(sum(v) for v in paid.values()) == min(total, pool)
    if policy == "pro_rate" and total > pool:
        for claim, lines in needs.items():
            for need, got in zip(lines, paid[claim]):
                assert abs(got - Fraction(need * pool, total)) < 1
    for claim in needs:
        assert all(0 <= got <= need for need, got in zip(needs[claim], paid[claim]))


@SETTINGS
@given(village(), st.integers(0, 10**6), st.integers(0, 5000),
       st.lists(st.tuples(st.integers(0, 14), st.integers(0, 10**6)), max_size=10))
def test_deductions_never_make_a_line_negative_nor_cut_below_the_protected_minimum(
        households: pl.DataFrame, pool: int, protected: int, debts: list[tuple[int, int]]) -> None:
    scheme = _scheme({"steps": [{"id": "d", "kind": "pro_rata", "percent": "100", "weight": "person", "on_shortfall": "pro_rate"},
                                {"id": "rest", "kind": "remainder", "to": "carry_over"}],
                      "deductions": {"protected": {"per": "person", "amount": f"{protected / 100:.2f}"},
                                     "creditors": ["collective"]}})
    ids = households["household_id"].to_list()
    rows = [(ids[i % len(ids)], fen, f"r{k}", "collective") for k, (i, fen) in enumerate(debts)]
    deductions = pl.DataFrame(rows, schema={"household_id": pl.String, "amount_fen": pl.Int64, "reason": pl.String,
                                            "creditor": pl.String}, orient="row")
    a = allocate(scheme, households, _returns({"V1": pool}), period=2024, extra=Extra(deductions=deductions))
    reached()
    assert check(a) == []
    h = a.households
    assert (h["amount_fen"] >= 0).all()
    before = h["d"].to_list()
    after = h["amount_fen"].to_list()
    floors = [m * protected for m in households.sort("household_id")["members"].to_list()]
    for b, x, f in zip(before, after, floors):
        assert x == b or x >= f
    assert a.deductions is not None
    assert (a.deductions["recovered_fen"] + a.deductions["carried_forward_fen"] == a.deductions["amount_fen"]).all()
    collective = int(a.accounts.filter(pl.col("account") == "collective")["amount_fen"][0])
    assert collective == int(a.deductions["recovered_fen"].sum()) == -int(h["deductions"].sum())


@SETTINGS
@given(st.lists(village(), min_size=1, max_size=3).map(
    lambda vs: pl.concat([v.with_columns(pl.lit(f"V{i}").alias("village_id"),
                                         (pl.lit(f"V{i}-") + pl.col("household_id")).alias("household_id"))
                          for i, v in enumerate(vs)])),
       st.lists(st.integers(0, 10**7), min_size=3, max_size=3), st.integers(0, 100))
def test_carry_over_is_conserved_across_periods(households: pl.DataFrame, returns: list[int], percent: int) -> None:
    """Three periods: each one's carry-over arrives as the next one's brought-forward; what was
    paid out over the periods plus the last carry-over is exactly what the returns brought."""
    scheme = _scheme({"steps": [
        {"id": "poor", "kind": "pro_rata", "percent": str(percent), "eligible": {"status": "poor"}, "weight": "person",
         "on_shortfall": "pro_rate"},
        {"id": "rest", "kind": "remainder", "to": "carry_over"}], "brought_forward": {"to": "pool"}})
    villages = sorted(set(households["village_id"].to_list()))
    carried: pl.DataFrame | None = None
    paid_out = 0
    for period, amount in enumerate(returns, start=2024):
        a = allocate(scheme, households, _returns({v: amount for v in villages}), period=period,
                     extra=Extra(brought_forward=carried))
        assert check(a) == []
        paid_out += int(a.households["amount_fen"].sum())
        carry = a.accounts.filter(pl.col("account") == "carry_over")
        carried = carry.select("village_id", "amount_fen")
        if period > 2024:  # the summary shows what arrived, on its own line
            arrived = a.summary.filter(pl.col("step_id") == "brought_forward")["requested_fen"].sum()
            assert arrived == previous
            if previous:  # a carry-over arrived: the case the property is about
                reached()
        previous = int(carry["amount_fen"].sum())
    assert paid_out + previous == sum(returns) * len(villages)
