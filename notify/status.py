"""Message statuses from status callbacks: parsing, finality, and "never move backwards".

Twilio's lifecycle is (accepted | scheduled | queued) → sending → sent → delivered | undelivered
| failed (| canceled). Callbacks can arrive out of order; :func:`advances` says whether a
reported status may replace the one recorded.

>>> advances("sent", "delivered"), advances("delivered", "sent"), advances("failed", "delivered")
(True, False, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from notify.retry import DeliveryVerdict, classify_delivery_error

FINAL_STATUSES = frozenset({"delivered", "undelivered", "failed", "canceled"})
_RANK: dict[str, int] = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "receiving": 3,
    "received": 4,
    "read": 5,
    "delivered": 5,
    "undelivered": 5,
    "failed": 5,
    "canceled": 5,
}


def is_final(status: str) -> bool:
    return status in FINAL_STATUSES


def advances(recorded: str | None, reported: str) -> bool:
    """Whether ``reported`` may replace ``recorded``: later in the lifecycle, and never a change
    once a final status is recorded. An unknown reported status never advances."""
    if reported not in _RANK:
        return False
    if recorded is None:
        return True
    if recorded in FINAL_STATUSES:
        return False
    return _RANK[reported] > _RANK.get(recorded, -1)


@dataclass(frozen=True, slots=True)
class StatusReport:
    """One status callback, parsed. ``error_code`` only on undelivered/failed."""

    message_sid: str
    status: str
    error_code: int | None
    to: str
    account_sid: str

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def verdict(self) -> DeliveryVerdict | None:
        """For a failed delivery, whether to resend (``notify.retry``); else ``None``."""
        if self.status in ("undelivered", "failed"):
            return classify_delivery_error(self.error_code)
        return None


def parse_status_callback(form: Mapping[str, str]) -> StatusReport:
    """Read a status callback's form fields (validate its signature first).

    Raises ``ValueError`` when ``MessageSid`` or ``MessageStatus`` is missing. Unknown extra
    fields are ignored (Twilio adds fields without notice).
    """
    sid = form.get("MessageSid") or form.get("SmsSid")
    status = form.get("MessageStatus") or form.get("SmsStatus")
    if not sid or not status:
        raise ValueError("a status callback needs MessageSid and MessageStatus")
    raw_code = (form.get("ErrorCode") or "").strip()
    return StatusReport(
        message_sid=sid,
        status=status.lower(),
        error_code=int(raw_code) if raw_code.isascii() and raw_code.isdigit() else None,
        to=form.get("To", ""),
        account_sid=form.get("AccountSid", ""),
    )
