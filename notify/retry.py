"""Every retry number of the SMS channel, in one place.

Three situations (see SMS.md):

- **Create refused with 429 / 20429** (never processed, always safe): retry the same request with
  exponential backoff and full jitter, ``CREATE_THROTTLED``.
- **Create with an unknown outcome** (5xx, timeout, dropped connection after sending): the
  message may exist. Call ``Sender.find_existing`` first; resend only when nothing was found,
  at most ``CREATE_UNKNOWN.max_attempts`` times in all.
- **Delivery failed later** (status callback with an ``ErrorCode``): ``classify_delivery_error``
  says whether to resend, and ``delivery_retry_policy`` how often and how slowly.

Delays are integer milliseconds. ``max_attempts`` counts every send, the first one included.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

DeliveryVerdict = Literal["retry", "retry_slow", "permanent"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter: attempt ``n`` (1-based, the one that failed) waits a
    random time in ``[0, min(cap_ms, base_ms * 2**(n-1))]`` before attempt ``n + 1``; with
    ``jitter=False`` it waits the upper bound exactly.

    >>> RetryPolicy(max_attempts=4, base_ms=1_000, cap_ms=5_000, jitter=False).delay_ms(3)
    4000
    """

    max_attempts: int
    base_ms: int
    cap_ms: int
    jitter: bool = True

    def may_retry(self, attempts_made: int) -> bool:
        return attempts_made < self.max_attempts

    def delay_ms(self, attempts_made: int, rng: random.Random | None = None) -> int:
        if attempts_made < 1:
            raise ValueError("attempts_made counts sends already made and starts at 1")
        ceiling = min(self.cap_ms, self.base_ms << (attempts_made - 1))
        if not self.jitter:
            return ceiling
        return (rng or _RNG).randint(0, ceiling)


_RNG = random.Random()

SECOND = 1_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

#: HTTP 429 / 20429 at create: safe to repeat, the request was not processed.
CREATE_THROTTLED = RetryPolicy(max_attempts=8, base_ms=1 * SECOND, cap_ms=60 * SECOND)
#: 5xx / timeout at create: look the message up before each resend.
CREATE_UNKNOWN = RetryPolicy(max_attempts=3, base_ms=5 * SECOND, cap_ms=2 * MINUTE)
#: 30003 unreachable handset (rural coverage): a few tries spread over hours.
DELIVERY_UNREACHABLE = RetryPolicy(max_attempts=4, base_ms=30 * MINUTE, cap_ms=6 * HOUR)
#: 30001 queue overflow, 30036 validity period expired: later and slower.
DELIVERY_SLOW = RetryPolicy(max_attempts=3, base_ms=2 * HOUR, cap_ms=12 * HOUR)
#: 30008 unknown error: one more try.
DELIVERY_ONCE = RetryPolicy(max_attempts=2, base_ms=15 * MINUTE, cap_ms=15 * MINUTE)

_DELIVERY: dict[int, tuple[DeliveryVerdict, RetryPolicy]] = {
    30003: ("retry", DELIVERY_UNREACHABLE),
    30008: ("retry", DELIVERY_ONCE),
    30001: ("retry_slow", DELIVERY_SLOW),
    30036: ("retry_slow", DELIVERY_SLOW),
}


def classify_delivery_error(code: int | None) -> DeliveryVerdict:
    """What to do about a delivery ``ErrorCode`` from a status callback.

    30003 → ``"retry"`` (a few times), 30008 → ``"retry"`` (once), 30001/30036 →
    ``"retry_slow"``; 30006 (landline or unreachable carrier), 30007 (carrier filtering: fix the
    content or the registration) and every other or missing code → ``"permanent"``.
    """
    if code is None:
        return "permanent"
    entry = _DELIVERY.get(int(code))
    return entry[0] if entry else "permanent"


def delivery_retry_policy(code: int | None) -> RetryPolicy | None:
    """The resend policy for a delivery ``ErrorCode``, or ``None`` when it must not be resent."""
    if code is None:
        return None
    entry = _DELIVERY.get(int(code))
    return entry[1] if entry else None
