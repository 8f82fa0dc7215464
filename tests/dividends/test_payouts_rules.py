"""The rules of paying a run without a database (dividends/payouts.py): what is owed, who is
unpaid after failures, corrected accounts, the per-line checks of a bank result, why a run cannot
close, why a cash payment cannot be approved. The use-case tests of the same rules through the
store are tests/dividends/test_runs.py (-m db); these are the fast selection of `make mutation
PACKAGES=payouts`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
import pytest

from dividends.payouts import (
    FAILED_WORDS,
    PAID_WORDS,
    ClosingView,
    _status,
    close_refusal,
    closing_blocker,
    not_owed,
    owed,
    result_lines,
    unpaid,
    with_corrected_accounts,
)
from schemes.i18n import Msg
from schemes.problems import Problem


@dataclass
class Item:  # the fields of a payout item the rules read
    household_id: str
    amount_fen: int
    status: str = "pending"


def lines(*rows: tuple[str, str, int]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"recipient_kind": pl.String, "recipient_id": pl.String, "amount_fen": pl.Int64},
                        orient="row")


# --------------------------------------------------------------------------- owed, unpaid

def test_a_run_owes_its_household_lines_above_zero() -> None:
    frame = lines(("household", "H2", 300), ("account", "collective", 500), ("household", "H1", 0),
                  ("household", "H3", 1))
    assert owed(frame, {}).rows() == [("H2", 300), ("H3", 1)]
    assert owed(frame, {}).columns == ["household_id", "amount_fen"]


def test_a_correction_owes_only_the_difference_and_nothing_to_a_household_paid_in_full() -> None:
    frame = lines(("household", "H1", 300), ("household", "H2", 200), ("household", "H3", 100))
    assert owed(frame, {"H1": 100, "H2": 200, "H3": 150, "H9": 5}).rows() == [("H1", 200)]
    assert owed(frame, {"H9": 5}).rows() == [("H1", 300), ("H2", 200), ("H3", 100)]
    assert owed(frame, {"H1": 299, "H2": 201, "H3": 100}).rows() == [("H1", 1)]  # one fen left is owed


def test_unpaid_are_the_households_whose_last_item_failed_and_none_was_paid() -> None:
    rows = [("H1", 100, "failed"), ("H1", 100, "paid"),  # paid by the follow-up batch
            ("H2", 200, "failed"), ("H2", 150, "failed"),  # the last item counts
            ("H3", 300, "pending"), ("H4", 400, "cash"), ("H0", 50, "failed")]
    assert unpaid(rows).rows() == [("H0", 50), ("H2", 150)]
    assert unpaid(rows, ("failed", "cash")).rows() == [("H0", 50), ("H2", 150), ("H4", 400)]
    assert unpaid(rows).columns == ["household_id", "amount_fen"]
    assert unpaid([]).rows() == []
    paid_first = [("H5", 100, "paid"), ("H5", 100, "failed")]  # a paid item anywhere settles it
    assert unpaid(paid_first).rows() == []


def test_corrected_accounts_replace_the_account_and_the_bank_unless_the_bank_is_empty() -> None:
    frame = pl.DataFrame({"household_id": ["H1", "H2", "H3"], "amount_fen": [1, 2, 3],
                          "account_no": ["A1", "A2", "A3"], "bank": ["B1", "B2", "B3"]})
    assert with_corrected_accounts(frame, {}) is frame
    fixed = with_corrected_accounts(frame, {"H1": ("N1", "NB"), "H2": ("N2", ""), "H9": ("N9", "X")})
    assert fixed.columns == frame.columns
    assert fixed.sort("household_id").rows() == [("H1", 1, "N1", "NB"), ("H2", 2, "N2", "B2"), ("H3", 3, "A3", "B3")]


# --------------------------------------------------------------------------- bank result lines

def problem(msg: Msg, row: int, column: str) -> Problem:
    return Problem(msg=msg, file="result.csv", row=row, column=column)


def row(household: str | None, status: str | None, n: int, **more: str | None) -> dict[str, Any]:
    return {"household_id": household, "status": status, "_row": n, **more}


def keys(problems: list[Problem]) -> list[tuple[str, int | None, str | None]]:
    return [(p.msg.key, p.row, p.column) for p in problems]


@pytest.mark.parametrize("word, status", [*((w, "paid") for w in sorted(PAID_WORDS)),
                                          *((w, "failed") for w in sorted(FAILED_WORDS)),
                                          (" Paid ", "paid"), ("FAILED", "failed"), ("", None), (None, None),
                                          ("pending", None), ("成", None)])
def test_the_status_words_of_banks(word: str | None, status: str | None) -> None:
    assert _status(word) == status


def test_paid_and_failed_lines_are_decided_with_their_reference_and_reason() -> None:
    items = {"H1": Item("H1", 1000), "H2": Item("H2", 2000)}
    decided, problems = result_lines([
        row(" H1 ", "成功", 2, amount_yuan="10.00", bank_ref=" B-1 ", reason=None),
        row("H2", "失败", 3, bank_ref=None, reason=" 账户冻结 "),
        row("", "", 4), row(None, None, 5),  # blank and summary lines
    ], items, 7, problem)
    assert problems == []
    assert decided == [(items["H1"], "paid", "B-1", ""), (items["H2"], "failed", "", "账户冻结")]


def test_a_line_without_amount_reference_or_reason_is_decided_on_its_status() -> None:
    items = {"H1": Item("H1", 1000)}
    decided, problems = result_lines([{"household_id": "H1", "status": "ok", "_row": 2}], items, 1, problem)
    assert (decided, problems) == ([(items["H1"], "paid", "", "")], [])


def test_an_unknown_status_word_is_a_problem_of_its_row_and_decides_nothing() -> None:
    items = {"H1": Item("H1", 1000)}
    decided, problems = result_lines([row("H1", "maybe", 4)], items, 1, problem)
    assert decided == []
    assert keys(problems) == [("bank.status", 4, "status")]
    assert problems[0].msg.params == {"found": "maybe"}
    _, problems = result_lines([row("H1", None, 4, amount_yuan="10.00")], items, 1, problem)
    assert keys(problems) == [("bank.status", 4, "status")] and problems[0].msg.params == {"found": ""}


def test_a_household_not_in_the_batch_is_a_problem_and_its_other_checks_are_skipped() -> None:
    decided, problems = result_lines([row(" H9 ", "what", 3, amount_yuan="1.00"), row("H9", "paid", 4)],
                                     {"H1": Item("H1", 100)}, 5, problem)
    assert decided == []
    assert keys(problems) == [("bank.status", 3, "status"), ("bank.unknown_household", 3, "household_id"),
                              ("bank.unknown_household", 4, "household_id")]
    assert problems[1].msg.params == {"household": "H9", "batch": 5}


def test_a_household_twice_or_no_longer_pending_is_a_problem() -> None:
    items = {"H1": Item("H1", 100), "H2": Item("H2", 200, status="paid"), "H3": Item("H3", 300, status="failed")}
    decided, problems = result_lines([row("H1", "paid", 2), row("H1", "failed", 3), row("H2", "paid", 4),
                                      row("H3", "failed", 5)], items, 2, problem)
    assert keys(problems) == [("bank.already", 3, "household_id"), ("bank.already", 4, "household_id"),
                              ("bank.already", 5, "household_id")]
    assert [p.msg.params for p in problems] == [{"household": "H1", "batch": 2, "status": "—"},
                                                {"household": "H2", "batch": 2, "status": "paid"},
                                                {"household": "H3", "batch": 2, "status": "failed"}]
    assert len(decided) == 4  # decided but refused: any problem refuses the whole file


@pytest.mark.parametrize("amount", ["10.01", "9.99", "1000", "abc", "10.001", "-10.00"])
def test_an_amount_other_than_the_items_is_a_problem(amount: str) -> None:
    items = {"H1": Item("H1", 1000)}
    decided, problems = result_lines([row("H1", "paid", 6, amount_yuan=amount)], items, 1, problem)
    assert keys(problems) == [("bank.amount", 6, "amount_yuan")]
    assert problems[0].msg.params == {"household": "H1", "found": amount, "expected": "10.00"}
    assert decided == [(items["H1"], "paid", "", "")]


@pytest.mark.parametrize("amount", ["10.00", "10", "10.0", "", None])
def test_the_items_own_amount_or_none_is_accepted(amount: str | None) -> None:
    items = {"H1": Item("H1", 1000)}
    assert result_lines([row("H1", "failed", 6, amount_yuan=amount)], items, 1, problem)[1] == []


# --------------------------------------------------------------------------- closing, cash

def test_pending_results_block_closing_first_then_cash_payments_awaiting_approval() -> None:
    assert closing_blocker(0, None, {}) is None
    assert closing_blocker(0, 3, {}) is None
    pending = closing_blocker(2, 3, {"H1": 9})
    assert pending is not None and (pending.key, pending.params) == ("run.pending_results", {"batch": 3, "count": 2})
    unknown = closing_blocker(1, None, {})
    assert unknown is not None and unknown.params == {"batch": "?", "count": 1}
    waiting = closing_blocker(0, 3, {"H1": 9, "H2": 4, "H3": 4})
    assert waiting is not None and (waiting.key, waiting.params) == ("cash.awaiting_close", {"payment": 4, "count": 3})


def refusal(view: ClosingView, allow: bool = False, reason: str = "") -> tuple[str, dict[str, Any]] | None:
    error = close_refusal(view, 7, allow, reason)
    if error is None:
        return None
    [p] = error.problems
    return p.msg.key, dict(p.msg.params)


def test_a_run_closes_with_unpaid_households_only_when_allowed_with_a_reason() -> None:
    assert refusal(ClosingView(None, [], 0)) is None
    blocked = Msg("run.pending_results", batch=1, count=1)
    assert refusal(ClosingView(blocked, [], 0), True, "why") == ("run.pending_results", {"batch": 1, "count": 1})
    left = [f"H{i:02d}" for i in range(12)]
    assert refusal(ClosingView(None, left, 500)) == ("run.unpaid", {"run": 7, "count": 12, "households": left[:10]})
    assert refusal(ClosingView(None, left, 500), reason="moved away") == refusal(ClosingView(None, left, 500))
    assert refusal(ClosingView(None, left, 500), True) == ("run.unpaid_reason", {"run": 7, "count": 12})
    assert refusal(ClosingView(None, left, 500), True, "  ") == ("run.unpaid_reason", {"run": 7, "count": 12})
    assert refusal(ClosingView(None, left, 500), True, "moved away") is None


def test_a_cash_payment_is_refused_at_its_first_household_no_longer_owed_by_the_same_item() -> None:
    owed_now = {"H1": (11, 100), "H2": (12, 200), "H3": (13, 300)}
    assert not_owed(owed_now, [("H1", 11, 100), ("H2", 12, 200)], 5) is None
    assert not_owed(owed_now, [], 5) is None
    for lines_ in ([("H1", 11, 100), ("H2", 99, 200), ("H3", 13, 1)],  # another item (a later batch)
                   [("H1", 11, 100), ("H2", 12, 201), ("H9", 1, 1)],  # another amount
                   [("H1", 11, 100), ("H2", 12, 200)][:1] + [("H2", 12, 20)]):
        msg = not_owed(owed_now, lines_, 5)
        assert msg is not None and (msg.key, msg.params) == ("cash.not_owed", {"household": "H2", "run": 5})
    gone = not_owed({}, [("H4", 1, 1)], 8)
    assert gone is not None and gone.params == {"household": "H4", "run": 8}
