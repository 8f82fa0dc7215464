"""Was this household told? The delivery report of a run, and resending failed notices.

A household's notice of one kind may have several *attempts*: attempt 0 from ``prepare``, and
one more for each explicit resend (:func:`resend_failed`, audited). The report counts each
household's latest attempt (older ones are ``superseded``) and lists every latest attempt that
failed or was not delivered, with the provider's code and the reason.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from dividends.clock import Clock, SystemClock
from dividends.outbox.fates import FATES, KINDS, OPTED_OUT, QUEUED, RESENDABLE, check_kind
from dividends.outbox.messages import refuse
from dividends.outbox.prepare import duplicate
from dividends.runs import get_run
from dividends.store import notices as store
from notify.privacy import mask_phone
from notify.segments import estimate_cost_fen
from notify.settings import DEFAULT_PRICE_PER_SEGMENT_FEN

FAILED_LIST_LIMIT = 1_000


@dataclass(frozen=True)
class FailedNotice:
    notice_id: int
    household_id: str
    kind: str
    attempt: int
    phone: str
    """Masked: ``+86 138****8000``."""
    status: str
    code: int | None
    reason: str
    tries: int
    provider_code: str = ""
    """The provider's own code (Aliyun ``MK:0001``, Tencent ``MI:0045``), when it gave one."""


@dataclass(frozen=True)
class DeliveryReport:
    run_id: int
    counts: dict[str, dict[str, int]]
    """kind -> status -> households (latest attempt), every status listed."""
    superseded: int
    segments_sent: int
    """Segments of the messages the notices hold now (one per notice that reached the provider;
    earlier messages of automatic delivery retries are in the audit log)."""
    cost_fen: int
    failed_count: int
    failed: tuple[FailedNotice, ...]

    def total(self, status: str | None = None) -> int:
        return sum(n for by_status in self.counts.values() for s, n in by_status.items() if status in (None, s))

    @property
    def notices(self) -> int:
        return self.total()


async def report(run_id: int, *, price_per_segment_fen: int = DEFAULT_PRICE_PER_SEGMENT_FEN,
                 limit: int = FAILED_LIST_LIMIT) -> DeliveryReport:
    """Counts by kind and status, segments and cost, and the failed list (up to ``limit``)."""
    run = await get_run(run_id)
    counts: dict[str, dict[str, int]] = {}
    for kind, status, n in await store.counts(run.id):
        counts.setdefault(kind, dict.fromkeys(FATES, 0))[status] = n
    counts = {k: counts[k] for k in sorted(counts, key=lambda k: KINDS.index(k) if k in KINDS else len(KINDS))}
    latest = await store.latest_attempts(run.id)
    superseded = 0
    old_failed = 0
    if latest:
        for hid, kind, attempt, status in await store.attempt_rows(run.id, sorted({h for h, _ in latest})):
            if attempt < latest.get((hid, kind), 0):
                superseded += 1
                counts[kind][status] -= 1
                old_failed += status in RESENDABLE
    segments = await store.segments_sent(run.id)
    total_failed, failed_rows = await store.failed(run.id, sorted(RESENDABLE), limit + old_failed)
    failed_count = total_failed - old_failed
    listed: list[FailedNotice] = []
    for nid, hid, kind, attempt, phone, status, code, reason, tries, provider_code in failed_rows:
        if attempt < latest.get((hid, kind), 0) or len(listed) >= limit:
            continue
        listed.append(FailedNotice(nid, hid, kind, attempt, mask_phone(phone) if phone else "", status, code, reason,
                                   tries, provider_code or ""))
    return DeliveryReport(run.id, counts, superseded, segments, estimate_cost_fen(segments, price_per_segment_fen),
                          failed_count, tuple(listed))


@dataclass(frozen=True)
class ResendReport:
    run_id: int
    kind: str
    queued: int
    opted_out: int
    households: tuple[str, ...]


async def resend_failed(run_id: int, kind: str, actor: str, clock: Clock = SystemClock()) -> ResendReport:
    """Queue the next attempt of every ``failed``/``undelivered`` latest notice of ``kind`` (with
    the same text and phone; opted-out phones are recorded ``opted_out``). An explicit action,
    audited; notices that never had a text or a phone stay as they are."""
    kind = check_kind(kind)
    run = await get_run(run_id)
    latest = await store.latest_attempts(run.id, kind)
    rows = await store.resendable(run.id, kind, sorted(RESENDABLE))
    todo = [r for r in rows if r[1] >= latest.get((r[0], kind), 0)]
    if not todo:
        return ResendReport(run.id, kind, 0, 0, ())
    stopped = await store.opted_out(r[2] for r in todo)
    now = clock.now().astimezone(UTC)
    values = []
    for hid, attempt, phone, lang, body, encoding, segments, provider, template, params in todo:
        status = OPTED_OUT if phone in stopped else QUEUED
        values.append((run.id, hid, kind, attempt + 1, phone, lang, body, encoding, segments, status, 0, None,
                       "opted out before the resend" if status == OPTED_OUT else "", now, now,
                       None if status == QUEUED else now, provider, template, params))
    households = tuple(r[0] for r in todo)
    try:
        await store.resend(values, actor, run, kind=kind, count=len(values),
                           households=list(households[:FAILED_LIST_LIMIT]),
                           truncated=len(households) > FAILED_LIST_LIMIT)
    except Exception as exc:
        if duplicate(exc):  # someone else resent them at the same moment: nothing was written here
            raise refuse("outbox.resend_concurrent", run=run.id, kind=kind) from None
        raise
    queued = sum(1 for v in values if v[9] == QUEUED)
    return ResendReport(run.id, kind, queued, len(values) - queued, households)


__all__ = ["DeliveryReport", "FailedNotice", "ResendReport", "report", "resend_failed"]
