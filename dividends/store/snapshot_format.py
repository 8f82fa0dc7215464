"""The stored registry snapshot format: how a validated registry is kept as files.

Version 1 (``csv-v1``): one CSV file per kind (households, members, posts), UTF-8, LF line ends,
English column names of :mod:`dividends.registry.columns`, every value as text: money in yuan
with two decimals (``capital_yuan``), flags ``yes``/``no``, dates ``YYYY-MM-DD``. The bytes are
content-addressed (their SHA-256 is the snapshot's file reference), so the same registry always
stores the same bytes. The registry reader reads these files back like any village's file.
"""
from __future__ import annotations

from typing import Literal

import polars as pl

from dividends.registry.columns import HOUSEHOLD_COLUMNS, MEMBER_COLUMNS, POST_COLUMNS, RETURN_COLUMNS, ColumnSpec

FORMAT = "csv-v1"
Kind = Literal["households", "persons", "posts", "returns"]
SPECS: dict[str, tuple[ColumnSpec, ...]] = {
    "households": HOUSEHOLD_COLUMNS,
    "persons": MEMBER_COLUMNS,
    "posts": POST_COLUMNS,
    "returns": RETURN_COLUMNS,
}


def digits(value: pl.Expr, width: int) -> pl.Expr:
    """``value`` (0 <= value < 10**width) with leading zeros (faster than ``str.zfill``)."""
    padded: pl.Expr = (value + 10**width).cast(pl.String)
    return padded.str.slice(1)


def yuan_text(fen: pl.Expr) -> pl.Expr:
    """Integer fen as yuan text with two decimals (``12345`` -> ``123.45``); never negative here."""
    return pl.concat_str((fen // 100).cast(pl.String), pl.lit("."), digits(fen % 100, 2))


def canonical_frame(kind: Kind, frame: pl.DataFrame) -> pl.DataFrame:
    """A validated registry frame of ``kind`` as the text the stored file holds (every column
    String, English names, in the order of the column specs)."""
    def flag(name: str) -> pl.Expr:
        return pl.when(pl.col(name)).then(pl.lit("yes")).otherwise(pl.lit("no")).alias(name)

    if kind == "households":
        return frame.select(
            "household_id", "village_id", "head_name", "id_number", "phone",
            pl.col("members").cast(pl.String), pl.col("able_members").cast(pl.String), "status",
            pl.col("shares").cast(pl.String), yuan_text(pl.col("capital_fen")).alias("capital_yuan"),
            "account_no", "bank", "language",
        )
    if kind == "persons":
        return frame.select("household_id", "name", pl.col("birth_date").dt.to_string("%Y-%m-%d"),
                            flag("able_to_work"), flag("student"))
    if kind == "posts":
        return frame.with_columns(pl.col("months_served").cast(pl.String))
    if kind == "returns":
        return frame.select("village_id", yuan_text(pl.col("amount_fen")).alias("amount_yuan"))
    raise ValueError(f"unknown kind {kind!r}")
