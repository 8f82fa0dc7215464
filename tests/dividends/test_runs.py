"""Payout-run lifecycle on a real database (SQLite here; TEST_DATABASE=postgres for PostgreSQL)."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from dividends import ledger, payouts, runs
from dividends.clock import FixedClock
from dividends.imports import import_registry
from dividends.store import ledger as ledger_store
from dividends.store.models import AllocationLine, AuditEvent, LedgerEntry, PayoutItem, Run
from schemes.problems import InputError
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.support import sample_files

pytestmark = pytest.mark.db


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))


@pytest.fixture
def registry(tmp_path: Path):  # type: ignore[no-untyped-def]
    return sample_files(tmp_path / "reg", households=12, villages=1, seed=3)


async def computed_run(registry, clock, scheme: str = "shareholding", amount: str = "50000") -> Run:  # type: ignore[no-untyped-def]
    await import_registry(registry.households, period=2024, actor="accountant", posts=registry.posts,
                          members=registry.members, reference_date=date(2025, 1, 1))
    run = await runs.create_run("V0001", 2024, scheme, "accountant", amount_yuan=amount)
    await runs.compute_run(run.id, "accountant", clock)
    return await runs.get_run(run.id)


async def approved_run(registry, clock, **kw) -> Run:  # type: ignore[no-untyped-def]
    run = await computed_run(registry, clock, **kw)
    await runs.publicize(run.id, date(2025, 1, 6), date(2025, 1, 12), "accountant", clock)
    clock.advance(days=7)
    await runs.approve(run.id, "chair", clock, resolution=RESOLUTION)
    return await runs.get_run(run.id)


RESOLUTION = {"counts": {"meeting_date": date(2025, 1, 13), "body": "representatives", "entitled": 30, "present": 21,
                         "votes_for": 15, "votes_against": 4, "abstaining": 2}, "quorum": ">=2/3", "majority": ">1/2"}
"""The villagers' meeting's resolution as :func:`dividends.usecases.runs.approve` records it."""


def bank_result(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("户编号,状态,失败原因\n" + "".join(f"{h},{s},{'账户已销户' if s == '失败' else ''}\n" for h, s in rows),
                    encoding="utf-8-sig")
    return path


async def test_a_run_goes_from_draft_to_closed_and_its_books_balance(clean_db, registry, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = await computed_run(registry, clock)
    assert run.state == "computed" and run.content_hash and run.lines > 0
    lines = await runs.lines_frame(run.id)
    assert lines["amount_fen"].sum() == run.pool_fen == 5_000_000
    assert await LedgerEntry.all().count() == 0  # computing posts nothing

    await runs.publicize(run.id, date(2025, 1, 6), date(2025, 1, 12), "accountant", clock)
    owed = lines.filter((pl.col("recipient_kind") == "household") & (pl.col("amount_fen") > 0))["recipient_id"].to_list()
    objection = await runs.record_objection(run.id, owed[0], "人口数不对", channel="cli", actor="accountant", clock=clock)
    clock.advance(days=7)
    with pytest.raises(InputError, match="unresolved objection"):
        await runs.approve(run.id, "chair", clock)
    await runs.resolve_objection(objection.id, "已核实，人口数无误", "chair", clock)
    outcome = await runs.approve(run.id, "chair", clock)
    assert outcome.changed and outcome.run.state == "approved"
    assert [e.kind for e in await ledger_store.entries_of_run(run.id)] == ["return", "accrual"]

    first = await payouts.pay(run.id, "accountant", clock=clock)
    assert first.batch.number == 1 and first.batch.items == len(owed)
    assert first.batch.total_fen == sum(lines.filter(pl.col("recipient_id").is_in(owed))["amount_fen"])
    files = await payouts.export_batch(run.id, 1, tmp_path / "bank")
    assert sorted(p.suffix for p in files) == [".csv", ".xlsx"]
    assert files[0].read_bytes().startswith(b"\xef\xbb\xbf")

    result = bank_result(tmp_path / "r1.csv", [(h, "成功") for h in owed[1:]] + [(owed[0], "失败")])
    done = await payouts.import_bank_result(run.id, result, "accountant", clock=clock)
    assert (done.paid, done.failed) == (len(owed) - 1, 1)
    with pytest.raises(InputError, match="unpaid household"):
        await payouts.close(run.id, "accountant", clock=clock)
    follow_up = await payouts.pay(run.id, "accountant", clock=clock)
    assert follow_up.batch.number == 2 and follow_up.batch.items == 1
    await payouts.import_bank_result(run.id, bank_result(tmp_path / "r2.csv", [(owed[0], "成功")]), "accountant", clock=clock)
    closed = await payouts.close(run.id, "accountant", clock=clock)
    assert closed.run.state == "closed"

    entries = await ledger_store.entries_by_village(["V0001"])
    assert ledger.verify(entries, await ledger_store.heads()) == []
    assert [e.kind for e in entries["V0001"]] == ["return", "accrual", "settlement", "settlement"]
    balances = pl.concat([e.postings for e in entries["V0001"]]).group_by("account").agg(pl.col("amount_fen").sum())
    payables = balances.filter(pl.col("account").str.starts_with("Liabilities:Payable"))
    assert (payables["amount_fen"] == 0).all()  # everyone owed was paid
    actions = await AuditEvent.filter(object_type="run", object_id=str(run.id)).values_list("action", flat=True)
    assert actions == ["run.create", "run.compute", "run.publicize", "run.approve", "run.pay", "run.bank_result",
                       "run.pay", "run.bank_result", "run.close"]

    out = io.StringIO()
    ledger.write_beancount([e for es in entries.values() for e in es], out)
    beancount_file = tmp_path / "books.beancount"
    beancount_file.write_text(out.getvalue(), encoding="utf-8")
    import subprocess, sys  # noqa: E401
    checked = subprocess.run([str(Path(sys.executable).parent / "bean-check"), str(beancount_file)],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


async def test_repeating_a_transition_changes_nothing(clean_db, registry, clock) -> None:  # type: ignore[no-untyped-def]
    run = await computed_run(registry, clock)
    again = await runs.compute_run(run.id, "accountant", clock)
    assert not again.changed
    assert await AllocationLine.filter(run_id=run.id).count() == run.lines
    await runs.publicize(run.id, date(2025, 1, 6), date(2025, 1, 12), "accountant", clock)
    assert not (await runs.publicize(run.id, date(2025, 1, 7), date(2025, 1, 30), "accountant", clock)).changed
    assert (await runs.get_run(run.id)).notice_end == date(2025, 1, 12)
    clock.advance(days=7)
    await runs.approve(run.id, "chair", clock)
    assert not (await runs.approve(run.id, "chair", clock)).changed
    assert await LedgerEntry.filter(run_id=run.id).count() == 2


@pytest.mark.parametrize("attempt, message", [
    ("approve_draft", "run 1 is computed; it cannot approve (needs: publicized)"),
    ("pay_computed", "it cannot pay (needs: approved)"),
    ("short_notice", "must last at least 7 days"),
    ("object_before_notice", "outside that period"),
    ("unknown_household", "household NOPE is not in the registry of run 1"),
    ("cancel_then_publicize", "run 1 is cancelled; it cannot publicize"),
])
async def test_illegal_steps_are_refused_and_change_nothing(clean_db, registry, clock, attempt, message) -> None:  # type: ignore[no-untyped-def]
    run = await computed_run(registry, clock)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        if attempt == "approve_draft":
            await runs.approve(run.id, "chair", clock)
        elif attempt == "pay_computed":
            await payouts.pay(run.id, "accountant", clock=clock)
        elif attempt == "short_notice":
            await runs.publicize(run.id, date(2025, 1, 6), date(2025, 1, 8), "accountant", clock)
        elif attempt == "object_before_notice":
            await runs.record_objection(run.id, "V0001-00001", "x", channel="cli", actor="a", clock=clock)
        elif attempt == "cancel_then_publicize":
            await runs.cancel(run.id, "accountant", "registry incomplete", clock)
            assert not (await runs.cancel(run.id, "accountant", "again", clock)).changed
            await runs.publicize(run.id, date(2025, 1, 6), date(2025, 1, 12), "accountant", clock)
        elif attempt == "unknown_household":
            await runs.publicize(run.id, date(2025, 1, 6), date(2025, 1, 12), "accountant", clock)
            await runs.record_objection(run.id, "NOPE", "x", channel="cli", actor="a", clock=clock)
    after = await runs.get_run(run.id)
    assert after.state in ("computed", "publicized", "cancelled")
    assert await LedgerEntry.all().count() == 0


async def test_the_preparer_cannot_approve_and_the_notice_period_must_end(clean_db, registry, clock) -> None:  # type: ignore[no-untyped-def]
    run = await computed_run(registry, clock)
    await runs.publicize(run.id, date(2025, 1, 6), date(2025, 1, 12), "accountant", clock)
    clock.advance(days=6)  # 12 January: the last day of the notice
    with pytest.raises(InputError, match="ends on 2025-01-12; approval is possible from 2025-01-13"):
        await runs.approve(run.id, "chair", clock)
    clock.advance(days=1)
    with pytest.raises(InputError, match="accountant prepared run 1 and cannot approve it"):
        await runs.approve(run.id, "accountant", clock)
    assert (await runs.get_run(run.id)).state == "publicized"


async def test_bank_results_are_recorded_once_per_line(clean_db, registry, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = await approved_run(registry, clock)
    batch = (await payouts.pay(run.id, "accountant", clock=clock)).batch
    items = await PayoutItem.filter(batch=batch).order_by("household_id").values_list("household_id", flat=True)
    first = bank_result(tmp_path / "a.csv", [(items[0], "成功")])
    await payouts.import_bank_result(run.id, first, "accountant", clock=clock)
    assert not (await payouts.import_bank_result(run.id, first, "accountant", clock=clock)).changed
    again = bank_result(tmp_path / "b.csv", [(items[0], "失败")])
    with pytest.raises(InputError, match=f"household {items[0]} already has a bank result in batch 1"):
        await payouts.import_bank_result(run.id, again, "accountant", clock=clock)
    stranger = bank_result(tmp_path / "c.csv", [("X-1", "成功"), (items[1], "maybe")])
    with pytest.raises(InputError) as caught:
        await payouts.import_bank_result(run.id, stranger, "accountant", clock=clock)
    text = caught.value.text("en")
    assert "c.csv, row 2, column '户编号': household X-1 is not in payout batch 1" in text
    assert "c.csv, row 3, column '状态': expected paid/failed (成功/失败), found 'maybe'" in text
    assert await LedgerEntry.filter(kind="settlement").count() == 1


async def test_a_reversed_run_is_replaced_by_a_correction_that_pays_the_difference(clean_db, registry, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = await approved_run(registry, clock)
    batch = (await payouts.pay(run.id, "accountant", clock=clock)).batch
    items = await PayoutItem.filter(batch=batch).order_by("household_id").values_list("household_id", "amount_fen")
    await payouts.import_bank_result(run.id, bank_result(tmp_path / "r.csv", [(h, "成功") for h, _ in items]),
                                     "accountant", clock=clock)
    pending = await runs.prepare_reversal(run.id, "accountant", "the return was 60,000, not 50,000", clock)
    assert (pending.kind, pending.state, (await runs.get_run(run.id)).state) == ("reversal", "computed", "paid")
    assert await LedgerEntry.filter(kind="reversal").count() == 0  # nothing posts before the second person agrees
    with pytest.raises(InputError, match="prepared the reversal"):
        await runs.approve_reversal(pending.id, "accountant", clock)
    mirror = await runs.approve_reversal(pending.id, "chair", clock)
    assert mirror.id == pending.id and mirror.state == "closed" and (await runs.get_run(run.id)).state == "reversed"
    assert (await runs.prepare_reversal(run.id, "accountant", "again", clock)).id == mirror.id
    assert (await runs.approve_reversal(mirror.id, "chair", clock)).state == "closed"
    with pytest.raises(InputError, match="only a reversed run can be replaced"):
        await runs.create_run("V0001", 2024, "shareholding", "accountant", replaces=mirror.id)

    fixed = await runs.create_run("V0001", 2024, "shareholding", "accountant", replaces=run.id, asset="asset")
    assert fixed.kind == "correction"
    await runs.compute_run(fixed.id, "accountant", clock)
    await runs.publicize(fixed.id, date(2025, 1, 14), date(2025, 1, 20), "accountant", clock)
    clock.advance(days=8)
    await runs.approve(fixed.id, "chair", clock)
    # same return, same scheme: everybody was already paid in full, nothing is left to pay
    with pytest.raises(InputError, match="has nothing left to pay"):
        await payouts.pay(fixed.id, "accountant", clock=clock)
    entries = await ledger_store.entries_by_village(["V0001"])
    assert ledger.verify(entries, await ledger_store.heads()) == []
    kinds = [e.kind for e in entries["V0001"]]
    assert kinds == ["return", "accrual", "settlement", "reversal", "reversal", "return", "accrual"]


async def test_approval_is_refused_while_someone_owed_money_has_no_bank_account(clean_db, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = sample_files(tmp_path / "reg", households=40, villages=1, seed=3, all_accounts=False)
    run = await computed_run(files, clock)
    await runs.publicize(run.id, date(2025, 1, 6), date(2025, 1, 12), "accountant", clock)
    clock.advance(days=7)
    with pytest.raises(InputError, match=r"owed money but have no bank account number \(V0001-"):
        await runs.approve(run.id, "chair", clock)
    assert await LedgerEntry.all().count() == 0


async def test_a_changed_scheme_text_needs_a_new_version(clean_db, registry, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from schemes.presets import preset_path
    first = await computed_run(registry, clock)
    await runs.cancel(first.id, "accountant", "the scheme changes", clock)
    changed = tmp_path / "shareholding.yaml"
    text = preset_path("shareholding").read_text(encoding="utf-8")  # type: ignore[union-attr]
    changed.write_text(text.replace("value: 20,", "value: 25,"), encoding="utf-8")
    with pytest.raises(InputError, match="scheme shareholding version 1 is already stored with different text"):
        await runs.create_run("V0001", 2024, str(changed), "accountant")
    changed.write_text(text.replace("value: 20,", "value: 25,").replace("version: 1", "version: 2"), encoding="utf-8")
    second = await runs.create_run("V0001", 2024, str(changed), "accountant")
    assert (second.scheme.scheme_id, second.scheme.version) == ("shareholding", 2)


async def test_a_cancelled_reversal_or_correction_lets_the_run_be_reversed_or_corrected_again(
        clean_db, registry, clock) -> None:  # type: ignore[no-untyped-def]
    """``reverses`` and ``replaces`` are one-to-one columns: a cancelled reversal or correction kept
    them, so preparing the next one failed with an IntegrityError (a 500) although the run page
    offered it. Cancelling gives up the link; the cancel's audit event keeps it."""
    from dividends.actors import Actor
    from dividends.usecases import runs as cases

    run = await approved_run(registry, clock)
    place = (await cases.scope.run(Actor(0, "root", "root", "admin"), run.id)).place
    acc = Actor(1, "accountant", "会计", "accountant", village_id=place.village_id, county_id=place.county_id)
    com = Actor(2, "com", "监委", "committee", village_id=place.village_id, county_id=place.county_id)
    first = await cases.reverse(acc, run.id, "算错了", clock)
    await cases.cancel(acc, first.id, "冲销有误", clock)
    assert (await cases.blockers(acc, run.id, clock))["run.reverse"] is None
    second = await cases.reverse(acc, run.id, "算错了", clock)
    assert second.id != first.id and (await cases.reversal(acc, run.id)).reversal == second.id
    await cases.approve_reversal(com, second.id, clock)
    assert (await runs.get_run(run.id)).state == "reversed"
    correction = await cases.correct(acc, run.id, "shareholding")
    await cases.cancel(acc, correction.id, "方案选错", clock)
    assert (await cases.blockers(acc, run.id, clock))["run.correct"] is None
    again = await cases.correct(acc, run.id, "shareholding")
    assert again.replaces_id == run.id and (await cases.reversal(acc, run.id)).correction == again.id  # type: ignore[attr-defined]
    cancels = {e.object_id: e.detail for e in await AuditEvent.filter(action="run.cancel")}
    assert cancels == {str(first.id): {"reason": "冲销有误", "was": "computed", "reverses": run.id},
                       str(correction.id): {"reason": "方案选错", "was": "draft", "replaces": run.id}}
