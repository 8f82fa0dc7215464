"""schemes.frames.ordered_distinct: the fast answer to "no value twice" for ordered ids."""
from __future__ import annotations

import polars as pl
import pytest

from schemes.frames import ordered_distinct


@pytest.mark.parametrize(("values", "expected"), [
    ([], True),
    (["a"], True),
    (["a", "b", "c"], True),
    (["a", "b", "b"], False),  # neighbours equal
    (["b", "a"], False),  # not in order: a general check must answer
    (["a", "c", "b", "a"], False),
    (["a", None], False),  # nulls: the general check
    ([1, 2, 3], True),
    ([1, 1], False),
])
def test_ordered_distinct(values: list[object], expected: bool) -> None:
    assert ordered_distinct(pl.Series("id", values)) is expected


def test_never_true_when_a_value_repeats() -> None:
    for values in (["a", "b", "a"], ["x", "x"], ["a", "b", "c", "a"]):
        series = pl.Series("id", values)
        assert not ordered_distinct(series) or series.n_unique() == series.len()
