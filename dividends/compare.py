"""The question every village asks before changing its rules: who gets how much more or less?

Two schemes (or two versions of one) on the same registry and returns; per household and per
account the two amounts and the difference, and totals by household status.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl

from dividends.compute import Computation, Inputs, allocate_checked, compute, resolve_scheme

STATUS_ORDER = ["poor", "exited", "monitored", "non_poor"]


@dataclass(frozen=True)
class Comparison:
    a: Computation
    b: Computation
    lines: pl.DataFrame  # village_id, recipient_kind, recipient_id, status, a_fen, b_fen, difference_fen
    by_status: pl.DataFrame  # status, households, a_fen, b_fen, difference_fen, gain, loss


def compare(inputs: Inputs, other_scheme: str) -> Comparison:
    """Compute ``inputs`` under its scheme and under ``other_scheme`` (registry read once)."""
    a = compute(inputs)
    b = allocate_checked(replace(inputs, scheme=other_scheme), resolve_scheme(other_scheme), a.registry, a.returns,
                         a.reference_date, extra=a.extra)

    def amounts(c: Computation, name: str) -> pl.DataFrame:
        hh = c.allocation.households.select(
            "village_id", pl.lit("household").alias("recipient_kind"), pl.col("household_id").alias("recipient_id"),
            "status", pl.col("amount_fen").alias(name))
        acc = c.allocation.accounts.select(
            "village_id", pl.lit("account").alias("recipient_kind"), pl.col("account").alias("recipient_id"),
            pl.lit("").alias("status"), pl.col("amount_fen").alias(name))
        return pl.concat([acc, hh])

    keys = ["village_id", "recipient_kind", "recipient_id", "status"]
    lines = (
        amounts(a, "a_fen").join(amounts(b, "b_fen"), on=keys, how="full", coalesce=True)
        .with_columns(pl.col("a_fen").fill_null(0), pl.col("b_fen").fill_null(0))
        .with_columns((pl.col("b_fen") - pl.col("a_fen")).alias("difference_fen"))
        .filter((pl.col("a_fen") != 0) | (pl.col("b_fen") != 0))
        .sort("village_id", "recipient_kind", "recipient_id")
    )
    households = lines.filter(pl.col("recipient_kind") == "household")
    by_status = (
        households.group_by("status").agg(
            pl.len().alias("households"), pl.col("a_fen").sum(), pl.col("b_fen").sum(),
            pl.col("difference_fen").sum(), (pl.col("difference_fen") > 0).sum().alias("gain"),
            (pl.col("difference_fen") < 0).sum().alias("loss"),
        )
        .with_columns(pl.col("status").replace_strict({s: i for i, s in enumerate(STATUS_ORDER)}, default=9).alias("_o"))
        .sort("_o").drop("_o")
    )
    return Comparison(a, b, lines, by_status)
