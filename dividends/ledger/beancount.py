"""Writing entries as a Beancount file that ``bean-check`` accepts.

The file holds the options, an ``open`` for every account used (dated on its first use, in
(date, account) order), then the transactions in (date, village, seq) order::

    option "title" "Asset-return dividends"
    option "operating_currency" "CNY"

    2025-01-20 open Assets:Bank:V0001 CNY
    ...

    2025-01-20 * "accrual" "运行 R1 批准：…"
      village: "V0001"
      run: "R1"
      ref: "accrual:R1"
      seq: 2
      prev_hash: "9c1e…"
      hash: "5b7d…"
      Equity:Collective:V0001:Collective--d867c55b793d0858  -100.00 CNY
      Expenses:DistributablePool:V0001  1000.00 CNY
      ...

Amounts are written from integer fen by polars string expressions (no floats, no per-posting
Python): ``-12345 -> "-123.45"``. The metadata carry the chain (seq, prev_hash, hash), so an
auditor can tie every transaction back to the database's chain. The writer does not check the
entries; :func:`dividends.ledger.checks.verify` (or :func:`~dividends.ledger.chain.chain`, for new
entries) has done that.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

import polars as pl

from dividends.ledger.entries import Entry

CURRENCY = "CNY"
DEFAULT_TITLE = "Asset-return dividends"

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quote(text: str) -> str:
    """A Beancount string literal: ``quote('say "hi"')`` -> ``"say \\"hi\\""``."""
    return '"' + "".join(_ESCAPES.get(c, c) for c in text) + '"'


def yuan_text(amount_fen: pl.Expr) -> pl.Expr:
    """Integer fen to an exact decimal yuan text: ``-5 -> "-0.05"``, ``123450 -> "1234.50"``."""
    fen = amount_fen.cast(pl.Int128)
    magnitude = fen.abs()
    return pl.concat_str(
        pl.when(fen < 0).then(pl.lit("-")).otherwise(pl.lit("")),
        (magnitude // 100).cast(pl.String),
        pl.lit("."),
        (magnitude % 100).cast(pl.String).str.zfill(2),
    )


def _header(entry: Entry) -> str:
    lines = [
        f"{entry.on.isoformat()} * {quote(entry.kind)} {quote(entry.narration)}",
        f"  village: {quote(entry.village_id)}",
        f"  run: {quote(entry.run_id)}",
        f"  ref: {quote(entry.ref)}",
        f"  seq: {int(entry.seq)}",
        f"  prev_hash: {quote(entry.prev_hash)}",
        f"  hash: {quote(entry.hash)}",
    ]
    return "\n".join(lines)


def write_beancount(entries: Iterable[Entry], out: TextIO, *, title: str = DEFAULT_TITLE) -> None:
    """Write ``entries`` (any villages, any order) to ``out`` as one Beancount file."""
    ordered = sorted(entries, key=lambda e: (e.on, e.village_id, e.seq))
    out.write(f"option \"title\" {quote(title)}\n")
    out.write(f"option \"operating_currency\" \"{CURRENCY}\"\n")
    if not ordered:
        return
    postings = pl.concat([
        e.postings.select(
            pl.lit(i, pl.UInt32).alias("_entry"), pl.lit(e.on, pl.Date).alias("_on"),
            pl.col("account").cast(pl.String), pl.col("amount_fen").cast(pl.Int64),
        )
        for i, e in enumerate(ordered)
    ], rechunk=True)

    # Entries are in date order, so an account's first appearance is its first use; keeping
    # that order makes the sort below almost free (group_by would scramble it).
    opens = (
        postings.select("_on", "account").unique(subset="account", keep="first", maintain_order=True)
        .sort("_on", "account")
    )
    open_lines = opens.select(pl.concat_str(
        pl.col("_on").dt.to_string("%Y-%m-%d"), pl.lit(" open "), "account", pl.lit(f" {CURRENCY}"),
    ).alias("line"))["line"]
    out.write("\n")
    out.write(open_lines.str.join("\n").item())
    out.write("\n")

    blocks = (
        postings.select(
            "_entry",
            pl.concat_str(pl.lit("  "), "account", pl.lit("  "), yuan_text(pl.col("amount_fen")),
                          pl.lit(f" {CURRENCY}")).alias("line"),
        )
        .group_by("_entry", maintain_order=True)
        .agg(pl.col("line").str.join("\n"))
        .sort("_entry")
    )
    by_entry = dict(zip(blocks["_entry"].to_list(), blocks["line"].to_list(), strict=True))
    for i, entry in enumerate(ordered):
        out.write("\n")
        out.write(_header(entry))
        body = by_entry.get(i)
        if body:
            out.write("\n")
            out.write(body)
        out.write("\n")

