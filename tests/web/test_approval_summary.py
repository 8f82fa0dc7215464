"""What a committee approves, on the run page: totals per step and account that add up to the
distributable amount, households with and without an amount (those without listed by name),
payments the bank refused with its reason, last year's run to compare with, and the scheme's
own narrative description in the page language."""
from __future__ import annotations

import re

import pytest

from dividends.overview import narrative
from tests.web.flows import approved, bank_result_csv, computed, registry_files
from tests.web.support import browser
from tests.web.test_their_words import visible_text

pytestmark = pytest.mark.db


def test_the_narrative_is_kept_in_the_page_language() -> None:
    text = "股东先得保底收益，\n再按股分红。\nShareholders get a guarantee,\nthen a dividend.\n"
    assert narrative(text, "zh") == "股东先得保底收益，再按股分红。"
    assert narrative(text, "en") == "Shareholders get a guarantee, then a dividend."
    assert narrative("Only English.", "zh") == "Only English."


def _fen(text: str) -> int:
    return int(text.replace(",", "").replace(".", "").replace("+", ""))


def _amounts(html: str, table_id: str) -> list[int]:
    body = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.S)
    assert body, table_id
    return [_fen(a) for a in re.findall(r'class="num">(?:<strong>)?([+-]?[\d,]+\.\d\d)', body.group(1))]


def _parts(html: str, part: str) -> list[int]:
    return [_fen(a) for a in re.findall(rf'data-part="{part}">(?:<strong>)?([\d,]+\.\d\d)', html)]


async def test_the_run_page_says_what_is_approved_and_how_it_compares_with_last_year(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    async with browser(app, "acc1") as acc, browser(app, "com1") as com:
        last = await approved(acc, com, clock, reg, period=2023, amount="40000")
        assert (await acc.post(f"/runs/{last}/pay", {"bank_format": "generic"})).status_code == 303
        batch = (await acc.get(f"/runs/{last}/batches/1.csv")).content
        refused = sorted(set(re.findall(r"V\d{4}-\d{5}", batch.decode("utf-8-sig"))))[0]
        result = await acc.post(f"/runs/{last}/bank-result", files={
            "result": ("result.csv", bank_result_csv(batch, failed={refused}), "text/csv")})
        assert result.status_code == 303, result.text[-1500:]
        paid_page = (await acc.get(f"/runs/{last}?lang=zh")).text
        assert refused in re.search(r'<table id="summary-failed">.*?</table>', paid_page, re.S).group(0)
        assert "账户已销户" in paid_page  # the bank's own reason

        run = await computed(acc, reg, period=2024, amount="50000")
        page = (await com.get(f"/runs/{run}?lang=zh")).text
    assert "审批要点" in page
    assert "股东先得保底" in visible_text(page)  # the scheme's narrative, in Chinese only
    assert "Shareholders get" not in visible_text(page)
    steps, [to_households], accounts, [total] = (_parts(page, p) for p in ("step", "households", "account", "total"))
    assert steps and sum(steps) == to_households  # the steps' household parts add up ...
    assert to_households + sum(accounts) == total == 50_000_00  # ... and with the accounts to the whole
    compared = _amounts(page, "summary-last-year")
    assert compared[:3] == [40_000_00, 50_000_00, 10_000_00]  # last year, this year, the change
    assert f'href="/runs/{last}"' in page
    nothing = re.search(r'<details id="summary-nothing">.*?</details>', page, re.S)
    households = int(re.search(r"共 (\d+) 户：(\d+) 户分得金额，(\d+) 户本次不分", page).group(3))
    assert (nothing is not None) == (households > 0)
