"""The pure ledger of payout runs: double entry per village, hash-chained, exportable to Beancount.

No database and no I/O here (the Beancount writer writes to a stream it is given). A run's
entries are drafted (:mod:`~dividends.ledger.drafts`), posted to a village's chain
(:func:`chain`), verified (:func:`verify`) and exported (:func:`write_beancount`). Postings are
polars frames so that a run with a million households stays one frame.
"""
from __future__ import annotations

import dividends.ledger.messages  # noqa: F401
from dividends.ledger.accounts import (
    asset_income,
    bank,
    collective,
    collectives,
    component,
    component_series,
    distributable_pool,
    is_valid_account,
    payable,
    payables,
)
from dividends.ledger.beancount import write_beancount
from dividends.ledger.chain import chain
from dividends.ledger.checks import (
    CHECKS,
    ENTRY_CHECKS,
    LedgerError,
    account_names,
    amounts_are_integers,
    balanced,
    chain_links,
    entries_by_village,
    hashes,
    head,
    no_empty_entries,
    verify,
)
from dividends.ledger.drafts import draft_approval, draft_reversal, draft_settlement
from dividends.ledger.entries import KINDS, POSTINGS_SCHEMA, ZERO_HASH, DraftError, Entry, EntryDraft, Kind
from dividends.ledger.hashes import ChainHead, entry_hash, head_of
from dividends.ledger.rows import entries_from_rows, entry_rows, posting_rows

__all__ = [
    "CHECKS", "ENTRY_CHECKS", "KINDS", "POSTINGS_SCHEMA", "ZERO_HASH",
    "ChainHead", "DraftError", "Entry", "EntryDraft", "Kind", "LedgerError",
    "account_names", "amounts_are_integers", "asset_income", "balanced", "bank", "chain", "chain_links",
    "collective", "collectives", "component", "component_series", "distributable_pool", "draft_approval",
    "draft_reversal", "draft_settlement", "entries_by_village", "entries_from_rows", "entry_hash",
    "entry_rows", "hashes", "head", "head_of", "is_valid_account", "no_empty_entries", "payable", "payables",
    "posting_rows", "verify", "write_beancount",
]
