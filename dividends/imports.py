"""Importing a registry: one versioned snapshot per village and period, with the diff against
the previous version (added, removed, changed fields). Importing the same content again changes
nothing. The whole import is one transaction.

Each version records what its files lacked (:class:`~dividends.registry.facts.RegistryFacts`:
the optional columns absent, the headers nothing recognised) and the column mapping they were
read with, so that a run can refuse a scheme that needs a column the version never had.

The county's column mapping is remembered: a mapping given with an import is added to the
county's (a county's villages share a form) and used for the next import that gives none.

A households file given without a posts or members roster keeps the roster of the village's
current version of the period (its rows of households no longer in the file are dropped); the
report says so. Rosters are checked against the new households exactly as given files are.

An events file (:func:`dividends.period_inputs.read_event_rows`: joined, left, died, status
changed, each with its date within the period) is stored with each village's version as a
canonical CSV of that village's events; a run whose scheme prorates by months reads it. Like a
roster, an events file not given keeps the current version's events (of households still in
the file); a header-only file says "no events". A change of the events alone makes a new
version, and the version's diff lists the events added and removed (:func:`event_changes`).
"""
from __future__ import annotations

import asyncio
import io
import tempfile
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

import polars as pl

from dividends.hashing import frame_csv, sha256_file
from dividends.period_inputs import events_csv, read_event_rows
from dividends.registry import Registry, read_registry
from dividends.registry.facts import RegistryFacts
from dividends.registry.mapping import ColumnMapping
from dividends.registry.vocabulary import Vocabulary
from dividends.store import audit
from dividends.store import registry as store
from dividends.store.files import get_file, put_file
from dividends.store.registry import ImportRow as RegistryImport
from dividends.store.registry import Snapshot as RegistrySnapshot
from dividends.store.registry import VillageRow as Village
from dividends.store.snapshot_format import CURRENT as SNAPSHOT_FORMAT
from dividends.store.snapshot_format import canonical_frame, frame_parquet
from dividends.store.transactions import transaction
from schemes.i18n import Msg, load_catalog
from schemes.problems import InputError, Problem

HOUSEHOLD_FIELDS = ["head_name", "id_number", "phone", "members", "able_members", "status", "shares",
                    "capital_yuan", "account_no", "bank", "language"]
ROSTERS = {"posts": "posts_file", "members": "members_file"}

load_catalog(Path(__file__).with_name("locale"), "dividends")


@dataclass(frozen=True)
class EventChanges:
    """The events of a version against those of the version before it in the period: each event
    a row of the canonical file (``household_id, event, date, member, from_status``)."""

    added: tuple[dict[str, str], ...] = ()
    removed: tuple[dict[str, str], ...] = ()
    count: int = 0  # the events of the version
    against: int | None = None  # the version compared with (None: the first of the period)


@dataclass(frozen=True)
class VillageImport:
    village: str
    version: int
    households: int
    added: int
    removed: int
    changed: int
    unchanged: bool
    snapshot_id: int | None = None
    events: int = 0  # the version's events
    events_added: int = 0  # against the previous version of the period
    events_removed: int = 0
    event_changes: EventChanges | None = None  # the events added and removed (a new version only)


@dataclass(frozen=True)
class ImportReport:
    import_id: int | None
    period: int
    villages: tuple[VillageImport, ...]
    exclusions: tuple[Problem, ...]
    warnings: tuple[Problem, ...] = ()
    notes: tuple[Problem, ...] = ()
    facts: RegistryFacts = RegistryFacts()
    mapping: ColumnMapping = ColumnMapping()


async def import_registry(households: Path, *, period: int, actor: str, posts: Path | None = None,
                          members: Path | None = None, county: str = "default", exclude_invalid: bool = False,
                          reference_date: date | None = None, mapping: ColumnMapping | None = None,
                          sheets: dict[str, str] | None = None, names: dict[str, str] | None = None,
                          vocabulary: Vocabulary | None = None, keep_rosters: bool = True,
                          events: Path | None = None) -> ImportReport:
    """Read, validate and store. ``mapping`` is added to the county's remembered mapping (and
    remembered); without one the county's is used. ``keep_rosters``: a roster (and the events)
    not given is kept from the current version (see the module docstring)."""
    given = {"households": households, "posts": posts, "members": members, "events": events}
    names = dict(names or {k: Path(p).name for k, p in given.items() if p is not None})  # never a temporary path
    effective = ColumnMapping.from_dict(await store.county_mapping(county)).merged(mapping)

    def read(paths: dict[str, Path | None], file_names: dict[str, str]) -> Registry:
        return read_registry(paths["households"], posts=paths["posts"], members=paths["members"],  # type: ignore[arg-type]
                             exclude_invalid=exclude_invalid, reference_date=reference_date, mapping=effective,
                             sheets=sheets, names=file_names, vocabulary=vocabulary)

    def read_all() -> tuple[Registry, pl.DataFrame | None]:
        """The registry and the events, every problem of every file at once."""
        problems: list[Problem] = []
        read_registry_: Registry | None = None
        try:
            read_registry_ = read(given, names)
        except InputError as error:
            problems.extend(error.problems)
        rows = None
        if events is not None:
            ids = read_registry_.households["household_id"].to_list() if read_registry_ is not None else None
            try:
                rows = read_event_rows(events, period, name=names["events"], households=ids)
            except InputError as error:
                problems.extend(error.problems)
        if problems:
            raise InputError(problems)
        assert read_registry_ is not None
        return read_registry_, rows

    registry, event_rows = await asyncio.to_thread(read_all)  # parsing stays off the event loop
    kept_notes: list[Problem] = []
    facts = registry.facts
    missing = [k for k in ROSTERS if given[k] is None] if keep_rosters else []
    if missing:
        with tempfile.TemporaryDirectory(prefix="kept-") as tmp:
            kept = await _kept_rosters(registry, period, missing, Path(tmp))
            if kept:
                paths = dict(given)
                for kind, roster in kept.items():
                    paths[kind] = roster.path
                    names[kind] = roster.name
                registry = await asyncio.to_thread(read, paths, names)
                facts = registry.facts
                for kind, roster in kept.items():
                    facts = facts.keeping(kind, roster.facts, roster.version)
                    dropped = Msg("registry.kept_dropped", count=roster.dropped) if roster.dropped else ""
                    what = Msg(f"registry.roster.{kind}")
                    kept_notes.append(Problem(Msg("registry.kept_roster", what=what, version=roster.version,
                                                  rows=roster.rows, dropped=dropped), file=roster.name))
    if event_rows is None and keep_rosters:
        event_rows, kept_events = await _kept_events(registry, period)
        if kept_events is not None:
            dropped = Msg("registry.kept_dropped", count=kept_events.dropped) if kept_events.dropped else ""
            kept_notes.append(Problem(Msg("registry.kept_roster", what=Msg("registry.roster.events"),
                                          version=kept_events.version, rows=kept_events.rows, dropped=dropped),
                                      file=kept_events.name))
    registry = replace(registry, facts=facts)
    notes = tuple(kept_notes) + registry.notes
    if effective:
        entries = [f"{header} → {column}" for _, header, column in effective.entries]
        notes = (Problem(Msg("registry.mapping_used", entries=entries)),) + notes
    files = {k: {"name": names[k], "sha256": sha256_file(p)} for k, p in given.items() if p is not None}
    results: list[VillageImport] = []
    async with transaction():
        county_row = await store.county(county)
        record = await store.new_import(period=period, actor=actor, files=files, households=registry.households.height,
                                        excluded=[p.text("en") for p in registry.exclusions],
                                        columns=effective.to_dict())
        for village_id, frames in _by_village(registry, event_rows).items():
            village = await store.village(village_id, county_row)
            results.append(await _snapshot(record, village, period, frames, facts, effective))
        if mapping:
            await store.remember_mapping(county_row, effective.to_dict())
        if all(r.unchanged for r in results):
            await store.drop_import(record)
            return ImportReport(None, period, tuple(results), registry.exclusions, registry.warnings, notes, facts,
                                effective)
        await audit.record(actor, "registry.import", "registry_import", record.id, period=period,
                           villages=[r.village for r in results if not r.unchanged], files=files,
                           kept=dict(facts.kept), columns=effective.to_dict())
    return ImportReport(record.id, period, tuple(results), registry.exclusions, registry.warnings, notes, facts,
                        effective)


@dataclass(frozen=True)
class _Kept:
    path: Path
    name: str
    version: int
    rows: int
    dropped: int
    facts: RegistryFacts


async def _kept_rosters(registry: Registry, period: int, kinds: list[str], directory: Path) -> dict[str, _Kept]:
    """The current version's rosters of ``kinds`` for the villages of ``registry``, written as
    canonical CSV files the reader reads back; only rows of households still in the file."""
    county_villages = registry.households["village_id"].unique().sort().to_list()
    current: list[RegistrySnapshot] = []
    for code in county_villages:
        village = await store.village_id(code)
        if village is None:
            continue
        snapshot = await store.latest_snapshot(village, period)
        if snapshot is not None:
            current.append(snapshot)
    ids = registry.households["household_id"].implode()
    out: dict[str, _Kept] = {}
    for kind in kinds:
        frames = []
        version = 0
        previous = RegistryFacts()
        for snapshot in current:
            digest = getattr(snapshot, ROSTERS[kind])
            if digest is None:
                continue
            frames.append(pl.read_csv(io.BytesIO(await get_file(digest)), infer_schema=False))
            if snapshot.version > version:
                version, previous = snapshot.version, RegistryFacts.from_dict(snapshot.facts or {})
        if not frames:
            continue
        frame = pl.concat(frames, how="vertical_relaxed")
        kept = frame.filter(pl.col("household_id").is_in(ids))
        name = f"{kind}-v{version}.csv"
        path = directory / name
        path.write_bytes(frame_csv(kept))
        out[kind] = _Kept(path, name, version, kept.height, frame.height - kept.height, previous)
    return out


def _events_of(data: bytes) -> pl.DataFrame:
    """A stored (canonical) events file read back: the columns of :func:`read_event_rows` but ``_row``."""
    frame = pl.read_csv(io.BytesIO(data), infer_schema=False)
    return frame.with_columns(pl.col("date").str.to_date())


async def _kept_events(registry: Registry, period: int) -> tuple[pl.DataFrame | None, _Kept | None]:
    """The current versions' events of the villages of ``registry``, of households still in it."""
    frames = []
    version = 0
    for code in registry.households["village_id"].unique().sort().to_list():
        village = await store.village_id(code)
        snapshot = await store.latest_snapshot(village, period) if village is not None else None
        if snapshot is not None and snapshot.events_file is not None:
            frames.append(_events_of(await get_file(snapshot.events_file)))
            version = max(version, snapshot.version)
    if not frames:
        return None, None
    frame = pl.concat(frames, how="vertical_relaxed")
    kept = frame.filter(pl.col("household_id").is_in(registry.households["household_id"].implode()))
    return kept, _Kept(Path(), f"events-v{version}.csv", version, kept.height, frame.height - kept.height,
                       RegistryFacts())


@dataclass(frozen=True)
class _Frames:
    households: pl.DataFrame
    persons: pl.DataFrame | None
    posts: pl.DataFrame | None
    events: pl.DataFrame | None = None


def _by_village(registry: Registry, events: pl.DataFrame | None = None) -> dict[str, _Frames]:
    out: dict[str, _Frames] = {}
    hh = registry.households
    for (village_id,), frame in hh.partition_by("village_id", as_dict=True, maintain_order=True).items():
        ids = frame["household_id"].implode()
        persons = registry.persons.filter(pl.col("household_id").is_in(ids)) if registry.persons is not None else None
        posts = registry.posts.filter(pl.col("household_id").is_in(ids)) if registry.posts is not None else None
        mine = events.filter(pl.col("household_id").is_in(ids)) if events is not None else None
        out[str(village_id)] = _Frames(frame, persons, posts, mine)
    return dict(sorted(out.items()))


async def _snapshot(record: RegistryImport, village: Village, period: int, frames: _Frames, facts: RegistryFacts,
                    mapping: ColumnMapping) -> VillageImport:
    hh_csv = frame_csv(canonical_frame("households", frames.households))
    members_csv = frame_csv(canonical_frame("persons", frames.persons)) if frames.persons is not None else None
    posts_csv = frame_csv(canonical_frame("posts", frames.posts)) if frames.posts is not None else None
    latest = await store.latest_snapshot(village.id, period)
    hh_sha = await put_file(f"{village.code}-{period}-households.csv", hh_csv)
    members_sha = await put_file(f"{village.code}-{period}-members.csv", members_csv) if members_csv else None
    posts_sha = await put_file(f"{village.code}-{period}-posts.csv", posts_csv) if posts_csv else None
    # no event rows: no events file (a header-only file and none at all say the same)
    events_data = events_csv(frames.events) if frames.events is not None and frames.events.height else None
    events_sha = await put_file(f"{village.code}-{period}-events.csv", events_data) if events_data else None
    facts_value = facts.to_dict()
    if latest and (latest.households_file, latest.members_file, latest.posts_file, latest.events_file) \
            == (hh_sha, members_sha, posts_sha, events_sha) and _same_facts(latest.facts or {}, facts_value):
        count = frames.events.height if events_sha and frames.events is not None else 0
        return VillageImport(village.code, latest.version, frames.households.height, 0, 0, 0, unchanged=True,
                             snapshot_id=latest.id, events=count)
    event_diff = event_changes(await get_file(latest.events_file) if latest and latest.events_file else None,
                               events_data)
    previous = await store.previous_snapshot(village.id, period)
    old = _read_households(await get_file(previous.households_file)) if previous else None
    changes = _diff(old, _read_households(hh_csv))
    # the validated frames, so that runs trust them by their hash instead of re-validating the CSV
    stored_frames = {"households": await put_file(f"{village.code}-{period}-households.parquet",
                                                  frame_parquet(frames.households))}
    for kind, frame in (("members", frames.persons), ("posts", frames.posts)):
        if frame is not None:
            stored_frames[kind] = await put_file(f"{village.code}-{period}-{kind}.parquet", frame_parquet(frame))
    snapshot = await store.create_snapshot(
        record, village, period=period, version=await store.next_version(village.id, period),
        households_file=hh_sha, members_file=members_sha, posts_file=posts_sha, events_file=events_sha,
        households=frames.households.height, added=changes.added, removed=changes.removed, changed=changes.changed,
        facts=facts_value, columns=mapping.to_dict(), format=SNAPSHOT_FORMAT, frames=stored_frames)
    h = frames.households
    await store.insert_households(snapshot.id, h.select(
        "household_id", "head_name", "id_number", "phone", "members", "able_members", "status", "shares",
        "capital_fen", "account_no", "bank", "language").rows())
    await store.insert_changes(snapshot.id, changes.rows)
    return VillageImport(village.code, snapshot.version, h.height, changes.added, changes.removed, changes.changed,
                         False, snapshot.id, event_diff.count, len(event_diff.added), len(event_diff.removed),
                         event_diff)


def _same_facts(old: dict[str, object], new: dict[str, object]) -> bool:
    """Versions stored before facts were recorded have none: same files, same version."""
    return not old or {k: v for k, v in old.items() if k != "kept"} == {k: v for k, v in new.items() if k != "kept"}


def _read_households(data: bytes) -> pl.DataFrame:
    return pl.read_csv(io.BytesIO(data), infer_schema=False).fill_null("")


@dataclass(frozen=True)
class _Diff:
    added: int
    removed: int
    changed: int
    rows: list[tuple[str, str, dict[str, list[str]]]]


def _diff(old: pl.DataFrame | None, new: pl.DataFrame) -> _Diff:
    """Added, removed and changed households; a change lists each field as [old, new]."""
    if old is None:
        return _Diff(new.height, 0, 0, [])
    joined = old.join(new, on="household_id", how="full", suffix="_new", coalesce=True)
    present_old = pl.col("village_id").is_not_null()
    present_new = pl.col("village_id_new").is_not_null()
    added = joined.filter(~present_old & present_new)["household_id"].sort().to_list()
    removed = joined.filter(present_old & ~present_new)["household_id"].sort().to_list()
    both = joined.filter(present_old & present_new)
    differs = pl.any_horizontal([pl.col(f) != pl.col(f"{f}_new") for f in HOUSEHOLD_FIELDS])
    rows: list[tuple[str, str, dict[str, list[str]]]] = [(h, "added", {}) for h in added]
    rows += [(h, "removed", {}) for h in removed]
    changed = both.filter(differs).sort("household_id")
    for r in changed.iter_rows(named=True):
        rows.append((r["household_id"], "changed",
                     {f: [r[f], r[f"{f}_new"]] for f in HOUSEHOLD_FIELDS if r[f] != r[f"{f}_new"]}))
    return _Diff(len(added), len(removed), changed.height, rows)


def _event_set(data: bytes | None) -> list[dict[str, str]]:
    if not data:
        return []
    frame = pl.read_csv(io.BytesIO(data), infer_schema=False).fill_null("")
    return [dict(r) for r in frame.iter_rows(named=True)]


def event_changes(old: bytes | None, new: bytes | None, against: int | None = None) -> EventChanges:
    """The events of ``new`` not in ``old`` (added) and of ``old`` not in ``new`` (removed), of
    two canonical events files (None: no events), in file order.

    >>> old = b"household_id,event,date,member,from_status\\nH1,died,2025-03-10,Wang,\\n"
    >>> new = b"household_id,event,date,member,from_status\\nH2,joined,2025-05-01,,\\n"
    >>> diff = event_changes(old, new)
    >>> [r["household_id"] for r in diff.added], [r["household_id"] for r in diff.removed], diff.count
    (['H2'], ['H1'], 1)
    """
    before, after = _event_set(old), _event_set(new)
    key = lambda r: tuple(sorted(r.items()))  # noqa: E731
    old_keys, new_keys = {key(r) for r in before}, {key(r) for r in after}
    return EventChanges(tuple(r for r in after if key(r) not in old_keys),
                        tuple(r for r in before if key(r) not in new_keys), len(after), against)


async def snapshot_event_changes(snapshot: RegistrySnapshot) -> EventChanges:
    """A stored version's events against the version before it in the period (withdrawn
    versions skipped), as its import reported them."""
    earlier = await store.earlier_version(snapshot)
    old = await get_file(earlier.events_file) if earlier is not None and earlier.events_file else None
    new = await get_file(snapshot.events_file) if snapshot.events_file else None
    return event_changes(old, new, earlier.version if earlier is not None else None)


# --------------------------------------------------------------------------- withdrawal


@dataclass(frozen=True)
class Withdrawal:
    import_id: int
    villages: tuple[str, ...]
    changed: bool  # False: it was withdrawn already


async def withdraw_import(import_id: int, actor: str, reason: str, at: datetime) -> Withdrawal:
    """Withdraw an import no run uses: it is kept and recorded, its snapshots stop being any
    village's current version (the one before it is current again). Withdrawing twice is a
    no-op. A cancelled run does not count as using it."""
    reason = reason.strip()
    if not reason:
        raise InputError([Problem(Msg("registry.withdraw.reason"))])
    async with transaction():
        found = await store.import_facts(import_id)
        if found is None:
            raise InputError([Problem(Msg("registry.withdraw.unknown", id=import_id))])
        if found.withdrawn:
            return Withdrawal(found.id, found.village_codes, False)
        using = [run for run, state in found.runs if state != "cancelled"]
        if using:
            raise InputError([Problem(Msg("registry.withdraw.used", id=found.id, runs=[f"#{r}" for r in using]))])
        await store.withdraw_import(found.id, actor, reason[:500], at)
        await audit.record(actor, "registry.withdraw", "registry_import", found.id, period=found.period,
                           villages=list(found.village_codes), reason=reason[:500])
    return Withdrawal(found.id, found.village_codes, True)
