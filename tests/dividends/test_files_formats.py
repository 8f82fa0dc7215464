"""Bank formats as data: the shipped file, a site's own file, and located errors for bad ones."""
from __future__ import annotations

from pathlib import Path

import pytest

from dividends.files.banks import load_formats
from schemes.problems import InputError

GOOD = """\
formats:
  - id: psbc_yinan
    name: {zh: 邮储银行沂南县支行代发, en: PSBC Yinan branch payout}
    purpose: "{period}年度{scheme}分红"
    filename: "YN_{village_id}_{batch_no}"
    columns:
      - {header: 序号, field: seq}
      - {header: 账号, field: account_no}
      - {header: 户名, field: payee_name}
      - {header: 金额, field: amount_yuan}
      - {header: 备注, value: ""}
"""


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "site-banks.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_formats(path)
    return [p.text("en") for p in caught.value.problems]


def test_the_shipped_formats_load() -> None:
    formats = load_formats()
    assert {"generic", "psbc", "rcc_one_card", "abc"} <= set(formats)
    assert all(f.source == "dividends/files/banks.yaml" for f in formats.values())


def test_a_site_file_adds_its_formats_to_the_shipped_ones(tmp_path: Path) -> None:
    path = tmp_path / "site-banks.yaml"
    path.write_text(GOOD, encoding="utf-8")
    formats = load_formats(path)
    site = formats["psbc_yinan"]
    assert "generic" in formats
    assert site.headers() == ("序号", "账号", "户名", "金额", "备注")
    assert site.columns[-1].value == "" and site.sheet == "代发明细" and site.summary_row is None


def test_an_unknown_field_names_the_file_line_key_and_the_choices(tmp_path: Path) -> None:
    text = GOOD.replace("field: amount_yuan", "field: amount_yaun")
    [problem] = problems_of(tmp_path, text)
    assert problem.startswith(str(tmp_path / "site-banks.yaml"))
    assert "line 10" in problem and "key formats[0].columns[3].field" in problem
    assert "amount_yaun" in problem and "(amount_yuan?)" in problem and "household_id" in problem


def test_a_misspelt_key_is_reported_with_a_suggestion(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, GOOD.replace("    filename:", "    file_name:"))
    assert any("key formats[0].file_name" in p and "(filename?)" in p for p in problems)
    problems = problems_of(tmp_path, GOOD.replace("    filename: \"YN_{village_id}_{batch_no}\"\n", ""))
    assert any("required key 'filename' is missing" in p for p in problems)


def test_a_format_that_cannot_be_matched_back_or_paid_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace("      - {header: 序号, field: seq}\n", "").replace("      - {header: 账号, field: account_no}\n", "")
    problems = problems_of(tmp_path, text)
    assert any("no household_id or seq column" in p for p in problems)
    assert any("no account_no column" in p for p in problems)
    assert all("key formats[0].columns" in p for p in problems)


def test_an_unknown_placeholder_is_refused_with_the_available_ones(tmp_path: Path) -> None:
    [problem] = problems_of(tmp_path, GOOD.replace("{scheme}", "{scheme_name}"))
    assert "key formats[0].purpose" in problem and "{scheme_name}" in problem and "{" in problem
    assert "village_name" in problem


def test_a_site_format_cannot_take_a_shipped_id(tmp_path: Path) -> None:
    [problem] = problems_of(tmp_path, GOOD.replace("id: psbc_yinan", "id: psbc"))
    assert "'psbc' is already used in dividends/files/banks.yaml" in problem and "line 2" in problem


def test_a_column_with_both_a_field_and_a_value_is_refused(tmp_path: Path) -> None:
    [problem] = problems_of(tmp_path, GOOD.replace('{header: 备注, value: ""}', '{header: 备注, field: bank, value: "x"}'))
    assert "key formats[0].columns[4]" in problem and "either a field" in problem


def test_a_path_in_the_file_name_pattern_is_refused(tmp_path: Path) -> None:
    [problem] = problems_of(tmp_path, GOOD.replace("YN_{village_id}", "../YN_{village_id}"))
    assert "key formats[0].filename" in problem and "path separator" in problem


def test_a_summary_row_wider_than_the_format_is_refused(tmp_path: Path) -> None:
    text = GOOD + "    summary_row: {position: end, cells: [a, b, c, d, e, f]}\n"
    problems = problems_of(tmp_path, text)
    assert any("formats[0].summary_row.position" in p and "(first?)" not in p and "last" in p for p in problems)
    assert any("6 cells, more than the format's 5 columns" in p for p in problems)


def test_a_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    [problem] = problems_of(tmp_path, GOOD.replace("{header: 户名, field: payee_name}", "{header: 户名, field: payee_name"))
    assert "site-banks.yaml" in problem and "YAML syntax error" in problem and "line" in problem


def test_errors_are_given_in_chinese_too(tmp_path: Path) -> None:
    path = tmp_path / "site-banks.yaml"
    path.write_text(GOOD.replace("field: amount_yuan", "field: amount_yaun"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_formats(path)
    text = caught.value.text("zh")
    assert "第 10 行" in text and "应为以下之一" in text


def test_a_missing_site_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the file"):
        load_formats(tmp_path / "nope.yaml")
