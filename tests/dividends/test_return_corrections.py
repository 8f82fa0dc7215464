"""Correcting a recorded asset return (issue 12, item 4): before a run books it, a recorded
correction whose old amount stays in the audit trail; while a run books it, the refusal names
the way out (cancel it, or reverse it and make a correction run), and the correction run then
books the corrected amount."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from datetime import date

from dividends.approval import Resolution
from dividends.clock import FixedClock
from dividends.store import audit
from dividends.usecases import payments, returns, runs
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.test_policy_table import outcome, state_of, tried, world
from tests.dividends.test_runs import bank_result

pytestmark = pytest.mark.db

MEETING = Resolution(date(2025, 1, 13), entitled=30, present=21, votes_for=15, votes_against=4, abstaining=2)


async def test_a_return_is_corrected_before_a_run_books_it_and_the_old_amount_stays(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = await world(tmp_path)
    acc = w.people["acc1"].actor
    row = await returns.record(acc, "V0001", 2024, "80000", "光伏电站")
    await tried(w, "return.correct", lambda a: returns.correct(a, "V0001", 2024, "光伏电站", "8000", "多写一个零"))
    assert await outcome(returns.correct(acc, "V0001", 2024, "光伏电站", "8000", "  ")) == "return.reason_missing"
    assert await outcome(returns.correct(acc, "V0001", 2024, "光伏电站", "8千", "x")) == "compute.amount_invalid"
    assert await outcome(returns.correct(acc, "V0001", 2024, "光伏电站", "80000.00", "x")) == "return.same_amount"
    assert await outcome(returns.correct(acc, "V0001", 2023, "光伏电站", "1", "x")) == "return.not_found"
    assert await outcome(returns.correct(w.people["acc2"].actor, "V0001", 2024, "光伏电站", "1", "x")) == "not found"

    fixed = await returns.correct(acc, "V0001", 2024, "光伏电站", "8000", "多写一个零")
    assert (fixed.id, fixed.amount_fen) == (row.id, 800_000)
    events = [(e.action, e.detail.get("old_fen"), e.detail["amount_fen"]) for e in await audit.events("asset_return", row.id)]
    assert events == [("return.record", None, 8_000_000), ("return.correct", 8_000_000, 800_000)]
    seen = await returns.corrections(w.people["com1"].actor, "V0001")
    assert seen[row.id]["blocker"] is None
    assert [(h["old_fen"], h["amount_fen"], h["by"], h["reason"]) for h in seen[row.id]["history"]] == [  # type: ignore[union-attr]
        (8_000_000, 800_000, "acc1", "多写一个零")]

    run = await runs.create(acc, "V0001", 2024, "shareholding")
    assert run.pool_fen == 800_000  # the run books the corrected amount
    assert await outcome(returns.correct(acc, "V0001", 2024, "光伏电站", "9000", "x")) == "return.used"
    await runs.cancel(acc, run.id, "收益还要再核", FixedClock(datetime(2025, 1, 6, tzinfo=UTC)))
    assert (await returns.correct(acc, "V0001", 2024, "光伏电站", "9000", "电费结算单")).amount_fen == 900_000


async def test_a_booked_return_is_refused_with_the_way_out_and_corrected_after_a_reversal(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = await world(tmp_path)
    p = w.people
    acc = p["acc1"].actor
    clock = FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))
    run = await runs.create(acc, "V0001", 2024, "shareholding", amount_yuan="80000")
    row = (await returns.corrections(acc, "V0001"))
    (return_id,) = row
    blocker = row[return_id]["blocker"]
    assert blocker is not None and blocker.key == "return.used"  # type: ignore[attr-defined]
    assert "作废批次" in blocker.text("zh")  # type: ignore[attr-defined]  before posting: cancel it
    assert await outcome(returns.correct(acc, "V0001", 2024, "asset", "70000", "x")) == "return.used"

    await runs.compute(acc, run.id, clock)
    await runs.publicize(acc, run.id, clock=clock)
    clock.advance(days=7)
    await runs.approve(p["com1"].actor, run.id, clock, MEETING)
    blocker = (await returns.corrections(acc, "V0001"))[return_id]["blocker"]
    assert "冲销" in blocker.text("zh") and "correction run" in blocker.text("en")  # type: ignore[union-attr]
    assert await outcome(returns.correct(acc, "V0001", 2024, "asset", "70000", "x")) == "return.used"

    batch = (await payments.pay(acc, run.id, clock=clock)).batch
    from dividends.store.listing import payout_household_ids
    result = bank_result(tmp_path / "result.csv", [(h, "成功") for h in await payout_household_ids(run.id, batch.number)])
    await payments.bank_result(acc, run.id, result, clock=clock)
    await payments.close(acc, run.id, clock=clock)
    mirror = await runs.reverse(p["com1"].actor, run.id, "收益登记错误", clock)
    assert await outcome(returns.correct(acc, "V0001", 2024, "asset", "70000", "x")) == "return.used"  # not yet reversed
    await runs.approve_reversal(p["com2"].actor, mirror.id, clock)
    assert await state_of(run.id) == "reversed"

    await returns.correct(acc, "V0001", 2024, "asset", "70000", "电费结算单更正")
    correction = await runs.create(acc, "V0001", 2024, "shareholding", replaces=run.id)
    assert (correction.kind, correction.pool_fen) == ("correction", 7_000_000)
    assert (await runs.show(acc, run.id)).pool_fen == 8_000_000  # the reversed run keeps what it booked
    assert await outcome(returns.correct(acc, "V0001", 2024, "asset", "1", "x")) == "return.used"
