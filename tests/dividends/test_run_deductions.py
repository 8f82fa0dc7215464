"""A deductions file per run (issue 10, item 3, first part): given at run create, refused there
with its row and column when wrong, kept as a recorded input (content hash, offline verify),
applied after the allocation (never below zero), shown as its own column on the notice, the
approval summary and in the SMS breakdown, and posted with the accrual to the creditor account."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from dividends import ledger, runs
from dividends.auditpack import build_pack, verify_pack
from dividends.clock import FixedClock
from dividends.imports import import_registry
from dividends.outbox.content import run_words
from dividends.overview import approval_summary
from dividends.publicity import notice_html
from dividends.store import ledger as ledger_store
from dividends.store.models import Run
from schemes.problems import InputError
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.support import sample_files
from tests.dividends.test_runs import RESOLUTION

pytestmark = pytest.mark.db


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))


def csv(rows: list[str]) -> bytes:
    return ("户编号,扣款金额,扣款原因,收款账户\n" + "".join(r + "\n" for r in rows)).encode("utf-8")


async def test_a_runs_deductions_are_a_recorded_input_applied_shown_and_posted(clean_db, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = sample_files(tmp_path / "reg", households=12, villages=1, seed=3)
    await import_registry(reg.households, period=2024, actor="accountant", posts=reg.posts, members=reg.members,
                          reference_date=date(2025, 1, 1))
    plain = await runs.create_run("V0001", 2024, "shareholding", "accountant", amount_yuan="50000")
    await runs.compute_run(plain.id, "accountant", clock)
    before = (await runs.lines_frame(plain.id)).filter(pl.col("recipient_kind") == "household") \
        .sort("amount_fen", "recipient_id", descending=[True, False])
    (rich, rich_fen), (poor, poor_fen) = before.head(2).select("recipient_id", "amount_fen").rows()
    await runs.cancel(plain.id, "accountant", "deductions to add", clock)

    with pytest.raises(InputError) as bad:  # refused at create, with its row and column; nothing stored
        await runs.create_run("V0001", 2024, "shareholding", "accountant",
                              deductions=("debts.csv", csv([f"{rich},12.345,借款,collective"])))
    assert "debts.csv" in bad.value.text("en") and "12.345" in bad.value.text("en")
    assert await Run.filter(state="draft").count() == 0

    rows = [f"{rich},100,村集体借款,collective", f"{poor},{poor_fen / 100 + 50:.2f},多付冲回,collective"]
    run = await runs.create_run("V0001", 2024, "shareholding", "accountant", deductions=("debts.csv", csv(rows)))
    await runs.compute_run(run.id, "accountant", clock)
    run = await runs.get_run(run.id)
    assert "inputs/deductions.csv" in run.manifest["inputs"]
    assert run.content_hash and run.content_hash != (await runs.get_run(plain.id)).content_hash
    lines = await runs.lines_frame(run.id)
    amount = dict(lines.filter(pl.col("recipient_kind") == "household").select("recipient_id", "amount_fen").rows())
    assert amount[rich] == rich_fen - 100_00
    assert amount[poor] == 0  # never below zero: the rest is carried forward
    breakdown = json.loads(lines.filter(pl.col("recipient_id") == rich)["breakdown"][0])
    assert breakdown["deductions"] == -100_00
    assert int(lines["amount_fen"].sum()) == run.pool_fen  # the recovered fen went to the creditor

    start = clock.now().date()
    await runs.publicize(run.id, start, date.fromordinal(start.toordinal() + 6), "accountant", clock)
    notice = await notice_html(run.id, "en", clock)
    assert "Deductions (debts recovered)" in notice and "-100.00" in notice
    summary = await approval_summary(await runs.get_run(run.id), "en")
    assert ("Deductions (debts recovered)", -(100_00 + poor_fen)) in [(s.label, s.households_fen) for s in summary.steps]
    words = await run_words(await runs.get_run(run.id))
    assert [(i.label, i.fen) for i in words.breakdown(json.dumps(breakdown), "zh") if i.fen < 0] == [("扣款", -100_00)]

    clock.advance(days=8)
    await runs.approve(run.id, "chair", clock, resolution=RESOLUTION)
    assert ledger.verify(await ledger_store.entries_by_village(["V0001"]), await ledger_store.heads()) == []
    pack = tmp_path / "pack.zip"
    pack.write_bytes(await build_pack(run.id))
    result = verify_pack(pack)
    assert result.ok, [p.text("en") for p in result.problems]
