"""Integer fen: parsing yuan exactly, formatting, and the one rounding rule.

Money is an ``int`` number of fen (1/100 yuan) in Python and ``Int64`` in polars. Nothing here
touches a float. Every split uses the largest-remainder (Hamilton) method: each line gets the
floor of its exact quota, and the fen left over go one each to the largest fractional parts,
ties broken by row order (callers sort rows by recipient id first). Each line is then within one
fen of its exact quota and the lines sum to the total exactly.

>>> apportion(100, [1, 1, 1])
[34, 33, 33]
>>> parse_yuan("1,234.5")
123450
>>> format_yuan(-123450)
'-1,234.50'
>>> parse_decimal("105/108")
Fraction(35, 36)
>>> parse_percent("100/3")
Fraction(1, 3)
>>> parse_decimal("0.1234567")
Traceback (most recent call last):
  ...
schemes.money.PrecisionError: 0.1234567
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # polars loads when a frame is computed, not when a scheme is read
    import polars as pl

FEN_PER_YUAN = 100
INT64_MAX = 2**63 - 1
INT128_SAFE = 2**126  # products below this are computed in polars' Int128; above, in Python ints

# Bounds on the numbers a scheme may write, so that every scheme that validates computes
# exactly (see README "Numbers"): decimals with at most MAX_DECIMALS places, fractions a/b with
# b <= MAX_DENOMINATOR, factors (multipliers, bonus units) at most MAX_FACTOR, amounts at most
# MAX_AMOUNT_FEN.
MAX_DECIMALS = 6
MAX_DENOMINATOR = 10**6
MAX_FACTOR = 10**6
MAX_AMOUNT_FEN = 10**12  # ten billion yuan

FULL_WIDTH_FORMS: tuple[str, ...] = tuple(chr(c) for c in range(0xFF01, 0xFF5F)) + ("\u3000",)
"""Full-width digits, letters and signs (a Chinese input method types ``１２３``) and the
ideographic space; :data:`HALF_WIDTH_FORMS` holds their ASCII forms, position by position.
This is the one place where digits other than ASCII ``0-9`` become digits."""
HALF_WIDTH_FORMS: tuple[str, ...] = tuple(chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)) + (" ",)
_TO_HALF_WIDTH = str.maketrans(dict(zip(FULL_WIDTH_FORMS, HALF_WIDTH_FORMS, strict=True)))

# The yuan grammar, written with ASCII digits only ([0-9], never \d: in Python \d matches
# Arabic-Indic and other digits too). Used by parse_yuan and by the column parser alike.
YUAN_PATTERN = r"^-?[0-9]+(\.[0-9]{0,2})?$"
YUAN_GROUPED_PATTERN = r"^-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?$"
CURRENCY_SIGNS = "[¥￥]"
_YUAN = re.compile(r"^(?P<sign>-)?(?P<int>[0-9]+)(?:\.(?P<frac>[0-9]{0,2}))?\Z")
_YUAN_GROUPED = re.compile(YUAN_GROUPED_PATTERN.replace("$", "\\Z"))
_PERCENT = re.compile(r"^(?P<int>[0-9]+)(?:\.(?P<frac>[0-9]+))?%?\Z")
_DECIMAL = re.compile(r"^(?P<int>[0-9]+)(?:\.(?P<frac>[0-9]+))?\Z")
_FRACTION = re.compile(r"^(?P<num>[0-9]+)\s*/\s*(?P<den>[0-9]+)%?\Z")


class MoneyFormatError(ValueError):
    """A text that is not an exact yuan amount (at most two decimals)."""


class PrecisionError(MoneyFormatError):
    """A well-formed number finer than a scheme may write (too many decimals, too large a
    denominator or too many digits): refused so that every valid scheme computes exactly."""


def half_width(text: str) -> str:
    """Full-width forms to ASCII: ``"１，２３４．５"`` -> ``"1,234.5"`` (see :data:`FULL_WIDTH_FORMS`)."""
    return text.translate(_TO_HALF_WIDTH)


def parse_yuan(text: str | int, *, allow_negative: bool = False) -> int:
    """Parse a decimal yuan amount to fen, exactly. Accepts ``1234``, ``1234.5``, ``1,234.50``,
    ``¥12``, and the same typed in full-width forms; digits of other scripts are refused.

    The grammar is the one :func:`parse_yuan_column` applies to whole columns.

    >>> parse_yuan("１２３４．５"), parse_yuan("¥1,234.50")
    (123450, 123450)
    >>> try:
    ...     parse_yuan("\u0661\u0662")  # Arabic-Indic digits
    ... except MoneyFormatError:
    ...     print("refused")
    refused
    """
    if isinstance(text, bool):
        raise MoneyFormatError(str(text))
    if isinstance(text, int):
        fen = text * FEN_PER_YUAN
    else:
        s = re.sub(CURRENCY_SIGNS, "", half_width(text).strip()).strip()
        if _YUAN_GROUPED.match(s):
            s = s.replace(",", "")
        m = _YUAN.match(s)
        if not m:
            raise MoneyFormatError(text)
        frac = (m["frac"] or "").ljust(2, "0")
        fen = int(m["int"]) * FEN_PER_YUAN + int(frac)
        if m["sign"]:
            fen = -fen
    if fen < 0 and not allow_negative:
        raise MoneyFormatError(str(text))
    if abs(fen) > INT64_MAX:
        raise MoneyFormatError(str(text))
    return fen


def parse_yuan_column(text: pl.Series) -> pl.Series:
    """Yuan text -> Int64 fen, exactly, for a whole column: the column version of
    :func:`parse_yuan` (negative amounts are null, ``-0`` is 0; null where invalid).

    ``1234`` -> 123400, ``1,234.5`` -> 123450, ``¥12.05`` -> 1205; ``1.005`` and ``-1`` -> null.
    Steps that only rare cells need (full-width forms, currency signs, thousands separators, a
    minus sign) run only when some cell needs them. White space around a cell is stripped first,
    as :func:`parse_yuan` strips it: a cell's value never depends on the other cells.
    """
    import polars as pl
    s = text.str.strip_chars()
    rare = s.str.contains(r"[\u3000\uff01-\uff5e,]|" + CURRENCY_SIGNS).any()  # one scan for the usual column
    if rare and s.str.contains(r"[\u3000\uff01-\uff5e]").any():
        s = s.str.replace_many(list(FULL_WIDTH_FORMS), list(HALF_WIDTH_FORMS)).str.strip_chars()
    if rare and s.str.contains(CURRENCY_SIGNS).any():
        s = s.str.replace_all(CURRENCY_SIGNS, "").str.strip_chars()
    if rare and s.str.contains(",", literal=True).any():
        grouped = s.str.contains(YUAN_GROUPED_PATTERN)
        s = pl.select(
            pl.when(grouped).then(s.str.replace_all(",", "", literal=True)).otherwise(s)
        ).to_series()
    negative = s.str.starts_with("-")
    shaped = s.str.contains(YUAN_PATTERN)
    if negative.any():
        s = s.str.strip_prefix("-")
    parts = s.str.split_exact(".", 1).struct.unnest()
    # at most 16 characters before the point: whole * 100 + cents < 10**18 fits Int64 exactly
    longest = parts.get_column("field_0").str.len_bytes().max()
    wide = pl.Int64 if longest is None or int(longest) <= 16 else pl.Int128  # type: ignore[arg-type]
    whole = parts.get_column("field_0").str.to_integer(dtype=wide, strict=False)
    cents = (
        parts.get_column("field_1")
        .fill_null("")
        .str.pad_end(2, "0")
        .str.to_integer(dtype=wide, strict=False)
    )
    frame = pl.DataFrame({"shaped": shaped, "negative": negative, "whole": whole, "cents": cents})
    # a whole part beyond INT64_MAX // 100 is beyond Int64 fen: null before the product, which
    # would wrap in Int128 for 37 digits or more (an amount of 0.44 yuan, or a failed cast)
    fen = pl.when(pl.col("whole") <= INT64_MAX // FEN_PER_YUAN).then(pl.col("whole")) * 100 + pl.col("cents")
    ok = (
        pl.col("shaped")
        & fen.is_not_null()
        & (fen <= INT64_MAX)
        & ~(pl.col("negative") & (fen != 0))
    )
    return frame.select(pl.when(ok).then(fen.cast(pl.Int64))).to_series().alias(text.name)


def parse_percent(text: str | int) -> Fraction:
    """``"12.5"`` or ``"12.5%"`` -> Fraction(1, 8); ``"100/3"`` -> Fraction(1, 3) (a third).

    Percent values are exact: a decimal with at most :data:`MAX_DECIMALS` places, or a fraction
    ``a/b`` of percent points with ``0 < b <=`` :data:`MAX_DENOMINATOR`."""
    return _exact(text, percent=True) / 100


def parse_decimal(text: str | int) -> Fraction:
    """A non-negative exact number such as ``"1.5"`` or ``"105/108"`` (multipliers, bonus units,
    factors): at most :data:`MAX_DECIMALS` decimal places, fraction denominators at most
    :data:`MAX_DENOMINATOR`."""
    return _exact(text, percent=False)


def _exact(text: str | int, *, percent: bool) -> Fraction:
    if isinstance(text, bool):
        raise MoneyFormatError(str(text))
    s = str(text).strip()
    f = _FRACTION.match(s) if "/" in s else None
    if f is not None:
        den = int(f["den"])
        if den == 0:
            raise MoneyFormatError(s)
        if den > MAX_DENOMINATOR or len(f["num"]) > 15:
            raise PrecisionError(s)
        return Fraction(int(f["num"]), den)
    m = (_PERCENT if percent else _DECIMAL).match(s)
    if not m:
        raise MoneyFormatError(s)
    frac = (m["frac"] or "").rstrip("0")
    if len(frac) > MAX_DECIMALS or len(m["int"].lstrip("0")) > 15:
        raise PrecisionError(s)
    return Fraction(int(m["int"] + frac), 10 ** len(frac))


def format_yuan(fen: int, *, grouping: bool = True) -> str:
    """Fen to a yuan text with two decimals: ``123450 -> "1,234.50"``."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), FEN_PER_YUAN)
    whole_text = f"{whole:,}" if grouping else str(whole)
    return f"{sign}{whole_text}.{cents:02d}"


def format_percent(value: Fraction) -> str:
    """Fraction(1, 8) -> "12.5%" (exact; falls back to a fraction when not a finite decimal)."""
    pct = value * 100
    for digits in range(0, 7):
        scaled = pct * 10**digits
        if scaled.denominator == 1:
            n = scaled.numerator
            if digits == 0:
                return f"{n}%"
            s = str(n).rjust(digits + 1, "0")
            return f"{s[:-digits]}.{s[-digits:]}%"
    return f"{pct.numerator}/{pct.denominator}%"


def apportion(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` fen by ``weights`` with the largest-remainder method (reference version).

    Ties among equal remainders go to the earlier position. All weights zero -> all zero lines.
    This plain-Python version is the oracle the polars version is tested against.
    """
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("apportion needs a non-negative total and weights")
    weight_sum = sum(weights)
    if weight_sum == 0:
        return [0] * len(weights)
    return apportion_quotas([Fraction(total * w, weight_sum) for w in weights], total)


def apportion_quotas(quotas: Sequence[Fraction], total: int) -> list[int]:
    """Round exact quotas to integers summing to ``total`` (largest remainder, stable ties)."""
    floors = [q.numerator // q.denominator for q in quotas]
    left = total - sum(floors)
    if left < 0 or left > len(quotas):
        raise ValueError("total is not reachable from the quotas by largest remainder")
    order = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


# --------------------------------------------------------------------------- polars versions

def __getattr__(name: str) -> object:
    """``I128`` is polars' Int128, looked up when first used (so reading a scheme loads no polars)."""
    if name == "I128":
        import polars as pl
        return pl.Int128
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def hamilton(frame: pl.DataFrame, numerator: pl.Expr, denominator: pl.Expr, total: pl.Expr,
             group: str | list[str], dtype: pl.DataType | None = None) -> pl.Series:
    """Largest-remainder rounding of quotas ``numerator / denominator`` to integers summing to
    ``total`` within each ``group`` of ``frame``'s rows.

    ``denominator`` and ``total`` are constant within a group. Rows must already be in
    tie-break order (recipient id) within each group: ties in the remainder go to the earlier
    row. A group whose denominator is 0 gets all zeros. Arithmetic runs in Int128, so
    ``pool * weight`` cannot wrap; the result is Int64 fen. The window steps run on
    materialised columns (much faster in polars than one nested expression). A caller that has
    bounded every value below 2**63 may pass ``dtype=pl.Int64`` (same integers, faster division).
    """
    import polars as pl
    I128 = dtype or pl.Int128
    groups = [group] if isinstance(group, str) else list(group)
    f = frame.select(
        *[pl.col(g) for g in groups],
        numerator.cast(I128).alias("_n"), denominator.cast(I128).alias("_d"), total.cast(I128).alias("_t"),
    )
    zero = pl.col("_d") == 0
    safe = pl.when(zero).then(pl.lit(1, I128)).otherwise(pl.col("_d"))
    f = f.with_columns(
        _q=pl.when(zero).then(pl.lit(0, I128)).otherwise(pl.col("_n") // safe),
        _r=pl.when(zero).then(pl.lit(0, I128)).otherwise(pl.col("_n") % safe),
    )
    f = f.with_columns(
        _left=pl.when(zero).then(pl.lit(0, I128)).otherwise(pl.col("_t") - pl.col("_q").sum().over(groups)),
        _rank=pl.col("_r").rank("ordinal", descending=True).over(groups).cast(I128),
    )
    return f.select((pl.col("_q") + (pl.col("_rank") <= pl.col("_left")).cast(I128)).cast(pl.Int64).alias("fen"))["fen"]


def split_by_weight(frame: pl.DataFrame, pool: pl.Expr, weight: pl.Expr, group: str | list[str]) -> pl.Series:
    """Split a per-group ``pool`` (fen, constant within the group) by ``weight``.

    Each line is within one fen of ``pool * weight / sum(weight)``; the lines sum to ``pool``
    unless every weight in the group is zero (then all lines are zero). When the products could
    leave Int128 (huge weights, e.g. capital in fen times fine multipliers), the same rule runs
    on Python integers: slower, never wrong.
    """
    import polars as pl
    I128 = pl.Int128
    groups = [group] if isinstance(group, str) else list(group)
    # the bounds first, on the columns as they come (no Int128 copies when Int64 will do)
    f = frame.select(*[pl.col(g) for g in groups], pool.alias("_pool"), weight.alias("_w"))
    width = _product_width(f, groups) if f.height else 64
    if width > 128:
        return _split_exact_python(f.with_columns(pl.col("_pool").cast(I128), pl.col("_w").cast(I128)), groups)
    # every product and sum below 2**62: the same integers in Int64
    wide = pl.Int64 if width == 64 else I128
    f = f.with_columns(pl.col("_pool").cast(wide), pl.col("_w").cast(wide))
    f = f.with_columns(_W=pl.col("_w").sum().over(groups))
    return hamilton(f, pl.col("_pool") * pl.col("_w"), pl.col("_W"), pl.col("_pool"), groups,
                    dtype=pl.Int64 if width == 64 else None)


def _product_width(f: pl.DataFrame, groups: list[str]) -> int:
    """64 when ``pool * weight`` and a group's weight sum stay below 2**62 (pool and weight not
    negative), 128 when below :data:`INT128_SAFE`, else 129 (Python integers needed)."""
    import polars as pl
    from schemes.frames import largest_sorted_group

    # one group column in order (a split over village rows): its largest group is its longest run
    largest = largest_sorted_group(f.get_column(groups[0])) if len(groups) == 1 else None
    stats = f.select(pl.col("_pool").max().alias("p"), pl.col("_w").max().alias("w"),
                     (pl.lit(largest) if largest is not None else pl.len().over(groups).max()).alias("n"),
                     pl.col("_pool").min().alias("p0"), pl.col("_w").min().alias("w0")).row(0)
    pool, w, n, pool_min, w_min = (int(x or 0) for x in stats)
    big = max(w * max(pool, 1), w * max(n, 1))
    if big >= INT128_SAFE:
        return 129
    return 64 if big < 2**62 and pool_min >= 0 and w_min >= 0 else 128


def _split_exact_python(f: pl.DataFrame, groups: list[str]) -> pl.Series:
    """The largest-remainder split of :func:`split_by_weight` on Python integers (rows already in
    tie-break order within each group)."""
    import polars as pl
    keys = f.select(groups).rows()
    pools = f["_pool"].to_list()
    weights = [int(w) for w in f["_w"].to_list()]
    members: dict[tuple[object, ...], list[int]] = {}
    for i, key in enumerate(keys):
        members.setdefault(key, []).append(i)
    out = [0] * f.height
    for rows in members.values():
        lines = apportion(int(pools[rows[0]]), [weights[i] for i in rows])
        for i, fen in zip(rows, lines):
            out[i] = fen
    return pl.Series("fen", out, dtype=pl.Int64)
