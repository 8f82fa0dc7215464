"""The outbox with the template providers' fakes: notices written for the channel, sent with
their template and key, receipts pushed to our webhook (token, allowlist, size cap) or pulled,
late and duplicate receipts, replies answered through the provider, daily limits, quiet hours,
one-way texts, unapproved templates refused."""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from dividends.clock import CHINA, FixedClock
from dividends.outbox.dispatcher import dispatch
from dividends.outbox.prepare import prepare, release
from dividends.outbox.worker import poll_once, run_worker
from dividends.store.models import InboundMessage, Notice, OptOut, Village
from notify.settings import SmsSettings, channel_of, make_sender, provider_templates
from schemes.problems import InputError
from support.fake_aliyun import FakeAliyunServer
from support.fake_provider import FAKE_WEBHOOK_TOKEN, FakeProviderServer, provider_env
from support.fake_tencent import FakeTencentServer
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.test_outbox_support import START, phones, publicized_run, serve_here, set_household, webhook_app
from dividends.settings import Settings

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def aliyun() -> Iterator[FakeProviderServer]:
    with FakeAliyunServer() as server:
        yield server


@pytest.fixture(scope="module")
def tencent() -> Iterator[FakeProviderServer]:
    with FakeTencentServer() as server:
        yield server


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def app_settings(fake: FakeProviderServer, **env: str) -> Settings:
    return Settings.from_env({**provider_env(fake.state.provider, fake.url), "PUBLIC_BASE_URL": "http://127.0.0.1:9",
                              "SMS_WEBHOOK_TOKEN": FAKE_WEBHOOK_TOKEN, "DIVIDENDS_LANG": "en", "SMS_PARAM_MAX": "12",
                              "SMS_QUIET_HOURS": "none", "SMS_TIMEOUT_SECONDS": "2", **env})


async def queue(run_id: int, sms: SmsSettings, clock: FixedClock) -> Any:
    report = await prepare(run_id, "publicity", "accountant", clock, channel=channel_of(sms),
                           templates=provider_templates(sms))
    await release(run_id, "publicity", "accountant", clock)
    return report


async def eventually(check: Any, what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


@pytest.fixture(params=["aliyun", "tencent"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeProviderServer]:
    server: FakeProviderServer = request.getfixturevalue(request.param)
    server.state.reset()
    yield server
    server.state.reset()


async def test_pushed_receipts_reach_the_notices_never_backwards_and_duplicates_change_nothing(
        clean_db: str, tmp_path: Path, clock: FixedClock, fake: FakeProviderServer) -> None:
    run = await publicized_run(tmp_path, clock)
    numbers = await phones(run)
    failing = sorted(numbers.values())[0]
    config = app_settings(fake)
    prepared = await queue(run.id, config.sms, clock)
    assert prepared.queued == len(numbers)
    stored = await Notice.filter(run_id=run.id).exclude(status="no_phone").values_list("provider", "template", "params")
    assert {(p, t) for p, t, _ in stored} <= {(fake.state.provider, "publicity"), (fake.state.provider, "publicity_nothing")}
    assert all(json.loads(params)["village"] for *_, params in stored)
    async with serve_here(webhook_app(config, clock)) as url:
        fake.state.control({"report_url": f"{url}/webhooks/{fake.state.provider}/{FAKE_WEBHOOK_TOKEN}/report",
                            "duplicate_reports": True, "report_delay": 0.1, "fail_for": {failing: "MK:0001"}})
        async with make_sender(config.sms) as sender:
            done = await dispatch(sender, config.sms, clock, run_id=run.id, concurrency=4)
        assert done.sent == len(numbers)

        async def settled() -> bool:
            return not await Notice.filter(run_id=run.id, status="sent").exists()

        await eventually(settled, "every receipt")
    rows = dict(await Notice.filter(run_id=run.id).exclude(status="no_phone").values_list("phone", "status"))
    assert rows.pop(failing) == "undelivered" and set(rows.values()) == {"delivered"}
    bad = await Notice.get(run_id=run.id, phone=failing)
    assert bad.provider_code == "MK:0001" and bad.final_at is not None
    assert all(m.content.startswith("【青山镇人民政府】") for m in fake.state.messages.values())


@pytest.mark.parametrize("case", ["wrong_token", "not_allowed", "too_large", "malformed"])
async def test_an_unsigned_push_is_refused_before_parsing_unless_its_token_and_address_are_right(
        clean_db: str, tmp_path: Path, clock: FixedClock, aliyun: FakeProviderServer, case: str) -> None:
    config = app_settings(aliyun, SMS_WEBHOOK_ALLOW="10.9.0.0/16" if case == "not_allowed" else "")
    token = "x" * 24 if case == "wrong_token" else FAKE_WEBHOOK_TOKEN
    body = b"[" + b'{"biz_id": "1"},' * 2000 + b"{}]" if case == "too_large" else (
        b"{not json" if case == "malformed" else b'[{"biz_id": "1", "success": true}]')
    app = webhook_app(config, clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        response = await http.post(f"/webhooks/aliyun/{token}/report", content=body,
                                   headers={"content-type": "application/json"})
    assert response.status_code == {"wrong_token": 404, "not_allowed": 403, "too_large": 413, "malformed": 400}[case]
    assert await Notice.all().count() == 0


async def test_tencent_receipts_and_replies_are_pulled_and_a_reply_is_answered_through_the_provider(
        clean_db: str, tmp_path: Path, clock: FixedClock, tencent: FakeProviderServer) -> None:
    tencent.state.reset()
    run = await publicized_run(tmp_path, clock)
    numbers = await phones(run)
    config = app_settings(tencent, SMS_RECEIPTS="pull")
    await queue(run.id, config.sms, clock)
    phone = sorted(numbers.values())[1]
    async with make_sender(config.sms) as sender:
        await dispatch(sender, config.sms, clock, run_id=run.id)
        tencent.state.control({"reply": {"phone": phone, "text": "退订", "time": 1796000000}})
        applied = await poll_once(sender, config.sms, clock)
        again = await poll_once(sender, config.sms, clock)
    assert applied == len(numbers) and again == 0
    assert await Notice.filter(run_id=run.id, status="delivered").count() == len(numbers)
    assert await OptOut.filter(phone=phone, opted_out=True).exists()
    answer = [m for m in tencent.state.messages.values() if m.template == "opt_out_confirmation"]
    assert [m.phone for m in answer] == [phone] and (await InboundMessage.get(phone=phone)).intent == "opt_out"


async def test_aliyun_receipts_are_looked_up_when_nothing_is_pushed(
        clean_db: str, tmp_path: Path, clock: FixedClock, aliyun: FakeProviderServer) -> None:
    aliyun.state.reset()
    run = await publicized_run(tmp_path, clock)
    config = app_settings(aliyun, SMS_RECEIPTS="pull")
    await queue(run.id, config.sms, clock)
    async with make_sender(config.sms) as sender:
        await dispatch(sender, config.sms, clock, run_id=run.id)
        assert await poll_once(sender, config.sms, clock) == 0  # too fresh to look up
        clock.advance(minutes=3)
        applied = await poll_once(sender, config.sms, clock)
    assert applied == await Notice.filter(run_id=run.id, status="delivered").count() > 0
    assert aliyun.state.counts["QuerySendDetails"] >= applied


async def test_a_one_way_channel_sends_the_office_landline_or_refuses_without_it(
        clean_db: str, tmp_path: Path, clock: FixedClock, aliyun: FakeProviderServer) -> None:
    run = await publicized_run(tmp_path, clock)
    config = app_settings(aliyun, SMS_TWO_WAY="false")
    missing = await prepare(run.id, "publicity", "accountant", clock, channel=channel_of(config.sms),
                            templates=provider_templates(config.sms))
    assert missing.queued == 0 and missing.unrenderable > 0
    assert "landline" in missing.failures[0][1] or "office_phone" in missing.failures[0][1]
    await Notice.filter(run_id=run.id).delete()
    await Village.filter(code="V0001").update(contact_phone="0539-8123456")
    from dividends.runs import get_run

    done = await prepare(run.id, "publicity", "accountant", clock, channel=channel_of(config.sms),
                         templates=provider_templates(config.sms))
    assert done.queued > 0 and done.unrenderable == 0
    body = (await Notice.filter(run_id=run.id, status="queued").first()).body  # type: ignore[union-attr]
    assert "0539-8123456" in body and "回复" not in body and "异议+原因" not in body
    assert (await get_run(run.id)).id == run.id


async def test_a_kind_whose_template_is_not_approved_is_refused_before_anything_is_written(
        clean_db: str, tmp_path: Path, clock: FixedClock, aliyun: FakeProviderServer) -> None:
    run = await publicized_run(tmp_path, clock)
    config = app_settings(aliyun)
    with pytest.raises(InputError, match="not_registered|not registered"):
        await prepare(run.id, "publicity", "accountant", clock, channel=channel_of(config.sms),
                      templates=None)
    assert await Notice.filter(run_id=run.id).count() == 0


async def test_a_number_over_its_daily_limit_waits_for_the_next_morning(
        clean_db: str, tmp_path: Path, clock: FixedClock, aliyun: FakeProviderServer) -> None:
    aliyun.state.reset()
    run = await publicized_run(tmp_path, clock)
    ids = sorted(await phones(run))
    for hid in ids[:3]:
        await set_household(run, hid, phone="13912345678")
    config = app_settings(aliyun, SMS_DAILY_LIMIT_PER_NUMBER="1")
    await queue(run.id, config.sms, clock)
    async with make_sender(config.sms) as sender:
        done = await dispatch(sender, config.sms, clock, run_id=run.id)
    templates = set(await Notice.filter(run_id=run.id, phone="+8613912345678").values_list("template", flat=True))
    assert done.held_for_tomorrow == 3 - len(templates) >= 1  # one text a day per template
    held = await Notice.filter(run_id=run.id, phone="+8613912345678", status="queued").values_list("next_try_at",
                                                                                                    "tries")
    assert len(held) == done.held_for_tomorrow and all(t == 0 for _, t in held)
    assert all(at.astimezone(CHINA).hour == 8 and at > START for at, _ in held)
    assert len([m for m in aliyun.state.messages.values() if m.phone == "+8613912345678"]) == len(templates)


async def test_no_text_starts_in_quiet_hours_and_sigterm_stops_the_worker(
        clean_db: str, tmp_path: Path, aliyun: FakeProviderServer) -> None:
    aliyun.state.reset()
    night = FixedClock(datetime(2025, 1, 6, 22, 30, tzinfo=CHINA))
    run = await publicized_run(tmp_path, night)
    config = app_settings(aliyun, SMS_QUIET_HOURS="21:00-08:00")
    await queue(run.id, config.sms, night)
    stop = asyncio.Event()
    async with make_sender(config.sms) as sender:
        task = asyncio.create_task(run_worker(sender, config.sms, night, stop=stop, poll_seconds=0.1))
        await asyncio.sleep(0.5)
        stop.set()
        report = await asyncio.wait_for(task, 10)
    assert report.quiet_waits >= 1 and report.sent == 0 and not aliyun.state.messages
    morning = FixedClock(datetime(2025, 1, 7, 8, 1, tzinfo=CHINA))
    stop = asyncio.Event()
    async with make_sender(config.sms) as sender:
        task = asyncio.create_task(run_worker(sender, config.sms, morning, stop=stop, poll_seconds=0.1))

        async def all_sent() -> bool:
            return not await Notice.filter(run_id=run.id, status__in=["queued", "sending"]).exists()

        await eventually(all_sent, "the morning's sends", timeout=15)
        stop.set()
        report = await asyncio.wait_for(task, 15)
    assert report.sent == len(aliyun.state.messages) > 0
    assert START < datetime.now(UTC) + timedelta(days=3650)
