"""What the senders of template providers (Aliyun SMS, Tencent Cloud SMS) share; no SDK here.

A message names a logical template of :mod:`notify.catalog` and its parameter values; the sender
finds the provider's code in the deployment's mapping (refusing, before any request, a template
that is not approved there), submits it with the correlation key, and maps the provider's answer
onto the :mod:`notify.senders` errors:

==================================  ===========================================================
the provider said                   error
==================================  ===========================================================
flow control, throttling            :class:`RetryableSendError` (never processed)
daily limit of the number reached   :class:`RetryableSendError` with ``retry_after_ms`` up to
                                    tomorrow (the outbox holds it for the next day)
bad number, bad parameters, words   :class:`PermanentSendError` (fix the data)
template/signature not approved,    :class:`SenderConfigurationError` (stop the batch: every
no balance, wrong credentials       message would fail the same way)
system error, HTTP 5xx, timeout     :class:`UnknownOutcomeError`: look the message up (by its
                                    correlation key) before any resend
==================================  ===========================================================

Each adapter lists its codes in ``PERMANENT``, ``CONFIGURATION``, ``THROTTLED`` and ``DAILY``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import urlsplit
from datetime import datetime, time, timedelta, timezone

from notify.catalog import CATALOG, ProviderTemplates, TemplateError
from notify.privacy import scrub
from notify import senders
from notify.senders import (
    PermanentSendError,
    RetryableSendError,
    SenderConfigurationError,
    SendError,
    UnknownOutcomeError,
)

CHINA = timezone(timedelta(hours=8))
#: How far back of ``since`` a look-up still accepts a message (clocks differ).
CLOCK_SKEW = timedelta(minutes=2)
#: A refused template: ``code`` stays ``None`` (it is ours, not the provider's).
TEMPLATE_REFUSED = "template_not_approved"


@dataclass(frozen=True, slots=True)
class CodeBook:
    """A provider's error codes by what they mean for a resend."""

    permanent: Collection[str]
    configuration: Collection[str]
    throttled: Collection[str]
    daily: Collection[str]

    def error(self, provider: str, code: str, message: str, *, http_status: int | None = None) -> SendError:
        text = scrub(f"{provider} answered {code}: {message}")[:300]
        if code in self.daily:
            return RetryableSendError(text, code=None, http_status=http_status, provider_code=code,
                                      retry_after_ms=until_tomorrow_ms())
        if code in self.throttled or code.startswith("Throttling") or "LIMIT_CONTROL" in code:
            return RetryableSendError(text, code=None, http_status=http_status, provider_code=code)
        if code in self.configuration or code.startswith(("InvalidAccessKey", "AuthFailure", "Forbidden")):
            return SenderConfigurationError(text, http_status=http_status, provider_code=code)
        if code in self.permanent or code.startswith(("isv.", "InvalidParameter", "FailedOperation")):
            return PermanentSendError(text, http_status=http_status, provider_code=code)
        return UnknownOutcomeError(text, http_status=http_status, provider_code=code)


def until_tomorrow_ms(now: datetime | None = None) -> int:
    """Milliseconds until 08:00 tomorrow, China time (daily limits reset at midnight)."""
    moment = (now or datetime.now(CHINA)).astimezone(CHINA)
    tomorrow = datetime.combine(moment.date() + timedelta(days=1), time(8, 0), CHINA)
    return int((tomorrow - moment).total_seconds() * 1000)


def national(e164: str) -> str:
    return e164[3:] if e164.startswith("+86") else e164.lstrip("+")


def china_days(since: datetime, now: datetime) -> list[datetime]:
    """Every China-time day from ``since`` (minus the skew) to ``now``, newest first."""
    first = (since - CLOCK_SKEW).astimezone(CHINA).date()
    last = now.astimezone(CHINA).date()
    days = []
    day = last
    while day >= first and len(days) < 8:
        days.append(datetime.combine(day, time(0), CHINA))
        day -= timedelta(days=1)
    return days


class TemplateSender(senders.BaseSender):
    """Base of a template provider's sender: template codes, parameter order, the checks."""

    provider = ""

    def __init__(self, templates: ProviderTemplates, signature: str, endpoint: str) -> None:
        self.templates = templates
        self.signature = signature
        self.endpoint = endpoint
        self._address = urlsplit(endpoint)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(endpoint={self.endpoint!r})"

    def prepare(self, sms: senders.OutgoingSms) -> tuple[str, list[tuple[str, str]]]:
        """(the provider's template code, the parameters in the template's order)."""
        senders.check_outgoing(sms)
        if not sms.template or sms.params is None:
            raise PermanentSendError(f"{self.provider} sends templates only; the message names none")
        try:
            template = CATALOG.template(sms.template)
            registration = self.templates.require(self.provider, template, sms.lang)
        except TemplateError as exc:
            raise SenderConfigurationError(exc.text("en"), provider_code=TEMPLATE_REFUSED) from None
        order = template.variables(sms.lang)
        missing = [name for name in order if name not in sms.params]
        if missing:
            raise PermanentSendError(f"template {template.id} lacks parameters {missing}")
        return registration.code, [(name, str(sms.params[name])) for name in order]

    @staticmethod
    def found(sid: str, status: str, code: str | None) -> senders.SendResult:
        return senders.SendResult(sid, status, None, code)
