"""Carry-over that arrives (issue 10, item 4): a posted run's carry-over account becomes the
recorded "brought forward" input of the village's next-period run for the same asset, posted as
its own ledger entry; reversing the source flags the next run; arrived money is not "parked"."""
from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from dividends import anomalies, ledger, runs
from dividends.auditpack import build_pack, verify_pack
from dividends.carryover import REVERSED
from dividends.clock import FixedClock
from dividends.imports import import_registry
from dividends.ledger import accounts
from dividends.overview import approval_summary
from dividends.publicity import notice_html
from dividends.store import ledger as ledger_store
from dividends.store.models import Run
from schemes.money import format_yuan
from schemes.problems import InputError
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.support import sample_files
from tests.dividends.test_runs import RESOLUTION
from tests.people import cli, person

pytestmark = pytest.mark.db

SHAREHOLDING = Path(__file__).resolve().parents[2] / "schemes/presets/shareholding.yaml"


@pytest.fixture
def scheme(tmp_path: Path) -> str:
    """The shareholding preset paying only half of what remains as dividend: the rest is carried over."""
    text = SHAREHOLDING.read_text(encoding="utf-8").replace(
        'percent: {value: 100, source: "seed: profit sharing', 'percent: {value: 50, source: "test: half; seed: profit sharing')
    assert "value: 50" in text
    path = tmp_path / "half-dividend.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))


async def posted(period: int, clock: FixedClock, amount: str, registry, scheme: str,  # type: ignore[no-untyped-def]
                 asset: str = "asset") -> Run:
    await import_registry(registry.households, period=period, actor="accountant", posts=registry.posts,
                          members=registry.members, reference_date=date(2025, 1, 1))
    run = await runs.create_run("V0001", period, scheme, "accountant", amount_yuan=amount, asset=asset)
    await runs.compute_run(run.id, "accountant", clock)
    start = clock.now().date()
    await runs.publicize(run.id, start, date.fromordinal(start.toordinal() + 6), "accountant", clock)
    clock.advance(days=8)
    await runs.approve(run.id, "chair", clock, resolution=RESOLUTION)
    return await runs.get_run(run.id)


def carry_of(lines: pl.DataFrame) -> int:
    return int(lines.filter((pl.col("recipient_kind") == "account") & (pl.col("recipient_id") == "carry_over"))
               ["amount_fen"].sum())


async def test_carry_over_arrives_in_the_next_period_and_is_posted_and_verified(clean_db, clock, tmp_path, scheme) -> None:  # type: ignore[no-untyped-def]
    registry = sample_files(tmp_path / "reg", households=12, villages=1, seed=3)
    first = await posted(2024, clock, "50000.01", registry, scheme)
    carried = carry_of(await runs.lines_frame(first.id))
    assert carried > 0, "the sample must leave something in carry_over"
    assert [p.run_id for p in await anomalies.parked_money(None)] == [first.id]  # parked until it arrives

    other_asset = await posted(2025, clock, "40000", registry, scheme, asset="pv")  # another asset: nothing arrives
    assert other_asset.brought_forward is None and carry_of(await runs.lines_frame(other_asset.id)) > 0

    second = await runs.create_run("V0001", 2025, scheme, "accountant", amount_yuan="30000", asset="asset")
    assert second.brought_forward == {"run": first.id, "period": 2024, "accounts": {"carry_over": carried}}
    await runs.compute_run(second.id, "accountant", clock)
    second = await runs.get_run(second.id)
    lines = await runs.lines_frame(second.id)
    assert int(lines["amount_fen"].sum()) == second.pool_fen + carried  # the pool is the return plus what arrived
    assert "inputs/brought_forward.csv" in second.manifest["inputs"]  # a recorded input, in the content hash
    assert [p.run_id for p in await anomalies.parked_money(None)] == [other_asset.id]  # arrived: no longer parked
    acc = await person("acc1", "accountant", village="V0001")
    shown = cli(acc, "run", "show", str(second.id), env={"DATABASE_URL": clean_db})
    assert shown.returncode == 0, shown.stderr
    assert re.search(rf"brought forward\s+│?\s*{re.escape(format_yuan(carried))} \(run {first.id}, 2024\)", shown.stdout), \
        shown.stdout

    start = clock.now().date()
    await runs.publicize(second.id, start, date.fromordinal(start.toordinal() + 6), "accountant", clock)
    notice = await notice_html(second.id, "en", clock)  # its own line on the public notice, and in the check
    assert "Brought forward from 2024" in notice and f"plus {format_yuan(carried)} yuan brought forward" in notice
    summary = await approval_summary(await runs.get_run(second.id), "en")  # what the committee approves
    assert summary.brought_forward is not None and summary.brought_forward.fen == carried
    assert summary.brought_forward.run == first.id and summary.correction_needed == ""
    clock.advance(days=8)
    await runs.approve(second.id, "chair", clock, resolution=RESOLUTION)
    entries = await ledger_store.entries_of_run(second.id)
    assert [e.kind for e in entries] == ["return", "brought_forward", "accrual"]
    moved = dict(entries[1].postings.rows())
    assert moved == {accounts.collective("V0001", "carry_over"): carried,
                     accounts.distributable_pool("V0001"): -carried}
    by_village = await ledger_store.entries_by_village(["V0001"])
    assert ledger.verify(by_village, await ledger_store.heads()) == []
    balances = dict(pl.concat([e.postings for e in by_village["V0001"]]).group_by("account")
                    .agg(pl.col("amount_fen").sum()).rows())
    # the pool's expense is the returns, once: the carry-over that arrived is not distributed twice
    assert balances[accounts.distributable_pool("V0001")] == first.pool_fen + other_asset.pool_fen + second.pool_fen
    # what stays carried over is what the two latest runs left there, not the first run's too
    assert -balances[accounts.collective("V0001", "carry_over")] == (
        carry_of(await runs.lines_frame(other_asset.id)) + carry_of(lines))

    pack = tmp_path / "pack.zip"
    pack.write_bytes(await build_pack(second.id))
    result = verify_pack(pack)
    assert result.ok, [p.text("en") for p in result.problems]

    # the source is reversed: the run its carry-over arrived in is flagged for correction
    mirror = await runs.prepare_reversal(first.id, "accountant", "wrong return", clock)
    await runs.approve_reversal(mirror.id, "chair", clock)
    assert (await runs.get_run(second.id)).correction_needed == REVERSED
    flagged = await approval_summary(await runs.get_run(second.id), "en")
    assert flagged.correction_needed == REVERSED
    assert (await runs.get_run(other_asset.id)).correction_needed == ""


async def test_a_flagged_run_is_not_approved_and_its_replacement_takes_the_corrected_carry_over(clean_db, clock, tmp_path, scheme) -> None:  # type: ignore[no-untyped-def]
    registry = sample_files(tmp_path / "reg", households=12, villages=1, seed=3)
    first = await posted(2024, clock, "50000.01", registry, scheme)
    await import_registry(registry.households, period=2025, actor="accountant", posts=registry.posts,
                          members=registry.members, reference_date=date(2025, 1, 1))
    second = await runs.create_run("V0001", 2025, scheme, "accountant", amount_yuan="30000")
    await runs.compute_run(second.id, "accountant", clock)
    start = clock.now().date()
    await runs.publicize(second.id, start, date.fromordinal(start.toordinal() + 6), "accountant", clock)
    mirror = await runs.prepare_reversal(first.id, "accountant", "wrong return", clock)
    await runs.approve_reversal(mirror.id, "chair", clock)
    clock.advance(days=8)
    with pytest.raises(InputError, match=f"from run {first.id}, which has been reversed"):
        await runs.approve(second.id, "chair", clock, resolution=RESOLUTION)
    assert (await runs.get_run(second.id)).state == "publicized"
    await runs.cancel(second.id, "accountant", "carry-over source reversed", clock)
    # while no corrected source is posted, nothing arrives
    bare = await runs.create_run("V0001", 2025, scheme, "accountant")
    assert bare.brought_forward is None and bare.correction_needed == ""
    await runs.cancel(bare.id, "accountant", "wait for the correction", clock)

    fixed = await runs.create_run("V0001", 2024, scheme, "accountant", replaces=first.id)
    await runs.compute_run(fixed.id, "accountant", clock)
    start = clock.now().date()
    await runs.publicize(fixed.id, start, date.fromordinal(start.toordinal() + 6), "accountant", clock)
    clock.advance(days=8)
    await runs.approve(fixed.id, "chair", clock, resolution=RESOLUTION)
    again = await runs.create_run("V0001", 2025, scheme, "accountant")
    assert again.brought_forward["run"] == fixed.id
    assert again.brought_forward["accounts"] == {"carry_over": carry_of(await runs.lines_frame(fixed.id))}
    assert json.dumps(again.brought_forward)  # stored as plain JSON


def test_the_approval_draft_moves_the_carry_over_back_into_the_pool() -> None:
    lines = pl.DataFrame({"recipient_kind": ["household", "account"], "recipient_id": ["H1", "carry_over"],
                          "amount_fen": [1_000, 23]})
    drafts = ledger.draft_approval("V1", "R2", date(2025, 3, 1), 1_000, lines, brought_forward={"carry_over": 23})
    assert [d.kind for d in drafts] == ["return", "brought_forward", "accrual"]
    assert dict(drafts[2].postings.rows())[accounts.distributable_pool("V1")] == 1_023
    with pytest.raises(ledger.DraftError):  # the lines must add up to the return plus what arrived
        ledger.draft_approval("V1", "R2", date(2025, 3, 1), 1_000, lines)
    only_carry = ledger.draft_approval("V1", "R2", date(2025, 3, 1), 0,
                                       lines.with_columns(amount_fen=pl.Series([20, 3])), brought_forward={"carry_over": 23})
    assert [d.kind for d in only_carry] == ["brought_forward", "accrual"]
    assert "brought forward" in ledger.draft_approval("V1", "R2", date(2025, 3, 1), 1_000, lines,
                                                      brought_forward={"carry_over": 23}, lang="en")[1].narration
