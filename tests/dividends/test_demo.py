"""``dividends demo``: the whole run on a small registry (a village whose scheme pays no household
has no bank file to make, instead of stopping), and its third part: a registry version with four
dated events (a death, a move-out, a new member, a poor household that exited poverty) and a
run of the months scheme, each affected household paid by months beside a whole year."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from dividends.cli.demo import MONTHS_SCHEME, _as_on_1_january, _village_files, demo_events, unchanged_events
from tests.dividends.support import ROOT


def test_the_demo_picks_four_events_of_different_households_paid_ones_first() -> None:
    households = pl.DataFrame({"household_id": [f"V0001-{i:05d}" for i in range(1, 8)],
                               "status": ["non_poor", "poor", "exited", "monitored", "poor", "non_poor", "exited"]})
    rows = demo_events(households, 2024)
    assert [r[1] for r in rows] == ["死亡", "迁出", "新增", "类别变更"]
    assert [r[0] for r in rows] == ["V0001-00002", "V0001-00004", "V0001-00005", "V0001-00003"]
    assert all(r[2].startswith("2024-") for r in rows) and rows[3][4] == "贫困户" and rows[0][3]
    few = demo_events(households.head(4), 2024)  # fewer paid households: the others stand in
    assert len({r[0] for r in few}) == 4


@pytest.mark.slow
def test_the_demo_runs_on_a_small_registry_and_pays_the_changed_households_by_months(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DIVIDENDS_DEBUG")}
    done = subprocess.run([sys.executable, "-m", "dividends", "demo", "--dir", str(tmp_path / "demo"), "--households", "60"],
                          capture_output=True, text=True, env={**env, "DIVIDENDS_LANG": "en", "COLUMNS": "200"},
                          cwd=ROOT, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = done.stdout
    # 20 households in the photovoltaic village: every fen to the accounts, nothing to send to the bank
    assert "no household is owed anything" in text and "has nothing left to pay" not in text
    assert "3. Households that changed during the year" in text
    assert "with 4 dated events" in text and "4 dated events read (inputs/events.csv)" in text
    for kind in ("died on", "left on", "joined on", "status changed on"):
        assert kind in text, kind
    shown = re.findall(r"household (\S+): ([\d,.]+) yuan for the months it was eligible \(counted all year with its "
                       r"members and status of 1 January: ([\d,.]+) yuan\)", text)
    assert len(shown) == 4, text[-3000:]
    assert any(months != year for _, months, year in shown)  # proration changed what someone gets
    listed = re.findall(r"event: (\S+) ", text)
    assert [h for h, _, _ in shown] == listed == sorted(listed)  # the figures in the order of the events above them
    # (here V0001 pays no household, so no batch fails; with the default registry it does)
    assert ("→ follow-up batch 2" in text) == ("batch 2 bank result: 1 paid, 0 failed" in text)  # the follow-up's fate said
    assert "demo finished" in text


def test_each_changed_household_is_paid_by_months_beside_its_year_as_on_1_january(tmp_path: Path) -> None:
    """The demo's two figures are on one basis: the household as it was on 1 January, counted all
    year, against the months it really was eligible. A death, a move-out and a lost poor status
    pay less by months than that; a new member more (the old text set the months figure beside
    the year-end registry's whole year: 1,708.33 against 1,500.00 for the household whose member
    died, 416.67 against 0.00 for the one that exited poverty)."""
    from support.sample import generate

    from dividends.compute import Inputs, compute

    data = generate(600, 3, seed=2024)  # the demo's registry
    files = _village_files(data, "V0001", tmp_path)
    rows = demo_events(data.households.filter(pl.col("village_id") == "V0001"), 2024)
    events = files["households"].with_name("events.csv")
    events.write_text("户编号,变动类型,变动日期,成员姓名,原类别\n" + "".join(",".join(r) + "\n" for r in rows),
                      encoding="utf-8-sig")
    nothing = files["households"].with_name("nothing-paid.csv")
    nothing.write_text("household_id,amount_yuan\n", encoding="utf-8")
    amount = str(500 * int(data.households.filter(pl.col("village_id") == "V0001")["members"].sum()))
    hh = compute(Inputs(scheme=str(MONTHS_SCHEME), registry=files["households"], members=files["persons"],
                        posts=files["posts"], period=2024, amount_yuan=amount, events=events,
                        earlier_paid=nothing)).allocation.households
    by_months = dict(zip(hh["household_id"].to_list(), hh["dividend"].to_list()))
    on_1_january = _as_on_1_january(files, rows, 2024, amount)
    (died, *_), (left, *_), (joined, *_), (exited, *_) = rows
    for household in (died, left, exited):
        assert 0 < by_months[household] < on_1_january[household], household
    assert by_months[joined] > on_1_january[joined] > 0
    assert [r[2] for r in unchanged_events(rows, 2024)] == ["2024-12-31"] * 4
    untouched = set(by_months) - {died, left, joined, exited}
    assert all(by_months[h] == on_1_january[h] for h in untouched)  # everyone else: the same year either way
