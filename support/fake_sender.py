"""``FakeSender``: an in-memory sender for unit tests, with scriptable failures.

>>> import asyncio
>>> fake = FakeSender()
>>> fake.fail_for("+8613800000001", FailPermanent(21211))
>>> asyncio.run(fake.send(OutgoingSms("+8613800138000", "hi"))).sid
'SM00000000000000000000000000000001'

Outcomes, scripted per recipient (:meth:`FakeSender.fail_for`, every time or ``times`` times)
or for the next calls whoever they go to (:meth:`FakeSender.fail_next`); a per-call script wins:

- :class:`FailPermanent` (a Twilio code, 21211 by default) → ``PermanentSendError``
- :class:`FailRetryable` → ``RetryableSendError`` (429 / 20429, optional retry hint)
- :class:`FailUnknown` → ``UnknownOutcomeError``; with ``created=True`` the message exists all
  the same and :meth:`FakeSender.find_existing` finds it.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from notify.segments import count_segments
from notify.senders import (
    PERMANENT_CODES,
    BaseSender,
    OutgoingSms,
    PermanentSendError,
    RetryableSendError,
    SendResult,
    UnknownOutcomeError,
    check_outgoing,
)


@dataclass(frozen=True, slots=True)
class FailPermanent:
    code: int = 21211


@dataclass(frozen=True, slots=True)
class FailRetryable:
    retry_after_ms: int | None = None


@dataclass(frozen=True, slots=True)
class FailUnknown:
    created: bool = False


Outcome = FailPermanent | FailRetryable | FailUnknown


@dataclass(frozen=True, slots=True)
class FakeMessage:
    sid: str
    sms: OutgoingSms
    created_at: datetime
    segments: int


class FakeSender(BaseSender):
    """Records every attempt in :attr:`attempts` and every message that exists in
    :attr:`messages`. SIDs are ``SM`` + a 32-digit counter, so tests can predict them."""

    def __init__(self, *, clock: Callable[[], datetime] | None = None) -> None:
        self.attempts: list[OutgoingSms] = []
        self.messages: list[FakeMessage] = []
        self.closed = False
        self._clock = clock or (lambda: datetime.now(UTC))
        self._next: deque[Outcome] = deque()
        self._per_recipient: dict[str, deque[Outcome] | Outcome] = {}
        self.find_calls = 0

    def fail_next(self, outcome: Outcome, times: int = 1) -> None:
        """The next ``times`` sends, to anyone, end with ``outcome``."""
        self._next.extend([outcome] * times)

    def fail_for(self, to: str, outcome: Outcome, times: int | None = None) -> None:
        """Sends to ``to`` end with ``outcome``: every time, or the next ``times`` times."""
        self._per_recipient[to] = outcome if times is None else deque([outcome] * times)

    def sent_to(self, to: str) -> list[FakeMessage]:
        return [m for m in self.messages if m.sms.to == to]

    def counts_by_recipient(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for m in self.messages:
            counts[m.sms.to] += 1
        return dict(counts)

    def _outcome(self, to: str) -> Outcome | None:
        if self._next:
            return self._next.popleft()
        scripted = self._per_recipient.get(to)
        if isinstance(scripted, deque):
            outcome = scripted.popleft() if scripted else None
            if not scripted:
                del self._per_recipient[to]
            return outcome
        return scripted

    def _create(self, sms: OutgoingSms) -> FakeMessage:
        message = FakeMessage(
            sid=f"SM{len(self.messages) + 1:032d}",
            sms=sms,
            created_at=self._clock(),
            segments=count_segments(sms.body).segments,
        )
        self.messages.append(message)
        return message

    async def send(self, sms: OutgoingSms) -> SendResult:
        if self.closed:
            raise RuntimeError("FakeSender is closed")
        self.attempts.append(sms)
        check_outgoing(sms)
        outcome = self._outcome(sms.to)
        if isinstance(outcome, FailPermanent):
            reason = PERMANENT_CODES.get(outcome.code, "refused")
            raise PermanentSendError(f"fake: {reason}", code=outcome.code, http_status=400)
        if isinstance(outcome, FailRetryable):
            raise RetryableSendError(
                "fake: too many requests", retry_after_ms=outcome.retry_after_ms
            )
        if isinstance(outcome, FailUnknown):
            if outcome.created:
                self._create(sms)
            raise UnknownOutcomeError("fake: no answer", http_status=500)
        message = self._create(sms)
        return SendResult(message.sid, "queued", message.segments)

    async def find_existing(
        self, to: str, since: datetime, body: str, *, key: str = ""
    ) -> SendResult | None:
        if since.tzinfo is None:
            raise ValueError("since must be timezone-aware")
        self.find_calls += 1
        for message in reversed(self.messages):
            if message.sms.to == to and message.sms.body == body and message.created_at >= since:
                return SendResult(message.sid, "queued", message.segments)
        return None

    async def aclose(self) -> None:
        self.closed = True
