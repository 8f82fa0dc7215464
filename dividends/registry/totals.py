"""Checking a sheet's totals rows (合计/小计) against the sums of its data rows.

A subtotal row (小计) holds the sum of the data rows since the previous subtotal row; a totals
row (合计, 总计, 共计) the sum of every data row above it. A cell of a totals row that differs
from that sum is a problem on the totals row: a household row is missing, doubled or changed
after the totals were made, and the accountant must find out which before money is paid.
Columns with an invalid data cell are not compared (that cell is reported already), nor empty
or unreadable totals cells.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import polars as pl

from dividends.registry.reading import ROW, Table
from schemes.i18n import Msg
from schemes.money import format_yuan
from schemes.problems import Problem

Parser = Callable[[pl.Expr], pl.Expr]


def totals_problems(
    table: Table, parsed: pl.DataFrame, columns: Mapping[str, tuple[str, Parser, bool]]
) -> list[Problem]:
    """``columns``: canonical column -> (parsed column in ``parsed``, its parser, is money)."""
    totals = table.totals
    if totals is None or totals.height == 0 or parsed.height == 0:
        return []
    present = [c for c in columns if c in totals.columns]
    if not present:
        return []
    boundaries = totals.get_column(ROW).sort()
    rows = parsed.get_column(ROW)
    segment = boundaries.search_sorted(rows, side="left").alias("_segment")
    data = parsed.select(*(pl.col(columns[c][0]).alias(c) for c in present)).with_columns(segment)
    sums = (
        data.group_by("_segment")
        .agg(*(pl.col(c).sum() for c in present), *(pl.col(c).null_count().alias(f"_bad_{c}") for c in present))
        .sort("_segment")
    )
    by_segment = {r["_segment"]: r for r in sums.iter_rows(named=True)}
    stated = totals.sort(ROW).select(
        ROW, "_subtotal", *(columns[c][1](pl.col(c)).alias(c) for c in present)
    )
    problems: list[Problem] = []
    previous_subtotal = -1
    for k, record in enumerate(stated.iter_rows(named=True)):
        first = previous_subtotal + 1 if record["_subtotal"] else 0
        for column in present:
            value = record[column]
            if value is None:
                continue
            parts = [by_segment.get(j) for j in range(first, k + 1)]
            if any(p is not None and p[f"_bad_{column}"] for p in parts):
                continue
            expected = sum(int(p[column] or 0) for p in parts if p is not None)
            if expected != value:
                money = columns[column][2]
                problems.append(
                    table.problem(
                        Msg(
                            "registry.totals_mismatch",
                            label=Msg("registry.subtotal" if record["_subtotal"] else "registry.total"),
                            found=format_yuan(value) if money else value,
                            expected=format_yuan(expected) if money else expected,
                        ),
                        record[ROW],
                        column,
                    )
                )
        if record["_subtotal"]:
            previous_subtotal = k
    return problems
