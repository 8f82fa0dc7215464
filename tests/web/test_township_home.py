"""The township's reviewer (乡镇农经站) lands on a page of its own: its villages and the plans
waiting for its review, each linking to the run; a reviewed plan leaves the list. (It used to
land on the API tokens page, a dead end.)"""
from __future__ import annotations

from pathlib import Path

import pytest

from dividends.clock import FixedClock
from tests.web.support import browser
from tests.web.world import build_world

pytestmark = pytest.mark.db


async def test_the_township_reviewer_sees_its_villages_and_the_plans_to_review(app, clock: FixedClock,  # type: ignore[no-untyped-def]
                                                                                tmp_path: Path) -> None:
    world = await build_world(tmp_path, clock)
    run = world.runs["V0002"]  # V0002 is the township's village; V0001 is not
    async with browser(app, "town1") as town:
        home = await town.get("/?lang=zh")
        assert home.status_code == 200
        assert 'href="/villages/V0002"' in home.text and 'href="/villages/V0001"' not in home.text
        assert f'href="/runs/{run}#decision"' in home.text and "等待乡镇审核备案" in home.text
        assert f'href="/runs/{world.runs["V0001"]}' not in home.text
        page = (await town.get(f"/runs/{run}?lang=zh")).text
        assert f'action="/runs/{run}/review"' in page and "您只能查看此批次" not in page  # it may review here
        reviewed = await town.post(f"/runs/{run}/review", {"filing_number": "甲镇备 2025-1"})
        assert reviewed.status_code == 303
        after = await town.get("/?lang=zh")
        assert f'href="/runs/{run}#decision"' not in after.text and "目前没有待办事项" in after.text
    async with browser(app, "acc2") as acc:  # the accountant's home is still the village's
        assert (await acc.get("/")).headers["location"] == "/villages/V0002"
