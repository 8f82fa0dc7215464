from __future__ import annotations

import pytest

from notify.inbound import TWILIO_START_WORDS, TWILIO_STOP_WORDS, Intent, parse_inbound

TABLE: list[tuple[str, Intent]] = [
    # opt out: our words, Twilio's words, any case or width, with punctuation
    ("退订", Intent("opt_out")),
    ("退订，谢谢", Intent("opt_out")),
    ("TD", Intent("opt_out")),
    ("td", Intent("opt_out")),
    ("ＴＤ。", Intent("opt_out")),
    (" Stop! ", Intent("opt_out")),
    ("ｓｔｏｐ", Intent("opt_out")),
    ("unsubscribe", Intent("opt_out")),
    # opt in
    ("START", Intent("opt_in")),
    ("yes", Intent("opt_in")),
    ("Unstop", Intent("opt_in")),
    ("订阅", Intent("opt_in")),
    # statement
    ("查询", Intent("statement")),
    ("查询分红", Intent("statement")),
    ("CX", Intent("statement")),
    ("cx ", Intent("statement")),
    ("statement", Intent("statement")),
    # objection, with the household's own words kept
    ("异议 我家人口数不对", Intent("objection", "我家人口数不对")),
    ("异议：我家人口数不对", Intent("objection", "我家人口数不对")),
    ("异议:少算了一人", Intent("objection", "少算了一人")),
    ("异议+岗位月数不对", Intent("objection", "岗位月数不对")),
    ("【异议】少算了一人", Intent("objection", "少算了一人")),
    ("异议", Intent("objection", "")),
    ("YY 人口不对", Intent("objection", "人口不对")),
    ("yy人口不对", Intent("objection", "人口不对")),
    ("OBJ: Wrong head count", Intent("objection", "Wrong head count")),
    ("objection - missing 1 person", Intent("objection", "missing 1 person")),
    ("异议 不想退订", Intent("objection", "不想退订")),
    # anything else is help
    ("HELP", Intent("help")),
    ("帮助", Intent("help")),
    ("你好，请问什么时候发钱？", Intent("help")),
    ("", Intent("help")),
    ("YYY", Intent("help")),
    ("objective", Intent("help")),
    ("stop sending me the wrong amount", Intent("help")),
]


@pytest.mark.parametrize(("body", "intent"), TABLE, ids=[repr(b) for b, _ in TABLE])
def test_parse_inbound(body: str, intent: Intent) -> None:
    assert parse_inbound(body) == intent


@pytest.mark.parametrize("word", sorted(TWILIO_STOP_WORDS))
def test_every_twilio_stop_word_opts_out(word: str) -> None:
    assert parse_inbound(word.lower()).kind == "opt_out"


@pytest.mark.parametrize("word", sorted(TWILIO_START_WORDS))
def test_every_twilio_start_word_opts_in(word: str) -> None:
    assert parse_inbound(word).kind == "opt_in"


def test_the_words_the_issue_names_are_all_known() -> None:
    assert {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"} <= TWILIO_STOP_WORDS
    assert {"START", "YES", "UNSTOP"} <= TWILIO_START_WORDS
