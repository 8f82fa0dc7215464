"""Properties of recoveries over several runs (issue 10, item 3): the engine's deductions step,
the run side's bookkeeping of debts (:mod:`dividends.recoveries`) and the ledger drafts together.
Deductions never make a line negative nor cut below the protected minimum; debt is conserved
(recorded = recovered + still owed); each household's receivable holds what it still owes;
every entry balances."""
from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dividends import ledger
from dividends.ledger import accounts
from dividends.recoveries import Owed, match_results, recovered_from_lines
from schemes.engine import Extra, allocate
from tests.schemes.test_shape_properties import _returns, _scheme, village
from tests.reach import reached

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def lines_of(a: Any) -> pl.DataFrame:
    """The run's lines as stored: one per recipient, its steps as a JSON breakdown."""
    lines = a.lines()
    return lines.select("recipient_kind", "recipient_id", "amount_fen",
                        pl.struct(list(a.step_ids)).struct.json_encode().alias("breakdown"))


@SETTINGS
@given(village(), st.lists(st.integers(0, 10**6), min_size=1, max_size=4), st.integers(0, 3000),
       st.lists(st.tuples(st.integers(0, 14), st.integers(1, 10**6), st.sampled_from(["loan", "fee"]),
                          st.booleans()), max_size=8))
def test_debts_are_conserved_and_never_make_a_line_negative(households: pl.DataFrame, pools: list[int], protected: int,
                                                            debts: list[tuple[int, int, str, bool]]) -> None:
    scheme = _scheme({"steps": [{"id": "d", "kind": "pro_rata", "percent": "100", "weight": "person",
                                 "on_shortfall": "pro_rate"},
                                {"id": "rest", "kind": "remainder", "to": "carry_over"}],
                      "deductions": {"protected": {"per": "person", "amount": f"{protected / 100:.2f}"},
                                     "creditors": ["collective"]}})
    ids = households["household_id"].to_list()
    members = dict(households.select("household_id", "members").rows())
    # the first run's debts come from its deductions file; overpayments (True) are recorded before it
    hand = [(ids[i % len(ids)], fen, reason) for i, fen, reason, over in debts if not over]
    owed = [Owed(k, ids[i % len(ids)], fen, reason, "collective") for k, (i, fen, reason, over) in enumerate(debts) if over]
    recorded = sum(fen for _, fen, _, _ in debts)
    reached()
    postings: dict[str, int] = {}
    for h, fen in ((o.household, o.fen) for o in owed):  # overpayments: receivable against the payable
        for account, amount in ((accounts.receivable("V1", h), fen), (accounts.payable("V1", h), -fen)):
            postings[account] = postings.get(account, 0) + amount
    recovered_total = 0
    for n, pool in enumerate(pools):
        rows = [(o.household, o.fen, o.reason, o.creditor) for o in owed]
        rows += [(h, fen, reason, "collective") for h, fen, reason in (hand if n == 0 else [])]
        frame = pl.DataFrame(rows, schema={"household_id": pl.String, "amount_fen": pl.Int64, "reason": pl.String,
                                           "creditor": pl.String}, orient="row")
        a = allocate(scheme, households, _returns({"V1": pool}), period=2024, extra=Extra(deductions=frame))
        lines = lines_of(a)
        for h, fen, d in a.households.select("household_id", "amount_fen", "d").rows():
            assert fen >= 0 and (fen == d or fen >= members[h] * protected)
        taken = match_results(a.deductions, owed) if a.deductions is not None else []
        assert sorted(t.debt for t in taken if t.debt is not None) == sorted(o.debt for o in owed)
        new = [(t.household, "collective", t.amount_fen) for t in taken if t.debt is None]  # the file's rows
        assert all(0 <= t.recovered_fen <= t.amount_fen for t in taken)
        recovered, recovered_to = recovered_from_lines(lines)
        recovered_total += sum(recovered.values())
        drafts = ledger.draft_approval("V1", f"R{n}", date(2025, 1, 1), pool,
                                       lines.select("recipient_kind", "recipient_id", "amount_fen"),
                                       recovered=recovered, recovered_to=recovered_to, debts=new)
        for d in drafts:
            assert int(d.postings["amount_fen"].sum()) == 0
            for account, fen in d.postings.rows():
                postings[account] = postings.get(account, 0) + fen
        # what is left of each row is owed for the next run (the same debt, a smaller amount)
        owed = [Owed(k, t.household, t.amount_fen - t.recovered_fen, t.reason, t.creditor)
                for k, t in enumerate(taken) if t.amount_fen > t.recovered_fen]
        left = sum(o.fen for o in owed)
        assert recorded == recovered_total + left
        for h in ids:
            mine = sum(o.fen for o in owed if o.household == h)
            assert postings.get(accounts.receivable("V1", h), 0) == mine
