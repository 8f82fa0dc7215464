"""Paying in cash against the signed receipt list (签字领取表, issue 12 item 4): the accountant
records which households whose bank payment failed were paid in cash, with the scan of the
signed list; a committee member who did not record it approves; the lines become paid with one
settlement ``cash:<id>`` posted like a bank result's; the run can close; the audit pack shows it.
Each rule is tried and broken here."""
from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from dividends import ledger
from dividends.auditpack import verify_pack
from dividends.clock import FixedClock
from dividends.store import audit
from dividends.store import cash as cash_store
from dividends.store import ledger as ledger_store
from dividends.store.listing import payout_household_ids
from dividends.usecases import payments, reading
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.test_auditpack import rewrite
from tests.dividends.test_payee_corrections import approved_run
from tests.dividends.test_policy_table import outcome, tried, world
from tests.dividends.test_runs import bank_result

pytestmark = pytest.mark.db

SCAN = b"\x89PNG\r\n\x1a\n" + b"signed receipt list" * 10


async def paid_run_with_failures(tmp_path: Path, failures: int = 2):  # type: ignore[no-untyped-def]
    """A paid run of V0001 whose first ``failures`` households' bank payments failed."""
    w = await world(tmp_path)
    acc = w.people["acc1"].actor
    clock = FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))
    run = await approved_run(w, clock)
    assert await outcome(payments.record_cash(acc, run.id, ["V0001-00001"], name="s.png", data=SCAN)) == "run.illegal"
    batch = (await payments.pay(acc, run.id, clock=clock)).batch
    ids = await payout_household_ids(run.id, batch.number)
    failed = ids[:failures]
    await payments.bank_result(acc, run.id, bank_result(tmp_path / "r.csv", [(h, "失败" if h in failed else "成功") for h in ids]),
                               clock=clock)
    return w, run, clock, failed, ids[failures:]


async def test_cash_is_recorded_by_the_accountant_approved_by_another_and_settles_like_a_bank_result(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w, run, clock, failed, ok = await paid_run_with_failures(tmp_path)
    acc, com1, com2 = w.people["acc1"].actor, w.people["com1"].actor, w.people["com2"].actor
    owed = await payments.cash_owed(acc, run.id)
    assert sorted(owed) == sorted(failed) and all(isinstance(v, int) and v > 0 for v in owed.values())
    assert await payments.cash_owed(com1, run.id) == {}  # not a role that records cash

    # wrong role or scope, lines not owed, no lines, a scan that is not one
    await tried(w, "cash.prepare", lambda a: payments.record_cash(a, run.id, [failed[0]], name="s.png", data=SCAN))
    assert await outcome(payments.record_cash(acc, run.id, [ok[0]], name="s.png", data=SCAN)) == "cash.not_owed"
    assert await outcome(payments.record_cash(acc, run.id, ["V0001-99999"], name="s.png", data=SCAN)) == "cash.not_owed"
    assert await outcome(payments.record_cash(acc, run.id, [" "], name="s.png", data=SCAN)) == "cash.no_lines"
    assert await outcome(payments.record_cash(acc, run.id, [failed[0]], name="s.txt", data=b"hello")) == "cash.scan_type"
    assert await outcome(payments.record_cash(acc, run.id, [failed[0]], name="s.png", data=b"")) == "cash.scan_size"
    assert await cash_store.of_run(run.id) == []  # the refusals recorded nothing

    row = await payments.record_cash(acc, run.id, [failed[0]], name="签字表.png", data=SCAN, note="村委会现场发放")
    assert row.total_fen == owed[failed[0]]  # type: ignore[attr-defined]
    # once on a recorded payment, a household is not recorded again nor sent to the bank again
    assert await outcome(payments.record_cash(acc, run.id, [failed[0]], name="s.png", data=SCAN)) == "cash.pending"
    assert sorted(await payments.cash_owed(acc, run.id)) == failed[1:]
    # nothing is paid before a second person approves: closing waits for the decision
    assert await outcome(payments.close(acc, run.id, allow_unpaid=True, reason="x", clock=clock)) == "cash.awaiting_close"
    before = await ledger_store.entries_of_run(run.id)

    await tried(w, "cash.approve", lambda a: payments.approve_cash(a, run.id, row.id, clock=clock))  # type: ignore[attr-defined]
    assert await outcome(payments.approve_cash(com1, run.id, 999, clock=clock)) == "not found"
    assert await ledger_store.entries_of_run(run.id) == before
    assert await payments.approve_cash(com2, run.id, row.id, clock=clock) is True  # type: ignore[attr-defined]
    assert await payments.approve_cash(com1, run.id, row.id, clock=clock) is False  # type: ignore[attr-defined]  already

    entries = await ledger_store.entries_of_run(run.id)
    cash_entry = [e for e in entries if e.ref == f"cash:{row.id}"]  # type: ignore[attr-defined]
    assert len(cash_entry) == 1 and cash_entry[0].kind == "settlement"
    payable = cash_entry[0].postings.filter(pl.col("account").str.starts_with("Liabilities:Payable:"))
    assert payable["account"].to_list() == [ledger.payable("V0001", failed[0])]
    assert payable["amount_fen"].to_list() == [owed[failed[0]]]
    by_village = await ledger_store.entries_by_village(["V0001"])
    assert ledger.verify(by_village, await ledger_store.heads()) == []
    balances = pl.concat([e.postings for e in by_village["V0001"]]).group_by("account").agg(pl.col("amount_fen").sum())
    assert int(balances["amount_fen"].sum()) == 0
    assert int(balances.filter(pl.col("account") == ledger.payable("V0001", failed[0]))["amount_fen"].sum()) == 0

    # double pay: the household is paid now and cannot be paid in cash (or by the bank) again
    assert await outcome(payments.record_cash(acc, run.id, [failed[0]], name="s.png", data=SCAN)) == "cash.not_owed"
    assert (await payments.closing(acc, run.id)).unpaid == failed[1:]
    actions = [e.action for e in await audit.events("run", run.id)]
    assert actions.count("run.cash_recorded") == 1 and actions.count("run.cash_paid") == 1
    paid_event = [e for e in await audit.events("run", run.id) if e.action == "run.cash_paid"][0]
    assert paid_event.actor == "com2" and paid_event.detail["households"] == [failed[0]]

    # the rest still needs a stated reason to close
    assert await outcome(payments.close(acc, run.id, clock=clock)) == "run.unpaid"
    await payments.close(acc, run.id, allow_unpaid=True, reason="户主外出务工，下年度补发", clock=clock)
    assert await outcome(payments.record_cash(acc, run.id, [failed[1]], name="s.png", data=SCAN)) == "run.illegal"

    pack = tmp_path / "pack.zip"
    pack.write_bytes(await reading.audit_pack(acc, run.id))
    assert verify_pack(pack).ok, verify_pack(pack).problems
    with zipfile.ZipFile(pack) as z:
        assert json.loads(z.read("manifest.json"))["format"] == "dividends.auditpack/6"
        recorded = json.loads(z.read("bank/cash.json"))
        assert [(p["state"], p["settlement_ref"], p["lines"]) for p in recorded] == \
            [("approved", f"cash:{row.id}", [{"household_id": failed[0], "amount_fen": owed[failed[0]]}])]  # type: ignore[attr-defined]
        assert z.read(recorded[0]["file"]) == SCAN

    def other_amount(data: bytes) -> bytes:
        doc = json.loads(data)
        doc[0]["lines"][0]["amount_fen"] += 1
        return json.dumps(doc).encode()
    forged = verify_pack(rewrite(pack, "bank/cash.json", other_amount, fix_manifest=True))
    assert not forged.ok and "payables are not the payment's lines" in " ".join(p.text("en") for p in forged.problems)

    def dropped(data: bytes) -> bytes:
        return b"[]"
    hidden = verify_pack(rewrite(pack, "bank/cash.json", dropped, fix_manifest=True))
    assert not hidden.ok and f"cash:{row.id}: no approved payment" in " ".join(p.text("en") for p in hidden.problems)  # type: ignore[attr-defined]
    swapped = verify_pack(rewrite(pack, recorded[0]["file"], lambda d: d + b"x", fix_manifest=True))
    assert not swapped.ok and "the scan does not match" in " ".join(p.text("en") for p in swapped.problems)


async def test_the_recorder_cannot_approve_their_own_cash_payment(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Maker ≠ checker on the database path: a payment recorded by com1 (say, while an accountant)
    is refused to com1 and approved by com2; the policy table alone refuses the same."""
    from dividends.actors import Actor, Place
    from dividends.policy import allow
    from dividends.runs import get_run
    from schemes.problems import InputError
    w, run, clock, failed, _ = await paid_run_with_failures(tmp_path, failures=1)
    owed = await cash_store.owed_in_cash(run.id)
    row = await cash_store.prepare(await get_run(run.id), [(failed[0], *owed[failed[0]])], name="s.png",
                                   media_type="image/png", data=SCAN, note="", actor="com1")
    assert await outcome(payments.approve_cash(w.people["com1"].actor, run.id, row.id, clock=clock)) == "cash.same_person"
    shown = await payments.cash_payments(w.people["com1"].actor, run.id)
    assert shown[0]["why"].key == "cash.same_person"  # type: ignore[union-attr]
    assert (await payments.cash_payments(w.people["com2"].actor, run.id))[0]["why"] is None
    assert await payments.approve_cash(w.people["com2"].actor, run.id, row.id, clock=clock) is True
    committee = Actor(2, "com1", "com1", "committee", village_id=1, county_id=1)
    with pytest.raises(InputError) as refused:
        allow(committee, "cash.approve", Place(1, 1), state="paid", prepared_by="com1")
    assert refused.value.problems[0].msg.key == "cash.same_person"


async def test_a_household_at_the_bank_or_paid_by_the_follow_up_is_not_paid_in_cash(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w, run, clock, failed, _ = await paid_run_with_failures(tmp_path, failures=2)
    acc, com2 = w.people["acc1"].actor, w.people["com2"].actor
    owed_before = await cash_store.owed_in_cash(run.id)
    first = await payments.record_cash(acc, run.id, [failed[0]], name="s.pdf", data=b"%PDF-1.4 signed")
    follow = (await payments.pay(acc, run.id, clock=clock)).batch  # only the household not recorded as cash
    assert await payout_household_ids(run.id, follow.number) == [failed[1]]
    # pending at the bank: not owed in cash
    assert await outcome(payments.record_cash(acc, run.id, [failed[1]], name="s.png", data=SCAN)) == "cash.not_owed"
    assert await outcome(payments.close(acc, run.id, allow_unpaid=True, reason="x", clock=clock)) == "run.pending_results"
    await payments.bank_result(acc, run.id, bank_result(tmp_path / "r2.csv", [(failed[1], "成功")]), clock=clock)
    assert await outcome(payments.record_cash(acc, run.id, [failed[1]], name="s.png", data=SCAN)) == "cash.not_owed"

    # a payment whose household was paid otherwise meanwhile (recorded as the bank paid it) is refused
    # at approval, with the same reason on the page
    owed = await cash_store.owed_in_cash(run.id)
    assert list(owed) == [failed[0]]
    from dividends.runs import get_run
    stale = await cash_store.prepare(await get_run(run.id), [(failed[1], *owed_before[failed[1]])], name="s.png", media_type="image/png",
                                     data=SCAN, note="", actor="acc1")
    assert (await payments.cash_payments(com2, run.id))[1]["why"].key == "cash.not_owed"  # type: ignore[union-attr]
    assert await outcome(payments.approve_cash(com2, run.id, stale.id, clock=clock)) == "cash.not_owed"
    assert await payments.approve_cash(com2, run.id, first.id, clock=clock) is True  # type: ignore[attr-defined]
    assert [p["state"] for p in await cash_store.of_run(run.id)] == ["approved", "prepared"]
    # the stale payment keeps the run from closing until a committee member turns it down, saying why
    assert await outcome(payments.close(acc, run.id, clock=clock)) == "cash.awaiting_close"
    assert await outcome(payments.reject_cash(acc, run.id, stale.id, "x", clock=clock)) == "forbidden"
    assert await outcome(payments.reject_cash(com2, run.id, stale.id, " ", clock=clock)) == "cash.reason_missing"
    assert await payments.reject_cash(com2, run.id, stale.id, "已由银行补发成功", clock=clock) is True
    assert await payments.reject_cash(com2, run.id, stale.id, "again", clock=clock) is False
    assert await payments.approve_cash(com2, run.id, stale.id, clock=clock) is False  # turned down: never paid
    rejected = (await cash_store.of_run(run.id))[1]
    assert (rejected["state"], rejected["reason"], rejected["settlement_ref"]) == ("rejected", "已由银行补发成功", None)
    await payments.close(acc, run.id, clock=clock)  # everyone is paid: by the bank or in cash
    pack = tmp_path / "pack.zip"
    pack.write_bytes(await reading.audit_pack(acc, run.id))
    assert verify_pack(pack).ok, verify_pack(pack).problems


async def test_the_command_line_records_and_approves_a_cash_payment(clean_db: str, tmp_path: Path) -> None:  # noqa: F811
    from tests.people import cli
    w, run, clock, failed, ok = await paid_run_with_failures(tmp_path)
    env = {"DATABASE_URL": clean_db}
    scan = tmp_path / "签字表.pdf"
    scan.write_bytes(b"%PDF-1.4 signed list")
    args = ("run", "cash-record", str(run.id), "--household", failed[0], "--household", failed[1], "--scan", str(scan))
    assert cli(w.people["com1"], *args, env=env).returncode == 5  # not the committee's to record
    refused = cli(w.people["acc1"], "run", "cash-record", str(run.id), "--household", ok[0], "--scan", str(scan), env=env)
    assert refused.returncode == 2 and ok[0] in refused.stderr and "cannot be paid in cash" in refused.stderr
    done = cli(w.people["acc1"], *args, env=env, lang="zh")
    assert done.returncode == 0, done.stderr
    assert "已登记现金发放" in done.stdout and "2 户" in done.stdout
    payment = (await cash_store.of_run(run.id))[0]
    assert [x["household_id"] for x in payment["lines"]] == sorted(failed)
    assert cli(w.people["acc1"], "run", "cash-approve", str(run.id), str(payment["id"]), env=env).returncode == 5
    approved = cli(w.people["com1"], "run", "cash-approve", str(run.id), str(payment["id"]), env=env)
    assert approved.returncode == 0 and "approved" in approved.stdout, approved.stderr
    again = cli(w.people["com2"], "run", "cash-approve", str(run.id), str(payment["id"]), env=env)
    assert again.returncode == 0 and "nothing to do" in again.stdout
    assert (await payments.closing(w.people["acc1"].actor, run.id)).unpaid == []
    closed = cli(w.people["acc1"], "run", "close", str(run.id), env=env)
    assert closed.returncode == 0, closed.stderr
