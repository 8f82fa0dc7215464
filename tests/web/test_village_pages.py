"""A village's pages from registry import to a closed run, and the auditor's verification."""
from __future__ import annotations

import pytest

from dividends.store.models import AuditEvent, Objection, Run
from tests.web.flows import (
    RESOLUTION, approved, bank_result_csv, computed, import_and_create, publicized, registry_files, upload,
)
from tests.web.support import browser

pytestmark = pytest.mark.db


async def test_registry_import_shows_the_report_and_then_the_diff(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path / "a")
    async with browser(app, "acc1") as acc:
        first = await acc.post("/villages/V0001/registry", {"period": "2024"}, files=upload(reg))
        assert first.status_code == 200 and "第 1 版" in first.text and "12 户" in first.text
        changed = tmp_path / "b"
        changed.mkdir()
        text = reg.households.read_text(encoding="utf-8").splitlines()
        header, rows = text[0], text[1:]
        fields = rows[0].split(",")
        fields[6] = str(int(fields[6]) + 0)
        fields[4] = "13900000000"
        rows = [",".join(fields)] + rows[1:-1]
        (changed / "households.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
        members = [line for line in reg.members.read_text(encoding="utf-8").splitlines()
                   if not line.startswith(text[-1].split(",")[0])]
        (changed / "members.csv").write_text("\n".join(members) + "\n", encoding="utf-8")
        second = await acc.post("/villages/V0001/registry", {"period": "2024"}, files={
            "households": ("households.csv", (changed / "households.csv").read_bytes(), "text/csv"),
            "members": ("members.csv", (changed / "members.csv").read_bytes(), "text/csv")})
        assert second.status_code == 200, second.text[-1500:]
        assert "第 2 版" in second.text and "减少" in second.text and "13900000000" in second.text


async def test_a_bad_registry_shows_every_located_problem_in_the_page(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "households.csv"
    bad.write_text("household_id,village_id,head_name,id_number,phone,members,able_members,status,shares,capital_yuan,"
                   "account_no,bank,language\nV0001-00001,V0001,张三,123,abc,x,1,rich,0,0,1,中国银行,zh\n", encoding="utf-8")
    async with browser(app, "acc1") as acc:
        response = await acc.post("/villages/V0001/registry", {"period": "2024"},
                                  files={"households": ("households.csv", bad.read_bytes(), "text/csv")})
    assert response.status_code == 400
    assert "第 2 行" in response.text and "problems" in response.text


async def test_a_registry_of_another_village_is_refused_whole(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path, households=20, villages=2)
    async with browser(app, "acc1") as acc:
        response = await acc.post("/villages/V0001/registry", {"period": "2024"}, files=upload(reg))
    assert response.status_code == 400 and "V0002" in response.text
    assert not await AuditEvent.filter(action="registry.import").exists()


async def test_scheme_choice_shows_descriptions_and_a_preview_on_the_village(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc:
        await acc.post("/villages/V0001/registry", {"period": "2024"}, files=upload(reg))
        await acc.post("/villages/V0001/returns", {"period": "2024", "amount": "50000"})
        choices = await acc.get("/villages/V0001/runs/new?period=2024")
        assert choices.status_code == 200 and "光伏扶贫电站收益分配" in choices.text
        preview = await acc.get("/villages/V0001/runs/new?period=2024&scheme=shareholding")
        assert preview.status_code == 200 and "预览" in preview.text and "50,000.00" in preview.text
    assert await Run.all().count() == 0  # a preview stores nothing


async def test_an_accountant_takes_a_run_from_import_to_closed(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc, browser(app, "com1") as com:
        run_id = await publicized(acc, reg)
        page = await acc.get(f"/runs/{run_id}")
        assert page.status_code == 200 and "公示中" in page.text
        lines = await acc.get(f"/runs/{run_id}/lines?q=V0001-0000")
        assert lines.status_code == 200 and "V0001-00002" in lines.text
        notice = await acc.get(f"/runs/{run_id}/notice")
        assert notice.status_code == 200 and "公示" in notice.text
        assert "sha256-" in notice.headers["content-security-policy"]
        objected = await acc.post(f"/runs/{run_id}/objections", {"household_id": "V0001-00002", "text": "人口数不对"})
        assert objected.status_code == 303
        clock.advance(days=7)
        blocked = await com.post(f"/runs/{run_id}/approve", RESOLUTION)
        assert blocked.status_code == 409 and "异议" in blocked.text
        objection = await Objection.get(run_id=run_id)
        resolved = await com.post(f"/runs/{run_id}/objections/{objection.id}/resolve", {"resolution": "已核实"})
        assert resolved.status_code == 303
        assert (await com.post(f"/runs/{run_id}/approve", RESOLUTION)).status_code == 303
        paid = await acc.post(f"/runs/{run_id}/pay", {"bank_format": "generic"})
        assert paid.status_code == 303
        csv = await acc.get(f"/runs/{run_id}/batches/1.csv")
        assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")
        assert "attachment" in csv.headers["content-disposition"]
        xlsx = await acc.get(f"/runs/{run_id}/batches/1.xlsx")
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
        result = await acc.post(f"/runs/{run_id}/bank-result", files={
            "result": ("result.csv", bank_result_csv(csv.content), "text/csv")})
        assert result.status_code == 303, result.text[-1500:]
        closed = await acc.post(f"/runs/{run_id}/close")
        assert closed.status_code == 303
    assert (await Run.get(id=run_id)).state == "closed"
    actions = await AuditEvent.filter(object_type="run", object_id=str(run_id)).values_list("action", flat=True)
    assert actions == ["run.create", "run.compute", "run.publicize", "run.approve", "run.pay", "run.bank_result", "run.close"]
    async with browser(app, "aud1") as aud:
        verified = await aud.get("/county/villages/V0001/verify")
        assert verified.status_code == 200 and 'data-ok="true"' in verified.text
        overview = await aud.get("/county")
        assert overview.status_code == 200 and "<svg" in overview.text and "东村" in overview.text


async def test_the_preparer_cannot_approve_their_own_run(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A committee member who prepared the run (here: created it through the API as a
    script would) is refused; the page says why."""
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc:
        run_id = await publicized(acc, reg)
    await Run.filter(id=run_id).update(prepared_by="com1")
    clock.advance(days=7)
    async with browser(app, "com1") as com:
        refused = await com.post(f"/runs/{run_id}/approve", RESOLUTION)
    assert refused.status_code == 409 and "不能由本人审批" in refused.text


async def test_approval_waits_for_the_end_of_the_notice_period(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc, browser(app, "com1") as com:
        run_id = await publicized(acc, reg)
        early = await com.post(f"/runs/{run_id}/approve", RESOLUTION)
    assert early.status_code == 409 and "公示期到 2025-01-12 结束" in early.text


async def test_a_cancelled_run_shows_as_cancelled(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc:
        run_id = await computed(acc, reg)
        assert (await acc.post(f"/runs/{run_id}/cancel", {"reason": "名册有误"})).status_code == 303
        page = await acc.get(f"/runs/{run_id}")
    assert "已撤销" in page.text


async def test_auditor_pages_list_runs_anomalies_and_scheme_versions(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc, browser(app, "com1") as com:
        await approved(acc, com, clock, reg)
    async with browser(app, "aud1") as aud:
        runs = await aud.get("/county/runs")
        assert runs.status_code == 200 and "已审批" in runs.text
        filtered = await aud.get("/county/runs?state=paid")
        assert filtered.status_code == 200
        anomalies = await aud.get("/county/anomalies")
        assert anomalies.status_code == 200 and "结转" in anomalies.text
        schemes = await aud.get("/county/schemes")
        assert schemes.status_code == 200 and "shareholding" in schemes.text
        diff = await aud.get("/county/schemes/shareholding/diff?a=1&b=1")
        assert diff.status_code == 200
        village = await aud.get("/county/villages/V0001")
        assert village.status_code == 200


async def test_an_english_run_page(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc:
        run_id = await import_and_create(acc, reg)
        page = await acc.get(f"/runs/{run_id}?lang=en")
    assert "Compute the split" in page.text


async def test_an_auditor_downloads_the_audit_pack_and_verifies_it(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import io
    import zipfile

    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc, browser(app, "com1") as com:
        run_id = await approved(acc, com, clock, reg)
    async with browser(app, "aud1") as aud:
        pack = await aud.get(f"/runs/{run_id}/audit-pack")
        assert pack.status_code == 200 and pack.headers["content-type"] == "application/zip"
        ok = await aud.post("/county/verify-pack", files={"pack": ("pack.zip", pack.content, "application/zip")})
        assert ok.status_code == 200 and 'data-ok="true"' in ok.text
        tampered = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(pack.content)) as src, zipfile.ZipFile(tampered, "w") as dst:
            for name in src.namelist():
                data = src.read(name)
                if name == "run/allocation_lines.csv":
                    data = data.replace(b"household", b"houseHOLD", 1)
                dst.writestr(name, data)
        bad = await aud.post("/county/verify-pack", files={"pack": ("pack.zip", tampered.getvalue(), "application/zip")})
        assert bad.status_code == 200 and 'data-ok="false"' in bad.text
        run_check = await aud.get(f"/runs/{run_id}/verify")
        assert 'data-ok="true"' in run_check.text
