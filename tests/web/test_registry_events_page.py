"""The registry import page takes an events file; the report and the version's page list the
events added and removed; the events template is offered."""
from __future__ import annotations

import pytest

from dividends.store.models import RegistrySnapshot
from tests.web.flows import registry_files, upload
from tests.web.support import browser

pytestmark = pytest.mark.db


def _events(rows: list[str]) -> tuple[str, bytes, str]:
    return ("变动.csv", ("户编号,变动类型,变动日期,成员姓名,原类别\n" + "".join(f"{r}\n" for r in rows)).encode("utf-8"),
            "text/csv")


async def test_events_are_imported_and_the_version_page_shows_what_changed(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    ids = [line.split(",")[0] for line in reg.households.read_text(encoding="utf-8").splitlines()[1:]]
    async with browser(app, "acc1") as acc:
        form = await acc.get("/villages/V0001/registry")
        assert 'name="events"' in form.text and "kind=events" in form.text
        template = await acc.get("/villages/V0001/registry/template?kind=events")
        assert template.status_code == 200 and template.content.decode("utf-8-sig").startswith("户编号,变动类型,变动日期")
        first = await acc.post("/villages/V0001/registry", {"period": "2024"},
                               files={**upload(reg), "events": _events([f"{ids[0]},死亡,2024-05-10,王伟,"])})
        assert first.status_code == 200, first.text[-2000:]
        assert "人口与户类别变动" in first.text and f"{ids[0]} 2024-05-10 死亡（成员 王伟）" in first.text
        bad = await acc.post("/villages/V0001/registry", {"period": "2024"},
                             files={**upload(reg), "events": _events([f"{ids[0]},死亡,2023-05-10,王伟,"])})
        assert bad.status_code == 400 and "变动.csv" in bad.text and "第 2 行" in bad.text and "2024 年内" in bad.text
        second = await acc.post("/villages/V0001/registry", {"period": "2024"},
                                files={**upload(reg), "events": _events([f"{ids[1]},类别变更,2024-03-01,,贫困户"])})
        assert second.status_code == 200 and "第 2 版" in second.text, second.text[-2000:]
        v2 = await RegistrySnapshot.get(version=2)
        page = await acc.get(f"/villages/V0001/registry/{v2.id}?lang=en")
        assert page.status_code == 200
        assert "1 events in this version: 1 added, 1 removed" in page.text and "compared with version 1" in page.text
        assert f"+ {ids[1]} status changed on 2024-03-01 (before: registered poor)" in page.text
        assert f"− {ids[0]} died on 2024-05-10 (member 王伟)" in page.text


async def test_a_script_imports_events_through_the_api(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.people import person

    token = (await person("script1", "accountant", village="V0001", county="C1", token=True)).token
    reg = registry_files(tmp_path)
    ids = [line.split(",")[0] for line in reg.households.read_text(encoding="utf-8").splitlines()[1:]]
    async with browser(app) as b:
        headers = {"authorization": f"Bearer {token}"}
        imported = await b.client.post("/api/v1/villages/V0001/registry", headers=headers, data={"period": "2024"},
                                       files={"households": ("h.csv", reg.households.read_bytes(), "text/csv"),
                                              "events": _events([f"{ids[0]},迁出,2024-08-01,,", f"{ids[1]},新增,2024-02-01,张三,"])})
        assert imported.status_code == 201, imported.text
        body = imported.json()
        assert (body["version"], body["events"], body["events_added"], body["events_removed"]) == (1, 2, 2, 0)


async def test_the_run_page_says_how_many_dated_events_the_run_read(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import date
    from pathlib import Path

    from dividends import runs
    from dividends.imports import import_registry
    from tests.dividends.support import sample_files
    from tests.dividends.test_registry_events import MONTHS, events_file

    reg = sample_files(Path(tmp_path) / "reg", households=12, villages=1, seed=3)
    ids = [line.split(",")[0] for line in reg.households.read_text(encoding="utf-8").splitlines()[1:]]
    events = events_file(Path(tmp_path), [f"{ids[0]},死亡,2024-05-10,王伟,", f"{ids[1]},迁出,2024-08-01,,"])
    await import_registry(reg.households, period=2024, actor="acc1", posts=reg.posts, members=reg.members,
                          reference_date=date(2025, 1, 1), events=events)
    prorated = await runs.create_run("V0001", 2024, MONTHS, "acc1", amount_yuan="100000", asset="pv")
    plain = await runs.create_run("V0001", 2024, "golden-chicken", "acc1", amount_yuan="1000", asset="kiwi")
    async with browser(app, "acc1") as acc:
        draft = (await acc.get(f"/runs/{prorated.id}?lang=en")).text
        assert 'id="events-read"' not in draft  # nothing read before the computation
        await runs.compute_run(prorated.id, "acc1", clock)
        await runs.compute_run(plain.id, "acc1", clock)
        en = (await acc.get(f"/runs/{prorated.id}?lang=en")).text
        assert '<p id="events-read">2 dated events read (inputs/events.csv)</p>' in en, en[-3000:]
        zh = (await acc.get(f"/runs/{prorated.id}?lang=zh")).text
        assert '<p id="events-read">读取了 2 条带日期的人口变动（inputs/events.csv）</p>' in zh
        assert 'id="events-read"' not in (await acc.get(f"/runs/{plain.id}?lang=en")).text
