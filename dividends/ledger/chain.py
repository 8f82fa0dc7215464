"""Posting drafts to a village's chain: seq numbers, previous hashes, hashes.

How the hash is computed and what it protects: :mod:`dividends.ledger.hashes`.
"""
from __future__ import annotations

from collections.abc import Sequence

from dividends.ledger.checks import ENTRY_CHECKS
from dividends.ledger.entries import ZERO_HASH, DraftError, Entry, EntryDraft
from dividends.ledger.hashes import digest
from schemes.i18n import Msg


def chain(drafts: Sequence[EntryDraft], last: Entry | None) -> list[Entry]:
    """Post ``drafts`` after ``last`` (``None`` for a village's first entry): give each its seq,
    prev_hash and hash. Refuses drafts of more than one village and drafts that fail the
    per-entry checks (unbalanced, empty, non-integer amounts, invalid account names).

    >>> from datetime import date
    >>> from dividends.ledger.entries import postings_of
    >>> d = EntryDraft("V1", date(2025, 1, 20), "return", "R1", "return:R1", "",
    ...                postings_of([("Assets:Bank:V1", 100), ("Income:AssetReturn:V1", -100)]))
    >>> [(e.seq, e.prev_hash == ZERO_HASH) for e in chain([d, d], None)]
    [(1, True), (2, False)]
    """
    villages = sorted({d.village_id for d in drafts} | ({last.village_id} if last else set()))
    if len(villages) > 1:
        raise DraftError(Msg("ledger.draft.mixed_villages", found=villages))
    seq, prev = (last.seq, last.hash) if last is not None else (0, ZERO_HASH)
    entries: list[Entry] = []
    for draft in drafts:
        seq += 1
        hashed = digest(prev, seq, draft)
        entries.append(Entry(draft.village_id, draft.on, draft.kind, draft.run_id, draft.ref,
                             draft.narration, draft.postings, seq=seq, prev_hash=prev, hash=hashed))
        prev = hashed
    if entries:
        errors = [e for check in ENTRY_CHECKS for e in check(villages[0], entries)]
        if errors:
            raise DraftError(Msg("ledger.draft.invalid", details=[e.msg for e in errors[:5]]))
    return entries
