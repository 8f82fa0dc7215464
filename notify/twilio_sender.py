"""The Twilio adapter: the only module of the project that imports ``twilio``.

- :class:`TwilioSender` sends through ``client.messages.create_async`` on an
  ``AsyncTwilioHttpClient`` opened inside the running loop and closed by :meth:`aclose`. It is
  created without ``max_retries`` (the SDK would retry a 500 on POST and could send a text
  twice); retries belong to the caller (``notify.retry``).
- :func:`validate_signature` / :func:`sign`: the ``X-Twilio-Signature`` of a webhook.
- :func:`twiml_reply`: the TwiML answer to an inbound SMS (serve it as ``application/xml``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from notify.privacy import scrub
from notify.senders import (
    THROTTLED,
    BaseSender,
    OutgoingSms,
    PermanentSendError,
    RetryableSendError,
    SenderConfigurationError,
    SendError,
    SendResult,
    UnknownOutcomeError,
    check_outgoing,
)
from pydantic import SecretStr

from notify.settings import SmsSettings

TWIML_MEDIA_TYPE = "application/xml"
SIGNATURE_HEADER = "X-Twilio-Signature"
#: How far back of ``since`` :meth:`TwilioSender.find_existing` still accepts a message
#: (our clock and Twilio's may differ).
CLOCK_SKEW = timedelta(minutes=2)
#: Messages to one recipient :meth:`TwilioSender.find_existing` reads at most, newest first, in
#: one page (a household gets a few texts a year).
FIND_LIMIT = 100

log = logging.getLogger(__name__)


class _HttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]
    """The SDK's async client with three repairs:

    - the client-wide ``timeout`` is applied (the SDK passes ``None`` to aiohttp, which means
      no timeout at all);
    - credentials go in an ``Authorization`` header built once (the SDK builds an
      ``aiohttp.BasicAuth`` per request, deprecated in aiohttp 3.14: a DeprecationWarning each
      time);
    - requests are not logged (the SDK logs query strings at INFO, and those hold phone numbers).
    """

    _authorization: tuple[tuple[str, str], str] | None = None

    def _auth_header(self, auth: tuple[str, str]) -> str:
        if self._authorization is None or self._authorization[0] != auth:
            self._authorization = (auth, aiohttp.encode_basic_auth(auth[0], auth[1]))
        return self._authorization[1]

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        if auth is not None:
            headers = {**(headers or {}), "Authorization": self._auth_header(auth)}
        return await super().request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            auth=None,
            timeout=timeout if timeout is not None else self.timeout,
            allow_redirects=allow_redirects,
        )

    def log_request(self, kwargs: dict[str, Any]) -> None:
        return None

    def log_response(self, status_code: int, response: Any) -> None:
        return None


class TwilioSender(BaseSender):
    """Send through Twilio's REST API (or the project's fake, or Prism, via ``api_base_url``).

    ``timeout_seconds`` overrides ``settings.timeout_seconds`` (tests use a fraction of a
    second). The HTTP session is opened on first use, inside the running loop.
    """

    def __init__(self, settings: SmsSettings, *, timeout_seconds: float | None = None) -> None:
        if not settings.account_sid or settings.auth_token is None:
            raise ValueError("TwilioSender needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        if bool(settings.messaging_service_sid) == bool(settings.from_number):
            raise ValueError(
                "TwilioSender needs exactly one of TWILIO_MESSAGING_SERVICE_SID and TWILIO_FROM"
            )
        self._settings = settings
        self._timeout = timeout_seconds if timeout_seconds is not None else settings.timeout_seconds
        self._http: _HttpClient | None = None
        self._messages: Any = None
        self._sender_args: dict[str, str] = (
            {"messaging_service_sid": settings.messaging_service_sid}
            if settings.messaging_service_sid
            else {"from_": settings.from_number or ""}
        )

    def __repr__(self) -> str:
        api = self._settings.api_base_url or "https://api.twilio.com"
        return f"TwilioSender(account_sid={self._settings.account_sid!r}, api={api!r})"

    def _message_list(self) -> Any:
        if self._messages is None:
            asyncio.get_running_loop()  # the aiohttp session must belong to a running loop
            settings = self._settings
            assert settings.auth_token is not None and settings.account_sid is not None
            self._http = _HttpClient(timeout=self._timeout)
            client = Client(
                username=settings.account_sid,
                password=settings.auth_token.get_secret_value(),
                account_sid=settings.account_sid,
                http_client=self._http,
            )
            client.edge = None  # TWILIO_EDGE / TWILIO_REGION would rewrite the host name
            client.region = None
            if settings.api_base_url:
                client.api.base_url = settings.api_base_url
            self._messages = client.api.v2010.accounts(settings.account_sid).messages
        return self._messages

    async def send(self, sms: OutgoingSms) -> SendResult:
        check_outgoing(sms)
        kwargs: dict[str, Any] = {"to": sms.to, "body": sms.body, **self._sender_args}
        if sms.status_callback:
            kwargs["status_callback"] = sms.status_callback
        if sms.attempt > 1:
            kwargs["attempt"] = sms.attempt
        messages = self._message_list()
        try:
            message = await messages.create_async(**kwargs)
        except Exception as exc:  # mapped below; the original may quote the phone number
            raise _send_error(exc, sms.reference) from None
        return SendResult(message.sid, message.status, _segments(message.num_segments))

    async def find_existing(
        self, to: str, since: datetime, body: str, *, key: str = ""
    ) -> SendResult | None:
        """Read the recipient's newest messages and return the newest with this body created at or
        after ``since`` (minus :data:`CLOCK_SKEW`).

        It filters by ``To`` only, not by ``DateSent``: a message still queued has no send date
        yet, and that is exactly the message an unknown outcome may have left behind.
        """
        if since.tzinfo is None:
            raise ValueError("since must be timezone-aware")
        earliest = since.astimezone(UTC) - CLOCK_SKEW
        messages = self._message_list()
        try:
            found = await messages.list_async(to=to, limit=FIND_LIMIT, page_size=FIND_LIMIT)
        except Exception as exc:
            raise _send_error(exc, "find_existing") from None
        best = None
        for message in found:
            created = message.date_created
            if (
                message.body == body
                and isinstance(created, datetime)
                and created >= earliest
                and (best is None or created > best.date_created)
            ):
                best = message
        return (
            None
            if best is None
            else SendResult(best.sid, best.status, _segments(best.num_segments))
        )

    async def aclose(self) -> None:
        http, self._http, self._messages = self._http, None, None
        if http is not None:
            await http.close()


def _segments(value: object) -> int | None:
    try:
        n = int(str(value))
    except ValueError:
        return None
    return n or None


def _send_error(exc: BaseException, reference: str) -> SendError | BaseException:
    """Map an SDK or transport exception to a :class:`SendError` (or pass it through)."""
    if isinstance(exc, TwilioRestException):
        status, code = exc.status, exc.code
        text = scrub(f"Twilio answered {status}: {exc.msg}")
        log.info("send %s refused: HTTP %s code %s", reference, status, code)
        if status == 429 or code == THROTTLED:
            return RetryableSendError(text, code=code or THROTTLED, http_status=status)
        if status >= 500:
            return UnknownOutcomeError(text, code=code, http_status=status)
        if status in (401, 403) or (status == 404 and code in (None, 20404)):
            return SenderConfigurationError(text, code=code, http_status=status)
        return PermanentSendError(text, code=code, http_status=status)
    if isinstance(exc, aiohttp.ConnectionTimeoutError | aiohttp.ClientConnectorError):
        return RetryableSendError(
            f"no connection to the SMS API: {type(exc).__name__}", code=None, http_status=None
        )
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ClientError):
        log.info("send %s outcome unknown: %s", reference, type(exc).__name__)
        return UnknownOutcomeError(f"no answer from the SMS API: {type(exc).__name__}")
    if isinstance(exc, TwilioException):
        return SendError(scrub(str(exc)))
    return exc


def _token(auth_token: str | SecretStr | None) -> str | None:
    return auth_token.get_secret_value() if isinstance(auth_token, SecretStr) else auth_token


def sign(auth_token: str | SecretStr, url: str, params: Mapping[str, str]) -> str:
    """The ``X-Twilio-Signature`` Twilio would send for a POST of ``params`` to ``url``."""
    token = _token(auth_token)
    if not token:
        raise ValueError("signing needs an auth token")
    return str(RequestValidator(token).compute_signature(url, params))


def validate_signature(
    auth_token: str | SecretStr | None,
    url: str,
    params: Mapping[str, str],
    signature: str | None,
) -> bool:
    """Whether ``signature`` is Twilio's signature of ``params`` posted to ``url``.

    ``url`` is the public URL Twilio called, rebuilt from configuration (``PUBLIC_BASE_URL`` +
    path + query), not the URL this server saw behind a proxy. ``params`` are all form fields,
    blank ones included (a multi-dict with ``getlist`` keeps repeated fields). False when no
    token is configured or the request carries no signature: refuse it with 403.
    """
    token = _token(auth_token)
    if not token or not signature:
        return False
    return bool(RequestValidator(token).validate(url, params, signature))


def twiml_reply(text: str | None) -> str:
    """TwiML answering an inbound SMS with ``text``, or the empty ``<Response />`` for none."""
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response)
