"""A fake of Tencent Cloud SMS (API 2021-01-11) for tests and benchmarks: ``SendSms``,
``PullSmsSendStatus``, ``PullSmsSendStatusByPhoneNumber``, ``PullSmsReplyStatus``, and the status
and reply callbacks.

The official SDK reaches it with ``HttpProfile(protocol="http", endpoint="127.0.0.1:PORT")``; the
action is in the ``X-TC-Action`` header and the parameters in a JSON body. A request-wide error is
``{"Response": {"Error": {...}}}``; a refused number is a ``Code`` other than ``Ok`` in its
``SendStatusSet`` entry, as Tencent answers. Receipts wait in a queue for a pull when no callback
URL is set (a pull takes each once); the failure script is in :mod:`support.fake_provider`.

    python -m support.fake_tencent --port 0
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from notify.catalog import CATALOG
from support import fake_provider as base
from support.fake_provider import FAKE_KEY_ID, FAKE_SDK_APP_ID, Refusal, StoredMessage, now_utc

CHINA = timezone(timedelta(hours=8))
CODES = {
    "template": "FailedOperation.TemplateIncorrectOrUnapproved",
    "signature": "FailedOperation.SignatureIncorrectOrUnapproved",
    "params": "InvalidParameterValue.TemplateParameterFormatError",
    "phone": "InvalidParameterValue.IncorrectPhoneNumber",
    "daily_limit": "LimitExceeded.PhoneNumberDailyLimit",
}


def _china(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


def _error(code: str, message: str, request_id: str) -> dict[str, Any]:
    return {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}}


def _status(m: StoredMessage) -> dict[str, Any]:
    return {"UserReceiveTime": _china(m.created), "CountryCode": "86", "SubscriberNumber": m.phone[3:],
            "PhoneNumber": m.phone, "SerialNo": m.sid, "ReportStatus": "SUCCESS" if m.status == "delivered" else "FAIL",
            "Description": m.error or "DELIVRD", "SessionContext": m.key}


class FakeTencentApp(base.FakeProviderApp):
    async def api(self, scope: dict[str, Any], body: bytes) -> tuple[int, Any]:
        state = self.state
        headers = dict(scope["headers"])
        action = headers.get(b"x-tc-action", b"").decode()
        request_id = f"fake-{len(state.messages)}"
        if f"Credential={FAKE_KEY_ID}/" not in headers.get(b"authorization", b"").decode():
            state.counts["unauthorised"] += 1
            return 200, _error("AuthFailure.SecretIdNotFound", "secret id not found", request_id)
        params = json.loads(body or b"{}")
        state.counts[action] += 1
        if params.get("SmsSdkAppId") != FAKE_SDK_APP_ID:
            return 200, _error("FailedOperation.InvalidSdkAppId", "SdkAppId not found", request_id)
        if action == "SendSms":
            return await self._send(params, request_id)
        limit = int(params.get("Limit", 100))
        if action == "PullSmsSendStatus":
            taken, state.pending_reports = state.pending_reports[:limit], state.pending_reports[limit:]
            return 200, {"Response": {"PullSmsSendStatusSet": [_status(m) for m in taken], "RequestId": request_id}}
        if action == "PullSmsSendStatusByPhoneNumber":
            begin = datetime.fromtimestamp(int(params["BeginTime"]), CHINA)
            end = datetime.fromtimestamp(int(params.get("EndTime") or 4_000_000_000), CHINA)
            found = [m for m in state.by_phone.get(params.get("PhoneNumber", ""), [])
                     if begin <= m.created <= end and m.status != "sent"]
            offset = int(params.get("Offset", 0))
            return 200, {"Response": {"PullSmsSendStatusSet": [_status(m) for m in found[offset:offset + limit]],
                                      "RequestId": request_id}}
        if action == "PullSmsReplyStatus":
            taken, state.pending_replies = state.pending_replies[:limit], state.pending_replies[limit:]
            rows = [{"ExtendCode": "", "CountryCode": "86", "PhoneNumber": r["phone"], "SignName": state.signature,
                     "ReplyContent": r["text"],
                     "ReplyTime": _china(datetime.fromtimestamp(int(r.get("time", now_utc().timestamp())), CHINA)),
                     "SubscriberNumber": str(r["phone"])[3:]} for r in taken]
            return 200, {"Response": {"PullSmsReplyStatusSet": rows, "RequestId": request_id}}
        return 200, _error("InvalidAction", action, request_id)

    async def _send(self, params: dict[str, Any], request_id: str) -> tuple[int, Any]:
        state = self.state
        failure = state.next_failure()
        if failure == "throttle":
            return 200, _error("RequestLimitExceeded", "request limit exceeded", request_id)
        if failure == "server_error":
            return 500, {"error": "internal"}
        if failure == "hang":
            await state.hang_until_released()
            return 500, {"error": "released"}
        if failure and failure.startswith("error:"):
            return 200, _error(failure[6:], "scripted", request_id)
        rows = []
        found = state.templates.by_code("tencent").get(str(params.get("TemplateId", "")))
        values = [str(v) for v in params.get("TemplateParamSet") or []]
        names = CATALOG.template(found[0]).variables(found[1]) if found else ()
        named = dict(zip(names, values)) if len(values) == len(names) else {f"x{i}": v for i, v in enumerate(values)}
        for phone in params.get("PhoneNumberSet") or []:
            result = state.accept(str(phone), str(params.get("TemplateId", "")), named, str(params.get("SignName", "")),
                                  str(params.get("SessionContext", "")), now_utc())
            if isinstance(result, Refusal):
                rows.append({"SerialNo": "", "PhoneNumber": phone, "Fee": 0, "SessionContext": "",
                             "Code": CODES[result.code], "Message": result.message, "IsoCode": "CN"})
                continue
            state.deliver(result)
            rows.append({"SerialNo": result.sid, "PhoneNumber": phone, "Fee": 1, "SessionContext": result.key,
                         "Code": "Ok", "Message": "send success", "IsoCode": "CN"})
        if failure in ("hang_after_store", "server_error_after_store"):
            if failure == "hang_after_store":
                await state.hang_until_released()
            return 500, {"error": "internal"}
        return 200, {"Response": {"SendStatusSet": rows, "RequestId": request_id}}

    def report_documents(self, messages: list[StoredMessage]) -> list[Any]:
        return [[{"user_receive_time": _china(m.created), "nationcode": "86", "mobile": m.phone[3:],
                  "report_status": "SUCCESS" if m.status == "delivered" else "FAIL",
                  "errmsg": m.error or "DELIVRD", "description": "用户短信送达成功" if m.status == "delivered" else "失败",
                  "sid": m.sid, "ext": {}} for m in messages]]

    def reply_document(self, reply: dict[str, Any]) -> Any:
        return {"extend": "", "mobile": str(reply["phone"]).removeprefix("+86"), "nationcode": "86",
                "sign": self.state.signature, "text": reply["text"], "time": int(reply.get("time", now_utc().timestamp()))}


class FakeTencentState(base.FakeProviderState):
    def new_sid(self, n: int) -> str:
        return f"2433:{n:019d}"


def fake_tencent_state() -> FakeTencentState:
    return FakeTencentState("tencent", daily_limit=10)


class FakeTencentServer(base.FakeProviderServer):
    def __init__(self) -> None:
        super().__init__(FakeTencentApp(fake_tencent_state()))


class FakeTencentProcess(base.FakeProviderProcess):
    def __init__(self) -> None:
        super().__init__("support.fake_tencent")


if __name__ == "__main__":
    base.serve_main("python -m support.fake_tencent", lambda: FakeTencentApp(fake_tencent_state()))
