"""One yuan grammar: ASCII digits, full-width forms normalised in one place, for single values
(``--amount``, scheme amounts, returns) and whole columns (registry cells) alike."""
from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemes.money import MoneyFormatError, half_width, parse_yuan, parse_yuan_column
from tests.reach import reached

OTHER_DIGITS = ["\u0661\u0662", "\u06f1\u06f2", "\u0967\u0968", "12\u0663", "\u0e51\u0e52"]


@pytest.mark.parametrize("text", OTHER_DIGITS)
def test_digits_of_other_scripts_are_refused_by_both(text: str) -> None:
    with pytest.raises(MoneyFormatError):
        parse_yuan(text)
    assert parse_yuan_column(pl.Series([text])).to_list() == [None]


@pytest.mark.parametrize("text, fen", [("１２３４．５", 123450), ("￥１，２３４", 123400), ("¥12.05", 1205), ("1,234.50", 123450)])
def test_full_width_and_currency_forms_are_read_by_both(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen
    assert parse_yuan_column(pl.Series([text])).to_list() == [fen]


def test_half_width_is_the_one_table() -> None:
    assert half_width("ＡＢ１２　－") == "AB12 -"


# no Hypothesis deadline: a timing assertion, failing at random on a loaded machine
@settings(deadline=None)
@given(st.text(alphabet="0123456789０１２.．,，-¥￥ \u0661", max_size=14))
def test_the_column_and_the_value_parser_agree(text: str) -> None:
    stripped = text.strip()
    reached()
    try:
        expected: int | None = parse_yuan(stripped)
    except MoneyFormatError:
        expected = None
    assert parse_yuan_column(pl.Series([stripped])).to_list() == [expected]


@pytest.mark.parametrize("texts", [
    ["9999999999999999.99", "1.5", "-0"],  # 16 digits before the point: Int64 arithmetic
    ["92233720368547758.07", "92233720368547758.08", "00000000000000001.5", "3"],  # 17: Int128
    ["123456789012345678901", "1"],  # beyond Int64 fen: refused
])
def test_long_amounts_on_either_side_of_the_int64_bound_agree_with_the_value_parser(texts: list[str]) -> None:
    expected: list[int | None] = []
    for text in texts:
        try:
            expected.append(parse_yuan(text))
        except MoneyFormatError:
            expected.append(None)
    assert parse_yuan_column(pl.Series(texts)).to_list() == expected
