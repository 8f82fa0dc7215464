"""Journal entries: a draft (not yet in the chain) and a posted entry (in the chain).

An entry's postings are a polars frame ``[account String, amount_fen Int64]``, debits positive
and credits negative (Beancount's convention), so an entry with a million household payables is
one frame, not a million objects. Drafting functions give postings in canonical order (account,
then amount; UTF-8 byte order, which is also Python's string order), so an entry's hash does not
depend on the order its lines were built in.

The records are frozen and map to two tables: one row per entry (:meth:`EntryDraft.row` without
the postings) and one row per posting. Polars frames can be changed in place; the records keep
their own copy, and :func:`dividends.ledger.checks.verify` notices any change to a posted one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import polars as pl

from schemes.i18n import Msg

Kind = Literal["return", "brought_forward", "debt", "accrual", "settlement", "reversal"]
KINDS: tuple[Kind, ...] = ("return", "brought_forward", "debt", "accrual", "settlement", "reversal")

POSTINGS_SCHEMA: dict[str, pl.DataType] = {"account": pl.String(), "amount_fen": pl.Int64()}
ZERO_HASH = "0" * 64


class DraftError(ValueError):
    """Drafting refused: the input would give a wrong entry (a bug upstream, never posted)."""

    def __init__(self, msg: Msg) -> None:
        self.msg = msg
        super().__init__(msg.text("en"))

    def text(self, lang: str | None = None) -> str:
        return self.msg.text(lang)


def canonical_postings(frame: pl.DataFrame) -> pl.DataFrame:
    """``[account, amount_fen]`` sorted by account then amount; amounts must already be integers.

    >>> canonical_postings(pl.DataFrame({"amount_fen": [-5, 5], "account": ["Income:A", "Assets:A"]})).rows()
    [('Assets:A', 5), ('Income:A', -5)]
    """
    dtype = frame.schema.get("amount_fen")
    if dtype is None or "account" not in frame.columns:
        raise TypeError(f"postings need the columns account and amount_fen, found {frame.columns}")
    if not dtype.is_integer():
        raise TypeError(f"amount_fen must be integer fen, found {dtype}")
    return (
        frame.select(pl.col("account").cast(pl.String), pl.col("amount_fen").cast(pl.Int64, strict=True))
        .sort("account", "amount_fen")
    )


def postings_of(pairs: list[tuple[str, int]]) -> pl.DataFrame:
    """Canonical postings from a few ``(account, amount_fen)`` pairs (small entries, tests)."""
    frame = pl.DataFrame(pairs, schema=POSTINGS_SCHEMA, orient="row")
    return canonical_postings(frame)


def _check_date(on: object) -> None:
    # A datetime is a date too, but its isoformat() would put a time into the hash.
    if not isinstance(on, date) or isinstance(on, datetime):
        raise TypeError(f"on must be a datetime.date, found {type(on).__name__}")


@dataclass(frozen=True, eq=False)
class EntryDraft:
    """An entry not yet in a village's chain. ``ref`` is its idempotency key: unique per village
    (the database's unique key is ``(village_id, ref)``)."""

    village_id: str
    on: date
    kind: str
    run_id: str
    ref: str
    narration: str
    postings: pl.DataFrame

    def __post_init__(self) -> None:
        _check_date(self.on)
        object.__setattr__(self, "postings", self.postings.clone())

    def _fields(self) -> tuple[Any, ...]:
        return (self.village_id, self.on, self.kind, self.run_id, self.ref, self.narration)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, EntryDraft)
        return self._fields() == other._fields() and self.postings.equals(other.postings)

    def __hash__(self) -> int:
        return hash(self._fields())

    def total_debits(self) -> int:
        """The sum of the positive postings, exactly (Int128 for a million large lines)."""
        return int(self.postings.select(pl.col("amount_fen").cast(pl.Int128).clip(lower_bound=0).sum()).item())

    def row(self) -> dict[str, Any]:
        """The entry's scalar fields, for the entries table (postings go to their own table)."""
        return {"village_id": self.village_id, "on": self.on, "kind": self.kind, "run_id": self.run_id,
                "ref": self.ref, "narration": self.narration}


@dataclass(frozen=True, eq=False)
class Entry(EntryDraft):
    """A posted entry: the draft plus its place in the village's chain.

    ``seq`` counts 1, 2, 3... per village; ``prev_hash`` is the previous entry's ``hash``
    (:data:`ZERO_HASH` for the first); ``hash`` is :func:`dividends.ledger.chain.entry_hash`.
    """

    seq: int
    prev_hash: str
    hash: str

    def _fields(self) -> tuple[Any, ...]:
        return (*super()._fields(), self.seq, self.prev_hash, self.hash)

    def __hash__(self) -> int:
        return hash(self._fields())

    @property
    def draft(self) -> EntryDraft:
        return EntryDraft(self.village_id, self.on, self.kind, self.run_id, self.ref, self.narration, self.postings)

    def row(self) -> dict[str, Any]:
        return {**super().row(), "seq": self.seq, "prev_hash": self.prev_hash, "hash": self.hash}
