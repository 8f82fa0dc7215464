"""Aliyun SMS and Tencent Cloud SMS through their official SDKs, against the project's fakes of
their documented HTTP APIs: sending templates, refusals, throttling and daily limits, unknown
outcomes and the look-up before any resend, receipts by push and by pull (late and duplicate
ones), replies."""
from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from webhook_receiver import CallbackReceiver

from notify import aliyun_sender, tencent_sender
from notify.catalog import CATALOG, SPLIT, Channel, ProviderTemplates, TemplateError, load_provider_templates
from notify.senders import (
    OutgoingSms,
    PermanentSendError,
    RetryableSendError,
    SenderConfigurationError,
    UnknownOutcomeError,
)
from notify.settings import make_sender
from notify.texts import render
from support.fake_provider import FAKE_SIGNATURE, TEMPLATES_FILE, FakeProviderServer, provider_settings
from support.serve import refused_port

PROVIDERS = ["aliyun", "tencent"]
PHONE = "+8613800138000"
PUBLICITY = {"village": "青山村", "household": "张三明", "year": 2026, "project": "光伏收益", "amount_fen": 123450,
             "breakdown": [("岗位补贴", 96000), ("直接收益", 27450)], "deadline": datetime(2026, 12, 20).date()}


@pytest.fixture
def fake(request: pytest.FixtureRequest) -> FakeProviderServer:
    return request.getfixturevalue(f"fake_{request.param}")  # type: ignore[no-any-return]


def message(provider: str, key: str = "notice-1-1", phone: str = PHONE, lang: str = "zh") -> OutgoingSms:
    channel = Channel.of(provider, FAKE_SIGNATURE)
    text = render("help", lang, {"village": "青山村"}, channel=channel)
    return OutgoingSms(to=phone, body=text.body, reference=key, template=text.template, lang=lang,
                       params=text.params, key=key)


def sender_for(fake: FakeProviderServer, **env: str):  # type: ignore[no-untyped-def]
    return make_sender(provider_settings(fake.state.provider, fake.url, SMS_TIMEOUT_SECONDS="1", **env))


@pytest.mark.parametrize("fake", PROVIDERS, indirect=True)
async def test_a_template_is_sent_with_its_code_signature_parameters_and_correlation_key(
        fake: FakeProviderServer) -> None:
    sms = message(fake.state.provider)
    async with sender_for(fake) as sender:
        result = await sender.send(sms)
    stored = fake.state.messages[result.sid]
    assert stored.template == "help" and stored.key == "notice-1-1" and stored.phone == PHONE
    assert stored.content == sms.body == f"【{FAKE_SIGNATURE}】青山村：回复“查询”看分红明细，回复“异议+原因”提出异议，回TD退订。"
    assert result.status == "sent"


@pytest.mark.parametrize("fake", PROVIDERS, indirect=True)
async def test_a_publicity_notice_fits_the_providers_variable_limits(fake: FakeProviderServer) -> None:
    provider = fake.state.provider
    text = render("publicity", "zh", {**PUBLICITY, "amount_fen": 98_050, "breakdown": [("岗位补贴", 98_050)]},
                  channel=Channel.of(provider, FAKE_SIGNATURE))
    async with sender_for(fake) as sender:
        result = await sender.send(OutgoingSms(PHONE, text.body, template=text.template, params=text.params, key="k"))
    assert fake.state.messages[result.sid].content == text.body
    assert all(len(v) <= (35 if provider == "aliyun" else 6) for v in text.params.values())  # type: ignore[union-attr]


@pytest.mark.parametrize("fake", PROVIDERS, indirect=True)
async def test_a_template_not_approved_is_refused_before_any_request(fake: FakeProviderServer) -> None:
    channel = Channel.of(fake.state.provider, FAKE_SIGNATURE)
    text = render_reply_en(channel)
    async with sender_for(fake) as sender:
        with pytest.raises(SenderConfigurationError, match="opt_in_confirmation"):
            await sender.send(OutgoingSms(PHONE, text.body, template=text.template, lang="en", params=text.params))
    assert fake.state.counts["SendSms"] == 0


def render_reply_en(channel: Channel):  # type: ignore[no-untyped-def]
    from notify.texts import render_reply

    return render_reply("opt_in_confirmation", "en", "Qing", channel)


@pytest.mark.parametrize("fake", PROVIDERS, indirect=True)
async def test_throttling_is_retryable_and_a_daily_limit_waits_for_tomorrow(fake: FakeProviderServer) -> None:
    fake.state.control({"fail_next": [{"kind": "throttle"}], "daily_limit": 1})
    async with sender_for(fake) as sender:
        with pytest.raises(RetryableSendError) as throttled:
            await sender.send(message(fake.state.provider))
        assert throttled.value.retry_after_ms is None
        await sender.send(message(fake.state.provider, "k-2"))
        with pytest.raises(RetryableSendError) as daily:
            await sender.send(message(fake.state.provider, "k-3"))
    assert daily.value.retry_after_ms is not None and daily.value.retry_after_ms > 8 * 3600 * 1000 - 86_400_000
    assert len(fake.state.messages) == 1


@pytest.mark.parametrize("fake", PROVIDERS, indirect=True)
async def test_a_bad_number_is_permanent_and_wrong_credentials_stop_the_batch(fake: FakeProviderServer) -> None:
    async with sender_for(fake) as sender:
        with pytest.raises(PermanentSendError) as bad:
            await sender.send(message(fake.state.provider, phone="+8612345678901"))
    assert bad.value.provider_code in ("isv.MOBILE_NUMBER_ILLEGAL", "InvalidParameterValue.IncorrectPhoneNumber")
    key = "ALIYUN_ACCESS_KEY_ID" if fake.state.provider == "aliyun" else "TENCENT_SECRET_ID"
    async with sender_for(fake, **{key: "someone-else"}) as sender:
        with pytest.raises(SenderConfigurationError):
            await sender.send(message(fake.state.provider))
    assert "13800138000" not in str(bad.value)


@pytest.mark.parametrize("fake", PROVIDERS, indirect=True)
async def test_after_an_unknown_outcome_the_look_up_finds_the_message_by_its_key(fake: FakeProviderServer) -> None:
    since = datetime.now(UTC) - timedelta(minutes=30)  # past Tencent's receipt window
    fake.state.control({"fail_next": [{"kind": "server_error_after_store"}, {"kind": "server_error"}]})
    async with sender_for(fake) as sender:
        with pytest.raises(UnknownOutcomeError):
            await sender.send(message(fake.state.provider, "notice-7-1"))
        with pytest.raises(UnknownOutcomeError):
            await sender.send(message(fake.state.provider, "notice-8-1"))
        found = await sender.find_existing(PHONE, since, "", key="notice-7-1")
        missing = await sender.find_existing(PHONE, since, "", key="notice-8-1")
    assert found is not None and found.status == "delivered"
    assert missing is None
    assert len(fake.state.messages) == 1


async def test_tencent_cannot_tell_a_missing_receipt_from_a_message_never_sent_too_early(
        fake_tencent: FakeProviderServer) -> None:
    async with sender_for(fake_tencent) as sender:
        with pytest.raises(UnknownOutcomeError, match="too early"):
            await sender.find_existing(PHONE, datetime.now(UTC) - timedelta(seconds=5), "", key="nothing")


@pytest.mark.parametrize("fake", PROVIDERS, indirect=True)
async def test_a_hanging_request_times_out_as_unknown_and_is_found_after_store(fake: FakeProviderServer) -> None:
    fake.state.control({"fail_next": [{"kind": "hang_after_store"}]})
    started = time.monotonic()
    async with sender_for(fake) as sender:
        with pytest.raises(UnknownOutcomeError):
            await sender.send(message(fake.state.provider, "notice-9-1"))
        fake.state.release()
        found = await sender.find_existing(PHONE, datetime.now(UTC) - timedelta(hours=1), "", key="notice-9-1")
    assert time.monotonic() - started < 10
    assert found is not None


@pytest.mark.parametrize("fake", PROVIDERS, indirect=True)
async def test_a_late_failure_receipt_and_its_duplicate_are_pushed_and_parsed(
        fake: FakeProviderServer, receiver: CallbackReceiver) -> None:
    provider = fake.state.provider
    fake.state.control({"report_url": receiver.url + "/report", "report_delay": 0.2, "duplicate_reports": True,
                        "fail_for": {PHONE: "MK:0001" if provider == "aliyun" else "MI:0045"}})
    async with sender_for(fake) as sender:
        result = await sender.send(message(provider, "notice-3-2"))
    parse = aliyun_sender.parse_report if provider == "aliyun" else tencent_sender.parse_report
    deadline = time.monotonic() + 5
    while len(receipts := [r for got in receiver.received for r in parse(got.body)]) < 2 \
            and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert len(receipts) == 2 and receipts[0] == receipts[1]
    assert receipts[0].sid == result.sid and receipts[0].status == "failed" and receipts[0].code
    if provider == "aliyun":
        assert receipts[0].key == "notice-3-2"


async def test_tencent_receipts_and_replies_can_be_pulled_once(fake_tencent: FakeProviderServer) -> None:
    fake_tencent.state.control({"reply": {"phone": PHONE, "text": "退订", "time": 1796000000}})
    async with sender_for(fake_tencent) as sender:
        result = await sender.send(message("tencent", "notice-4-1"))
        receipts = await sender.pull_receipts()
        again = await sender.pull_receipts()
        replies = await sender.pull_replies()
    assert [(r.sid, r.key, r.status) for r in receipts] == [(result.sid, "notice-4-1", "delivered")]
    assert again == []
    assert [(r.phone, r.body) for r in replies] == [(PHONE, "退订")]


@pytest.mark.parametrize("fake", PROVIDERS, indirect=True)
async def test_a_reply_is_pushed_and_parsed(fake: FakeProviderServer, receiver: CallbackReceiver) -> None:
    provider = fake.state.provider
    fake.state.control({"reply_url": receiver.url + "/reply", "reply": {"phone": PHONE, "text": "查询", "sequence_id": 7}})
    deadline = time.monotonic() + 5
    while not receiver.received and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    parse = aliyun_sender.parse_replies if provider == "aliyun" else tencent_sender.parse_replies
    replies = parse(receiver.received[0].body)
    assert [(r.phone, r.body) for r in replies] == [(PHONE, "查询")] and replies[0].sid


@pytest.mark.parametrize("parse", [aliyun_sender.parse_report, aliyun_sender.parse_replies,
                                   tencent_sender.parse_report, tencent_sender.parse_replies])
@pytest.mark.parametrize("body", [b"", b"nonsense", b"[1, 2]", b'{"a": 1}', b"[{}]"])
def test_malformed_pushes_are_refused(parse, body: bytes) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        parse(body)


def test_the_shipped_mapping_covers_every_template_for_both_providers() -> None:
    mapping = load_provider_templates(TEMPLATES_FILE)
    for provider in PROVIDERS:
        split = Channel.of(provider).splits_amount
        for template in CATALOG.templates:
            if template.endswith(SPLIT) and not split:  # only providers with short variables send these
                continue
            assert mapping.registration(provider, template, "zh").state == "approved", (provider, template)
    assert ProviderTemplates().registration("aliyun", "help", "zh").state == "not_registered"


@pytest.mark.parametrize("fake", PROVIDERS, indirect=True)
async def test_a_period_statement_is_sent_through_the_providers_templates(fake: FakeProviderServer) -> None:
    provider = fake.state.provider
    record = {**PUBLICITY, "project": "各项收益", "amount_fen": 60_000,
              "breakdown": [("光伏收益", 35_000), ("乡村旅游", 25_000)]}
    record.pop("deadline")
    text = render("period_statement", "zh", record, channel=Channel.of(provider, FAKE_SIGNATURE))
    # Tencent's 6-character variables: the amount goes as yuan and fen (the template's _split variant)
    assert text.template == ("period_statement" if provider == "aliyun" else "period_statement" + SPLIT)
    assert text.info.segments <= 2
    async with sender_for(fake) as sender:
        result = await sender.send(OutgoingSms(PHONE, text.body, template=text.template, params=text.params, key="k"))
    assert fake.state.messages[result.sid].content == text.body
    assert "600.00元" in text.body
    assert all(len(v) <= (35 if provider == "aliyun" else 6) for v in text.params.values())  # type: ignore[union-attr]
    big = {**record, "amount_fen": 223_450, "breakdown": [("光伏收益", 123_450), ("乡村旅游", 100_000)]}
    large = render("period_statement", "zh", big, channel=Channel.of(provider, FAKE_SIGNATURE))
    async with sender_for(fake) as sender:  # 2,234.50 yuan reaches the household through both providers
        result = await sender.send(OutgoingSms("+8613900139000", large.body, template=large.template, params=large.params, key="k2"))
    assert fake.state.messages[result.sid].content == large.body
    if provider == "tencent":
        assert "合计2234.50元" in large.body and (large.params or {})["amount_yuan"] == "2234"
        with pytest.raises(TemplateError, match="amount_yuan"):  # 1,000,000 yuan: 7 digits, still too long
            render("period_statement", "zh", {**big, "amount_fen": 100_000_000, "breakdown": [("光伏收益", 100_000_000)]}, channel=Channel.of(provider, FAKE_SIGNATURE))
    else:
        assert "合计2,234.50元" in large.body


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_provider_that_cannot_be_reached_is_safe_to_try_again(provider: str) -> None:
    with refused_port() as port:  # a port nothing listens on
        url = f"http://127.0.0.1:{port}"
        async with make_sender(provider_settings(provider, url, SMS_TIMEOUT_SECONDS="1")) as sender:
            with pytest.raises(RetryableSendError):
                await sender.send(message(provider))

