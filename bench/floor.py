"""The floor of ``dividends compute`` (issue 13): the least a polars program does for the same job.

    python bench/floor.py HOUSEHOLDS.csv RETURNS.csv OUT_DIR

Reads the households and returns CSV files, splits every village's return 3:7 (30% to the
collective, 70% to the households holding shares, by shares) with largest remainder in integer
fen, and writes ``allocations.csv``. No validation, no guarantee step, no invariants, no
manifest: what any program doing this computation cannot avoid. ``bench/compute.py --process``
runs it beside the whole ``dividends compute`` process on the same files.
"""
from __future__ import annotations

import sys
from pathlib import Path

import polars as pl


def main(households: Path, returns: Path, out: Path) -> None:
    h = pl.read_csv(households, columns=["household_id", "village_id", "shares"],
                    schema_overrides={"household_id": pl.String, "village_id": pl.String, "shares": pl.Int64})
    r = pl.read_csv(returns, schema_overrides={"village_id": pl.String, "amount_yuan": pl.String})
    parts = r["amount_yuan"].str.split_exact(".", 1)
    r = r.select("village_id", (parts.struct.field("field_0").cast(pl.Int64) * 100
                                + parts.struct.field("field_1").str.pad_end(2, "0").cast(pl.Int64)).alias("pool_fen"))
    r = r.with_columns(collective_fen=pl.col("pool_fen") * 3 // 10)
    f = h.filter(pl.col("shares") > 0).join(r, on="village_id").sort("village_id", "household_id")
    n = (pl.col("pool_fen") - pl.col("collective_fen")).cast(pl.Int128) * pl.col("shares")
    d = pl.col("shares").sum().over("village_id")
    f = f.with_columns(_q=n // d, _r=n % d)
    f = f.with_columns(_left=(pl.col("pool_fen") - pl.col("collective_fen")) - pl.col("_q").sum().over("village_id"),
                       _rank=pl.col("_r").rank("ordinal", descending=True).over("village_id"))
    f = f.select("village_id", "household_id",
                 (pl.col("_q") + (pl.col("_rank") <= pl.col("_left")).cast(pl.Int128)).cast(pl.Int64).alias("fen"))
    collective = r.select("village_id", pl.lit("collective").alias("household_id"), pl.col("collective_fen").alias("fen"))
    out.mkdir(parents=True, exist_ok=True)
    pl.concat([collective, f]).sort("village_id", "household_id").write_csv(out / "allocations.csv")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
