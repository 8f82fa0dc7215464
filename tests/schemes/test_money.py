"""schemes/money.py's exact rules on their own: the split's arithmetic width, the Python-integer
fallback, the yuan grammar's edges, formatting and the exact-number bounds."""
from __future__ import annotations

from fractions import Fraction

import polars as pl
import pytest

from schemes import money
from schemes.money import (INT64_MAX, INT128_SAFE, MoneyFormatError, PrecisionError, _product_width, apportion,
                           apportion_quotas, format_percent, format_yuan, hamilton, parse_decimal, parse_percent,
                           parse_yuan, split_by_weight)

# --------------------------------------------------------------------------- formatting


@pytest.mark.parametrize("value, text", [
    (Fraction(1, 8), "12.5%"), (Fraction(1, 3), "100/3%"), (Fraction(3, 2), "150%"), (Fraction(0), "0%"),
    (Fraction(1, 10**6), "0.0001%"), (Fraction(1, 10**8), "0.000001%"), (Fraction(1, 70000), "1/700%"),
    (Fraction(105, 108), "875/9%"), (Fraction(7, 1000), "0.7%"), (Fraction(123, 1000), "12.3%"),
])
def test_a_percent_is_written_exactly_as_a_decimal_or_else_a_fraction(value: Fraction, text: str) -> None:
    assert format_percent(value) == text
    assert parse_percent(text) == value


def test_a_percent_finer_than_six_decimals_is_written_as_a_fraction_as_a_scheme_would_write_it() -> None:
    assert format_percent(Fraction(1, 10**9)) == "1/10000000%"  # 0.0000001%: seven decimals
    assert format_percent(Fraction(123456789, 10**15)) == "123456789/10000000000000%"


@pytest.mark.parametrize("fen, grouped, plain", [
    (0, "0.00", "0.00"), (5, "0.05", "0.05"), (-5, "-0.05", "-0.05"), (123450, "1,234.50", "1234.50"),
    (-123456789, "-1,234,567.89", "-1234567.89"), (100, "1.00", "1.00"),
])
def test_fen_are_written_as_yuan_with_two_decimals(fen: int, grouped: str, plain: str) -> None:
    assert format_yuan(fen) == grouped
    assert format_yuan(fen, grouping=False) == plain
    assert parse_yuan(grouped, allow_negative=True) == fen == parse_yuan(plain, allow_negative=True)


# --------------------------------------------------------------------------- the yuan grammar


@pytest.mark.parametrize("text, fen", [
    ("0", 0), ("7", 700), ("7.", 700), ("7.5", 750), ("7.05", 705), ("1,234", 123400), ("12,345,678.9", 1234567890),
    (" ¥ 3 ", 300), ("-0", 0), (12, 1200), (0, 0),
])
def test_yuan_amounts_read_to_fen(text: str | int, fen: int) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["", "1.234", "1,23", "12,34.5", "1.2.3", "-", ".5", "1e3", "1 000", "+5", "--1",
                                  True, False])
def test_what_is_not_a_yuan_amount_is_refused(text: str | bool) -> None:
    with pytest.raises(MoneyFormatError) as caught:
        parse_yuan(text)
    assert str(caught.value) == str(text)  # the refusal names what was written


def test_a_negative_amount_needs_allow_negative_and_the_refusal_names_the_text() -> None:
    assert parse_yuan("-1.5", allow_negative=True) == -150
    assert parse_yuan(-2, allow_negative=True) == -200
    for text in ("-1.5", -2):
        with pytest.raises(MoneyFormatError, match=f"^{text}$"):
            parse_yuan(text)


def test_amounts_beyond_int64_fen_are_refused_and_the_refusal_names_the_text() -> None:
    assert parse_yuan("92233720368547758.07") == INT64_MAX
    assert parse_yuan("-92233720368547758.07", allow_negative=True) == -INT64_MAX
    for text in ("92233720368547758.08", "-92233720368547758.08"):
        with pytest.raises(MoneyFormatError, match=f"^{text}$"):
            parse_yuan(text, allow_negative=True)
    with pytest.raises(MoneyFormatError, match="^92233720368547759$"):
        parse_yuan(92233720368547759)


# --------------------------------------------------------------------------- exact numbers


@pytest.mark.parametrize("text, value", [
    ("1.5", Fraction(3, 2)), ("105/108", Fraction(35, 36)), ("0", Fraction(0)), (3, Fraction(3)),
    ("0.000001", Fraction(1, 10**6)), ("2.500000000", Fraction(5, 2)), ("1 / 1000000", Fraction(1, 10**6)),
    ("999999999999999", Fraction(999999999999999)), ("000000000000000001", Fraction(1)),
    ("999999999999999/1000000", Fraction(999999999999999, 10**6)),  # a numerator of 15 digits, the most allowed
])
def test_exact_decimals_and_fractions_are_read(text: str | int, value: Fraction) -> None:
    assert parse_decimal(text) == value


@pytest.mark.parametrize("text, value", [("12.5", Fraction(1, 8)), ("12.5%", Fraction(1, 8)), ("100/3", Fraction(1, 3)),
                                         ("100/3%", Fraction(1, 3)), (50, Fraction(1, 2))])
def test_percents_are_read(text: str | int, value: Fraction) -> None:
    assert parse_percent(text) == value


@pytest.mark.parametrize("text", ["1.5%", "-1", "1/0", "abc", "1/", "/2", True, "1,5"])
def test_a_decimal_refuses_a_percent_sign_a_sign_a_zero_denominator_and_words(text: str | bool) -> None:
    with pytest.raises(MoneyFormatError) as caught:
        parse_decimal(text)
    assert not isinstance(caught.value, PrecisionError)
    assert str(caught.value) == str(text)  # the refusal names what was written


@pytest.mark.parametrize("text", ["0.0000001", "1/1000001", "1000000000000000", "1000000000000000/3", "0.1234567"])
def test_numbers_finer_than_a_scheme_may_write_are_refused_as_too_precise(text: str) -> None:
    with pytest.raises(PrecisionError, match=f"^{text}$"):
        parse_decimal(text)


# --------------------------------------------------------------------------- apportioning


def test_apportion_refuses_negative_totals_and_weights_and_gives_zeros_for_zero_weights() -> None:
    for total, weights in ((-1, [1]), (1, [1, -1])):
        with pytest.raises(ValueError, match="^apportion needs a non-negative total and weights$"):
            apportion(total, weights)
    assert apportion(5, [0, 0, 0]) == [0, 0, 0]
    assert apportion(0, [1, 2]) == [0, 0]
    assert apportion(3, [1, 1]) == [2, 1]


def test_quotas_round_to_the_total_up_to_one_fen_each_and_no_further() -> None:
    halves = [Fraction(1, 2)] * 3
    assert apportion_quotas(halves, 3) == [1, 1, 1]  # every quota rounded up: still reachable
    assert apportion_quotas(halves, 0) == [0, 0, 0]  # every quota rounded down
    assert apportion_quotas([Fraction(5, 3), Fraction(4, 3)], 3) == [2, 1]
    for total in (4, -1):
        with pytest.raises(ValueError, match="^total is not reachable from the quotas by largest remainder$"):
            apportion_quotas(halves, total)


def _frame(groups: list[str], pools: list[int], weights: list[int], dtype: pl.DataType = pl.Int64) -> pl.DataFrame:
    return pl.DataFrame({"g": groups, "pool": pools, "w": weights}, schema={"g": pl.String, "pool": dtype, "w": dtype})


def test_each_group_is_split_on_its_own_in_every_width() -> None:
    groups = ["a", "a", "b", "b", "b", "c"]
    for scale in (1, 2**40, 2**124):  # Int64, Int128 and Python-integer arithmetic
        weights = [1 * scale, 2 * scale, 1, 1, 1, 0]
        pools = [10, 10, 7, 7, 7, 5]
        frame = _frame(groups, pools, weights, pl.Int128)
        got = split_by_weight(frame, pl.col("pool"), pl.col("w"), "g")
        assert got.dtype == pl.Int64 and got.name == "fen"  # the same Series from every path
        assert got.to_list() == apportion(10, weights[:2]) + apportion(7, weights[2:5]) + [0] == [3, 7, 3, 2, 2, 0]
        by_two = split_by_weight(frame.with_columns(h=pl.lit("x")), pl.col("pool"), pl.col("w"), ["h", "g"])
        assert by_two.to_list() == got.to_list()


def test_an_empty_frame_splits_into_no_lines() -> None:
    got = split_by_weight(_frame([], [], []), pl.col("pool"), pl.col("w"), "g")
    assert got.to_list() == [] and got.dtype == pl.Int64


@pytest.mark.parametrize("pools, weights, width", [
    ([10, 10], [3, 0], 64),  # a zero weight: still the Int64 arithmetic
    ([0, 0], [3, 4], 64),  # a zero pool
    ([2**62, 2**62], [0, 0], 64),  # every weight zero: every product is zero, however large the pool
    ([2**31 - 1], [2**31 + 1], 64),  # the product just below 2**62
    ([1], [2**62 - 1], 64),  # one row: its weight is the group's sum, just below 2**62
    ([2**31], [2**31], 128),  # the product at 2**62
    ([1], [2**62], 128),  # a weight at 2**62
    ([2**10], [2**61], 128),  # only the product reaches 2**62
    ([-1, 5], [1, 1], 128),  # a negative pool: not the unsigned fast path
    ([5, 5], [-1, 2], 128),  # a negative weight
    ([2**63 - 1], [2**62], 128),  # the largest product below INT128_SAFE
    ([2**63 - 1], [2**63 - 1], 128),
    ([1], [INT128_SAFE], 129),  # a weight at INT128_SAFE: Python integers
    ([2**64], [2**62], 129),  # the product at INT128_SAFE
])
def test_the_arithmetic_width_is_the_narrowest_that_holds_every_product(pools: list[int], weights: list[int],
                                                                         width: int) -> None:
    frame = pl.DataFrame({"g": [0] * len(pools), "_pool": pools, "_w": weights},
                         schema={"g": pl.Int64, "_pool": pl.Int128, "_w": pl.Int128})
    assert _product_width(frame, ["g"]) == width


def test_a_group_of_many_rows_counts_its_size_in_the_width() -> None:
    # the weight sum of a group is at most weight * rows: 2**61 x 2 rows reaches 2**62
    frame = pl.DataFrame({"g": [0, 0, 1], "_pool": [1, 1, 1], "_w": [2**61, 2**61, 1]},
                         schema={"g": pl.Int64, "_pool": pl.Int128, "_w": pl.Int128})
    assert _product_width(frame, ["g"]) == 128
    assert _product_width(frame.with_columns(pl.Series("g", [0, 1, 2])), ["g"]) == 64


def test_hamilton_gives_zeros_to_a_group_without_weight_and_keeps_the_others_whole() -> None:
    frame = pl.DataFrame({"g": ["a", "a", "b", "b"], "n": [1, 1, 0, 0], "d": [2, 2, 0, 0], "t": [3, 3, 9, 9]})
    for dtype in (None, pl.Int64):
        got = hamilton(frame, pl.col("n") * pl.col("t"), pl.col("d"), pl.col("t"), "g", dtype=dtype)
        assert got.to_list() == [2, 1, 0, 0] and got.dtype == pl.Int64
    # the group named by a string of several letters is one column, as a list of one name is
    village = frame.rename({"g": "village"})
    for group in ("village", ["village"]):
        assert hamilton(village, pl.col("n") * pl.col("t"), pl.col("d"), pl.col("t"), group).to_list() == [2, 1, 0, 0]


def test_int128_is_looked_up_when_first_used_and_nothing_else_is() -> None:
    assert money.I128 == pl.Int128
    with pytest.raises(AttributeError, match="I129"):
        money.I129  # noqa: B018
