"""The outbox's store: claiming due notices, recording what became of them, receipts.

The only module of the outbox that touches the ORM or SQL (the services in
:mod:`dividends.outbox` call these functions and get plain records back).

**Claiming** is a conditional update, committed before any request leaves: a notice moves from
``queued`` (due: ``next_try_at <= now``) to ``sending`` with ``send_started_at = now``, ``tries``
counted and ``next_try_at`` set to the claim's *lease*, a moment a little in the future that
also identifies the claim. Two dispatchers never claim the same notice (the update only
matches rows still ``queued``; on PostgreSQL the second one waits for the first's row lock and
then finds the row changed).

A notice in ``sending`` with no ``sid`` is a send whose outcome is not recorded yet. Once its
lease has passed (the dispatcher that claimed it died, or scheduled a look-up after an unknown
outcome), :func:`claim_lookups` hands it to a dispatcher that must look the message up at the
provider *before* any resend.

**Recording** happens in batches (one transaction for whatever finished since the last one):
SQLite cannot commit a thousand times a second with ``synchronous=FULL``, and nothing is lost by
waiting: a claim is on disk before the send, so a crash between the send and its record leaves
a ``sending`` notice without SID, which the next dispatcher looks up. Every record is
conditional on the notice still being ``sending`` without a SID, so a status callback or another
dispatcher that got there first is never overwritten.

**Several workers** (on PostgreSQL, on several machines) claim disjoint notices: there the claim
is one ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING``, so a worker never
waits for rows another one is claiming and never gets them. SQLite has one writer at a time;
the conditional update is enough there.
"""
from __future__ import annotations

import logging
import random
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from tortoise.connection import get_connection

from dividends.outbox.fates import FAILED, OPTED_OUT, QUEUED, SENDING, SENT
from dividends.store import audit
from dividends.store.models import Notice, OptOut, Run
from dividends.store.transactions import IntegrityError, transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Scope:
    """Which notices a dispatcher handles: all, one run's, or one run's of one kind."""

    run_id: int | None = None
    kind: str | None = None

    def filters(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.run_id is not None:
            out["run_id"] = self.run_id
        if self.kind is not None:
            out["kind"] = self.kind
        return out


@dataclass(slots=True)
class Work:
    """A claimed notice. ``tries`` is the count stored with the claim (this send included for a
    send claim); ``lookup``: look the message up before any send; ``since``: when the send whose
    outcome is unknown started."""

    id: int
    phone: str
    body: str
    tries: int
    segments: int
    lease: datetime
    lookup: bool = False
    since: datetime | None = None
    claimed_at: float = 0.0
    template: str = ""
    lang: str = "zh"
    params: str = ""
    """The template's parameter values, JSON (empty for a free-text notice)."""


# ----------------------------------------------------------------------------- outcomes


@dataclass(frozen=True, slots=True)
class Accepted:
    """The provider holds the message: ``status`` is ours (``sent``, or a final one a look-up saw)."""

    id: int
    sid: str
    status: str
    segments: int
    tries: int
    at: datetime
    final: bool = False
    code: int | None = None
    message: str = ""
    provider_code: str = ""


@dataclass(frozen=True, slots=True)
class _Later:
    id: int
    tries: int
    at: datetime
    code: int | None
    message: str
    provider_code: str = ""


@dataclass(frozen=True, slots=True)
class Retry(_Later):
    """Not processed (429, no connection): send again from ``at``."""


@dataclass(frozen=True, slots=True)
class Failed:
    """A final status without a message at the provider (or a permanent refusal)."""

    id: int
    tries: int
    code: int | None
    message: str
    at: datetime
    status: str = FAILED
    phone: str = ""  # set with status opted_out and code 21610: record the opt-out too
    provider_code: str = ""


@dataclass(frozen=True, slots=True)
class InDoubt(_Later):
    """The outcome is unknown: look the message up from ``at`` on, before any resend."""


@dataclass(frozen=True, slots=True)
class Released:
    """Claimed but not sent (the dispatch stopped): due again from ``at``, tries as before."""

    id: int
    tries: int
    lease: datetime
    at: datetime
    lookup: bool


Outcome = Accepted | Retry | Failed | InDoubt | Released


# ----------------------------------------------------------------------------- claiming


def lease_until(now: datetime, seconds: float) -> datetime:
    """A lease that also identifies one claim (random microseconds make two claims differ)."""
    return now + timedelta(seconds=seconds, microseconds=_RNG.randrange(1, 1_000_000))


_RNG = random.Random()  # its own generator: the global one belongs to whoever seeds it (Hypothesis)


_WORK_COLUMNS = ("id", "phone", "body", "tries", "segments", "template", "lang", "params")


async def claim_sends(scope: Scope, now: datetime, lease: datetime, limit: int) -> list[Work]:
    """Claim up to ``limit`` due ``queued`` notices, oldest first."""
    if get_connection("default").capabilities.dialect == "postgres":
        return await _claim_skip_locked(scope, now, lease, limit)
    rows = await Notice.filter(**scope.filters(), status=QUEUED, next_try_at__lte=now).order_by("id") \
        .limit(limit).values_list(*_WORK_COLUMNS)
    if not rows:
        return []
    by_tries: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        by_tries[row[3]].append(row)
    claimed_at = time.monotonic()
    out: list[Work] = []
    for tries, group in by_tries.items():
        ids = [r[0] for r in group]
        n = await Notice.filter(id__in=ids, status=QUEUED, tries=tries, next_try_at__lte=now).update(
            status=SENDING, tries=tries + 1, send_started_at=now, next_try_at=lease, sid=None)
        if n == 0:
            continue
        mine = set(ids) if n == len(ids) else set(await Notice.filter(
            id__in=ids, status=SENDING, next_try_at=lease).values_list("id", flat=True))
        out.extend(_work(row, lease, claimed_at, tries=row[3] + 1) for row in group if row[0] in mine)
    out.sort(key=lambda w: w.id)
    return out


def _work(row: tuple[Any, ...] | dict[str, Any], lease: datetime, claimed_at: float, *, tries: int | None = None,
          lookup: bool = False, since: datetime | None = None) -> Work:
    values = tuple(row[c] for c in _WORK_COLUMNS) if isinstance(row, dict) else tuple(row)
    i, phone, body, stored_tries, segments, template, lang, params = values[:8]
    return Work(i, phone, body, stored_tries if tries is None else tries, segments, lease, lookup, since, claimed_at,
                template or "", lang or "zh", params or "")


async def _claim_skip_locked(scope: Scope, now: datetime, lease: datetime, limit: int) -> list[Work]:
    """PostgreSQL: claim with ``FOR UPDATE SKIP LOCKED`` (rows another worker is claiming are
    skipped, not waited for) in one statement."""
    where, values = _scope_sql(scope, [now, lease, limit])
    rows = await get_connection("default").execute_query_dict(
        f"""UPDATE notice SET status = 'sending', tries = tries + 1, send_started_at = $1, next_try_at = $2,
                   sid = NULL
            WHERE id IN (SELECT id FROM notice WHERE status = 'queued' AND next_try_at <= $1 {where}
                         ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
            RETURNING {", ".join(_WORK_COLUMNS)}""", values)
    claimed_at = time.monotonic()
    return sorted((_work(r, lease, claimed_at) for r in rows), key=lambda w: w.id)


def _scope_sql(scope: Scope, values: list[Any]) -> tuple[str, list[Any]]:
    where = ""
    for column, value in scope.filters().items():
        values.append(value)
        where += f" AND {column} = ${len(values)}"
    return where, values


async def claim_lookups(scope: Scope, now: datetime, lease: datetime, limit: int) -> list[Work]:
    """Claim ``sending`` notices without SID whose lease has passed: look them up first."""
    if get_connection("default").capabilities.dialect == "postgres":
        where, values = _scope_sql(scope, [now, lease, limit])
        rows = await get_connection("default").execute_query_dict(
            f"""UPDATE notice SET next_try_at = $2
                WHERE id IN (SELECT id FROM notice WHERE status = 'sending' AND sid IS NULL AND next_try_at <= $1
                             {where} ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
                RETURNING {", ".join(_WORK_COLUMNS)}, send_started_at""", values)
        claimed_at = time.monotonic()
        return sorted((_work(r, lease, claimed_at, lookup=True, since=r["send_started_at"] or now) for r in rows),
                      key=lambda w: w.id)
    rows = await Notice.filter(**scope.filters(), status=SENDING, sid__isnull=True, next_try_at__lte=now) \
        .order_by("id").limit(limit).values_list(*_WORK_COLUMNS, "send_started_at")
    out: list[Work] = []
    for row in rows:
        n = await Notice.filter(id=row[0], status=SENDING, sid__isnull=True, next_try_at__lte=now) \
            .update(next_try_at=lease)
        if n:
            out.append(_work(row, lease, time.monotonic(), lookup=True, since=row[8] or now))
    return out


async def opted_out(phones: Iterable[str]) -> set[str]:
    wanted = sorted(set(phones))
    found: set[str] = set()
    for start in range(0, len(wanted), 5_000):
        found.update(cast(list[str], await OptOut.filter(phone__in=wanted[start:start + 5_000], opted_out=True)
                                .values_list("phone", flat=True)))
    return found


async def sid_recorded(sid: str) -> bool:
    return await Notice.filter(sid=sid).exists()


async def due(scope: Scope, now: datetime) -> int:
    """Notices a dispatcher could take now: queued and due, or in doubt and due for a look-up."""
    base = Notice.filter(**scope.filters(), next_try_at__lte=now)
    return (await base.filter(status=QUEUED).count()
            + await base.filter(status=SENDING, sid__isnull=True).count())


async def waiting(scope: Scope) -> tuple[int, int, datetime | None]:
    """(queued notices, notices in doubt, the earliest moment one of them is due)."""
    base = Notice.filter(**scope.filters())
    queued = base.filter(status=QUEUED)
    doubt = base.filter(status=SENDING, sid__isnull=True)
    moments = [cast(datetime, m) for q in (queued, doubt)
               for m in await q.order_by("next_try_at").limit(1).values_list("next_try_at", flat=True) if m]
    return await queued.count(), await doubt.count(), min(moments) if moments else None


# ----------------------------------------------------------------------------- recording


async def record(outcomes: Sequence[Outcome]) -> None:
    """Write ``outcomes`` in one transaction (one by one if a SID turns out to be taken)."""
    if not outcomes:
        return
    try:
        async with transaction():
            await _write(outcomes)
    except IntegrityError:
        for outcome in outcomes:
            try:
                async with transaction():
                    await _write([outcome])
            except IntegrityError:
                log.warning("notice %s: SID already recorded on another notice; left for a look-up", outcome.id)


async def _write(outcomes: Sequence[Outcome]) -> None:
    accepted: dict[tuple[str, bool, int | None, str, int, int, str], list[Accepted]] = defaultdict(list)
    failed: dict[tuple[str, int, int | None, str, str], list[int]] = defaultdict(list)
    opt_outs: set[str] = set()
    at: datetime | None = None
    for o in outcomes:
        if isinstance(o, Accepted):
            accepted[(o.status, o.final, o.code, o.message, o.tries, o.segments, o.provider_code)].append(o)
        elif isinstance(o, Failed):
            failed[(o.status, o.tries, o.code, o.message, o.provider_code)].append(o.id)
            at = o.at
            if o.status == OPTED_OUT and o.phone:
                opt_outs.add(o.phone)
        elif isinstance(o, Retry):
            await _pending(o.id).update(status=QUEUED, tries=o.tries, next_try_at=o.at, error_code=o.code,
                                        error_message=o.message, provider_code=o.provider_code)
        elif isinstance(o, InDoubt):
            await _pending(o.id).update(tries=o.tries, next_try_at=o.at, error_code=o.code, error_message=o.message,
                                        provider_code=o.provider_code)
        elif isinstance(o, Released):
            await _pending(o.id).filter(next_try_at=o.lease).update(
                status=SENDING if o.lookup else QUEUED, tries=o.tries, next_try_at=o.at)
    if accepted:
        # the SIDs first (one statement per 500 rows), then what the rows of each group share
        rows = [_sid_row(o.id, o.sid) for group in accepted.values() for o in group]
        await Notice.filter(status=SENDING, sid__isnull=True).bulk_update(rows, ["sid"], batch_size=500)
        for (status, final, code, message, tries, segments, provider_code), group in accepted.items():
            when = max(o.at for o in group)
            await Notice.filter(id__in=[o.id for o in group], status=SENDING, sid__isnull=False).update(
                status=status, tries=tries, segments=segments, sent_at=when, final_at=when if final else None,
                next_try_at=None, error_code=code, error_message=message, provider_code=provider_code)
    for (status, tries, code, message, provider_code), ids in failed.items():
        await Notice.filter(id__in=ids, status=SENDING, sid__isnull=True).update(
            status=status, tries=tries, error_code=code, error_message=message, final_at=at, next_try_at=None,
            provider_code=provider_code)
    for phone in sorted(opt_outs):
        await OptOut.update_or_create(phone=phone, defaults={"opted_out": True, "source": "provider:opted-out"})


def _pending(notice_id: int) -> Any:
    return Notice.filter(id=notice_id, status=SENDING, sid__isnull=True)


def _sid_row(notice_id: int, sid: str) -> Notice:
    """A bare row carrying the two values ``bulk_update`` reads (building a full model costs more
    than the update itself at a thousand rows a second)."""
    row = Notice.__new__(Notice)
    object.__setattr__(row, "id", notice_id)
    object.__setattr__(row, "sid", sid)
    return row


__all__ = [
    "SENT",
    "Accepted",
    "Failed",
    "InDoubt",
    "Outcome",
    "Released",
    "Retry",
    "Scope",
    "Work",
    "claim_lookups",
    "claim_sends",
    "due",
    "lease_until",
    "opted_out",
    "record",
    "sid_recorded",
    "waiting",
]


# ----------------------------------------------------------------------------- receipts


@dataclass(frozen=True, slots=True)
class NoticeState:
    """What a receipt needs to know of a notice."""

    id: int
    status: str
    tries: int
    run_id: int
    sid: str | None


async def notice_by_sid(sid: str) -> NoticeState | None:
    rows = await Notice.filter(sid=sid).values_list("id", "status", "tries", "run_id", "sid")
    return NoticeState(*rows[0]) if rows else None


async def notice_by_id(notice_id: int) -> NoticeState | None:
    rows = await Notice.filter(id=notice_id).values_list("id", "status", "tries", "run_id", "sid")
    return NoticeState(*rows[0]) if rows else None


async def change_notice(state: NoticeState, **changes: Any) -> bool:
    """Apply ``changes`` if the notice is still as ``state`` saw it (status and SID)."""
    query = Notice.filter(id=state.id, status=state.status)
    query = query.filter(sid__isnull=True) if state.sid is None else query.filter(sid=state.sid)
    return bool(await query.update(**changes))


async def schedule_delivery_retry(state: NoticeState, at: datetime, code: int | None, reason: str, *,
                                  sid: str) -> bool:
    """Queue a notice again after a retryable delivery failure, with the audit event that keeps
    the failed message's SID; ``False`` when the notice changed meanwhile."""
    async with transaction():
        if not await change_notice(state, status=QUEUED, next_try_at=at, error_code=code, error_message=reason):
            return False
        await audit.record("twilio", "notice.delivery_retry", "notice", state.id, run=state.run_id, sid=sid,
                           code=code, tries=state.tries, next_try_at=at.isoformat())
    return True


async def record_dispatch_event(actor: str, run_id: int | None, **detail: Any) -> None:
    """The audit event of one dispatch."""
    run = await Run.get_or_none(id=run_id).prefetch_related("village") if run_id is not None else None
    async with transaction():
        await audit.record(actor, "notice.send", "run" if run_id is not None else "outbox",
                           run_id if run_id is not None else "all", village=run.village if run else None, **detail)


async def sent_without_receipt(provider: str, before: datetime, limit: int) -> list[tuple[int, str, int, datetime]]:
    """(id, phone, tries, sent at) of ``sent`` notices of ``provider`` still waiting for a receipt,
    sent before ``before`` (the worker polls these where receipts are not pushed)."""
    rows = await Notice.filter(provider=provider, status=SENT, sid__isnull=False, sent_at__lte=before) \
        .order_by("sent_at").limit(limit).values_list("id", "phone", "tries", "sent_at")
    return [(i, p, t, cast(datetime, s)) for i, p, t, s in rows]


async def sent_today(phones: Iterable[str], template: str, since: datetime) -> dict[str, int]:
    """Messages of ``template`` that reached the provider for each phone since ``since`` (the
    daily per-number limits). ``since`` is compared in UTC: SQLite compares the stored text, so a
    China-time midnight (``…+08:00``) would miss what was sent between 00:00 and 08:00 there."""
    wanted = sorted(set(phones))
    since = since.astimezone(UTC)
    counts: dict[str, int] = defaultdict(int)
    for start in range(0, len(wanted), 5_000):
        for phone in await Notice.filter(phone__in=wanted[start:start + 5_000], template=template,
                                         sid__isnull=False, sent_at__gte=since).values_list("phone", flat=True):
            counts[phone] += 1
    return counts


async def release_prepared(run_id: int, kinds: list[str] | None, now: datetime) -> int:
    """Make a run's prepared ``queued`` notices (no ``next_try_at`` yet) due now."""
    query = Notice.filter(run_id=run_id, status=QUEUED, next_try_at__isnull=True)
    if kinds:
        query = query.filter(kind__in=kinds)
    return int(await query.update(next_try_at=now))


async def progress(run_id: int, kind: str | None = None) -> dict[str, int]:
    """Notices of a run by status (and ``prepared``: queued, not released yet)."""
    query = Notice.filter(run_id=run_id)
    if kind is not None:
        query = query.filter(kind=kind)
    counts: dict[str, int] = {}
    for status in await query.group_by("status").values_list("status", flat=True):
        counts[str(status)] = await query.filter(status=status).count()
    counts["prepared"] = await query.filter(status=QUEUED, next_try_at__isnull=True).count()
    return counts
