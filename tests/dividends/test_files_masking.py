"""Masking on the public notice: names of every length, compound surnames, ID numbers."""
from __future__ import annotations

import pytest

from dividends.files.masking import mask_id_number, mask_person_name


@pytest.mark.parametrize(("name", "masked"), [
    ("王", "王*"),            # one character (a surname alone in the registry): never shown bare
    ("张三", "张*"),
    ("张三明", "张*明"),
    ("张王秀英", "张**英"),    # a 4-character name with a single surname (冠夫姓)
    ("欧阳明", "欧阳*"),       # compound surname, one-character given name
    ("欧阳小明", "欧阳*明"),   # compound surname, two-character given name
    ("司马相如", "司马*如"),
    ("欧阳", "欧*"),           # two characters: surname 欧, given name 阳
    (" 张三明 ", "张*明"),
    ("Li Ming", "Li M."),
])
def test_names_keep_the_surname_and_hide_the_given_name(name: str, masked: str) -> None:
    assert mask_person_name(name) == masked


def test_a_masked_name_never_equals_the_full_name() -> None:
    for name in ("王", "张三", "张三明", "欧阳小明", "阿依古丽·买买提"):
        assert mask_person_name(name) != name
        assert "*" in mask_person_name(name)


def test_an_empty_name_shows_a_star() -> None:
    assert mask_person_name("  ") == "*"


@pytest.mark.parametrize(("number", "masked"), [
    ("11010519491231002X", "110105********002X"),
    ("11010519491231002x", "110105********002X"),
    (" 110105 19491231 002X ", "110105********002X"),
    ("110105491231002", "110105*****1002"),   # an old 15-digit number
    ("12345", "***45"),                       # malformed: at most two characters kept
    ("", "*"),
])
def test_id_numbers_keep_the_first_six_and_last_four(number: str, masked: str) -> None:
    assert mask_id_number(number) == masked
