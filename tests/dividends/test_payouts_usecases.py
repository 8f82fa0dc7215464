"""The use cases of dividends/payouts.py (pay, bank results, retries, closing, cash) against the
in-memory fakes of the store (tests/fake_store.py): no database, each store answer and each
crash point staged exactly. tests/dividends/test_fake_store.py runs scenarios of the same use
cases on SQLite and on the fake and compares them; tests/dividends/test_runs.py (-m db) walks
whole runs on the database. These are in the fast selection of `make mutation PACKAGES=payouts`."""
from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from dividends import payouts
from dividends.clock import FixedClock
from dividends.files import load_formats
from schemes.i18n import Msg
from schemes.problems import InputError
from tests.fake_store import FakeStore, fake  # noqa: F401  (fixture)

NOW = datetime(2025, 1, 6, 2, 0, tzinfo=UTC)
A, B, C = "V0001001", "V0001002", "V0001003"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


def result(path: Path, *rows: tuple[str, ...], header: str = "户编号,状态,金额,流水号,失败原因") -> Path:
    """A bank result file: each row (household, status[, amount, bank_ref, reason])."""
    width = header.count(",") + 1
    path.write_text(header + "\n" + "".join(",".join((*r, *[""] * (width - len(r)))) + "\n" for r in rows),
                    encoding="utf-8-sig")
    return path


def keys(raised: pytest.ExceptionInfo[InputError]) -> list[Msg]:
    return [p.msg for p in raised.value.problems]


def csv_rows(fake: FakeStore, digest: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(fake.tables.files[digest][1].decode("utf-8-sig"))))


def entry(fake: FakeStore, ref: str):  # type: ignore[no-untyped-def]
    return next(e for _, _, e in fake.tables.entries if e.ref == ref)


def postings(fake: FakeStore, ref: str) -> dict[str, int]:
    return dict(entry(fake, ref).postings.select("account", "amount_fen").rows())


def event(fake: FakeStore, action: str):  # type: ignore[no-untyped-def]
    (found,) = [e for e in fake.tables.audit if e.action == action]
    return found


async def paid_run(fake: FakeStore, clock: FixedClock, tmp_path: Path, *outcomes: tuple[str, ...],
                   owed: tuple[tuple[str, int], ...] = ((A, 1000), (B, 2550), (C, 700))):  # type: ignore[no-untyped-def]
    """A run paid in one batch whose bank result (if ``outcomes``) was imported."""
    run = fake.add_run(owed)
    await payouts.pay(run.id, "acc", clock=clock)
    if outcomes:
        await payouts.import_bank_result(run.id, result(tmp_path / "first.csv", *outcomes), "acc", clock=clock)
    return run


# ------------------------------------------------------------------------------ pay


async def test_the_first_batch_pays_every_household_owed_and_moves_the_run_to_paid(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = fake.add_run([(B, 2550), (A, 1000)], lines=[("village", "V0001", 500), ("household", C, 0)])
    outcome = await payouts.pay(run.id, "acc", clock=clock)
    assert outcome.changed and outcome.run.state == "paid" and outcome.run.paid_at == NOW
    assert fake.tables.runs[run.id].state == "paid" and fake.tables.runs[run.id].paid_at == NOW
    batch = outcome.batch
    assert (batch.number, batch.items, batch.total_fen, batch.bank_format, batch.created_by) == (1, 2, 3550, "generic", "acc")
    assert fake.items(run.id) == [(A, 1000, "pending", 1), (B, 2550, "pending", 1)]  # by household
    rows = csv_rows(fake, batch.csv_file)
    assert rows[0][:7] == ["序号", "户编号", "收款人姓名", "身份证号码", "收款账号", "开户行", "金额（元）"]
    assert rows[1] == ["1", A, "户主001", "110101198001011001", "6217000000001001", "农业银行", "10.00",
                       "2024年度资产收益分红（按股分红）", "一村", "2024", "1"]
    assert rows[2][:7] == ["2", B, "户主002", "110101198001011002", "6217000000001002", "农业银行", "25.50"]
    assert rows[3][:7] == ["合计", "", "2户", "", "", "", "35.50"]
    assert fake.tables.files[batch.csv_file][0] == "payout_V0001_2024_1.csv"
    assert fake.tables.files[batch.xlsx_file][0] == "payout_V0001_2024_1.xlsx"
    assert fake.tables.files[batch.xlsx_file][1][:2] == b"PK"
    audit = event(fake, "run.pay")
    assert (audit.actor, audit.object_type, audit.object_id, audit.village.code) == ("acc", "run", str(run.id), "V0001")
    assert audit.detail == {"batch": 1, "items": 2, "total_fen": 3550, "bank_format": "generic",
                            "csv_sha256": batch.csv_file}
    assert fake.actions(run.id) == ["run.pay"] and fake.committed == 1


async def test_a_bank_format_is_chosen_and_named_in_its_file(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = fake.add_run([(A, 1000)])
    batch = (await payouts.pay(run.id, "acc", bank_format="psbc", clock=clock)).batch
    assert batch.bank_format == "psbc"
    assert fake.tables.files[batch.csv_file][0] == "PSBC_DF_V0001_20250106_1.csv"  # the batch's date


async def test_an_unknown_bank_format_is_refused_naming_the_known_ones(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = fake.add_run([(A, 1000)])
    with pytest.raises(InputError) as raised:
        await payouts.pay(run.id, "acc", bank_format="nobank", clock=clock)
    assert keys(raised) == [Msg("yaml.need_choice", expected=sorted(load_formats()), found="nobank", hint="")]
    assert "generic" in raised.value.problems[0].msg.text("en") and "nobank" in raised.value.problems[0].msg.text("zh")
    assert fake.tables.runs[run.id].state == "approved" and fake.tables.batches == []


async def test_a_site_format_reads_the_run_and_batch_of_the_file(fake, clock, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    site = tmp_path / "site.yaml"
    site.write_text(
        "formats:\n  - id: site\n    name: {zh: 本村, en: site}\n    purpose: \"{run_id}/{batch_no}/{village_id}/{date}\"\n"
        "    filename: \"site_{run_id}_{village_name}\"\n    columns:\n      - {header: 户编号, field: household_id}\n"
        "      - {header: 姓名, field: payee_name}\n      - {header: 账号, field: account_no}\n"
        "      - {header: 金额, field: amount_fen}\n      - {header: 用途, field: purpose}\n", encoding="utf-8")
    monkeypatch.setattr(payouts, "load_formats", lambda: load_formats(site))
    run = fake.add_run([(A, 1000)], run_id=42)
    batch = (await payouts.pay(run.id, "acc", bank_format="site", clock=clock)).batch
    assert csv_rows(fake, batch.csv_file)[1] == [A, "户主001", "6217000000001001", "1000", "42/1/V0001/20250106"]
    assert fake.tables.files[batch.csv_file][0] == "site_42_一村.csv"


async def test_households_without_a_bank_account_are_paid_in_cash_beside_the_batch(fake, clock) -> None:  # type: ignore[no-untyped-def]
    people = pl.DataFrame({"household_id": [A, B, C], "head_name": ["甲", "乙", "丙"], "id_number": ["1", "2", "3"],
                           "account_no": ["6217000000000001", "", ""], "bank": ["农行", "", ""], "amount_fen": [1000, 2550, 700]})
    run = fake.add_run(people)
    outcome = await payouts.pay(run.id, "acc", clock=clock)
    assert (outcome.batch.items, outcome.batch.total_fen) == (1, 1000)
    assert fake.items(run.id) == [(A, 1000, "pending", 1), (B, 2550, "cash", None), (C, 700, "cash", None)]
    audit = event(fake, "run.pay_in_cash")
    assert (audit.actor, audit.object_id, audit.village.code) == ("acc", str(run.id), "V0001")
    assert audit.detail == {"households": [B, C], "total_fen": 3250}
    assert fake.actions(run.id) == ["run.pay", "run.pay_in_cash"]


async def test_every_household_in_cash_pays_the_run_without_a_bank_batch(fake, clock) -> None:  # type: ignore[no-untyped-def]
    people = pl.DataFrame({"household_id": [B, A], "head_name": ["乙", "甲"], "id_number": ["2", "1"],
                           "account_no": ["", ""], "bank": ["", ""], "amount_fen": [2550, 1000]})
    run = fake.add_run(people)
    outcome = await payouts.pay(run.id, "acc", clock=clock)
    assert (outcome.batch, outcome.changed, outcome.run.state, outcome.run.paid_at) == (None, True, "paid", NOW)
    assert fake.tables.runs[run.id].state == "paid" and fake.tables.batches == []
    assert fake.items(run.id) == [(A, 1000, "cash", None), (B, 2550, "cash", None)]
    audit = event(fake, "run.pay_in_cash")
    assert (audit.actor, audit.object_id, audit.village.code) == ("acc", str(run.id), "V0001")
    assert audit.detail == {"households": [A, B], "total_fen": 3550}
    assert fake.committed == 1


async def test_a_run_owing_nothing_is_refused(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = fake.add_run([(A, 0)], run_id=7)
    with pytest.raises(InputError) as raised:
        await payouts.pay(run.id, "acc", clock=clock)
    assert keys(raised) == [Msg("run.nothing_to_pay", run=7)]
    assert fake.tables.runs[7].state == "approved"


@pytest.mark.parametrize("state", ["computed", "publicized", "closed", "cancelled"])
async def test_pay_is_refused_before_approval_and_after_closing(fake, clock, state) -> None:  # type: ignore[no-untyped-def]
    run = fake.add_run([(A, 1000)], state=state, run_id=5)
    with pytest.raises(InputError) as raised:
        await payouts.pay(run.id, "acc", clock=clock)
    (msg,) = keys(raised)
    assert (msg.key, msg.params["run"], msg.params["action"]) == ("run.illegal", 5, "pay")
    assert msg.params["state"] == Msg(f"state.{state}") and msg.params["needed"] == [Msg("state.approved")]
    assert fake.tables.batches == [] and fake.tables.runs[5].state == state


async def test_a_run_moved_meanwhile_is_refused_and_nothing_is_written(fake, clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    run = fake.add_run([(A, 1000)])
    real = fake.runs.run_by_id

    async def read_then_cancelled(run_id: int):  # type: ignore[no-untyped-def]
        found = await real(run_id)
        fake.tables.runs[run_id].state = "cancelled"  # cancelled by someone else after this read
        return found

    monkeypatch.setattr("dividends.store.runs.run_by_id", read_then_cancelled)
    with pytest.raises(InputError) as raised:
        await payouts.pay(run.id, "acc", clock=clock)
    assert keys(raised)[0].key == "run.illegal"
    assert fake.tables.batches == [] and fake.tables.items == [] and fake.tables.audit == []


async def test_a_crash_after_the_items_are_written_leaves_nothing(fake, clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def crash(name: str) -> None:
        if name == "pay.items_written":
            raise KeyboardInterrupt(name)

    monkeypatch.setattr(payouts, "checkpoint", crash)
    run = fake.add_run([(A, 1000)])
    files = dict(fake.tables.files)
    with pytest.raises(KeyboardInterrupt):
        await payouts.pay(run.id, "acc", clock=clock)
    assert fake.tables.runs[run.id].state == "approved" and fake.tables.batches == [] and fake.tables.items == []
    assert fake.tables.files == files and fake.tables.audit == [] and fake.rolled_back == 1


async def test_no_follow_up_while_a_batch_waits_for_its_result(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = await paid_run(fake, clock, tmp_path)
    with pytest.raises(InputError) as raised:
        await payouts.pay(run.id, "acc", clock=clock)
    assert keys(raised) == [Msg("run.pending_results", batch=1, count=3)]
    assert await fake.payouts.batch_count(run) == 1


async def test_a_follow_up_batch_pays_only_the_failed_lines_in_the_first_batchs_format(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = fake.add_run([(A, 1000), (B, 2550), (C, 700)])
    await payouts.pay(run.id, "acc", bank_format="psbc", clock=clock)
    await payouts.import_bank_result(run.id, result(tmp_path / "r.csv", (A, "成功"), (B, "失败"), (C, "失败")), "acc",
                                     clock=clock)
    clock.advance(days=3)
    outcome = await payouts.pay(run.id, "acc2", bank_format="generic", clock=clock)
    batch = outcome.batch
    assert (batch.number, batch.items, batch.total_fen, batch.bank_format, batch.created_by) == (2, 2, 3250, "psbc", "acc2")
    assert outcome.run.paid_at == NOW and fake.tables.runs[run.id].paid_at == NOW  # paid once, not again
    assert fake.items(run.id)[3:] == [(B, 2550, "pending", 2), (C, 700, "pending", 2)]
    assert fake.tables.files[batch.csv_file][0] == "PSBC_DF_V0001_20250109_2.csv"
    assert [e.detail["batch"] for e in fake.tables.audit if e.action == "run.pay"] == [1, 2]


async def test_a_follow_up_pays_to_the_accounts_corrected_since(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = await paid_run(fake, clock, tmp_path, (A, "失败"), (B, "失败"), (C, "成功"))
    fake.approve_correction(run.id, A, "6228000000000009", "邮储银行")
    fake.approve_correction(run.id, B, "6228000000000008")  # no bank given: the household's bank stays
    batch = (await payouts.pay(run.id, "acc", clock=clock)).batch
    rows = csv_rows(fake, batch.csv_file)
    assert [r[1:7] for r in rows[1:3]] == [
        [A, "户主001", "110101198001011001", "6228000000000009", "邮储银行", "10.00"],
        [B, "户主002", "110101198001011002", "6228000000000008", "农业银行", "25.50"]]


async def test_the_first_batch_ignores_corrections_made_before_payment(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = fake.add_run([(A, 1000)])
    fake.approve_correction(run.id, A, "6228000000000009", "邮储银行")
    rows = csv_rows(fake, (await payouts.pay(run.id, "acc", clock=clock)).batch.csv_file)
    assert rows[1][4:6] == ["6217000000001001", "农业银行"]


async def test_nothing_left_to_pay_after_every_line_was_paid(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = await paid_run(fake, clock, tmp_path, (A, "成功"), (B, "成功"), (C, "成功"), )
    with pytest.raises(InputError) as raised:
        await payouts.pay(run.id, "acc", clock=clock)
    assert keys(raised) == [Msg("run.nothing_to_pay", run=run.id)]


async def test_a_household_on_a_recorded_cash_payment_is_not_sent_to_the_bank_again(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = await paid_run(fake, clock, tmp_path, (A, "失败"), (B, "失败"), (C, "成功"))
    owed = await fake.cash.owed_in_cash(run.id)
    await fake.cash.prepare(run, [(A, *owed[A])], name="list.pdf", media_type="application/pdf", data=b"%PDF",
                            note="", actor="acc")
    batch = (await payouts.pay(run.id, "acc", clock=clock)).batch
    assert (batch.items, batch.total_fen) == (1, 2550)
    assert fake.items(run.id)[-1] == (B, 2550, "pending", 2)


async def test_a_correction_run_pays_only_the_difference_to_what_the_replaced_run_paid(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = await paid_run(fake, clock, tmp_path, (A, "成功"), (B, "成功"), (C, "失败"))
    fake.tables.runs[first.id].state = "reversed"
    fixed = fake.add_run([(A, 1500), (B, 2550), (C, 700)], replaces=first.id)
    batch = (await payouts.pay(fixed.id, "acc", clock=clock)).batch
    assert fake.items(fixed.id) == [(A, 500, "pending", 1), (C, 700, "pending", 1)]
    assert (batch.items, batch.total_fen) == (2, 1200)
    third = fake.add_run([(A, 1800), (B, 2550), (C, 700)], replaces=fixed.id)  # paid under both replaced runs
    await payouts.import_bank_result(fixed.id, result(tmp_path / "f.csv", (A, "成功"), (C, "成功")), "acc", clock=clock)
    assert fake.items((await payouts.pay(third.id, "acc", clock=clock)).run.id) == [(A, 300, "pending", 1)]


async def test_export_writes_the_stored_files_of_a_batch(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = fake.add_run([(A, 1000)])
    batch = (await payouts.pay(run.id, "acc", clock=clock)).batch
    out = await payouts.export_batch(run.id, 1, tmp_path / "out" / "new")
    assert [p.name for p in out] == ["payout_V0001_2024_1.csv", "payout_V0001_2024_1.xlsx"]
    assert [p.read_bytes() for p in out] == [fake.tables.files[batch.csv_file][1], fake.tables.files[batch.xlsx_file][1]]
    assert [p.parent for p in out] == [tmp_path / "out" / "new"] * 2


# ------------------------------------------------------------------------ bank results


async def test_a_bank_result_marks_lines_and_posts_one_settlement_for_the_paid(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = await paid_run(fake, clock, tmp_path)
    clock.advance(days=2)
    path = result(tmp_path / "回单.csv", (A, "成功", "10.00", "REF1"), (B, "失败", "", "", "账户已销户"), (C, "success", "7", " R3 "))
    outcome = await payouts.import_bank_result(run.id, path, "clerk", clock=clock)
    assert (outcome.run.id, outcome.batch, outcome.paid, outcome.failed, outcome.changed) == (run.id, 1, 2, 1, True)
    assert fake.items(run.id) == [(A, 1000, "paid", 1), (B, 2550, "failed", 1), (C, 700, "paid", 1)]
    (record,) = fake.tables.results
    assert (record.paid, record.failed, record.imported_by, record.batch_id) == (2, 1, "clerk", fake.tables.batches[0].id)
    assert fake.tables.files[record.file] == ("回单.csv", path.read_bytes())
    ref = f"settlement:{record.id}"
    settlement = entry(fake, ref)
    assert (settlement.kind, settlement.on, settlement.run_id) == ("settlement", date(2025, 1, 8), f"R{run.id}")
    assert postings(fake, ref) == {"Assets:Bank:V0001": -1700, f"Liabilities:Payable:V0001:{A}": 1000,
                                   f"Liabilities:Payable:V0001:{C}": 700}
    entry_id = await fake.payouts.ledger_entry_id(ref)
    ids = {i.household_id: i.id for i in fake.tables.items}
    assert sorted(fake.tables.result_lines) == sorted([
        (record.id, ids[A], "paid", "REF1", "", entry_id), (record.id, ids[B], "failed", "", "账户已销户", None),
        (record.id, ids[C], "paid", "R3", "", entry_id)])
    audit = event(fake, "run.bank_result")
    assert (audit.actor, audit.object_id, audit.village.code) == ("clerk", str(run.id), "V0001")
    assert audit.detail == {"batch": 1, "paid": 2, "failed": 1, "file_sha256": record.file}


async def test_a_result_of_only_failures_posts_no_settlement(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = await paid_run(fake, clock, tmp_path, (A, "失败"), (B, "fail"), (C, "退回"))
    assert fake.tables.entries == [] and [i[2] for i in fake.items(run.id)] == ["failed"] * 3
    assert {r[5] for r in fake.tables.result_lines} == {None}


async def test_the_same_result_file_again_changes_nothing(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = await paid_run(fake, clock, tmp_path, (A, "成功"), (B, "失败"))
    before = (list(fake.tables.results), list(fake.tables.entries), list(fake.tables.audit))
    again = await payouts.import_bank_result(run.id, tmp_path / "first.csv", "acc", clock=clock)
    assert (again.run.id, again.run.state, again.batch, again.paid, again.failed, again.changed) == (
        run.id, "paid", 1, 0, 0, False)
    assert (fake.tables.results, fake.tables.entries, fake.tables.audit) == before


async def test_the_same_file_for_another_batch_is_not_taken_for_a_repeat(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = await paid_run(fake, clock, tmp_path, (A, "成功"), (B, "失败"), (C, "成功"))
    await payouts.pay(run.id, "acc", clock=clock)
    with pytest.raises(InputError) as raised:  # batch 2 holds only B: the file is read (and refused)
        await payouts.import_bank_result(run.id, tmp_path / "first.csv", "acc", batch_number=2, clock=clock)
    assert {m.key for m in keys(raised)} == {"bank.unknown_household"}


async def test_a_result_goes_to_the_last_batch_unless_one_is_named(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = await paid_run(fake, clock, tmp_path, (A, "成功"), (B, "失败"), (C, "失败"))
    await payouts.pay(run.id, "acc", clock=clock)
    with pytest.raises(InputError) as raised:  # batch 1's lines have their results already
        await payouts.import_bank_result(run.id, result(tmp_path / "b1.csv", (B, "成功")), "acc", batch_number=1,
                                         clock=clock)
    assert keys(raised)[0] == Msg("bank.already", household=B, batch=1, status="failed")
    outcome = await payouts.import_bank_result(run.id, result(tmp_path / "b2.csv", (B, "成功"), (C, "失败")), "acc",
                                               clock=clock)
    assert (outcome.batch, outcome.paid, outcome.failed) == (2, 1, 1)
    assert fake.items(run.id)[3:] == [(B, 2550, "paid", 2), (C, 700, "failed", 2)]
    with pytest.raises(InputError) as raised:
        await payouts.import_bank_result(run.id, result(tmp_path / "b9.csv", (C, "成功")), "acc", batch_number=9,
                                         clock=clock)
    assert keys(raised) == [Msg("bank.no_batch", run=run.id)]


async def test_a_result_before_any_batch_is_refused(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    people = pl.DataFrame({"household_id": [A], "head_name": ["甲"], "id_number": ["1"], "account_no": [""],
                           "bank": [""], "amount_fen": [1000]})
    run = fake.add_run(people)
    await payouts.pay(run.id, "acc", clock=clock)  # in cash: paid, no batch
    with pytest.raises(InputError) as raised:
        await payouts.import_bank_result(run.id, result(tmp_path / "r.csv", (A, "成功")), "acc", clock=clock)
    assert keys(raised) == [Msg("bank.no_batch", run=run.id)]


@pytest.mark.parametrize("state", ["approved", "closed"])
async def test_a_result_is_refused_unless_the_run_is_paid(fake, clock, tmp_path, state) -> None:  # type: ignore[no-untyped-def]
    run = fake.add_run([(A, 1000)], state=state, run_id=9)
    with pytest.raises(InputError) as raised:
        await payouts.import_bank_result(run.id, result(tmp_path / "r.csv", (A, "成功")), "acc", clock=clock)
    assert keys(raised) == [Msg("run.illegal", run=9, state=Msg(f"state.{state}"), action="import a bank result",
                                needed=[Msg("state.paid")])]


async def test_an_amount_that_differs_refuses_the_whole_file(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = await paid_run(fake, clock, tmp_path)
    path = result(tmp_path / "r.csv", (A, "成功", "10.00"), (B, "成功", "25.49"), (C, "失败"))
    with pytest.raises(InputError) as raised:
        await payouts.import_bank_result(run.id, path, "acc", clock=clock)
    (problem,) = raised.value.problems
    assert problem.msg == Msg("bank.amount", household=B, found="25.49", expected="25.50")
    assert (problem.row, problem.column, problem.file) == (3, "金额", "r.csv")
    assert [i[2] for i in fake.items(run.id)] == ["pending"] * 3
    assert fake.tables.results == [] and fake.tables.entries == [] and fake.actions(run.id) == ["run.pay"]


async def test_an_unknown_status_and_household_are_reported_together(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = await paid_run(fake, clock, tmp_path)
    path = result(tmp_path / "r.csv", (A, "处理中"), ("V0009999", "成功"), (B, "成功"))
    with pytest.raises(InputError) as raised:
        await payouts.import_bank_result(run.id, path, "acc", clock=clock)
    assert keys(raised) == [Msg("bank.status", found="处理中"), Msg("bank.unknown_household", household="V0009999", batch=1)]
    assert fake.tables.results == []


async def test_a_result_file_without_a_status_column_is_refused(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = await paid_run(fake, clock, tmp_path)
    with pytest.raises(InputError):
        await payouts.import_bank_result(run.id, result(tmp_path / "r.csv", (A,), header="户编号"), "acc", clock=clock)
    assert fake.tables.results == []


async def test_a_crash_after_the_settlement_leaves_nothing_of_the_result(fake, clock, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = await paid_run(fake, clock, tmp_path)

    def crash(name: str) -> None:
        if name == "bank_result.settlement_posted":
            raise KeyboardInterrupt(name)

    monkeypatch.setattr(payouts, "checkpoint", crash)
    with pytest.raises(KeyboardInterrupt):
        await payouts.import_bank_result(run.id, result(tmp_path / "r.csv", (A, "成功")), "acc", clock=clock)
    assert fake.tables.results == [] and fake.tables.entries == [] and fake.tables.result_lines == []
    assert [i[2] for i in fake.items(run.id)] == ["pending"] * 3 and fake.actions(run.id) == ["run.pay"]


async def test_results_across_batches_chain_their_settlements(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = await paid_run(fake, clock, tmp_path, (A, "成功"), (B, "失败"), (C, "成功"))
    await payouts.pay(run.id, "acc", clock=clock)
    await payouts.import_bank_result(run.id, result(tmp_path / "r2.csv", (B, "成功")), "acc", clock=clock)
    first, second = (e for _, _, e in fake.tables.entries)
    assert (first.seq, second.seq, second.prev_hash) == (1, 2, first.hash)
    assert postings(fake, second.ref) == {"Assets:Bank:V0001": -2550, f"Liabilities:Payable:V0001:{B}": 2550}
    assert fake.items(run.id)[-1] == (B, 2550, "paid", 2)


async def test_post_settlement_returns_the_id_of_its_entry(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = fake.add_run([(A, 1000), (B, 500)], state="paid")
    entry_id = await payouts.post_settlement(run, [(A, 1000), (B, 500)], "cash:77", clock)
    (stored_id, run_id, posted) = fake.tables.entries[0]
    assert (entry_id, run_id, posted.ref, posted.on, posted.run_id) == (stored_id, run.id, "cash:77", date(2025, 1, 6),
                                                                        f"R{run.id}")
    assert postings(fake, "cash:77") == {"Assets:Bank:V0001": -1500, f"Liabilities:Payable:V0001:{A}": 1000,
                                         f"Liabilities:Payable:V0001:{B}": 500}


# ------------------------------------------------------------------------------ close


async def test_closing_waits_for_the_pending_results_of_the_last_batch(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = await paid_run(fake, clock, tmp_path, (A, "成功"), (B, "失败"), (C, "失败"))
    await payouts.pay(run.id, "acc", clock=clock)
    view = await payouts.closing(run.id)
    assert view.blocker == Msg("run.pending_results", batch=2, count=2)
    with pytest.raises(InputError) as raised:
        await payouts.close(run.id, "chair", allow_unpaid=True, reason="x", clock=clock)
    assert keys(raised) == [Msg("run.pending_results", batch=2, count=2)]
    assert fake.tables.runs[run.id].state == "paid"


async def test_closing_names_the_unpaid_and_needs_a_reason_for_them(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = await paid_run(fake, clock, tmp_path, (A, "成功"), (B, "失败"), (C, "失败"))
    view = await payouts.closing(run.id)
    assert (view.blocker, view.unpaid, view.unpaid_fen) == (None, [B, C], 3250)
    with pytest.raises(InputError) as raised:
        await payouts.close(run.id, "chair", clock=clock)
    assert keys(raised) == [Msg("run.unpaid", run=run.id, count=2, households=[B, C])]
    with pytest.raises(InputError) as raised:
        await payouts.close(run.id, "chair", allow_unpaid=True, reason="  ", clock=clock)
    assert keys(raised) == [Msg("run.unpaid_reason", run=run.id, count=2)]
    with pytest.raises(InputError) as raised:  # no reason given at all
        await payouts.close(run.id, "chair", allow_unpaid=True, clock=clock)
    assert keys(raised) == [Msg("run.unpaid_reason", run=run.id, count=2)]
    clock.advance(days=1)
    outcome = await payouts.close(run.id, "chair", allow_unpaid=True, reason=" 户主已迁出 ", clock=clock)
    assert (outcome.changed, outcome.run.state, outcome.run.closed_at) == (True, "closed", datetime(2025, 1, 7, 2, tzinfo=UTC))
    assert fake.tables.runs[run.id].state == "closed"
    audit = event(fake, "run.close")
    assert (audit.actor, audit.object_id, audit.village.code) == ("chair", str(run.id), "V0001")
    assert audit.detail == {"unpaid": [B, C], "unpaid_fen": 3250, "reason": "户主已迁出"}
    again = await payouts.close(run.id, "chair", clock=clock)
    assert (again.changed, again.run.state) == (False, "closed")
    assert fake.actions(run.id).count("run.close") == 1


async def test_a_run_paid_in_full_closes_without_a_reason(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = await paid_run(fake, clock, tmp_path, (A, "成功"), (B, "失败"), (C, "成功"))
    await payouts.pay(run.id, "acc", clock=clock)
    await payouts.import_bank_result(run.id, result(tmp_path / "r2.csv", (B, "成功")), "acc", clock=clock)
    assert await payouts.closing(run.id) == payouts.ClosingView(None, [], 0)
    outcome = await payouts.close(run.id, "chair", reason="ignored", clock=clock)
    assert outcome.changed and event(fake, "run.close").detail == {"unpaid": [], "unpaid_fen": 0}


async def test_households_to_be_paid_in_cash_count_as_unpaid_at_closing(fake, clock) -> None:  # type: ignore[no-untyped-def]
    people = pl.DataFrame({"household_id": [A, B], "head_name": ["甲", "乙"], "id_number": ["1", "2"],
                           "account_no": ["", ""], "bank": ["", ""], "amount_fen": [1000, 2550]})
    run = fake.add_run(people)
    await payouts.pay(run.id, "acc", clock=clock)
    assert await payouts.closing(run.id) == payouts.ClosingView(None, [A, B], 3550)


async def test_a_recorded_cash_payment_blocks_closing_until_decided(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = await paid_run(fake, clock, tmp_path, (A, "失败"), (B, "成功"), (C, "失败"))
    owed = await fake.cash.owed_in_cash(run.id)
    payment = await fake.cash.prepare(run, [(C, *owed[C]), (A, *owed[A])], name="list.pdf",
                                      media_type="application/pdf", data=b"%PDF", note="", actor="acc")
    view = await payouts.closing(run.id)
    assert view.blocker == Msg("cash.awaiting_close", payment=payment.id, count=2)


@pytest.mark.parametrize("state", ["approved", "computed"])
async def test_close_is_refused_before_payment(fake, clock, state) -> None:  # type: ignore[no-untyped-def]
    run = fake.add_run([(A, 1000)], state=state, run_id=3)
    with pytest.raises(InputError) as raised:
        await payouts.close(run.id, "chair", clock=clock)
    assert keys(raised) == [Msg("run.illegal", run=3, state=Msg(f"state.{state}"), action="close",
                                needed=[Msg("state.paid")])]


# ------------------------------------------------------------------------------- cash


async def cash_payment(fake: FakeStore, clock: FixedClock, tmp_path: Path):  # type: ignore[no-untyped-def]
    run = await paid_run(fake, clock, tmp_path, (A, "失败"), (B, "成功"), (C, "失败"))
    owed = await fake.cash.owed_in_cash(run.id)
    payment = await fake.cash.prepare(run, [(C, *owed[C]), (A, *owed[A])], name="list.pdf",
                                      media_type="application/pdf", data=b"%PDF-signed", note="", actor="acc")
    return run, payment


async def test_approving_a_cash_payment_pays_its_households_and_posts_a_settlement(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run, payment = await cash_payment(fake, clock, tmp_path)
    clock.advance(days=1)
    assert await payouts.pay_in_cash(run.id, payment.id, "chair", clock=clock) is True
    assert [i[2] for i in fake.items(run.id)] == ["paid"] * 3
    ref = f"cash:{payment.id}"
    assert postings(fake, ref) == {"Assets:Bank:V0001": -1700, f"Liabilities:Payable:V0001:{A}": 1000,
                                   f"Liabilities:Payable:V0001:{C}": 700}
    assert entry(fake, ref).on == date(2025, 1, 7)
    stored = fake.tables.cash[0]
    assert (stored.state, stored.approved_by, stored.approved_at) == ("approved", "chair", datetime(2025, 1, 7, 2, tzinfo=UTC))
    assert stored.settlement_id == await fake.payouts.ledger_entry_id(ref)
    audit = event(fake, "run.cash_paid")
    assert (audit.actor, audit.object_id, audit.village.code) == ("chair", str(run.id), "V0001")
    assert audit.detail == {"payment": payment.id, "households": [A, C], "total_fen": 1700, "ref": ref,
                            "evidence_sha256": payment.evidence}
    assert await payouts.closing(run.id) == payouts.ClosingView(None, [], 0)
    assert await payouts.pay_in_cash(run.id, payment.id, "chair", clock=clock) is False  # approved already
    assert fake.actions(run.id).count("run.cash_paid") == 1 and len(fake.tables.entries) == 2


async def test_a_payment_of_another_run_or_none_is_a_no_op(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run, payment = await cash_payment(fake, clock, tmp_path)
    other = fake.add_run([(A, 1)], state="paid")
    assert await payouts.pay_in_cash(other.id, payment.id, "chair", clock=clock) is False
    assert await payouts.pay_in_cash(run.id, 999, "chair", clock=clock) is False
    fake.tables.cash[0].state = "rejected"
    assert await payouts.pay_in_cash(run.id, payment.id, "chair", clock=clock) is False
    assert fake.tables.entries[1:] == [] and "run.cash_paid" not in fake.actions(run.id)


async def test_a_cash_payment_whose_household_was_paid_meanwhile_is_refused(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run, payment = await cash_payment(fake, clock, tmp_path)
    with pytest.raises(InputError):  # nothing: both are on the recorded payment
        await payouts.pay(run.id, "acc", clock=clock)
    fake.tables.cash[0].state = "rejected"
    await payouts.pay(run.id, "acc", clock=clock)  # turned down: A and C go to the bank again
    fake.tables.cash[0].state = "prepared"
    assert await payouts.cash_blocker(run.id, payment.id) == Msg("cash.not_owed", household=A, run=run.id)
    with pytest.raises(InputError) as raised:
        await payouts.pay_in_cash(run.id, payment.id, "chair", clock=clock)
    assert keys(raised) == [Msg("cash.not_owed", household=A, run=run.id)]
    assert fake.tables.cash[0].state == "prepared" and len(fake.tables.entries) == 1


async def test_a_cash_payment_approved_by_someone_else_meanwhile_is_a_no_op(fake, clock, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    run, payment = await cash_payment(fake, clock, tmp_path)
    fake.tables.cash[0].state = "approved"  # after pay_in_cash read it as prepared
    real_get = fake.cash.get

    async def read_as_prepared(run_id: int, payment_id: int):  # type: ignore[no-untyped-def]
        row = await real_get(run_id, payment_id)
        row.state = "prepared"
        return row

    monkeypatch.setattr("dividends.store.cash.get", read_as_prepared)
    assert await payouts.pay_in_cash(run.id, payment.id, "chair", clock=clock) is False
    assert len(fake.tables.entries) == 1 and "run.cash_paid" not in fake.actions(run.id)


async def test_a_cash_payment_that_cannot_settle_every_item_is_undone(fake, clock, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    run, payment = await cash_payment(fake, clock, tmp_path)
    real_settle = fake.cash.settle

    async def one_paid_meanwhile(payment_id: int, item_ids, entry_id: int) -> int:  # type: ignore[no-untyped-def]
        return await real_settle(payment_id, item_ids[1:], entry_id)

    monkeypatch.setattr("dividends.store.cash.settle", one_paid_meanwhile)
    with pytest.raises(InputError) as raised:
        await payouts.pay_in_cash(run.id, payment.id, "chair", clock=clock)
    assert keys(raised) == [Msg("cash.not_owed", household=f"{A}, {C}", run=run.id)]
    assert fake.tables.cash[0].state == "prepared" and len(fake.tables.entries) == 1
    assert [i[2] for i in fake.items(run.id)] == ["failed", "paid", "failed"]


async def test_a_crash_after_the_cash_settlement_leaves_the_payment_recorded(fake, clock, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    run, payment = await cash_payment(fake, clock, tmp_path)

    def crash(name: str) -> None:
        if name == "cash.settlement_posted":
            raise KeyboardInterrupt(name)

    monkeypatch.setattr(payouts, "checkpoint", crash)
    with pytest.raises(KeyboardInterrupt):
        await payouts.pay_in_cash(run.id, payment.id, "chair", clock=clock)
    assert fake.tables.cash[0].state == "prepared" and len(fake.tables.entries) == 1


async def test_households_paid_in_cash_without_an_account_are_settled_by_their_payment(fake, clock) -> None:  # type: ignore[no-untyped-def]
    people = pl.DataFrame({"household_id": [A, B], "head_name": ["甲", "乙"], "id_number": ["1", "2"],
                           "account_no": ["", "6217000000000002"], "bank": ["", "农行"], "amount_fen": [1000, 2550]})
    run = fake.add_run(people)
    await payouts.pay(run.id, "acc", clock=clock)
    owed = await fake.cash.owed_in_cash(run.id)
    assert list(owed) == [A]
    payment = await fake.cash.prepare(run, [(A, *owed[A])], name="l.pdf", media_type="application/pdf",
                                      data=b"%PDF", note="", actor="acc")
    assert await payouts.pay_in_cash(run.id, payment.id, "chair", clock=clock) is True
    assert fake.items(run.id) == [(B, 2550, "pending", 1), (A, 1000, "paid", None)]


async def test_without_a_clock_the_use_cases_read_the_system_clock(fake, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dividends.clock import today

    start = datetime.now(UTC)
    run = fake.add_run([(A, 1000), (B, 2550)])
    paid = (await payouts.pay(run.id, "acc")).run.paid_at
    await payouts.import_bank_result(run.id, result(tmp_path / "r.csv", (A, "成功"), (B, "失败")), "acc")
    owed = await fake.cash.owed_in_cash(run.id)
    payment = await fake.cash.prepare(run, [(B, *owed[B])], name="l.pdf", media_type="application/pdf", data=b"%PDF",
                                      note="", actor="acc")
    assert await payouts.pay_in_cash(run.id, payment.id, "chair") is True
    closed = (await payouts.close(run.id, "chair")).run.closed_at
    end = datetime.now(UTC)
    assert start <= paid <= end and start <= closed <= end and start <= fake.tables.cash[0].approved_at <= end
    assert {e.on for _, _, e in fake.tables.entries} <= {today(FixedClock(start)), today(FixedClock(end))}
