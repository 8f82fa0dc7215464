"""The SMS worker: ``dividends notify worker`` runs this until SIGTERM.

It sends whatever the web app and ``dividends notify send`` queued, at the configured pace,
through :func:`dividends.outbox.dispatcher.dispatch` (claims committed before each send, look-ups
before any resend, scheduled retries when they fall due), and keeps quiet hours: no SMS starts
between ``SMS_QUIET_HOURS`` (default 21:00–08:00, China time); notices wait in the queue. Where
the provider does not push receipts (``SMS_RECEIPTS=pull``), it polls them: Tencent's
``PullSmsSendStatus`` and ``PullSmsReplyStatus`` queues, and for Aliyun a look-up
(``QuerySendDetails``) of each notice sent a while ago that has no receipt yet.

Stopping (SIGTERM, SIGINT, or ``stop`` set) is graceful: no new send starts, sends in flight
finish and are recorded, claimed notices not yet sent go back to the queue unchanged. A worker
killed outright (``kill -9``) leaves its in-flight notices ``sending`` without SID; after their
lease any worker looks them up before sending anything (the at-most-once promise).

Several workers may run at once on PostgreSQL (claims skip rows another worker holds); on SQLite
one is enough (the web app runs one inside itself when ``SMS_EMBEDDED_WORKER`` is on).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from dividends.clock import CHINA, Clock
from dividends.outbox.dispatcher import DispatchReport, correlation_key, dispatch
from dividends.outbox.inbound import answer_reply
from dividends.outbox.receipts import apply_receipt
from dividends.store import outbox as store
from notify.senders import Receipt, Sender, SendError
from notify.settings import SmsSettings, channel_of

log = logging.getLogger(__name__)

#: A sent notice without a receipt is looked up (Aliyun, pull mode) once it is this old.
LOOKUP_RECEIPT_AFTER = timedelta(minutes=2)
LOOKUP_BATCH = 200


def in_quiet_hours(moment: datetime, quiet: tuple[int, int] | None) -> bool:
    """Whether ``moment`` falls in the quiet hours (minutes after midnight, China time; the span
    may wrap midnight, as 21:00–08:00 does).

    >>> from datetime import datetime, timezone
    >>> at = lambda h, m: datetime(2026, 12, 1, h, m, tzinfo=CHINA)
    >>> [in_quiet_hours(at(h, m), (21 * 60, 8 * 60)) for h, m in ((20, 59), (21, 0), (3, 0), (8, 0))]
    [False, True, True, False]
    """
    if quiet is None:
        return False
    start, end = quiet
    local = moment.astimezone(CHINA)
    minutes = local.hour * 60 + local.minute
    return (start <= minutes or minutes < end) if start > end else (start <= minutes < end)


def quiet_ends(moment: datetime, quiet: tuple[int, int]) -> datetime:
    """The next end of the quiet hours after ``moment``."""
    local = moment.astimezone(CHINA)
    end = local.replace(hour=quiet[1] // 60, minute=quiet[1] % 60, second=0, microsecond=0)
    return end if end > local else end + timedelta(days=1)


def quiet_starts(moment: datetime, quiet: tuple[int, int]) -> datetime:
    local = moment.astimezone(CHINA)
    start = local.replace(hour=quiet[0] // 60, minute=quiet[0] % 60, second=0, microsecond=0)
    return start if start > local else start + timedelta(days=1)


@dataclass
class WorkerReport:
    cycles: int = 0
    sent: int = 0
    failed: int = 0
    recovered: int = 0
    receipts: int = 0
    replies: int = 0
    quiet_waits: int = 0
    stopped: str | None = None
    dispatches: list[DispatchReport] = field(default_factory=list)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), max(seconds, 0.0))


async def run_worker(sender: Sender, settings: SmsSettings, clock: Clock, *, stop: asyncio.Event,
                     concurrency: int | None = None, rate_per_second: float | None = None,
                     lease_seconds: float | None = None, poll_seconds: float = 10.0) -> WorkerReport:
    """Send, retry, look up and poll until ``stop`` is set (see the module docstring)."""
    report = WorkerReport()
    poller = asyncio.create_task(_poll(sender, settings, clock, stop, poll_seconds, report)) \
        if settings.receipt_mode == "pull" else None
    try:
        while not stop.is_set():
            now = clock.now()
            if in_quiet_hours(now, settings.quiet_hours):
                assert settings.quiet_hours is not None
                report.quiet_waits += 1
                await _wait(stop, min((quiet_ends(now, settings.quiet_hours) - now).total_seconds(), 60.0))
                continue
            cycle = asyncio.Event()
            watcher = asyncio.create_task(_until_quiet_or_stop(settings, clock, stop, cycle))
            try:
                result = await dispatch(sender, settings, clock, concurrency=concurrency,
                                        rate_per_second=rate_per_second, lease_seconds=lease_seconds,
                                        stop_when_idle=False, stop=cycle)
            finally:
                watcher.cancel()
            report.cycles += 1
            report.sent += result.sent
            report.failed += result.failed
            report.recovered += result.recovered
            report.dispatches.append(result)
            if result.stopped:
                report.stopped = result.stopped
                log.error("worker stopped: %s", result.stopped)
                return report
    finally:
        if poller is not None:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
    return report


async def _until_quiet_or_stop(settings: SmsSettings, clock: Clock, stop: asyncio.Event,
                               cycle: asyncio.Event) -> None:
    while not stop.is_set():
        if in_quiet_hours(clock.now(), settings.quiet_hours):
            break
        await _wait(stop, 1.0)
    cycle.set()


async def _poll(sender: Sender, settings: SmsSettings, clock: Clock, stop: asyncio.Event, seconds: float,
                report: WorkerReport) -> None:
    while not stop.is_set():
        try:
            await poll_once(sender, settings, clock, report)
        except SendError as exc:
            log.warning("receipt poll failed: %s", exc)
        except Exception:  # noqa: BLE001 - a poll that broke must not end the worker's sending
            log.exception("receipt poll failed")
        await _wait(stop, seconds)


async def poll_once(sender: Sender, settings: SmsSettings, clock: Clock, report: WorkerReport | None = None) -> int:
    """One round of receipt and reply polling; returns the receipts applied."""
    applied = 0
    while receipts := await sender.pull_receipts():
        for receipt in receipts:
            applied += (await apply_receipt(receipt, clock, wait_seconds=0.0)).result == "applied"
    replies = 0
    channel = channel_of(settings)
    while batch := await sender.pull_replies():
        for reply in batch:
            await answer_reply(reply, clock, channel, sender)
            replies += 1
    if settings.backend == "aliyun":
        applied += await _look_up_receipts(sender, clock)
    if report is not None:
        report.receipts += applied
        report.replies += replies
    return applied


async def _look_up_receipts(sender: Sender, clock: Clock) -> int:
    """Aliyun keeps receipts for ``QuerySendDetails``: ask for the notices still waiting."""
    before = clock.now().astimezone(UTC) - LOOKUP_RECEIPT_AFTER
    applied = 0
    for notice_id, phone, tries, sent_at in await store.sent_without_receipt("aliyun", before, LOOKUP_BATCH):
        key = correlation_key(notice_id, tries)
        found = await sender.find_existing(phone, sent_at, "", key=key)
        if found is None or found.status not in ("delivered", "failed", "undelivered"):
            continue
        receipt = Receipt("aliyun", "", key, phone, found.status, found.code)
        applied += (await apply_receipt(receipt, clock, wait_seconds=0.0)).result == "applied"
    return applied


__all__ = ["WorkerReport", "in_quiet_hours", "poll_once", "quiet_ends", "run_worker"]
