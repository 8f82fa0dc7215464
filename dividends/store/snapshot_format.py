"""The stored registry snapshot format: how a validated registry is kept as files.

Version 1 (``csv-v1``): one CSV file per kind (households, members, posts), UTF-8, LF line ends,
English column names of :mod:`dividends.registry.columns`, every value as text: money in yuan
with two decimals (``capital_yuan``), flags ``yes``/``no``, dates ``YYYY-MM-DD``. The bytes are
content-addressed (their SHA-256 is the snapshot's file reference), so the same registry always
stores the same bytes. The registry reader reads these files back like any village's file.

Version 2 (``parquet-v2``): the same canonical CSV files (still the snapshot's file references:
they are what the audit pack copies, byte for byte, so packs verify as before), plus the validated
registry frames of the village (households, members, posts; typed columns exactly as the reader
returns them) as one Parquet file each, content-addressed too. The snapshot records its format
and the SHA-256 of each Parquet file; ``run compute`` loads the frames whose bytes still hash to
the recorded digest instead of re-reading and re-validating the CSV files (they were validated at
import). A snapshot stored in version 1 has no frames and is read from its CSV files.
"""
from __future__ import annotations

from typing import Literal

import io

import polars as pl

from dividends.registry.columns import HOUSEHOLD_COLUMNS, MEMBER_COLUMNS, POST_COLUMNS, RETURN_COLUMNS, ColumnSpec

FORMAT = "csv-v1"  # the format of the canonical CSV files (every version keeps them)
CSV_V1 = "csv-v1"
PARQUET_V2 = "parquet-v2"
CURRENT = PARQUET_V2  # the format new snapshots are stored in
FORMATS = (CSV_V1, PARQUET_V2)
FRAME_KINDS = ("households", "members", "posts")  # keys of a snapshot's ``frames`` (Registry: persons=members)
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


def frame_parquet(frame: pl.DataFrame) -> bytes:
    """A validated registry frame as Parquet bytes (the same frame always gives the same bytes
    with one polars version; the digest, not the bytes, is what is compared)."""
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd", statistics=False)
    return buffer.getvalue()


def read_frame_parquet(data: bytes) -> pl.DataFrame:
    return pl.read_parquet(io.BytesIO(data))
