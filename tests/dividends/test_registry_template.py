"""The blank templates: what a village fills in reads back without a change."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from dividends.cli import app
from dividends.registry import read_registry
from dividends.registry.columns import HOUSEHOLD_COLUMNS
from dividends.registry.template import template_csv, template_file, template_workbook
from tests.dividends.test_registry_layouts import ident


def test_the_workbook_has_instructions_first_and_text_formatted_id_and_account_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    path.write_bytes(template_workbook("zh"))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["填表说明", "户信息", "家庭成员", "公益岗位"]
    sheet = book["户信息"]
    headers = [c.value for c in sheet[1]]
    assert headers == [c.zh for c in HOUSEHOLD_COLUMNS]
    for name in ("身份证号", "银行账号", "手机号", "户编号"):
        letter = openpyxl.utils.get_column_letter(headers.index(name) + 1)
        assert sheet.column_dimensions[letter].number_format == "@", name
    notes = [row[0] for row in book["填表说明"].iter_rows(values_only=True) if row[0]]
    assert any("文本" in str(n) for n in notes)
    assert template_workbook("zh") == template_workbook("zh")  # the same bytes every time


def test_a_filled_in_template_reads_back_for_all_three_kinds(tmp_path: Path) -> None:
    path = tmp_path / "上河村.xlsx"
    path.write_bytes(template_workbook("zh"))
    book = openpyxl.load_workbook(path)
    book["户信息"].append(["H1", "V1", "王伟", ident(1), "13800138000", "2", "1", "已脱贫户", "3", "100", "6228480012345678901", "农行", "中文"])
    book["家庭成员"].append(["H1", "王伟", "1980-01-01", "是", "否"])
    book["家庭成员"].append(["H1", "李娜", "1982-02-02", "否", None])
    book["公益岗位"].append(["H1", "王伟", "保洁员", "A", "12"])
    book.save(path)
    registry = read_registry(path, members=path, posts=path, reference_date=date(2025, 6, 30))
    assert registry.households.row(0, named=True)["id_number"] == ident(1)
    assert registry.households["status"].to_list() == ["exited"]
    assert registry.persons is not None and registry.persons.height == 2
    assert registry.posts is not None and registry.posts["months_served"].to_list() == [12]
    assert {n.msg.key for n in registry.notes} >= {"registry.sheet_skipped", "registry.sheet_read"}


def test_csv_templates_have_the_chinese_headers_with_a_bom() -> None:
    data = template_csv("posts")
    assert data.startswith(b"\xef\xbb\xbf") and data.decode("utf-8-sig").startswith("户编号,姓名,岗位类型,等级,服务月数")
    assert template_file("workbook", "zh").name == "名册模板.xlsx"


def test_the_command_writes_the_templates(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--lang", "zh", "import", "template", "--out", str(tmp_path)])
    assert result.exit_code == 0 and (tmp_path / "名册模板.xlsx").is_file()
    result = CliRunner().invoke(app, ["import", "template", "--out", str(tmp_path), "--format", "csv"])
    assert sorted(p.name for p in tmp_path.glob("*.csv")) == ["households-template.csv", "members-template.csv",
                                                              "posts-template.csv"]
