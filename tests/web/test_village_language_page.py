"""A village's document language, set by an administrator (villages page) or its accountant
(village home); the printable notice follows it whatever the reader's page language (issue 12
item 9)."""
from __future__ import annotations

import pytest

from dividends.store.models import Village
from tests.web.flows import computed, registry_files
from tests.web.support import browser

pytestmark = pytest.mark.db


async def test_the_villages_page_sets_the_language_of_notices_and_texts(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert (await Village.get(code="V0001")).language == "zh"  # Chinese unless set otherwise
    async with browser(app, "acc1") as acc, browser(app, "adm1") as adm:
        run_id = await computed(acc, registry_files(tmp_path))
        await acc.get("/villages/V0001?lang=en")  # the accountant reads the pages in English
        assert 'lang="zh-CN"' in (await acc.get(f"/runs/{run_id}/notice")).text
        page = await adm.get("/admin/villages")
        assert "公示和短信的语言" in page.text and "中文" in page.text
        saved = await adm.post("/admin/villages/V0001", {"contact_phone": "0539-1234567", "language": "en"})
        assert saved.status_code == 303
        assert (await Village.get(code="V0001")).language == "en"
        refused = await adm.post("/admin/villages/V0001", {"language": "fr"})
        assert refused.status_code == 400
        assert 'lang="en"' in (await acc.get(f"/runs/{run_id}/notice")).text
        assert 'lang="zh-CN"' in (await acc.get(f"/runs/{run_id}/notice?lang=zh")).text  # asked for explicitly
    assert (await Village.get(code="V0001")).language == "en"


async def test_the_accountant_sets_it_on_the_village_home_the_committee_only_reads_it(app) -> None:  # type: ignore[no-untyped-def]
    async with browser(app, "acc1") as acc, browser(app, "com1") as com:
        home = (await acc.get("/villages/V0001")).text
        assert 'action="/villages/V0001/language"' in home
        seen = (await com.get("/villages/V0001")).text
        assert "公示和短信的语言" in seen and 'action="/villages/V0001/language"' not in seen
        assert (await com.post("/villages/V0001/language", {"language": "en"})).status_code == 403
        assert (await acc.post("/villages/V0001/language", {"language": "en"})).status_code == 303
        assert "英文" in (await com.get("/villages/V0001")).text
    assert (await Village.get(code="V0001")).language == "en"
