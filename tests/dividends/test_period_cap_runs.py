"""Caps over a household's total for the period (issue 10, item 5, run side): a later run of
the period takes what the village's earlier posted runs of that period (other assets) paid each
household as a recorded input, and its cap cuts only the later run."""
from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from dividends import runs
from dividends.auditpack import build_pack, verify_pack
from dividends.carryover import EARLIER_REVERSED
from dividends.clock import FixedClock
from dividends.imports import import_registry
from schemes.problems import InputError
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.support import sample_files
from tests.dividends.test_runs import RESOLUTION
from tests.dividends.test_carry_over_runs import SHAREHOLDING

pytestmark = pytest.mark.db
LIMIT_FEN = 2000_00
CAP = '''  - id: cap
    kind: cap
    label: {zh: 全年合计封顶, en: cap over the year}
    limit: {per: household, amount: {value: 2000, source: "test: 2,000 yuan per household a year, all assets"}}
    counts: [guaranteed, dividend]
    over: period
    excess_to: remaining
  - id: carry_over
    kind: remainder'''


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))


def households(lines: pl.DataFrame) -> dict[str, int]:
    return dict(lines.filter(pl.col("recipient_kind") == "household").select("recipient_id", "amount_fen").rows())


async def test_a_later_run_of_the_period_is_capped_by_what_earlier_posted_runs_paid(clean_db, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = SHAREHOLDING.read_text(encoding="utf-8")
    capped = tmp_path / "capped.yaml"
    capped.write_text(text.replace("  - id: carry_over\n    kind: remainder", CAP).replace("id: shareholding", "id: shareholding-capped"),
                      encoding="utf-8")
    assert "over: period" in capped.read_text(encoding="utf-8")
    reg = sample_files(tmp_path / "reg", households=12, villages=1, seed=3)
    await import_registry(reg.households, period=2024, actor="accountant", posts=reg.posts, members=reg.members,
                          reference_date=date(2025, 1, 1))
    first = await runs.create_run("V0001", 2024, "shareholding", "accountant", amount_yuan="12000", asset="pv")
    await runs.compute_run(first.id, "accountant", clock)
    alone = await runs.create_run("V0001", 2024, str(capped), "accountant", amount_yuan="20000", asset="kiwi")
    assert alone.earlier_paid == {"runs": [], "lines": []}  # nothing posted yet: an empty recorded input
    await runs.cancel(alone.id, "accountant", "wait for the first run", clock)

    await runs.publicize(first.id, date(2025, 1, 6), date(2025, 1, 12), "accountant", clock)
    clock.advance(days=7)
    await runs.approve(first.id, "chair", clock, resolution=RESOLUTION)
    paid = {h: f for h, f in households(await runs.lines_frame(first.id)).items() if f}

    later = await runs.create_run("V0001", 2024, str(capped), "accountant", amount_yuan="20000", asset="kiwi")
    assert later.earlier_paid == {"runs": [first.id], "lines": [[h, f] for h, f in sorted(paid.items())]}
    await runs.compute_run(later.id, "accountant", clock)
    later = await runs.get_run(later.id)
    assert "inputs/earlier_paid.csv" in later.manifest["inputs"]
    now = households(await runs.lines_frame(later.id))
    assert any(now[h] > 0 for h in now)
    for h, fen in now.items():  # the period's total stays within the cap; only this run is cut
        assert fen <= max(0, LIMIT_FEN - paid.get(h, 0)), h
    assert any(paid.get(h, 0) > 0 and now[h] == LIMIT_FEN - paid[h] for h in now)  # cut at the cap

    pack = tmp_path / "pack.zip"
    pack.write_bytes(await build_pack(later.id))
    result = verify_pack(pack)
    assert result.ok, [p.text("en") for p in result.problems]


async def test_reversing_an_earlier_run_of_the_period_flags_the_capped_later_run(clean_db, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = SHAREHOLDING.read_text(encoding="utf-8")
    capped = tmp_path / "capped.yaml"
    capped.write_text(text.replace("  - id: carry_over\n    kind: remainder", CAP).replace("id: shareholding", "id: shareholding-capped"),
                      encoding="utf-8")
    reg = sample_files(tmp_path / "reg", households=12, villages=1, seed=3)
    await import_registry(reg.households, period=2024, actor="accountant", posts=reg.posts, members=reg.members,
                          reference_date=date(2025, 1, 1))
    first = await runs.create_run("V0001", 2024, "shareholding", "accountant", amount_yuan="12000", asset="pv")
    await runs.compute_run(first.id, "accountant", clock)
    await runs.publicize(first.id, date(2025, 1, 6), date(2025, 1, 12), "accountant", clock)
    clock.advance(days=7)
    await runs.approve(first.id, "chair", clock, resolution=RESOLUTION)
    uncapped = await runs.create_run("V0001", 2024, "shareholding", "accountant", amount_yuan="500", asset="tea")
    later = await runs.create_run("V0001", 2024, str(capped), "accountant", amount_yuan="20000", asset="kiwi")
    assert later.earlier_paid["runs"] == [first.id]
    await runs.compute_run(later.id, "accountant", clock)
    start = clock.now().date()
    await runs.publicize(later.id, start, date.fromordinal(start.toordinal() + 6), "accountant", clock)

    mirror = await runs.prepare_reversal(first.id, "accountant", "wrong return", clock)
    assert (await runs.get_run(later.id)).correction_needed == ""  # prepared only: nothing changes yet
    await runs.approve_reversal(mirror.id, "chair", clock)
    assert (await runs.get_run(later.id)).correction_needed == EARLIER_REVERSED
    assert (await runs.get_run(uncapped.id)).correction_needed == ""  # it did not count the first run
    clock.advance(days=8)
    with pytest.raises(InputError, match=f"run {later.id} capped .* runs {first.id} paid"):
        await runs.approve(later.id, "chair", clock, resolution=RESOLUTION)
    assert (await runs.get_run(later.id)).state == "publicized"
    await runs.cancel(later.id, "accountant", "an earlier run of the period was reversed", clock)
    again = await runs.create_run("V0001", 2024, str(capped), "accountant", amount_yuan="20000", asset="kiwi")
    assert again.earlier_paid == {"runs": [], "lines": []} and again.correction_needed == ""
