"""The run page shows each applying policy rule's result and warns of numbers without source
(issue 10, items 7 and 8)."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from dividends import runs
from dividends.imports import import_registry
from tests.dividends.support import sample_files
from tests.dividends.test_run_policy import unsourced_scheme
from tests.web.support import browser

pytestmark = pytest.mark.db


async def test_the_run_page_lists_policy_rules_and_unsourced_numbers(app, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reg = sample_files(tmp_path / "reg", households=12, villages=1, seed=3)
    await import_registry(reg.households, period=2024, actor="acc1", posts=reg.posts, members=reg.members,
                          reference_date=date(2025, 1, 1))
    pv = await runs.create_run("V0001", 2024, "photovoltaic", "acc1", amount_yuan="50000")
    await runs.compute_run(pv.id, "acc1", clock)
    other = await runs.create_run("V0001", 2024, str(unsourced_scheme(tmp_path)), "acc1", amount_yuan="5000", asset="kiwi")
    await runs.compute_run(other.id, "acc1", clock)
    rules = (await runs.get_run(pv.id)).manifest["policy"]["profiles"][0]["rules"]
    async with browser(app, "com1") as com:
        page = (await com.get(f"/runs/{pv.id}?lang=en")).text
        plain = (await com.get(f"/runs/{other.id}?lang=zh")).text
    table = re.search(r'<table class="policy" id="policy-national-pv-2020">(.*?)</table>', page, re.S)
    assert table, page[-3000:]
    shown = {rule: status for status, rule in re.findall(r'<tr class="policy-(\w+)" data-rule="([\w-]+)">', table.group(1))}
    assert shown == {r["id"]: r["status"] for r in rules}
    for r in rules:
        row = re.search(rf'<tr class="policy-{r["status"]}" data-rule="{r["id"]}">(.*?)</tr>', table.group(1), re.S)
        assert row and r["message"]["en"] in row.group(1).replace("&#39;", "'"), r["id"]
    assert 'id="policy-unsourced"' not in page
    warning = re.search(r'id="policy-unsourced">(.*?)</div>', plain, re.S)
    assert warning and "1 个数字未注明依据" in warning.group(1) and "steps[0].percent" in warning.group(1)
    assert "没有适用于本批次的政策规则集" in plain
