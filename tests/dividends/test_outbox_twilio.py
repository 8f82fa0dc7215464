"""The whole path over HTTP: prepare -> dispatch through the Twilio SDK to the fake Twilio ->
signed status callbacks posted by the fake to our webhook app on 127.0.0.1 -> the report."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dividends.clock import FixedClock
from dividends.outbox.dispatcher import dispatch
from dividends.outbox.prepare import prepare
from dividends.outbox.report import report
from dividends.store.models import Notice, OptOut
from support.fake_twilio import FakeTwilioServer
from notify.twilio_sender import TwilioSender
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.test_outbox_support import (
    queued,
    phones,
    publicized_run,
    serve_here,
    settings,
    webhook_app,
)

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def twilio_server() -> Iterator[FakeTwilioServer]:
    with FakeTwilioServer() as server:
        yield server


@pytest.fixture
def twilio(twilio_server: FakeTwilioServer) -> Iterator[FakeTwilioServer]:
    twilio_server.state.reset()
    twilio_server.state.control({"callbacks": {"enabled": True, "out_of_order": False, "final_only": False}})
    yield twilio_server
    twilio_server.state.release_hangs()
    twilio_server.state.reset()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC))  # the fake stamps messages with real time


async def test_send_callbacks_and_report_through_the_fake_twilio(
        clean_db, tmp_path: Path, clock: FixedClock, twilio: FakeTwilioServer) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock, households=30)
    numbers = await phones(run)
    ids = sorted(numbers)
    state = twilio.state
    state.set_recipient_error(numbers[ids[0]], 21211)
    state.set_recipient_error(numbers[ids[1]], 21610)
    state.set_recipient_error(numbers[ids[2]], 21614)
    state.set_delivery(numbers[ids[3]], "undelivered", 30006)
    state.set_delivery(numbers[ids[4]], "undelivered", 30003)
    state.set_delivery(numbers[ids[6]], "failed", 30007)
    state.fail_next("429", 2)
    state.fail_next("500_after_store", 1)  # stored at the fake, answered 500: in doubt (ids[5])

    app = webhook_app(settings(), clock)
    async with serve_here(app) as url:
        app.state.settings = app_settings = settings(url)  # the URL Twilio calls, known once served
        sms = twilio.sms_settings(public_base_url=url, rate_per_second=500, timeout_seconds=5)
        assert sms.status_callback_url == app_settings.sms.status_callback_url
        await queued(run.id, "publicity", "accountant", clock)
        async with TwilioSender(sms) as sender:
            first = await dispatch(sender, sms, clock, run_id=run.id, concurrency=1)
            assert (first.retry_scheduled, first.in_doubt, first.failed, first.opted_out) == (2, 1, 2, 1)
            await twilio.wait_for_callbacks()
            clock.advance(minutes=5)  # the throttled ones are due, and the look-up of the one in doubt
            second = await dispatch(sender, sms, clock, run_id=run.id, concurrency=4)
            assert (second.sent, second.lookups, second.recovered, second.resent) == (2, 1, 1, 0)
            await twilio.wait_for_callbacks()

            retrying = await Notice.get(run_id=run.id, household_id=ids[4])
            assert (retrying.status, retrying.error_code) == ("queued", 30003)
            state.set_delivery(numbers[ids[4]], "delivered")
            clock.advance(hours=7)
            third = await dispatch(sender, sms, clock, run_id=run.id)
            assert third.sent == 1
            await twilio.wait_for_callbacks()
    assert state.callbacks_failed == 0, state.callback_errors

    done = await report(run.id)
    counts = done.counts["publicity"]
    assert counts["delivered"] == len(numbers) - 5
    assert (counts["failed"], counts["undelivered"], counts["opted_out"]) == (3, 1, 1)
    assert counts["no_phone"] == 30 - len(numbers)
    assert counts["queued"] == counts["sending"] == counts["sent"] == 0
    assert {(f.household_id, f.status, f.code) for f in done.failed} == {
        (ids[0], "failed", 21211), (ids[2], "failed", 21614), (ids[3], "undelivered", 30006),
        (ids[6], "failed", 30007)}
    assert await OptOut.filter(phone=numbers[ids[1]], opted_out=True).exists()

    assert (await Notice.get(run_id=run.id, household_id=ids[5])).status == "delivered"  # found by the look-up
    expected = {ids[0]: 0, ids[1]: 0, ids[2]: 0, ids[4]: 2}
    for hid, phone in numbers.items():
        messages = state.messages_to(phone)
        assert len(messages) == expected.get(hid, 1), hid
        if messages:
            assert (await Notice.get(run_id=run.id, household_id=hid)).sid == messages[-1].sid


async def test_out_of_order_callbacks_leave_every_notice_at_its_final_status(
        clean_db, tmp_path: Path, clock: FixedClock, twilio: FakeTwilioServer) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock, households=20)
    numbers = await phones(run)
    twilio.state.control({"callbacks": {"out_of_order": True}})
    twilio.state.set_delivery(numbers[sorted(numbers)[0]], "undelivered", 30006)
    await queued(run.id, "publicity", "accountant", clock)
    app = webhook_app(settings(), clock)
    async with serve_here(app) as url:
        app.state.settings = settings(url)
        sms = twilio.sms_settings(public_base_url=url, rate_per_second=500)
        async with TwilioSender(sms) as sender:
            await dispatch(sender, sms, clock, run_id=run.id, concurrency=8)
            await twilio.wait_for_callbacks()
    assert twilio.state.callbacks_posted == 2 * len(numbers)
    statuses = await Notice.filter(run_id=run.id).exclude(status="no_phone").values_list("status", flat=True)
    assert sorted(statuses) == ["delivered"] * (len(numbers) - 1) + ["undelivered"]
