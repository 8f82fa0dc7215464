"""One phone rule (phonenumbers' CN metadata), the same for a single value and a whole column."""
from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notify import phones
from tests.reach import reached


@pytest.mark.parametrize("text, kind, digits", [
    ("13800138000", "mobile", "13800138000"), ("+86 138-0013-8000", "mobile", "13800138000"),
    ("008613800138000", "mobile", "13800138000"), ("(010) 6552 9988", "landline", "01065529988"),
    ("0755-12345678", "landline", "075512345678"), ("14012345678", "invalid", ""), ("12345", "invalid", ""),
    ("+15005550006", "invalid", ""), ("", "invalid", ""), ("1.38001E+10", "invalid", ""),
])
def test_a_phone_is_a_mobile_a_landline_or_not_a_number_of_china(text: str, kind: str, digits: str) -> None:
    assert phones.parse(text) == phones.Phone(kind, digits)  # type: ignore[arg-type]


def test_only_mobiles_have_an_e164_form() -> None:
    assert phones.to_e164("13800138000") == "+8613800138000"
    assert phones.to_e164("01065529988") is None and phones.parse("01065529988").e164 is None
    assert phones.national("+8613800138000") == "13800138000" and phones.national("+15005550006") is None


prefixes = st.sampled_from(["", "+86", "0086", "86", "+86 ", "0"])
separators = st.sampled_from(["", " ", "-"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(prefixes, st.text(alphabet="0123456789", min_size=6, max_size=12), separators), max_size=30))
def test_the_column_rule_agrees_with_phonenumbers_on_every_value(cells: list[tuple[str, str, str]]) -> None:
    texts = [p + (d[:3] + sep + d[3:]) for p, d, sep in cells]
    frame = phones.phone_columns(pl.Series(texts, dtype=pl.String))
    if texts:
        reached()
    for text, got, kind in zip(texts, frame["phone"].to_list(), frame["kind"].to_list(), strict=True):
        expected = phones.parse(text)
        assert (kind or "invalid", got or "") == (expected.kind, expected.digits), text


def test_free_text_with_a_whole_mobile_is_found() -> None:
    assert phones.contains_mobile("请拨打 13800138000 查询")
    assert not phones.contains_mobile("账号 6222138001380001234")


def test_the_kept_patterns_are_phonenumbers_metadata() -> None:
    # the registry reads with the patterns kept in notify.phones (no phonenumbers import); an
    # update of phonenumbers that changes region CN's metadata fails here first
    assert (phones.MOBILE_NATIONAL, phones.FIXED_LINE_NATIONAL) == phones.metadata_patterns()


def test_a_column_of_mobiles_only_reads_as_with_a_landline_beside() -> None:
    texts = ["13800138000", None, "+86 138-0013-8000", "008613800138000"]
    only = phones.phone_columns(pl.Series(texts, dtype=pl.String))
    mixed = phones.phone_columns(pl.Series([*texts, "01065529988"], dtype=pl.String))
    assert only.schema == mixed.schema and only.equals(mixed.head(len(texts)))
    assert mixed["kind"].to_list()[-1] == "landline"
