"""Read services behind the pages: the county at a glance, runs across villages, a village's and
a run's page data, a run's searchable table, a scheme preview on a village, scheme versions and
their plain-language differences, and the auditor's verification of a village.

Nothing here writes. The county overview is a handful of aggregate queries (not one per
village) and is cached per county scope and *data version*: the newest audit event id. Every
change of a run, registry or return records an audit event in the same transaction, so a
cached overview is never older than the last committed change.
"""
from __future__ import annotations

import difflib
import json
import re
import tempfile
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from dividends import ledger
from dividends.auditpack import PackVerification, build_pack, verify_pack
from dividends.clock import CHINA
from dividends.carryover import BroughtForward, carry_over_accounts  # noqa: F401  (re-exported)
from dividends.compute import Computation, compute, resolve_scheme
from dividends.imports import EventChanges, snapshot_event_changes
from dividends.recoveries import owed_of
from dividends.runs import events_read, lines_frame, overpaid_by, refuse, write_inputs
from dividends.store import county as county_store
from dividends.store import ledger as ledger_store
from dividends.store import registry as registry_store
from notify.privacy import mask_name
from dividends.store.county import county_filter, data_version  # noqa: F401  (the pages' cache key)
from schemes.describe import describe
from schemes.loader import parse_scheme
from schemes.model import Label, Scheme
from schemes.presets import preset_names, preset_path

if TYPE_CHECKING:
    from dividends.store.models import (
        AssetReturn, BankResultImport, PayoutBatch, RegistryChange, RegistrySnapshot, Run, SchemeVersion, Village,
    )
    from dividends.store.models import Objection as ObjectionRow

POSTED = ("approved", "paid", "closed")
STATES = ("draft", "computed", "publicized", "approved", "paid", "closed", "reversed", "cancelled")
HISTOGRAM_BINS = 20
TOP_VILLAGES = 30


# --------------------------------------------------------------------------- helpers


def as_datetime(value: Any) -> datetime | None:
    """A timestamp as the driver returns it (SQLite: text; PostgreSQL: datetime)."""
    if value is None or isinstance(value, datetime):
        return value
    text = str(value).replace(" ", "T")
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def china_date(value: Any) -> date | None:
    moment = as_datetime(value)
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(CHINA).date()


# --------------------------------------------------------------------------- county overview


@dataclass(frozen=True)
class VillageTotals:
    code: str
    name: str
    county: str
    runs: int
    households: int
    posted_fen: int
    issued_fen: int
    last_run: int | None
    last_state: str | None
    last_period: int | None
    scheme: str | None


@dataclass(frozen=True)
class SchemeTotals:
    scheme_id: str
    version: int
    title: str
    runs: int
    villages: int
    posted_fen: int


@dataclass(frozen=True)
class Bin:
    low_fen: int
    high_fen: int
    count: int


@dataclass(frozen=True)
class Overview:
    periods: tuple[int, ...]
    period: int | None
    villages: tuple[VillageTotals, ...]
    schemes: tuple[SchemeTotals, ...]
    states: dict[str, int]
    posted_fen: int
    issued_fen: int
    households: int
    histogram: tuple[Bin, ...]
    version: int = 0

    @cached_property
    def top(self) -> tuple[VillageTotals, ...]:
        """The villages with the most money posted (the bar chart); a village with nothing
        posted is not among the "most"."""
        return tuple(sorted((v for v in self.villages if v.posted_fen > 0), key=lambda v: (-v.posted_fen, v.code))[:TOP_VILLAGES])


_CACHE: OrderedDict[tuple[Any, ...], Overview] = OrderedDict()
_CACHE_SIZE = 64


async def county_overview(county_ids: Sequence[int] | None, period: int | None = None) -> Overview:
    """Totals per village and scheme, run states, the distribution of household amounts.

    ``county_ids`` None means every county (an admin without a county). ``period`` None: the
    newest period with a run.
    """
    version = await data_version()
    key = (tuple(county_ids) if county_ids is not None else None, period)
    cached = _CACHE.get(key)
    if cached is not None and cached.version == version:
        _CACHE.move_to_end(key)
        return cached
    overview = await _county_overview(county_ids, period, version)
    _CACHE[key] = overview
    _CACHE.move_to_end(key)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return overview


async def _county_overview(county_ids: Sequence[int] | None, period: int | None, version: int) -> Overview:
    villages = await county_store.villages(county_ids)
    periods = await county_store.run_periods(county_ids)
    if period is None and periods:
        period = periods[0]
    wanted = period if period is not None else -1
    runs = await county_store.period_runs(county_ids, wanted)
    issued_by = await county_store.issued_by_village(county_ids, wanted)
    households_by = await county_store.households_by_village(county_ids, wanted)
    schemes = await county_store.scheme_titles()

    per_village: dict[int, dict[str, Any]] = {v["id"]: {"runs": 0, "posted": 0, "last": None} for v in villages}
    states = dict.fromkeys(STATES, 0)
    by_scheme: dict[int, dict[str, Any]] = {}
    counted: list[int] = []
    for r in runs:
        if r["kind"] == "reversal":
            continue
        states[r["state"]] = states.get(r["state"], 0) + 1
        agg = per_village[r["village_id"]]
        agg["runs"] += 1
        agg["last"] = r
        if r["state"] in POSTED:
            agg["posted"] += int(r["pool_fen"])
            s = by_scheme.setdefault(r["scheme_id"], {"runs": 0, "villages": set(), "posted": 0})
            s["runs"] += 1
            s["villages"].add(r["village_id"])
            s["posted"] += int(r["pool_fen"])
        if r["state"] not in ("reversed", "cancelled", "draft"):
            counted.append(r["id"])
    rows = []
    for v in villages:
        agg = per_village[v["id"]]
        last = agg["last"]
        scheme = schemes.get(last["scheme_id"]) if last else None
        rows.append(VillageTotals(v["code"], v["name"], v["county"], agg["runs"], households_by.get(v["id"], 0),
                                  agg["posted"], issued_by.get(v["id"], 0), last["id"] if last else None,
                                  last["state"] if last else None, period if last else None,
                                  f"{scheme['scheme_id']} v{scheme['version']}" if scheme else None))
    scheme_rows = tuple(sorted((SchemeTotals(schemes[k]["scheme_id"], schemes[k]["version"], schemes[k]["title"], s["runs"],
                                             len(s["villages"]), s["posted"]) for k, s in by_scheme.items()),
                               key=lambda s: (s.scheme_id, s.version)))
    return Overview(periods, period, tuple(rows), scheme_rows, states, sum(r.posted_fen for r in rows),
                    sum(r.issued_fen for r in rows), sum(r.households for r in rows),
                    await _histogram(counted), version)


def nice_width(max_fen: int, bins: int = HISTOGRAM_BINS) -> int:
    """A bin width of 1, 2 or 5 times a power of ten fen that covers ``max_fen`` in ``bins``.

    >>> nice_width(123_456)
    10000
    >>> nice_width(0)
    100
    """
    need = max(1, -(-(max_fen + 1) // bins))
    width = 1
    while True:
        for step in (1, 2, 5):
            if width * step >= need:
                return max(100, width * step)
        width *= 10


def amount_bins(counts: dict[int, int], quantile: int = 95) -> tuple[Bin, ...]:
    """Bins chosen from the data: households that get nothing in a bin of their own
    (``low == high == 0``), then "nice" widths (1, 2 or 5 × 10ⁿ fen) that cover the amounts up to
    the ``quantile``-th percentile, and one last bin for the few above it (its ``high`` is one
    fen over the largest amount), so that one outlier does not squeeze everyone into one bar.

    >>> [(b.low_fen, b.high_fen, b.count) for b in amount_bins({0: 3, 150: 2, 420: 1, 99_900: 1}, 75)]
    [(0, 0, 3), (100, 200, 2), (200, 300, 0), (300, 400, 0), (400, 500, 1), (500, 99901, 1)]
    """
    zeros = counts.get(0, 0)
    positive = sorted((a, n) for a, n in counts.items() if a > 0)
    out = [Bin(0, 0, zeros)] if zeros else []
    if not positive:
        return tuple(out)
    total = sum(n for _, n in positive)
    seen, cut = 0, positive[-1][0]
    for amount, n in positive:
        seen += n
        if seen * 100 >= total * quantile:
            cut = amount
            break
    width = nice_width(cut)
    cap = (cut // width + 1) * width
    by_bin: dict[int, int] = {}
    above = 0
    for amount, n in positive:
        if amount >= cap:
            above += n
        else:
            by_bin[amount // width] = by_bin.get(amount // width, 0) + n
    first, last = min(by_bin, default=0), max(by_bin, default=0)
    out += [Bin(b * width, (b + 1) * width, by_bin.get(b, 0)) for b in range(first, last + 1)]
    if above:
        out.append(Bin(cap, positive[-1][0] + 1, above))
    return tuple(out)


async def _histogram(run_ids: Sequence[int]) -> tuple[Bin, ...]:
    if not run_ids:
        return ()
    counts = await county_store.household_amount_counts(run_ids)
    return amount_bins(counts)


# --------------------------------------------------------------------------- runs across villages


@dataclass(frozen=True)
class RunRow:
    id: int
    village_code: str
    village_name: str
    period: int
    kind: str
    state: str
    scheme: str
    pool_fen: int
    created_on: date | None
    changed_on: date | None

    def age_days(self, today: date) -> int:
        return (today - self.created_on).days if self.created_on else 0

    def idle_days(self, today: date) -> int:
        return (today - self.changed_on).days if self.changed_on else 0


async def county_runs(county_ids: Sequence[int] | None, *, state: str | None = None, village_ids: Sequence[int] | None = None,
                      limit: int = 100, offset: int = 0) -> tuple[list[RunRow], int]:
    """Runs of the villages in scope, newest first, with the date of their last transition."""
    rows, total = await county_store.county_runs(county_ids, state=state, village_ids=village_ids, limit=limit,
                                                 offset=offset)
    out = []
    for r in rows:
        moments = [china_date(r[k]) for k in ("created_at", "computed_at", "publicized_at", "approved_at", "paid_at", "closed_at")]
        known = [m for m in moments if m]
        out.append(RunRow(r["id"], r["code"], r["name"], r["period"], r["kind"], r["state"], f"{r['title']} v{r['version']}",
                          int(r["pool_fen"]), moments[0], max(known) if known else None))
    return out, total


# --------------------------------------------------------------------------- one run


@dataclass(frozen=True)
class LineRow:
    recipient_kind: str
    recipient_id: str
    head_name: str
    status: str
    members: int
    amount_fen: int
    breakdown: dict[str, int]


async def run_lines(run: Run, query: str = "", *, limit: int = 50, offset: int = 0) -> tuple[list[LineRow], int]:
    """A run's allocation lines with the household's head, status and members; ``query``
    matches a household id or a head's name (part of it)."""
    lines = await lines_frame(run.id)
    people = await county_store.households_of(run.snapshot.id)
    frame = lines.join(pl.DataFrame(people, schema={"recipient_id": pl.String, "head_name": pl.String, "status": pl.String,
                                                    "members": pl.Int64}, orient="row"), on="recipient_id", how="left")
    frame = frame.sort("recipient_kind", "recipient_id")
    q = query.strip()
    if q:
        frame = frame.filter(pl.col("recipient_id").str.contains(q, literal=True)
                             | pl.col("head_name").fill_null("").str.contains(q, literal=True))
    page = frame.slice(offset, limit)
    return [LineRow(r["recipient_kind"], r["recipient_id"], r["head_name"] or "", r["status"] or "", int(r["members"] or 0),
                    int(r["amount_fen"]), {k: int(v) for k, v in json.loads(r["breakdown"]).items()})
            for r in page.iter_rows(named=True)], frame.height


@lru_cache(maxsize=128)
def scheme_of_text(text: str) -> Scheme:
    return parse_scheme(text)


def run_scheme(run: Run) -> Scheme:
    return scheme_of_text(run.scheme.text)


# --------------------------------------------------------------------------- schemes


@dataclass(frozen=True)
class SchemeChoice:
    name: str
    scheme: Scheme


@lru_cache(maxsize=1)
def scheme_choices() -> tuple[SchemeChoice, ...]:
    """The preset schemes a village may pick (files shipped with the program: read once)."""
    return tuple(SchemeChoice(name, resolve_scheme(name).scheme) for name in preset_names())


@dataclass(frozen=True)
class PreviewRow:
    household_id: str
    name: str  # the head's name masked as on the public notice (notify.privacy.mask_name)
    status: str
    amount_fen: int


@dataclass(frozen=True)
class Preview:
    computation: Computation
    households: int
    paid_households: int
    household_fen: int
    accounts: dict[str, int]
    top: list[PreviewRow] = field(default_factory=list)  # the ten largest amounts
    rows: list[PreviewRow] = field(default_factory=list)  # every household, by id


async def preview_scheme(village: Village, period: int, scheme_ref: str, amount_fen: int, *,
                         reference: date) -> Preview:
    """What ``scheme_ref`` would pay this village's newest registry for ``period``, without
    storing anything (the run's own input writer and the one computation)."""
    snapshot = await registry_store.latest_snapshot(village.id, period)
    if snapshot is None:
        raise refuse("run.no_snapshot", village=village.code, period=period)
    path = preset_path(scheme_ref)
    text = path.read_text(encoding="utf-8") if path else resolve_scheme(scheme_ref).scheme.text
    with tempfile.TemporaryDirectory(prefix="preview-") as tmp:
        result = compute(await write_inputs(Path(tmp), text, snapshot, period, amount_fen, reference))
    hh = result.allocation.households
    accounts = {r["account"]: int(r["amount_fen"]) for r in result.allocation.accounts.iter_rows(named=True)}
    names = {hid: name for hid, name, _status, _members in await county_store.households_of(snapshot.id)}

    def row(r: dict[str, Any]) -> PreviewRow:
        name = names.get(r["household_id"], "")
        return PreviewRow(r["household_id"], mask_name(name) if name.strip() else "", r["status"], int(r["amount_fen"]))

    top = hh.sort("amount_fen", "household_id", descending=[True, False]).head(10)
    return Preview(result, hh.height, int((hh["amount_fen"] > 0).sum()), int(hh["amount_fen"].sum()), accounts,
                   [row(r) for r in top.iter_rows(named=True)], [row(r) for r in hh.sort("household_id").iter_rows(named=True)])


@dataclass(frozen=True)
class ComparedRow:
    household_id: str
    name: str
    status: str
    a_fen: int
    b_fen: int

    @property
    def change_fen(self) -> int:
        return self.b_fen - self.a_fen


@dataclass(frozen=True)
class StatusChange:
    """One household status under two schemes: how many households gain, lose, stay the same."""
    status: str
    households: int
    a_fen: int
    b_fen: int
    winners: int
    losers: int

    @property
    def change_fen(self) -> int:
        return self.b_fen - self.a_fen


@dataclass(frozen=True)
class Comparison:
    a: Preview
    b: Preview
    rows: list[ComparedRow]  # households whose amount differs, largest change first
    same: int  # households paid the same under both
    by_status: list[StatusChange]


def compare_previews(a: Preview, b: Preview) -> Comparison:
    """Two previews of one village's registry side by side: per household and per status
    (in the vocabulary's order; statuses nobody has are left out)."""
    from schemes.statuses import STATUS_NAMES
    b_of = {r.household_id: r for r in b.rows}
    both = [ComparedRow(r.household_id, r.name, r.status, r.amount_fen, b_of[r.household_id].amount_fen if r.household_id in b_of else 0)
            for r in a.rows]
    known = {r.household_id for r in a.rows}
    both += [ComparedRow(r.household_id, r.name, r.status, 0, r.amount_fen) for r in b.rows if r.household_id not in known]
    changed = sorted((r for r in both if r.change_fen), key=lambda r: (-abs(r.change_fen), r.household_id))
    statuses = [s for s in STATUS_NAMES if any(r.status == s for r in both)]
    statuses += sorted({r.status for r in both} - set(statuses))
    by_status = []
    for status in statuses:
        mine = [r for r in both if r.status == status]
        by_status.append(StatusChange(status, len(mine), sum(r.a_fen for r in mine), sum(r.b_fen for r in mine),
                                      sum(1 for r in mine if r.change_fen > 0), sum(1 for r in mine if r.change_fen < 0)))
    return Comparison(a, b, changed, len(both) - len(changed), by_status)


async def scheme_versions() -> list[SchemeVersion]:
    return await county_store.scheme_versions()


@dataclass(frozen=True)
class DiffLine:
    kind: str  # same | removed | added
    text: str


def scheme_diff(old: SchemeVersion, new: SchemeVersion, lang: str) -> list[DiffLine]:
    """Two scheme versions as plain-language sentences, line by line: what a reviewer reads."""
    def sentences(row: SchemeVersion) -> list[str]:
        s = scheme_of_text(row.text)
        head = [f"{s.title.text(lang)} (v{s.version}, {s.effective.isoformat()})"]
        return head + [f"{d.index}. {d.label}: {d.sentence}" for d in describe(s, lang)]

    out = []
    for line in difflib.ndiff(sentences(old), sentences(new)):
        tag, text = line[:2], line[2:]
        if tag == "? ":
            continue
        out.append(DiffLine({"  ": "same", "- ": "removed", "+ ": "added"}[tag], text))
    return out




# --------------------------------------------------------------------------- verification


@dataclass(frozen=True)
class RunCheck:
    run_id: int
    state: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Verification:
    village: str
    ledger_errors: tuple[str, ...]
    runs: tuple[RunCheck, ...]
    entries: int

    @property
    def ok(self) -> bool:
        return not self.ledger_errors and all(r.ok for r in self.runs)


async def verify_village(village: Village, lang: str, run_ids: Sequence[int] | None = None) -> Verification:
    """The auditor's check: the village's ledger chain (hashes, links, balance, recorded head)
    and, for each computed run, its audit pack built from the database and verified as an
    auditor would verify a downloaded one (:mod:`dividends.auditpack`)."""
    entries = await ledger_store.entries_by_village([village.code])
    heads = await ledger_store.heads([village.code])
    errors = tuple(e.text(lang) for e in ledger.verify(entries, heads, every_head=True))
    checks = []
    for run_id, state in await county_store.computed_runs(village, run_ids):
        result = await verify_run_pack(run_id)
        detail = "; ".join(p.text(lang) for p in result.problems[:5]) if not result.ok else ""
        checks.append(RunCheck(run_id, state, result.ok, detail))
    return Verification(village.code, errors, tuple(checks), sum(len(v) for v in entries.values()))


async def verify_run_pack(run_id: int) -> PackVerification:
    """Build a run's audit pack and verify it (hashes, recomputation, cross-checks)."""
    data = await build_pack(run_id)
    with tempfile.TemporaryDirectory(prefix="verify-") as tmp:
        path = Path(tmp) / f"run-{run_id}.zip"
        path.write_bytes(data)
        return verify_pack(path)


def verify_uploaded_pack(path: Path) -> PackVerification:
    """A pack the auditor downloaded earlier (or got from elsewhere), verified offline."""
    return verify_pack(path, name=path.name)


# --------------------------------------------------------------------------- village and run pages


@dataclass(frozen=True)
class VillagePage:
    snapshots: list[RegistrySnapshot]
    returns: list[AssetReturn]
    runs: list[Run]


async def village_page(village: Village) -> VillagePage:
    return VillagePage(*await county_store.village_lists(village))


async def snapshot_changes(snapshot: RegistrySnapshot, limit: int = 500) -> list[RegistryChange]:
    return await county_store.snapshot_changes(snapshot, limit)


async def snapshot_events(snapshot: RegistrySnapshot) -> EventChanges:
    """A registry version's events, added and removed against the version before it in the period."""
    return await snapshot_event_changes(snapshot)


async def display_names(usernames: Sequence[str | None]) -> dict[str, str]:
    """Username -> the person's display name (a user without one: the username)."""
    wanted = sorted({u for u in usernames if u})
    rows = await county_store.display_names(wanted)
    return {u: (d or u) for u, d in rows}


@dataclass(frozen=True)
class RunPage:
    run: Run
    scheme: Scheme
    objections: list[ObjectionRow]
    batches: list[PayoutBatch]
    results: list[BankResultImport]
    accounts: list[tuple[str, str, int]]  # id, label, fen
    households_fen: int
    households_paid: int
    notices: dict[str, int]
    events_read: int | None = None  # dated events the computation read (inputs/events.csv), if any


async def run_page(run: Run, lang: str) -> RunPage:
    scheme = run_scheme(run)
    lines = await lines_frame(run.id) if run.lines else pl.DataFrame(
        schema={"recipient_kind": pl.String, "recipient_id": pl.String, "amount_fen": pl.Int64, "breakdown": pl.String})
    accounts = [(r["recipient_id"], scheme.accounts[r["recipient_id"]].label.text(lang) if r["recipient_id"] in scheme.accounts
                 else r["recipient_id"], int(r["amount_fen"]))
                for r in lines.filter(pl.col("recipient_kind") == "account").iter_rows(named=True)]
    hh = lines.filter(pl.col("recipient_kind") == "household")
    statuses, objections, batches, results = await county_store.run_records(run.id)
    notices: dict[str, int] = {}
    for status in statuses:
        notices[status] = notices.get(status, 0) + 1
    return RunPage(run, scheme, objections, batches, results, accounts, int(hh["amount_fen"].sum()), int((hh["amount_fen"] > 0).sum()), notices,
                   await events_read(run))


# --------------------------------------------------------------------------- what is being approved

_CJK = re.compile(r"[\u3400-\u9fff]")


def narrative(description: str, lang: str) -> str:
    """A scheme's narrative description in one language. Scheme files write it as Chinese lines
    followed by English lines (or one language only): the lines of ``lang`` are kept, joined
    as the language joins them.

    >>> narrative("村集体得三成。\\nThe collective gets 30%.\\n", "en")
    'The collective gets 30%.'
    """
    lines = [line.strip() for line in description.splitlines() if line.strip()]
    zh = [line for line in lines if _CJK.search(line)]
    en = [line for line in lines if not _CJK.search(line)]
    picked = (zh or en) if lang == "zh" else (en or zh)
    return ("" if picked is zh else " ").join(picked)


@dataclass(frozen=True)
class StepTotal:
    label: str
    households_fen: int


@dataclass(frozen=True)
class Unpaid:
    household_id: str
    head_name: str
    status: str
    amount_fen: int
    reason: str  # the bank's reason, or "" when the household is still waiting for its result


@dataclass(frozen=True)
class LastYear:
    run_id: int
    period: int
    pool_fen: int
    households_fen: int
    households_paid: int


@dataclass(frozen=True)
class ApprovalSummary:
    """What an approver is asked to approve, in figures a committee can check."""

    description: str
    steps: list[StepTotal]
    households: int
    paid: int  # households with an amount
    nothing: list[tuple[str, str, str]]  # household id, head, status of those that get nothing
    failed: list[Unpaid]  # bank said no, with its reason
    pending: int  # in a batch, no bank result yet
    last_year: LastYear | None
    brought_forward: BroughtForward | None = None  # last period's carry-over in the pool (part of the total)
    correction_needed: str = ""  # e.g. "brought_forward_reversed": the run must be corrected
    recoveries: tuple[int, int] = (0, 0)  # recorded debts taken automatically: how many, fen asked (an input)
    overpaid: tuple[int, int] = (0, 0)  # a correction: households it pays less than they were paid, fen


async def approval_summary(run: Run, lang: str) -> ApprovalSummary:
    """Totals per step, households with an amount and without one (listed), payments that
    failed with the bank's reason, and the village's previous period's run to compare with."""
    scheme = run_scheme(run)
    description = narrative(scheme.description, lang)
    carried = BroughtForward.from_dict(run.brought_forward)
    owed = owed_of(run.recoveries)
    recoveries = (len(owed), sum(o.fen for o in owed))
    if not run.lines:
        return ApprovalSummary(description, [], 0, 0, [], [], 0, await _last_year(run), carried, run.correction_needed,
                               recoveries)
    lines = await lines_frame(run.id)
    overpaid = await overpaid_by(run, lines)
    hh = lines.filter(pl.col("recipient_kind") == "household")
    by_step: dict[str, int] = {}
    for text in hh["breakdown"].to_list():
        for step, fen in json.loads(text).items():
            by_step[step] = by_step.get(step, 0) + int(fen)
    steps = [StepTotal(s.label.text(lang), by_step.get(s.id, 0)) for s in scheme.steps if by_step.get(s.id, 0)]
    if by_step.get("deductions", 0):  # what the run's deductions file took back (negative)
        steps.append(StepTotal(Label("扣款（偿还欠款）", "Deductions (debts recovered)").text(lang), by_step["deductions"]))
    people = {h: (n, st) for h, n, st, _ in
              await county_store.households_of(run.snapshot.id)}
    nothing = [(h, *people.get(h, ("", ""))) for h in hh.filter(pl.col("amount_fen") == 0)["recipient_id"].sort().to_list()]
    items, reasons = await county_store.payout_items_with_reasons(run.id)
    paid_later = {h for _, h, _, status in items if status == "paid"}  # a follow-up batch paid it
    failed = sorted({h: Unpaid(h, *people.get(h, ("", "")), int(fen), reasons.get(i, ""))
                     for i, h, fen, status in items if status == "failed" and h not in paid_later}.values(),
                    key=lambda u: u.household_id)
    pending = len({h for _, h, _, status in items if status == "pending"})
    return ApprovalSummary(description, steps, hh.height, int((hh["amount_fen"] > 0).sum()), nothing, failed, pending,
                           await _last_year(run), carried, run.correction_needed, recoveries,
                           (len(overpaid), sum(overpaid.values())))


async def _last_year(run: Run) -> LastYear | None:
    """The village's newest run of an earlier period that was not cancelled and was computed."""
    before = await county_store.previous_regular_run(run)
    if before is None:
        return None
    hh = (await lines_frame(before.id)).filter(pl.col("recipient_kind") == "household")
    return LastYear(before.id, before.period, before.pool_fen, int(hh["amount_fen"].sum()), int((hh["amount_fen"] > 0).sum()))


@dataclass(frozen=True)
class HouseholdDebts:
    """What one household still owes the collective (its debts recorded by posted runs, minus what
    posted runs recovered), and what this run takes of it when it is posted."""

    household: str
    debts: int
    recorded_fen: int
    recovered_fen: int
    left_fen: int
    this_run_fen: int

    @property
    def after_run_fen(self) -> int:
        """Left once this run (not posted yet: what its computation takes) is posted."""
        return self.left_fen - self.this_run_fen


async def outstanding_debts(run: Run) -> list[HouseholdDebts]:
    """The village's households with a debt left (NOTES-recover "Left": the run page and `run
    show`), and what ``run`` takes of it (counted in ``left_fen`` already once it is posted)."""
    from dividends.store import recoveries as recoveries_store
    taken = await recoveries_store.taken_by_run(run.id) if run.state not in ("cancelled", "reversed") else {}
    posted = run.state in ("approved", "paid", "closed")
    by: dict[str, list[int]] = {}
    mine: dict[str, int] = {}
    for d in await recoveries_store.balances(run.village_id):  # type: ignore[attr-defined]
        if not posted:
            mine[str(d["household"])] = mine.get(str(d["household"]), 0) + taken.get(int(d["debt"]), 0)  # type: ignore[call-overload]
        row = by.setdefault(str(d["household"]), [0, 0, 0, 0])
        row[0] += 1
        row[1] += int(d["amount_fen"])  # type: ignore[call-overload]
        row[2] += int(d["recovered_fen"])  # type: ignore[call-overload]
        row[3] += int(d["left_fen"])  # type: ignore[call-overload]
    out = []
    for household, (n, recorded, recovered, left) in sorted(by.items()):
        if left > 0:
            out.append(HouseholdDebts(household, n, recorded, recovered, left, mine.get(household, 0)))
    return out
