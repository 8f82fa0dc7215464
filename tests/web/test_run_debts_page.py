"""A household's debts still owed are listed on the run page (NOTES-recover "Left"): what posted
runs recorded and recovered, what this run takes, what is left after it."""
from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from dividends import runs
from dividends.imports import import_registry
from schemes.money import format_yuan
from tests.dividends.test_recoveries import through_approval
from tests.web.flows import registry_files
from tests.web.support import browser

pytestmark = pytest.mark.db


async def test_the_run_page_lists_the_debts_left_and_what_this_run_takes(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path)
    await import_registry(reg.households, period=2024, actor="accountant", posts=reg.posts, members=reg.members,
                          reference_date=date(2025, 1, 1))
    probe = await runs.create_run("V0001", 2024, "shareholding", "accountant", amount_yuan="50000")
    await runs.compute_run(probe.id, "accountant", clock)
    paid = (await runs.lines_frame(probe.id)).filter((pl.col("recipient_kind") == "household") & (pl.col("amount_fen") > 0))
    household = paid["recipient_id"][0]  # a household the scheme pays
    await runs.cancel(probe.id, "accountant", "probe", clock)
    big = 1_000_000  # yuan: more than any line, so most of it stays owed
    first = await runs.create_run("V0001", 2024, "shareholding", "accountant", amount_yuan="50000",
                                  deductions=("debts.csv", f"户编号,扣款金额,扣款原因,收款账户\n{household},{big},村集体借款,collective\n".encode()))
    first = await through_approval(first, clock)
    lines = await runs.lines_frame(first.id)
    taken_first = -int(lines.filter(pl.col("recipient_id") == household)["breakdown"].str.json_path_match(
        "$.deductions").cast(pl.Int64).fill_null(0)[0])
    owed = big * 100 - taken_first
    assert 0 < taken_first < big * 100
    await import_registry(reg.households, period=2025, actor="accountant", posts=reg.posts, members=reg.members,
                          reference_date=date(2026, 1, 1))
    nxt = await runs.create_run("V0001", 2025, "shareholding", "accountant", amount_yuan="50000")
    await runs.compute_run(nxt.id, "accountant", clock)
    now = -int((await runs.lines_frame(nxt.id)).filter(pl.col("recipient_id") == household)["breakdown"]
               .str.json_path_match("$.deductions").cast(pl.Int64).fill_null(0)[0])
    assert now > 0
    from dividends.publicity import notice_html
    notice = await notice_html(nxt.id, "zh", clock)  # the public notice lists what is still owed after the run
    assert 'id="still-owed"' in notice and "仍欠村集体" in notice
    owed_row = notice[notice.index(f'<tr data-household="{household}"'):].split("</tr>")[0]
    assert format_yuan(owed - now) in owed_row
    async with browser(app, "acc1") as acc:
        page = (await acc.get(f"/runs/{nxt.id}")).text
        before = (await acc.get(f"/runs/{first.id}?lang=en")).text
    assert 'id="debts-table"' in page and f'data-household="{household}"' in page
    row = page[page.index(f'data-household="{household}"'):].split("</tr>")[0]
    assert format_yuan(owed) in row and format_yuan(now) in row and f'data-after="{owed - now}"' in row
    # on the posted run itself: what is left is already net of what it took; nothing "this run"
    row = before[before.index(f'data-household="{household}"'):].split("</tr>")[0]
    assert format_yuan(owed) in row and f'data-after="{owed}"' in row and "Debts still owed" in before
