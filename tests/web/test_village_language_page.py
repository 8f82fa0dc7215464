"""An administrator sets a village's document language on the villages page (issue 12 item 9)."""
from __future__ import annotations

import pytest

from dividends.store.models import Village
from tests.web.support import browser

pytestmark = pytest.mark.db


async def test_the_villages_page_sets_the_language_of_notices_and_texts(app) -> None:  # type: ignore[no-untyped-def]
    assert (await Village.get(code="V0001")).language == "zh"  # Chinese unless set otherwise
    async with browser(app, "adm1") as adm:
        page = await adm.get("/admin/villages")
        assert "公示和短信的语言" in page.text and "中文" in page.text
        saved = await adm.post("/admin/villages/V0001", {"contact_phone": "0539-1234567", "language": "en"})
        assert saved.status_code == 303
        assert (await Village.get(code="V0001")).language == "en"
        refused = await adm.post("/admin/villages/V0001", {"language": "fr"})
        assert refused.status_code == 400
    assert (await Village.get(code="V0001")).language == "en"
