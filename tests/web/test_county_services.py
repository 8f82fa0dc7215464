"""The county's read services and charts: anomalies across villages, scheme version diffs,
charts drawn with integers only, the overview's cache following the data."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from dividends import anomalies, overview, runs
from dividends.imports import import_registry
from dividends.store.models import AuditEvent, Household, SchemeVersion
from dividends.web.svg import bar_chart, histogram
from schemes.presets import preset_path
from tests.dividends.support import sample_files
from tests.web.support import browser

pytestmark = pytest.mark.db


async def _two_villages_paid(tmp: Path, clock) -> dict[str, int]:  # type: ignore[no-untyped-def]
    files = sample_files(tmp, households=24, villages=2, seed=3)
    await import_registry(files.households, period=2024, actor="acc1", posts=files.posts, members=files.members,
                          county="C1", reference_date=date(2025, 1, 1))
    ids = {}
    for village in ("V0001", "V0002"):
        run = await runs.create_run(village, 2024, "shareholding", "acc1", amount_yuan="30000")
        await runs.compute_run(run.id, "acc1", clock)
        await runs.publicize(run.id, date(2025, 1, 6), date(2025, 1, 12), "acc1", clock)
        ids[village] = run.id
    clock.advance(days=7)
    paid = {}
    for village, run_id in ids.items():
        await runs.approve(run_id, "com1", clock)
        lines = await runs.lines_frame(run_id)
        paid[village] = lines.filter((lines["recipient_kind"] == "household") & (lines["amount_fen"] > 0))["recipient_id"][0]
    # the same person (ID number) paid in both villages; one phone for three households
    first = await Household.filter(household_id=paid["V0001"]).first()
    assert first is not None
    await Household.filter(household_id=paid["V0002"]).update(id_number=first.id_number)
    await Household.filter(household_id__in=["V0001-00003", "V0001-00004", "V0002-00003"]).update(phone="13800000000")
    return ids


async def test_anomalies_find_double_payments_shared_phones_late_runs_and_parked_money(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ids = await _two_villages_paid(tmp_path, clock)
    found = await anomalies.find_anomalies(None, date(2025, 4, 2))
    doubles = [d for d in found.double_payments]
    assert len(doubles) == 1 and {v for v, *_ in doubles[0].lines} == {"V0001", "V0002"}
    assert "*" in doubles[0].id_number  # masked
    assert [len(s.households) for s in found.shared_phones] == [3] and "*" in found.shared_phones[0].phone
    assert sorted(x.run_id for x in found.late_payouts) == sorted(ids.values())  # approved, not paid by 31 March
    assert all(x.days_late == 2 for x in found.late_payouts)
    on_time = await anomalies.find_anomalies(None, date(2025, 3, 31))
    assert on_time.late_payouts == ()
    assert found.parked_fen == sum(p.amount_fen for p in found.parked)
    assert all(p.account == "carry_over" for p in found.parked)
    other_county = await anomalies.find_anomalies([999], date(2025, 4, 2))
    assert other_county.count == 0  # another county sees none of it


async def test_the_anomalies_page_shows_them_masked(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    await _two_villages_paid(tmp_path, clock)
    async with browser(app, "aud1") as aud:
        page = await aud.get("/county/anomalies")
    assert page.status_code == 200 and "V0002-" in page.text
    assert not re.search(r"(?<!\d)\d{17}[\dX](?!\d)", page.text)  # no full ID number
    assert "13800000000" not in page.text


async def test_a_readable_diff_between_two_scheme_versions(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    source = preset_path("shareholding")
    assert source is not None
    v2 = tmp_path / "shareholding-v2.yaml"
    v2.write_text(source.read_text(encoding="utf-8").replace("version: 1", "version: 2", 1)
                  .replace('percent: {value: 20, source: "assumed: collective\'s stake"}',
                           'percent: {value: 30, source: "village assembly 2025"}'), encoding="utf-8")
    await runs.store_scheme("shareholding", "acc1")
    await runs.store_scheme(str(v2), "acc1")
    assert await SchemeVersion.filter(scheme_id="shareholding").count() == 2
    async with browser(app, "aud1") as aud:
        listed = await aud.get("/county/schemes")
        assert "v2" in listed.text
        diff = await aud.get("/county/schemes/shareholding/diff?a=1&b=2&lang=en")
    assert diff.status_code == 200
    assert re.search(r'class="removed">.*20%', diff.text, re.S) and re.search(r'class="added">.*30%', diff.text, re.S)


async def test_the_overview_follows_every_recorded_change(app, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    before = await overview.county_overview(None)
    assert before.villages and before.posted_fen == 0
    await _two_villages_paid(tmp_path, clock)
    after = await overview.county_overview(None)
    assert after.version == await overview.data_version() > before.version
    assert after.posted_fen == 6_000_000 and after.states["approved"] == 2
    assert sum(b.count for b in after.histogram) == await _household_lines()
    assert (await overview.county_overview(None)) is after  # cached until the next change
    await AuditEvent.create(actor="x", action="test", object_type="x", object_id="1")
    assert (await overview.county_overview(None)) is not after


async def _household_lines() -> int:
    from dividends.store.models import AllocationLine
    return await AllocationLine.filter(recipient_kind="household").count()


def test_charts_are_svg_with_integer_coordinates_only() -> None:
    bars = bar_chart([("东村", 123_456_789), ("西村", 1), ("<script>", 0)], title="t")
    hist = histogram([(0, 10_000, 5), (10_000, 20_000, 0), (20_000, 30_000, 12)], title="h")
    for svg in (str(bars), str(hist)):
        assert svg.startswith("<svg") and "<script>" not in svg
        numbers = re.findall(r'(?<![\w-])(?:x|y|width|height|x1|x2|y1|y2)="([^"]+)"', svg)
        assert numbers and all(re.fullmatch(r"-?\d+", n) for n in numbers), numbers
    assert "1,234,567.89" in str(bars)


def test_histogram_bins_have_round_widths() -> None:
    assert overview.nice_width(123_456) == 10_000
    assert overview.nice_width(0) == 100
    assert overview.nice_width(2_000_000) == 200_000


def test_the_amounts_histogram_gives_nothing_its_own_bar_and_an_outlier_does_not_squeeze_the_rest() -> None:
    # the shape that put 1,985 of 2,470 households in one bar: most get nothing, one got a lot
    counts = {0: 1985, **{150_000 + 1000 * i: 1 for i in range(480)}, 4_000_000: 5}
    bins = overview.amount_bins(counts)
    assert (bins[0].low_fen, bins[0].high_fen, bins[0].count) == (0, 0, 1985)
    assert sum(b.count for b in bins) == sum(counts.values())
    spread = bins[1:-1]
    assert len(spread) >= 5 and max(b.count for b in spread) < 480 // 2  # the paid households spread over bars
    assert bins[-1].count == 5 and bins[-1].high_fen == 4_000_001  # the outliers in one last bin
    svg = str(histogram([(b.low_fen, b.high_fen, b.count) for b in bins], title="h", zero_label="不分",
                        x_unit="元", y_unit="户数"))
    assert "不分" in svg and "≥" in svg and "元" in svg and "户数" in svg


def test_the_top_villages_chart_leaves_out_villages_with_nothing_posted() -> None:
    def village(code: str, fen: int) -> overview.VillageTotals:
        return overview.VillageTotals(code, code, "C1", 1, 10, fen, 0, None, None, None, None)
    data = overview.Overview((2024,), 2024, (village("V1", 0), village("V2", 500), village("V3", 0)), (), {}, 500, 0, 20, ())
    assert [v.code for v in data.top] == ["V2"]
