"""The scheme chooser as villagers read it: narrative first, plain steps, masked names, two
schemes side by side on the village (issue 12 item 6)."""
from __future__ import annotations

import csv
import re

import pytest

from dividends.overview import PreviewRow, Preview, compare_previews
from notify.privacy import mask_name
from schemes.plain import plain_steps
from schemes.presets import load_preset, preset_names
from tests.web.flows import registry_files, upload
from tests.web.support import browser


def _preview(rows: list[tuple[str, str, int]]) -> Preview:
    made = [PreviewRow(hid, "", status, fen) for hid, status, fen in rows]
    return Preview(None, len(made), sum(1 for r in made if r.amount_fen), sum(r.amount_fen for r in made), {}, [], made)  # type: ignore[arg-type]


def test_two_previews_give_winners_and_losers_by_status() -> None:
    a = _preview([("h1", "poor", 100), ("h2", "poor", 300), ("h3", "non_poor", 500), ("h4", "exited", 0)])
    b = _preview([("h1", "poor", 250), ("h2", "poor", 200), ("h3", "non_poor", 500), ("h4", "exited", 70)])
    c = compare_previews(a, b)
    assert [r.household_id for r in c.rows] == ["h1", "h2", "h4"]  # the largest change first, unchanged left out
    assert c.same == 1
    poor = next(s for s in c.by_status if s.status == "poor")
    assert (poor.households, poor.a_fen, poor.b_fen, poor.winners, poor.losers) == (2, 400, 450, 1, 1)
    assert [s.status for s in c.by_status] == ["poor", "exited", "non_poor"]  # the vocabulary's order


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_plain_steps_use_no_filter_notation(lang: str) -> None:
    for name in preset_names():
        for sentence in plain_steps(load_preset(name), lang):
            assert not re.search(r"[≥≤]|符合（|members with|weights", sentence), (name, sentence)


def _plain_list(html: str, start: int) -> str:
    begin = html.index('<ol class="plain">', start)
    return html[begin:html.index("</ol>", begin)]


@pytest.mark.db
async def test_the_chooser_reads_as_a_story_with_masked_names_and_a_comparison(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    reg = registry_files(tmp_path, households=20)
    with reg.households.open(encoding="utf-8") as f:
        heads = {row["household_id"]: row["head_name"] for row in csv.DictReader(f)}
    async with browser(app, "acc1") as acc:
        await acc.post("/villages/V0001/registry", {"period": "2024"}, files=upload(reg))
        await acc.post("/villages/V0001/returns", {"period": "2024", "amount": "50000"})
        page = (await acc.get("/villages/V0001/runs/new?period=2024")).text
        card = page.index('id="scheme-five-share-classes"')
        narrative = page.index('class="narrative"', card)
        assert narrative < page.index('<ol class="plain">', card)
        plain = _plain_list(page, card)
        assert "80 岁及以上的老人" in plain and "符合（" not in plain

        one = (await acc.get("/villages/V0001/runs/new?period=2024&scheme=shareholding")).text
        for hid, name in heads.items():
            assert name not in one, f"{hid}'s full name is on the page"
        assert sum(mask_name(n) in one for n in heads.values()) == len(heads)

        pair = await acc.get("/villages/V0001/runs/new?period=2024&scheme=shareholding&compare=tourism-cooperative")
        other = (await acc.get("/villages/V0001/runs/new?period=2024&scheme=tourism-cooperative")).text
        english = (await acc.get("/villages/V0001/runs/new?period=2024&scheme=shareholding&compare=tourism-cooperative&lang=en")).text
    assert pair.status_code == 200
    html = pair.text
    section = html[html.index('id="compare-title"'):]
    assert "按户类别" in section and "贫困户" in section
    assert "By household status" in english and "registered poor" in english
    # every listed household's two amounts are the ones each scheme's own preview shows for it
    rows = re.findall(r"<tr><td>([^<]*)</td><td>[^<]*</td><td class=\"num\">([\d,.]+)</td><td class=\"num\">([\d,.]+)</td>"
                      r"<td class=\"num\">[+\-\d,.]+</td><td>([^<]+)</td></tr>", section)
    assert rows, "no per-household differences listed"
    for _name, a, b, hid in rows:
        assert a != b
        assert re.search(rf"<td>{hid}</td><td>[^<]*</td><td class=\"num\">{re.escape(a)}</td>", one)
        assert re.search(rf"<td>{hid}</td><td>[^<]*</td><td class=\"num\">{re.escape(b)}</td>", other)
