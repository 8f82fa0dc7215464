"""The Aliyun SMS adapter: the only module of the project that imports Aliyun's SDK
(``alibabacloud-dysmsapi20170525`` on ``alibabacloud-tea-openapi``).

- :class:`AliyunSender` sends ``SendSms`` with the template code of the deployment's mapping, the
  parameters as ``TemplateParam`` JSON, the signature as ``SignName`` and the correlation key as
  ``OutId``; it looks a message up with ``QuerySendDetails`` (by number and day, matched on
  ``OutId``), which also serves as the receipt poll where no ``SmsReport`` push is configured.
  The SDK's own retries stay off (``RetryOptions`` unset, ``autoretry=False``): SendSms is not
  idempotent, so a resend after an unknown outcome is the outbox's decision, after a look-up.
  Calls go through the SDK's asynchronous client (``*_with_options_async``): the SDK builds,
  signs and parses every request; only the last step, the HTTP exchange itself
  (``DaraCore.async_do_action``, which opens a new aiohttp session and TCP connection per
  request), is carried by one kept-alive aiohttp session of the sender (:class:`_KeptAlive`).
  The synchronous client on threads cost twice the CPU per message (``requests`` prepares and
  re-encodes every URL in Python, and 32 threads hand the GIL to and fro).
- :func:`parse_report` / :func:`parse_replies`: the ``SmsReport`` and ``SmsUp`` pushes (JSON
  arrays, unsigned: the webhook checks its URL token), normalised to
  :class:`~notify.senders.Receipt` and :class:`~notify.senders.Reply`.

The endpoint comes from ``ALIYUN_SMS_ENDPOINT`` (``https://dysmsapi.aliyuncs.com``; the project's
fake in tests, over plain HTTP).
"""

from __future__ import annotations

import asyncio
import json
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import aiohttp
import alibabacloud_tea_openapi.client as _openapi
from alibabacloud_dysmsapi20170525 import models
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.core import DaraCore
from darabonba.exceptions import ResponseException, RetryError
from darabonba.request import DaraRequest
from darabonba.response import DaraResponse
from darabonba.runtime import RuntimeOptions
from yarl import URL

from notify.catalog import ProviderTemplates
from notify.senders import (
    OutgoingSms,
    Receipt,
    Reply,
    RetryableSendError,
    SendError,
    SendResult,
    UnknownOutcomeError,
)
from notify.aliyun_receipts import PUSH_ANSWER, moment, parse_replies, parse_report
from notify.settings import SmsSettings
from notify.template_sender import CHINA, CLOCK_SKEW, CodeBook, TemplateSender, china_days, national

#: Aliyun's SendSms codes (help.aliyun.com "短信服务 API 错误码").
CODES = CodeBook(
    permanent=("isv.MOBILE_NUMBER_ILLEGAL", "isv.MOBILE_COUNT_OVER_LIMIT", "isv.TEMPLATE_MISSING_PARAMETERS",
               "isv.INVALID_PARAMETERS", "isv.INVALID_JSON_PARAM", "isv.PARAM_LENGTH_LIMIT",
               "isv.PARAM_NOT_SUPPORT_URL", "isv.BLACK_KEY_CONTROL_LIMIT", "isv.DENY_IP_RANGE"),
    configuration=("isv.SMS_TEMPLATE_ILLEGAL", "isv.SMS_SIGNATURE_ILLEGAL", "isv.AMOUNT_NOT_ENOUGH",
                   "isv.OUT_OF_SERVICE", "isv.ACCOUNT_NOT_EXISTS", "isv.ACCOUNT_ABNORMAL",
                   "isv.PRODUCT_UN_SUBSCRIPT", "isv.PRODUCT_UNSUBSCRIBE", "isp.RAM_PERMISSION_DENY",
                   "SignatureDoesNotMatch", "InvalidAccessKeyId.NotFound", "InvalidAccessKeyId.Inactive"),
    throttled=("isv.BUSINESS_LIMIT_CONTROL", "Throttling.User", "Throttling.Api", "isv.DAY_LIMIT_CONTROL"),
    daily=("isv.DAY_LIMIT_CONTROL",),
)
PAGE_SIZE = 50
#: Connections kept open to the API (requests in flight beyond it wait for one).
KEEP_ALIVE = 256
#: Transport errors that mean the request never reached Aliyun (safe to send again).
NEVER_CONNECTED = ("Connection refused", "NewConnectionError", "ConnectTimeout", "Failed to establish",
                   "Cannot connect to host")
_STATUS = {1: "sent", 2: "failed", 3: "delivered"}
#: The kept-alive session of the sender whose SDK call is running (unset: the SDK's own way).
_SESSION: ContextVar[aiohttp.ClientSession | None] = ContextVar("aliyun_session", default=None)


class _KeptAlive(DaraCore):
    """The SDK's core with its HTTP exchange carried by the sender's session. The request arrives
    built and signed by the SDK; the URL it composes is already percent-encoded (sent as it is);
    the answer goes back as the SDK's own ``DaraResponse``, and a transport failure as its
    ``RetryError``, exactly as ``DaraCore.async_do_action`` does."""

    @staticmethod
    async def async_do_action(request: DaraRequest, runtime_option: dict | None = None) -> DaraResponse:
        session = _SESSION.get()
        if session is None:
            return await DaraCore.async_do_action(request, runtime_option)
        runtime_option = runtime_option or {}
        read = int(runtime_option.get("readTimeout") or 10_000) / 1000
        connect = int(runtime_option.get("connectTimeout") or read * 1000) / 1000
        body = request.body.encode("utf-8") if isinstance(request.body, str) else (request.body or b"")
        try:
            async with session.request(request.method, URL(DaraCore.compose_url(request), encoded=True),
                                       data=body, headers=request.headers,
                                       timeout=aiohttp.ClientTimeout(sock_read=read, sock_connect=connect)) as answer:
                response = DaraResponse()
                response.body = await answer.read()
                response.headers = {k.lower(): v for k, v in answer.headers.items()}
                response.status_code = answer.status
                response.status_message = answer.reason
                response.response = answer
                return response
        except OSError as exc:  # aiohttp's connection errors and timeouts, as the SDK wraps them
            raise RetryError(str(exc) or type(exc).__name__) from None


_openapi.DaraCore = _KeptAlive  # the SDK module's name for its core: only the HTTP exchange differs


class AliyunSender(TemplateSender):
    provider = "aliyun"

    def __init__(self, settings: SmsSettings, templates: ProviderTemplates, *,
                 timeout_seconds: float | None = None) -> None:
        if not (settings.signature and settings.aliyun_access_key_id and settings.aliyun_access_key_secret):
            raise ValueError("AliyunSender needs SMS_SIGNATURE, ALIYUN_ACCESS_KEY_ID and ALIYUN_ACCESS_KEY_SECRET")
        super().__init__(templates, settings.signature, settings.aliyun_endpoint)
        self._settings = settings
        timeout_ms = int((timeout_seconds or settings.timeout_seconds) * 1000)
        self._runtime = RuntimeOptions(autoretry=False, read_timeout=timeout_ms,
                                       connect_timeout=min(timeout_ms, 5_000), max_attempts=1)
        self._client: Client | None = None
        self._session: aiohttp.ClientSession | None = None

    def client(self) -> Client:
        if self._client is None:
            secret = self._settings.aliyun_access_key_secret
            assert secret is not None
            self._client = Client(Config(
                access_key_id=self._settings.aliyun_access_key_id, access_key_secret=secret.get_secret_value(),
                endpoint=self._address.netloc, protocol=self._address.scheme, region_id="cn-hangzhou",
                read_timeout=self._runtime.read_timeout, connect_timeout=self._runtime.connect_timeout))
        return self._client

    async def _call(self, method: Any, request: Any) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=KEEP_ALIVE),
                                                  trust_env=False, auto_decompress=False)
        token = _SESSION.set(self._session)
        try:
            return await method(request, self._runtime)
        except Exception as exc:  # mapped below; the SDK's text may quote the number
            raise _sdk_error(exc) from None
        finally:
            _SESSION.reset(token)

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def send(self, sms: OutgoingSms) -> SendResult:
        code, params = self.prepare(sms)
        request = models.SendSmsRequest(
            phone_numbers=national(sms.to), sign_name=self.signature, template_code=code,
            template_param=json.dumps(dict(params), ensure_ascii=False), out_id=sms.key or None)
        response = await self._call(self.client().send_sms_with_options_async, request)
        body = response.body
        if body.code == "OK" and body.biz_id:
            return SendResult(body.biz_id, "sent", None)
        error = CODES.error("Aliyun", str(body.code), str(body.message or ""), http_status=response.status_code)
        if body.code == "isv.BUSINESS_LIMIT_CONTROL" and "天级" in str(body.message or ""):
            error = CODES.error("Aliyun", "isv.DAY_LIMIT_CONTROL", str(body.message), http_status=response.status_code)
        raise error

    async def find_existing(self, to: str, since: datetime, body: str, *, key: str = "") -> SendResult | None:
        """``QuerySendDetails`` for each day since ``since``: the message with ``OutId == key``
        (or, without a key, this exact content). Its status is Aliyun's: waiting for a receipt
        (``sent``), ``delivered`` or ``failed`` with the error code."""
        if since.tzinfo is None:
            raise ValueError("since must be timezone-aware")
        for day in china_days(since, datetime.now(UTC)):
            for dto in await self._details(to, day):
                if (dto.out_id == key) if key else (dto.content == body):
                    status = _STATUS.get(int(dto.send_status or 1), "sent")
                    code = dto.err_code if status == "failed" else None
                    return self.found(f"aliyun-out:{dto.out_id}" if dto.out_id else f"aliyun:{dto.send_date}",
                                      status, code)
        return None

    async def _details(self, to: str, day: datetime) -> list[Any]:
        rows: list[Any] = []
        for page in range(1, 21):
            request = models.QuerySendDetailsRequest(phone_number=national(to), send_date=day.strftime("%Y%m%d"),
                                                     page_size=PAGE_SIZE, current_page=page)
            response = await self._call(self.client().query_send_details_with_options_async, request)
            body = response.body
            if body.code != "OK":
                raise CODES.error("Aliyun", str(body.code), str(body.message or ""))
            found = list(body.sms_send_detail_dtos.sms_send_detail_dto or []) if body.sms_send_detail_dtos else []
            rows.extend(found)
            if len(found) < PAGE_SIZE:
                break
        return rows


def _sdk_error(exc: BaseException) -> BaseException:
    """The SDK's exception as a :class:`SendError` (a connection never made is safe to retry)."""
    inner = getattr(exc, "inner_exception", None) or exc
    if isinstance(inner, ResponseException):
        code = str(getattr(inner, "code", "") or "")
        status = getattr(inner, "status_code", None)
        if status is not None and status >= 500 or code.startswith("isp."):
            return UnknownOutcomeError(f"Aliyun answered {status} {code}", http_status=status, provider_code=code)
        return CODES.error("Aliyun", code or "unknown", "", http_status=status)
    text = str(inner)
    if any(sign in text for sign in NEVER_CONNECTED):  # the SDK wraps transport errors as text
        return RetryableSendError("no connection to Aliyun SMS", code=None, http_status=None)
    if isinstance(inner, asyncio.TimeoutError | OSError) or type(inner).__name__ == "RetryError":
        return UnknownOutcomeError(f"no answer from Aliyun SMS: {type(inner).__name__}")
    if isinstance(exc, SendError):
        return exc
    return UnknownOutcomeError(f"Aliyun SDK error: {type(inner).__name__}")


__all__ = ["CLOCK_SKEW", "PUSH_ANSWER", "AliyunSender", "parse_replies", "parse_report"]
