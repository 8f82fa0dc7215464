"""Several assets, one household (issue 10, item 5): one period statement per (period,
household) over the village's told runs of the period, and the combined notice of runs paid
together."""
from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from dividends import period_statement as ps
from dividends import runs
from dividends.clock import FixedClock
from dividends.imports import import_registry
from notify.catalog import Channel
from schemes.money import format_yuan
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.support import sample_files
from tests.people import cli, person

pytestmark = pytest.mark.db


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))


def households(lines: pl.DataFrame) -> dict[str, int]:
    return dict(lines.filter(pl.col("recipient_kind") == "household").select("recipient_id", "amount_fen").rows())


async def test_one_statement_per_household_over_the_runs_of_the_period(clean_db, clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reg = sample_files(tmp_path / "reg", households=12, villages=1, seed=3)
    await import_registry(reg.households, period=2024, actor="accountant", posts=reg.posts, members=reg.members,
                          reference_date=date(2025, 1, 1))
    made = []
    for asset, amount in (("光伏电站", "12000"), ("乡村旅游", "3000"), ("茶园", "900")):
        run = await runs.create_run("V0001", 2024, "shareholding", "accountant", amount_yuan=amount, asset=asset)
        await runs.compute_run(run.id, "accountant", clock)
        made.append(run)
    pv, tour, tea = made
    for run in (pv, tour):  # the tea run stays computed: its households have not been told
        await runs.publicize(run.id, date(2025, 1, 6), date(2025, 1, 12), "accountant", clock)
    period = await ps.period_of("V0001", 2024)
    assert [r.id for r in period.runs] == [pv.id, tour.id]
    a, b = households(await runs.lines_frame(pv.id)), households(await runs.lines_frame(tour.id))
    paid = {h for h in set(a) | set(b) if a.get(h, 0) or b.get(h, 0)}
    assert {line.key for line in period.lines} == {(2024, h) for h in paid}  # keyed by (period, household)
    for line in period.lines:
        h = line.row.household_id
        assert line.total_fen == a.get(h, 0) + b.get(h, 0)
        assert dict(line.paid) == {i: f for i, f in ((pv.id, a.get(h, 0)), (tour.id, b.get(h, 0))) if f}

    both = next(line for line in period.lines if len(line.paid) == 2)
    texts = {s.key: s for s in ps.statements(period)}
    text = texts[both.key].text
    assert text is not None and text.template == "period_statement"
    if both.row.lang == "zh":
        assert f"合计{format_yuan(both.total_fen)}元" in text.body and "光伏电站" in text.body and "乡村旅游" in text.body
    else:
        assert format_yuan(both.total_fen) in text.body
    oneway = ps.statements(period, Channel.of("aliyun", "测试县乡村振兴局", two_way=False))
    # a one-way text gives the office landline instead of asking for a reply: none is on record
    assert oneway and all(s.text is None and "office" in s.error for s in oneway), oneway[0]

    header, rows = ps.combined_rows(await ps.period_of("V0001", 2024, [pv.id, tour.id]), "zh")
    assert header == ["household_id", "head_name", f"光伏电站 #{pv.id}", f"乡村旅游 #{tour.id}", "total_fen"]
    assert [r[0] for r in rows] == sorted(paid)  # one line per household
    assert all(r[2] + r[3] == r[4] for r in rows)
    assert sum(r[4] for r in rows) == sum(a.values()) + sum(b.values())
    acc = await person("acc1", "accountant", village="V0001")
    shown = cli(acc, "notify", "period-statement", "V0001", "2024", env={"DATABASE_URL": clean_db})
    assert shown.returncode == 0, shown.stderr
    assert both.row.household_id in shown.stdout and format_yuan(both.total_fen) in shown.stdout
    joint = cli(acc, "notify", "period-statement", "V0001", "2024", "--combined", "--runs", f"{pv.id},{tour.id}",
                env={"DATABASE_URL": clean_db})
    assert joint.returncode == 0, joint.stderr
    assert f"#{pv.id}" in joint.stdout and f"#{tour.id}" in joint.stdout
    assert sum(1 for r in rows if r[0] in joint.stdout) == len(rows)
    outsider = await person("acc2", "accountant", village="V0002")
    refused = cli(outsider, "notify", "period-statement", "V0001", "2024", env={"DATABASE_URL": clean_db})
    assert refused.returncode != 0 and both.row.household_id not in refused.stdout
