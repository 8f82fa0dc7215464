"""The fake Twilio: its API shape, its controls and its signed status callbacks."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
import pytest
from webhook_receiver import CallbackReceiver

from support.fake_twilio import (
    FAKE_ACCOUNT_SID,
    FAKE_AUTH_TOKEN,
    FAKE_SERVICE_SID,
    FakeTwilioProcess,
    FakeTwilioServer,
)
from support.serve import refused_port
from notify.senders import OutgoingSms, RetryableSendError, UnknownOutcomeError
from notify.status import parse_status_callback
from notify.twilio_sender import TwilioSender, validate_signature

PHONE = "+8613800138000"
OTHER = "+8613900139000"
AUTH = (FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN)
MESSAGES = f"/2010-04-01/Accounts/{FAKE_ACCOUNT_SID}/Messages.json"


def client(server: FakeTwilioServer) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.url, auth=AUTH, trust_env=False)


async def test_create_answers_like_twilio(fake_twilio: FakeTwilioServer) -> None:
    async with client(fake_twilio) as http:
        response = await http.post(
            MESSAGES, data={"To": PHONE, "From": "+15005550006", "Body": "你好"}
        )
    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/json")
    message = response.json()
    assert re.fullmatch(r"SM[0-9a-f]{32}", message["sid"])
    assert (message["status"], message["num_segments"], message["to"], message["body"]) == (
        "queued",
        "1",
        PHONE,
        "你好",
    )
    assert (
        message["uri"] == f"/2010-04-01/Accounts/{FAKE_ACCOUNT_SID}/Messages/{message['sid']}.json"
    )
    assert message["direction"] == "outbound-api" and message["price"] is None
    assert parsedate_to_datetime(message["date_created"]).tzinfo is not None


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"From": "+15005550006", "Body": "x"}, 21604),
        ({"To": "13800138000", "From": "+15005550006", "Body": "x"}, 21211),
        ({"To": PHONE, "Body": "x"}, 21603),
        ({"To": PHONE, "From": "+15005550006"}, 21602),
        ({"To": PHONE, "From": "+15005550006", "Body": "x" * 1601}, 21617),
        ({"To": PHONE, "From": "+15005550006", "Body": "x", "StatusCallback": "not a url"}, 21609),
    ],
)
async def test_create_validates_like_twilio(
    fake_twilio: FakeTwilioServer, form: dict[str, str], code: int
) -> None:
    async with client(fake_twilio) as http:
        response = await http.post(MESSAGES, data=form)
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert set(response.json()) == {"code", "message", "more_info", "status"}
    assert fake_twilio.state.messages == {}


async def test_requests_without_the_right_credentials_or_account_are_refused(
    fake_twilio: FakeTwilioServer,
) -> None:
    async with httpx.AsyncClient(base_url=fake_twilio.url, trust_env=False) as http:
        anonymous = await http.post(MESSAGES, data={"To": PHONE, "From": "+1500", "Body": "x"})
        wrong = await http.post(
            MESSAGES, data={"To": PHONE, "Body": "x"}, auth=(FAKE_ACCOUNT_SID, "nope")
        )
        other_account = await http.get(
            MESSAGES.replace(FAKE_ACCOUNT_SID, "AC" + "9" * 32), auth=AUTH
        )
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, 20003)
    assert wrong.status_code == 401
    assert other_account.status_code == 404
    assert fake_twilio.state.requests["unauthorised"] == 2


async def test_list_and_fetch_have_twilios_page_shape_and_filters(
    fake_twilio: FakeTwilioServer,
) -> None:
    async with client(fake_twilio) as http:
        for i in range(3):
            await http.post(
                MESSAGES, data={"To": PHONE, "From": "+15005550006", "Body": f"text {i}"}
            )
        await http.post(
            MESSAGES, data={"To": OTHER, "MessagingServiceSid": FAKE_SERVICE_SID, "Body": "x"}
        )
        page = (await http.get(MESSAGES, params={"To": PHONE, "PageSize": "2"})).json()
        second = (await http.get(page["next_page_uri"])).json()
        today = datetime.now(UTC).date().isoformat()
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
        sent_today = (await http.get(MESSAGES, params={"To": PHONE, "DateSent>": today})).json()
        sent_tomorrow = (
            await http.get(MESSAGES, params={"To": PHONE, "DateSent>": tomorrow})
        ).json()
        sid = page["messages"][0]["sid"]
        fetched = await http.get(f"/2010-04-01/Accounts/{FAKE_ACCOUNT_SID}/Messages/{sid}.json")
        missing = await http.get(
            f"/2010-04-01/Accounts/{FAKE_ACCOUNT_SID}/Messages/SM{'0' * 32}.json"
        )
    assert set(page) == {
        "messages",
        "end",
        "first_page_uri",
        "next_page_uri",
        "page",
        "page_size",
        "previous_page_uri",
        "start",
        "uri",
    }
    assert [m["body"] for m in page["messages"]] == ["text 2", "text 1"]  # newest first
    assert [m["body"] for m in second["messages"]] == ["text 0"] and second["next_page_uri"] is None
    assert len(sent_today["messages"]) == 3 and sent_tomorrow["messages"] == []
    assert fetched.status_code == 200 and fetched.json()["sid"] == sid
    assert missing.status_code == 404


async def test_control_over_http_scripts_failures_and_state_reports_counts(
    fake_twilio: FakeTwilioServer,
) -> None:
    async with client(fake_twilio) as http:
        control = await http.post(
            "/_fake/control",
            json={
                "recipient_errors": {OTHER: 21610},
                "fail_next": [{"kind": "429", "count": 2}],
            },
        )
        bad = await http.post("/_fake/control", json={"fail_next": [{"kind": "teapot"}]})
        form = {"To": PHONE, "From": "+15005550006", "Body": "x"}
        statuses = [(await http.post(MESSAGES, data=form)).status_code for _ in range(3)]
        opted_out = await http.post(MESSAGES, data={**form, "To": OTHER})
        state = (await http.get("/_fake/state")).json()
        listed = (await http.get("/_fake/messages", params={"To": PHONE})).json()
    assert control.json() == {"ok": True} and bad.status_code == 400
    assert statuses == [429, 429, 201]
    assert opted_out.json()["code"] == 21610
    assert state["messages"] == 1 and state["requests"]["create"] == 4
    assert state["responses"]["429"] == 2 and state["responses"]["400"] == 1
    assert len(listed["messages"]) == 1


async def test_status_callbacks_are_posted_signed_and_in_order(
    fake_twilio: FakeTwilioServer, receiver: CallbackReceiver
) -> None:
    callback = f"{receiver.url}/webhooks/twilio/status?notice=N-1"
    fake_twilio.state.set_delivery(OTHER, "undelivered", 30003)
    async with TwilioSender(fake_twilio.sms_settings()) as sender:
        delivered = await sender.send(OutgoingSms(PHONE, "你好", callback))
        undelivered = await sender.send(OutgoingSms(OTHER, "你好", callback))
    await fake_twilio.wait_for_callbacks()
    by_sid: dict[str, list[str]] = {}
    for request in receiver.received:
        assert request.url == callback
        assert validate_signature(
            FAKE_AUTH_TOKEN, request.url, request.form, request.headers["x-twilio-signature"]
        )
        assert not validate_signature(
            "another-token", request.url, request.form, request.headers["x-twilio-signature"]
        )
        report = parse_status_callback(request.form)
        by_sid.setdefault(report.message_sid, []).append(report.status)
        assert (
            request.form["AccountSid"] == FAKE_ACCOUNT_SID
            and request.form["ApiVersion"] == "2010-04-01"
        )
        if report.status == "undelivered":
            assert (
                report.error_code == 30003
                and report.verdict == "retry"
                and "RawDlrDoneDate" in request.form
            )
    assert by_sid == {
        delivered.sid: ["sent", "delivered"],
        undelivered.sid: ["sent", "undelivered"],
    }
    assert fake_twilio.state.callbacks_posted == 4
    assert fake_twilio.state.messages[undelivered.sid].status == "undelivered"


async def test_callbacks_can_come_out_of_order_final_only_or_not_at_all(
    fake_twilio: FakeTwilioServer, receiver: CallbackReceiver
) -> None:
    callback = f"{receiver.url}/webhooks/twilio/status"
    async with TwilioSender(
        fake_twilio.sms_settings(messaging_service_sid=FAKE_SERVICE_SID)
    ) as sender:
        fake_twilio.state.control({"callbacks": {"out_of_order": True}})
        await sender.send(OutgoingSms(PHONE, "x", callback))
        await fake_twilio.wait_for_callbacks()
        assert [r.form["MessageStatus"] for r in receiver.received] == ["delivered", "sent"]
        assert receiver.received[0].form["MessagingServiceSid"] == FAKE_SERVICE_SID
        receiver.received.clear()
        fake_twilio.state.control({"callbacks": {"out_of_order": False, "final_only": True}})
        await sender.send(OutgoingSms(PHONE, "x", callback))
        await fake_twilio.wait_for_callbacks()
        assert [r.form["MessageStatus"] for r in receiver.received] == ["delivered"]
        receiver.received.clear()
        fake_twilio.state.control({"callbacks": {"enabled": False}})
        result = await sender.send(OutgoingSms(PHONE, "x", callback))
    await fake_twilio.wait_for_callbacks()
    assert receiver.received == []
    assert fake_twilio.state.messages[result.sid].status == "delivered"  # the lifecycle still ends


async def test_an_unreachable_webhook_does_not_stop_the_callback_workers(
    fake_twilio: FakeTwilioServer, receiver: CallbackReceiver
) -> None:
    with refused_port() as port:
        nobody = f"http://127.0.0.1:{port}/webhooks/twilio/status"
        async with TwilioSender(fake_twilio.sms_settings()) as sender:
            for _ in range(fake_twilio.state.callback_concurrency + 1):
                await sender.send(OutgoingSms(PHONE, "x", nobody))
            await sender.send(OutgoingSms(OTHER, "x", f"{receiver.url}/webhooks/twilio/status"))
        await fake_twilio.wait_for_callbacks()
    assert fake_twilio.state.callbacks_failed == 2 * (fake_twilio.state.callback_concurrency + 1)
    assert [r.form["To"] for r in receiver.received] == [OTHER, OTHER]


async def test_a_refusing_webhook_is_counted_as_a_failed_callback(
    fake_twilio: FakeTwilioServer, receiver: CallbackReceiver
) -> None:
    receiver.status = 403
    async with TwilioSender(fake_twilio.sms_settings()) as sender:
        await sender.send(OutgoingSms(PHONE, "x", f"{receiver.url}/webhooks/twilio/status"))
    await fake_twilio.wait_for_callbacks()
    summary = fake_twilio.state.summary()["callbacks"]
    assert (summary["posted"], summary["failed"]) == (0, 2)
    assert "HTTP 403" in summary["errors"][0]


async def test_stopping_the_server_ends_a_hanging_request() -> None:
    server = FakeTwilioServer()
    server.start()
    server.state.fail_next("hang")
    async with TwilioSender(server.sms_settings(), timeout_seconds=30) as sender:
        pending = asyncio.ensure_future(sender.send(OutgoingSms(PHONE, "x")))
        while server.state.hanging == 0:
            await asyncio.sleep(0.01)
        await asyncio.to_thread(server.stop)
        with pytest.raises(UnknownOutcomeError):
            await pending


def test_the_fake_runs_in_a_child_process_driven_over_http() -> None:
    async def send_twice(fake: FakeTwilioProcess) -> None:
        async with TwilioSender(fake.sms_settings()) as sender:
            with pytest.raises(RetryableSendError):
                await sender.send(OutgoingSms(PHONE, "x"))
            await sender.send(OutgoingSms(PHONE, "x"))

    with FakeTwilioProcess(callbacks=False) as fake:
        fake.control(fail_next=[{"kind": "429"}])
        asyncio.run(send_twice(fake))
        summary = fake.summary()
    assert summary["messages"] == 1 and summary["requests"]["create"] == 2
