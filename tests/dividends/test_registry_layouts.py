"""Sheet layouts as villages make them from county forms, on CSV, XLSX and XLS alike: title rows,
two-row headers with merged group cells, totals and subtotals checked against the sums,
signature and date footers, blank rows, several sheets, and row numbers as Excel shows them."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dividends.registry import read_registry, read_returns
from dividends.registry.idnumber import check_character
from schemes.problems import InputError
from tests.dividends.workbooks import FORMATS, write
from tests.reach import reached

REFERENCE = date(2025, 6, 30)


def ident(n: int) -> str:
    """A valid ID number, distinct for n < 336, never ending in 000 (its sequence ends 11)."""
    first17 = f"1101051980{n // 28 % 12 + 1:02d}{n % 28 + 1:02d}{n % 9 + 1}11"
    return first17 + check_character(first17)


TITLE = ["上河村 2025 年资产收益分配花名册"]
GROUP = ["户编号", "村编码", "户主姓名", "身份证号", "家庭人口", None, "类别", "股数"]
SUB = [None, None, None, None, "人口数", "劳动力", None, None]
FOOTER = [["制表人：王会计", None, "审核人：李主任", None, "日期：2025年6月30日"], ["村委会（盖章）"]]


def household(n: int, members: int = 3, able: int = 2, status: str = "脱贫户", shares: int = 2,
              village: str = "V1") -> list[str | int | None]:
    return [f"H{n}", village, f"户主{n}", ident(n), str(members), str(able), status, str(shares)]


def county_form(totals: list[str | int | None] | None = None) -> list[list[str | int | None]]:
    rows: list[list[str | int | None]] = [TITLE, [], GROUP, SUB, household(1), household(2, 4, 1), [], household(3, 2, 2)]
    rows.append(totals if totals is not None else ["合计", None, None, None, "9", "5", None, "6"])
    return rows + [[]] + FOOTER


MERGED = ["A1:H1", "A3:A4", "B3:B4", "C3:C4", "D3:D4", "E3:F3", "G3:G4", "H3:H4"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_county_form_with_title_group_header_totals_and_footer_reads_every_household(tmp_path: Path, fmt: str) -> None:
    path = write(tmp_path, fmt, county_form(), merge=MERGED)
    registry = read_registry(path, reference_date=REFERENCE)
    hh = registry.households
    assert hh["household_id"].to_list() == ["H1", "H2", "H3"]
    assert hh["members"].to_list() == [3, 4, 2]
    assert hh["able_members"].to_list() == [2, 1, 2]  # 劳动力 under the merged 家庭人口 group
    assert hh["status"].to_list() == ["exited"] * 3
    keys = [n.msg.key for n in registry.notes]
    assert "registry.two_row_header" in keys and "registry.totals_rows" in keys and "registry.footer_rows" in keys
    totals = next(n for n in registry.notes if n.msg.key == "registry.totals_rows")
    assert totals.msg.params["rows"] == [9]


def test_csv_footer_and_totals_rows_with_quotes_and_separators_in_cells_are_still_dropped(tmp_path: Path) -> None:
    """The keyword pass reads each CSV line as written (quotes, separators inside cells): the
    note ``说明：按"股份, 人口"分配`` is found in its line and settled by the cell patterns."""
    rows = county_form()
    rows.insert(-1, ['说明：按"股份, 人口"分配'])
    path = write(tmp_path, "csv", rows, merge=[])
    assert b'""' in path.read_bytes()
    registry = read_registry(path, reference_date=REFERENCE)
    assert registry.households["household_id"].to_list() == ["H1", "H2", "H3"]
    assert next(n for n in registry.notes if n.msg.key == "registry.totals_rows").msg.params["rows"] == [9]
    footer = next(n for n in registry.notes if n.msg.key == "registry.footer_rows").msg.params["rows"]
    assert footer == [11, 12, 13]  # the signatures, the note (row 12), the seal


@pytest.mark.parametrize("fmt", FORMATS)
def test_row_numbers_are_the_ones_excel_shows_below_blank_top_rows(tmp_path: Path, fmt: str) -> None:
    rows = county_form()
    rows[7] = household(3, 2, 3)  # able > members on sheet row 8
    path = write(tmp_path, fmt, [[], [], *rows], merge=[])
    with pytest.raises(InputError) as caught:
        read_registry(path, reference_date=REFERENCE)
    problems = [(p.row, p.msg.key) for p in caught.value.problems]
    assert (10, "registry.able_exceeds_members") in problems  # two blank rows above: 8 + 2


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_totals_row_that_disagrees_with_the_column_sums_is_reported_on_that_row(tmp_path: Path, fmt: str) -> None:
    path = write(tmp_path, fmt, county_form(["合 计", None, None, None, "10", "5", None, "6"]), merge=MERGED)
    with pytest.raises(InputError) as caught:
        read_registry(path, reference_date=REFERENCE)
    [problem] = caught.value.problems
    assert (problem.row, problem.column, problem.msg.key) == (9, "人口数", "registry.totals_mismatch")
    assert "says 10" in problem.msg.text("en") and "add up to 9" in problem.msg.text("en")
    assert "合计行写的是 10" in problem.msg.text("zh")


@pytest.mark.parametrize("fmt", FORMATS)
def test_subtotals_sum_their_own_village_and_the_grand_total_sums_all(tmp_path: Path, fmt: str) -> None:
    header = ["户编号", "村编码", "户主姓名", "身份证号", "人口数", "有劳动能力人数", "类别", "入股金额"]

    def row(n: int, village: str, capital: str) -> list[str | int | None]:
        return [f"H{n}", village, f"户主{n}", ident(n), "2", "1", "一般户", capital]

    rows = [
        header, row(1, "V1", "100.50"), row(2, "V1", "200"), ["小计", None, None, None, "4", "2", None, "300.50"],
        row(3, "V2", "1,000"), ["本村小计", None, None, None, "2", "1", None, "999"],
        ["总计", None, None, None, "6", "3", None, "1,300.50"],
    ]
    with pytest.raises(InputError) as caught:
        read_registry(write(tmp_path, fmt, rows), reference_date=REFERENCE)
    [problem] = caught.value.problems
    assert (problem.row, problem.column) == (6, "入股金额")
    assert "says 999.00" in problem.msg.text("en") and "add up to 1,000.00" in problem.msg.text("en")
    rows[5][7] = "1000"
    registry = read_registry(write(tmp_path, fmt, rows), reference_date=REFERENCE)
    assert registry.households["capital_fen"].to_list() == [10050, 20000, 100000]


def test_a_returns_file_with_a_totals_row_is_checked_too(tmp_path: Path) -> None:
    rows = [["村编码", "金额"], ["V1", "1,000.00"], ["V2", "500"], ["合计", "1500.01"]]
    with pytest.raises(InputError) as caught:
        read_returns(write(tmp_path, "csv", rows, name="returns"))
    assert [p.row for p in caught.value.problems] == [4]
    rows[3][1] = "1500"
    assert read_returns(write(tmp_path, "csv", rows, name="returns"))["amount_fen"].to_list() == [100000, 50000]


INSTRUCTIONS = [["填表说明"], ["1. 每户一行"], ["2. 身份证号列设为文本格式"]]


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_an_instructions_first_sheet_is_skipped_and_the_sheet_read_is_named(tmp_path: Path, fmt: str) -> None:
    rows = [["户编号", "村编码", "户主姓名", "身份证号", "人口数", "劳动力人数", "类别"], household(1)[:7]]
    path = write(tmp_path, fmt, rows, sheet="上河村", extra_sheets={"填表说明": INSTRUCTIONS})
    registry = read_registry(path, reference_date=REFERENCE)
    assert registry.households.height == 1
    skipped, read = registry.notes[:2]
    assert skipped.msg.key == "registry.sheet_skipped" and skipped.msg.params["sheet"] == "填表说明"
    assert read.msg.key == "registry.sheet_read" and read.msg.params["sheet"] == "上河村"
    assert "read the sheet '上河村'" in read.text("en")


@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_the_sheet_holding_the_header_is_read_and_a_named_sheet_wins(tmp_path: Path, fmt: str) -> None:
    header = ["户编号", "村编码", "户主姓名", "身份证号", "人口数", "劳动力人数", "类别"]
    other = [["汇总表"], ["村", "户数"], ["V1", "1"]]
    path = write(tmp_path, fmt, [header, household(2)[:7]], sheet="2025", extra_sheets={"汇总": other})
    assert read_registry(path, reference_date=REFERENCE).households["household_id"].to_list() == ["H2"]
    registry = read_registry(path, reference_date=REFERENCE, sheets={"households": "2025"})
    assert registry.households.height == 1
    with pytest.raises(InputError) as caught:
        read_registry(path, reference_date=REFERENCE, sheets={"households": "2024"})
    [problem] = caught.value.problems
    assert problem.msg.key == "registry.no_such_sheet"
    assert "its sheets are: 汇总, 2025" in problem.msg.text("en")


def test_a_sheet_name_for_a_csv_file_is_a_clear_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "csv", [["户编号"], ["H1"]])
    with pytest.raises(InputError) as caught:
        read_registry(path, sheets={"households": "户信息"})
    assert caught.value.problems[0].msg.key == "registry.sheet_in_csv"


def test_a_workbook_of_instructions_only_says_so(tmp_path: Path) -> None:
    from tests.dividends.workbooks import write_xlsx

    path = write_xlsx(tmp_path / "h.xlsx", {"填表说明": INSTRUCTIONS, "说明2": INSTRUCTIONS})
    with pytest.raises(InputError) as caught:
        read_registry(path)
    assert caught.value.problems[0].msg.key == "registry.no_data_sheet"


def test_keyword_lines_give_the_same_row_kinds_as_the_cells() -> None:
    """The CSV reader finds keyword candidates on whole lines: a superset of the cells' (a keyword
    split by a separator, a quoted cell), so the row kinds are the same."""
    import polars as pl

    from dividends.registry.layout import keyword_lines, row_kinds

    lines = ["V0001-001,V0001,章三,3", '合计,,,9', "制表人：李四,,,", '"审,核",x,复,核', "小计,,,4",
             "V0001-002,V0001,Total Wang,2", "日期：2024年3月1日,,,", '"a ""计"" b",,,']
    cells = pl.read_csv("\n".join(lines).encode(), has_header=False, infer_schema=False)
    assert row_kinds(cells, keyword_lines(pl.Series(lines))).equals(row_kinds(cells))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("tToOaAlLſKk计章制审复核填负责经办主任支书出纳日期时间注说明,\" x中")),
                        max_size=12) | st.none(), max_size=30))
def test_the_keyword_pattern_is_the_keyword_list_either_case(texts: list[str | None]) -> None:
    from dividends.registry.layout import KEYWORDS, has_keyword

    reached()
    cells = pl.Series("c", texts, dtype=pl.String)
    expected = cells.str.contains_any(list(KEYWORDS), ascii_case_insensitive=True)
    assert cells.to_frame().select(has_keyword(pl.col("c"))).to_series().to_list() == expected.to_list()
    assert pl.Series(["TOTAL", "ToTaL", "合计", "盖章", "tota", "ſum"]).to_frame("c").select(
        has_keyword(pl.col("c"))).to_series().to_list() == [True, True, True, True, False, False]
