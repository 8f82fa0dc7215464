"""TwilioSender over real HTTP against the project's fake Twilio."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime, timedelta

import pytest

from support.fake_twilio import FAKE_SERVICE_SID, FakeTwilioServer
from support.serve import refused_port
from notify.senders import (
    OutgoingSms,
    PermanentSendError,
    RetryableSendError,
    Sender,
    SenderConfigurationError,
    UnknownOutcomeError,
)
from pydantic import SecretStr
from notify.twilio_sender import TwilioSender

PHONE = "+8613800138000"
OTHER = "+8613900139000"
BODY = (
    "【青山村】张*明户：2026年度光伏收益分红拟发放1,234.50元（岗位补贴960.00元，直接收益274.50元）。"
    "公示至12月20日，有异议请回复“异议+原因”。回复查询看明细，回TD退订"
)


def now() -> datetime:
    return datetime.now(UTC)


async def test_a_message_is_created_with_the_configured_sender_and_callback(
    fake_twilio: FakeTwilioServer,
) -> None:
    settings = fake_twilio.sms_settings(public_base_url="https://dividends.example.org")
    async with TwilioSender(settings) as sender:
        assert isinstance(sender, Sender)
        result = await sender.send(
            OutgoingSms(PHONE, BODY, settings.status_callback_url, "N-1", attempt=2)
        )
    assert result.sid.startswith("SM") and len(result.sid) == 34
    assert (result.status, result.segments) == ("queued", 2)
    [message] = fake_twilio.state.messages_to(PHONE)
    assert message.sid == result.sid and message.body == BODY
    assert message.from_ == "+15005550006" and message.messaging_service_sid is None
    assert message.status_callback == "https://dividends.example.org/webhooks/twilio/status"


async def test_through_a_messaging_service_the_segments_are_not_counted_yet(
    fake_twilio: FakeTwilioServer,
) -> None:
    async with TwilioSender(
        fake_twilio.sms_settings(messaging_service_sid=FAKE_SERVICE_SID)
    ) as sender:
        result = await sender.send(OutgoingSms(PHONE, BODY))
    assert (result.status, result.segments) == ("accepted", None)
    [message] = fake_twilio.state.messages_to(PHONE)
    assert message.messaging_service_sid == FAKE_SERVICE_SID and message.from_ is None


@pytest.mark.parametrize("code", [21211, 21610, 21614, 21408, 21635, 21608, 21611])
async def test_a_refused_recipient_is_a_permanent_error(
    fake_twilio: FakeTwilioServer, code: int
) -> None:
    fake_twilio.state.set_recipient_error(PHONE, code)
    async with TwilioSender(fake_twilio.sms_settings()) as sender:
        with pytest.raises(PermanentSendError) as caught:
            await sender.send(OutgoingSms(PHONE, BODY))
        await sender.send(OutgoingSms(OTHER, BODY))
    assert (caught.value.code, caught.value.http_status) == (code, 400)
    assert caught.value.opted_out == (code == 21610)
    assert PHONE not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert fake_twilio.state.messages_to(PHONE) == []


async def test_too_many_requests_is_retryable_and_creates_nothing(
    fake_twilio: FakeTwilioServer,
) -> None:
    fake_twilio.state.fail_next("429")
    async with TwilioSender(fake_twilio.sms_settings()) as sender:
        with pytest.raises(RetryableSendError) as caught:
            await sender.send(OutgoingSms(PHONE, BODY))
        assert (caught.value.code, caught.value.http_status) == (20429, 429)
        assert fake_twilio.state.messages_to(PHONE) == []
        await sender.send(OutgoingSms(PHONE, BODY))
    assert len(fake_twilio.state.messages_to(PHONE)) == 1


async def test_a_500_is_an_unknown_outcome_and_find_existing_tells_whether_it_was_sent(
    fake_twilio: FakeTwilioServer,
) -> None:
    fake_twilio.state.fail_next("500")
    fake_twilio.state.fail_next("500_after_store")
    async with TwilioSender(fake_twilio.sms_settings()) as sender:
        since = now()
        with pytest.raises(UnknownOutcomeError) as first:
            await sender.send(OutgoingSms(PHONE, BODY, reference="N-1"))
        assert first.value.http_status == 500
        assert await sender.find_existing(PHONE, since, BODY) is None  # not sent: resend
        with pytest.raises(UnknownOutcomeError):
            await sender.send(OutgoingSms(PHONE, BODY, reference="N-1", attempt=2))
        found = await sender.find_existing(PHONE, since, BODY)  # sent after all: do not resend
    [message] = fake_twilio.state.messages_to(PHONE)
    assert found is not None and found.sid == message.sid


async def test_a_hanging_api_is_an_unknown_outcome_after_the_timeout(
    fake_twilio: FakeTwilioServer,
) -> None:
    fake_twilio.state.fail_next("hang")
    fake_twilio.state.fail_next("hang_after_store")
    async with TwilioSender(fake_twilio.sms_settings(), timeout_seconds=0.3) as sender:
        since = now()
        for _ in range(2):
            with pytest.raises(UnknownOutcomeError, match="no answer"):
                await sender.send(OutgoingSms(PHONE, BODY))
        found = await sender.find_existing(PHONE, since, BODY)
        assert found is not None
        assert (await sender.send(OutgoingSms(OTHER, BODY))).sid  # the session still works
    assert [m.sid for m in fake_twilio.state.messages_to(PHONE)] == [found.sid]


async def test_find_existing_matches_recipient_body_and_time(fake_twilio: FakeTwilioServer) -> None:
    async with TwilioSender(fake_twilio.sms_settings()) as sender:
        old = await sender.send(OutgoingSms(PHONE, BODY))
        fake_twilio.state.messages_to(PHONE)[0].date_created -= timedelta(hours=1)
        await sender.send(OutgoingSms(PHONE, "another text"))
        await sender.send(OutgoingSms(OTHER, BODY))
        assert await sender.find_existing(PHONE, now() - timedelta(minutes=10), BODY) is None
        found = await sender.find_existing(PHONE, now() - timedelta(hours=2), BODY)
        assert found is not None and found.sid == old.sid
        with pytest.raises(ValueError):
            await sender.find_existing(PHONE, datetime(2026, 1, 1), BODY)


async def test_find_existing_reads_the_newest_hundred_in_one_request(
    fake_twilio: FakeTwilioServer,
) -> None:
    async with TwilioSender(fake_twilio.sms_settings()) as sender:
        since = now()
        first = await sender.send(OutgoingSms(PHONE, "the one we look for"))
        for i in range(99):
            await sender.send(OutgoingSms(PHONE, f"later text {i}"))
        found = await sender.find_existing(PHONE, since, "the one we look for")
        await sender.send(OutgoingSms(PHONE, "one text too many"))
        too_old = await sender.find_existing(PHONE, since, "the one we look for")
    assert found is not None and found.sid == first.sid
    assert too_old is None
    assert fake_twilio.state.requests["list"] == 2


async def test_wrong_credentials_are_a_configuration_error(fake_twilio: FakeTwilioServer) -> None:
    settings = dataclasses.replace(fake_twilio.sms_settings(), auth_token=SecretStr("wrong-token"))
    async with TwilioSender(settings) as sender:
        with pytest.raises(SenderConfigurationError) as caught:
            await sender.send(OutgoingSms(PHONE, BODY))
    assert (caught.value.code, caught.value.http_status) == (20003, 401)
    assert "wrong-token" not in str(caught.value)


async def test_no_server_listening_is_retryable(fake_twilio: FakeTwilioServer) -> None:
    with refused_port() as closed_port:
        settings = dataclasses.replace(
            fake_twilio.sms_settings(), api_base_url=f"http://127.0.0.1:{closed_port}"
        )
        async with TwilioSender(settings) as sender:
            with pytest.raises(RetryableSendError) as caught:
                await sender.send(OutgoingSms(PHONE, BODY))
    assert caught.value.code is None


async def test_invalid_messages_are_refused_before_any_request(
    fake_twilio: FakeTwilioServer,
) -> None:
    async with TwilioSender(fake_twilio.sms_settings()) as sender:
        with pytest.raises(PermanentSendError) as caught:
            await sender.send(OutgoingSms("13800138000", BODY))
    assert caught.value.code == 21211 and fake_twilio.state.requests["create"] == 0


async def test_nothing_is_logged_with_a_phone_number_or_the_token(
    fake_twilio: FakeTwilioServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_twilio.state.set_recipient_error(OTHER, 21211)
    async with TwilioSender(fake_twilio.sms_settings()) as sender:
        await sender.send(OutgoingSms(PHONE, BODY))
        with pytest.raises(PermanentSendError):
            await sender.send(OutgoingSms(OTHER, BODY))
        await sender.find_existing(PHONE, now() - timedelta(minutes=1), BODY)
    assert PHONE not in caplog.text and OTHER not in caplog.text
    assert fake_twilio.state.auth_token not in caplog.text


async def test_twilio_edge_and_region_in_the_environment_do_not_redirect_requests(
    fake_twilio: FakeTwilioServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    async with TwilioSender(fake_twilio.sms_settings()) as sender:
        assert (await sender.send(OutgoingSms(PHONE, BODY))).sid


async def test_the_sender_reopens_after_close_and_shows_no_secret(
    fake_twilio: FakeTwilioServer,
) -> None:
    sender = TwilioSender(fake_twilio.sms_settings())
    await sender.send(OutgoingSms(PHONE, BODY))
    await sender.aclose()
    await sender.aclose()
    await sender.send(OutgoingSms(PHONE, BODY))
    await sender.aclose()
    assert fake_twilio.state.auth_token not in repr(sender)
    assert len(fake_twilio.state.messages_to(PHONE)) == 2


def test_a_sender_needs_complete_settings(fake_twilio: FakeTwilioServer) -> None:
    with pytest.raises(ValueError):
        TwilioSender(
            dataclasses.replace(fake_twilio.sms_settings(), auth_token=None, backend="console")
        )
