"""The sender interface: one outgoing SMS in, a provider SID out, or an error that says what to do.

- :class:`PermanentSendError`: fix the data; never resend the same request (21211 invalid To,
  21610 opted out, 21614 not a mobile, 21408, 21635, 21608, 21611, any other 4xx).
- :class:`RetryableSendError`: the request was not processed (429 / 20429, or no connection
  could be made): resend after a backoff (``notify.retry``).
- :class:`UnknownOutcomeError`: 5xx, timeout or dropped connection after the request was sent:
  the message may exist. Call :meth:`Sender.find_existing` before any resend, or a household
  gets (and we pay for) two texts.
- :class:`SenderConfigurationError`: 401/403/404 on the account: the credentials or the
  account are wrong. Stop the batch; the notice itself is fine.

A sender is used as ``async with make_sender(settings) as sender: await sender.send(sms)``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

#: Twilio's create-time codes that mean "this request will never succeed as it is".
PERMANENT_CODES: dict[int, str] = {
    21211: "invalid To number",
    21408: "region not enabled for this account",
    21602: "message body is required",
    21608: "trial account: number not verified",
    21610: "recipient opted out (STOP)",
    21611: "sender queue exceeds 10 hours",
    21614: "To number is not a mobile number",
    21617: "body exceeds 1,600 characters",
    21635: "To number is a landline",
}
OPTED_OUT = 21610
INVALID_TO = 21211
THROTTLED = 20429
MAX_BODY_CHARS = 1600

_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


@dataclass(frozen=True, slots=True)
class OutgoingSms:
    """One text to one recipient.

    ``to`` is E.164 (``+8613800138000``); ``status_callback`` the URL for delivery reports (or
    ``None``); ``reference`` our notice id, used in logs and by dry-run senders (never sent to
    the provider); ``attempt`` counts the tries of this notice including this one.

    For a template provider (Aliyun, Tencent Cloud) ``template``, ``lang`` and ``params`` name the
    logical template of :mod:`notify.catalog` and its values (``body`` is what the phone will
    show, signature included); ``key`` is the correlation key sent with the message (Aliyun
    ``OutId``, Tencent ``SessionContext``) that receipts and look-ups carry back.
    """

    to: str
    body: str
    status_callback: str | None = None
    reference: str = ""
    attempt: int = 1
    template: str = ""
    lang: str = "zh"
    params: Mapping[str, str] | None = None
    key: str = ""


@dataclass(frozen=True, slots=True)
class SendResult:
    """The provider accepted the message. ``segments`` is ``None`` while not yet counted (a
    Messaging Service reports ``"0"`` at create)."""

    sid: str
    status: str
    segments: int | None = None
    code: str | None = None
    """The provider's code for a failure a look-up found (``MK:0001``), else ``None``."""


class SendError(Exception):
    """A send that did not succeed. ``code`` is the provider's error code, when it gave one.

    The message never holds a full phone number.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        http_status: int | None = None,
        provider_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = http_status
        self.provider_code = provider_code


class PermanentSendError(SendError):
    @property
    def opted_out(self) -> bool:
        """The recipient replied STOP (21610): record an opt-out, not a failure."""
        return self.code == OPTED_OUT


class RetryableSendError(SendError):
    def __init__(
        self,
        message: str,
        *,
        code: int | None = THROTTLED,
        http_status: int | None = 429,
        retry_after_ms: int | None = None,
        provider_code: str | None = None,
    ) -> None:
        super().__init__(message, code=code, http_status=http_status, provider_code=provider_code)
        self.retry_after_ms = retry_after_ms


class UnknownOutcomeError(SendError):
    pass


class SenderConfigurationError(SendError):
    pass


def check_outgoing(sms: OutgoingSms) -> None:
    """Refuse locally what the provider would refuse: a To that is not E.164, an empty body or
    one over 1,600 characters (same codes as Twilio)."""
    if not _E164.match(sms.to):
        raise PermanentSendError(
            "To is not an E.164 phone number", code=INVALID_TO, http_status=400
        )
    if not sms.body:
        raise PermanentSendError("message body is required", code=21602, http_status=400)
    if len(sms.body) > MAX_BODY_CHARS:
        raise PermanentSendError("body exceeds 1,600 characters", code=21617, http_status=400)


@runtime_checkable
class Sender(Protocol):
    async def send(self, sms: OutgoingSms) -> SendResult:
        """Submit one message; raise a :class:`SendError` subclass when it was not accepted."""
        ...

    async def find_existing(
        self, to: str, since: datetime, body: str, *, key: str = ""
    ) -> SendResult | None:
        """The newest message to ``to`` created at or after ``since`` (timezone-aware) that
        carries correlation ``key`` (template providers) or exactly ``body`` (Twilio), if the
        provider holds one: call it after an :class:`UnknownOutcomeError`, before resending. A
        lookup that fails, or cannot yet tell, raises a :class:`SendError` and leaves the
        outcome unknown: look again later, do not resend."""
        ...

    async def pull_receipts(self) -> list[Receipt]:
        """Delivery receipts waiting at the provider (polling, where no push is configured)."""
        ...

    async def pull_replies(self) -> list[Reply]:
        """Households' replies waiting at the provider (polling)."""
        ...

    async def aclose(self) -> None: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class Receipt:
    """A delivery receipt, normalised: ``status`` is ``delivered``, ``undelivered`` or ``failed``
    (or ``sent`` for "accepted, not final"); ``code`` the provider's own code
    (``DELIVRD``, ``MK:0001``, ``30003``); ``key`` the correlation key sent with the message."""

    provider: str
    sid: str
    key: str
    phone: str
    status: str
    code: str | None = None
    description: str = ""
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """An SMS a household sent back: ``sid`` is unique per message (for exactly-once handling)."""

    provider: str
    sid: str
    phone: str
    body: str
    at: datetime | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


class BaseSender:
    """Context-manager plumbing shared by the senders; no receipts or replies to pull."""

    async def pull_receipts(self) -> list[Receipt]:
        return []

    async def pull_replies(self) -> list[Reply]:
        return []

    async def aclose(self) -> None:
        return None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
