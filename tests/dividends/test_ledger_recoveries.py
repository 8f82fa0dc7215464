"""Ledger drafts of debts and their recovery (issue 10, item 3): a debt is a receivable against
the creditor account (or the household's payable, for an overpayment); a recovery credits the
receivable instead of the creditor account; entries balance and the reversal nets them out."""
from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from dividends import ledger
from dividends.ledger import accounts
from dividends.ledger.chain import chain

ON = date(2025, 3, 1)


def lines(rows: list[tuple[str, str, int]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"recipient_kind": pl.String, "recipient_id": pl.String, "amount_fen": pl.Int64},
                        orient="row")


def balances(drafts: list[ledger.EntryDraft]) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in drafts:
        assert int(d.postings["amount_fen"].sum()) == 0, d.kind
        for account, fen in d.postings.rows():
            out[account] = out.get(account, 0) + fen
    return {a: f for a, f in out.items() if f}


def test_a_debt_is_a_receivable_and_its_recovery_credits_it_instead_of_the_creditor() -> None:
    # H1 owed 300 (recorded by this run's deductions file); the engine took 200 of it to collective
    run = lines([("household", "H1", 800), ("household", "H2", 1_000), ("account", "collective", 200 + 500)])
    drafts = ledger.draft_approval("V1", "R1", ON, 2_500, run, recovered={"H1": 200}, recovered_to={"collective": 200},
                                   debts=[("H1", "collective", 300)])
    assert [d.kind for d in drafts] == ["return", "debt", "accrual"]
    books = balances(drafts)
    assert books[accounts.receivable("V1", "H1")] == 300 - 200
    assert books[accounts.collective("V1", "collective")] == -(500 + 300)  # its share and the debt, once
    assert books[accounts.payable("V1", "H1")] == -800
    accrual = dict(drafts[-1].postings.rows())
    assert accrual[accounts.collective("V1", "collective")] == -500
    # the next run recovers the last 100: the receivable goes to zero
    later = ledger.draft_approval("V1", "R2", ON, 1_000, lines([("household", "H1", 400), ("account", "collective", 600)]),
                                  recovered={"H1": 100}, recovered_to={"collective": 100})
    assert [d.kind for d in later] == ["return", "accrual"]
    assert accounts.receivable("V1", "H1") not in balances(drafts + later)


def test_an_overpayment_moves_the_payables_debit_to_a_receivable() -> None:
    drafts = ledger.draft_approval("V1", "R3", ON, 1_000, lines([("household", "H1", 1_000)]),
                                   debts=[("H1", None, 250)])
    debt = dict(drafts[1].postings.rows())
    assert debt == {accounts.receivable("V1", "H1"): 250, accounts.payable("V1", "H1"): -250}
    # a correction down to nothing distributes nothing, yet records what it found overpaid
    nothing = ledger.draft_approval("V1", "R4", ON, 0, lines([("household", "H1", 0)]), debts=[("H1", None, 250)])
    assert [d.kind for d in nothing] == ["debt"]


@pytest.mark.parametrize("recovered, recovered_to", [
    ({"H1": 200}, {"collective": 100}),  # the two sides must agree
    ({"H1": 800}, {"collective": 800}),  # more than the account line holds
    ({"H1": -5}, {"collective": -5}),
])
def test_recoveries_that_do_not_add_up_are_refused(recovered: dict[str, int], recovered_to: dict[str, int]) -> None:
    run = lines([("household", "H1", 800), ("account", "collective", 700)])
    with pytest.raises(ledger.DraftError):
        ledger.draft_approval("V1", "R1", ON, 1_500, run, recovered=recovered, recovered_to=recovered_to)


def test_a_debt_of_nothing_is_refused() -> None:
    with pytest.raises(ledger.DraftError):
        ledger.draft_approval("V1", "R1", ON, 1_000, lines([("household", "H1", 1_000)]), debts=[("H1", None, 0)])


def test_the_reversal_mirrors_the_debt_and_the_recovery() -> None:
    run = lines([("household", "H1", 800), ("account", "collective", 700)])
    drafts = ledger.draft_approval("V1", "R1", ON, 1_500, run, recovered={"H1": 200}, recovered_to={"collective": 200},
                                   debts=[("H1", "collective", 300)])
    posted = chain(drafts, None)
    mirror = ledger.draft_reversal(posted, "R9", ON)
    assert [m.ref for m in mirror] == ["reversal:return:R1", "reversal:debt:R1", "reversal:accrual:R1"]
    assert balances(drafts + mirror) == {}
    assert ledger.verify({"V1": posted + chain(mirror, posted[-1])}) == []
