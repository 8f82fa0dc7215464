"""Crash safety with real processes: a command killed (SIGKILL) inside a transition's
transaction leaves the run before the transition; running it again finishes it, once."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dividends import payouts, runs
from dividends.clock import FixedClock
from dividends.imports import import_registry
from dividends.store.models import AllocationLine, BankResultLine, LedgerEntry, PayoutBatch, PayoutItem
from tests.dbsupport import ROOT, clean_db, database_url, db  # noqa: F401
from tests.dividends.support import sample_files
from tests.dividends.test_runs import bank_result
from tests.people import Person, person

pytestmark = pytest.mark.db


def run_cli(url: str, *args: str, failpoint: str | None = None, marker: Path | None = None,
            who: Person | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": url, "DIVIDENDS_LANG": "en", **(who.env if who else {})}
    if failpoint:
        env |= {"DIVIDENDS_FAILPOINT": failpoint, "DIVIDENDS_FAILPOINT_FILE": str(marker)}
    return subprocess.Popen([sys.executable, "-m", "dividends", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def kill_at(url: str, failpoint: str, tmp: Path, *args: str, who: Person | None = None) -> None:
    marker = tmp / f"{failpoint}.reached"
    proc = run_cli(url, *args, failpoint=failpoint, marker=marker, who=who)
    deadline = time.monotonic() + 90
    while not marker.exists():
        if proc.poll() is not None:
            pytest.fail(f"the command ended before {failpoint}: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            proc.communicate()
            pytest.fail(f"{failpoint} not reached")
        time.sleep(0.05)
    proc.kill()  # SIGKILL, by its own pid, in the middle of the transaction
    proc.communicate(timeout=30)  # reap it and close its pipes
    assert proc.returncode == -9


MEETING = ("--meeting-date", "2025-01-13", "--entitled", "30", "--present", "21", "--for", "15")


def finish(url: str, *args: str, who: Person | None = None) -> str:
    proc = run_cli(url, *args, who=who)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    return stdout


PEOPLE: dict[str, Person] = {}


async def prepared(clean_db: str, tmp: Path, upto: str) -> int:  # type: ignore[no-untyped-def]
    """A run of V0001 up to ``upto``; its accountant and committee chair sign in with tokens
    (``PEOPLE["accountant"]``, ``PEOPLE["chair"]``)."""
    files = sample_files(tmp / "reg", households=16, villages=1, seed=5)
    clock = FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))
    await import_registry(files.households, period=2024, actor="accountant", posts=files.posts,
                          members=files.members, reference_date=date(2025, 1, 1))
    PEOPLE["accountant"] = await person("accountant", "accountant", village="V0001", token=True)
    PEOPLE["chair"] = await person("chair", "committee", village="V0001", token=True)
    run = await runs.create_run("V0001", 2024, "shareholding", "accountant", amount_yuan="80000")
    if upto == "draft":
        return run.id
    await runs.compute_run(run.id, "accountant", clock)
    await runs.publicize(run.id, date(2025, 1, 6), date(2025, 1, 12), "accountant", clock)
    if upto == "publicized":
        return run.id
    clock.advance(days=7)
    await runs.approve(run.id, "chair", clock)
    if upto == "approved":
        return run.id
    await payouts.pay(run.id, "accountant", clock=clock)
    return run.id


async def test_compute_killed_mid_transaction(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run_id = await prepared(clean_db, tmp_path, "draft")
    kill_at(clean_db, "compute.lines_written", tmp_path, "run", "compute", str(run_id), who=PEOPLE["accountant"])
    assert (await runs.get_run(run_id)).state == "draft"
    assert await AllocationLine.filter(run_id=run_id).count() == 0
    finish(clean_db, "run", "compute", str(run_id), who=PEOPLE["accountant"])
    assert "nothing changed" in finish(clean_db, "run", "compute", str(run_id), who=PEOPLE["accountant"])
    run = await runs.get_run(run_id)
    assert run.state == "computed" and await AllocationLine.filter(run_id=run_id).count() == run.lines > 0


async def test_approve_killed_after_posting_the_accrual(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run_id = await prepared(clean_db, tmp_path, "publicized")
    kill_at(clean_db, "approve.accrual_posted", tmp_path, "run", "approve", str(run_id), *MEETING, who=PEOPLE["chair"])
    assert (await runs.get_run(run_id)).state == "publicized"
    assert await LedgerEntry.filter(run_id=run_id).count() == 0
    finish(clean_db, "run", "approve", str(run_id), *MEETING, who=PEOPLE["chair"])
    finish(clean_db, "run", "approve", str(run_id), *MEETING, who=PEOPLE["chair"])
    assert (await runs.get_run(run_id)).state == "approved"
    assert sorted(await LedgerEntry.filter(run_id=run_id).values_list("kind", flat=True)) == ["accrual", "return"]


async def test_pay_killed_after_writing_the_batch(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run_id = await prepared(clean_db, tmp_path, "approved")
    kill_at(clean_db, "pay.items_written", tmp_path, "run", "pay", str(run_id), "--out", str(tmp_path / "out"), who=PEOPLE["accountant"])
    assert (await runs.get_run(run_id)).state == "approved"
    assert await PayoutBatch.filter(run_id=run_id).count() == 0 and await PayoutItem.filter(run_id=run_id).count() == 0
    finish(clean_db, "run", "pay", str(run_id), "--out", str(tmp_path / "out"), who=PEOPLE["accountant"])
    assert (await runs.get_run(run_id)).state == "paid"
    assert await PayoutBatch.filter(run_id=run_id).count() == 1


async def test_bank_result_killed_after_the_settlement(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run_id = await prepared(clean_db, tmp_path, "paid")
    ids = await PayoutItem.filter(run_id=run_id).order_by("household_id").values_list("household_id", flat=True)
    result = bank_result(tmp_path / "result.csv", [(h, "成功") for h in ids])
    kill_at(clean_db, "bank_result.settlement_posted", tmp_path, "run", "bank-result", str(run_id), str(result), who=PEOPLE["accountant"])
    assert await LedgerEntry.filter(run_id=run_id, kind="settlement").count() == 0
    assert await PayoutItem.filter(run_id=run_id, status="pending").count() == len(ids)
    finish(clean_db, "run", "bank-result", str(run_id), str(result), who=PEOPLE["accountant"])
    assert "recorded before" in finish(clean_db, "run", "bank-result", str(run_id), str(result), who=PEOPLE["accountant"])
    assert await LedgerEntry.filter(run_id=run_id, kind="settlement").count() == 1
    assert await BankResultLine.all().count() == len(ids)
    assert await PayoutItem.filter(run_id=run_id, status="paid").count() == len(ids)


async def test_cash_approval_killed_after_the_settlement(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from dividends.store import cash
    from dividends.store.models import CashPayment
    run_id = await prepared(clean_db, tmp_path, "paid")
    ids = await PayoutItem.filter(run_id=run_id).order_by("household_id").values_list("household_id", flat=True)
    clock = FixedClock(datetime(2025, 1, 14, 2, 0, tzinfo=UTC))
    await payouts.import_bank_result(run_id, bank_result(tmp_path / "r.csv", [(h, "失败" if h == ids[0] else "成功") for h in ids]),
                                     "accountant", clock=clock)
    owed = await cash.owed_in_cash(run_id)
    row = await cash.prepare(await runs.get_run(run_id), [(ids[0], *owed[ids[0]])], name="s.png", media_type="image/png",
                             data=b"\x89PNG\r\n\x1a\nscan", note="", actor="accountant")
    approve = ("run", "cash-approve", str(run_id), str(row.id))
    kill_at(clean_db, "cash.settlement_posted", tmp_path, *approve, who=PEOPLE["chair"])
    assert (await CashPayment.get(id=row.id)).state == "prepared"  # nothing of the transaction stayed
    assert await LedgerEntry.filter(run_id=run_id, ref=f"cash:{row.id}").count() == 0
    assert await PayoutItem.filter(run_id=run_id, household_id=ids[0], status="paid").count() == 0
    finish(clean_db, *approve, who=PEOPLE["chair"])
    assert "nothing to do" in finish(clean_db, *approve, who=PEOPLE["chair"])
    assert await LedgerEntry.filter(run_id=run_id, ref=f"cash:{row.id}").count() == 1
    assert await PayoutItem.filter(run_id=run_id, status="paid").count() == len(ids)
