"""Registry imports: versioned snapshots per village and period, diffs, idempotency."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dividends.imports import import_registry
from dividends.store.models import Household, RegistryChange, RegistrySnapshot
from tests.dbsupport import clean_db, database_url, db  # noqa: F401
from tests.dividends.support import sample_files

pytestmark = pytest.mark.db


async def test_importing_the_same_files_twice_creates_one_version(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = sample_files(tmp_path, households=80, villages=2)
    first = await import_registry(files.households, period=2024, actor="a", members=files.members, posts=files.posts,
                                  reference_date=date(2025, 1, 1))
    assert [(v.village, v.version, v.added, v.unchanged) for v in first.villages] == [
        ("V0001", 1, 40, False), ("V0002", 1, 40, False)]
    again = await import_registry(files.households, period=2024, actor="a", members=files.members, posts=files.posts,
                                  reference_date=date(2025, 1, 1))
    assert again.import_id is None and all(v.unchanged for v in again.villages)
    assert await RegistrySnapshot.all().count() == 2
    assert await Household.all().count() == 80


async def test_a_new_version_records_added_removed_and_changed_households(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = sample_files(tmp_path, households=10, villages=1)
    await import_registry(files.households, period=2024, actor="a", reference_date=date(2025, 1, 1))
    lines = files.households.read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    columns = header.split(",")
    changed = rows[0].split(",")
    changed[columns.index("members")] = str(int(changed[columns.index("members")]) + 1)
    changed[columns.index("able_members")] = "0"
    added = rows[1].replace("V0001-00002", "V0001-00099").split(",")
    added[columns.index("id_number")] = "11010519491231002X"
    new = [header, ",".join(changed), *rows[2:], ",".join(added)]  # row 2 (V0001-00002) removed
    path = tmp_path / "v2.csv"
    path.write_text("\n".join(new) + "\n", encoding="utf-8")
    report = await import_registry(path, period=2024, actor="a", reference_date=date(2025, 1, 1))
    v = report.villages[0]
    assert (v.version, v.added, v.removed, v.changed) == (2, 1, 1, 1)
    changes = {c.household_id: (c.change, c.fields_changed) for c in await RegistryChange.all()}
    assert changes["V0001-00099"][0] == "added" and changes["V0001-00002"][0] == "removed"
    kind, fields = changes["V0001-00001"]
    assert kind == "changed" and set(fields) == {"members", "able_members"}
