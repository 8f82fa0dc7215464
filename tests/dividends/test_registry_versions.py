"""Registry versions remember what their files lacked and the column mapping they were read
with; a run refuses a scheme that needs a column the version never had; a households file given
alone keeps the rosters; an import no run uses can be withdrawn (recorded, not deleted)."""
from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from dividends import runs
from dividends.actors import Actor, Place
from dividends.clock import FixedClock
from dividends.compute import compute
from dividends.imports import import_registry, withdraw_import
from dividends.policy import allow
from dividends.refusals import Forbidden, NotAllowed
from dividends.registry.mapping import ColumnMapping
from dividends.store import registry as store
from dividends.store.models import AuditEvent, County, RegistryImport, RegistrySnapshot, Run, Village
from dividends.usecases import registry as registry_cases
from schemes.problems import InputError
from tests.people import Person, person
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.support import sample_files
from tests.dividends.test_registry_needs import households

pytestmark = pytest.mark.db
REFERENCE = date(2025, 6, 30)
WHEN = datetime(2025, 7, 1, 8, 0, tzinfo=UTC)


async def _import(path: Path, **kw: object):  # type: ignore[no-untyped-def]
    return await import_registry(path, period=2025, actor="acc", reference_date=REFERENCE, **kw)  # type: ignore[arg-type]


async def test_a_run_refuses_a_scheme_that_needs_a_column_the_version_lacked(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report = await _import(households(tmp_path))  # shares under 股份数目: absent, every household reads 0
    [warning] = report.warnings
    assert warning.msg.key == "registry.unknown_headers" and "股份数目" in warning.msg.text("en")
    snapshot = await RegistrySnapshot.get(village__code="V1")
    assert "shares" in snapshot.facts["absent"]["households"]
    assert snapshot.facts["unknown"]["households"] == ["股份数目 (→ 股数 shares?)"]
    with pytest.raises(InputError) as caught:
        await runs.create_run("V1", 2025, "shareholding", "acc", amount_yuan="1000")
    [problem] = caught.value.problems
    assert problem.msg.key == "needs.missing_column" and problem.msg.params["column"] == "shares"
    text = problem.msg.text("en")
    assert "股份数目 (→ 股数 shares?)" in text and all(step in text for step in problem.msg.params["step"])
    assert not await Run.all().exists()  # nothing was created
    # a scheme that reads no shares runs on the same version
    run = await runs.create_run("V1", 2025, "golden-chicken", "acc", amount_yuan="1000")
    assert run.state == "draft"


async def test_computing_from_a_stored_version_checks_the_stored_facts(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The stored canonical files have every column (a missing 股数 is stored as 0): only the
    facts say it was never there. ``run compute`` and the scheme preview read through here."""
    await _import(households(tmp_path))
    snapshot = await store.latest_snapshot((await Village.get(code="V1")).id, 2025)
    assert snapshot is not None
    work = tmp_path / "w"
    work.mkdir()
    text = runs.resolve_scheme("shareholding").scheme.text
    inputs = await runs.write_inputs(work, text, snapshot, 2025, 100_000, REFERENCE)
    assert inputs.facts is not None and inputs.facts.lacks("households", "shares")
    with pytest.raises(InputError) as caught:
        compute(inputs)
    assert [p.msg.params["column"] for p in caught.value.problems] == ["shares"]
    # the same canonical files without the facts would pay by 0 shares: the facts are what stops it
    from dataclasses import replace
    assert compute(replace(inputs, facts=None)).allocation.lines()["amount_fen"].sum() == 100_000


async def test_a_mapping_is_recorded_with_the_version_and_remembered_for_the_county(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mapping = ColumnMapping((("*", "股份数目", "shares"),))
    first = await _import(households(tmp_path), county="C1", mapping=mapping)
    assert first.warnings == () and any(n.msg.key == "registry.mapping_used" for n in first.notes)
    v1 = await RegistrySnapshot.get(village__code="V1", version=1)
    assert v1.columns == {"*": {"股份数目": "shares"}} and "shares" not in v1.facts["absent"].get("households", [])
    assert (await RegistryImport.get(id=first.import_id)).columns == {"*": {"股份数目": "shares"}}
    assert (await County.get(code="C1")).column_mapping == {"*": {"股份数目": "shares"}}
    # another village of the county, same form, no mapping given: the county's is used
    other = tmp_path / "other"
    other.mkdir()
    path = households(other)
    path.write_text(path.read_text(encoding="utf-8").replace("V1", "V2"), encoding="utf-8")
    second = await _import(path, county="C1")
    assert second.warnings == ()
    run_ready = await runs.create_run("V2", 2025, "shareholding", "acc", amount_yuan="600")
    assert run_ready.state == "draft"
    # a mapping given later is added to the county's; the same header given again wins
    await _import(path, county="C1", mapping=ColumnMapping((("posts", "上岗月份", "months_served"),)))
    assert (await County.get(code="C1")).column_mapping == {"*": {"股份数目": "shares"},
                                                            "posts": {"上岗月份": "months_served"}}
    # a county without a mapping reads the header as unknown
    elsewhere = tmp_path / "c2"
    elsewhere.mkdir()
    path3 = households(elsewhere)
    path3.write_text(path3.read_text(encoding="utf-8").replace("V1", "V3"), encoding="utf-8")
    third = await _import(path3, county="C2")
    assert third.warnings and third.warnings[0].msg.key == "registry.unknown_headers"


async def test_a_households_file_alone_keeps_the_rosters_and_says_so(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = sample_files(tmp_path, households=12, villages=1, seed=3)
    await _import(files.households, posts=files.posts, members=files.members)
    v1 = await RegistrySnapshot.get(version=1)
    # the corrected households file, one household removed
    lines = files.households.read_text(encoding="utf-8").splitlines()
    removed = lines[1].split(",")[0]
    fixed = tmp_path / "fixed.csv"
    fixed.write_text("\n".join([lines[0], *lines[2:]]) + "\n", encoding="utf-8")
    report = await _import(fixed)
    v2 = await RegistrySnapshot.get(version=2)
    assert v2.households == v1.households - 1
    kept = {n.msg.params["what"].key: n for n in report.notes if n.msg.key == "registry.kept_roster"}
    assert set(kept) == {"registry.roster.posts", "registry.roster.members"}
    assert "version 1 is kept" in kept["registry.roster.members"].msg.text("en")
    assert "沿用第 1 版" in kept["registry.roster.members"].msg.text("zh")
    assert v2.facts["kept"] == {"members": 1, "posts": 1}
    assert v2.members_file is not None and v2.posts_file is not None
    from dividends.store.files import get_file
    import io
    members = pl.read_csv(io.BytesIO(await get_file(v2.members_file)), infer_schema=False)
    old_members = pl.read_csv(io.BytesIO(await get_file(v1.members_file)), infer_schema=False)
    assert removed not in members["household_id"].to_list()
    assert members.height == old_members.filter(pl.col("household_id") != removed).height
    # a roster given replaces the kept one, and nothing is said about keeping
    again = await _import(fixed, posts=files.posts, members=files.members, exclude_invalid=True)
    assert not any(n.msg.key == "registry.kept_roster" for n in again.notes)


async def test_a_kept_roster_that_contradicts_the_new_households_is_an_error(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = sample_files(tmp_path, households=6, villages=1, seed=3)
    await _import(files.households, members=files.members)
    frame = pl.read_csv(files.households, infer_schema=False)
    frame = frame.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("9")).otherwise(pl.col("members"))
                               .alias("members"))
    changed = tmp_path / "more-members.csv"
    frame.write_csv(changed)
    with pytest.raises(InputError) as caught:
        await _import(changed)
    [problem] = caught.value.problems  # named by the kept roster's file, which the report explains
    assert problem.file == "more-members.csv" and "members file members-v1.csv has" in problem.msg.text("en")
    assert await RegistrySnapshot.all().count() == 1


async def test_an_import_no_run_uses_can_be_withdrawn_and_is_kept(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = sample_files(tmp_path, households=8, villages=1, seed=3)
    first = await _import(files.households, posts=files.posts, members=files.members)
    lines = files.households.read_text(encoding="utf-8").splitlines()
    fixed = tmp_path / "fewer.csv"
    fixed.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    second = await _import(fixed)
    village = (await Village.get(code="V0001")).id
    assert (await store.latest_snapshot(village, 2025)).version == 2  # type: ignore[union-attr]
    run = await runs.create_run("V0001", 2025, "golden-chicken", "acc", amount_yuan="5000")
    with pytest.raises(InputError) as caught:
        await withdraw_import(second.import_id, "acc", "wrong file", WHEN)  # type: ignore[arg-type]
    assert caught.value.problems[0].msg.key == "registry.withdraw.used" and f"#{run.id}" in caught.value.problems[0].msg.text("en")
    with pytest.raises(InputError):
        await withdraw_import(second.import_id, "acc", "  ", WHEN)  # type: ignore[arg-type]
    await runs.cancel(run.id, "acc", "wrong registry", FixedClock(WHEN))
    done = await withdraw_import(second.import_id, "acc", "wrong file", WHEN)  # type: ignore[arg-type]
    assert done.changed and done.villages == ("V0001",)
    record = await RegistryImport.get(id=second.import_id)
    assert (record.withdrawn_by, record.withdrawn_reason) == ("acc", "wrong file") and record.withdrawn_at
    assert await RegistrySnapshot.filter(registry_import_id=second.import_id).count() == 1  # kept
    assert (await store.latest_snapshot(village, 2025)).version == 1  # type: ignore[union-attr]
    assert await AuditEvent.filter(action="registry.withdraw", object_id=str(second.import_id)).count() == 1
    assert not (await withdraw_import(second.import_id, "acc", "again", WHEN)).changed  # type: ignore[arg-type]
    # a new run uses version 1 again; a re-import of the withdrawn content is version 3
    assert (await runs.create_run("V0001", 2025, "golden-chicken", "acc")).snapshot.version == 1
    third = await _import(fixed)
    assert third.villages[0].version == 3 and not third.villages[0].unchanged
    assert first.import_id != third.import_id
    with pytest.raises(InputError) as missing:
        await withdraw_import(999_999, "acc", "x", WHEN)
    assert missing.value.problems[0].msg.key == "registry.withdraw.unknown"


async def test_withdrawing_is_for_the_village_accountant_only(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = sample_files(tmp_path, households=6, villages=1, seed=3)
    report = await _import(files.households, county="C1")
    village = await Village.get(code="V0001")
    place = Place(village.id, village.county_id, "V0001")  # type: ignore[attr-defined]
    accountant = Actor(1, "acc1", "acc1", "accountant", village_id=village.id, county_id=village.county_id)  # type: ignore[attr-defined]
    other = Actor(2, "acc2", "acc2", "accountant", village_id=village.id + 100, county_id=village.county_id)  # type: ignore[attr-defined]
    committee = Actor(3, "com1", "com1", "committee", village_id=village.id, county_id=village.county_id)  # type: ignore[attr-defined]
    allow(accountant, "registry.withdraw", place)
    with pytest.raises(NotAllowed):
        await registry_cases.withdraw(other, report.import_id, "x", FixedClock(WHEN))  # type: ignore[arg-type]
    with pytest.raises(NotAllowed):
        await registry_cases.withdraw(accountant, 424242, "x", FixedClock(WHEN))
    with pytest.raises(Forbidden):
        await registry_cases.withdraw(committee, report.import_id, "x", FixedClock(WHEN))  # type: ignore[arg-type]
    done = await registry_cases.withdraw(accountant, report.import_id, "duplicate", FixedClock(WHEN))  # type: ignore[arg-type]
    assert done.changed
    assert (await RegistryImport.get(id=report.import_id)).withdrawn_by == "acc1"


def _cli(url: str, *args: str | Path, who: Person):  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys
    env = {**os.environ, "DATABASE_URL": url, "DIVIDENDS_LANG": "en", "COLUMNS": "200", **who.env}
    return subprocess.run([sys.executable, "-m", "dividends", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=180, cwd=Path(__file__).resolve().parents[2])


async def test_the_command_line_remembers_the_mapping_and_withdraws(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    acc1 = await person("acc1", "accountant", village="V1", county="C1", token=True)
    acc2 = await person("acc2", "accountant", village="V2", county="C1", token=True)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("股份数目: shares\n", encoding="utf-8")
    first = _cli(clean_db, "import", "registry", "--registry", households(tmp_path), "--period", "2025",
                 "--columns", mapping, who=acc1)
    assert first.returncode == 0, first.stderr
    assert "股份数目 → shares" in first.stderr and "import number 1" in first.stdout
    other = tmp_path / "v2"
    other.mkdir()
    path = households(other)
    path.write_text(path.read_text(encoding="utf-8").replace("V1", "V2"), encoding="utf-8")
    # the county's mapping is remembered: V2's accountant gives none and the header is known
    second = _cli(clean_db, "import", "registry", "--registry", path, "--period", "2025", who=acc2)
    assert second.returncode == 0 and "not recognised" not in second.stderr, second.stderr
    refused = _cli(clean_db, "import", "withdraw", "2", "--reason", " ", who=acc2)
    assert refused.returncode != 0 and "say why" in refused.stdout + refused.stderr
    foreign = _cli(clean_db, "import", "withdraw", "2", "--reason", "not mine", who=acc1)
    assert foreign.returncode == 5, foreign.stdout + foreign.stderr  # another village's import does not exist for acc1
    done = _cli(clean_db, "import", "withdraw", "2", "--reason", "wrong village", who=acc2)
    assert done.returncode == 0 and "import 2 withdrawn (V2)" in done.stdout, done.stdout + done.stderr
    assert (await RegistryImport.get(id=2)).withdrawn_reason == "wrong village"


async def test_an_import_of_several_villages_is_withdrawn_by_an_administrator(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = sample_files(tmp_path, households=8, villages=2, seed=3)
    report = await _import(files.households, county="C1")
    v1 = await Village.get(code="V0001")
    accountant = Actor(1, "acc1", "acc1", "accountant", village_id=v1.id, county_id=v1.county_id)  # type: ignore[attr-defined]
    admin = Actor(4, "adm1", "adm1", "admin", county_id=v1.county_id)  # type: ignore[attr-defined]
    with pytest.raises(InputError) as caught:
        await registry_cases.withdraw(accountant, report.import_id, "x", FixedClock(WHEN))  # type: ignore[arg-type]
    assert caught.value.problems[0].msg.key == "registry.withdraw.other_villages"
    assert "V0002" in caught.value.problems[0].msg.text("en")
    done = await registry_cases.withdraw(admin, report.import_id, "two villages in one file", FixedClock(WHEN))  # type: ignore[arg-type]
    assert done.changed and done.villages == ("V0001", "V0002")


async def test_the_same_households_file_alone_after_a_full_import_changes_nothing(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = sample_files(tmp_path, households=8, villages=1, seed=3)
    await _import(files.households, posts=files.posts, members=files.members)
    again = await _import(files.households)
    assert again.import_id is None and again.villages[0].unchanged and again.villages[0].version == 1
    assert await RegistrySnapshot.all().count() == 1


async def test_a_scheme_paying_posts_is_refused_at_creation_on_a_version_without_a_posts_roster(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = sample_files(tmp_path, households=8, villages=1, seed=3)
    await _import(files.households, members=files.members)
    with pytest.raises(InputError) as caught:
        await runs.create_run("V0001", 2025, "photovoltaic", "acc", amount_yuan="5000")
    assert [p.msg.key for p in caught.value.problems] == ["compute.needs_posts"]
    assert "posts roster, and none was given" in caught.value.problems[0].msg.text("en")
    assert not await Run.all().exists()
    assert (await runs.create_run("V0001", 2025, "golden-chicken", "acc", amount_yuan="5000")).state == "draft"
