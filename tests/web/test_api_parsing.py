"""JSON request bodies are parsed by their declared pydantic types; pydantic's validation errors
become the project's problems: the field named (``key``), the message in zh and en."""
from __future__ import annotations

import json

import pytest

from dividends.web import payloads
from schemes.problems import InputError


def _problems(model, body) -> list[tuple[str | None, str, str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    with pytest.raises(InputError) as caught:
        payloads.parse_json(model, raw)
    return [(p.key, p.msg.key, p.msg.text("zh"), p.msg.text("en")) for p in caught.value.problems]


def test_a_good_body_is_parsed_into_its_type() -> None:
    data = payloads.parse_json(payloads.ReturnIn, b'{"period": 2024, "amount_yuan": " 1000.50 ", "extra": 1}')
    assert (data.period, data.amount_yuan, data.asset, data.note) == (2024, "1000.50", "asset", "")
    days = payloads.parse_json(payloads.PublicizeIn, b'{"start": "2024-03-01", "end": "2024-03-08"}')
    assert (days.start.isoformat(), days.end.isoformat()) == ("2024-03-01", "2024-03-08")


def test_each_wrong_field_is_named_in_both_languages() -> None:
    found = _problems(payloads.ReturnIn, {"period": "2024", "amount_yuan": "  "})
    assert [(key, msg) for key, msg, _, _ in found] == [("period", "web.form.int"), ("amount_yuan", "web.form.required")]
    zh, en = found[0][2], found[0][3]
    assert "period" in zh and "整数" in zh and "2024" in zh
    assert en == "'period' must be a whole number, found '2024'"


@pytest.mark.parametrize(("model", "body", "expected"), [
    (payloads.RunIn, {"scheme": "x"}, ("period", "web.form.required")),
    (payloads.RunIn, {"period": True, "scheme": "x"}, ("period", "web.form.int")),
    (payloads.RunIn, {"period": 1999, "scheme": "x"}, ("period", "web.form.int")),
    (payloads.RunIn, {"period": 2024.0, "scheme": "x"}, ("period", "web.form.int")),
    (payloads.PublicizeIn, {"start": "2024/03/01", "end": "2024-03-08"}, ("start", "web.form.date")),
    (payloads.ObjectionIn, {"household_id": "h1", "text": "x" * 2001}, ("text", "web.form.too_long")),
    (payloads.ObjectionIn, {"household_id": 7, "text": "t"}, ("household_id", "web.form.required")),
    (payloads.ObjectionIn, {"household_id": "h1", "text": "不\x00对"}, ("text", "web.form.nul")),  # PostgreSQL stores no NUL
    (payloads.ReturnIn, {"period": 2024, "amount_yuan": "1", "asset": "\x00"}, ("asset", "web.form.nul")),
    (payloads.ResolutionIn, {"meeting_date": "2024-03-01", "entitled": 9, "present": 9, "votes_for": 9,
                             "body": "club"}, ("body", "web.form.choice")),
    (payloads.ReturnRunIn, [1, 2], (None, "web.form.required")),
    (payloads.ReturnRunIn, b"{not json", (None, "web.form.required")),
])
def test_pydantic_errors_map_to_the_projects_messages(model, body, expected) -> None:
    found = _problems(model, body)
    assert [(key, msg) for key, msg, _, _ in found] == [expected]
    key, _, zh, en = found[0]
    assert zh and en and zh != en


def test_a_choice_lists_what_it_expects() -> None:
    [(_, _, zh, en)] = _problems(payloads.ResolutionIn, {"meeting_date": "2024-03-01", "entitled": 9, "present": 9,
                                                         "votes_for": 9, "body": "club"})
    assert "representatives" in en and "club" in en and "representatives" in zh


def test_an_unmapped_error_is_still_located() -> None:
    class Odd(payloads.Request):
        flag: bool

    [(key, msg, zh, en)] = _problems(Odd, {"flag": "maybe"})
    assert (key, msg) == ("flag", "web.form.invalid") and "flag" in zh and "flag" in en
