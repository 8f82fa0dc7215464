"""In-memory fakes of the repositories dividends/payouts.py asks (issue 14, item 2): the run, payout,
cash, payee, audit, file, ledger and recovery repositories of ``dividends/store/`` and its
``transaction()``, so the rules of paying a run (batches, bank results, retries, closing, cash)
can be tested without a database.

Each fake repository has the same functions, with the same parameters, as the store module it
stands for (``tests/dividends/test_fake_store.py`` checks the signatures, and runs the same
scenarios against SQLite and the fake so the fake cannot drift). The fake keeps the store's
own rules that the use cases rely on: a transaction is all or nothing, ``move_state`` and
``mark_items`` are conditional updates, a household is marked paid once per run (``paid_key``),
a ledger reference is posted once, the same bytes are one stored file.

``FakeStore.install(monkeypatch)`` puts the fakes in place of the store's functions (also where
a product module imported a function by name); nothing of the database is reached then.
"""
from __future__ import annotations

import contextlib
import copy
import io
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
import pytest
from tortoise.exceptions import DoesNotExist, IntegrityError

from dividends import ledger
from dividends.actors import Place
from dividends.hashing import sha256_bytes
from dividends.store.approvals import ApprovalFacts
from dividends.store.facts import MAX_ID
from dividends.store.records import ObjectionFacts, RunFacts


# ------------------------------------------------------------------------------- rows


@dataclass
class Village:
    id: int
    code: str
    name: str
    county_id: int | None = 1
    township_id: int | None = None
    county_code: str | None = "default"


@dataclass
class Scheme:
    title: str
    text: str = ""
    scheme_id: str = ""
    version: int = 1
    id: int = 0
    sha256: str = ""
    effective: date | None = None
    created_by: str = ""


@dataclass
class Snapshot:
    id: int
    households_file: str
    village_id: int = 0
    period: int = 2024
    version: int = 1
    members_file: str | None = None
    posts_file: str | None = None
    events_file: str | None = None
    format: str = "csv-v1"
    frames: dict[str, str] | None = None
    facts: dict[str, Any] | None = None


@dataclass
class AssetReturn:
    id: int
    asset: str = "asset"
    amount_fen: int = 0
    village_id: int = 0
    period: int = 2024
    created_by: str = ""
    note: str = ""


@dataclass
class Run:
    id: int
    state: str
    village: Village
    scheme: Scheme
    snapshot: Snapshot
    period: int = 2024
    kind: str = "regular"
    replaces_id: int | None = None
    paid_at: datetime | None = None
    closed_at: datetime | None = None
    prepared_by: str = "acc"
    approved_by: str | None = None
    pool_fen: int = 0
    asset_return: AssetReturn | None = None
    asset_return_id: int = 0
    reverses_id: int | None = None
    content_hash: str | None = None
    manifest: dict[str, Any] | None = None
    lines: int = 0
    brought_forward: dict[str, Any] | None = None
    correction_needed: str = ""
    deductions_file: str | None = None
    earlier_paid: dict[str, Any] | None = None
    recoveries: list[Any] | None = None
    notice_start: date | None = None
    notice_end: date | None = None
    created_at: datetime = datetime(2025, 1, 1, tzinfo=UTC)
    computed_at: datetime | None = None
    publicized_at: datetime | None = None
    approved_at: datetime | None = None


@dataclass
class Objection:
    """An objection row; ``run`` is the run as the store's ``objection_by_id`` prefetches it."""

    id: int
    run_id: int
    household_id: str
    text: str
    channel: str
    recorded_by: str
    message_sid: str | None = None
    status: str = "open"
    resolution: str = ""
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    run: Run | None = field(default=None, repr=False, compare=False)
    _fake: Any = field(default=None, repr=False, compare=False)

    async def refresh_from_db(self) -> None:
        """The ORM row's method the use case calls after resolving: the stored values again."""
        stored = next(o for o in self._fake.tables.objections if o.id == self.id)
        for name in ("status", "resolution", "resolved_by", "resolved_at", "text"):
            setattr(self, name, getattr(stored, name))


@dataclass
class Decision:
    id: int
    run_id: int
    kind: str  # review | return
    content_hash: str
    decided_by: str
    decided_at: datetime
    township_id: int | None = None
    filing_number: str = ""
    text: str = ""


@dataclass
class Debt:
    id: int
    village_id: int
    run_id: int
    household_id: str
    kind: str  # deduction | overpayment
    creditor: str
    reason: str
    amount_fen: int


@dataclass
class Batch:
    id: int
    run_id: int
    number: int
    bank_format: str
    csv_file: str
    xlsx_file: str
    items: int
    total_fen: int
    created_by: str


@dataclass
class Item:
    id: int
    batch_id: int | None
    run_id: int
    household_id: str
    amount_fen: int
    status: str
    paid_key: str | None = None


@dataclass
class ResultImport:
    id: int
    batch_id: int
    file: str
    imported_by: str
    paid: int
    failed: int


@dataclass
class CashPayment:
    id: int
    run_id: int
    evidence: str
    evidence_type: str
    note: str
    total_fen: int
    prepared_by: str
    state: str = "prepared"
    approved_by: str | None = None
    approved_at: datetime | None = None
    reason: str = ""
    settlement_id: int | None = None


@dataclass
class AuditEvent:
    id: int
    actor: str
    action: str
    object_type: str
    object_id: str
    village: Village | None
    detail: dict[str, Any]


@dataclass
class Tables:
    """Everything the fake database holds (copied whole at a transaction's start, put back on
    an exception)."""

    runs: dict[int, Run] = field(default_factory=dict)
    lines: dict[int, list[tuple[str, str, int, object]]] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    batches: list[Batch] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    results: list[ResultImport] = field(default_factory=list)
    result_lines: list[tuple[int, int, str, str, str, int | None]] = field(default_factory=list)
    cash: list[CashPayment] = field(default_factory=list)
    cash_lines: list[tuple[int, int, str, int]] = field(default_factory=list)  # payment, item, household, fen
    corrections: list[tuple[int, str, str, str]] = field(default_factory=list)  # approved: run, household, account, bank
    audit: list[AuditEvent] = field(default_factory=list)
    entries: list[tuple[int, int | None, ledger.Entry]] = field(default_factory=list)  # id, run_id, entry
    snapshots: list[Snapshot] = field(default_factory=list)
    villages: dict[str, Village] = field(default_factory=dict)  # by code
    returns: list[AssetReturn] = field(default_factory=list)
    schemes: list[Scheme] = field(default_factory=list)
    objections: list[Objection] = field(default_factory=list)
    resolutions: dict[int, dict[str, Any]] = field(default_factory=dict)  # run id -> the stored resolution
    decisions: list[Decision] = field(default_factory=list)
    townships: dict[int, str] = field(default_factory=dict)  # id -> code
    debts: list[Debt] = field(default_factory=list)
    debt_recoveries: list[tuple[int, int, int]] = field(default_factory=list)  # debt, run, recovered fen
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


# ------------------------------------------------------------------------ repositories


class _Repository:
    def __init__(self, fake: FakeStore) -> None:
        self._fake = fake

    @property
    def t(self) -> Tables:
        return self._fake.tables


class FakeRuns(_Repository):
    """dividends/store/runs.py (what the payout use cases reach of it)."""

    async def run_by_id(self, run_id: int) -> Run | None:
        run = self.t.runs.get(run_id)
        return copy.copy(run) if run is not None else None  # a read: the caller's copy, not the row

    async def move_state(self, run_id: int, sources: Sequence[str], target: str, **values: object) -> int:
        run = self.t.runs.get(run_id)
        if run is None or run.state not in list(sources):
            return 0
        run.state = target
        for name, value in values.items():
            setattr(run, name, value)
        return 1

    async def line_rows(self, run_id: int) -> list[tuple[str, str, int, object]]:
        return sorted(self.t.lines.get(run_id, []), key=lambda r: (r[0], r[1]))

    async def create_run(self, **fields: object) -> Run:
        values: dict[str, Any] = dict(fields)
        for link in ("reverses", "replaces"):
            if link in values:
                linked = values.pop(link)
                values[f"{link}_id"] = linked.id if linked is not None else None  # type: ignore[attr-defined]
        if values.get("asset_return") is not None:
            values["asset_return_id"] = values["asset_return"].id
        for link in ("reverses_id", "replaces_id"):  # one-to-one links: unique columns
            if values.get(link) is not None and any(getattr(r, link) == values[link] for r in self.t.runs.values()):
                raise IntegrityError(f"{link} {values[link]} is taken (one to one)")
        run = Run(id=self.t.new_id(), state=str(values.pop("state", "draft")), created_at=datetime.now(UTC), **values)
        self.t.runs[run.id] = run
        self.t.lines.setdefault(run.id, [])
        return copy.copy(run)

    async def village_by_code(self, code: str) -> Village | None:
        return self.t.villages.get(code)

    async def get_or_create_return(self, village: Village, period: int, asset: str,
                                   defaults: dict[str, object]) -> tuple[AssetReturn, bool]:
        for row in self.t.returns:
            if (row.village_id, row.period, row.asset) == (village.id, period, asset):
                return copy.copy(row), False
        row = AssetReturn(self.t.new_id(), asset, village_id=village.id, period=period, **defaults)  # type: ignore[arg-type]
        self.t.returns.append(row)
        return copy.copy(row), True

    async def lock_return(self, asset_return_id: int) -> AssetReturn:
        for row in self.t.returns:
            if row.id == asset_return_id:
                return copy.copy(row)
        raise DoesNotExist(f"no asset return {asset_return_id}")

    async def returns_of_period(self, village: Village, period: int, asset: str | None) -> list[AssetReturn]:
        return [copy.copy(r) for r in self.t.returns if r.village_id == village.id and r.period == period
                and (not asset or r.asset == asset)]

    async def scheme_version(self, scheme_id: str, version: object) -> Scheme | None:
        found = next((s for s in self.t.schemes if (s.scheme_id, s.version) == (scheme_id, version)), None)
        return copy.copy(found) if found is not None else None

    async def create_scheme_version(self, **fields: object) -> Scheme:
        if any((s.scheme_id, s.version) == (fields["scheme_id"], fields["version"]) for s in self.t.schemes):
            raise IntegrityError("one text per scheme version")
        row = Scheme(id=self.t.new_id(), **fields)  # type: ignore[arg-type]
        self.t.schemes.append(row)
        return copy.copy(row)

    async def live_runs_of_return(self, asset_return_id: int, not_live: Sequence[str]) -> list[Run]:
        return [copy.copy(r) for _, r in sorted(self.t.runs.items()) if r.asset_return_id == asset_return_id
                and r.kind != "reversal" and r.state not in list(not_live)]

    async def pending_reversal_of(self, run_id: int) -> Run | None:
        found = [r for _, r in sorted(self.t.runs.items()) if r.reverses_id == run_id and r.kind == "reversal"
                 and r.state in ("computed", "closed")]
        return copy.copy(found[0]) if found else None

    async def correction_of(self, run_id: int) -> Run | None:
        found = [r for _, r in sorted(self.t.runs.items()) if r.replaces_id == run_id and r.state != "cancelled"]
        return copy.copy(found[-1]) if found else None

    async def insert_lines(self, rows: Sequence[Sequence[object]]) -> None:
        for run_id, kind, recipient, amount, breakdown in rows:
            if any((k, r) == (kind, recipient) for k, r, _, _ in self.t.lines.get(int(run_id), [])):  # type: ignore[call-overload]
                raise IntegrityError(f"line {kind} {recipient} of run {run_id} exists")  # unique (run, kind, recipient)
            self.t.lines.setdefault(int(run_id), []).append(  # type: ignore[call-overload]
                (str(kind), str(recipient), int(amount), breakdown))  # type: ignore[call-overload]

    async def household_in_snapshot(self, snapshot_id: int, household_id: str) -> bool:
        snapshot = next((s for s in self.t.snapshots if s.id == snapshot_id), None)
        if snapshot is None:
            return False
        people = pl.read_csv(io.BytesIO(self.t.files[snapshot.households_file][1]), infer_schema=False)
        return household_id in people["household_id"].to_list()

    async def objection_by_sid(self, message_sid: str) -> Objection | None:
        found = next((o for o in self.t.objections if o.message_sid == message_sid), None)
        return copy.copy(found) if found is not None else None

    async def objection_by_id(self, objection_id: int) -> Objection | None:
        found = next((o for o in self.t.objections if o.id == objection_id), None)
        if found is None:
            return None
        return replace(found, run=copy.copy(self.t.runs[found.run_id]), _fake=self._fake)

    async def create_objection(self, **fields: object) -> Objection:
        values: dict[str, Any] = dict(fields)
        run = values.pop("run")
        if values.get("message_sid") and any(o.message_sid == values["message_sid"] for o in self.t.objections):
            raise IntegrityError("an SMS objection is recorded once (unique message_sid)")
        row = Objection(id=self.t.new_id(), run_id=run.id, **values)
        self.t.objections.append(row)
        return copy.copy(row)

    async def resolve_open_objection(self, objection_id: int, resolution: str, actor: str, at: datetime) -> None:
        for o in self.t.objections:
            if o.id == objection_id and o.status == "open":
                o.status, o.resolution, o.resolved_by, o.resolved_at = "resolved", resolution, actor, at

    async def open_objections(self, run: Run) -> list[str]:
        return sorted(o.household_id for o in self.t.objections if o.run_id == run.id and o.status == "open")


class FakeFacts(_Repository):
    """dividends/store/facts.py: the plain records the rules are checked on."""

    async def run_facts(self, run_id: int) -> RunFacts | None:
        if not (isinstance(run_id, int) and 0 < run_id <= MAX_ID):
            return None
        row = self.t.runs.get(run_id)
        if row is None:
            return None
        v = row.village
        return RunFacts(row.id, Place(v.id, v.county_id, v.code, v.township_id), row.period, row.kind, row.state,
                        row.prepared_by, row.approved_by, row.asset_return_id, row.reverses_id, row.replaces_id,
                        row.notice_start, row.notice_end)

    async def village_place(self, code: str) -> Place | None:
        if not 0 < len(code) <= 64:
            return None
        v = self.t.villages.get(code)
        return None if v is None else Place(v.id, v.county_id, v.code, v.township_id)

    async def objection_facts(self, objection_id: int) -> ObjectionFacts | None:
        if not (isinstance(objection_id, int) and 0 < objection_id <= MAX_ID):
            return None
        row = next((o for o in self.t.objections if o.id == objection_id), None)
        return None if row is None else ObjectionFacts(row.id, row.run_id, row.status)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


class FakeApprovals(_Repository):
    """dividends/store/approvals.py (resolutions, reviews, returns; not the evidence)."""

    def _run(self, run_id: int) -> Run:
        if run_id not in self.t.runs:
            raise DoesNotExist(f"no run {run_id}")
        return self.t.runs[run_id]

    async def approval_facts(self, run_id: int) -> ApprovalFacts:
        run = self._run(run_id)
        return ApprovalFacts(run.content_hash or "", run.village.county_code, run.village.township_id)

    async def record_resolution(self, run: Run, counts: dict[str, Any], *, content_hash: str, quorum: str,
                                majority: str, actor: str, at: datetime) -> None:
        if run.id in self.t.resolutions:
            raise IntegrityError(f"run {run.id} has a resolution (one to one)")
        self.t.resolutions[run.id] = {
            "run": run.id, "content_hash": content_hash, "meeting_date": counts["meeting_date"].isoformat(),
            "body": counts["body"], **{k: counts[k] for k in ("entitled", "present", "votes_for", "votes_against",
                                                               "abstaining")},
            "rules": {"quorum": quorum, "majority": majority}, "recorded_by": actor, "recorded_at": _iso(at)}

    async def resolution_of(self, run_id: int) -> dict[str, Any] | None:
        found = self.t.resolutions.get(run_id)
        return copy.deepcopy(found) if found is not None else None

    async def record_decision(self, run_id: int, kind: str, *, content_hash: str, actor: str, at: datetime,
                              township_id: int | None = None, filing_number: str = "", text: str = "") -> None:
        run = self._run(run_id)
        async with self._fake.transaction():
            row = Decision(self.t.new_id(), run_id, kind, content_hash, actor, at, township_id, filing_number, text)
            self.t.decisions.append(row)
            await self._fake.audit.record(actor, f"run.{kind}", "run", run_id, village=run.village, decision=row.id,
                                          content_hash=content_hash, filing_number=filing_number, text=text)

    async def decisions_of(self, run_id: int) -> list[dict[str, Any]]:
        return [{"kind": d.kind, "content_hash": d.content_hash,
                 "township": self.t.townships.get(d.township_id) if d.township_id is not None else None,
                 "filing_number": d.filing_number, "text": d.text, "by": d.decided_by, "at": _iso(d.decided_at)}
                for d in self.t.decisions if d.run_id == run_id]

    async def reviewed(self, run_id: int, content_hash: str) -> bool:
        return any(d.run_id == run_id and d.kind == "review" and d.content_hash == content_hash
                   for d in self.t.decisions)

    async def was_returned(self, run_id: int) -> bool:
        return any(d.run_id == run_id and d.kind == "return" for d in self.t.decisions)

    async def return_to_draft(self, run_id: int, source: str, *, content_hash: str, reason: str, actor: str,
                              at: datetime) -> bool:
        run = self._run(run_id)
        async with self._fake.transaction():
            if await self._fake.runs.move_state(run_id, [source], "draft", content_hash=None, manifest=None, lines=0,
                                                computed_at=None, notice_start=None, notice_end=None,
                                                publicized_at=None) != 1:
                return False
            self.t.lines[run_id] = []
            row = Decision(self.t.new_id(), run_id, "return", content_hash, actor, at, text=reason)
            self.t.decisions.append(row)
            await self._fake.audit.record(actor, "run.return", "run", run_id, village=run.village, decision=row.id,
                                          was=source, content_hash=content_hash, reason=reason)
        return True

    async def refresh_snapshot(self, run_id: int) -> int | None:
        run = self._run(run_id)
        versions = [s for s in self.t.snapshots if s.village_id == run.village.id and s.period == run.period]
        if not versions or run.state != "draft":
            return None
        newest = max(versions, key=lambda s: s.version)
        run.snapshot = newest
        return newest.version


class FakeFiles(_Repository):
    """dividends/store/files.py."""

    async def put_file(self, name: str, data: bytes) -> str:
        digest = sha256_bytes(data)
        self.t.files.setdefault(digest, (name, bytes(data)))
        return digest

    async def get_file(self, digest: str) -> bytes:
        if digest not in self.t.files:
            raise DoesNotExist(f"no stored file {digest}")
        return self.t.files[digest][1]

    async def file_name(self, digest: str) -> str:
        if digest not in self.t.files:
            raise DoesNotExist(f"no stored file {digest}")
        return self.t.files[digest][0]


class FakePayouts(_Repository):
    """dividends/store/payouts.py."""

    def _batches(self, run: Run) -> list[Batch]:
        return sorted((b for b in self.t.batches if b.run_id == run.id), key=lambda b: b.number)

    async def item_rows(self, run: Run) -> list[tuple[str, int, str]]:
        return [(i.household_id, i.amount_fen, i.status) for i in self.t.items if i.run_id == run.id]

    async def first_batch(self, run: Run) -> Batch | None:
        return await self.batch_numbered(run, 1)

    async def last_batch(self, run: Run) -> Batch | None:
        batches = self._batches(run)
        return batches[-1] if batches else None

    async def batch_numbered(self, run: Run, number: int) -> Batch | None:
        return next((b for b in self._batches(run) if b.number == number), None)

    async def get_batch(self, run_id: int, number: int) -> Batch:
        for b in self.t.batches:
            if b.run_id == run_id and b.number == number:
                return b
        raise DoesNotExist(f"no batch {number} of run {run_id}")

    async def batch_count(self, run: Run) -> int:
        return len(self._batches(run))

    async def pending_count(self, run: Run) -> int:
        return sum(1 for i in self.t.items if i.run_id == run.id and i.status == "pending")

    async def create_batch(self, run: Run, rows: Sequence[tuple[str, int]], **fields: Any) -> Batch:
        if any(b.run_id == run.id and b.number == fields["number"] for b in self.t.batches):
            raise IntegrityError(f"batch {fields['number']} of run {run.id} exists")  # unique (run, number)
        batch = Batch(id=self.t.new_id(), run_id=run.id, **fields)
        self.t.batches.append(batch)
        self.t.items.extend(Item(self.t.new_id(), batch.id, run.id, h, a, "pending") for h, a in rows)
        return batch

    async def create_cash_items(self, run: Run, rows: Sequence[tuple[str, int]]) -> None:
        self.t.items.extend(Item(self.t.new_id(), None, run.id, h, a, "cash") for h, a in rows)

    async def result_already_imported(self, batch: Batch, digest: str) -> bool:
        return any(r.batch_id == batch.id and r.file == digest for r in self.t.results)

    async def items_of_batch(self, batch: Batch) -> list[Item]:
        return [copy.copy(i) for i in self.t.items if i.batch_id == batch.id]

    async def create_result(self, batch: Batch, **fields: Any) -> ResultImport:
        record = ResultImport(id=self.t.new_id(), batch_id=batch.id, **fields)
        self.t.results.append(record)
        return record

    async def ledger_entry_id(self, ref: str) -> int:
        for entry_id, _, entry in self.t.entries:
            if entry.ref == ref:
                return entry_id
        raise DoesNotExist(f"no ledger entry {ref}")

    async def record_result_lines(self, rows: Iterable[tuple[int, int, str, str, str, int | None]]) -> None:
        self.t.result_lines.extend(rows)

    async def mark_items(self, paid: list[int], failed: list[int]) -> None:
        for item in self.t.items:
            if item.status != "pending":
                continue
            if item.id in paid:
                self._fake.mark_paid(item)
            elif item.id in failed:
                item.status = "failed"


class FakeCash(_Repository):
    """dividends/store/cash.py."""

    async def owed_in_cash(self, run_id: int) -> dict[str, tuple[int, int]]:
        last: dict[str, tuple[int, int, str]] = {}
        settled: set[str] = set()
        for item in sorted((i for i in self.t.items if i.run_id == run_id), key=lambda i: i.id):
            last[item.household_id] = (item.id, item.amount_fen, item.status)
            if item.status in ("paid", "pending"):
                settled.add(item.household_id)
        return {h: (i, a) for h, (i, a, s) in sorted(last.items()) if s in ("failed", "cash") and h not in settled}

    async def awaiting(self, run_id: int) -> dict[str, int]:
        prepared = {p.id for p in self.t.cash if p.run_id == run_id and p.state == "prepared"}
        return {h: p for p, _, h, _ in self.t.cash_lines if p in prepared}

    async def prepare(self, run: Run, lines: Sequence[tuple[str, int, int]], *, name: str, media_type: str,
                      data: bytes, note: str, actor: str) -> CashPayment:
        async with self._fake.transaction():
            digest = await self._fake.files.put_file(name, data)
            row = CashPayment(self.t.new_id(), run.id, digest, media_type, note, sum(a for _, _, a in lines), actor)
            self.t.cash.append(row)
            self.t.cash_lines.extend((row.id, i, h, a) for h, i, a in lines)
            await self._fake.audit.record(actor, "run.cash_recorded", "run", run.id, village=run.village,
                                          payment=row.id, households=[h for h, _, _ in lines],
                                          total_fen=row.total_fen, evidence_sha256=digest)
        return copy.copy(row)

    async def get(self, run_id: int, payment_id: int) -> CashPayment | None:
        row = next((p for p in self.t.cash if p.id == payment_id and p.run_id == run_id), None)
        return copy.copy(row) if row is not None else None

    async def lines_of(self, payment_id: int) -> list[tuple[str, int, int]]:
        return sorted((h, i, a) for p, i, h, a in self.t.cash_lines if p == payment_id)

    async def approve(self, payment_id: int, actor: str, now: datetime) -> bool:
        for p in self.t.cash:
            if p.id == payment_id and p.state == "prepared":
                p.state, p.approved_by, p.approved_at = "approved", actor, now
                return True
        return False

    async def settle(self, payment_id: int, item_ids: Sequence[int], entry_id: int) -> int:
        changed = 0
        for item in self.t.items:
            if item.id in item_ids and item.status in ("failed", "cash"):
                self._fake.mark_paid(item)
                changed += 1
        for p in self.t.cash:
            if p.id == payment_id:
                p.settlement_id = entry_id
        return changed


class FakePayees(_Repository):
    """dividends/store/payees.py (the approved corrections payouts reads)."""

    async def approved_accounts(self, run_id: int) -> dict[str, tuple[str, str]]:
        return {h: (a, b) for r, h, a, b in self.t.corrections if r == run_id}


class FakeAudit(_Repository):
    """dividends/store/audit.py."""

    async def record(self, actor: str, action: str, object_type: str, object_id: object, *,
                     village: Village | None = None, **detail: Any) -> None:
        self.t.audit.append(AuditEvent(self.t.new_id(), actor, action, object_type, str(object_id), village, detail))

    async def events(self, object_type: str, object_id: object) -> list[AuditEvent]:
        return [e for e in self.t.audit if e.object_type == object_type and e.object_id == str(object_id)]


class FakeLedger(_Repository):
    """dividends/store/ledger.py (appending; reading a run's entries back)."""

    async def append(self, village: Village, drafts: Sequence[ledger.EntryDraft], *,
                     run_id: int | None) -> list[ledger.Entry]:
        if not drafts:
            return []
        refs = {e.ref for _, _, e in self.t.entries}
        if any(d.ref in refs for d in drafts):
            raise IntegrityError("a ledger reference is posted once")
        chain = [e for _, _, e in self.t.entries if e.village_id == village.code]
        entries = ledger.chain(drafts, chain[-1] if chain else None)
        self.t.entries.extend((self.t.new_id(), run_id, e) for e in entries)
        return entries

    async def entries_of_run(self, run_id: int, kinds: Sequence[str] | None = None) -> list[ledger.Entry]:
        return [e for _, r, e in self.t.entries if r == run_id and (kinds is None or e.kind in kinds)]


class FakeRecoveries(_Repository):
    """dividends/store/recoveries.py (what was paid under the runs a correction replaces; the
    debts a run records and takes)."""

    async def outstanding(self, village_id: int) -> list[Any]:
        from dividends.recoveries import Owed
        posted = ("approved", "paid", "closed")
        debts = sorted((d for d in self.t.debts if d.village_id == village_id and self.t.runs[d.run_id].state in posted),
                       key=lambda d: d.id)
        taken: dict[int, int] = {}
        for debt_id, run_id, fen in self.t.debt_recoveries:
            if self.t.runs[run_id].state in posted:
                taken[debt_id] = taken.get(debt_id, 0) + int(fen)
        busy = {int(o[0]) for r in self.t.runs.values() if r.village.id == village_id
                and r.state in ("draft", "computed", "publicized") for o in r.recoveries or []}
        return [Owed(d.id, d.household_id, d.amount_fen - taken.get(d.id, 0), d.reason, d.creditor)
                for d in debts if d.id not in busy and d.amount_fen - taken.get(d.id, 0) > 0]

    async def record_taken(self, run: Run, taken: Sequence[Any]) -> None:
        self.t.debt_recoveries = [r for r in self.t.debt_recoveries if r[1] != run.id]
        self.t.debts = [d for d in self.t.debts if not (d.run_id == run.id and d.kind == "deduction")]
        for t in taken:
            debt_id = t.debt
            if debt_id is None:
                debt = Debt(self.t.new_id(), run.village.id, run.id, t.household, "deduction", t.creditor, t.reason,
                            t.amount_fen)
                self.t.debts.append(debt)
                debt_id = debt.id
            if t.recovered_fen:
                self.t.debt_recoveries.append((debt_id, run.id, t.recovered_fen))

    async def new_debts(self, run_id: int) -> list[tuple[str, str, int]]:
        return [(d.household_id, d.creditor, int(d.amount_fen)) for d in self.t.debts
                if d.run_id == run_id and d.kind == "deduction"]

    async def record_overpayments(self, run: Run, amounts: Mapping[str, int], creditor: str, reason: str) -> None:
        for household, fen in sorted(amounts.items()):
            self.t.debts.append(Debt(self.t.new_id(), run.village.id, run.id, household, "overpayment", creditor,
                                     reason, fen))

    async def runs_taking_debts_of(self, run: Run) -> list[Run]:
        ids = {d.id for d in self.t.debts if d.run_id == run.id}
        if not ids:
            return []
        return [copy.copy(r) for _, r in sorted(self.t.runs.items()) if r.village.id == run.village.id
                and r.state not in ("cancelled", "reversed") and r.recoveries is not None
                and any(int(o[0]) in ids for o in r.recoveries or [])]

    async def reversed_source(self, run: Run) -> int | None:
        ids = {int(o[0]) for o in run.recoveries or []}
        sources = sorted(d.run_id for d in self.t.debts if d.id in ids and self.t.runs[d.run_id].state == "reversed")
        return sources[0] if sources else None

    async def paid_under_replaced(self, run: Run) -> dict[str, int]:
        paid: dict[str, int] = {}
        current = run
        while current.replaces_id is not None:
            current = self.t.runs[current.replaces_id]
            for item in self.t.items:
                if item.run_id == current.id and item.status == "paid":
                    paid[item.household_id] = paid.get(item.household_id, 0) + item.amount_fen
        return paid


class FakeRegistry(_Repository):
    """dividends/store/registry.py (the registry version a new run is made on)."""

    async def latest_snapshot(self, village_id: int, period: int) -> Snapshot | None:
        found = [s for s in self.t.snapshots if s.village_id == village_id and s.period == period]
        return max(found, key=lambda s: s.version) if found else None


class FakeCarryover(_Repository):
    """dividends/store/carryover.py (the live runs a reversal invalidates, and flagging them)."""

    async def runs_to_flag(self, source: Run) -> list[tuple[Run, str]]:
        from dividends.carryover import EARLIER_REVERSED, REVERSED
        live = [r for _, r in sorted(self.t.runs.items()) if r.village.id == source.village.id
                and r.kind in ("regular", "correction") and r.state not in ("cancelled", "reversed")]
        drawing = [r for r in live if r.period == source.period + 1 and r.brought_forward is not None
                   and r.brought_forward.get("run") == source.id]
        capped = [r for r in live if r.period == source.period and r.id != source.id and r.earlier_paid is not None
                  and source.id in (r.earlier_paid.get("runs") or [])]
        return [(copy.copy(r), REVERSED) for r in drawing] + [(copy.copy(r), EARLIER_REVERSED) for r in capped]

    def _posted(self, village_id: int, period: int) -> list[Run]:
        return [r for _, r in sorted(self.t.runs.items()) if r.village.id == village_id and r.period == period
                and r.kind in ("regular", "correction") and r.state in ("approved", "paid", "closed")]

    async def posted_source(self, village_id: int, period: int, asset: str) -> Run | None:
        found = [r for r in self._posted(village_id, period) if r.asset_return is not None and r.asset_return.asset == asset]
        return copy.copy(found[-1]) if found else None

    async def account_lines(self, run_id: int) -> dict[str, int]:
        return {str(r): int(a) for k, r, a, _ in self.t.lines.get(run_id, []) if k == "account"}

    async def earlier_posted_lines(self, village_id: int, period: int,
                                   asset_return_id: int) -> tuple[list[int], dict[str, int]]:
        ids = [r.id for r in self._posted(village_id, period) if r.asset_return_id != asset_return_id]
        paid: dict[str, int] = {}
        for run_id in ids:
            for kind, household, fen, _ in self.t.lines.get(run_id, []):
                if kind == "household":
                    paid[household] = paid.get(household, 0) + int(fen)
        return ids, {h: f for h, f in sorted(paid.items()) if f}

    async def flag(self, run_ids: Iterable[int], reason: str) -> int:
        ids = list(run_ids)
        for run_id in ids:
            self.t.runs[run_id].correction_needed = reason
        return len([i for i in ids if i in self.t.runs])


# ------------------------------------------------------------------------------ store


#: (store module, function) -> the fake repository attribute holding it; the modules that
#: imported a function by name are patched too (IMPORTED_BY).
FAKED: dict[str, tuple[str, tuple[str, ...]]] = {
    "dividends.store.runs": ("runs", (
        "run_by_id", "move_state", "line_rows", "village_by_code", "get_or_create_return", "lock_return",
        "returns_of_period", "scheme_version", "create_scheme_version", "create_run", "live_runs_of_return",
        "pending_reversal_of",
        "correction_of", "insert_lines", "household_in_snapshot", "objection_by_sid", "objection_by_id",
        "create_objection", "resolve_open_objection", "open_objections")),
    "dividends.store.facts": ("facts", ("run_facts", "village_place", "objection_facts")),
    "dividends.store.approvals": ("approvals", (
        "approval_facts", "record_resolution", "resolution_of", "record_decision", "decisions_of", "reviewed",
        "was_returned", "return_to_draft", "refresh_snapshot")),
    "dividends.store.carryover": ("carryover", ("posted_source", "account_lines", "earlier_posted_lines",
                                                "runs_to_flag", "flag")),
    "dividends.store.registry": ("registry", ("latest_snapshot",)),
    "dividends.store.files": ("files", ("put_file", "get_file", "file_name")),
    "dividends.store.payouts": ("payouts", (
        "item_rows", "first_batch", "last_batch", "batch_numbered", "get_batch", "batch_count", "pending_count",
        "create_batch", "create_cash_items", "result_already_imported", "items_of_batch", "create_result",
        "ledger_entry_id", "record_result_lines", "mark_items")),
    "dividends.store.cash": ("cash", ("owed_in_cash", "awaiting", "prepare", "get", "lines_of", "approve", "settle")),
    "dividends.store.payees": ("payees", ("approved_accounts",)),
    "dividends.store.audit": ("audit", ("record", "events")),
    "dividends.store.ledger": ("ledger", ("append", "entries_of_run")),
    "dividends.store.recoveries": ("recoveries", (
        "paid_under_replaced", "outstanding", "record_taken", "new_debts", "record_overpayments", "runs_taking_debts_of",
        "reversed_source")),
    "dividends.store.transactions": ("", ("transaction",)),
}
IMPORTED_BY: dict[str, tuple[str, ...]] = {
    "put_file": ("dividends.payouts", "dividends.runs", "dividends.store.cash"),
    "get_file": ("dividends.payouts", "dividends.runs", "dividends.store.cash"),
    "file_name": ("dividends.runs",),
    "transaction": ("dividends.payouts", "dividends.runs", "dividends.store.cash"),
}


class FakeStore:
    """The fake database and its repositories; ``fake.payouts.pending_count(run)`` is what
    ``dividends.store.payouts.pending_count(run)`` would answer."""

    def __init__(self) -> None:
        self.tables = Tables()
        self.runs = FakeRuns(self)
        self.files = FakeFiles(self)
        self.payouts = FakePayouts(self)
        self.cash = FakeCash(self)
        self.payees = FakePayees(self)
        self.audit = FakeAudit(self)
        self.ledger = FakeLedger(self)
        self.recoveries = FakeRecoveries(self)
        self.facts = FakeFacts(self)
        self.approvals = FakeApprovals(self)
        self.carryover = FakeCarryover(self)
        self.registry = FakeRegistry(self)
        self._depth = 0
        self.committed = 0  # outermost transactions committed
        self.rolled_back = 0

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """All or nothing: the tables as they were are put back when the block raises."""
        self._depth += 1
        saved = copy.deepcopy(self.tables) if self._depth == 1 else None
        try:
            yield
        except BaseException:
            if saved is not None:
                self.tables = saved
                self.rolled_back += 1
            raise
        else:
            if saved is not None:
                self.committed += 1
        finally:
            self._depth -= 1

    def mark_paid(self, item: Item) -> None:
        """The store's unique ``paid_key``: one paid item per (run, household)."""
        key = f"{item.run_id}:{item.household_id}"
        if any(i.paid_key == key for i in self.tables.items):
            raise IntegrityError(f"paid_key {key} exists")
        item.status, item.paid_key = "paid", key

    def repository(self, module: str) -> object:
        attribute = FAKED[module][0]
        return getattr(self, attribute) if attribute else self

    def install(self, monkeypatch: Any) -> FakeStore:
        import importlib

        for module, (_, names) in FAKED.items():
            target = importlib.import_module(module)
            repository = self.repository(module)
            for name in names:
                monkeypatch.setattr(target, name, getattr(repository, name))
                for user in IMPORTED_BY.get(name, ()):
                    monkeypatch.setattr(importlib.import_module(user), name, getattr(repository, name))
        return self

    # --------------------------------------------------------------- setting up a run

    def add_run(self, households: Sequence[tuple[str, int]] | pl.DataFrame, *, state: str = "approved",
                run_id: int | None = None, village: tuple[str, str] = ("V0001", "一村"), period: int = 2024,
                scheme_title: str = "按股分红", replaces: int | None = None,
                lines: Sequence[tuple[str, str, int]] = (), snapshot: pl.DataFrame | None = None,
                village_id: int | None = None, county: tuple[int | None, str | None] = (1, "default"),
                township: tuple[int, str] | None = None, **columns: Any) -> Run:
        """A run owing ``households`` ``(household_id, amount_fen)`` (or a snapshot frame with
        ``amount_fen``), each with a bank account unless its ``account_no`` is empty. ``lines``
        adds other allocation lines ``(recipient_kind, recipient_id, amount_fen)``; ``snapshot``
        is the registry snapshot's households as stored (instead of the one made up here).
        Runs of one village code share the village (``village_id``, ``county`` (id, code) and
        ``township`` (id, code) set where it is first made); ``columns`` are other columns of
        the run (``prepared_by``, ``content_hash``, ``notice_end``, ...)."""
        if isinstance(households, pl.DataFrame):
            people = households
        else:
            people = pl.DataFrame(
                [(h, f"户主{h[-3:]}", f"11010119800101{h[-4:]}", f"6217000000{h[-6:]}", "农业银行", fen)
                 for h, fen in households],
                schema={"household_id": pl.String, "head_name": pl.String, "id_number": pl.String,
                        "account_no": pl.String, "bank": pl.String, "amount_fen": pl.Int64}, orient="row")
        run_id = run_id if run_id is not None else self.tables.new_id()
        place = self.village(*village, village_id=village_id, county=county, township=township)
        buffer = io.BytesIO()
        (snapshot if snapshot is not None else people.drop("amount_fen")).write_csv(buffer)
        digest = sha256_bytes(buffer.getvalue())
        self.tables.files.setdefault(digest, ("households.csv", buffer.getvalue()))
        stored = Snapshot(self.tables.new_id(), digest, village_id=place.id, period=period)
        self.tables.snapshots.append(stored)
        asset_return = AssetReturn(self.tables.new_id(), amount_fen=int(columns.get("pool_fen", 0)), village_id=place.id,
                                   period=period)
        self.tables.returns.append(asset_return)
        run = Run(run_id, state, place, Scheme(scheme_title), stored, period=period, replaces_id=replaces,
                  asset_return=asset_return, asset_return_id=asset_return.id, **columns)
        self.tables.runs[run_id] = run
        self.tables.lines[run_id] = [("household", h, int(a), "{}") for h, a in people.select(
            "household_id", "amount_fen").rows()] + [(k, r, a, "{}") for k, r, a in lines]
        return run

    def village(self, code: str, name: str, *, village_id: int | None = None,
                county: tuple[int | None, str | None] = (1, "default"),
                township: tuple[int, str] | None = None) -> Village:
        """The village of ``code`` (made on first use)."""
        if code in self.tables.villages:
            return self.tables.villages[code]
        if township is not None:
            self.tables.townships[township[0]] = township[1]
        made = Village(village_id if village_id is not None else self.tables.new_id(), code, name, county[0],
                       township[0] if township else None, county[1])
        self.tables.villages[code] = made
        return made

    def approve_correction(self, run_id: int, household_id: str, account_no: str, bank: str = "") -> None:
        """A payee account correction approved on the run (what dividends/store/payees.py keeps)."""
        self.tables.corrections = [c for c in self.tables.corrections if c[:2] != (run_id, household_id)]
        self.tables.corrections.append((run_id, household_id, account_no, bank))

    def items(self, run_id: int) -> list[tuple[str, int, str, int | None]]:
        """(household, fen, status, batch number or None) of every item of the run, in order."""
        numbers = {b.id: b.number for b in self.tables.batches}
        return [(i.household_id, i.amount_fen, i.status, numbers.get(i.batch_id) if i.batch_id else None)
                for i in self.tables.items if i.run_id == run_id]

    def actions(self, run_id: int) -> list[str]:
        return [e.action for e in self.tables.audit if e.object_id == str(run_id)]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeStore:
    """The fake store installed in place of the store's functions for one test."""
    return FakeStore().install(monkeypatch)
