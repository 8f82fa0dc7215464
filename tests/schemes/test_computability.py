"""Validation = computability: a scheme that validates computes (or refuses by its own
``on_shortfall: refuse``), and one that cannot compute exactly is refused at validation with a
message naming the file, line and key.

Schemes are generated with extreme numbers: many decimals, fractions with large denominators,
huge amounts and factors, zero weights and zero percents, classes nobody is eligible for; the
registries with extreme but valid values (large pools, capital and shares).
"""
from __future__ import annotations

from typing import Any

import polars as pl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemes.engine import allocate
from schemes.invariants import check
from schemes.loader import parse_scheme
from schemes.problems import InputError
from tests.reach import reached

STATUSES = ["poor", "exited", "monitored", "non_poor"]


def _decimal(digits: int, places: int) -> st.SearchStrategy[str]:
    return st.tuples(st.integers(0, 10**digits), st.integers(0, 10**places - 1 if places else 0)).map(
        lambda t: f"{t[0]}.{str(t[1]).rjust(places, '0')}" if places else str(t[0]))


numbers = st.one_of(
    st.integers(0, 20).flatmap(lambda places: _decimal(3, places)),  # up to 20 decimals (the 18-decimal bug)
    st.tuples(st.integers(0, 10**16), st.integers(1, 10**9)).map(lambda t: f"{t[0]}/{t[1]}"),  # fractions
    st.sampled_from(["0", "0.0", "1", "1000000", "1000001", "999999.999999", "1e3", "-1", "105/108", "1/0"]),
    _decimal(22, 0),  # huge
)
amounts = st.one_of(st.sampled_from(["0", "0.01", "10000000000", "10000000000.01", "99999999999999999999"]),
                    st.integers(0, 10**13).map(lambda f: f"{f // 100}.{f % 100:02d}"))
percents = st.one_of(numbers, st.sampled_from(["0", "100", "100.000001", "33.333333", "100/3"]))
bases = st.sampled_from(["household", "person", "able_person", "unable_person", "share", "capital"])


@st.composite
def weights(draw: Any) -> Any:
    spec: dict[str, Any] = {"by": draw(bases)}
    if draw(st.booleans()):
        spec["multiplier"] = {s: draw(numbers) for s in STATUSES}
    if draw(st.booleans()):
        spec["bonus"] = {draw(st.sampled_from(STATUSES)): draw(numbers)}
    return spec


@st.composite
def rates(draw: Any) -> dict[str, Any]:
    basis = draw(bases)
    if basis == "capital":
        return {"per": "capital", "percent": draw(percents)}
    return {"per": basis, "amount": draw(amounts)}


@st.composite
def extreme_schemes(draw: Any) -> str:
    steps: list[dict[str, Any]] = []
    for i in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["carve_out", "per_unit", "pro_rata", "share_classes", "claim_group", "cap"]))
        step: dict[str, Any] = {"id": f"s{i}", "kind": kind}
        if kind == "carve_out":
            step |= {"to": "fund", "on_shortfall": "pro_rate"}
            step |= {"amount": draw(amounts)} if draw(st.booleans()) else {"percent": draw(percents)}
        elif kind == "per_unit":
            step |= {**draw(rates()), "on_shortfall": "pro_rate"}
        elif kind == "pro_rata":
            step |= {"percent": draw(percents), "of": "remaining", "weight": draw(weights()), "on_shortfall": "pro_rate"}
            if draw(st.booleans()):
                step["eligible"] = {"status": "poor", "members": {"gte": "99"}}  # usually nobody
        elif kind == "share_classes":
            first = draw(st.sampled_from(["0", "50", "100", "33.333333", "100/3"]))
            classes = [{"id": "a", "percent": first, "weight": draw(weights())},
                       {"id": "b", "percent": draw(st.sampled_from(["100", "50", "0", "66.666667", "200/3"])),
                        "weight": draw(weights()), "eligible": {"members": {"gte": "99"}}}]
            step |= {"percent": draw(percents), "classes": classes, "on_shortfall": "pro_rate"}
        elif kind == "claim_group":
            step |= {"on_shortfall": "pro_rate", "claims": [
                {"id": f"s{i}a", "kind": "per_unit", **draw(rates())},
                {"id": f"s{i}b", "kind": "carve_out", "to": "fund", "amount": draw(amounts)}]}
        else:
            step |= {"limit": draw(rates()), "excess_to": "remaining"}
        steps.append(step)
    steps.append({"id": "rest", "kind": "remainder", "to": "carry_over"})
    doc = {"id": "extreme", "version": 1, "effective": "2020-01-01", "title": "x", "description": "x",
           "accounts": {"fund": "f", "carry_over": "c"}, "steps": steps}
    return yaml.safe_dump(doc, sort_keys=False)


@st.composite
def extreme_registries(draw: Any) -> tuple[pl.DataFrame, pl.DataFrame]:
    rows = []
    for h in range(draw(st.integers(1, 8))):
        members = draw(st.integers(1, 50))
        rows.append({"household_id": f"H{h:02d}", "village_id": "V1", "status": draw(st.sampled_from(STATUSES)),
                     "members": members, "able_members": draw(st.integers(0, members)),
                     "shares": draw(st.sampled_from([0, 1, 10**5])),
                     "capital_fen": draw(st.sampled_from([0, 1, 10**12]))})
    returns = pl.DataFrame({"village_id": ["V1"], "amount_fen": [draw(st.sampled_from([0, 1, 10**6, 10**15, 2**63 - 1]))]},
                           schema={"village_id": pl.String, "amount_fen": pl.Int64})
    schema = {"household_id": pl.String, "village_id": pl.String, "status": pl.String, "members": pl.Int64,
              "able_members": pl.Int64, "shares": pl.Int64, "capital_fen": pl.Int64}
    return pl.DataFrame(rows, schema=schema), returns


def _validates(text: str) -> bool:
    try:
        parse_scheme(text, "extreme.yaml")
    except InputError:
        return False
    return True


# About two extreme schemes in three are refused at validation; one test each way, so that every
# example of the computing test reaches the invariants (one test over both reached them 48% of
# the time) and the refusals keep their own check.
validated_schemes = extreme_schemes().filter(_validates)
refused_schemes = extreme_schemes().filter(lambda text: not _validates(text))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(validated_schemes, extreme_registries())
def test_a_scheme_that_validates_computes_exactly(text: str, registry: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    scheme = parse_scheme(text, "extreme.yaml")
    households, returns = registry
    reached()
    allocation = allocate(scheme, households, returns, period=2024)  # never an exception here
    assert check(allocation) == []
    assert allocation.lines()["amount_fen"].sum() == returns["amount_fen"].sum()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(refused_schemes)
def test_a_scheme_refused_at_validation_says_where_every_problem_is(text: str) -> None:
    with pytest.raises(InputError) as refused:
        parse_scheme(text, "extreme.yaml")
    reached()
    error = refused.value
    assert error.problems
    assert all(p.file == "extreme.yaml" and p.line and p.key for p in error.problems), error.text("en")


def test_the_18_decimal_weight_of_issue_10_is_refused_where_it_is_written() -> None:
    text = """id: bug
version: 1
effective: 2020-01-01
title: t
description: d
accounts: {carry_over: c}
steps:
  - id: classes
    kind: share_classes
    percent: 100
    classes:
      - id: a
        percent: 100
        weight: {by: person, multiplier: {poor: "1.123456789012345678", others: "1"}}
  - {id: rest, kind: remainder, to: carry_over}
"""
    try:
        parse_scheme(text, "bug.yaml")
    except InputError as error:
        assert ("bug.yaml, line 14, key steps[0].classes[0].weight.multiplier.poor: too fine a number: at most 6 "
                "decimal places") in error.text("en")
    else:
        raise AssertionError("an 18-decimal multiplier validated")


def test_huge_weights_split_exactly_on_python_integers() -> None:
    """Capital in fen times fine multipliers leaves Int128: the split still adds up to the fen."""
    text = """id: big
version: 1
effective: 2020-01-01
title: t
description: d
accounts: {carry_over: c}
steps:
  - id: split
    kind: pro_rata
    percent: 100
    weight: {by: capital, multiplier: {poor: "999999.999999", others: "0.000001"}, bonus: {poor: "1/999983"}}
  - {id: rest, kind: remainder, to: carry_over}
"""
    scheme = parse_scheme(text, "big.yaml")
    households = pl.DataFrame({"household_id": ["A", "B", "C"], "village_id": ["V1"] * 3,
                               "status": ["poor", "non_poor", "poor"], "members": [1, 1, 1], "able_members": [0, 0, 0],
                               "shares": [0, 0, 0], "capital_fen": [2**62, 2**62 - 1, 3]})
    returns = pl.DataFrame({"village_id": ["V1"], "amount_fen": [2**63 - 1]})
    allocation = allocate(scheme, households, returns, period=2024)
    assert check(allocation) == []
    assert allocation.households["split"].sum() == 2**63 - 1
