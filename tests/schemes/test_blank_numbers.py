"""Property: a blank household number is refused exactly when a step reads it, and then named;
otherwise every line is a whole number of fen and the village's pool is all on lines."""
from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from schemes.engine import allocate
from schemes.loader import parse_scheme
from schemes.problems import InputError
from tests.reach import reached

# a unit basis -> the households columns it reads
READS = {"household": (), "person": ("members",), "able_person": ("able_members",),
         "unable_person": ("members", "able_members"), "share": ("shares",), "capital": ("capital_fen",)}
NUMBERS = ("members", "able_members", "shares", "capital_fen")


def _scheme(kind: str, basis: str) -> object:
    if kind == "per_unit":
        rate = "percent: 10" if basis == "capital" else "amount: 3"
        step = f"{{id: pay, kind: per_unit, per: {basis}, {rate}, on_shortfall: pro_rate}}"
    else:
        step = f"{{id: pay, kind: pro_rata, percent: 60, weight: {basis}}}"
    return parse_scheme("{id: p, version: 1, effective: 2020-01-01, title: t, description: d,"
                        " accounts: {carry_over: {label: c}},"
                        f" steps: [{step}, {{id: carry, kind: remainder, to: carry_over}}]}}", "p.yaml")


@st.composite
def households(draw: st.DrawFn) -> pl.DataFrame:
    n = draw(st.integers(1, 8))
    rows = []
    for i in range(n):
        members = draw(st.integers(1, 6))
        row = {"household_id": f"H{i}", "village_id": "V1", "status": "poor", "members": members,
               "able_members": draw(st.integers(0, members)), "shares": draw(st.integers(0, 9)),
               "capital_fen": draw(st.integers(0, 10**6))}
        for column in draw(st.sets(st.sampled_from(NUMBERS), max_size=2)):
            row[column] = None
        rows.append(row)
    return pl.DataFrame(rows, schema={"household_id": pl.String, "village_id": pl.String, "status": pl.String,
                                      **{c: pl.Int64 for c in NUMBERS}})


@settings(max_examples=150, deadline=None)
@given(households(), st.sampled_from(sorted(READS)), st.sampled_from(["per_unit", "pro_rata"]),
       st.integers(0, 10**7))
def test_a_blank_number_is_refused_exactly_when_a_step_reads_it(frame: pl.DataFrame, basis: str, kind: str,
                                                                amount: int) -> None:
    returns = pl.DataFrame({"village_id": ["V1"], "amount_fen": [amount]})
    blank = {c: frame.filter(pl.col(c).is_null())["household_id"].to_list() for c in READS[basis]}
    blank = {c: ids for c, ids in blank.items() if ids}
    try:
        allocation = allocate(_scheme(kind, basis), frame, returns, period=2024)  # type: ignore[arg-type]
    except InputError as refused:
        reached()
        assert blank, refused.text("en")
        text = refused.text("en")
        for column, ids in blank.items():
            assert f"read the households' {column}, which is blank for {len(ids)} household(s): {ids[0]}" in text
        return
    reached()
    assert not blank
    lines = allocation.households
    assert lines["pay"].null_count() == 0 and lines["amount_fen"].null_count() == 0
    assert lines["amount_fen"].sum() + allocation.accounts["amount_fen"].sum() == amount
