"""Importing a registry: one versioned snapshot per village and period, with the diff against
the previous version (added, removed, changed fields). Importing the same content again changes
nothing. The whole import is one transaction.
"""
from __future__ import annotations

import asyncio
import functools
import io
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from dividends.hashing import frame_csv, sha256_file
from dividends.registry import Registry, read_registry
from dividends.registry.mapping import ColumnMapping
from dividends.registry.vocabulary import Vocabulary
from dividends.store.snapshot_format import canonical_frame
from dividends.store import audit
from dividends.store.bulk import insert_rows
from dividends.store.files import get_file, put_file
from dividends.store.models import County, Household, RegistryChange, RegistryImport, RegistrySnapshot, Village
from dividends.store.transactions import transaction
from schemes.problems import Problem

HOUSEHOLD_FIELDS = ["head_name", "id_number", "phone", "members", "able_members", "status", "shares",
                    "capital_yuan", "account_no", "bank", "language"]


@dataclass(frozen=True)
class VillageImport:
    village: str
    version: int
    households: int
    added: int
    removed: int
    changed: int
    unchanged: bool


@dataclass(frozen=True)
class ImportReport:
    import_id: int | None
    period: int
    villages: tuple[VillageImport, ...]
    exclusions: tuple[Problem, ...]
    warnings: tuple[Problem, ...] = ()
    notes: tuple[Problem, ...] = ()


async def import_registry(households: Path, *, period: int, actor: str, posts: Path | None = None,
                          members: Path | None = None, county: str = "default", exclude_invalid: bool = False,
                          reference_date: date | None = None, mapping: ColumnMapping | None = None,
                          sheets: dict[str, str] | None = None, names: dict[str, str] | None = None,
                          vocabulary: Vocabulary | None = None) -> ImportReport:
    given = {"households": households, "posts": posts, "members": members}
    names = names or {k: Path(p).name for k, p in given.items() if p is not None}  # never a temporary path
    registry = await asyncio.to_thread(  # blocking parsing, off the event loop (a server keeps answering)
        functools.partial(read_registry, households, posts=posts, members=members, exclude_invalid=exclude_invalid,
                          reference_date=reference_date, mapping=mapping, sheets=sheets, names=names,
                          vocabulary=vocabulary))
    raw_files = {"households": households, "posts": posts, "members": members}
    files = {k: {"name": p.name, "sha256": sha256_file(p)} for k, p in raw_files.items() if p is not None}
    results: list[VillageImport] = []
    async with transaction():
        county_row, _ = await County.get_or_create(code=county, defaults={"name": county})
        record = await RegistryImport.create(period=period, created_by=actor, files=files,
                                             households=registry.households.height,
                                             excluded=[p.text("en") for p in registry.exclusions])
        for village_id, frames in _by_village(registry).items():
            village, _ = await Village.get_or_create(code=village_id, defaults={"county": county_row, "name": village_id})
            results.append(await _snapshot(record, village, period, frames, actor))
        if all(r.unchanged for r in results):
            await record.delete()
            return ImportReport(None, period, tuple(results), registry.exclusions, registry.warnings,
                                registry.notes)
        await audit.record(actor, "registry.import", "registry_import", record.id, period=period,
                           villages=[r.village for r in results if not r.unchanged], files=files)
    return ImportReport(record.id, period, tuple(results), registry.exclusions, registry.warnings, registry.notes)


@dataclass(frozen=True)
class _Frames:
    households: pl.DataFrame
    persons: pl.DataFrame | None
    posts: pl.DataFrame | None


def _by_village(registry: Registry) -> dict[str, _Frames]:
    out: dict[str, _Frames] = {}
    hh = registry.households
    for (village_id,), frame in hh.partition_by("village_id", as_dict=True, maintain_order=True).items():
        ids = frame["household_id"].implode()
        persons = registry.persons.filter(pl.col("household_id").is_in(ids)) if registry.persons is not None else None
        posts = registry.posts.filter(pl.col("household_id").is_in(ids)) if registry.posts is not None else None
        out[str(village_id)] = _Frames(frame, persons, posts)
    return dict(sorted(out.items()))


async def _snapshot(record: RegistryImport, village: Village, period: int, frames: _Frames, actor: str) -> VillageImport:
    hh_csv = frame_csv(canonical_frame("households", frames.households))
    members_csv = frame_csv(canonical_frame("persons", frames.persons)) if frames.persons is not None else None
    posts_csv = frame_csv(canonical_frame("posts", frames.posts)) if frames.posts is not None else None
    latest = await RegistrySnapshot.filter(village=village, period=period).order_by("-version").first()
    hh_sha = await put_file(f"{village.code}-{period}-households.csv", hh_csv)
    members_sha = await put_file(f"{village.code}-{period}-members.csv", members_csv) if members_csv else None
    posts_sha = await put_file(f"{village.code}-{period}-posts.csv", posts_csv) if posts_csv else None
    if latest and (latest.households_file, latest.members_file, latest.posts_file) == (hh_sha, members_sha, posts_sha):
        return VillageImport(village.code, latest.version, frames.households.height, 0, 0, 0, unchanged=True)
    previous = latest or await RegistrySnapshot.filter(village=village, period__lt=period).order_by("-period", "-version").first()
    old = _read_households(await get_file(previous.households_file)) if previous else None
    changes = _diff(old, _read_households(hh_csv))
    snapshot = await RegistrySnapshot.create(
        registry_import=record, village=village, period=period, version=(latest.version + 1) if latest else 1,
        households_file=hh_sha, members_file=members_sha, posts_file=posts_sha,
        households=frames.households.height, added=changes.added, removed=changes.removed, changed=changes.changed)
    h = frames.households
    await insert_rows(Household._meta.db_table, [
        "snapshot_id", "household_id", "head_name", "id_number", "phone", "members", "able_members", "status",
        "shares", "capital_fen", "account_no", "bank", "language"],
        h.select(pl.lit(snapshot.id).alias("snapshot_id"), "household_id", "head_name", "id_number", "phone", "members",
                 "able_members", "status", "shares", "capital_fen", "account_no", "bank", "language").rows())
    await insert_rows(RegistryChange._meta.db_table, ["snapshot_id", "household_id", "change", "fields_changed"],
                      [(snapshot.id, hid, kind, json.dumps(fields, ensure_ascii=False)) for hid, kind, fields in changes.rows])
    return VillageImport(village.code, snapshot.version, h.height, changes.added, changes.removed, changes.changed, False)


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
