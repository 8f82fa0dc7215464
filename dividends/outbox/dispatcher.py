"""The dispatcher: sends due notices concurrently at a set rate, and never sends one twice.

One call of :func:`dispatch` runs three kinds of task on the event loop:

- a **claimer** that claims due notices in batches (:func:`dividends.store.outbox.claim_sends`,
  committed before any request leaves) and notices whose outcome is in doubt
  (:func:`~dividends.store.outbox.claim_lookups`), skipping opted-out phones with a record;
- ``concurrency`` **workers** that send (each send waits for its slot: ``rate_per_second``
  sends start per second at most) or look a message up;
- a **recorder** that writes whatever finished since its last write in one transaction.

What a send ends in (retry numbers from :mod:`notify.retry`):

==========================  ==================================================================
the sender raised           the notice
==========================  ==================================================================
nothing                     ``sent`` with the SID
PermanentSendError          ``failed`` with Twilio's code and message; 21610 is ``opted_out``
                            and records an opt-out of the phone
RetryableSendError (429)    ``queued`` again after a backoff (``CREATE_THROTTLED``), ``failed``
                            once its tries are used up
UnknownOutcomeError         stays ``sending`` without SID: looked up after a short delay; found
                            → ``sent`` with that SID; not found → sent again (at most
                            ``CREATE_UNKNOWN.max_attempts`` tries in all, then ``failed``)
SenderConfigurationError    the whole dispatch stops with the message; the notice and every
                            claimed one not yet sent go back to ``queued`` unchanged
==========================  ==================================================================

Crash safety: a claim is on disk before its send, and outcomes are written after it, so a
dispatcher killed at any moment leaves notices ``sending`` without SID. Their claim's lease
(``next_try_at``) ends ``lease_seconds`` later (longer than a request may take); then any
dispatcher looks each one up (``Sender.find_existing(to, since=send_started_at, body)``) and
records the SID it finds, or sends it when the provider has no such message. A worker never
starts a send late in its lease, so a look-up never races a live send.

With ``stop_when_idle`` the call returns once nothing is due and nothing will be within
``idle_wait_seconds`` (real time); scheduled retries stay ``queued`` for a later call.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time

from dividends.clock import CHINA, Clock
from dividends.store import outbox as claims
from dividends.store.outbox import Accepted, Failed, InDoubt, Outcome, Released, Retry, Scope, Work
from dividends.outbox.fates import (
    FAILED,
    FINAL,
    OPTED_OUT,
    SENT,
    UNDELIVERED,
    check_kind,
    from_provider,
)
from notify.privacy import scrub
from notify.retry import CREATE_THROTTLED, CREATE_UNKNOWN
from notify.senders import (
    PERMANENT_CODES,
    OutgoingSms,
    PermanentSendError,
    RetryableSendError,
    Sender,
    SenderConfigurationError,
    SendError,
    UnknownOutcomeError,
)
from notify.settings import SmsSettings, channel_of

log = logging.getLogger(__name__)

#: Provider codes of a refusal that means the household unsubscribed (recorded as an opt-out).
OPTED_OUT_CODES = frozenset({"FailedOperation.PhoneNumberInBlacklist"})
#: The first look-up after an unknown outcome waits at least this long (the provider may still
#: be processing a request that timed out on our side).
LOOKUP_MIN_DELAY = timedelta(seconds=2)
#: Added to the request timeout to make the default lease.
LEASE_MARGIN_SECONDS = 45.0
MAX_BATCH = 2_000

Progress = Callable[[int, int], None]


@dataclass
class DispatchReport:
    """What one :func:`dispatch` did. ``sent`` counts messages the provider accepted from our
    sends (``resent`` of them after a look-up found nothing); ``recovered`` the in-doubt notices
    whose message a look-up found (not sent again)."""

    sent: int = 0
    resent: int = 0
    recovered: int = 0
    failed: int = 0
    opted_out: int = 0
    retry_scheduled: int = 0
    in_doubt: int = 0
    released: int = 0
    lookups: int = 0
    stopped: str | None = None
    elapsed_seconds: float = 0.0
    queued_after: int = 0
    in_doubt_after: int = 0
    held_for_tomorrow: int = 0
    next_due: datetime | None = None
    codes: dict[int, int] = field(default_factory=dict)

    @property
    def messages_per_second(self) -> float:
        return self.sent / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    @property
    def done(self) -> int:
        return self.sent + self.recovered + self.failed + self.opted_out


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("the clock must give timezone-aware datetimes")
    return moment.astimezone(UTC)


def default_concurrency(rate_per_second: float) -> int:
    """Enough requests in flight to keep the rate with about half a second per request."""
    return max(4, min(256, math.ceil(rate_per_second / 2)))


class _Pacer:
    """At most ``rate`` slots per second, handed out in order (bursts are caught up evenly)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next = time.monotonic()

    async def wait(self) -> None:
        now = time.monotonic()
        slot = max(now, self.next)
        self.next = slot + self.interval
        if slot - now > 0.0005:
            await asyncio.sleep(slot - now)


async def dispatch(
    sender: Sender,
    settings: SmsSettings,
    clock: Clock,
    *,
    run_id: int | None = None,
    kind: str | None = None,
    concurrency: int | None = None,
    rate_per_second: float | None = None,
    stop_when_idle: bool = True,
    idle_wait_seconds: float = 0.0,
    lease_seconds: float | None = None,
    batch_size: int | None = None,
    progress: Progress | None = None,
    stop: asyncio.Event | None = None,
) -> DispatchReport:
    """Send the due notices (of one run, and one kind, if given) and record every outcome.

    ``rate_per_second`` defaults to ``settings.rate_per_second``; ``concurrency`` to enough
    requests in flight for it. ``lease_seconds`` (default: request timeout + 45 s) is how long a
    claim stays a live dispatcher's before others look its notices up. ``progress(done, total)``
    is called after each write. Without ``stop_when_idle`` it polls until ``stop`` is set.
    """
    if kind is not None:
        check_kind(kind)
    rate = float(rate_per_second or settings.rate_per_second)
    if rate <= 0:
        raise ValueError("rate_per_second must be positive")
    workers = concurrency or default_concurrency(rate)
    if workers < 1:
        raise ValueError("concurrency must be at least 1")
    timeout = float(settings.timeout_seconds)
    lease = float(lease_seconds) if lease_seconds is not None else timeout + LEASE_MARGIN_SECONDS
    if lease < timeout + 2:
        raise ValueError(f"lease_seconds must exceed the request timeout ({timeout:g} s) by 2 s at least")
    batch = batch_size or max(2 * workers, min(MAX_BATCH, math.ceil(rate)))
    job = _Dispatch(sender, settings, clock, Scope(run_id, kind), workers, rate, stop_when_idle,
                    idle_wait_seconds, lease, lease - timeout - 1, batch, progress, stop)
    return await job.run()


class _Dispatch:
    def __init__(self, sender: Sender, settings: SmsSettings, clock: Clock, scope: Scope, workers: int, rate: float,
                 stop_when_idle: bool, idle_wait: float, lease: float, latest_start: float, batch: int,
                 progress: Progress | None, stop: asyncio.Event | None) -> None:
        self.sender = sender
        self.clock = clock
        self.scope = scope
        self.workers = workers
        self.stop_when_idle = stop_when_idle
        self.idle_wait = idle_wait
        self.lease = lease
        self.latest_start = latest_start
        self.batch = batch
        self.progress = progress
        self.stop_event = stop
        self.callback = settings.status_callback_url
        self.daily_limit = channel_of(settings).daily_limit
        self.pacer = _Pacer(rate)
        self.queue: asyncio.Queue[Work | None] = asyncio.Queue()
        self.room = asyncio.Event()
        self.have_outcomes = asyncio.Event()
        self.pending: list[Outcome] = []
        self.recording = False
        self.closing = False
        self.busy = 0
        self.report = DispatchReport()
        self.done = 0
        self.total = 0
        self.stop_reason: str | None = None
        self.recorder: asyncio.Task[None] | None = None

    def now(self) -> datetime:
        return utc(self.clock.now())

    # ------------------------------------------------------------------------- running

    async def run(self) -> DispatchReport:
        started = time.monotonic()
        self.total = await claims.due(self.scope, self.now())
        recorder = self.recorder = asyncio.create_task(self._recorder())
        workers = [asyncio.create_task(self._worker()) for _ in range(self.workers)]
        try:
            await self._claimer()
            for _ in workers:
                self.queue.put_nowait(None)
            await asyncio.gather(*workers)
        finally:
            for task in workers:  # cancelled or failed: requests in flight stay in doubt (looked up later)
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            while not self.queue.empty():
                work = self.queue.get_nowait()
                if work is not None:
                    self._release(work)
            self.closing = True
            self.have_outcomes.set()
            await asyncio.shield(recorder)
        self.report.stopped = self.stop_reason
        self.report.elapsed_seconds = time.monotonic() - started
        queued, doubt, first = await claims.waiting(self.scope)
        self.report.queued_after, self.report.in_doubt_after, self.report.next_due = queued, doubt, first
        return self.report

    def _stopping(self) -> bool:
        return self.stop_reason is not None or (self.stop_event is not None and self.stop_event.is_set())

    def _check_recorder(self) -> None:
        """A recorder that failed (the database went away) ends the dispatch with its error."""
        if self.recorder is not None and self.recorder.done():
            self.recorder.result()
            raise RuntimeError("the recorder stopped")

    async def _claimer(self) -> None:
        idle_since: float | None = None
        while not self._stopping():
            self._check_recorder()
            if self.queue.qsize() >= self.batch:
                self.room.clear()
                await self.room.wait()
                continue
            now = self.now()
            lease = claims.lease_until(now, self.lease)
            works = await claims.claim_lookups(self.scope, now, lease, self.batch)
            works += await claims.claim_sends(self.scope, now, lease, self.batch)
            if works:
                idle_since = None
                await self._enqueue(works, now)
                continue
            await self._quiesce()
            if self._stopping() or await claims.due(self.scope, self.now()):
                continue
            if not self.stop_when_idle:
                await self._sleep(1.0)
                continue
            idle_since = idle_since if idle_since is not None else time.monotonic()
            _, _, first = await claims.waiting(self.scope)
            left = self.idle_wait - (time.monotonic() - idle_since)
            if first is None or (first - self.now()).total_seconds() > left or left <= 0:
                return
            await self._sleep(min(max((first - self.now()).total_seconds(), 0.05), 1.0))

    async def _sleep(self, seconds: float) -> None:
        if self.stop_event is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop_event.wait(), seconds)

    async def _enqueue(self, works: list[Work], now: datetime) -> None:
        sends = [w.phone for w in works if not w.lookup]
        stopped = await claims.opted_out(sends) if sends else set()
        over = await self._over_daily_limit([w for w in works if not w.lookup and w.phone not in stopped], now)
        for work in works:
            if not work.lookup and work.phone in stopped:
                self._add(Failed(work.id, work.tries - 1, None, "opted out (STOP/退订) before sending", now, OPTED_OUT))
            elif work.id in over:
                self.report.held_for_tomorrow += 1
                self._add(Released(work.id, work.tries - 1, work.lease, next_morning(now), False))
            else:
                self.queue.put_nowait(work)

    async def _over_daily_limit(self, works: list[Work], now: datetime) -> set[int]:
        """Notices that would exceed the provider's daily limit of one number and template: they
        wait for tomorrow morning (China time) instead of being refused by the provider."""
        if self.daily_limit is None or not works:
            return set()
        midnight = datetime.combine(now.astimezone(CHINA).date(), dt_time(0), CHINA)
        over: set[int] = set()
        by_template: dict[str, list[Work]] = {}
        for work in works:
            by_template.setdefault(work.template, []).append(work)
        for template, group in by_template.items():
            counts = await claims.sent_today([w.phone for w in group], template, midnight)
            for work in group:
                if counts[work.phone] >= self.daily_limit:
                    over.add(work.id)
                else:
                    counts[work.phone] += 1
        return over

    async def _quiesce(self) -> None:
        """Wait until every claimed notice is handled and recorded."""
        while not (self.queue.empty() and self.busy == 0 and not self.pending and not self.recording):
            self._check_recorder()
            await asyncio.sleep(0.005)

    # ------------------------------------------------------------------------- workers

    async def _worker(self) -> None:
        while True:
            work = await self.queue.get()
            if self.queue.qsize() < self.batch:
                self.room.set()
            if work is None:
                return
            self.busy += 1
            try:
                if self._stopping():
                    self._release(work)
                elif work.lookup:
                    await self._lookup(work)
                else:
                    await self._send(work, work.tries)
            finally:
                self.busy -= 1

    def _release(self, work: Work, *, lookup: bool | None = None) -> None:
        lookup = work.lookup if lookup is None else lookup
        self._add(Released(work.id, work.tries if lookup else work.tries - 1, work.lease, self.now(), lookup))

    async def _send(self, work: Work, tries: int) -> None:
        """Send ``work`` as try number ``tries`` (a resend after a look-up has ``work.lookup``)."""
        if time.monotonic() - work.claimed_at > self.latest_start:
            self._release(work)  # too late in the lease: a look-up could start while we send
            return
        await self.pacer.wait()
        if self._stopping():
            self._release(work)
            return
        sms = OutgoingSms(to=work.phone, body=work.body, status_callback=self.callback,
                          reference=correlation_key(work.id, tries), attempt=tries, template=work.template,
                          lang=work.lang, params=json.loads(work.params) if work.params else None,
                          key=correlation_key(work.id, tries))
        try:
            result = await self.sender.send(sms)
        except SenderConfigurationError as exc:
            self._stop(exc)
            self._release(work)
        except PermanentSendError as exc:
            code = exc.provider_code or ""
            if exc.opted_out or code in OPTED_OUT_CODES:
                self._add(Failed(work.id, tries, exc.code, _describe(exc), self.now(), OPTED_OUT, phone=work.phone,
                                 provider_code=code))
            else:
                self._add(Failed(work.id, tries, exc.code, _describe(exc), self.now(), provider_code=code))
        except RetryableSendError as exc:
            if CREATE_THROTTLED.may_retry(tries):
                wait = max(CREATE_THROTTLED.delay_ms(tries), exc.retry_after_ms or 0)
                self._add(Retry(work.id, tries, self.now() + timedelta(milliseconds=wait), exc.code, _describe(exc),
                                exc.provider_code or ""))
            else:
                self._add(Failed(work.id, tries, exc.code, f"not accepted after {tries} tries: {_describe(exc)}",
                                 self.now(), provider_code=exc.provider_code or ""))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - UnknownOutcomeError, any other SendError, a bug: it may exist
            if not isinstance(exc, UnknownOutcomeError):
                log.warning("notice %s: send ended with %s; looking it up before any resend", work.id,
                            type(exc).__name__)
            code = exc.code if isinstance(exc, SendError) else None
            self._add(InDoubt(work.id, tries, self.now() + _lookup_delay(tries), code,
                              f"outcome unknown: {_describe(exc)}", _provider_code(exc)))
        else:
            self.report.sent += 1
            self.report.resent += work.lookup
            self._add(Accepted(work.id, result.sid, SENT, result.segments or work.segments, tries, self.now()))

    async def _lookup(self, work: Work) -> None:
        self.report.lookups += 1
        assert work.since is not None
        try:
            found = await self.sender.find_existing(work.phone, work.since, work.body,
                                                    key=correlation_key(work.id, work.tries))
        except SenderConfigurationError as exc:
            self._stop(exc)
            self._add(Released(work.id, work.tries, work.lease, self.now(), True))
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the look-up failed: the outcome stays unknown
            code = exc.code if isinstance(exc, SendError) else None
            self._add(InDoubt(work.id, work.tries, self.now() + _lookup_delay(max(work.tries, 1)), code,
                              f"look-up failed: {_describe(exc)}"))
            return
        if found is not None and await claims.sid_recorded(found.sid):
            found = None  # an earlier notice's message with the same text
        if found is not None:
            status = from_provider(found.status)
            self.report.recovered += 1
            note = f"found by a look-up as {found.status} (the provider gave no error code)" \
                if status in (FAILED, UNDELIVERED) else ""
            self._add(Accepted(work.id, found.sid, status, found.segments or work.segments, work.tries, self.now(),
                               final=status in FINAL, message=note, provider_code=found.code or ""))
        elif CREATE_UNKNOWN.may_retry(work.tries):
            await self._send(work, work.tries + 1)
        else:
            self._add(Failed(work.id, work.tries, None,
                             f"no answer from the SMS API for {work.tries} tries and no message found", self.now()))

    def _stop(self, exc: SendError) -> None:
        if self.stop_reason is None:
            self.stop_reason = _describe(exc)
            log.error("dispatch stopped: %s", self.stop_reason)
        self.room.set()

    # ------------------------------------------------------------------------- recording

    def _add(self, outcome: Outcome) -> None:
        self.pending.append(outcome)
        self.have_outcomes.set()

    async def _recorder(self) -> None:
        while True:
            await self.have_outcomes.wait()
            self.have_outcomes.clear()
            while self.pending:
                batch, self.pending = self.pending, []
                self.recording = True
                try:
                    await claims.record(batch)
                finally:
                    self.recording = False
                self._count(batch)
            if self.closing:
                return

    def _count(self, batch: list[Outcome]) -> None:
        r = self.report
        for o in batch:
            if isinstance(o, Failed):
                if o.status == OPTED_OUT:
                    r.opted_out += 1
                else:
                    r.failed += 1
                if o.code is not None:
                    r.codes[o.code] = r.codes.get(o.code, 0) + 1
            elif isinstance(o, Retry):
                r.retry_scheduled += 1
            elif isinstance(o, InDoubt):
                r.in_doubt += 1
            elif isinstance(o, Released):
                r.released += 1
        self.done += sum(1 for o in batch if isinstance(o, Accepted | Failed))
        if self.progress is not None:
            self.progress(self.done, max(self.total, self.done))


async def record_dispatch(run_id: int | None, kind: str | None, actor: str, report: DispatchReport) -> None:
    """The audit event of one dispatch: who sent, what it did, how it ended."""
    await claims.record_dispatch_event(
        actor, run_id, kind=kind, sent=report.sent, resent=report.resent, recovered=report.recovered,
        failed=report.failed, opted_out=report.opted_out, retry_scheduled=report.retry_scheduled,
        in_doubt=report.in_doubt_after, stopped=report.stopped, seconds=round(report.elapsed_seconds, 3))


def next_morning(now: datetime) -> datetime:
    """08:00 China time on the day after ``now`` (daily limits reset at midnight; quiet hours)."""
    day = now.astimezone(CHINA).date() + timedelta(days=1)
    return datetime.combine(day, dt_time(8, 0), CHINA).astimezone(UTC)


def correlation_key(notice_id: int, tries: int) -> str:
    """The key sent with try ``tries`` of a notice (Aliyun ``OutId``, Tencent ``SessionContext``),
    which receipts and look-ups carry back: ``notice-42-1``."""
    return f"notice-{notice_id}-{tries}"


def parse_key(key: str) -> tuple[int, int] | None:
    """``notice-42-1`` -> (42, 1); anything else -> ``None``."""
    m = re.fullmatch(r"notice-([0-9]+)-([0-9]+)", key)
    return (int(m[1]), int(m[2])) if m else None


def _provider_code(exc: BaseException) -> str:
    return (exc.provider_code or "") if isinstance(exc, SendError) else ""


def _lookup_delay(tries: int) -> timedelta:
    return max(LOOKUP_MIN_DELAY, timedelta(milliseconds=CREATE_UNKNOWN.delay_ms(max(tries, 1))))


def _describe(exc: BaseException) -> str:
    """A short, phone-free description: ``21211 invalid To number: Twilio answered 400: …``."""
    code = exc.code if isinstance(exc, SendError) else None
    text = scrub(str(exc)) or type(exc).__name__
    meaning = PERMANENT_CODES.get(code) if code is not None else None
    prefix = f"{code} {meaning}: " if meaning else (f"{code}: " if code is not None else "")
    if code is None and _provider_code(exc) and _provider_code(exc) not in text:
        prefix = f"{_provider_code(exc)}: "
    return (prefix + text)[:500]


__all__ = ["LOOKUP_MIN_DELAY", "DispatchReport", "correlation_key", "default_concurrency", "dispatch", "parse_key",
           "record_dispatch"]
