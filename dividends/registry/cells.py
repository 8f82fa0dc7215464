"""Parsing text cells into typed values, a whole column at a time.

Every parser takes a String expression (trimmed, null for an empty cell) and returns the typed
value, or null where the text is not acceptable. A cell is invalid exactly where the input is
not null and the parsed value is null.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from dividends.registry import linefacts
from schemes.money import parse_yuan_column

_GROUPED_WHOLE = r"^[0-9]{1,3}(,[0-9]{3})+$"


def _stepwise(
    function: Callable[[pl.Series], pl.Series], dtype: pl.DataType
) -> Callable[[pl.Expr], pl.Expr]:
    """Run ``function`` on the materialised column. Parsers name their intermediate text
    several times; as one nested expression each mention would be evaluated again."""

    def expression(text: pl.Expr) -> pl.Expr:
        return text.map_batches(function, return_dtype=dtype, is_elementwise=True)

    expression.__doc__ = function.__doc__
    expression.__name__ = function.__name__.lstrip("_")
    return expression


def _canonical_digits(text: pl.Series, value: pl.Series, length: pl.Series) -> pl.Series:
    """Where ``value`` (the integer ``text`` parsed to, null where it did not) has exactly as
    many digits as ``text`` has bytes: ``text`` is those digits, without sign, point or leading
    zero (``"0"`` itself is). Cheaper than a pattern; the other cells are left to the exact parser."""
    frame = pl.DataFrame({"value": value, "length": length})
    return frame.select(_digit_count_is(pl.col("value"), pl.col("length")).fill_null(False)).to_series()


def _exact_rest(text: pl.Series, value: pl.Series, ok: pl.Series, exact: Callable[[pl.Series], pl.Series]) -> pl.Series:
    """``value`` where ``ok``; ``exact`` of the other non-empty cells (gathered: usually none).
    ``value`` must be null where ``text`` is: when every non-empty cell is ``ok`` (the usual
    column), ``value`` is the answer as it is, without a copy."""
    rest = (~ok & text.is_not_null()).arg_true()
    if not rest.len():
        return value.alias(text.name)
    value = pl.select(pl.when(ok).then(value)).to_series()
    value = value.scatter(rest, exact(text.gather(rest)))
    return value.alias(text.name)


def _whole(text: pl.Series) -> pl.Series:
    """A whole number >= 0: ``12``, ``1,200``, ``3.0`` (what Excel sometimes writes) -> Int64.
    Cells of plain digits are read by one integer parse; the others by :func:`_whole_exact`."""
    native = linefacts.numbers(text, "whole")
    if native is not None:  # the same fast path in one native pass
        return _exact_rest(text, native[1], native[0], _whole_exact)
    value = text.str.to_integer(strict=False)
    return _exact_rest(text, value, _canonical_digits(text, value, text.str.len_bytes()), _whole_exact)


def _whole_exact(text: pl.Series) -> pl.Series:
    s = text
    if s.str.contains("[.,]").any():
        s = s.str.replace(r"\.0+$", "")
        grouped = s.str.contains(_GROUPED_WHOLE)
        s = pl.select(
            pl.when(grouped).then(s.str.replace_all(",", "", literal=True)).otherwise(s)
        ).to_series()
    digits = s.str.contains(r"^[0-9]{1,18}$")
    return (
        pl.select(pl.when(digits).then(s.str.to_integer(strict=False))).to_series().alias(text.name)
    )


parse_whole = _stepwise(_whole, pl.Int64())


def _fen(text: pl.Series) -> pl.Series:
    """Yuan text -> Int64 fen by :func:`schemes.money.parse_yuan_column`, but the usual cells
    are read by one integer parse: ``8000.00`` (digits, a point, two digits) as the text without
    its point (``800000``), ``8000`` as itself times 100, taken where the number has as many
    digits as the text (``0.50``: one whole digit, then 50 fen): no sign, no leading zero, at
    most 16 digits before the point. The other cells go to the exact parser."""
    native = linefacts.numbers(text, "yuan")
    if native is not None:  # the same fast path in one native pass
        return _exact_rest(text, native[1], native[0], parse_yuan_column)
    length = text.str.len_bytes()
    signed = text.str.starts_with("+") | text.str.starts_with("-")
    cents = text.str.slice(-3, 1) == "."
    joined = text.str.replace(".", "", literal=True, n=1).str.to_integer(strict=False)
    plain = text.str.to_integer(strict=False)
    frame = pl.DataFrame(
        {"cents": cents, "signed": signed, "joined": joined, "plain": plain, "length": length}
    )
    value = frame.select(
        pl.when("cents").then(pl.col("joined")).otherwise(pl.col("plain") * 100)
    ).to_series()
    n, joined_ = pl.col("length"), pl.col("joined")
    ok = frame.select(
        pl.when("cents")
        .then(
            ~pl.col("signed") & (joined_ >= 0) & (n >= 4) & (n <= 19)
            & ((n == 4) | (joined_ >= _power_of_ten(n.cast(pl.Int64) - 2)))
        )
        .otherwise(_digit_count_is(pl.col("plain"), n) & (n <= 16))
        .fill_null(False)
    ).to_series()
    return _exact_rest(text, value, ok, parse_yuan_column)


def _digit_count_is(value: pl.Expr, length: pl.Expr) -> pl.Expr:
    """``value`` >= 0 has exactly ``length`` (1-18) digits."""
    return (
        (value >= 0)
        & (length >= 1)
        & (length <= 18)
        & ((length == 1) | (value >= _power_of_ten(length.cast(pl.Int64) - 1)))
    )


_POWERS_OF_TEN = tuple(10**k for k in range(20))


def _power_of_ten(exponent: pl.Expr, dtype: pl.DataType = pl.Int64()) -> pl.Expr:
    """``10 ** exponent`` looked up in a table (cheaper than ``pow`` on every row). The
    exponent is clipped to the table (0 to 18 in Int64, 19 in UInt64): polars evaluates it on
    every row, also where the answer is False already, and a negative one would fail the column."""
    top = 19 if dtype == pl.UInt64 else 18
    table = pl.Series(_POWERS_OF_TEN[: top + 1], dtype=dtype)
    return pl.lit(table).gather(exponent.clip(0, top))


parse_fen = _stepwise(_fen, pl.Int64())
"""Yuan text -> Int64 fen: :func:`schemes.money.parse_yuan_column` (the one yuan grammar)."""


_TRUE = ("是", "1", "yes", "y", "true", "有", "√")
_FALSE = ("否", "0", "no", "n", "false", "无", "×")
_BOOLEANS = {**{k: True for k in _TRUE}, **{k: False for k in _FALSE}}


def parse_boolean(text: pl.Expr) -> pl.Expr:
    """是/否, 1/0, yes/no, true/false, Y/N (any case; also 有/无) -> Boolean."""
    return text.str.to_lowercase().replace_strict(_BOOLEANS, default=None, return_dtype=pl.Boolean)


def _date(text: pl.Series) -> pl.Series:
    """``1980-03-01``, ``1980/3/1``, ``1980.3.1``, ``19800301``, ``1980年3月1日`` and an Excel
    date cell (``1980-03-01 00:00:00``) -> Date. ISO dates, the usual case, take one pass; the
    other spellings are rewritten to ISO first, on the rows that need it."""
    iso = text.str.contains(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$")
    dates = pl.select(pl.when(iso).then(text.str.to_date("%Y-%m-%d", strict=False))).to_series()
    others = (~iso & text.is_not_null()).arg_true()
    if others.len() == 0:
        return dates.alias(text.name)
    s = pl.col("s")
    compact = pl.concat_str(
        s.str.slice(0, 4), pl.lit("-"), s.str.slice(4, 2), pl.lit("-"), s.str.slice(6, 2)
    )
    rewritten = (
        text.gather(others)
        .to_frame("s")
        .with_columns(
            s.str.replace(r"[ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$", "")
            .str.replace(r"日$", "")
            .str.replace_all(r"[/.年月]", "-")
        )
        .with_columns(pl.when(s.str.contains(r"^[0-9]{8}$")).then(compact).otherwise(s))
        .select(
            pl.when(s.str.contains(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$")).then(
                s.str.to_date("%Y-%m-%d", strict=False)
            )
        )
        .to_series()
    )
    return dates.scatter(others, rewritten).alias(text.name)


parse_date = _stepwise(_date, pl.Date())


def _account(text: pl.Series) -> pl.Series:
    """A bank account number of 6 to 32 digits, spaces removed. The usual cell (6-19 digits,
    the first not 0) is known by one integer parse having as many digits as the cell has
    bytes, and kept as it is; the others go to :func:`_account_exact`."""
    native = linefacts.numbers(text, "account")
    if native is not None:  # the same fast path in one native pass
        return _exact_rest(text, text, native[0], _account_exact)
    length = text.str.len_bytes()
    value = text.str.to_integer(dtype=pl.UInt64, strict=False)
    frame = pl.DataFrame({"value": value, "length": length})
    n = pl.col("length")
    ok = frame.select(
        ((n >= 6) & (n <= 19) & (pl.col("value") >= _power_of_ten(n.cast(pl.Int64) - 1, pl.UInt64())))
        .fill_null(False)
    ).to_series()
    return _exact_rest(text, text, ok, _account_exact)


def _account_exact(text: pl.Series) -> pl.Series:
    s = text
    if s.str.contains(r"\s").any():
        s = s.str.replace_all(r"\s", "")
    return pl.select(pl.when(s.str.contains(r"^[0-9]{6,32}$")).then(s)).to_series().alias(text.name)


normalize_account = _stepwise(_account, pl.String())


SCIENTIFIC = r"^[0-9](\.[0-9]+)?[eE]\+?[0-9]+$"
"""How Excel writes a long number it stored as a number (``6.22848E+18``)."""

LANGUAGES = ("zh", "en")
_LANGUAGE = {"zh": "zh", "en": "en", "中文": "zh", "英文": "en", "chinese": "zh", "english": "en"}


def parse_language(text: pl.Expr) -> pl.Expr:
    return text.str.to_lowercase().replace_strict(_LANGUAGE, default=None, return_dtype=pl.String)
