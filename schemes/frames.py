"""Small frame helpers shared by the engine and the registry reader."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl


def ordered_distinct(values: pl.Series) -> bool:
    """True when ``values`` (no nulls) are in order and no two neighbours are equal: then no
    value occurs twice, known with one comparison per row (a registry is usually kept in id
    order) instead of hashing every value. False means only: ask a general check."""
    if values.len() < 2:
        return True
    if values.null_count() or not values.is_sorted():
        return False
    return not (values.slice(1) == values.slice(0, values.len() - 1)).any()


def largest_sorted_group(keys: pl.Series) -> int | None:
    """The size of the largest group of equal ``keys`` when they are in order without nulls
    (rows of one village are together): the longest run, found in one pass instead of a window
    over every row. None when not in order (ask ``pl.len().over(...)``)."""
    if keys.null_count() or not keys.is_sorted():
        return None
    return int(keys.rle().struct.field("len").max() or 0) if keys.len() else 0
