"""Household and member events with a registry version (issue 10 item 6): imported with the
registry (located problems, zh and en), stored per village as a canonical file, kept like a
roster when not given, a change of the events alone makes a new version, and the version's
diff lists the events added and removed."""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from dividends.imports import import_registry, snapshot_event_changes
from dividends.store.files import get_file
from dividends.store.models import RegistrySnapshot
from schemes.problems import InputError
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.support import SampleFiles, sample_files

pytestmark = pytest.mark.db
REFERENCE = date(2025, 6, 30)
EVENTS_HEADER = "户编号,变动类型,变动日期,成员姓名,原类别\n"


async def _import(path: Path, **kw: object):  # type: ignore[no-untyped-def]
    return await import_registry(path, period=2025, actor="acc", reference_date=REFERENCE, **kw)  # type: ignore[arg-type]


def _ids(files: SampleFiles) -> list[str]:
    return pl.read_csv(files.households, infer_schema=False)["household_id"].to_list()


def events_file(directory: Path, rows: list[str], name: str = "events.csv", encoding: str = "utf-8") -> Path:
    path = directory / name
    path.write_text(EVENTS_HEADER + "".join(f"{r}\n" for r in rows), encoding=encoding)
    return path


async def _events(snapshot: RegistrySnapshot) -> pl.DataFrame:
    assert snapshot.events_file is not None
    return pl.read_csv(io.BytesIO(await get_file(snapshot.events_file)), infer_schema=False)


async def test_events_are_stored_with_the_version_as_a_canonical_file(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = sample_files(tmp_path, households=8, villages=1, seed=3)
    h = _ids(files)
    path = events_file(tmp_path, [f"{h[1]},死亡,2025/5/10,某某,", f"{h[2]},类别变更,2025-03-15,,一般户",
                                  f"{h[0]},新增,2025-02-01,,"], encoding="gbk")
    report = await _import(files.households, members=files.members, events=path)
    [village] = report.villages
    assert (village.events, village.events_added, village.events_removed) == (3, 3, 0)
    snapshot = await RegistrySnapshot.get(version=1)
    stored = await _events(snapshot)
    assert stored.columns == ["household_id", "event", "date", "member", "from_status"]
    assert stored.rows() == sorted([(h[1], "died", "2025-05-10", "某某", None), (h[2], "status_changed", "2025-03-15", None,
                                                                               "non_poor"), (h[0], "joined", "2025-02-01", None, None)])
    # the import record names the file as given
    record = await snapshot.registry_import
    assert record.files["events"]["name"] == "events.csv"


async def test_a_version_without_events_has_none(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = sample_files(tmp_path, households=6, villages=1, seed=3)
    report = await _import(files.households)
    assert report.villages[0].events == 0
    assert (await RegistrySnapshot.get(version=1)).events_file is None
    # a header-only file says "no events": the same version
    again = await _import(files.households, events=events_file(tmp_path, []))
    assert again.villages[0].unchanged and again.import_id is None


async def test_a_bad_events_file_is_refused_with_every_problem_located(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = sample_files(tmp_path, households=6, villages=1, seed=3)
    h = _ids(files)
    path = events_file(tmp_path, [f"{h[0]},搬家,2025-05-10,,", f"{h[1]},死亡,2024-12-31,某某,", f"H-NOT-THERE,迁出,2025-06-01,,",
                                  f"{h[2]},类别变更,2025-03-15,,"], name="变动.csv")
    with pytest.raises(InputError) as caught:
        await _import(files.households, events=path)
    problems = caught.value.problems
    located = sorted((p.file, p.row, p.column, p.msg.key) for p in problems)
    assert located == [("变动.csv", 2, "变动类型", "inputs.need_event"), ("变动.csv", 3, "变动日期", "inputs.need_date"),
                       ("变动.csv", 4, "户编号", "inputs.event_household"), ("变动.csv", 5, "原类别", "inputs.need_status")]
    unknown = next(p for p in problems if p.msg.key == "inputs.event_household")
    assert "H-NOT-THERE is not in the registry file" in unknown.msg.text("en")
    assert "H-NOT-THERE 不在户信息表中" in unknown.msg.text("zh")
    date_problem = next(p for p in problems if p.msg.key == "inputs.need_date")
    assert "within 2025" in date_problem.msg.text("en") and "2025 年内" in date_problem.msg.text("zh")
    assert not await RegistrySnapshot.all().exists()  # nothing stored


async def test_registry_and_events_problems_are_reported_together(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = sample_files(tmp_path, households=6, villages=1, seed=3)
    broken = tmp_path / "broken.csv"
    lines = files.households.read_text(encoding="utf-8").splitlines()
    broken.write_text("\n".join([lines[0], lines[1].replace(",V0001,", ",,"), *lines[2:]]) + "\n", encoding="utf-8")
    path = events_file(tmp_path, [f"{_ids(files)[0]},搬家,2025-05-10,,"])
    with pytest.raises(InputError) as caught:
        await _import(broken, events=path)
    assert {p.file for p in caught.value.problems} == {"broken.csv", "events.csv"}


async def test_a_change_of_the_events_alone_makes_a_new_version_with_its_diff(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = sample_files(tmp_path, households=8, villages=1, seed=3)
    h = _ids(files)
    first = events_file(tmp_path, [f"{h[1]},死亡,2025-05-10,某某,", f"{h[2]},迁出,2025-07-01,,"], name="first.csv")
    await _import(files.households, events=first)
    same = await _import(files.households, events=first)
    assert same.villages[0].unchanged and same.import_id is None
    second = events_file(tmp_path, [f"{h[1]},死亡,2025-05-10,某某,", f"{h[3]},新增,2025-09-01,李四,"], name="second.csv")
    report = await _import(files.households, events=second)
    [village] = report.villages
    assert not village.unchanged and village.version == 2
    assert (village.added, village.removed, village.changed) == (0, 0, 0)  # the households did not change
    assert (village.events, village.events_added, village.events_removed) == (2, 1, 1)
    v2 = await RegistrySnapshot.get(version=2)
    diff = await snapshot_event_changes(v2)
    assert diff.against == 1 and diff.count == 2
    assert [(r["household_id"], r["event"], r["member"]) for r in diff.added] == [(h[3], "joined", "李四")]
    assert [(r["household_id"], r["event"], r["date"]) for r in diff.removed] == [(h[2], "left", "2025-07-01")]
    v1 = await RegistrySnapshot.get(version=1)
    first_diff = await snapshot_event_changes(v1)
    assert first_diff.against is None and len(first_diff.added) == 2 and first_diff.removed == ()
    # removing every event is a change too
    third = await _import(files.households, events=events_file(tmp_path, [], name="none.csv"))
    assert third.villages[0].version == 3 and third.villages[0].events_removed == 2
    assert (await RegistrySnapshot.get(version=3)).events_file is None


async def test_events_not_given_are_kept_for_the_households_still_there(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = sample_files(tmp_path, households=8, villages=1, seed=3)
    h = _ids(files)
    await _import(files.households, events=events_file(tmp_path, [f"{h[0]},死亡,2025-05-10,某某,",
                                                                  f"{h[3]},迁出,2025-07-01,,"]))
    lines = files.households.read_text(encoding="utf-8").splitlines()
    fixed = tmp_path / "fixed.csv"  # the household of the first event is no longer in the file
    fixed.write_text("\n".join([lines[0], *[ln for ln in lines[1:] if not ln.startswith(f"{h[0]},")]]) + "\n",
                     encoding="utf-8")
    report = await _import(fixed)
    [note] = [n for n in report.notes if n.msg.key == "registry.kept_roster"]
    assert note.msg.params["what"].key == "registry.roster.events"
    assert "events list of version 1 is kept (1 rows" in note.msg.text("en") and "沿用第 1 版的变动情况表" in note.msg.text("zh")
    v2 = await RegistrySnapshot.get(version=2)
    assert (await _events(v2))["household_id"].to_list() == [h[3]]
    assert report.villages[0].events_removed == 1
    # kept unchanged: the same households file alone again changes nothing
    again = await _import(fixed)
    assert again.villages[0].unchanged


def _cli(url: str, *args: str | Path, who, lang: str = "en"):  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys
    env = {**os.environ, "DATABASE_URL": url, "DIVIDENDS_LANG": lang, "COLUMNS": "200", **who.env}
    return subprocess.run([sys.executable, "-m", "dividends", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=180, cwd=Path(__file__).resolve().parents[2])


async def test_the_command_line_imports_events_and_lists_what_changed(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.people import person
    acc = await person("acc1", "accountant", village="V0001", county="C1", token=True)
    files = sample_files(tmp_path, households=8, villages=1, seed=3)
    h = _ids(files)
    first = events_file(tmp_path, [f"{h[1]},死亡,2025-05-10,某某,"], name="first.csv")
    done = _cli(clean_db, "import", "registry", "--registry", files.households, "--period", "2025", "--events", first,
                who=acc)
    assert done.returncode == 0, done.stderr
    assert "V0001: 1 events in this version (1 added, 0 removed" in done.stdout
    assert f"+ {h[1]} died on 2025-05-10 (member 某某)" in done.stdout
    second = events_file(tmp_path, [f"{h[2]},类别变更,2025-04-01,,监测户"], name="second.csv")
    done = _cli(clean_db, "import", "registry", "--registry", files.households, "--period", "2025", "--events", second,
                who=acc, lang="zh")
    assert done.returncode == 0, done.stderr
    assert "新增 1 条，删除 1 条" in done.stdout and f"- {h[1]} 2025-05-10 死亡（成员 某某）" in done.stdout
    assert f"+ {h[2]} 2025-04-01 类别变更（原类别：监测户）" in done.stdout
    bad = events_file(tmp_path, [f"{h[2]},类别变更,2025-04-01,,"], name="bad.csv")
    refused = _cli(clean_db, "import", "registry", "--registry", files.households, "--period", "2025", "--events", bad,
                   who=acc)
    assert refused.returncode == 2 and "bad.csv" in refused.stderr and "row 2" in refused.stderr, refused.stderr
    written = _cli(clean_db, "import", "template", "--kind", "events", "--out", tmp_path / "t", who=acc)
    assert written.returncode == 0, written.stderr
    assert (tmp_path / "t" / "events-template.csv").read_bytes().decode("utf-8-sig").startswith("户编号,变动类型,变动日期")
    wrong = _cli(clean_db, "import", "template", "--kind", "events2", "--out", tmp_path / "t", who=acc)
    assert wrong.returncode == 2 and "events2" in wrong.stderr


# ------------------------------------------------------------------------------ runs

MONTHS = str(Path(__file__).resolve().parents[2] / "schemes" / "examples" / "per-person-months.yaml")


def _households(lines: pl.DataFrame) -> dict[str, int]:
    return dict(lines.filter(pl.col("recipient_kind") == "household").select("recipient_id", "amount_fen").rows())


async def test_a_scheme_prorating_by_months_computes_through_a_run_from_the_versions_events(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """create → compute → publicize → approve with ``per-person-months``: the version's events
    are the run's ``events`` input (recorded, in the audit pack, verified offline)."""
    import zipfile
    from datetime import UTC, datetime

    from dividends import runs
    from dividends.auditpack import build_pack, verify_pack
    from dividends.clock import FixedClock
    from tests.dividends.test_runs import RESOLUTION

    clock = FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))
    files = sample_files(tmp_path, households=30, villages=1, seed=3)
    frame = pl.read_csv(files.households, infer_schema=False).with_columns(pl.col("members").cast(pl.Int64))
    eligible = frame.filter(pl.col("status").is_in(["poor", "monitored"]) & (pl.col("members") <= 3)).sort("household_id")
    assert eligible.height >= 2, frame.select("status", "members")
    died, joined = eligible["household_id"][0], eligible["household_id"][1]
    m_died, m_joined = int(eligible["members"][0]), int(eligible["members"][1])
    path = events_file(tmp_path, [f"{died},死亡,2024-05-10,某某,", f"{joined},新增,2024-09-20,,"])
    await import_registry(files.households, period=2024, actor="accountant", members=files.members, posts=files.posts,
                          reference_date=date(2025, 1, 1), events=path)

    run = await runs.create_run("V0001", 2024, MONTHS, "accountant", amount_yuan="100000")
    await runs.compute_run(run.id, "accountant", clock)
    run = await runs.get_run(run.id)
    assert run.state == "computed" and "inputs/events.csv" in run.manifest["inputs"]
    assert await runs.events_read(run) == 2
    lines = _households(await runs.lines_frame(run.id))
    # the dead member counted January to May (stops from the month after): 12 * m + 5 person-months
    assert lines[died] == 500_00 * (12 * m_died + 5) // 12 or lines[died] == -(-500_00 * (12 * m_died + 5) // 12)
    # the household that joined in September counts from October: 3 months of its members
    assert lines[joined] in (500_00 * 3 * m_joined // 12, -(-500_00 * 3 * m_joined // 12))
    others = eligible["household_id"][2:].to_list()
    assert all(lines[h] == 500_00 * m for h, m in zip(others, eligible["members"][2:].to_list()))  # a whole year
    await runs.publicize(run.id, date(2025, 1, 6), date(2025, 1, 12), "accountant", clock)
    clock.advance(days=7)
    outcome = await runs.approve(run.id, "chair", clock, resolution=RESOLUTION)
    assert outcome.run.state == "approved"

    pack = tmp_path / "pack.zip"
    pack.write_bytes(await build_pack(run.id))
    with zipfile.ZipFile(pack) as z:
        names = z.namelist()
    assert any(n.endswith("inputs/events.csv") for n in names), names
    result = verify_pack(pack)
    assert result.ok, [p.text("en") for p in result.problems]


async def test_a_version_without_events_prorates_nothing_and_other_schemes_read_none(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from dividends import runs
    from dividends.clock import FixedClock
    from datetime import UTC, datetime

    clock = FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))
    files = sample_files(tmp_path, households=12, villages=1, seed=3)
    await import_registry(files.households, period=2024, actor="accountant", members=files.members, posts=files.posts,
                          reference_date=date(2025, 1, 1))
    run = await runs.create_run("V0001", 2024, MONTHS, "accountant", amount_yuan="100000", asset="pv")
    await runs.compute_run(run.id, "accountant", clock)
    run = await runs.get_run(run.id)
    assert run.state == "computed" and "inputs/events.csv" in run.manifest["inputs"]  # the header only
    assert await runs.events_read(run) == 0
    frame = pl.read_csv(files.households, infer_schema=False).with_columns(pl.col("members").cast(pl.Int64))
    lines = _households(await runs.lines_frame(run.id))
    for r in frame.filter(pl.col("status").is_in(["poor", "monitored"])).iter_rows(named=True):
        assert lines[r["household_id"]] == min(500_00 * r["members"], 2000_00)
    other = await runs.create_run("V0001", 2024, "golden-chicken", "accountant", amount_yuan="1000", asset="kiwi")
    await runs.compute_run(other.id, "accountant", clock)
    other = await runs.get_run(other.id)
    assert "inputs/events.csv" not in other.manifest["inputs"] and await runs.events_read(other) is None
    draft = await runs.create_run("V0001", 2024, MONTHS, "accountant", amount_yuan="1000", asset="tea")
    assert await runs.events_read(await runs.get_run(draft.id)) is None  # not computed: nothing read yet


async def test_run_show_says_how_many_dated_events_the_run_read(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import re
    from datetime import UTC, datetime

    from dividends import runs
    from dividends.clock import FixedClock
    from tests.people import cli, person

    clock = FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))
    files = sample_files(tmp_path, households=12, villages=1, seed=3)
    h = _ids(files)
    path = events_file(tmp_path, [f"{h[0]},死亡,2024-05-10,某某,", f"{h[1]},迁出,2024-03-01,,",
                                  f"{h[2]},类别变更,2024-07-01,,贫困户"])
    await import_registry(files.households, period=2024, actor="accountant", members=files.members, posts=files.posts,
                          reference_date=date(2025, 1, 1), events=path)
    prorated = await runs.create_run("V0001", 2024, MONTHS, "accountant", amount_yuan="100000", asset="pv")
    await runs.compute_run(prorated.id, "accountant", clock)
    plain = await runs.create_run("V0001", 2024, "golden-chicken", "accountant", amount_yuan="1000", asset="kiwi")
    await runs.compute_run(plain.id, "accountant", clock)
    acc = await person("acc1", "accountant", village="V0001")
    shown = cli(acc, "run", "show", str(prorated.id), env={"DATABASE_URL": clean_db})
    assert shown.returncode == 0, shown.stderr
    assert re.search(r"events\s+│?\s*3 dated events read \(inputs/events\.csv\)", shown.stdout), shown.stdout
    zh = cli(acc, "run", "show", str(prorated.id), env={"DATABASE_URL": clean_db}, lang="zh")
    assert zh.returncode == 0 and "读取了 3 条带日期的人口变动（inputs/events.csv）" in zh.stdout, zh.stdout
    other = cli(acc, "run", "show", str(plain.id), env={"DATABASE_URL": clean_db})
    assert other.returncode == 0 and "dated events" not in other.stdout, other.stdout
