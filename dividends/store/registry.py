"""The registry's tables: counties and their column mapping, imports, versioned snapshots, their
household rows and diffs. A withdrawn import's snapshots are kept (they are evidence) but are
never the latest version and no new run can use them.
"""
from __future__ import annotations

from pathlib import Path

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dividends.store.bulk import insert_rows
from dividends.store.models import (
    County, Household, RegistryChange, RegistryImport, RegistrySnapshot, Run, Village,
)
from schemes.i18n import Msg, load_catalog
from schemes.problems import InputError, Problem

# the rows other modules hold (by these names, without importing the ORM models)
Snapshot = RegistrySnapshot
ImportRow = RegistryImport
VillageRow = Village

HOUSEHOLD_ROW = ["household_id", "head_name", "id_number", "phone", "members", "able_members", "status", "shares",
                 "capital_fen", "account_no", "bank", "language"]
MAX_ID = 2**31 - 1


async def county(code: str) -> County:
    row, _ = await County.get_or_create(code=code, defaults={"name": code})
    return row


async def village(code: str, county_row: County) -> Village:
    row, _ = await Village.get_or_create(code=code, defaults={"county": county_row, "name": code})
    return row


async def village_id(code: str) -> int | None:
    row = await Village.get_or_none(code=code).only("id", "code") if 0 < len(code) <= 64 else None
    return None if row is None else row.id


async def county_mapping(code: str) -> dict[str, dict[str, str]]:
    """The column mapping remembered for a county (empty when none)."""
    row = await County.get_or_none(code=code)
    return dict(row.column_mapping or {}) if row is not None else {}


async def county_mapping_of(county_id: int) -> dict[str, dict[str, str]]:
    row = await County.get_or_none(id=county_id)
    return dict(row.column_mapping or {}) if row is not None else {}


async def remember_mapping(county_row: County, mapping: Mapping[str, Mapping[str, str]]) -> None:
    county_row.column_mapping = {k: dict(v) for k, v in mapping.items()}
    await county_row.save(update_fields=["column_mapping"])


async def new_import(*, period: int, actor: str, files: Mapping[str, Any], households: int,
                     excluded: Sequence[str], columns: Mapping[str, Any]) -> RegistryImport:
    return await RegistryImport.create(period=period, created_by=actor, files=dict(files), households=households,
                                       excluded=list(excluded), columns=dict(columns))


async def drop_import(record: RegistryImport) -> None:
    """Delete an import that stored no snapshot (every village unchanged)."""
    await record.delete()


def _live() -> dict[str, Any]:
    return {"registry_import__withdrawn_at__isnull": True}


async def latest_snapshot(village_id: int, period: int) -> RegistrySnapshot | None:
    """The village's current registry version for the period (withdrawn imports skipped)."""
    return await RegistrySnapshot.filter(village_id=village_id, period=period, **_live()).order_by("-version").first()


async def previous_snapshot(village_id: int, period: int) -> RegistrySnapshot | None:
    """The version a new one is compared with: the current one of the period, else the latest
    of an earlier period."""
    return await latest_snapshot(village_id, period) or await RegistrySnapshot.filter(
        village_id=village_id, period__lt=period, **_live()).order_by("-period", "-version").first()


async def earlier_version(snapshot: RegistrySnapshot) -> RegistrySnapshot | None:
    """The version a snapshot's events are compared with: the latest one before it in the same
    period (withdrawn imports skipped)."""
    return await RegistrySnapshot.filter(village_id=snapshot.village_id, period=snapshot.period,  # type: ignore[attr-defined]
                                         version__lt=snapshot.version, **_live()).order_by("-version").first()


async def next_version(village_id: int, period: int) -> int:
    """Versions are never reused, a withdrawn one included."""
    row = await RegistrySnapshot.filter(village_id=village_id, period=period).order_by("-version").first()
    return row.version + 1 if row else 1


async def create_snapshot(record: RegistryImport, village_row: Village, **values: Any) -> RegistrySnapshot:
    """A new snapshot, recording the format its files are stored in."""
    from dividends.store.snapshot_format import FORMAT
    return await RegistrySnapshot.create(registry_import=record, village=village_row, **{"format": FORMAT, **values})


from dividends.store.snapshot_format import FORMATS as SNAPSHOT_FORMATS  # noqa: E402  (the formats this version reads)

load_catalog(Path(__file__).parents[1] / "locale", "dividends")


def check_snapshot_format(snapshot: RegistrySnapshot, village: str) -> None:
    """Refuse to read a snapshot stored in a format this version does not know (a database
    restored from a newer version), instead of misreading its files."""
    found = getattr(snapshot, "format", None) or "csv-v1"
    if found not in SNAPSHOT_FORMATS:
        raise InputError([Problem(Msg("registry.snapshot_format", village=village, period=snapshot.period,
                                      version=snapshot.version, found=found, known=", ".join(SNAPSHOT_FORMATS)))])


async def insert_households(snapshot_id: int, rows: Iterable[Sequence[Any]]) -> None:
    """``rows``: the values of :data:`HOUSEHOLD_ROW`, in that order."""
    await insert_rows(Household._meta.db_table, ["snapshot_id", *HOUSEHOLD_ROW], [(snapshot_id, *r) for r in rows])


async def insert_changes(snapshot_id: int, rows: Iterable[tuple[str, str, dict[str, list[str]]]]) -> None:
    await insert_rows(RegistryChange._meta.db_table, ["snapshot_id", "household_id", "change", "fields_changed"],
                      [(snapshot_id, hid, kind, json.dumps(fields, ensure_ascii=False)) for hid, kind, fields in rows])


@dataclass(frozen=True)
class ImportFacts:
    """What the withdrawal rules are checked on."""

    id: int
    period: int
    village_ids: tuple[int, ...]
    county_ids: tuple[int, ...]
    village_codes: tuple[str, ...]
    withdrawn: bool
    runs: tuple[tuple[int, str], ...]  # (run id, state) of every run using one of its snapshots


async def import_facts(import_id: int) -> ImportFacts | None:
    if not isinstance(import_id, int) or not 0 < import_id <= MAX_ID:
        return None
    record = await RegistryImport.get_or_none(id=import_id)
    if record is None:
        return None
    snapshots = await RegistrySnapshot.filter(registry_import_id=import_id).prefetch_related("village").order_by("id")
    villages = [s.village for s in snapshots]
    runs = await Run.filter(snapshot_id__in=[s.id for s in snapshots]).order_by("id").values_list("id", "state")
    return ImportFacts(record.id, record.period, tuple(v.id for v in villages),
                       tuple(v.county_id for v in villages),  # type: ignore[attr-defined]
                       tuple(v.code for v in villages), record.withdrawn_at is not None,
                       tuple((int(i), str(s)) for i, s in runs))


async def withdraw_import(import_id: int, actor: str, reason: str, at: datetime) -> bool:
    """Mark the import withdrawn; False when it already was (nothing changes)."""
    count = await RegistryImport.filter(id=import_id, withdrawn_at__isnull=True).update(
        withdrawn_at=at, withdrawn_by=actor, withdrawn_reason=reason)
    return bool(count)


async def snapshot_of_import(import_id: int, village_id: int) -> RegistrySnapshot | None:
    return await RegistrySnapshot.get_or_none(registry_import_id=import_id, village_id=village_id)


async def households_of_snapshot(snapshot_id: int) -> dict[str, Household]:
    """A snapshot's household rows by household id (the public notice names each one)."""
    return {h.household_id: h for h in await Household.filter(snapshot_id=snapshot_id)}
