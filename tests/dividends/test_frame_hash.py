"""sha256_frame renders a frame in slices: the digest must equal hashing the whole canonical CSV
(the content hash of every stored run and audit pack depends on it)."""
from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from dividends.hashing import frame_csv, sha256_bytes, sha256_frame


def _frame(n: int) -> pl.DataFrame:
    return pl.DataFrame({
        "household_id": [f"H{i:07d}" for i in range(n)],
        "name": [("张, \"三\"\n" if i % 7 == 0 else f"n{i}") for i in range(n)],
        "shares": [i if i % 5 else None for i in range(n)],
        "birth": [date(1950 + i % 60, 1 + i % 12, 1 + i % 28) for i in range(n)],
        "student": [bool(i % 2) if i % 3 else None for i in range(n)],
        "ratio": [i / 7 for i in range(n)],
    })


@pytest.mark.parametrize("n", [0, 1, 9, 10, 11, 25, 30])
@pytest.mark.parametrize("rows", [1, 10, 100_000])
def test_sliced_hash_equals_the_hash_of_the_whole_csv(n: int, rows: int) -> None:
    frame = _frame(n)
    assert sha256_frame(frame, rows=rows) == sha256_bytes(frame_csv(frame))


def test_default_slices_on_a_frame_larger_than_one_slice() -> None:
    frame = _frame(250_001)
    assert sha256_frame(frame) == sha256_bytes(frame_csv(frame))


def test_a_frame_without_columns_hashes_as_before() -> None:
    frame = pl.DataFrame()
    assert sha256_frame(frame) == sha256_bytes(frame_csv(frame))
