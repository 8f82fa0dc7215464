"""Status callbacks: what the provider later reports about a sent notice.

Callbacks arrive out of order and more than once; a notice never moves backwards
(:func:`notify.status.advances` on the provider's lifecycle: once ``delivered``, a late ``sent``
changes nothing). A delivery failure is classified by :func:`notify.retry.classify_delivery_error`:

- retryable (30003 unreachable handset, 30008 unknown; 30001/30036 slower): the notice goes
  back to ``queued`` with ``next_try_at`` after a backoff of its policy (at least half the
  policy's base delay), while its tries last; an audit event keeps the failed message's SID;
- otherwise (30006 landline, 30007 filtering, no code…), or once the tries are used up:
  ``undelivered`` / ``failed``, final, with the code.

A queued retry keeps the failed message's SID until it is claimed again, so late callbacks
for that message are recognised and ignored.

The dispatcher writes SIDs in batches, so a fast provider's first callback may arrive before
the SID is recorded: :func:`apply_status` waits a little for it (``wait_seconds``) before
giving up; a notice whose callbacks were all missed is still ``sent`` and shows as such.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Literal

from dividends.clock import Clock
from dividends.outbox.fates import (DELIVERED, FAILED, NO_PHONE, OPTED_OUT, QUEUED, SENDING, SENT, UNDELIVERED,
                                    from_provider)
from dividends.store import outbox as store
from notify.retry import delivery_retry_policy
from notify.status import advances, parse_status_callback

#: Twilio's delivery error codes (status callbacks), in words for records and reports.
DELIVERY_ERRORS: dict[int, str] = {
    30001: "queue overflow",
    30002: "account suspended",
    30003: "unreachable destination handset",
    30004: "message blocked",
    30005: "unknown destination handset",
    30006: "landline or unreachable carrier",
    30007: "carrier filtering",
    30008: "unknown error",
    30009: "missing segment",
    30010: "message price exceeds max price",
    30034: "unregistered sender",
    30036: "validity period expired",
}
#: What each of our statuses means on the provider's lifecycle, for "never move backwards".
_AS_PROVIDER: dict[str, str] = {
    SENT: "sent", DELIVERED: "delivered", UNDELIVERED: "undelivered", FAILED: "failed",
    QUEUED: "undelivered",  # a retry is scheduled: the SID it still holds reached a final status
    OPTED_OUT: "failed", NO_PHONE: "failed", SENDING: "queued",
}
POLL_SECONDS = 0.05


def as_provider(status: str) -> str:
    """Our status as a provider's lifecycle status, for "never move backwards"."""
    return _AS_PROVIDER.get(status, "failed")

Result = Literal["applied", "retry_scheduled", "ignored", "unknown_sid"]


@dataclass(frozen=True)
class StatusOutcome:
    result: Result
    notice_id: int | None = None
    status: str | None = None


def describe_delivery_error(code: int | None, provider_status: str) -> str:
    if code is None:
        return "canceled" if provider_status == "canceled" else f"{provider_status} without an error code"
    return f"{code} {DELIVERY_ERRORS.get(code, 'delivery error')}"


async def apply_status(form: Mapping[str, str], clock: Clock, *, wait_seconds: float = 2.0) -> StatusOutcome:
    """Apply one (signature-checked) status callback. Raises ``ValueError`` without
    ``MessageSid``/``MessageStatus``."""
    report = parse_status_callback(form)
    deadline = time.monotonic() + wait_seconds
    for _ in range(5):  # a concurrent change: read again and decide again
        notice = await store.notice_by_sid(report.message_sid)
        while notice is None and time.monotonic() < deadline:
            await asyncio.sleep(POLL_SECONDS)
            notice = await store.notice_by_sid(report.message_sid)
        if notice is None:
            return StatusOutcome("unknown_sid")
        notice_id, status, tries, run_id = notice.id, notice.status, notice.tries, notice.run_id
        if not advances(_AS_PROVIDER.get(status, "failed"), report.status):
            return StatusOutcome("ignored", notice_id, status)
        new = from_provider(report.status)
        now = clock.now().astimezone(UTC)
        if new == SENT:
            if status == SENT or await store.change_notice(notice, status=SENT):
                return StatusOutcome("ignored" if status == SENT else "applied", notice_id, SENT)
            continue
        if new == DELIVERED:
            if await store.change_notice(notice, status=DELIVERED, final_at=now):
                return StatusOutcome("applied", notice_id, DELIVERED)
            continue
        code = report.error_code
        reason = describe_delivery_error(code, report.status)
        policy = delivery_retry_policy(code)
        if policy is not None and policy.may_retry(tries):
            wait = max(policy.delay_ms(tries), policy.base_ms // 2)
            at = now + timedelta(milliseconds=wait)
            if await store.schedule_delivery_retry(notice, at, code, reason, sid=report.message_sid):
                return StatusOutcome("retry_scheduled", notice_id, QUEUED)
            continue
        if policy is not None:
            reason = f"{reason} (after {tries} tries)"
        if await store.change_notice(notice, status=new, error_code=code, error_message=reason, final_at=now):
            return StatusOutcome("applied", notice_id, new)
    return StatusOutcome("ignored")
