"""The Tencent Cloud SMS adapter: the only module of the project that imports Tencent's SDK
(``tencentcloud-sdk-python-sms`` on ``-common``, its async client on httpx).

- :class:`TencentSender` sends ``SendSms`` (API 2021-01-11) with the template id of the
  deployment's mapping, the parameters positionally (``TemplateParamSet``, in the order the
  variables first appear), ``SmsSdkAppId``, ``SignName`` and the correlation key as
  ``SessionContext``. The SDK's retries stay off (no ``retryer``; region breaker disabled).
- Look-up before any resend: ``PullSmsSendStatusByPhoneNumber`` for the number since the send
  started, matched on ``SessionContext``. Tencent lists a message there once its receipt came;
  until ``SMS_RECEIPT_WINDOW_SECONDS`` (:data:`RECEIPT_WINDOW`) have passed since the send, "not found" is not yet proof that it was
  never sent, so the look-up answers "cannot tell yet" (an error: look again later).
- Polling: ``PullSmsSendStatus`` and ``PullSmsReplyStatus`` (queues: each item is returned once).
- :func:`parse_report` / :func:`parse_replies`: the status and reply callbacks (unsigned: the
  webhook checks its URL token).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import httpx
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models
from tencentcloud.sms.v20210111.sms_client_async import SmsClient

from notify.catalog import ProviderTemplates
from notify.senders import OutgoingSms, Receipt, Reply, RetryableSendError, SendError, SendResult
from notify.senders import UnknownOutcomeError
from notify.settings import SmsSettings
from notify.tencent_receipts import PUSH_ANSWER, moment, parse_replies, parse_report
from notify.template_sender import CHINA, CLOCK_SKEW, CodeBook, TemplateSender

#: How long after a send a missing receipt still means "maybe sent" by default (receipts usually
#: come within seconds; carriers may take minutes): ``SMS_RECEIPT_WINDOW_SECONDS``.
RECEIPT_WINDOW = timedelta(minutes=10)
PULL_LIMIT = 100
#: Connections kept open to the API (requests in flight beyond it wait for one).
KEEP_ALIVE = 256
CODES = CodeBook(
    permanent=("InvalidParameterValue.IncorrectPhoneNumber", "InvalidParameterValue.TemplateParameterFormatError",
               "InvalidParameterValue.TemplateParameterLengthLimit", "InvalidParameterValue.ContentLengthLimit",
               "FailedOperation.ContainSensitiveWord", "FailedOperation.PhoneNumberInBlacklist",
               "FailedOperation.PhoneNumberParseFail", "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
               "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter"),
    configuration=("FailedOperation.TemplateIncorrectOrUnapproved", "FailedOperation.SignatureIncorrectOrUnapproved",
                   "FailedOperation.InsufficientBalanceInSmsPackage", "FailedOperation.InvalidSdkAppId",
                   "UnauthorizedOperation.SmsSdkAppIdVerifyFail", "UnauthorizedOperation.IndividualUserMarketingSmsPermissionDeny",
                   "AuthFailure.SecretIdNotFound", "AuthFailure.SignatureFailure", "FailedOperation.FailResolvePacket"),
    throttled=("RequestLimitExceeded", "LimitExceeded.PhoneNumberThirtySecondLimit",
               "LimitExceeded.PhoneNumberOneHourLimit", "LimitExceeded.DeliveryFrequencyLimit",
               "LimitExceeded.PhoneNumberDailyLimit", "LimitExceeded.AppDailyLimit"),
    daily=("LimitExceeded.PhoneNumberDailyLimit", "LimitExceeded.AppDailyLimit"),
)
#: A number Tencent refuses because the household unsubscribed (replied 退订).
OPTED_OUT_CODE = "FailedOperation.PhoneNumberInBlacklist"


class AiohttpTransport(httpx.AsyncBaseTransport):
    """httpx's documented transport hook, carried by one aiohttp session with kept-alive
    connections: the SDK builds and signs its requests with httpx, and httpcore's pool (which
    costs more CPU per request than the request itself at hundreds in flight) is not used."""

    def __init__(self, timeout: float) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=KEEP_ALIVE), timeout=self._timeout, trust_env=False,
                auto_decompress=False)
        body = await request.aread()
        try:
            async with self._session.request(request.method, str(request.url), data=body,
                                             headers=list(request.headers.multi_items())) as answer:
                content = await answer.read()
                return httpx.Response(answer.status, headers=list(answer.headers.items()), content=content,
                                      request=request)
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise httpx.ReadTimeout(str(exc), request=request) from None
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from None
        except aiohttp.ClientError as exc:
            raise httpx.ReadError(str(exc), request=request) from None

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()


class _DirectClient(httpx.AsyncClient):
    """The ``http_client`` the SDK sends through: its signed request goes straight to the
    transport. httpx's auth, redirect and cookie handling (a cookie jar parsed on every answer)
    cost about a tenth of a request's CPU and mean nothing here: the API sets no cookies and
    answers no redirects, and the SDK signs each request itself."""

    def __init__(self, transport: AiohttpTransport, timeout: float) -> None:
        super().__init__(timeout=httpx.Timeout(timeout), transport=transport)
        self._direct = transport

    async def send(self, request: httpx.Request, **_: Any) -> httpx.Response:  # type: ignore[override]
        return await self._direct.handle_async_request(request)


class TencentSender(TemplateSender):
    provider = "tencent"

    def __init__(self, settings: SmsSettings, templates: ProviderTemplates, *,
                 timeout_seconds: float | None = None) -> None:
        if not (settings.signature and settings.tencent_secret_id and settings.tencent_secret_key
                and settings.tencent_sdk_app_id):
            raise ValueError("TencentSender needs SMS_SIGNATURE, TENCENT_SECRET_ID, TENCENT_SECRET_KEY and "
                             "TENCENT_SMS_SDK_APP_ID")
        super().__init__(templates, settings.signature, settings.tencent_endpoint)
        self._settings = settings
        self._timeout = timeout_seconds or settings.timeout_seconds
        self._client: SmsClient | None = None

    def client(self) -> SmsClient:
        if self._client is None:
            settings = self._settings
            assert settings.tencent_secret_key is not None
            profile = ClientProfile(httpProfile=HttpProfile(protocol=self._address.scheme, endpoint=self._address.netloc,
                                                            reqTimeout=max(1, int(self._timeout)), keepAlive=True),
                                    disable_region_breaker=True, retryer=None)
            self._client = SmsClient(Credential(settings.tencent_secret_id, settings.tencent_secret_key.get_secret_value()),
                                     settings.tencent_region, profile)
            # the SDK's client keeps 20 connections alive: at a few hundred requests in flight it
            # would open and close one per request; keep as many alive as may be in flight
            self._sdk_http = self._client.http_client
            self._transport = AiohttpTransport(self._timeout)
            self._client.http_client = _DirectClient(self._transport, self._timeout)
        return self._client

    async def _call(self, action: str, request: Any) -> Any:
        try:
            return await getattr(self.client(), action)(request)
        except Exception as exc:
            raise _sdk_error(exc) from None

    async def send(self, sms: OutgoingSms) -> SendResult:
        code, params = self.prepare(sms)
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [sms.to]
        request.SmsSdkAppId = self._settings.tencent_sdk_app_id
        request.SignName = self.signature
        request.TemplateId = code
        request.TemplateParamSet = [value for _, value in params]
        request.SessionContext = sms.key or None
        response = await self._call("SendSms", request)
        statuses = list(response.SendStatusSet or [])
        if len(statuses) != 1:
            raise UnknownOutcomeError(f"Tencent answered {len(statuses)} statuses for one number")
        status = statuses[0]
        if status.Code == "Ok" and status.SerialNo:
            return SendResult(status.SerialNo, "sent", int(status.Fee) if status.Fee else None)
        raise CODES.error("Tencent", str(status.Code), str(status.Message or ""))

    async def find_existing(self, to: str, since: datetime, body: str, *, key: str = "") -> SendResult | None:
        if since.tzinfo is None:
            raise ValueError("since must be timezone-aware")
        now = datetime.now(UTC)
        request = models.PullSmsSendStatusByPhoneNumberRequest()
        request.BeginTime = int((since - CLOCK_SKEW).timestamp())
        request.EndTime = int(now.timestamp()) + 60
        request.PhoneNumber = to
        request.SmsSdkAppId = self._settings.tencent_sdk_app_id
        request.Limit = PULL_LIMIT
        for offset in range(0, 10 * PULL_LIMIT, PULL_LIMIT):
            request.Offset = offset
            response = await self._call("PullSmsSendStatusByPhoneNumber", request)
            rows = list(response.PullSmsSendStatusSet or [])
            for row in rows:
                if key and row.SessionContext == key:
                    failed = row.ReportStatus != "SUCCESS"
                    return self.found(row.SerialNo, "failed" if failed else "delivered",
                                      (row.Description or "FAIL") if failed else None)
            if len(rows) < PULL_LIMIT:
                break
        if now - since < timedelta(seconds=self._settings.receipt_window_seconds):
            raise UnknownOutcomeError("Tencent lists a message once its receipt came: too early to tell")
        return None

    async def pull_receipts(self) -> list[Receipt]:
        request = models.PullSmsSendStatusRequest()
        request.Limit = PULL_LIMIT
        request.SmsSdkAppId = self._settings.tencent_sdk_app_id
        response = await self._call("PullSmsSendStatus", request)
        return [Receipt("tencent", r.SerialNo or "", r.SessionContext or "", r.PhoneNumber or "",
                        "delivered" if r.ReportStatus == "SUCCESS" else "failed",
                        None if r.ReportStatus == "SUCCESS" else (r.Description or "FAIL"),
                        r.Description or "", moment(r.UserReceiveTime))
                for r in response.PullSmsSendStatusSet or []]

    async def pull_replies(self) -> list[Reply]:
        request = models.PullSmsReplyStatusRequest()
        request.Limit = PULL_LIMIT
        request.SmsSdkAppId = self._settings.tencent_sdk_app_id
        response = await self._call("PullSmsReplyStatus", request)
        return [Reply("tencent", f"tencent-up:{r.PhoneNumber}:{r.ReplyTime}", r.PhoneNumber or "",
                      r.ReplyContent or "", moment(r.ReplyTime)) for r in response.PullSmsReplyStatusSet or []]

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()
            await self._sdk_http.aclose()
            await self._transport.aclose()


def _sdk_error(exc: BaseException) -> BaseException:
    if isinstance(exc, TencentCloudSDKException):
        code = str(exc.code or "")
        if code in ("ServerNetworkError", "InternalError") or code.startswith("InternalError"):
            return UnknownOutcomeError(f"Tencent answered {code}", provider_code=code)
        return CODES.error("Tencent", code, str(exc.message or ""))
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return RetryableSendError(f"no connection to Tencent SMS: {type(exc).__name__}", code=None,
                                  http_status=None)
    if isinstance(exc, httpx.HTTPError | OSError):
        return UnknownOutcomeError(f"no answer from Tencent SMS: {type(exc).__name__}")
    if isinstance(exc, SendError):
        return exc
    return UnknownOutcomeError(f"Tencent SDK error: {type(exc).__name__}")


__all__ = ["OPTED_OUT_CODE", "PUSH_ANSWER", "RECEIPT_WINDOW", "TencentSender", "parse_replies", "parse_report"]
