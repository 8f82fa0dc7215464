"""Recoveries: debts taken automatically from a village's next payouts (issue 10, item 3).

The rules, pure (the queries are in :mod:`dividends.store.recoveries`):

- a debt is recorded against a household (a :class:`~dividends.store.models.Debt`) when a
  correction run pays it less than the runs it replaces paid it (``overpayment``, recorded at
  the correction's approval: paid before minus the correction's line), or by a row of a run's
  deductions file (``deduction``, recorded at compute); it counts only while that run is posted;
- what is left of the village's debts (recorded minus what posted runs recovered) is taken
  automatically by the village's next run: fixed at create (``Run.recoveries``) and merged with
  the deductions file given by hand into the run's ``deductions`` input (so it is in the content
  hash and offline verify reads it); a debt is in at most one live unposted run at a time;
- the engine's deductions step applies them after the allocation, never below zero nor below
  the scheme's protected minimum; what it recovers is written per debt at compute, and what it
  could not recover stays owed for the run after;
- the ledger: recording posts ``Assets:Receivable:V:H`` against the creditor account (or, for an
  overpayment, against the household's payable left in debit by the reversal); a recovery
  credits that receivable instead of the creditor's account (:func:`dividends.ledger.draft_approval`).
"""
from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from schemes.model import Scheme
from schemes.money import format_yuan

COLLECTIVE = "collective"
REVERSED = "recovery_reversed"
"""``correction_needed`` of a run that takes (or took) a debt recorded by a run later reversed."""


@dataclass(frozen=True)
class Owed:
    """What is left of one recorded debt: taken by a run as one of its deductions."""

    debt: int
    household: str
    fen: int
    reason: str
    creditor: str

    def row(self) -> list[object]:
        return [self.debt, self.household, self.fen, self.reason, self.creditor]

    @classmethod
    def from_row(cls, row: Sequence[object]) -> Owed:
        debt, household, fen, reason, creditor = row
        return cls(int(debt), str(household), int(fen), str(reason), str(creditor))  # type: ignore[call-overload]


def owed_of(recoveries: Sequence[Sequence[object]] | None) -> list[Owed]:
    return [Owed.from_row(r) for r in recoveries or []]


def creditor_for(scheme: Scheme, wanted: str | None = None) -> str | None:
    """The account a recovery goes to under ``scheme``: ``wanted`` when the scheme allows it,
    else the scheme's first named creditor, else its ``collective`` account, else its first
    account of purpose collective (None: the scheme has nowhere to put a recovery).

    >>> from schemes.presets import preset_path
    >>> from schemes.loader import load_scheme
    >>> s = load_scheme(preset_path("shareholding"))
    >>> creditor_for(s), creditor_for(s, "nowhere")
    ('collective', 'collective')
    """
    allowed = list(scheme.deductions.creditors) or list(scheme.accounts)
    if wanted is not None and wanted in allowed:
        return wanted
    if scheme.deductions.creditors:
        return scheme.deductions.creditors[0]
    if COLLECTIVE in scheme.accounts:
        return COLLECTIVE
    for name, account in scheme.accounts.items():
        if account.purpose == COLLECTIVE:
            return name
    return None


def overpayment_reason(correction: int, replaced: int | None) -> str:
    """The reason of an overpayment a correction found (both languages: it is data).

    >>> overpayment_reason(12, 9)
    '更正批次 12 多付冲回（原批次 9） / overpaid: correction run 12 of run 9'
    """
    return f"更正批次 {correction} 多付冲回（原批次 {replaced}） / overpaid: correction run {correction} of run {replaced}"


def overpayments(lines: Mapping[str, int], paid_before: Mapping[str, int]) -> dict[str, int]:
    """Household -> what the runs replaced paid it beyond its line in the correction (> 0 only).

    >>> overpayments({"H1": 500, "H2": 900}, {"H1": 800, "H2": 900, "H3": 100})
    {'H1': 300, 'H3': 100}
    """
    return {h: p - lines.get(h, 0) for h, p in sorted(paid_before.items()) if p - lines.get(h, 0) > 0}


DEDUCTIONS_SCHEMA = {"household_id": pl.String, "amount_fen": pl.Int64, "reason": pl.String, "creditor": pl.String}


def merged_deductions(by_hand: pl.DataFrame | None, owed: Sequence[Owed]) -> bytes:
    """The ``deductions`` input of a run: the rows of its deductions file (as read), then its
    recorded debts, as CSV (``household_id, amount_yuan, reason, creditor``)."""
    rows = [] if by_hand is None else by_hand.select(*DEDUCTIONS_SCHEMA).rows()
    rows += [(o.household, o.fen, o.reason, o.creditor) for o in owed]
    frame = pl.DataFrame(rows, schema=DEDUCTIONS_SCHEMA, orient="row")
    out = frame.select("household_id", pl.col("amount_fen").map_elements(
        lambda f: format_yuan(int(f), grouping=False), return_dtype=pl.String).alias("amount_yuan"), "reason", "creditor")
    buffer = io.BytesIO()
    out.write_csv(buffer)
    return buffer.getvalue()


@dataclass(frozen=True)
class Taken:
    """One row of a run's deductions as the engine applied it: ``debt`` None for a row of the
    deductions file (a new debt)."""

    debt: int | None
    household: str
    creditor: str
    reason: str
    amount_fen: int
    recovered_fen: int


def match_results(results: pl.DataFrame, owed: Sequence[Owed]) -> list[Taken]:
    """The engine's per-deduction results (``household_id, creditor, reason, amount_fen,
    recovered_fen``) tied back to the recorded debts they came from; the other rows are the
    deductions file's. Rows that look the same are interchangeable in the engine, so any
    pairing between them is exact; recorded debts take them first, by id.

    >>> r = pl.DataFrame({"household_id": ["H1", "H1"], "creditor": ["c", "c"], "reason": ["x", "x"],
    ...                   "amount_fen": [5, 5], "recovered_fen": [5, 2]})
    >>> [(t.debt, t.recovered_fen) for t in match_results(r, [Owed(7, "H1", 5, "x", "c")])]
    [(7, 5), (None, 2)]
    """
    waiting: dict[tuple[str, str, str, int], list[int]] = {}
    for o in sorted(owed, key=lambda o: o.debt):
        waiting.setdefault((o.household, o.creditor, o.reason, o.fen), []).append(o.debt)
    out = []
    for h, c, r, a, got in results.select("household_id", "creditor", "reason", "amount_fen", "recovered_fen").rows():
        ids = waiting.get((h, c, r, int(a)))
        out.append(Taken(ids.pop(0) if ids else None, h, c, r, int(a), int(got)))
    left = [i for ids in waiting.values() for i in ids]
    if left:
        raise ValueError(f"recorded debts missing from the engine's deductions: {left}")
    return out


def recovered_from_lines(lines: pl.DataFrame) -> tuple[dict[str, int], dict[str, int]]:
    """From a run's lines (``recipient_kind, recipient_id, breakdown`` JSON): what the
    deductions column took from each household and moved to each account (both > 0)."""
    if lines.height == 0:
        return {}, {}
    d = lines.select("recipient_kind", "recipient_id",
                     pl.col("breakdown").str.json_path_match("$.deductions").cast(pl.Int64).fill_null(0).alias("d"))
    d = d.filter(pl.col("d") != 0)
    households = {h: -int(f) for h, f in d.filter(pl.col("recipient_kind") == "household").select("recipient_id", "d").rows()}
    to = {a: int(f) for a, f in d.filter(pl.col("recipient_kind") == "account").select("recipient_id", "d").rows()}
    return households, to
