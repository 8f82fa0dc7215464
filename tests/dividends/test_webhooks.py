"""The Twilio webhooks through HTTP (httpx's ASGI transport): signatures, status callbacks and
replies from households (STOP, 退订, START, 查询, 异议 inside and outside the notice period)."""
from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dividends.clock import FixedClock
from dividends.outbox.dispatcher import dispatch
from dividends.outbox.prepare import prepare
from dividends.store.models import AuditEvent, Household, InboundMessage, Notice, Objection, OptOut
from support.fake_sender import FakeSender
from support.fake_twilio import FAKE_AUTH_TOKEN
from notify.settings import SmsSettings
from notify.twilio_sender import sign
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.test_outbox_support import (
    queued,
    PUBLIC_URL,
    START,
    phones,
    publicized_run,
    set_household,
    settings,
    webhook_app,
)

pytestmark = pytest.mark.db

STATUS = "/webhooks/twilio/status"
INBOUND = "/webhooks/twilio/inbound"
STRANGER = "+8613000000001"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def client_for(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
async def http(clock: FixedClock) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(webhook_app(settings(), clock)) as client:
        yield client


async def post(http: httpx.AsyncClient, path: str, form: dict[str, str], *, token: str | None = FAKE_AUTH_TOKEN,
               signature: str | None = None, query: str = "") -> httpx.Response:
    url = PUBLIC_URL + path + (f"?{query}" if query else "")
    headers = {}
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    elif token is not None:
        headers["X-Twilio-Signature"] = sign(token, url, form)
    return await http.post(path + (f"?{query}" if query else ""), data=form, headers=headers)


def inbound(phone: str, body: str, sid: str) -> dict[str, str]:
    return {"MessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "0" * 32, "From": phone, "To": "+15005550006",
            "Body": body, "NumSegments": "1", "NumMedia": "0", "ApiVersion": "2010-04-01"}


def reply_text(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    found = re.search(r"<Message>(.*)</Message>", response.text, re.DOTALL)
    return found.group(1) if found else ""


async def snapshot_of_db() -> tuple[object, ...]:
    return (await InboundMessage.all().count(), await OptOut.all().count(), await Objection.all().count(),
            await AuditEvent.all().count(),
            sorted(await Notice.all().values_list("id", "status", "sid", "tries", "error_code")))


# ----------------------------------------------------------------------------- signatures


@pytest.mark.parametrize("case", ["unsigned", "wrong", "other_token", "no_token_configured", "signed_for_other_url"])
@pytest.mark.parametrize("path", [STATUS, INBOUND])
async def test_a_request_without_twilios_signature_is_refused_and_changes_nothing(
        clean_db, tmp_path: Path, clock: FixedClock, case: str, path: str) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock)
    await queued(run.id, "publicity", "accountant", clock)
    sender = FakeSender(clock=clock.now)
    await dispatch(sender, SmsSettings(backend="console"), clock, run_id=run.id)
    phone = next(iter((await phones(run)).values()))
    form = ({"MessageSid": sender.messages[0].sid, "MessageStatus": "delivered"} if path == STATUS
            else inbound(phone, "退订", "SM" + "1" * 32))
    before = await snapshot_of_db()
    app_settings = settings(token=None) if case == "no_token_configured" else settings()
    async with client_for(webhook_app(app_settings, clock)) as http:
        if case == "unsigned":
            response = await post(http, path, form, token=None)
        elif case == "wrong":
            response = await post(http, path, form, signature="RSOYDt4T1cUTdK1PDd93/VVr8B8=")
        elif case == "other_token":
            response = await post(http, path, form, token="another-account-token")
        elif case == "no_token_configured":
            response = await post(http, path, form, token=FAKE_AUTH_TOKEN)
        else:
            response = await http.post(path, data=form, headers={
                "X-Twilio-Signature": sign(FAKE_AUTH_TOKEN, "https://elsewhere.example.org" + path, form)})
    assert response.status_code == 403
    assert await snapshot_of_db() == before


async def test_the_signature_covers_the_query_string_and_every_field(
        clean_db, http: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    form = inbound(STRANGER, "hello", "SM" + "2" * 32)
    assert (await post(http, INBOUND, form, query="village=V0001")).status_code == 200
    url = PUBLIC_URL + INBOUND
    tampered = {**inbound(STRANGER, "hello", "SM" + "3" * 32)}
    signature = sign(FAKE_AUTH_TOKEN, url, tampered)
    tampered["Body"] = "异议 改过的内容"
    response = await http.post(INBOUND, data=tampered, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert await InboundMessage.all().count() == 1


# ----------------------------------------------------------------------------- status callbacks


async def test_a_signed_status_callback_updates_its_notice(
        clean_db, tmp_path: Path, clock: FixedClock, http: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock)
    await queued(run.id, "publicity", "accountant", clock)
    sender = FakeSender(clock=clock.now)
    await dispatch(sender, SmsSettings(backend="console"), clock, run_id=run.id)
    sid = sender.messages[0].sid
    form = {"SmsSid": sid, "SmsStatus": "undelivered", "MessageStatus": "undelivered", "MessageSid": sid,
            "AccountSid": "AC" + "0" * 32, "To": sender.messages[0].sms.to, "From": "+15005550006",
            "ApiVersion": "2010-04-01", "ErrorCode": "30007", "RawDlrDoneDate": "2501061005", "Extra": ""}
    response = await post(http, STATUS, form)
    assert response.status_code == 204
    row = await Notice.get(sid=sid)
    assert (row.status, row.error_code) == ("undelivered", 30007)
    assert (await post(http, STATUS, {"MessageSid": sid})).status_code == 400


# ----------------------------------------------------------------------------- replies


async def test_stop_words_opt_a_phone_out_and_start_opts_it_back_in(
        clean_db, tmp_path: Path, clock: FixedClock, http: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock)
    numbers = await phones(run)
    phone = numbers[sorted(numbers)[0]]
    assert reply_text(await post(http, INBOUND, inbound(phone, "STOP", "SM" + "a" * 32))) == ""
    assert await OptOut.filter(phone=phone, opted_out=True).exists()
    assert reply_text(await post(http, INBOUND, inbound(phone, "START", "SM" + "b" * 32))) == ""
    assert await OptOut.filter(phone=phone, opted_out=False).exists()
    confirmed = reply_text(await post(http, INBOUND, inbound(phone, " 退订。", "SM" + "c" * 32)))
    assert confirmed.startswith("V0001：已退订") and await OptOut.filter(phone=phone, opted_out=True).exists()
    await queued(run.id, "publicity", "accountant", clock)
    assert (await Notice.get(phone=phone)).status == "opted_out"
    kinds = await InboundMessage.all().order_by("id").values_list("intent", "household_id")
    assert kinds == [("opt_out", sorted(numbers)[0]), ("opt_in", sorted(numbers)[0]), ("opt_out", sorted(numbers)[0])]
    assert await AuditEvent.filter(action__in=["sms.opt_out", "sms.opt_in"]).count() == 3


async def test_a_statement_request_gets_the_households_latest_run_as_twiml(
        clean_db, tmp_path: Path, clock: FixedClock, http: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock)
    await queued(run.id, "publicity", "accountant", clock)
    numbers = await phones(run)
    hid = sorted(numbers)[1]
    publicity = (await Notice.get(run_id=run.id, household_id=hid)).body
    amount = re.search(r"拟发放([\d,]+\.\d\d)元", publicity).group(1)  # type: ignore[union-attr]
    text = reply_text(await post(http, INBOUND, inbound(numbers[hid], "查询", "SM" + "d" * 32)))
    assert f"合计{amount}元" in text and "公示至1月12日" in text and text.startswith("V0001")
    assert reply_text(await post(http, INBOUND, inbound(numbers[hid], "cx", "SM" + "e" * 32))) == text
    message = await InboundMessage.get(sid="SM" + "d" * 32)
    assert (message.intent, message.household_id, message.reply) == ("statement", hid, text)


async def test_an_objection_inside_the_notice_period_is_recorded_once_on_that_run(
        clean_db, tmp_path: Path, clock: FixedClock, http: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock)
    numbers = await phones(run)
    hid = sorted(numbers)[2]
    form = inbound(numbers[hid], "异议：我家人口数不对", "SM" + "f" * 32)
    first = reply_text(await post(http, INBOUND, form))
    assert "已收到您的异议" in first
    again = reply_text(await post(http, INBOUND, form))  # Twilio delivered it twice
    assert again == first
    objections = await Objection.all().values_list("run_id", "household_id", "text", "channel", "message_sid")
    assert objections == [(run.id, hid, "我家人口数不对", "sms", "SM" + "f" * 32)]
    assert await InboundMessage.all().count() == 1


async def test_an_objection_from_a_phone_on_two_households_goes_to_the_one_it_names_or_says_it_is_shared(
        clean_db, tmp_path: Path, clock: FixedClock, http: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    """One mobile on two households (an old couple registered with their son's phone): the reply
    was recorded against whichever household sorts first, whatever it was about."""
    run = await publicized_run(tmp_path, clock)
    numbers = await phones(run)
    first, second = sorted(numbers)[2:4]
    mobile = (await Household.get(snapshot_id=run.snapshot.id, household_id=first)).phone
    await set_household(run, second, phone=mobile)
    named = reply_text(await post(http, INBOUND, inbound(numbers[first], f"异议 {second.lower()} 人口数不对", "SM" + "a1" * 16)))
    unnamed = reply_text(await post(http, INBOUND, inbound(numbers[first], "异议 人口数不对", "SM" + "b2" * 16)))
    assert "已收到您的异议" in named and "已收到您的异议" in unnamed
    recorded = sorted(await Objection.all().values_list("message_sid", "household_id", "text"))
    assert recorded == [("SM" + "a1" * 16, second, f"{second.lower()} 人口数不对"),
                        ("SM" + "b2" * 16, first, f"（此号码登记在多户：{first}、{second}，未写明户编号）人口数不对")]


async def test_an_objection_outside_any_notice_period_is_answered_and_not_recorded(
        clean_db, tmp_path: Path, clock: FixedClock, http: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock)
    numbers = await phones(run)
    hid = sorted(numbers)[2]
    clock.advance(days=7)  # 13 January: the notice ended on the 12th
    text = reply_text(await post(http, INBOUND, inbound(numbers[hid], "异议 人口数不对", "SM" + "9" * 32)))
    assert "没有处于公示期" in text
    assert await Objection.all().count() == 0
    assert (await InboundMessage.get(sid="SM" + "9" * 32)).intent == "objection"


async def test_an_unknown_phone_or_an_unclear_reply_gets_the_help_text(
        clean_db, tmp_path: Path, clock: FixedClock, http: httpx.AsyncClient) -> None:  # type: ignore[no-untyped-def]
    run = await publicized_run(tmp_path, clock)
    numbers = await phones(run)
    english = reply_text(await post(http, INBOUND, inbound(STRANGER, "what is this?", "SM" + "4" * 32)))
    assert "reply STATEMENT" in english
    chinese = reply_text(await post(http, INBOUND, inbound(STRANGER, "查询", "SM" + "5" * 32)))
    assert "回复“查询”" in chinese and "合计" not in chinese
    assert await InboundMessage.filter(household_id__isnull=True).count() == 2
    known = reply_text(await post(http, INBOUND, inbound(numbers[sorted(numbers)[0]], "你好", "SM" + "6" * 32)))
    assert known.startswith("V0001：回复“查询”")
    assert await Objection.all().count() == 0 and await OptOut.all().count() == 0
