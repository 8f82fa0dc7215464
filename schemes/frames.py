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
