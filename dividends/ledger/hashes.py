"""Entry hashes: each covers the entry and the previous entry's hash, chaining a village's journal.

The bytes hashed for an entry are one line of JSON (ASCII, no spaces) holding the format tag,
the previous hash and the entry's fields, then the postings as CSV with a header, sorted by
account then amount, ``\\n`` line ends::

    ["dividends.ledger/1","000…000","V0001",1,"2025-01-20","return","R1","return:R1","…"]
    account,amount_fen
    Assets:Bank:V0001,1000000
    Income:AssetReturn:V0001,-1000000

The JSON line cannot contain a newline, so the two parts cannot be confused, and a change to any
field, account or amount (or to the previous hash) changes the hash. Editing an entry therefore
breaks its own hash; deleting or swapping entries breaks the next entry's ``prev_hash`` or the
``seq`` order; only a rewrite of the whole chain from the edit onwards keeps it consistent, which
a head recorded elsewhere (:class:`ChainHead`, for example printed in the audit pack) exposes.
The postings are written by polars, so a million-posting entry hashes in well under a second.
"""
from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass

from dividends.ledger.entries import Entry, EntryDraft

FORMAT = "dividends.ledger/1"


@dataclass(frozen=True)
class ChainHead:
    """The last entry of a village's chain, kept apart from the chain so that deleting entries at
    the end (or rewriting the chain) can be detected."""

    seq: int
    hash: str


def head_of(entries: Sequence[Entry]) -> ChainHead | None:
    return ChainHead(entries[-1].seq, entries[-1].hash) if entries else None


def hashed_bytes(prev_hash: str, seq: int, entry: EntryDraft) -> bytes:
    """The exact bytes :func:`entry_hash` digests (see the module docstring)."""
    header = json.dumps(
        [FORMAT, prev_hash, entry.village_id, seq, entry.on.isoformat(), entry.kind, entry.run_id,
         entry.ref, entry.narration],
        ensure_ascii=True, separators=(",", ":"),
    ).encode("ascii")
    buffer = io.BytesIO()
    # Sorting a frame that is already sorted costs a few milliseconds per million rows.
    entry.postings.select("account", "amount_fen").sort("account", "amount_fen").write_csv(
        buffer, line_terminator="\n")
    return header + b"\n" + buffer.getvalue()


def entry_hash(prev_hash: str, entry: Entry) -> str:
    """SHA-256 (hex) of the entry at ``entry.seq`` after an entry whose hash is ``prev_hash``."""
    return digest(prev_hash, entry.seq, entry)


def digest(prev_hash: str, seq: int, entry: EntryDraft) -> str:
    """The hash ``entry`` gets at position ``seq`` after ``prev_hash`` (drafts have no seq yet)."""
    return hashlib.sha256(hashed_bytes(prev_hash, seq, entry)).hexdigest()
