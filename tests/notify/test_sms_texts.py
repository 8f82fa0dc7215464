from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sms_examples import ACCOUNT, DEADLINE, EN_HEAVY, TYPICAL, ZH_HEAVY

from notify.inbound import REPLY_KEYWORDS, parse_inbound
from notify.texts import (
    RECORDS,
    Publicity,
    UnmaskedNumberError,
    render,
)
from notify.catalog import CATALOG
from schemes.i18n import LANGS

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

CASES = [(kind, case, lang) for (kind, case) in TYPICAL for lang in LANGS]


@pytest.mark.parametrize(
    ("kind", "case", "lang"), CASES, ids=[f"{k}-{c}-{lang}" for k, c, lang in CASES]
)
def test_typical_text_matches_its_golden_file(kind: str, case: str, lang: str) -> None:
    text = render(kind, lang, TYPICAL[kind, case][lang])
    path = GOLDEN / f"{kind}-{case}.{lang}.txt"
    if UPDATE:
        path.write_text(text.body + "\n", encoding="utf-8")
    assert text.body + "\n" == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("kind", "case", "lang"), CASES, ids=[f"{k}-{c}-{lang}" for k, c, lang in CASES]
)
def test_typical_text_fits_two_segments_in_its_natural_encoding(
    kind: str, case: str, lang: str
) -> None:
    text = render(kind, lang, TYPICAL[kind, case][lang])
    assert text.info.encoding == ("UCS-2" if lang == "zh" else "GSM-7")
    assert text.info.segments <= 2
    assert not text.over_limit
    assert "\n" not in text.body


def test_every_kind_has_a_template_in_both_languages() -> None:
    kinds = {t.kind for t in CATALOG.templates.values()}
    assert set(RECORDS) <= kinds
    for template in CATALOG.templates.values():
        for lang in LANGS:
            assert template.text[lang].strip(), (template.id, lang)


def test_the_publicity_notice_reads_as_the_issue_describes() -> None:
    text = render("publicity", "zh", TYPICAL["publicity", "typical"]["zh"])
    assert text.body.startswith(
        "青山村张*明户：2026年度光伏收益分红拟发放1,234.50元（岗位补贴960.00元，直接收益274.50元）。"
        "公示至12月20日，有异议请回复“异议+原因”。"
    )


@pytest.mark.parametrize("lang", LANGS)
def test_texts_never_show_the_full_name_or_account(lang: str) -> None:
    for (kind, case), contexts in TYPICAL.items():
        body = render(kind, lang, contexts[lang]).body
        assert ACCOUNT not in body and ACCOUNT[-5:] not in body, (kind, case)
        assert "张三明" not in body and "Li Ming" not in body, (kind, case)
        if "account" in contexts[lang]:
            assert ("尾号1234" if lang == "zh" else "ending 1234") in body, (kind, case)


def test_a_text_that_would_show_a_long_number_is_refused() -> None:
    context = {**TYPICAL["publicity", "typical"]["zh"], "village": "青山村13800138000"}
    with pytest.raises(UnmaskedNumberError):
        render("publicity", "zh", context)


def test_heavy_chinese_data_still_fits_two_segments_and_english_three() -> None:
    zh = render("publicity", "zh", {**ZH_HEAVY, "deadline": DEADLINE})
    en = render("publicity", "en", {**EN_HEAVY, "deadline": DEADLINE})
    assert "欧阳*明户" in zh.body and "Ouyang X. household" in en.body
    assert "12,345.67" in zh.body
    assert zh.info.segments <= 2, zh.info
    assert en.info.encoding == "GSM-7" and en.info.segments <= 3, en.info


def test_a_long_breakdown_keeps_two_items_and_sums_the_rest_as_other() -> None:
    context = {
        **TYPICAL["payment_confirmation", "typical"]["zh"],
        "amount_fen": 100_000,
        "breakdown": [
            ("股份分红", 40_000),
            ("保底收益", 30_000),
            ("岗位补贴", 20_000),
            ("困难补助", 10_000),
        ],
    }
    body = render("payment_confirmation", "zh", context).body
    assert "（股份分红400.00元，保底收益300.00元，其他300.00元）" in body


def test_an_english_text_with_chinese_names_becomes_ucs2_and_is_flagged_when_too_long() -> None:
    context = {**TYPICAL["publicity", "typical"]["en"], "household": "张三明", "village": "青山村"}
    text = render("publicity", "en", context, max_segments=3)
    assert text.info.encoding == "UCS-2"
    assert text.info.segments == 4 and text.over_limit


def test_over_limit_follows_max_segments() -> None:
    context = TYPICAL["publicity", "typical"]["zh"]
    assert render("publicity", "zh", context, max_segments=1).over_limit
    assert not render("publicity", "zh", context, max_segments=2).over_limit


def test_render_takes_the_record_itself() -> None:
    record = Publicity(**TYPICAL["publicity", "typical"]["zh"])
    assert (
        render("publicity", "zh", record).body
        == render("publicity", "zh", TYPICAL["publicity", "typical"]["zh"]).body
    )


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"amount_fen": 1234.5}, TypeError),
        ({"amount_fen": True}, TypeError),
        ({"breakdown": [("a", 100)]}, ValueError),
        ({"breakdown": [("a", 123450.0)]}, TypeError),
        ({"deadline": None, "unexpected": 1}, TypeError),
    ],
)
def test_bad_records_are_refused(change: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        render("publicity", "zh", {**TYPICAL["publicity", "typical"]["zh"], **change})


def test_a_missing_field_is_an_error_not_a_blank() -> None:
    context = dict(TYPICAL["publicity", "typical"]["zh"])
    del context["deadline"]
    with pytest.raises(TypeError, match="deadline"):
        render("publicity", "zh", context)


def test_statement_states_need_their_dates() -> None:
    context = {k: v for k, v in TYPICAL["statement", "publicity"]["zh"].items() if k != "deadline"}
    with pytest.raises(TypeError):
        render("statement", "zh", context)
    with pytest.raises(TypeError):
        render("statement", "zh", {**context, "status": "paid"})


def test_unknown_kind_language_or_record_type_is_refused() -> None:
    with pytest.raises(ValueError, match="kind"):
        render("reminder", "zh", {})
    with pytest.raises(ValueError, match="language"):
        render("publicity", "fr", TYPICAL["publicity", "typical"]["zh"])
    with pytest.raises(TypeError):
        render("statement", "zh", Publicity(**TYPICAL["publicity", "typical"]["zh"]))


@pytest.mark.parametrize("lang", LANGS)
def test_the_reply_keywords_the_texts_teach_are_understood(lang: str) -> None:
    keywords = REPLY_KEYWORDS[lang]
    assert parse_inbound(keywords["statement"]).kind == "statement"
    assert parse_inbound(keywords["opt_out"]).kind == "opt_out"
    assert parse_inbound(f"{keywords['objection']}+人口数不对").kind == "objection"
    help_text = render("help", lang, TYPICAL["help", "typical"][lang]).body
    for word in keywords.values():
        assert word in help_text


def test_dates_are_written_the_local_way() -> None:
    context = {**TYPICAL["publicity", "typical"]["en"], "deadline": date(2027, 1, 5)}
    assert "until 5 Jan;" in render("publicity", "en", context).body
    context = {**TYPICAL["publicity", "typical"]["zh"], "deadline": date(2027, 1, 5)}
    assert "公示至1月5日" in render("publicity", "zh", context).body


@pytest.mark.parametrize("lang, expected", [
    ("zh", "2026年度光伏收益分红名单已公示，本次您户无分配金额。公示至12月20日，有异议请回复“异议+原因”。"),
    ("en", "the 2026 PV income dividend list is posted; your household gets nothing this time. On public notice until 20 Dec"),
])
def test_a_household_with_nothing_is_told_so_and_may_still_object(lang: str, expected: str) -> None:
    context = {**TYPICAL["publicity", "typical"][lang], "amount_fen": 0, "breakdown": ()}
    text = render("publicity", lang, context)
    assert expected in text.body and "0.00" not in text.body
