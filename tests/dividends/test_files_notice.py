"""The public notice (公示): golden pages in Chinese and English, masking, escaping, print rules.

Golden files live in ``tests/dividends/golden/files/`` and are compared byte for byte. After a
deliberate change to the notice, regenerate them with ``UPDATE_GOLDEN=1 .venv/bin/python -m
pytest tests/dividends/test_files_notice.py`` and review the diff before committing.
"""
from __future__ import annotations

import dataclasses
import os
import re
from datetime import date
from pathlib import Path

import pytest

from dividends.files.notice import (
    NoticeAccount,
    NoticeData,
    NoticeHousehold,
    NoticeStep,
    Objection,
    notice_steps,
    render_notice,
    scheme_paragraph,
    write_notice,
)
from schemes.model import Label
from schemes.presets import load_preset
from schemes.problems import InputError

GOLDEN = Path(__file__).parent / "golden" / "files"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
EXTERNAL = re.compile(r"https?:|//[a-z]|\bsrc=|<link|<script|@import|url\(", re.IGNORECASE)

POSTS = NoticeStep("posts", Label("公益岗位补贴", "post subsidy"))
DIRECT = NoticeStep("direct", Label("直接收益", "direct income"))
COLLECTIVE_STEP = NoticeStep("collective", Label("村集体收入", "collective share"))

HOUSEHOLDS = (  # deliberately not in household order
    NoticeHousehold("V0001-00004", "张王秀英", "371321195203150046", "poor", 1, {"direct": 27450}),
    NoticeHousehold("V0001-00001", "张三明", "11010519491231002x", "poor", 4, {"posts": 96000, "direct": 27450}),
    NoticeHousehold("V0001-00003", "李娜", "371321198002290013", "monitored", 2, {"posts": 36000, "direct": 0}),
    NoticeHousehold("V0001-00002", "欧阳小明", "371321196503150028", "poor", 3, {"direct": 54900}),
    NoticeHousehold("V0001-00005", "王", "371321194407080017", "exited", 2, {"direct": 27450}),
)
ACCOUNTS = (
    NoticeAccount("collective", Label("村集体经济收入", "village collective"), 30000),
    NoticeAccount("carry_over", Label("结转下年度分配", "carried over to next year"), 37),
)
HOUSEHOLD_FEN = 27450 + 96000 + 27450 + 36000 + 54900 + 27450
RETURN_FEN = HOUSEHOLD_FEN + 30000 + 37


def typical() -> NoticeData:
    return NoticeData(
        village_name=Label("青山村", "Qingshan Village"),
        county=Label("山东省临沂市沂南县岸堤镇", "Andi Town, Yinan County, Shandong"),
        period=2024,
        scheme_title=Label("村级光伏扶贫电站收益分配", "village PV station returns"),
        description=Label(
            "（1）村集体收入：收益的 10% 记入村集体经济收入。（2）公益岗位补贴：按岗位等级和服务月数支付。"
            "（3）直接收益：其余按无劳动能力人数分给贫困户，分不尽的尾数结转下年度。",
            "(1) Collective share: 10% of the return to the village collective. (2) Post subsidy: paid by "
            "grade and months served. (3) Direct income: the rest split among poor households by members "
            "unable to work; fen that cannot be split are carried over.",
        ),
        asset=Label("村级光伏扶贫电站（100 千瓦）", "the village PV station (100 kW)"),
        return_fen=RETURN_FEN,
        publicity_start=date(2025, 3, 3),
        publicity_end=date(2025, 3, 9),
        posted_on=date(2025, 3, 3),
        objection=Objection(
            contact_name=Label("村会计李建国", "Li Jianguo, village accountant"),
            contact_phone="0539-3218866",
            address=Label("青山村村委会办公室（文化广场东侧）", "the village committee office (east of the square)"),
            hours=Label("工作日 8:30—17:30", "working days 8:30-17:30"),
        ),
        steps=(COLLECTIVE_STEP, POSTS, DIRECT),
        households=HOUSEHOLDS,
        accounts=ACCOUNTS,
        run_id="run-2024-V0001-01",
        content_hash="3f9a0c5be1d27a4c8e6b0f1d2c3a4b5c6d7e8f9011223344556677889900aabb",
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_notice_matches_its_golden_file(lang: str) -> None:
    html = render_notice(typical(), lang)
    path = GOLDEN / f"notice-typical.{lang}.html"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(html.encode("utf-8"))
    assert html.encode("utf-8") == path.read_bytes()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_notice_shows_no_full_id_number_and_no_mobile_number(lang: str) -> None:
    html = render_notice(typical(), lang)
    assert not ID_NUMBER.search(html)
    assert not MOBILE.search(html)
    for h in HOUSEHOLDS:
        assert h.id_number.upper() not in html.upper()
        assert len(h.head_name) == 1 or h.head_name not in html
    assert "110105********002X" in html


def test_names_are_masked_on_the_notice() -> None:
    html = render_notice(typical(), "zh")
    for masked in ("张*明", "张**英", "欧阳*明", "李*", "王*"):
        assert f">{masked}<" in html


def test_households_are_listed_in_household_order_with_amounts_adding_up() -> None:
    html = render_notice(typical(), "zh")
    ids = re.findall(r">(V0001-\d{5})<", html)
    assert ids == sorted(h.household_id for h in HOUSEHOLDS)
    assert '<td class="num">300.37</td>' in html  # the accounts' total
    assert '<td class="num">2,692.50</td>' in html  # the households' total
    assert "农户合计 2,692.50 元 + 集体及基金合计 300.37 元 = 2,992.87 元" in html


def test_a_step_that_pays_no_household_has_no_column() -> None:
    html = render_notice(typical(), "zh")
    assert "村集体收入（元）" not in html
    assert "公益岗位补贴（元）" in html and "直接收益（元）" in html


def test_the_notice_is_printable_a4_and_self_contained() -> None:
    html = render_notice(typical(), "zh")
    assert "size: A4 landscape" in html  # two step columns
    assert "thead { display: table-header-group; }" in html
    assert "break-inside: avoid" in html
    assert not EXTERNAL.search(html)
    assert html.startswith("<!DOCTYPE html>") and html.endswith("</html>\n")


def test_a_list_with_one_step_column_prints_portrait() -> None:
    households = tuple(dataclasses.replace(h, amounts={"direct": h.total_fen}) for h in HOUSEHOLDS)
    html = render_notice(dataclasses.replace(typical(), households=households), "zh")
    assert "size: A4 portrait" in html
    assert "公益岗位补贴（元）" not in html


def test_the_deadline_and_every_way_to_object_are_stated() -> None:
    zh = render_notice(typical(), "zh")
    assert "2025年3月9日（含当日）" in zh
    assert "回复公示短信“异议+原因”" in zh
    assert "0539-3218866" in zh and "青山村村委会办公室" in zh
    en = render_notice(typical(), "en")
    assert "9 March 2025 (inclusive)" in en
    assert "“OBJ”" in en


def test_household_names_and_labels_are_escaped() -> None:
    evil = "<script>alert(1)</script>"
    households = (dataclasses.replace(HOUSEHOLDS[0], head_name=evil), *HOUSEHOLDS[1:])
    steps = (COLLECTIVE_STEP, POSTS, NoticeStep("direct", Label(evil, evil)))
    data = dataclasses.replace(typical(), households=households, steps=steps, village_name=evil)
    for lang in ("zh", "en"):
        html = render_notice(data, lang)
        assert "<script" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_notice_that_does_not_add_up_is_refused() -> None:
    data = dataclasses.replace(typical(), return_fen=RETURN_FEN + 1)
    with pytest.raises(InputError) as caught:
        render_notice(data, "zh")
    assert "2,992.87" in caught.value.text("zh") and "2,992.88" in caught.value.text("zh")


def test_an_amount_for_an_unknown_step_is_refused() -> None:
    households = (dataclasses.replace(HOUSEHOLDS[0], amounts={"nope": 27450}), *HOUSEHOLDS[1:])
    with pytest.raises(InputError, match="nope"):
        render_notice(dataclasses.replace(typical(), households=households), "en")


def test_a_full_number_in_a_free_text_is_refused() -> None:
    leaky = Label("联系人手机 13800138000", "mobile 13800138000")
    with pytest.raises(InputError, match="phone"):
        render_notice(dataclasses.replace(typical(), asset=leaky), "en")
    leaky_id = "身份证 371321195203150046"
    with pytest.raises(InputError, match="ID"):
        render_notice(dataclasses.replace(typical(), description=leaky_id), "en")


def test_the_committee_may_publish_a_mobile_contact_number() -> None:
    objection = dataclasses.replace(typical().objection, contact_phone="13800138000")
    html = render_notice(dataclasses.replace(typical(), objection=objection), "zh")
    assert [m.group(0) for m in MOBILE.finditer(html)] == ["13800138000"]


def test_a_scheme_becomes_one_paragraph_and_its_steps_become_columns() -> None:
    scheme = load_preset("photovoltaic")
    paragraph = scheme_paragraph(scheme)
    assert paragraph.zh.startswith("（1）公益岗位补贴：") and paragraph.zh.endswith("。")
    assert paragraph.en.startswith("(1) public-welfare post subsidy: ") and "\n" not in paragraph.en
    assert [s.id for s in notice_steps(scheme)] == [s.id for s in scheme.steps]


def test_long_numeric_household_ids_are_published_as_they_are() -> None:
    households = tuple(dataclasses.replace(h, household_id=f"37132110020100{i:04d}") for i, h in enumerate(HOUSEHOLDS))
    html = render_notice(dataclasses.replace(typical(), households=households), "zh")
    assert ">371321100201000000<" in html


def test_the_notice_is_written_whole(tmp_path: Path) -> None:
    info = write_notice(typical(), tmp_path / "notice.html", "zh")
    assert info.path.read_bytes() == (GOLDEN / "notice-typical.zh.html").read_bytes()
    assert (info.rows, info.total_fen) == (5, HOUSEHOLD_FEN)
    assert info.unchanged()


@pytest.mark.parametrize("lang, line, check", [
    ("zh", "2023年度结转转入", "与2024年度收益 2,892.87 元加2023年度结转 100.00 元相符"),
    ("en", "Brought forward from 2023", "the 2024 return of 2,892.87 yuan plus 100.00 yuan brought forward from 2023"),
])
def test_carry_over_brought_forward_has_its_own_line_and_counts_in_the_check(lang: str, line: str, check: str) -> None:
    data = dataclasses.replace(typical(), return_fen=RETURN_FEN - 10_000, brought_forward_fen=10_000,
                               brought_forward_period=2023)
    html = render_notice(data, lang)
    assert line in html and check in html
    with pytest.raises(InputError):  # the lines must add up to the return plus what was brought forward
        render_notice(dataclasses.replace(data, brought_forward_fen=0), lang)
