"""The ledger's invariants as small checks that return errors (they never raise on bad data).

Each check takes a village and that village's entries *in stored order* (the database's
``ORDER BY seq``, or the order of a file) and returns :class:`LedgerError` values. What each
tampering looks like:

============================================ ===============================================
change                                       found by
============================================ ===============================================
an amount, account, date or narration edited ``hashes`` (and ``balanced`` for an amount)
a posting deleted or added                   ``hashes`` (and ``balanced``)
the first entry deleted                      ``chain_links``: starts at #2, prev_hash not zeros
an entry in the middle deleted               ``chain_links``: seq gap, prev_hash mismatch
two entries swapped                          ``chain_links``: seq order, prev_hash mismatch
the last entry deleted                       only a recorded head (:func:`head`)
an edited entry with every later hash redone only a recorded head
============================================ ===============================================
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import polars as pl

import dividends.ledger.messages  # noqa: F401
from dividends.ledger.accounts import invalid_accounts
from dividends.ledger.entries import ZERO_HASH, Entry
from dividends.ledger.hashes import ChainHead, entry_hash
from schemes.i18n import Msg
from schemes.money import format_yuan

SHORT = 12  # hash digits shown in messages


@dataclass(frozen=True)
class LedgerError:
    """One thing wrong with a village's ledger. ``seq`` is the entry concerned (``None``: the
    chain as a whole)."""

    village_id: str
    seq: int | None
    code: str
    msg: Msg

    def text(self, lang: str | None = None) -> str:
        return self.msg.text(lang)


Check = Callable[[str, Sequence[Entry]], list[LedgerError]]


def _short(digest: str) -> str:
    return digest[:SHORT] if len(digest) > SHORT else digest


def _well_formed(entry: Entry) -> bool:
    """Postings with an integer amount column and an account column (else only
    :func:`amounts_are_integers` speaks about the entry)."""
    schema = entry.postings.schema
    amount = schema.get("amount_fen")
    return "account" in schema and amount is not None and amount.is_integer()


def amounts_are_integers(village_id: str, entries: Sequence[Entry]) -> list[LedgerError]:
    """Postings are ``[account String, amount_fen Int64]`` without nulls: money is integer fen."""
    errors: list[LedgerError] = []
    for entry in entries:
        schema = entry.postings.schema
        for column, expected in (("account", pl.String()), ("amount_fen", pl.Int64())):
            found = schema.get(column)
            if found != expected:
                errors.append(LedgerError(village_id, entry.seq, "amount_type", Msg(
                    "ledger.amount_type", village=village_id, seq=entry.seq, column=column,
                    expected=str(expected), found=str(found) if found is not None else "-")))
            else:
                nulls = entry.postings[column].null_count()
                if nulls:
                    errors.append(LedgerError(village_id, entry.seq, "amount_null", Msg(
                        "ledger.amount_null", village=village_id, seq=entry.seq, column=column, count=nulls)))
    return errors


def no_empty_entries(village_id: str, entries: Sequence[Entry]) -> list[LedgerError]:
    return [
        LedgerError(village_id, e.seq, "empty", Msg("ledger.empty", village=village_id, seq=e.seq))
        for e in entries if e.postings.height == 0
    ]


def balanced(village_id: str, entries: Sequence[Entry]) -> list[LedgerError]:
    """Every entry's postings sum to zero (summed in Int128: a million Int64 lines cannot wrap)."""
    errors: list[LedgerError] = []
    for entry in entries:
        if not _well_formed(entry):
            continue
        total = int(entry.postings.select(pl.col("amount_fen").cast(pl.Int128).sum()).item() or 0)
        if total != 0:
            errors.append(LedgerError(village_id, entry.seq, "unbalanced", Msg(
                "ledger.unbalanced", village=village_id, seq=entry.seq, found=format_yuan(total))))
    return errors


def account_names(village_id: str, entries: Sequence[Entry]) -> list[LedgerError]:
    """Every account is a name Beancount accepts (so the export always loads)."""
    errors: list[LedgerError] = []
    for entry in entries:
        if "account" not in entry.postings.columns or entry.postings.schema["account"] != pl.String():
            continue
        bad = invalid_accounts(entry.postings["account"].drop_nulls())
        if bad:
            shown = [repr(a) for a in bad[:3]] + (["…"] if len(bad) > 3 else [])
            errors.append(LedgerError(village_id, entry.seq, "account_name", Msg(
                "ledger.account_name", village=village_id, seq=entry.seq, found=shown)))
    return errors


def hashes(village_id: str, entries: Sequence[Entry]) -> list[LedgerError]:
    """Each stored hash equals the hash of the entry's content and its stored ``prev_hash``."""
    errors: list[LedgerError] = []
    for entry in entries:
        if not _well_formed(entry):
            continue
        expected = entry_hash(entry.prev_hash, entry)
        if expected != entry.hash:
            errors.append(LedgerError(village_id, entry.seq, "hash", Msg(
                "ledger.hash", village=village_id, seq=entry.seq, found=_short(entry.hash),
                expected=_short(expected))))
    return errors


def chain_links(village_id: str, entries: Sequence[Entry]) -> list[LedgerError]:
    """Entries belong to the village; seq runs 1, 2, 3... in stored order; the first prev_hash is
    zeros and every other one is the hash of the entry stored before it."""
    errors: list[LedgerError] = []
    previous: Entry | None = None
    for entry in entries:
        if entry.village_id != village_id:
            errors.append(LedgerError(village_id, entry.seq, "village_mismatch", Msg(
                "ledger.village_mismatch", village=village_id, seq=entry.seq, found=entry.village_id)))
        if previous is None:
            if entry.seq != 1:
                errors.append(LedgerError(village_id, entry.seq, "first_seq", Msg(
                    "ledger.first_seq", village=village_id, found=entry.seq)))
            if entry.prev_hash != ZERO_HASH:
                errors.append(LedgerError(village_id, entry.seq, "first_prev_hash", Msg(
                    "ledger.first_prev_hash", village=village_id, seq=entry.seq, found=_short(entry.prev_hash))))
        else:
            if entry.seq != previous.seq + 1:
                errors.append(LedgerError(village_id, entry.seq, "seq_gap", Msg(
                    "ledger.seq_gap", village=village_id, previous=previous.seq, expected=previous.seq + 1,
                    found=entry.seq)))
            if entry.prev_hash != previous.hash:
                errors.append(LedgerError(village_id, entry.seq, "prev_hash", Msg(
                    "ledger.prev_hash", village=village_id, seq=entry.seq, previous=previous.seq,
                    found=_short(entry.prev_hash), expected=_short(previous.hash))))
        previous = entry
    return errors


def head(village_id: str, entries: Sequence[Entry], expected: ChainHead) -> list[LedgerError]:
    """The chain ends where the separately recorded head says it does."""
    if not entries:
        return [LedgerError(village_id, None, "head", Msg(
            "ledger.head_missing", village=village_id, expected_seq=expected.seq))]
    last = entries[-1]
    if (last.seq, last.hash) != (expected.seq, expected.hash):
        return [LedgerError(village_id, last.seq, "head", Msg(
            "ledger.head", village=village_id, found_seq=last.seq, found=_short(last.hash),
            expected_seq=expected.seq, expected=_short(expected.hash)))]
    return []


ENTRY_CHECKS: tuple[Check, ...] = (amounts_are_integers, no_empty_entries, balanced, account_names)
CHECKS: tuple[Check, ...] = (*ENTRY_CHECKS, hashes, chain_links)


def verify(entries_by_village: Mapping[str, Sequence[Entry]],
           heads: Mapping[str, ChainHead] | None = None, *, every_head: bool = False) -> list[LedgerError]:
    """Run every check on every village's chain (villages in sorted order); ``[]`` means sound.

    ``heads`` (optional) are the chain heads recorded when entries were posted; with them,
    deleting the last entries or rewriting a chain is detected too. ``every_head``: they are
    every head the books hold for these villages (read from the database), so a village with
    entries and no head lost its head row.
    """
    errors: list[LedgerError] = []
    recorded = heads is not None and every_head
    heads = heads or {}
    for village_id in sorted(set(entries_by_village) | set(heads)):
        entries = entries_by_village.get(village_id, ())
        for check in CHECKS:
            errors.extend(check(village_id, entries))
        if village_id in heads:
            errors.extend(head(village_id, entries, heads[village_id]))
        elif recorded and entries:  # every posting records the head: its row was deleted
            errors.append(LedgerError(village_id, entries[-1].seq, "head", Msg(
                "ledger.head_unrecorded", village=village_id, count=len(entries), last=entries[-1].seq)))
    return errors


def entries_by_village(entries: Sequence[Entry]) -> dict[str, list[Entry]]:
    """Group entries by village, keeping their order (the input to :func:`verify`)."""
    out: dict[str, list[Entry]] = {}
    for entry in entries:
        out.setdefault(entry.village_id, []).append(entry)
    return out
