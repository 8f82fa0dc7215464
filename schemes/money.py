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

_YUAN = re.compile(r"^(?P<sign>-)?(?P<int>\d+)(?:\.(?P<frac>\d{0,2}))?$")
_YUAN_GROUPED = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d*)?$")
_PERCENT = re.compile(r"^(?P<int>\d+)(?:\.(?P<frac>\d+))?%?$")
_DECIMAL = re.compile(r"^(?P<int>\d+)(?:\.(?P<frac>\d+))?$")
_FRACTION = re.compile(r"^(?P<num>\d+)\s*/\s*(?P<den>\d+)%?$")


class MoneyFormatError(ValueError):
    """A text that is not an exact yuan amount (at most two decimals)."""


class PrecisionError(MoneyFormatError):
    """A well-formed number finer than a scheme may write (too many decimals, too large a
    denominator or too many digits): refused so that every valid scheme computes exactly."""


def parse_yuan(text: str | int, *, allow_negative: bool = False) -> int:
    """Parse a decimal yuan amount to fen, exactly. Accepts ``1234``, ``1234.5``, ``1,234.50``."""
    if isinstance(text, bool):
        raise MoneyFormatError(str(text))
    if isinstance(text, int):
        fen = text * FEN_PER_YUAN
    else:
        s = text.strip().replace("¥", "").replace("￥", "").strip()
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

I128 = pl.Int128


def hamilton(frame: pl.DataFrame, numerator: pl.Expr, denominator: pl.Expr, total: pl.Expr,
             group: str | list[str]) -> pl.Series:
    """Largest-remainder rounding of quotas ``numerator / denominator`` to integers summing to
    ``total`` within each ``group`` of ``frame``'s rows.

    ``denominator`` and ``total`` are constant within a group. Rows must already be in
    tie-break order (recipient id) within each group: ties in the remainder go to the earlier
    row. A group whose denominator is 0 gets all zeros. Arithmetic runs in Int128, so
    ``pool * weight`` cannot wrap; the result is Int64 fen. The window steps run on
    materialised columns (much faster in polars than one nested expression).
    """
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
    groups = [group] if isinstance(group, str) else list(group)
    f = frame.select(*[pl.col(g) for g in groups], pool.cast(I128).alias("_pool"), weight.cast(I128).alias("_w"))
    if f.height and _too_big_for_int128(f, groups):
        return _split_exact_python(f, groups)
    f = f.with_columns(_W=pl.col("_w").sum().over(groups))
    return hamilton(f, pl.col("_pool") * pl.col("_w"), pl.col("_W"), pl.col("_pool"), groups)


def _too_big_for_int128(f: pl.DataFrame, groups: list[str]) -> bool:
    """Whether ``pool * weight`` or a group's weight sum may reach :data:`INT128_SAFE`."""
    stats = f.select(pl.col("_pool").max().alias("p"), pl.col("_w").max().alias("w"),
                     pl.len().over(groups).max().alias("n")).row(0)
    pool, w, n = (int(x or 0) for x in stats)
    return w * max(pool, 1) >= INT128_SAFE or w * max(n, 1) >= INT128_SAFE


def _split_exact_python(f: pl.DataFrame, groups: list[str]) -> pl.Series:
    """The largest-remainder split of :func:`split_by_weight` on Python integers (rows already in
    tie-break order within each group)."""
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
