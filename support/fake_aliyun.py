"""A fake of Aliyun SMS (dysmsapi 2017-05-25) for tests and benchmarks: ``SendSms``,
``QuerySendDetails``, the ``SmsReport`` receipt push and the ``SmsUp`` reply push.

The official SDK reaches it with ``endpoint="127.0.0.1:PORT"`` and ``protocol="http"``; the action
is in the ``x-acs-action`` header and the parameters in the query string, as the SDK sends them.
Business errors come back as HTTP 200 with a ``Code`` other than ``OK`` (as Aliyun answers); the
failure script and the rest are in :mod:`support.fake_provider`.

    python -m support.fake_aliyun --port 0
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl

from support.fake_provider import (
    FAKE_KEY_ID,
    FakeProviderApp,
    FakeProviderProcess,
    FakeProviderServer,
    FakeProviderState,
    Refusal,
    StoredMessage,
    now_utc,
    serve_main,
)

CHINA = timezone(timedelta(hours=8))
#: Our refusal reasons as Aliyun's codes.
CODES = {
    "template": "isv.SMS_TEMPLATE_ILLEGAL",
    "signature": "isv.SMS_SIGNATURE_ILLEGAL",
    "params": "isv.TEMPLATE_MISSING_PARAMETERS",
    "phone": "isv.MOBILE_NUMBER_ILLEGAL",
    "daily_limit": "isv.BUSINESS_LIMIT_CONTROL",
}


def _china(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


def _phone(number: str) -> str:
    digits = number.removeprefix("+").removeprefix("86") if len(number) > 11 else number
    return "+86" + digits


class FakeAliyunApp(FakeProviderApp):
    async def api(self, scope: dict[str, Any], body: bytes) -> tuple[int, Any]:
        state = self.state
        headers = dict(scope["headers"])
        query = dict(parse_qsl(scope.get("query_string", b"").decode()))
        action = headers.get(b"x-acs-action", b"").decode() or query.get("Action", "")
        request_id = f"fake-{len(state.messages)}"
        auth = headers.get(b"authorization", b"").decode()
        if f"Credential={FAKE_KEY_ID}," not in auth:
            state.counts["unauthorised"] += 1
            return 404, {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found.",
                         "RequestId": request_id}
        state.counts[action] += 1
        if action == "SendSms":
            return await self._send(query, request_id)
        if action == "QuerySendDetails":
            return 200, self._query(query, request_id)
        return 404, {"Code": "InvalidAction.NotFound", "Message": action, "RequestId": request_id}

    async def _send(self, query: dict[str, str], request_id: str) -> tuple[int, Any]:
        state = self.state
        failure = state.next_failure()
        if failure == "throttle":
            return 200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控Permits:1",
                         "RequestId": request_id}
        if failure == "server_error":
            return 500, {"Code": "isp.SYSTEM_ERROR", "Message": "系统错误", "RequestId": request_id}
        if failure == "hang":
            await state.hang_until_released()
            return 500, {"Code": "isp.SYSTEM_ERROR", "Message": "released", "RequestId": request_id}
        if failure and failure.startswith("error:"):
            return 200, {"Code": failure[6:], "Message": "scripted", "RequestId": request_id}
        try:
            params = json.loads(query.get("TemplateParam") or "{}")
        except ValueError:
            return 200, {"Code": "isv.INVALID_JSON_PARAM", "Message": "JSON参数不合法", "RequestId": request_id}
        result = state.accept(_phone(query.get("PhoneNumbers", "")), query.get("TemplateCode", ""),
                              {str(k): str(v) for k, v in params.items()}, query.get("SignName", ""),
                              query.get("OutId", ""), now_utc())
        if isinstance(result, Refusal):
            message = f"触发天级流控Permits:{state.daily_limit}" if result.code == "daily_limit" else result.message
            return 200, {"Code": CODES[result.code], "Message": message, "RequestId": request_id}
        state.deliver(result)
        if failure in ("hang_after_store", "server_error_after_store"):
            if failure == "hang_after_store":
                await state.hang_until_released()
            return 500, {"Code": "isp.SYSTEM_ERROR", "Message": "系统错误", "RequestId": request_id}
        return 200, {"Code": "OK", "Message": "OK", "BizId": result.sid, "RequestId": request_id}

    def _query(self, query: dict[str, str], request_id: str) -> dict[str, Any]:
        phone = _phone(query.get("PhoneNumber", ""))
        day = query.get("SendDate", "")
        size, page = int(query.get("PageSize", "10")), int(query.get("CurrentPage", "1"))
        found = [m for m in self.state.by_phone.get(phone, [])
                 if m.created.astimezone(CHINA).strftime("%Y%m%d") == day
                 and (not query.get("BizId") or m.sid == query["BizId"])]
        found.sort(key=lambda m: m.created, reverse=True)
        rows = [{"PhoneNum": m.phone[3:], "SendStatus": {"sent": 1, "failed": 2, "delivered": 3}[m.status],
                 "ErrCode": m.error or ("DELIVERED" if m.status == "delivered" else ""),
                 "TemplateCode": m.code, "Content": m.content, "SendDate": _china(m.created),
                 "ReceiveDate": _china(m.created) if m.status != "sent" else "", "OutId": m.key}
                for m in found[(page - 1) * size: page * size]]
        return {"Code": "OK", "Message": "OK", "RequestId": request_id, "TotalCount": str(len(found)),
                "SmsSendDetailDTOs": {"SmsSendDetailDTO": rows}}

    def report_documents(self, messages: list[StoredMessage]) -> list[Any]:
        return [[{"phone_number": m.phone[3:], "send_time": _china(m.created), "report_time": _china(now_utc()),
                  "success": m.status == "delivered", "err_code": m.error or "DELIVERED",
                  "err_msg": "用户接收成功" if m.status == "delivered" else "失败", "sms_size": "1",
                  "biz_id": m.sid, "out_id": m.key} for m in messages]]

    def reply_document(self, reply: dict[str, Any]) -> Any:
        return [{"phone_number": str(reply["phone"]).removeprefix("+86"), "send_time": _china(now_utc()),
                 "content": reply["text"], "sign_name": self.state.signature, "dest_code": "1234",
                 "sequence_id": int(reply.get("sequence_id", 1))}]


class FakeAliyunState(FakeProviderState):
    def new_sid(self, n: int) -> str:
        return f"{900_000_000_000_000_000 + n}^0"


def fake_aliyun_state() -> FakeAliyunState:
    return FakeAliyunState("aliyun", daily_limit=50)


class FakeAliyunServer(FakeProviderServer):
    def __init__(self) -> None:
        super().__init__(FakeAliyunApp(fake_aliyun_state()))


class FakeAliyunProcess(FakeProviderProcess):
    def __init__(self) -> None:
        super().__init__("support.fake_aliyun")


if __name__ == "__main__":
    serve_main("python -m support.fake_aliyun", lambda: FakeAliyunApp(fake_aliyun_state()))
