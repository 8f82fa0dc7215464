"""What people of 三资 platforms expect around the work: a to-do list per role on the home
page, every table page exported to Excel, the registry templates linked, the exact SMS text."""
from __future__ import annotations

import io
import re
from urllib.parse import unquote

import openpyxl
import pytest

from tests.web.flows import RESOLUTION, bank_result_csv, publicized, registry_files
from tests.web.support import browser

pytestmark = pytest.mark.db


def todo_of(html: str) -> str:
    start = html.find('id="todo-title"')
    assert start >= 0, "no to-do list on the page"
    return html[start:html.find("</section>", start)]


async def test_each_role_s_home_page_lists_what_waits_for_them(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc, browser(app, "com1") as com, browser(app, "aud1") as aud:
        assert "目前没有待办事项" in todo_of((await acc.get("/villages/V0001")).text)
        run_id = await publicized(acc, reg)
        clock.advance(days=5)  # the notice period (to 2025-01-12) ends within three days
        assert f"第 {run_id} 批：公示将于 2025-01-12 结束" in todo_of((await acc.get("/villages/V0001")).text)
        assert "目前没有待办事项" in todo_of((await com.get("/villages/V0001")).text)
        clock.advance(days=2)
        waiting = todo_of((await com.get("/villages/V0001")).text)
        assert "等待审批" in waiting and f'href="/runs/{run_id}#decision"' in waiting
        assert "等待审批" in todo_of((await aud.get("/county")).text)
        assert (await com.post(f"/runs/{run_id}/approve", RESOLUTION)).status_code == 303
        assert (await acc.post(f"/runs/{run_id}/pay", {"bank_format": "generic"})).status_code == 303
        csv = await acc.get(f"/runs/{run_id}/batches/1.csv")
        failed = {"V0001-00002", "V0001-00003"}
        result = await acc.post(f"/runs/{run_id}/bank-result",
                                files={"result": ("result.csv", bank_result_csv(csv.content, failed), "text/csv")})
        assert result.status_code == 303, result.text[-1500:]
        mine = todo_of((await acc.get("/villages/V0001")).text)
        assert "2 户发放失败" in mine and f'href="/runs/{run_id}#bank-failures"' in mine
        assert "2 户发放失败" in todo_of((await aud.get("/county")).text)
    async with browser(app, "acc2") as other:
        assert "发放失败" not in todo_of((await other.get("/villages/V0002")).text)


async def test_a_table_page_exports_every_row_of_all_its_pages_to_excel(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path, households=150)
    async with browser(app, "acc1") as acc:
        run_id = await publicized(acc, reg)
        lines = await acc.get(f"/runs/{run_id}/lines")
        found = re.search(r'href="(/export\.xlsx\?page=[^"]+)"', lines.text)
        assert found and unquote(found.group(1).split("=", 1)[1]) == f"/runs/{run_id}/lines"
        link = found.group(1)
        book = await acc.get(link)
        assert book.status_code == 200 and book.content[:2] == b"PK"
        sheet = openpyxl.load_workbook(io.BytesIO(book.content)).worksheets[0]
        rows = [[c.value for c in r] for r in sheet.iter_rows()]
        ids = {v for r in rows[1:] for v in r if isinstance(v, str) and v.startswith("V0001-")}
        shown: set[str] = set()
        for number in (1, 2, 3, 4):  # the page shows the table 50 lines at a time
            shown |= set(re.findall(r"<td>(V0001-[0-9]{5})</td>", (await acc.get(f"/runs/{run_id}/lines?page={number}")).text))
        assert len(shown) > 50 and ids == shown, (len(ids), len(shown))  # every line of every page
        assert rows[0][0] and not str(rows[0][0]).startswith("V0001-")  # the header row
        numbers = [v for r in rows[1:] for v in r if isinstance(v, (int, float))]
        assert numbers  # amounts are numbers in the sheet, not text
    async with browser(app, "acc2") as other:  # another village's page is not exported to a stranger
        refused = await other.get(link)
        assert refused.status_code == 404


async def test_the_village_page_links_the_registry_template(app) -> None:  # type: ignore[no-untyped-def]
    async with browser(app, "acc1") as acc:
        page = await acc.get("/villages/V0001")
        assert 'href="/villages/V0001/registry/template?kind=workbook"' in page.text
        template = await acc.get("/villages/V0001/registry/template?kind=workbook")
    assert template.status_code == 200 and template.content[:2] == b"PK"


async def test_the_run_page_shows_the_exact_sms_text(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc:
        run_id = await publicized(acc, reg)
        run_page = await acc.get(f"/runs/{run_id}")
        notices = await acc.get(f"/runs/{run_id}/notices")
    start = run_page.text.find('id="sms-preview"')
    assert start >= 0
    shown = re.findall(r'<dd lang="[^"]+" class="sms-text">([^<]+)</dd>', run_page.text)
    assert shown and all(text in notices.text for text in shown)  # the very text the notices page sends
    assert "东村" in shown[0]



async def test_a_computed_run_previews_the_publicity_text_and_an_approved_run_keeps_it(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.web.flows import computed
    texts = re.compile(r'<dd lang="[^"]+" class="sms-text">([^<]+)</dd>')
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc, browser(app, "com1") as com:
        run_id = await computed(acc, reg)
        before = texts.findall((await acc.get(f"/runs/{run_id}")).text)
        assert (await acc.post(f"/runs/{run_id}/publicize", {"start": "2025-01-06", "end": "2025-01-12"})).status_code == 303
        clock.advance(days=7)
        assert (await com.post(f"/runs/{run_id}/approve", RESOLUTION)).status_code == 303
        after = texts.findall((await acc.get(f"/runs/{run_id}")).text)
    assert before and "东村" in before[0]  # before publicizing: the text it will send
    assert after, "an approved run whose publicity texts were never prepared still shows the text"
    assert len(after) == len(before) and after != before  # the same households, now with the real notice end
