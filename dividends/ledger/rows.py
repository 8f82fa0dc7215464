"""Entries as table rows and back: one row per entry, one row per posting.

The store keeps entries in a table keyed by ``(village_id, seq)`` with ``(village_id, ref)``
unique (the idempotency key), and postings in a table keyed by the entry; bulk paths insert
:func:`posting_rows` with the driver's copy/bulk API. Reading back, pass the rows in the order
stored (``ORDER BY village_id, seq``): :func:`~dividends.ledger.checks.verify` judges that order.
"""
from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from dividends.ledger.entries import Entry

ENTRY_SCHEMA: dict[str, pl.DataType] = {
    "village_id": pl.String(), "seq": pl.Int64(), "on": pl.Date(), "kind": pl.String(), "run_id": pl.String(),
    "ref": pl.String(), "narration": pl.String(), "prev_hash": pl.String(), "hash": pl.String(),
}
POSTING_KEY = ("village_id", "seq")


def entry_rows(entries: Iterable[Entry]) -> pl.DataFrame:
    """One row per entry (no postings), columns :data:`ENTRY_SCHEMA`."""
    return pl.DataFrame([e.row() for e in entries], schema=ENTRY_SCHEMA, orient="row")


def posting_rows(entries: Iterable[Entry]) -> pl.DataFrame:
    """``[village_id, seq, account, amount_fen]`` for every posting of ``entries``."""
    frames = [e.postings.select(pl.lit(e.village_id, pl.String).alias("village_id"),
                                pl.lit(e.seq, pl.Int64).alias("seq"), "account", "amount_fen")
              for e in entries]
    if not frames:
        return pl.DataFrame(schema={"village_id": pl.String, "seq": pl.Int64, "account": pl.String,
                                    "amount_fen": pl.Int64})
    return pl.concat(frames, rechunk=True)


def entries_from_rows(entries: pl.DataFrame, postings: pl.DataFrame) -> dict[str, list[Entry]]:
    """Rebuild entries from table rows, by village, in row order. Postings are matched on
    ``(village_id, seq)`` and keep the types they were read with (verify reports non-integer
    money rather than this function hiding it)."""
    groups = postings.partition_by(list(POSTING_KEY), as_dict=True, include_key=False, maintain_order=True)
    empty = postings.clear().drop(list(POSTING_KEY))
    out: dict[str, list[Entry]] = {}
    for row in entries.iter_rows(named=True):
        frame = groups.get((row["village_id"], row["seq"]), empty)
        out.setdefault(row["village_id"], []).append(Entry(
            row["village_id"], row["on"], row["kind"], row["run_id"], row["ref"], row["narration"],
            frame.select("account", "amount_fen"), seq=row["seq"], prev_hash=row["prev_hash"], hash=row["hash"]))
    return out

