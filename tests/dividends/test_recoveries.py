"""Recoveries (issue 10, item 3, run side): a correction that pays a household less records a
debt; the village's next run takes its outstanding debts automatically (a recorded input merged
with any deductions file), never below zero or the protected minimum, carrying the rest on; the
ledger books a receivable and its recovery."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from dividends import ledger, payouts, runs
from dividends.auditpack import build_pack, verify_pack
from dividends.clock import FixedClock
from dividends.imports import import_registry
from dividends.ledger import accounts
from dividends.outbox.content import run_words
from dividends.overview import approval_summary
from dividends.publicity import notice_html
from dividends.store import ledger as ledger_store
from dividends.store import recoveries as recoveries_store
from dividends.store.models import PayoutItem, Run
from schemes.presets import preset_path
from schemes.problems import InputError
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.support import sample_files
from tests.people import cli, person
from schemes.money import format_yuan
from tests.dividends.test_runs import RESOLUTION, bank_result

pytestmark = pytest.mark.db


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))


async def through_approval(run: Run, clock: FixedClock) -> Run:
    await runs.compute_run(run.id, "accountant", clock)
    start = clock.now().date()
    await runs.publicize(run.id, start, date.fromordinal(start.toordinal() + 6), "accountant", clock)
    clock.advance(days=8)
    await runs.approve(run.id, "chair", clock, resolution=RESOLUTION)
    return await runs.get_run(run.id)


async def paid(run: Run, clock: FixedClock, tmp_path: Path) -> None:
    batch = (await payouts.pay(run.id, "accountant", clock=clock)).batch
    ids = await PayoutItem.filter(batch=batch).order_by("household_id").values_list("household_id", flat=True)
    await payouts.import_bank_result(run.id, bank_result(tmp_path / f"r{run.id}.csv", [(h, "成功") for h in ids]),
                                     "accountant", clock=clock)


def households(lines: pl.DataFrame) -> dict[str, int]:
    return dict(lines.filter(pl.col("recipient_kind") == "household").select("recipient_id", "amount_fen").rows())


async def balance(village: str, account: str) -> int:
    entries = (await ledger_store.entries_by_village([village]))[village]
    return sum(int(f) for e in entries for a, f in e.postings.rows() if a == account)


async def books_ok() -> None:
    assert ledger.verify(await ledger_store.entries_by_village(["V0001"]), await ledger_store.heads()) == []


async def test_a_correction_that_pays_less_is_recovered_from_the_next_runs(clean_db, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = sample_files(tmp_path / "reg", households=12, villages=1, seed=3)
    for period in (2024, 2025, 2026):
        await import_registry(reg.households, period=period, actor="accountant", posts=reg.posts, members=reg.members,
                              reference_date=date(2025, 1, 1))
    first = await through_approval(await runs.create_run("V0001", 2024, "shareholding", "accountant",
                                                         amount_yuan="50000"), clock)
    await paid(first, clock, tmp_path)
    before = households(await runs.lines_frame(first.id))
    mirror = await runs.prepare_reversal(first.id, "accountant", "the return was 20,000 less", clock)
    await runs.approve_reversal(mirror.id, "chair", clock)
    await runs.correct_return("V0001", 2024, "asset", "30000", "accountant", "bank statement")
    fixed = await through_approval(await runs.create_run("V0001", 2024, "shareholding", "accountant",
                                                         replaces=first.id), clock)
    after = households(await runs.lines_frame(fixed.id))
    over = {h: f - after.get(h, 0) for h, f in before.items() if f > after.get(h, 0)}
    assert over, "a smaller return must pay some household less"
    assert (await approval_summary(fixed, "en")).overpaid == (len(over), sum(over.values()))
    debts = await recoveries_store.balances(fixed.village_id)  # type: ignore[attr-defined]
    assert {d["household"]: d["amount_fen"] for d in debts} == over
    assert all(d["kind"] == "overpayment" and d["run"] == fixed.id for d in debts)
    # the overpayment is a receivable now, and the payable it left in debit is cleared
    for h, fen in over.items():
        assert await balance("V0001", accounts.receivable("V0001", h)) == fen
        assert await balance("V0001", accounts.payable("V0001", h)) == 0
    await books_ok()

    # the next run takes them automatically; a small return recovers only part: the rest carries on
    small = await runs.create_run("V0001", 2025, "shareholding", "accountant", amount_yuan="3000")
    assert sorted((r[1], r[2]) for r in small.recoveries) == sorted(over.items())
    assert all(f"correction run {fixed.id}" in r[3] for r in small.recoveries)
    small = await through_approval(small, clock)
    assert (await approval_summary(small, "en")).recoveries == (len(over), sum(over.values()))
    assert "Deductions (debts recovered)" in await notice_html(small.id, "en", clock)
    debtor = sorted(over)[0]
    line = (await runs.lines_frame(small.id)).filter(pl.col("recipient_id") == debtor)["breakdown"][0]
    words = await run_words(small)
    assert [(i.label, i.fen) for i in words.breakdown(line, "zh") if i.label == "扣款"] == \
        [("扣款", json.loads(line)["deductions"])]
    assert "inputs/deductions.csv" in small.manifest["inputs"]
    lines = await runs.lines_frame(small.id)
    taken = {h: -json.loads(b).get("deductions", 0) for k, h, b in lines.select("recipient_kind", "recipient_id",
                                                                                 "breakdown").rows() if k == "household"}
    assert all(f >= 0 for f in households(lines).values())
    debts = {d["household"]: d for d in await recoveries_store.balances(small.village_id)}  # type: ignore[attr-defined]
    for h, fen in over.items():
        assert debts[h]["recovered_fen"] == taken[h] and debts[h]["left_fen"] == fen - taken[h]
        assert await balance("V0001", accounts.receivable("V0001", h)) == fen - taken[h]
    left = {h: d["left_fen"] for h, d in debts.items() if d["left_fen"] > 0}
    assert left and sum(taken.values()) > 0, "the sample must leave part of the debt for the next run"
    shown = cli(await person("acc1", "accountant", village="V0001"), "run", "show", str(small.id),
                env={"DATABASE_URL": clean_db, "COLUMNS": "1000"})
    assert shown.returncode == 0, shown.stderr
    assert all(f"{h} {format_yuan(f)}" in shown.stdout for h, f in left.items()), shown.stdout
    summary = await approval_summary(small, "en")
    assert ("Deductions (debts recovered)", -sum(taken.values())) in [(s.label, s.households_fen) for s in summary.steps]
    await books_ok()
    pack = tmp_path / "pack.zip"
    pack.write_bytes(await build_pack(small.id))
    result = verify_pack(pack)
    assert result.ok, [p.text("en") for p in result.problems]

    # the run after takes the rest, with a deductions file given by hand merged in
    h0 = sorted(over)[0]
    hand = f"户编号,扣款金额,扣款原因,收款账户\n{h0},1.00,村集体借款,collective\n".encode()
    last = await runs.create_run("V0001", 2026, "shareholding", "accountant", amount_yuan="50000",
                                 deductions=("debts.csv", hand))
    assert sorted((r[1], r[2]) for r in last.recoveries) == sorted(left.items())
    last = await through_approval(last, clock)
    for d in await recoveries_store.balances(last.village_id):  # type: ignore[attr-defined]
        assert d["left_fen"] == 0, d
    for h in over:
        assert await balance("V0001", accounts.receivable("V0001", h)) == 0
    await books_ok()


async def test_the_protected_minimum_holds_and_a_reversal_gives_the_debt_back(clean_db, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = sample_files(tmp_path / "reg", households=12, villages=1, seed=3)
    text = preset_path("shareholding").read_text(encoding="utf-8")
    assert "\nsteps:" in text
    scheme = tmp_path / "protected.yaml"
    scheme.write_text(text.replace("\nsteps:", '\ndeductions:\n  protected: {per: household, amount: {value: 100, '
                                                'source: "test"}}\n  creditors: [collective]\nsteps:', 1), encoding="utf-8")
    for period in (2024, 2025):
        await import_registry(reg.households, period=period, actor="accountant", posts=reg.posts, members=reg.members,
                              reference_date=date(2025, 1, 1))
    plain = await through_approval(await runs.create_run("V0001", 2024, str(scheme), "accountant",
                                                         amount_yuan="50000"), clock)
    h, fen = max(households(await runs.lines_frame(plain.id)).items(), key=lambda kv: (kv[1], kv[0]))
    mirror = await runs.prepare_reversal(plain.id, "accountant", "add a debt", clock)
    await runs.approve_reversal(mirror.id, "chair", clock)
    hand = f"户编号,扣款金额,扣款原因,收款账户\n{h},{fen / 100 + 1000:.2f},村集体借款,collective\n".encode()
    with_debt = await through_approval(await runs.create_run("V0001", 2024, str(scheme), "accountant", replaces=plain.id,
                                                             deductions=("debts.csv", hand)), clock)
    assert households(await runs.lines_frame(with_debt.id))[h] == 100_00  # the protected minimum
    owed = fen + 1000_00 - (fen - 100_00)
    assert await balance("V0001", accounts.receivable("V0001", h)) == owed
    [debt] = await recoveries_store.balances(with_debt.village_id)  # type: ignore[attr-defined]
    assert debt["left_fen"] == owed and debt["kind"] == "deduction"
    await books_ok()
    # reversing the run gives back what it recovered and the debt it recorded (mirror entries)
    mirror = await runs.prepare_reversal(with_debt.id, "accountant", "wrong debt", clock)
    await runs.approve_reversal(mirror.id, "chair", clock)
    assert await balance("V0001", accounts.receivable("V0001", h)) == 0
    assert await recoveries_store.balances(with_debt.village_id) == []  # type: ignore[attr-defined]
    assert (await runs.create_run("V0001", 2025, str(scheme), "accountant", amount_yuan="100")).recoveries is None
    await books_ok()


async def test_a_run_returned_to_draft_and_computed_again_records_its_debts_once(clean_db, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dividends.store import approvals
    reg = sample_files(tmp_path / "reg", households=12, villages=1, seed=3)
    await import_registry(reg.households, period=2024, actor="accountant", posts=reg.posts, members=reg.members,
                          reference_date=date(2025, 1, 1))
    hand = "户编号,扣款金额,扣款原因,收款账户\nV0001-00002,10.00,村集体借款,collective\n".encode()
    run = await runs.create_run("V0001", 2024, "shareholding", "accountant", amount_yuan="50000",
                                deductions=("debts.csv", hand))
    await runs.compute_run(run.id, "accountant", clock)
    computed = await runs.get_run(run.id)
    assert await approvals.return_to_draft(run.id, "computed", content_hash=computed.content_hash or "", reason="fix",
                                           actor="chair", at=clock.now())
    await runs.compute_run(run.id, "accountant", clock)
    assert await recoveries_store.new_debts(run.id) == [("V0001-00002", "collective", 10_00)]
    run = await through_approval(await runs.get_run(run.id), clock)
    [debt] = await recoveries_store.balances(run.village_id)  # type: ignore[attr-defined]
    assert (debt["amount_fen"], debt["recovered_fen"], debt["left_fen"]) == (10_00, 10_00, 0)
    await books_ok()


async def test_reversing_the_correction_that_recorded_a_debt_flags_the_run_taking_it(clean_db, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = sample_files(tmp_path / "reg", households=12, villages=1, seed=3)
    for period in (2024, 2025):
        await import_registry(reg.households, period=period, actor="accountant", posts=reg.posts, members=reg.members,
                              reference_date=date(2025, 1, 1))
    first = await through_approval(await runs.create_run("V0001", 2024, "shareholding", "accountant",
                                                         amount_yuan="50000"), clock)
    await paid(first, clock, tmp_path)
    mirror = await runs.prepare_reversal(first.id, "accountant", "wrong return", clock)
    await runs.approve_reversal(mirror.id, "chair", clock)
    await runs.correct_return("V0001", 2024, "asset", "30000", "accountant", "bank statement")
    fixed = await through_approval(await runs.create_run("V0001", 2024, "shareholding", "accountant",
                                                         replaces=first.id), clock)
    taking = await runs.create_run("V0001", 2025, "shareholding", "accountant", amount_yuan="40000")
    assert taking.recoveries
    await runs.compute_run(taking.id, "accountant", clock)
    start = clock.now().date()
    await runs.publicize(taking.id, start, date.fromordinal(start.toordinal() + 6), "accountant", clock)
    mirror = await runs.prepare_reversal(fixed.id, "accountant", "the correction was wrong too", clock)
    await runs.approve_reversal(mirror.id, "chair", clock)
    assert (await runs.get_run(taking.id)).correction_needed == "recovery_reversed"
    clock.advance(days=8)
    with pytest.raises(InputError, match=f"recovers debts that run {fixed.id} recorded"):
        await runs.approve(taking.id, "chair", clock, resolution=RESOLUTION)
    assert await recoveries_store.balances(fixed.village_id) == []  # type: ignore[attr-defined]
    await books_ok()
