"""Fixing a household's payment account between batches (issue 12, item 4): the accountant
prepares a payee-account correction on the paid run, a committee member who did not prepare it
approves it, both audited; the follow-up batch pays to it in the run's own bank format."""
from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from dividends.approval import Resolution
from dividends.clock import FixedClock
from dividends.store import audit
from dividends.store.listing import payout_household_ids
from dividends.usecases import payments, runs
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.test_policy_table import outcome, tried, world
from tests.dividends.test_runs import bank_result

pytestmark = pytest.mark.db

MEETING = Resolution(date(2025, 1, 13), entitled=30, present=21, votes_for=15, votes_against=4, abstaining=2)


async def approved_run(w, clock: FixedClock):  # type: ignore[no-untyped-def]
    """V0001's run of 80,000 yuan, prepared by acc1, approved by com1 after the notice period."""
    acc, com1 = w.people["acc1"].actor, w.people["com1"].actor
    run = await runs.create(acc, "V0001", 2024, "shareholding", amount_yuan="80000")
    await runs.compute(acc, run.id, clock)
    await runs.publicize(acc, run.id, clock=clock)
    clock.advance(days=7)
    await runs.approve(com1, run.id, clock, MEETING)
    return run


async def test_a_failed_households_account_is_corrected_by_two_people_and_the_follow_up_pays_it(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = await world(tmp_path)
    p = w.people
    acc, com1, com2 = p["acc1"].actor, p["com1"].actor, p["com2"].actor
    clock = FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))
    run = await approved_run(w, clock)
    assert await outcome(payments.correct_payee(acc, run.id, "V0001-00001", "6222000011112222", reason="x")) == "run.illegal"
    batch = (await payments.pay(acc, run.id, bank_format="psbc", clock=clock)).batch
    ids = await payout_household_ids(run.id, batch.number)
    failed, ok = ids[0], ids[1]
    await payments.bank_result(acc, run.id, bank_result(tmp_path / "r.csv", [(h, "失败" if h == failed else "成功") for h in ids]),
                               clock=clock)

    new = "6222000099998888"
    await tried(w, "payee.correct", lambda a: payments.correct_payee(a, run.id, failed, new, reason="x"))
    assert await outcome(payments.correct_payee(acc, run.id, ok, new, reason="x")) == "payee.not_failed"
    assert await outcome(payments.correct_payee(acc, run.id, failed, "62-22", reason="x")) == "payee.account_invalid"
    assert await outcome(payments.correct_payee(acc, run.id, failed, new, reason="")) == "payee.reason_missing"
    row = await payments.correct_payee(acc, run.id, failed, new, bank="农商银行", reason="原账户已销户，户主提供新卡")
    assert await outcome(payments.correct_payee(acc, run.id, failed, new, reason="again")) == "payee.pending"

    # nothing changes before a second person approves: the follow-up would still use the old account
    await tried(w, "payee.approve", lambda a: payments.approve_payee(a, run.id, row.id, clock=clock))  # type: ignore[attr-defined]
    await payments.approve_payee(com2, run.id, row.id, clock=clock)  # type: ignore[attr-defined]
    assert await payments.approve_payee(com1, run.id, row.id, clock=clock) is False  # type: ignore[attr-defined]  already

    follow = (await payments.pay(acc, run.id, bank_format="generic", clock=clock)).batch
    assert follow.bank_format == "psbc"  # the run's own format, whatever was asked
    out = await payments.export_batch(acc, run.id, follow.number, tmp_path / "out")
    csv = next(x for x in out if x.suffix == ".csv")
    text = csv.read_text(encoding="utf-8-sig")
    assert new in text and failed in text and ok not in text
    events = [e.action for e in await audit.events("payee_correction", row.id)]  # type: ignore[attr-defined]
    assert events == ["payee.correct", "payee.approve"]
    assert [c.state for c in await payments.payee_corrections(com1, run.id)] == ["approved"]  # type: ignore[attr-defined]


async def test_the_preparer_cannot_approve_their_own_account_correction(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from dividends.actors import Actor, Place
    from dividends.policy import allow
    from schemes.problems import InputError
    committee = Actor(2, "com1", "com1", "committee", village_id=1, county_id=1)
    with pytest.raises(InputError) as refused:
        allow(committee, "payee.approve", Place(1, 1), state="paid", prepared_by="com1")
    assert refused.value.problems[0].msg.key == "payee.same_person"
    allow(committee, "payee.approve", Place(1, 1), state="paid", prepared_by="acc1")
