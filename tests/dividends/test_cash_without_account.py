"""Households with no bank account at all, paid in cash against the signed receipt list (issue 12
item 4): approval refuses them unless the approver agrees they are paid in cash (the audit event
lists them); paying leaves them out of the bank batch (a payout item in no batch, status
``cash``); the accountant records their cash payment with the scan, another committee member
approves; closing treats them like failed bank lines. Each rule is tried and broken here."""
from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from dividends import ledger
from dividends.auditpack import verify_pack
from dividends.clock import FixedClock
from dividends.store import audit
from dividends.store import ledger as ledger_store
from dividends.store import payouts as payout_store
from dividends.store.listing import payout_household_ids
from dividends.usecases import payments, reading, runs
from schemes.problems import InputError
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.test_payee_corrections import MEETING
from tests.dividends.test_policy_table import outcome, world
from tests.dividends.test_runs import bank_result

pytestmark = pytest.mark.db

SCAN = b"%PDF-1.4\n" + b"signed receipt list" * 10
NO_ACCOUNT = ("V0001-00001", "V0001-00002")


async def after_the_notice(tmp_path: Path, no_account: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    """V0001's run of 80,000 yuan (``no_account``: households the registry gives no bank account),
    prepared by acc1, publicized, its notice period over."""
    w = await world(tmp_path, no_account=no_account)
    acc = w.people["acc1"].actor
    clock = FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))
    run = await runs.create(acc, "V0001", 2024, "shareholding", amount_yuan="80000")
    await runs.compute(acc, run.id, clock)
    await runs.publicize(acc, run.id, clock=clock)
    clock.advance(days=7)
    return w, run, clock


async def test_no_account_households_are_approved_for_cash_left_out_of_the_bank_and_paid_in_cash(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w, run, clock = await after_the_notice(tmp_path, NO_ACCOUNT)
    acc, com1, com2 = w.people["acc1"].actor, w.people["com1"].actor, w.people["com2"].actor
    assert await runs.without_account(com1, run.id) == list(NO_ACCOUNT)

    # without the option the refusal stays, and it says how to pay them in cash
    with pytest.raises(InputError) as refused:
        await runs.approve(com1, run.id, clock, MEETING)
    msg = refused.value.problems[0].msg
    assert msg.key == "run.no_account" and "pay in cash" in msg.text("en") and "以现金发放" in msg.text("zh")
    assert "现金" in msg.text("zh") and "V0001-00001" in msg.text("zh")
    assert await outcome(runs.approve(com1, run.id, clock, MEETING)) == "run.no_account"
    assert "run.approve" not in [e.action for e in await audit.events("run", run.id)]
    # the page's approve button is not disabled: its form carries the choice (a checkbox)
    assert (await runs.blockers(com1, run.id, clock))["run.approve"] is None
    # the option does not lift the other rules (the preparer, or another village, still refused)
    assert await outcome(runs.approve(acc, run.id, clock, MEETING, cash_without_account=True)) == "forbidden"
    assert await outcome(runs.approve(w.people["com3"].actor, run.id, clock, MEETING, cash_without_account=True)) == "not found"

    assert (await runs.approve(com1, run.id, clock, MEETING, cash_without_account=True)).changed
    event = [e for e in await audit.events("run", run.id) if e.action == "run.approve"][0]
    assert event.detail["cash_without_account"] == list(NO_ACCOUNT)
    assert await runs.without_account(com1, run.id) == []  # approved: the form is gone

    # pay: the bank batch holds only households with an account; the others wait for cash
    batch = (await payments.pay(acc, run.id, clock=clock)).batch
    assert batch is not None
    ids = await payout_household_ids(run.id, batch.number)
    assert ids and not set(ids) & set(NO_ACCOUNT)
    items = await payout_store.item_rows(await reading_run(run.id))
    cash_items = {h: s for h, _, s in items if h in NO_ACCOUNT}
    assert cash_items == {h: "cash" for h in NO_ACCOUNT}
    csv = next(p for p in await payments.export_batch(acc, run.id, batch.number, tmp_path / "out") if p.suffix == ".csv")
    text = csv.read_text("utf-8-sig")
    assert not any(h in text for h in NO_ACCOUNT)

    # the receipt list and cash.prepare take them; a household with an account cannot be put on cash
    owed = await payments.cash_owed(acc, run.id)
    assert sorted(owed) == list(NO_ACCOUNT)
    assert [r["household_id"] for r in await payments.cash_list(acc, run.id)] == list(NO_ACCOUNT)
    assert await outcome(payments.record_cash(acc, run.id, [ids[0]], name="s.pdf", data=SCAN)) == "cash.not_owed"
    await payments.bank_result(acc, run.id, bank_result(tmp_path / "r.csv", [(h, "成功") for h in ids]), clock=clock)
    assert await outcome(payments.record_cash(acc, run.id, [ids[0]], name="s.pdf", data=SCAN)) == "cash.not_owed"
    # a follow-up batch never sends them to the bank
    assert await outcome(payments.pay(acc, run.id, clock=clock)) == "run.nothing_to_pay"

    # closing treats them like failed bank lines: unpaid until their cash payment is approved
    assert (await payments.closing(acc, run.id)).unpaid == list(NO_ACCOUNT)
    assert await outcome(payments.close(acc, run.id, clock=clock)) == "run.unpaid"

    row = await payments.record_cash(acc, run.id, list(NO_ACCOUNT), name="签字领取表.pdf", data=SCAN)
    assert row.total_fen == sum(owed.values())  # type: ignore[attr-defined]
    assert await outcome(payments.approve_cash(acc, run.id, row.id, clock=clock)) == "forbidden"  # type: ignore[attr-defined]
    assert await payments.approve_cash(com2, run.id, row.id, clock=clock) is True  # type: ignore[attr-defined]
    assert {h: s for h, _, s in await payout_store.item_rows(await reading_run(run.id)) if h in NO_ACCOUNT} == \
        {h: "paid" for h in NO_ACCOUNT}
    assert await payments.cash_owed(acc, run.id) == {}
    assert await outcome(payments.record_cash(acc, run.id, [NO_ACCOUNT[0]], name="s.pdf", data=SCAN)) == "cash.not_owed"

    # the ledger: the cash entry debits exactly their payables, everything balances
    entry = [e for e in await ledger_store.entries_of_run(run.id) if e.ref == f"cash:{row.id}"]  # type: ignore[attr-defined]
    assert len(entry) == 1
    payable = entry[0].postings.filter(pl.col("account").str.starts_with("Liabilities:Payable:"))
    assert dict(payable.select("account", "amount_fen").iter_rows()) == {ledger.payable("V0001", h): owed[h] for h in NO_ACCOUNT}
    by_village = await ledger_store.entries_by_village(["V0001"])
    assert ledger.verify(by_village, await ledger_store.heads()) == []
    balances = pl.concat([e.postings for e in by_village["V0001"]]).group_by("account").agg(pl.col("amount_fen").sum())
    assert int(balances["amount_fen"].sum()) == 0
    assert all(int(balances.filter(pl.col("account") == ledger.payable("V0001", h))["amount_fen"].sum()) == 0 for h in NO_ACCOUNT)

    assert (await payments.closing(acc, run.id)).unpaid == []
    assert (await payments.close(acc, run.id, clock=clock)).changed
    pack = tmp_path / "pack.zip"
    pack.write_bytes(await reading.audit_pack(acc, run.id))
    assert verify_pack(pack).ok, verify_pack(pack).problems
    with zipfile.ZipFile(pack) as z:
        listed = pl.read_csv(io.BytesIO(z.read("bank/items.csv")), infer_schema=False)
    mine = listed.filter(pl.col("household_id").is_in(NO_ACCOUNT))
    assert mine["status"].to_list() == ["paid", "paid"] and mine["batch"].is_null().all()


async def test_without_no_account_households_the_option_changes_nothing(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w, run, clock = await after_the_notice(tmp_path)
    acc, com1 = w.people["acc1"].actor, w.people["com1"].actor
    assert await runs.without_account(com1, run.id) == []
    await runs.approve(com1, run.id, clock, MEETING, cash_without_account=True)
    event = [e for e in await audit.events("run", run.id) if e.action == "run.approve"][0]
    assert "cash_without_account" not in event.detail
    batch = (await payments.pay(acc, run.id, clock=clock)).batch
    assert batch is not None and all(s == "pending" for _, _, s in await payout_store.item_rows(await reading_run(run.id)))
    assert await payments.cash_owed(acc, run.id) == {}  # every household has an account: nobody on cash


async def reading_run(run_id: int):  # type: ignore[no-untyped-def]
    from dividends.runs import get_run
    return await get_run(run_id)


def test_the_cli_approval_takes_the_option() -> None:
    from tests.dividends.support import run_cli
    shown = run_cli("run", "approve", "--help")
    assert shown.returncode == 0 and "--cash-without-account" in shown.stdout
