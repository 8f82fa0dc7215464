"""The SMS of a household whose payout a run deducted a debt from (issue 10, item 3 "shown ... in
the SMS"; item 5, the period statement): the outbox picks the template's ``_deduction`` variant
(before the deduction, deducted, paid) or ``_deduction_owed`` (also what is still owed after the
run), exactly in yuan from integer fen; households without a deduction keep the plain text; a
provider whose variant is not approved (or a variant id a notice row cannot hold) is refused
before anything is written."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from dividends import payouts, runs
from dividends.clock import FixedClock
from dividends.imports import import_registry
from dividends.outbox.inbound import answer_inbound
from dividends.outbox.period import prepare_period
from dividends.outbox.prepare import prepare
from dividends.store.models import Notice, PayoutItem, Run, Village
from notify.catalog import Channel, ProviderTemplates, load_provider_templates
from schemes.money import format_yuan
from schemes.presets import preset_path
from schemes.problems import InputError
from support.fake_provider import FAKE_SIGNATURE, TEMPLATES_FILE
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.support import sample_files
from tests.dividends.test_outbox_support import set_household
from tests.dividends.test_runs import RESOLUTION, bank_result

pytestmark = pytest.mark.db

RICH_PHONE, POOR_PHONE = "13900139001", "13900139002"
TAKEN_FROM_RICH = 100_00
OWED_BY_POOR = 50_00


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))


def deductions(rows: list[tuple[str, int]]) -> tuple[str, bytes]:
    text = "户编号,扣款金额,扣款原因,收款账户\n" + "".join(f"{h},{format_yuan(f, grouping=False)},村集体借款,collective\n"
                                                  for h, f in rows)
    return ("debts.csv", text.encode("utf-8"))


async def household_lines(run_id: int) -> dict[str, int]:
    lines = await runs.lines_frame(run_id)
    return dict(lines.filter(pl.col("recipient_kind") == "household").select("recipient_id", "amount_fen").rows())


async def deducted_run(tmp_path: Path, clock: FixedClock) -> tuple[Run, str, int, str, int]:
    """A publicized run deducting 100.00 from the richest household (all recovered) and more than
    it gets from the poorest paid one (50.00 left owed): (run, rich, its line before, poor, its line before)."""
    reg = sample_files(tmp_path / "reg", households=12, villages=1, seed=3)
    await import_registry(reg.households, period=2024, actor="accountant", posts=reg.posts, members=reg.members,
                          reference_date=date(2025, 1, 1))
    plain = await runs.create_run("V0001", 2024, "shareholding", "accountant", amount_yuan="50000", asset="光伏电站")
    await runs.compute_run(plain.id, "accountant", clock)
    before = await household_lines(plain.id)
    await runs.cancel(plain.id, "accountant", "deductions to add", clock)
    paid = sorted((f, h) for h, f in before.items() if f > 0)
    (poor_fen, poor), (rich_fen, rich) = paid[0], paid[-1]
    run = await runs.create_run("V0001", 2024, "shareholding", "accountant", asset="光伏电站",
                                deductions=deductions([(rich, TAKEN_FROM_RICH), (poor, poor_fen + OWED_BY_POOR)]))
    await runs.compute_run(run.id, "accountant", clock)
    start = clock.now().date()
    await runs.publicize(run.id, start, date.fromordinal(start.toordinal() + 6), "accountant", clock)
    run = await runs.get_run(run.id)
    await set_household(run, rich, language="zh", phone=RICH_PHONE)
    await set_household(run, poor, language="en", phone=POOR_PHONE)
    return run, rich, rich_fen, poor, poor_fen


async def notices(run_id: int, kind: str) -> dict[str, tuple[str, str]]:
    return {h: (t, b) for h, t, b in await Notice.filter(run_id=run_id, kind=kind).values_list(
        "household_id", "template", "body")}


async def test_the_sms_shows_before_deducted_paid_and_still_owed(clean_db, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run, rich, rich_fen, poor, poor_fen = await deducted_run(tmp_path, clock)
    lines = await household_lines(run.id)
    assert lines[rich] == rich_fen - TAKEN_FROM_RICH and lines[poor] == 0

    report = await prepare(run.id, "publicity", "accountant", clock)
    assert report.unrenderable == 0, report.failures
    told = await notices(run.id, "publicity")
    template, body = told[rich]  # zh, everything recovered: nothing owed after the run
    assert template == "publicity_deduction"
    assert (f"分红应发{format_yuan(rich_fen)}元" in body and f"扣还欠款{format_yuan(TAKEN_FROM_RICH)}元" in body
            and f"拟实发{format_yuan(rich_fen - TAKEN_FROM_RICH)}元" in body and "尚欠" not in body), body
    template, body = told[poor]  # en, the whole payout taken and 50.00 still owed
    assert template == "publicity_deduction_owed"
    assert (f"dividend CNY {format_yuan(poor_fen)} (" in body and f"less CNY {format_yuan(poor_fen)} deducted" in body
            and "CNY 0.00 to be paid" in body and "CNY 50.00 still owed" in body), body
    others = {h: t for h, (t, _) in told.items() if h not in (rich, poor)}
    assert others and set(others.values()) <= {"publicity", "publicity_nothing"}  # no deduction: the plain text
    assert all("扣还" not in b and "deducted" not in b for h, (_, b) in told.items() if h in others)

    # the answer to 查询 says the same (the household's latest run)
    answer = await answer_inbound("in-1", "+86" + RICH_PHONE, "查询", clock)
    assert answer.rendered is not None and answer.rendered.template == "statement_publicity_deduction"
    assert f"扣还欠款{format_yuan(TAKEN_FROM_RICH)}元，实发{format_yuan(rich_fen - TAKEN_FROM_RICH)}元" in answer.text

    # paid: the confirmation of the household still paid something shows the deduction
    clock.advance(days=8)
    await runs.approve(run.id, "chair", clock, resolution=RESOLUTION)
    batch = (await payouts.pay(run.id, "accountant", clock=clock)).batch
    ids = await PayoutItem.filter(batch=batch).order_by("household_id").values_list("household_id", flat=True)
    assert poor not in ids  # nothing left to pay it
    await payouts.import_bank_result(run.id, bank_result(tmp_path / "r.csv", [(h, "成功") for h in ids]),
                                     "accountant", clock=clock)
    await prepare(run.id, "payment_confirmation", "accountant", clock)
    template, body = (await notices(run.id, "payment_confirmation"))[rich]
    assert template == "payment_confirmation_deduction"
    assert f"应发{format_yuan(rich_fen)}元" in body and f"实发{format_yuan(rich_fen - TAKEN_FROM_RICH)}元已于" in body


async def test_the_period_statement_adds_up_the_deductions_of_the_periods_runs(clean_db, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pv, rich, rich_fen, poor, poor_fen = await deducted_run(tmp_path, clock)
    tour = await runs.create_run("V0001", 2024, "shareholding", "accountant", amount_yuan="3000", asset="乡村旅游",
                                 deductions=deductions([(rich, 10_00)]))
    await runs.compute_run(tour.id, "accountant", clock)
    start = clock.now().date()
    await runs.publicize(tour.id, start, date.fromordinal(start.toordinal() + 6), "accountant", clock)
    tour_lines = await household_lines(tour.id)
    report = await prepare_period("V0001", 2024, "accountant", clock)
    assert report.run_id == tour.id and report.unrenderable == 0, report.failures
    told = await notices(tour.id, "period_statement")
    template, body = told[rich]
    gross = rich_fen + tour_lines[rich] + 10_00
    assert template == "period_statement_deduction"
    assert (f"合计应发{format_yuan(gross)}元（光伏电站{format_yuan(rich_fen)}元，乡村旅游{format_yuan(tour_lines[rich] + 10_00)}元）"
            f"，扣还欠款{format_yuan(TAKEN_FROM_RICH + 10_00)}元，实发{format_yuan(gross - TAKEN_FROM_RICH - 10_00)}元") in body, body
    template, body = told[poor]
    assert template == "period_statement_deduction_owed"
    assert (f"CNY {format_yuan(poor_fen + tour_lines[poor])} (" in body and f"less CNY {format_yuan(poor_fen)} deducted" in body
            and f"CNY {format_yuan(tour_lines[poor])}; CNY 50.00 still owed" in body), body
    assert all(t == "period_statement" for h, (t, _) in told.items() if h not in (rich, poor))


def without(*template_ids: str) -> ProviderTemplates:
    shipped = load_provider_templates(TEMPLATES_FILE)
    return replace(shipped, entries={k: r for k, r in shipped.entries.items() if k[1] not in template_ids})


async def test_a_variant_the_provider_has_not_approved_is_refused_before_anything_is_written(clean_db, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run, rich, _, poor, _ = await deducted_run(tmp_path, clock)
    aliyun, tencent = Channel.of("aliyun", FAKE_SIGNATURE), Channel.of("tencent", FAKE_SIGNATURE)
    for channel, missing in ((aliyun, "publicity_deduction_owed"), (tencent, "publicity_deduction_split")):
        with pytest.raises(InputError) as refused:
            await prepare(run.id, "publicity", "accountant", clock, channel=channel, templates=without(missing))
        text = refused.value.text("en")
        assert f"run {run.id}" in text and f"'{missing}'" in text, text
        assert (poor if "owed" in missing else rich) in text and "1 households" in text, text
        assert "SMS_TEMPLATES_FILE" in text or "sms_templates.yaml" in text, text
        assert "短信模板" in refused.value.text("zh")
        assert await Notice.filter(run_id=run.id).count() == 0
    with pytest.raises(InputError, match="period_statement_deduction"):
        await prepare_period("V0001", 2024, "accountant", clock, channel=aliyun, templates=without("period_statement_deduction"))
    assert await Notice.all().count() == 0
    # approved everywhere: written
    done = await prepare(run.id, "publicity", "accountant", clock, channel=aliyun,
                         templates=load_provider_templates(TEMPLATES_FILE))
    assert done.created > 0 and done.unrenderable == 0, done.failures


async def test_the_longest_variant_ids_are_written_and_one_longer_than_a_notice_holds_is_refused(clean_db, clock, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # a protected minimum of 100 yuan: the household is paid it and still owes (a deduction that
    # leaves something to pay and something owed)
    reg = sample_files(tmp_path / "reg", households=12, villages=1, seed=3)
    await import_registry(reg.households, period=2024, actor="accountant", posts=reg.posts, members=reg.members,
                          reference_date=date(2025, 1, 1))
    text = preset_path("shareholding").read_text(encoding="utf-8")
    scheme = tmp_path / "protected.yaml"
    scheme.write_text(text.replace("\nsteps:", '\ndeductions:\n  protected: {per: household, amount: {value: 100, '
                                                'source: "test"}}\n  creditors: [collective]\nsteps:', 1), encoding="utf-8")
    plain = await runs.create_run("V0001", 2024, str(scheme), "accountant", amount_yuan="50000")
    await runs.compute_run(plain.id, "accountant", clock)
    rich, rich_fen = max((await household_lines(plain.id)).items(), key=lambda kv: (kv[1], kv[0]))
    await runs.cancel(plain.id, "accountant", "deductions to add", clock)
    run = await runs.create_run("V0001", 2024, str(scheme), "accountant", deductions=deductions([(rich, rich_fen + 50_00)]))
    await runs.compute_run(run.id, "accountant", clock)
    start = clock.now().date()
    await runs.publicize(run.id, start, date.fromordinal(start.toordinal() + 6), "accountant", clock)
    clock.advance(days=8)
    await runs.approve(run.id, "chair", clock, resolution=RESOLUTION)
    batch = (await payouts.pay(run.id, "accountant", clock=clock)).batch
    ids = await PayoutItem.filter(batch=batch).values_list("household_id", flat=True)
    await payouts.import_bank_result(run.id, bank_result(tmp_path / "r.csv", [(h, "成功") for h in ids]),
                                     "accountant", clock=clock)
    run = await runs.get_run(run.id)
    await set_household(run, rich, language="zh")
    assert (await household_lines(run.id))[rich] == 100_00
    # a one-way channel (Twilio to China) needs payment_confirmation_oneway_deduction_owed: 42 characters
    oneway = Channel.of("twilio", FAKE_SIGNATURE)
    # the guard against a column too short (a database before migration 0018 held 40)
    from dividends.store import notices as notice_store
    with monkeypatch.context() as patched:
        patched.setattr(notice_store, "template_max", lambda: 40)
        with pytest.raises(InputError, match="payment_confirmation_oneway_deduction_owed.*notice.template"):
            await prepare(run.id, "payment_confirmation", "accountant", clock, channel=oneway)
    assert await Notice.filter(run_id=run.id).count() == 0
    # the column holds 64: the one-way variant is written whole (one-way texts name the office phone)
    await Village.filter(code="V0001").update(contact_phone="0539-1234567")
    await prepare(run.id, "payment_confirmation", "accountant", clock, channel=oneway)
    written = await Notice.get(run_id=run.id, kind="payment_confirmation", household_id=rich)
    assert written.template == "payment_confirmation_oneway_deduction_owed", (written.status, written.error_message)
    await Notice.filter(run_id=run.id).delete()
    # a two-way one fits: paid 100.00, the rest deducted, 150.00 still owed
    await prepare(run.id, "payment_confirmation", "accountant", clock)
    template, body = (await notices(run.id, "payment_confirmation"))[rich]
    assert template == "payment_confirmation_deduction_owed"
    assert (f"应发{format_yuan(rich_fen)}元" in body and f"扣还欠款{format_yuan(rich_fen - 100_00)}元" in body
            and "实发100.00元已于" in body and "尚欠150.00元" in body), body
