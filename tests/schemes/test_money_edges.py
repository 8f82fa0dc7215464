"""Edges of the money module that the tests of ``test_money.py`` and ``test_money_parsing.py`` do
not reach: a yuan column whose cells carry white space, and a split by weight over a group column
of any name on the Python-integer path."""
from __future__ import annotations

import polars as pl
import pytest

from schemes.money import MoneyFormatError, apportion, parse_yuan, parse_yuan_column, split_by_weight


@pytest.mark.parametrize("others", [[], ["¥5"], ["１"], ["1,234"], ["7"]])
def test_a_cell_with_white_space_around_it_reads_as_parse_yuan_reads_it_whatever_the_other_cells(
        others: list[str]) -> None:
    """Before, " 123" was null in a column of plain cells but 12300 beside a cell with a currency
    sign or a full-width digit: the strip ran only for those rare columns."""
    texts = [" 123", "1,234.5 ", "\t-0 ", " 12 3 "] + others
    expected = [12300, 123450, 0, None] + [parse_yuan(t) for t in others]
    assert parse_yuan(" 123") == 12300 and parse_yuan("1,234.5 ") == 123450
    assert parse_yuan_column(pl.Series("cell", texts)).to_list() == expected


def test_a_split_beyond_int128_keeps_each_group_whatever_its_column_is_named() -> None:
    """Weights of 2**100 times pools of 2**30 need Python integers; the group column may have any
    name, polars' default name for a literal ('literal') included."""
    frame = pl.DataFrame({"literal": [1, 1, 2, 2, 2], "pool": [2**30 + 1] * 2 + [7] * 3,
                          "w": [2**100, 2**100 + 1, 1, 2**100, 2**100]},
                         schema={"literal": pl.Int64, "pool": pl.Int64, "w": pl.Int128})
    got = split_by_weight(frame, pl.col("pool"), pl.col("w"), "literal").to_list()
    assert got == apportion(2**30 + 1, [2**100, 2**100 + 1]) + apportion(7, [1, 2**100, 2**100])


def test_a_split_in_int64_keeps_each_group_whatever_its_column_is_named() -> None:
    """The same on the Int64 path (small weights and pools): 10 fen by two equal weights, 7 by
    three, over a group column named 'literal'."""
    frame = pl.DataFrame({"literal": [1, 1, 2, 2, 2], "pool": [10, 10, 7, 7, 7], "w": [1] * 5})
    assert split_by_weight(frame, pl.col("pool"), pl.col("w"), "literal").to_list() == [5, 5, 3, 2, 2]


@pytest.mark.parametrize("digits", [17, 18, 36, 37, 38, 39, 40, 60])
def test_a_whole_part_of_many_digits_is_refused_by_both_never_wrapped(digits: int) -> None:
    """37 nines once failed the whole column (a cast of a wrapped Int128 product), and the 37
    digits of ceil(2**128 / 100) read as 44 fen: whole x 100 wrapped round Int128."""
    for text in ("9" * digits, str(-(-2**128 // 100)) if digits == 37 else "1" + "0" * (digits - 1)):
        try:
            expected: int | None = parse_yuan(text)
        except ValueError:
            expected = None
        assert parse_yuan_column(pl.Series("cell", [text, "1"])).to_list() == [expected, 100], text
    assert parse_yuan_column(pl.Series("cell", ["0" * 30 + "92233720368547758.07"])).to_list() == [2**63 - 1]


def test_a_group_out_of_order_counts_its_rows_in_the_width_of_a_split() -> None:
    """Eight weights of 2**60 in group 1, interleaved with group 0: their sum (2**63) leaves
    Int64 although every pool x weight stays below 2**62; the group column is not in order, so
    the largest group must be counted by a window, not taken as one row."""
    groups = [1, 0, 1, 1, 1, 1, 1, 1, 1]
    frame = pl.DataFrame({"g": groups, "pool": [1] * len(groups),
                          "w": [2**60 if g else 3 for g in groups]}, schema={"g": pl.Int64, "pool": pl.Int64, "w": pl.Int64})
    got = split_by_weight(frame, pl.col("pool"), pl.col("w"), "g").to_list()
    ones = apportion(1, [2**60] * 8)
    assert got == [ones[0], 1, *ones[1:]]


@pytest.mark.parametrize("cells", [[], [None], [None, None]])
def test_an_empty_or_all_null_yuan_column_reads_as_nulls(cells: list[str | None]) -> None:
    got = parse_yuan_column(pl.Series("cell", cells, dtype=pl.String))
    assert got.to_list() == cells and got.dtype == pl.Int64 and got.name == "cell"


@pytest.mark.parametrize("value", [True, False])
def test_a_boolean_is_refused_as_an_amount_naming_it(value: bool) -> None:
    with pytest.raises(MoneyFormatError, match=f"^{value}$"):
        parse_yuan(value)
