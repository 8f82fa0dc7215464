"""Closing a paid run (issue 12, item 4): the page asks the same use-case why it cannot close
yet; unpaid households stop it unless the accountant states why, and the audit keeps the
reason with the households."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from datetime import date

from dividends.approval import Resolution
from dividends.clock import FixedClock
from dividends.store import audit
from dividends.store.listing import payout_household_ids
from dividends.usecases import payments, runs
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.test_policy_table import outcome, state_of, world
from tests.dividends.test_runs import bank_result

pytestmark = pytest.mark.db

MEETING = Resolution(date(2025, 1, 13), entitled=30, present=21, votes_for=15, votes_against=4, abstaining=2)


async def test_closing_with_unpaid_households_needs_a_reason_that_the_audit_keeps(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = await world(tmp_path)
    acc, com = w.people["acc1"].actor, w.people["com1"].actor
    clock = FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))
    run = await runs.create(acc, "V0001", 2024, "shareholding", amount_yuan="80000")
    await runs.compute(acc, run.id, clock)
    await runs.publicize(acc, run.id, clock=clock)
    assert (await payments.closing(acc, run.id)).blocker.key == "run.illegal"  # type: ignore[union-attr]
    clock.advance(days=7)
    await runs.approve(com, run.id, clock, MEETING)
    batch = (await payments.pay(acc, run.id, clock=clock)).batch
    waiting = await payments.closing(acc, run.id)
    assert waiting.blocker is not None and waiting.blocker.key == "run.pending_results"
    assert await outcome(payments.close(acc, run.id, allow_unpaid=True, reason="x", clock=clock)) == "run.pending_results"

    ids = await payout_household_ids(run.id, batch.number)
    failed = ids[:2]
    result = bank_result(tmp_path / "r.csv", [(h, "失败" if h in failed else "成功") for h in ids])
    await payments.bank_result(acc, run.id, result, clock=clock)
    view = await payments.closing(acc, run.id)
    assert view.blocker is None and view.unpaid == sorted(failed) and view.unpaid_fen > 0
    assert await outcome(payments.close(acc, run.id, clock=clock)) == "run.unpaid"
    assert await outcome(payments.close(acc, run.id, allow_unpaid=True, reason=" ", clock=clock)) == "run.unpaid_reason"
    assert await outcome(payments.close(com, run.id, allow_unpaid=True, reason="x", clock=clock)) == "forbidden"
    assert await state_of(run.id) == "paid"

    await payments.close(acc, run.id, allow_unpaid=True, reason="两户已迁出，村里转为现金发放", clock=clock)
    assert await state_of(run.id) == "closed"
    (event,) = [e for e in await audit.events("run", run.id) if e.action == "run.close"]
    assert event.detail["unpaid"] == sorted(failed) and event.detail["reason"] == "两户已迁出，村里转为现金发放"
    assert event.detail["unpaid_fen"] == view.unpaid_fen
