"""Values Excel damaged or a copy-paste brought in, status words of current forms, and landlines."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dividends.registry import read_registry
from dividends.registry.vocabulary import Vocabulary
from schemes.problems import InputError
from tests.dividends.test_registry_layouts import ident
from tests.dividends.workbooks import write, write_xlsx

REFERENCE = date(2025, 6, 30)
HEADER = ["户编号", "村编码", "户主姓名", "身份证号", "手机号", "人口数", "有劳动能力人数", "类别"]


def row(n: int, *, id_number: str | int | None = None, phone: str | int | None = "", name: str | None = None,
        status: str = "一般户", hid: str | None = None) -> list[str | int | None]:
    return [hid or f"H{n}", "V1", name or f"户主{n}", ident(n) if id_number is None else id_number, phone, "2", "1",
            status]


def problems_of(path: Path, **kwargs: object) -> list[tuple[int | None, str | None, str]]:
    with pytest.raises(InputError) as caught:
        read_registry(path, reference_date=REFERENCE, **kwargs)  # type: ignore[arg-type]
    return [(p.row, p.column, p.msg.key) for p in caught.value.problems]


def valid_ending_000() -> list[str]:
    """ID numbers that end in 000 and pass the GB 11643 check (sequence k00, check 0)."""
    from dividends.registry.idnumber import check_character

    found = []
    for month in range(1, 13):
        for day in range(1, 29):
            for k in range(10):
                first17 = f"1101051980{month:02d}{day:02d}{k}00"
                if check_character(first17) == "0":
                    found.append(first17 + "0")
    return found


def test_an_id_number_stored_as_a_number_is_quoted_as_excel_shows_it(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "h.xlsx", {"户信息": [HEADER, row(1, id_number=int(ident(1)[:17] + "1"))]})
    [(r, column, key)] = problems_of(path)
    assert (r, column, key) == (2, "身份证号", "registry.id_number_lost_digits")
    with pytest.raises(InputError) as caught:
        read_registry(path, reference_date=REFERENCE)
    assert "found '1.10105E+17'" in caught.value.problems[0].msg.text("en")


def test_ids_ending_in_000_in_bulk_are_all_refused_as_rounded_even_when_they_pass_the_check(tmp_path: Path) -> None:
    rounded = valid_ending_000()[:3]
    rows = [HEADER, *(row(i + 1, id_number=v) for i, v in enumerate(rounded)), *(row(n) for n in range(10, 60))]
    found = problems_of(write(tmp_path, "csv", rows))
    assert found == [(r, "身份证号", "registry.id_number_rounded") for r in (2, 3, 4)]


def test_two_valid_ids_ending_in_000_are_chance_and_accepted(tmp_path: Path) -> None:
    valid = valid_ending_000()[:2]
    rows = [HEADER, *(row(i + 1, id_number=v) for i, v in enumerate(valid)), *(row(n) for n in range(10, 20))]
    assert read_registry(write(tmp_path, "csv", rows), reference_date=REFERENCE).households.height == 12


def test_three_in_a_large_file_are_under_one_percent_and_accepted(tmp_path: Path) -> None:
    valid = valid_ending_000()[:3]
    rows = [HEADER, *(row(i + 1, id_number=v) for i, v in enumerate(valid)), *(row(n) for n in range(10, 310))]
    assert read_registry(write(tmp_path, "csv", rows), reference_date=REFERENCE).households.height == 303


def test_a_first_generation_15_digit_id_has_its_own_message(tmp_path: Path) -> None:
    path = write(tmp_path, "csv", [HEADER, row(1, id_number="110105800101001")])
    assert problems_of(path) == [(2, "身份证号", "registry.id_number_15")]


def test_a_phone_in_scientific_notation_gets_the_excel_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "csv", [HEADER, row(1, phone="1.38001E+10")])
    assert problems_of(path) == [(2, "手机号", "registry.phone_lost_digits")]


@pytest.mark.parametrize("char, name", [("\u202e", "RIGHT-TO-LEFT OVERRIDE"), ("\u200b", "ZERO WIDTH SPACE"),
                                        ("\ufeff", "ZERO WIDTH NO-BREAK SPACE")])
def test_invisible_characters_in_ids_and_names_are_refused_and_named(tmp_path: Path, char: str, name: str) -> None:
    path = write(tmp_path, "csv", [HEADER, row(1, hid=f"H{char}1"), row(2, name=f"王{char}伟")])
    with pytest.raises(InputError) as caught:
        read_registry(path, reference_date=REFERENCE)
    found = [(p.row, p.column, p.msg.key) for p in caught.value.problems]
    assert found == [(2, "户编号", "registry.invisible_character"), (3, "户主姓名", "registry.invisible_character")]
    assert f"U+{ord(char):04X} {name}" in caught.value.problems[0].msg.text("en")


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x","点击")', "+cmd|' /C calc'!A0", "@SUM(A1:A9)", "-2+3"])
def test_formula_leading_text_in_names_is_refused(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "csv", [HEADER, row(1, name=text)])
    assert problems_of(path) == [(2, "户主姓名", "registry.formula_text")]


def test_a_landline_is_accepted_with_a_warning_and_the_household_cannot_get_sms(tmp_path: Path) -> None:
    path = write(tmp_path, "csv", [HEADER, row(1, phone="010-6552 9988"), row(2, phone="13800138000"), row(3, phone="")])
    registry = read_registry(path, reference_date=REFERENCE)
    assert registry.households["phone"].to_list() == ["01065529988", "13800138000", ""]
    [warning] = registry.warnings
    assert (warning.row, warning.column, warning.msg.key) == (2, "手机号", "registry.phone_landline")
    assert registry.unreachable_by_sms()["household_id"].to_list() == ["H1", "H3"]


def test_a_number_no_carrier_uses_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "csv", [HEADER, row(1, phone="14012345678")])
    assert problems_of(path) == [(2, "手机号", "registry.phone")]


@pytest.mark.parametrize("word, status", [("脱贫不稳定户", "monitored"), ("边缘易致贫户", "monitored"),
                                          ("突发严重困难户", "monitored"), ("已脱贫户", "exited"),
                                          ("建档立卡贫困户", "poor"), ("一般农户", "non_poor"), ("Non-Poor", "non_poor")])
def test_status_words_of_current_forms_map_to_the_four_statuses(tmp_path: Path, word: str, status: str) -> None:
    path = write(tmp_path, "csv", [HEADER, row(1, status=word)])
    assert read_registry(path, reference_date=REFERENCE).households["status"].to_list() == [status]


@pytest.mark.parametrize("word", ["低保户", "五保户", "特困", "特困供养人员"])
def test_social_assistance_words_are_refused_with_how_to_map_them(tmp_path: Path, word: str) -> None:
    path = write(tmp_path, "csv", [HEADER, row(1, status=word)])
    with pytest.raises(InputError) as caught:
        read_registry(path, reference_date=REFERENCE)
    [problem] = caught.value.problems
    assert problem.msg.key == "registry.status_decide"
    assert f"monitored: [{word}]" in problem.msg.text("en") and "类别词表" in problem.msg.text("zh")


def test_a_county_vocabulary_file_adds_words_and_decides_the_social_assistance_ones(tmp_path: Path) -> None:
    county = tmp_path / "statuses.yaml"
    county.write_text("statuses:\n  monitored: [低保户]\n  exited: [已脱贫享受政策户]\n", encoding="utf-8")
    vocabulary = Vocabulary.shipped().extended(county)
    path = write(tmp_path, "csv", [HEADER, row(1, status="低保户"), row(2, status="已脱贫享受政策户")])
    assert read_registry(path, reference_date=REFERENCE, vocabulary=vocabulary).households["status"].to_list() == [
        "monitored", "exited"]


def test_a_bad_vocabulary_file_names_its_line_and_the_statuses(tmp_path: Path) -> None:
    county = tmp_path / "statuses.yaml"
    county.write_text("statuses:\n  watched: [低保户]\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        Vocabulary.shipped().extended(county)
    [problem] = caught.value.problems
    assert problem.line == 2 and "monitored" in problem.msg.text("en")


def test_the_vocabulary_maps_only_onto_the_four_statuses_defined_in_schemes() -> None:
    from schemes.statuses import STATUS_NAMES

    vocabulary = Vocabulary.shipped()
    assert set(vocabulary.words.values()) == set(STATUS_NAMES)
    assert not set(vocabulary.words) & set(vocabulary.decide)


def test_the_byte_search_for_invisible_characters_finds_every_one_the_pattern_names() -> None:
    """Validation skips the invisible-character pattern when the file's bytes hold none of them:
    the byte search must find each character of the pattern, alone or inside Chinese text."""
    import re

    from dividends.registry.excel import INVISIBLE
    from dividends.registry.reading import _may_hold_invisible

    invisible = [chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF and re.fullmatch(INVISIBLE, chr(c))]
    assert len(invisible) >= 18
    for char in invisible:
        assert _may_hold_invisible(f"V0001,张{char}三,1".encode())
    assert not _may_hold_invisible("V0001,张三·买买提,1\n".encode())
