"""A form sent with a mistake comes back as the same page: the values kept, each problem beside
its field in the page's language, never a command-line option, never the generic error page."""
from __future__ import annotations

import html as htmllib
import re

import pytest

from tests.web.flows import RESOLUTION, computed, publicized, registry_files
from tests.web.support import browser

pytestmark = pytest.mark.db

BASE = "http://testserver"


def field_error(html: str, control_id: str) -> str:
    """The message shown right after the control ``control_id`` ("" when there is none)."""
    match = re.search(r'id="' + re.escape(control_id) + r'"[^>]*aria-invalid="true"[^>]*>(?:.*?</(?:select|textarea)>)?'
                      r'<span class="field-error" id="' + re.escape(control_id) + r'-error">([^<]*)</span>', html, re.S)
    return htmllib.unescape(match.group(1)) if match else ""


def value_of(html: str, control_id: str) -> str:
    tag = re.search(r'<input\b[^>]*\bid="' + re.escape(control_id) + r'"[^>]*>', html)
    assert tag, control_id
    found = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return found.group(1) if found else ""


async def test_a_wrong_amount_keeps_the_returns_form_and_says_so_beside_the_field(app) -> None:  # type: ignore[no-untyped-def]
    async with browser(app, "acc1") as acc:
        page = f"{BASE}/villages/V0001/returns"
        response = await acc.post("/villages/V0001/returns", {"period": "2024", "amount": "12,5x", "asset": "光伏电站",
                                                              "note": "第二笔"}, headers={"referer": page})
    assert response.status_code == 400
    html = response.text
    assert "出错了" not in html and 'role="alert"' in html
    assert field_error(html, "amount"), html[html.find("<main"):][:3000]
    assert value_of(html, "amount") == "12,5x" and value_of(html, "asset") == "光伏电站" and value_of(html, "note") == "第二笔"
    assert "--" not in field_error(html, "amount") and 'href="#amount"' in html


async def test_a_form_field_s_name_is_shown_as_its_label_in_the_page_language(app) -> None:  # type: ignore[no-untyped-def]
    async with browser(app, "acc1") as acc:
        page = f"{BASE}/villages/V0001/returns"
        zh = await acc.post("/villages/V0001/returns", {"period": "20x4", "amount": "10"}, headers={"referer": page})
        await acc.get("/villages/V0001/returns?lang=en")
        en = await acc.post("/villages/V0001/returns", {"period": "20x4", "amount": "10"}, headers={"referer": page})
    assert field_error(zh.text, "period") == "“年度”应为整数，实际为“20x4”"
    assert field_error(en.text, "period") == "'Period' must be a whole number, found '20x4'"
    assert value_of(en.text, "period") == "20x4" and value_of(en.text, "amount") == "10"


async def test_without_a_page_to_return_to_the_error_page_still_lists_the_problem(app) -> None:  # type: ignore[no-untyped-def]
    async with browser(app, "acc1") as acc:
        response = await acc.post("/villages/V0001/returns", {"period": "2024", "amount": "abc"})
    assert response.status_code == 400 and "出错了" in response.text and "abc" in response.text


async def _send(b, url: str, page: str, data: dict[str, str], files: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
    return await b.post(url, data, files=files, headers={"referer": BASE + page})


async def test_every_run_form_comes_back_kept_with_its_problem(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc, browser(app, "com1") as com:
        created = await _send(acc, "/villages/V0001/runs", "/villages/V0001/runs/new?period=2024",
                              {"period": "2024", "scheme": "nonesuch"})
        assert created.status_code == 400 and 'role="alert"' in created.text and "出错了" not in created.text
        run_id = await computed(acc, reg)
        page = f"/runs/{run_id}"
        notice = await _send(acc, f"{page}/publicize", page, {"start": "2025-01-06", "end": "2025-1-12"})
        assert notice.status_code == 400 and field_error(notice.text, "end"), notice.text[-3000:]
        assert value_of(notice.text, "end") == "2025-1-12" and value_of(notice.text, "start") == "2025-01-06"
        assert (await acc.post(f"{page}/publicize", {"start": "2025-01-06", "end": "2025-01-12"})).status_code == 303
        objection = await _send(acc, f"{page}/objections", page, {"household_id": "", "text": "人口数不对"})
        assert objection.status_code == 400 and field_error(objection.text, "household_id")
        assert "人口数不对</textarea>" in objection.text
        clock.advance(days=7)
        approve = await _send(com, f"{page}/approve", page, {**RESOLUTION, "present": "二十一"})
        assert approve.status_code == 400 and field_error(approve.text, "present") and value_of(approve.text, "entitled") == "30"
        assert "“出席人数”" in field_error(approve.text, "present") or "present" not in field_error(approve.text, "present")
        assert (await com.post(f"{page}/approve", RESOLUTION)).status_code == 303
        assert (await acc.post(f"{page}/pay", {"bank_format": "generic"})).status_code == 303
        bad = "户编号,状态,失败原因\nV0001-99999,成功,\n,飞了,\n".encode("utf-8-sig")
        result = await _send(acc, f"{page}/bank-result", page, {}, files={"result": ("工行回执 3月.csv", bad, "text/csv")})
        assert result.status_code == 400, result.text[-2000:]
        summary = result.text[result.text.find('id="problems"'):][:4000]
        assert "工行回执_3月.csv" in summary or "工行回执 3月.csv" in summary, summary
        assert "/tmp" not in summary and "upload-" not in summary
        form = re.search(r'<form method="post" action="/problems.xlsx".*?</form>', summary, re.S)
        assert form, summary
        fields = {m.group(1): htmllib.unescape(m.group(2)) for m in re.finditer(r'name="([^"]+)" value="([^"]*)"', form.group(0))}
        download = await acc.post("/problems.xlsx", {"file": fields["file"], "problems": fields["problems"]})
        assert download.status_code == 200 and download.content[:2] == b"PK"
        assert "%E5%B7%A5%E8%A1%8C" in download.headers["content-disposition"]  # 工行: the file's own name
        import io

        import openpyxl
        sheet = openpyxl.load_workbook(io.BytesIO(download.content)).active
        rows = [[c.value for c in r] for r in sheet.iter_rows()]
        assert rows[0] == ["文件", "行", "列", "问题"] and len(rows) >= 2 and all(r[3] for r in rows[1:])


async def test_the_users_form_never_names_a_command_line_option(app) -> None:  # type: ignore[no-untyped-def]
    async with browser(app, "adm1") as adm:
        response = await _send(adm, "/admin/users", "/admin/users", {"username": "new1", "display_name": "新会计",
                                                                   "password": "a-long-password-1", "role": "accountant",
                                                                   "village": "", "county": "C1"})
    assert response.status_code == 400
    shown = re.sub(r"<[^>]*>", " ", response.text[response.text.find('id="problems"'):])[:2000]  # words a user reads, not tokens in attributes
    assert "--" not in shown, shown
    assert field_error(response.text, "village") and value_of(response.text, "username") == "new1"
    assert 'name="password"' in response.text and "a-long-password-1" not in response.text


async def test_a_nul_character_or_an_over_long_text_is_refused_naming_the_field_never_a_500(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL stores no NUL character (a 500 there before); an over-long text was cut silently
    on the pages while the API refused it: both are the field's own message now, on both databases."""
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc:
        run_id = await publicized(acc, reg)
        page = f"/runs/{run_id}"
        nul = await _send(acc, f"{page}/objections", page, {"household_id": "V0001-00001", "text": "人口\x00不对"})
        assert nul.status_code == 400 and field_error(nul.text, "text") == "“内容”含有无法保存的空字符（NUL，\\0），请删除后重新提交"
        long = await _send(acc, f"{page}/objections", page, {"household_id": "V0001-00001", "text": "不对" * 1001})
        assert long.status_code == 400 and field_error(long.text, "text") == "“内容”最多 2000 个字符"
        asset = await _send(acc, "/villages/V0001/returns", "/villages/V0001/returns",
                            {"period": "2024", "amount": "1", "asset": "光伏\x00"})
        assert asset.status_code == 400 and "空字符" in field_error(asset.text, "asset")
        token = await acc.post("/account/tokens", {"name": "脚本\x00"})
        assert token.status_code == 400
    async with browser(app) as anonymous:
        signed = await anonymous.login("acc1\x00", "x\x00")
        assert signed.status_code == 401 and "出错了" not in signed.text


async def test_a_village_keeps_its_name_and_each_field_within_its_column(app) -> None:  # type: ignore[no-untyped-def]
    from dividends.store.models import Village

    async with browser(app, "adm1") as adm:
        page = "/admin/villages"
        long = await _send(adm, "/admin/villages/V0001", page, {"name": "东" * 129, "contact_phone": "0539-1234567"})
        assert long.status_code == 400, long.text[-2000:]
        assert "最多 128 个字符" in long.text and "Traceback" not in long.text
        phone = await _send(adm, "/admin/villages/V0001", page, {"name": "东村", "contact_phone": "1" * 33})
        assert phone.status_code == 400 and "最多 32 个字符" in phone.text
        empty = await _send(adm, "/admin/villages/V0001", page, {"name": "  "})
        assert empty.status_code == 400 and "请填写" in empty.text
        kept = await _send(adm, "/admin/villages/V0001", page, {"name": "东村", "contact_name": "王主任"})
        assert kept.status_code == 303
    village = await Village.get(code="V0001")
    assert (village.name, village.contact_phone, village.contact_name) == ("东村", "0539-1234567", "王主任")


async def test_a_csv_upload_holding_a_nul_byte_is_refused_on_its_page_and_a_file_field_s_problem_has_its_label(
        app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A damaged or binary "CSV" (a NUL byte in it) made the table reader fail inside polars (a
    500 of the bank-result import; the reader now refuses it, main 765407c): the page says so.
    A file field's own problem named the field's internal name ("请选择文件：“result”")."""
    from tests.web.flows import approved, bank_result_csv

    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc, browser(app, "com1") as com:
        run_id = await approved(acc, com, clock, reg)
        assert (await acc.post(f"/runs/{run_id}/pay", {"bank_format": "generic"})).status_code == 303
        csv = await acc.get(f"/runs/{run_id}/batches/1.csv")
        damaged = bank_result_csv(csv.content).replace("成功".encode(), "成\x00功".encode(), 1)
        page = f"/runs/{run_id}"
        result = await _send(acc, f"{page}/bank-result", page, {}, files={"result": ("回单.csv", damaged, "text/csv")})
        assert result.status_code == 400 and "应为 CSV 文本文件或 Excel 工作簿" in result.text and "出错了" not in result.text
        missing = await _send(acc, f"{page}/bank-result", page, {})
        assert missing.status_code == 400 and field_error(missing.text, "result") == "请选择文件：“回单文件（CSV 或 XLSX）”"
        fine = await acc.post(f"{page}/bank-result", files={"result": ("回单.csv", bank_result_csv(csv.content), "text/csv")})
        assert fine.status_code == 303
