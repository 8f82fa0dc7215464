"""The run page shows last period's carry-over that joined the pool, and says when the run it
came from was reversed (issue 10, item 4)."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from dividends import runs
from dividends.imports import import_registry
from schemes.money import format_yuan
from tests.dividends.test_carry_over_runs import SHAREHOLDING, carry_of
from tests.dividends.support import sample_files
from tests.dividends.test_runs import RESOLUTION
from tests.web.support import browser

pytestmark = pytest.mark.db


async def test_the_run_page_shows_what_was_brought_forward_and_a_reversed_source(app, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    scheme = tmp_path / "half.yaml"
    scheme.write_text(SHAREHOLDING.read_text(encoding="utf-8").replace(
        'percent: {value: 100, source: "seed: profit sharing', 'percent: {value: 50, source: "test: half; seed: profit sharing'),
        encoding="utf-8")
    reg = sample_files(tmp_path / "reg", households=12, villages=1, seed=3)
    for period in (2024, 2025):
        await import_registry(reg.households, period=period, actor="acc1", posts=reg.posts, members=reg.members,
                              reference_date=date(2025, 1, 1))
    first = await runs.create_run("V0001", 2024, str(scheme), "acc1", amount_yuan="50000")
    await runs.compute_run(first.id, "acc1", clock)
    await runs.publicize(first.id, date(2025, 1, 6), date(2025, 1, 12), "acc1", clock)
    clock.advance(days=7)
    await runs.approve(first.id, "com1", clock, resolution=RESOLUTION)
    carried = carry_of(await runs.lines_frame(first.id))
    second = await runs.create_run("V0001", 2025, str(scheme), "acc1", amount_yuan="30000")
    await runs.compute_run(second.id, "acc1", clock)
    async with browser(app, "com1") as com:
        page = (await com.get(f"/runs/{second.id}?lang=en")).text
        row = re.search(r'<tr id="summary-brought-forward">(.*?)</tr>', page, re.S)
        assert row, page[-3000:]
        assert "Brought forward from 2024" in row.group(1) and f'href="/runs/{first.id}"' in row.group(1)
        assert f'data-part="brought_forward">{format_yuan(carried)}<' in row.group(1)
        assert 'id="summary-correction"' not in page

        mirror = await runs.prepare_reversal(first.id, "acc1", "wrong return", clock)
        await runs.approve_reversal(mirror.id, "com1", clock)
        flagged = (await com.get(f"/runs/{second.id}?lang=zh")).text
    assert re.search(r'id="summary-correction">[^<]*已冲销', flagged)
