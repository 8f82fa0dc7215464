"""The registry's fast readings of whole numbers and yuan (one integer parse where the text is
plain digits) give exactly what the exact parsers give, cell for cell."""
from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from dividends.registry.cells import _fen, _whole, _whole_exact
from schemes.money import parse_yuan_column
from tests.reach import reached

PIECES = st.sampled_from(
    [*"0123456789", "0", "00", "000", ".", ",", "-", "+", "e", "E", "¥", "１", " ", ".00", ".5", "9" * 9]
)
CELLS = st.one_of(st.none(), st.lists(PIECES, min_size=1, max_size=12).map("".join))

EDGES = [
    "0", "00", "0.00", ".12", "1.2.", "12.50", "8000.00", "-0", "-0.00", "+5", "+5.00", "5.",
    "9999999999999999", "99999999999999999", "9999999999999999.99", "99999999999999999.99",
    "999999999999999999", "9999999999999999999", "1000000000000000000", "1,234.5", "１２", "¥12.05",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(CELLS, max_size=40))
def test_fast_readings_equal_the_exact_parsers(cells: list[str | None]) -> None:
    reached()
    text = pl.Series("c", cells + EDGES, dtype=pl.String)
    assert _whole(text).to_list() == _whole_exact(text).to_list()
    assert _fen(text).to_list() == parse_yuan_column(text).to_list()
    assert _whole(text).dtype == pl.Int64 and _fen(text).dtype == pl.Int64


def test_fast_readings_of_the_usual_cells() -> None:
    text = pl.Series("c", ["8000.00", "0", "12", None, "0.50", "1,200"], dtype=pl.String)
    assert _fen(text).to_list() == [800000, 0, 1200, None, 50, 120000]
    assert _whole(text).to_list() == [8000, 0, 12, None, None, 1200]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(min_value=0, max_value=10**17 - 1)), max_size=50))
def test_check_values_in_two_halves_equal_the_digit_expression(values: list[int | None]) -> None:
    from dividends.registry.idnumber import check_value_of_column, check_values

    reached()
    first17 = pl.Series("q", [*values, 0, 10**17 - 1, 10**16, 10**9 - 1, 10**9], dtype=pl.Int64)
    expected = first17.to_frame().select(check_value_of_column(pl.col("q"))).to_series()
    got = check_values(first17)
    assert got.dtype == expected.dtype and got.to_list() == expected.to_list()
