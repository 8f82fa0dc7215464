"""An in-memory fake of the SMS outbox's repository, :mod:`dividends.store.outbox` (issue 14,
item 2), so the dispatcher's and the receipts' rules can be tested without a database.

:class:`FakeOutbox` has every function of the store module with the same parameters
(``tests/dividends/test_fake_store.py`` checks the signatures and runs one dispatch on SQLite and
on the fake, comparing the answers). It keeps the store's rules the callers rely on:

- a claim is a conditional update: only ``queued`` notices due by ``now`` are claimed, they move
  to ``sending`` with ``tries + 1`` and ``next_try_at`` = the lease, so two claims never hand out
  the same notice;
- a lease expires: a ``sending`` notice without SID whose lease has passed is handed out again,
  by :meth:`FakeOutbox.claim_lookups`, for a look-up before any resend;
- :meth:`FakeOutbox.record` is all or nothing (a SID already on another notice rolls the batch
  back, then the outcomes are written one by one), and each record applies only to a notice
  still ``sending`` without SID (a ``Released`` one only while the lease is its own);
- a receipt's change applies only while the notice is as the receipt saw it.

``FakeOutbox().install(monkeypatch)`` puts the fake's functions in place of the store's.
"""
from __future__ import annotations

import copy
import itertools
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from dividends.outbox.fates import FAILED, OPTED_OUT, QUEUED, SENDING, SENT
from dividends.store.outbox import (
    Accepted,
    Failed,
    InDoubt,
    NoticeState,
    Outcome,
    Released,
    Retry,
    Scope,
    Work,
    lease_until,
)

#: The functions of dividends.store.outbox the fake stands in for.
OUTBOX_FAKED: tuple[str, ...] = (
    "claim_sends", "claim_lookups", "opted_out", "sid_recorded", "due", "waiting", "record", "notice_by_sid",
    "notice_by_id", "change_notice", "schedule_delivery_retry", "record_dispatch_event", "sent_without_receipt",
    "sent_today", "release_prepared", "progress",
)


@dataclass
class FakeNotice:
    """The columns of ``notice`` the outbox's store reads and writes."""

    id: int
    run_id: int
    household_id: str
    phone: str
    body: str
    kind: str = "publicity"
    attempt: int = 0
    lang: str = "zh"
    segments: int = 1
    status: str = QUEUED
    sid: str | None = None
    tries: int = 0
    error_code: int | None = None
    error_message: str = ""
    next_try_at: datetime | None = None
    send_started_at: datetime | None = None
    sent_at: datetime | None = None
    final_at: datetime | None = None
    provider: str = ""
    template: str = ""
    params: str = ""
    provider_code: str = ""


@dataclass
class OutboxTables:
    notices: dict[int, FakeNotice] = field(default_factory=dict)
    opt_outs: dict[str, tuple[bool, str]] = field(default_factory=dict)  # phone -> (opted out, source)
    audit: list[tuple[str, str, str, str, dict[str, Any]]] = field(default_factory=list)  # actor, action, type, id


def _in(scope: Scope, n: FakeNotice) -> bool:
    return all(getattr(n, column) == value for column, value in scope.filters().items())


def _due(n: FakeNotice, now: datetime) -> bool:
    return n.next_try_at is not None and n.next_try_at <= now


def _work(n: FakeNotice, lease: datetime, *, lookup: bool = False, since: datetime | None = None) -> Work:
    return Work(n.id, n.phone, n.body, n.tries, n.segments, lease, lookup, since, time.monotonic(), n.template or "",
                n.lang or "zh", n.params or "")


class FakeOutbox:
    """The fake ``notice`` and ``opt_out`` tables and the outbox store's functions over them."""

    def __init__(self) -> None:
        self.tables = OutboxTables()
        self._ids = itertools.count(1)
        self.records = 0  # record() batches committed whole
        self.rolled_back = 0

    # ----------------------------------------------------------------- setting up

    def add_notice(self, phone: str, body: str = "您的分红已到账", *, run_id: int = 1, household_id: str = "",
                   due: datetime | None = None, notice_id: int | None = None, **columns: Any) -> FakeNotice:
        """A ``queued`` notice, due from ``due`` (``None``: prepared, not released yet)."""
        i = notice_id if notice_id is not None else next(self._ids)
        notice = FakeNotice(i, run_id, household_id or f"H{i:04d}", phone, body, next_try_at=due, **columns)
        self.tables.notices[i] = notice
        return notice

    def opt_out(self, phone: str, source: str = "test") -> None:
        self.tables.opt_outs[phone] = (True, source)

    def notice(self, notice_id: int) -> FakeNotice:
        return self.tables.notices[notice_id]

    def statuses(self) -> dict[int, str]:
        return {i: n.status for i, n in sorted(self.tables.notices.items())}

    def install(self, monkeypatch: Any) -> FakeOutbox:
        from dividends.store import outbox

        for name in OUTBOX_FAKED:
            monkeypatch.setattr(outbox, name, getattr(self, name))
        return self

    def _rows(self, scope: Scope | None = None) -> list[FakeNotice]:
        return [n for _, n in sorted(self.tables.notices.items()) if scope is None or _in(scope, n)]

    # ----------------------------------------------------------------- claiming

    async def claim_sends(self, scope: Scope, now: datetime, lease: datetime, limit: int) -> list[Work]:
        out: list[Work] = []
        for n in self._rows(scope):
            if len(out) == limit:
                break
            if n.status == QUEUED and _due(n, now):
                n.status, n.tries, n.send_started_at, n.next_try_at, n.sid = SENDING, n.tries + 1, now, lease, None
                out.append(_work(n, lease))
        return out

    async def claim_lookups(self, scope: Scope, now: datetime, lease: datetime, limit: int) -> list[Work]:
        out: list[Work] = []
        for n in self._rows(scope):
            if len(out) == limit:
                break
            if n.status == SENDING and n.sid is None and _due(n, now):
                n.next_try_at = lease
                out.append(_work(n, lease, lookup=True, since=n.send_started_at or now))
        return out

    async def opted_out(self, phones: Iterable[str]) -> set[str]:
        return {p for p in set(phones) if self.tables.opt_outs.get(p, (False, ""))[0]}

    async def sid_recorded(self, sid: str) -> bool:
        return any(n.sid == sid for n in self.tables.notices.values())

    async def due(self, scope: Scope, now: datetime) -> int:
        return sum(1 for n in self._rows(scope) if _due(n, now)
                   and (n.status == QUEUED or (n.status == SENDING and n.sid is None)))

    async def waiting(self, scope: Scope) -> tuple[int, int, datetime | None]:
        queued = [n for n in self._rows(scope) if n.status == QUEUED]
        doubt = [n for n in self._rows(scope) if n.status == SENDING and n.sid is None]
        moments = [n.next_try_at for n in queued + doubt if n.next_try_at is not None]
        return len(queued), len(doubt), min(moments) if moments else None

    # ----------------------------------------------------------------- recording

    async def record(self, outcomes: Sequence[Outcome]) -> None:
        if not outcomes:
            return
        try:
            self._atomically(outcomes)
        except IntegrityError:
            for outcome in outcomes:
                try:
                    self._atomically([outcome])
                except IntegrityError:
                    pass  # the store logs it and leaves the notice for a look-up

    def _atomically(self, outcomes: Sequence[Outcome]) -> None:
        saved = copy.deepcopy(self.tables)
        try:
            self._write(outcomes)
        except BaseException:
            self.tables = saved
            self.rolled_back += 1
            raise
        self.records += 1

    def _pending(self, notice_id: int) -> FakeNotice | None:
        n = self.tables.notices.get(notice_id)
        return n if n is not None and n.status == SENDING and n.sid is None else None

    def _write(self, outcomes: Sequence[Outcome]) -> None:
        accepted: list[Accepted] = []
        failed: list[Failed] = []
        at: datetime | None = None
        for o in outcomes:
            if isinstance(o, Accepted):
                accepted.append(o)
            elif isinstance(o, Failed):
                failed.append(o)
                at = o.at
            elif (n := self._pending(o.id)) is None:
                continue
            elif isinstance(o, Retry):
                n.status, n.tries, n.next_try_at = QUEUED, o.tries, o.at
                n.error_code, n.error_message, n.provider_code = o.code, o.message, o.provider_code
            elif isinstance(o, InDoubt):
                n.tries, n.next_try_at = o.tries, o.at
                n.error_code, n.error_message, n.provider_code = o.code, o.message, o.provider_code
            elif isinstance(o, Released) and n.next_try_at == o.lease:
                n.status, n.tries, n.next_try_at = SENDING if o.lookup else QUEUED, o.tries, o.at
        taken = {n.sid: n.id for n in self.tables.notices.values() if n.sid is not None}
        with_sid: list[tuple[FakeNotice, Accepted]] = []
        for o in accepted:
            if taken.get(o.sid, o.id) != o.id:
                raise IntegrityError(f"UNIQUE constraint failed: notice.sid ({o.sid})")
            if (n := self._pending(o.id)) is not None:
                n.sid = o.sid
                taken[o.sid] = o.id
                with_sid.append((n, o))
        when: dict[tuple[Any, ...], datetime] = {}
        for _, o in with_sid:  # the store stamps each group of equal outcomes with the group's latest moment
            key = (o.status, o.final, o.code, o.message, o.tries, o.segments, o.provider_code)
            when[key] = max(when.get(key, o.at), o.at)
        for n, o in with_sid:
            moment = when[(o.status, o.final, o.code, o.message, o.tries, o.segments, o.provider_code)]
            n.status, n.tries, n.segments, n.sent_at = o.status, o.tries, o.segments, moment
            n.final_at, n.next_try_at = moment if o.final else None, None
            n.error_code, n.error_message, n.provider_code = o.code, o.message, o.provider_code
        for o in failed:
            if (n := self._pending(o.id)) is not None:
                n.status, n.tries, n.error_code, n.error_message = o.status, o.tries, o.code, o.message
                n.final_at, n.next_try_at, n.provider_code = at, None, o.provider_code
        for phone in sorted({o.phone for o in failed if o.status == OPTED_OUT and o.phone}):
            self.tables.opt_outs[phone] = (True, "provider:opted-out")

    # ----------------------------------------------------------------- receipts

    @staticmethod
    def _state(n: FakeNotice) -> NoticeState:
        return NoticeState(n.id, n.status, n.tries, n.run_id, n.sid)

    async def notice_by_sid(self, sid: str) -> NoticeState | None:
        found = [n for n in self.tables.notices.values() if n.sid == sid]
        return self._state(found[0]) if found else None

    async def notice_by_id(self, notice_id: int) -> NoticeState | None:
        n = self.tables.notices.get(notice_id)
        return self._state(n) if n is not None else None

    async def change_notice(self, state: NoticeState, **changes: Any) -> bool:
        n = self.tables.notices.get(state.id)
        if n is None or n.status != state.status or n.sid != state.sid:
            return False
        for column, value in changes.items():
            if not hasattr(n, column):
                raise AttributeError(f"notice has no column {column!r}")
            setattr(n, column, value)
        return True

    async def schedule_delivery_retry(self, state: NoticeState, at: datetime, code: int | None, reason: str, *,
                                      sid: str) -> bool:
        if not await self.change_notice(state, status=QUEUED, next_try_at=at, error_code=code, error_message=reason):
            return False
        self.tables.audit.append(("twilio", "notice.delivery_retry", "notice", str(state.id),
                                  {"run": state.run_id, "sid": sid, "code": code, "tries": state.tries,
                                   "next_try_at": at.isoformat()}))
        return True

    async def record_dispatch_event(self, actor: str, run_id: int | None, **detail: Any) -> None:
        self.tables.audit.append((actor, "notice.send", "run" if run_id is not None else "outbox",
                                  str(run_id) if run_id is not None else "all", dict(detail)))

    async def sent_without_receipt(self, provider: str, before: datetime, limit: int) -> list[
            tuple[int, str, int, datetime]]:
        rows = [n for n in self._rows() if n.provider == provider and n.status == SENT and n.sid is not None
                and n.sent_at is not None and n.sent_at <= before]
        rows.sort(key=lambda n: n.sent_at or before)
        return [(n.id, n.phone, n.tries, n.sent_at) for n in rows[:limit] if n.sent_at is not None]

    async def sent_today(self, phones: Iterable[str], template: str, since: datetime) -> dict[str, int]:
        wanted = set(phones)
        counts: dict[str, int] = defaultdict(int)
        for n in self.tables.notices.values():
            if n.phone in wanted and n.template == template and n.sid is not None and n.sent_at is not None \
                    and n.sent_at >= since:
                counts[n.phone] += 1
        return counts

    async def release_prepared(self, run_id: int, kinds: list[str] | None, now: datetime) -> int:
        released = 0
        for n in self._rows():
            if n.run_id == run_id and n.status == QUEUED and n.next_try_at is None and (not kinds or n.kind in kinds):
                n.next_try_at = now
                released += 1
        return released

    async def progress(self, run_id: int, kind: str | None = None) -> dict[str, int]:
        rows = [n for n in self._rows() if n.run_id == run_id and (kind is None or n.kind == kind)]
        counts: dict[str, int] = defaultdict(int)
        for n in rows:
            counts[n.status] += 1
        out = dict(counts)
        out["prepared"] = sum(1 for n in rows if n.status == QUEUED and n.next_try_at is None)
        return out


__all__ = ["FAILED", "OUTBOX_FAKED", "FakeNotice", "FakeOutbox", "lease_until"]
