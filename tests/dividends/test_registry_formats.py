"""The same registry read from UTF-8, UTF-8 with BOM, GBK and XLSX files, with English or
Chinese headers, in any row or column order, gives the same canonical frames."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from polars.testing import assert_frame_equal

from dividends.registry import HOUSEHOLD_COLUMNS, Registry, read_registry, read_returns, read_table
from support.sample import generate, to_file_frame, write_csv, write_frame_csv, write_xlsx
from schemes.problems import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "registry"
REFERENCE = date(2025, 6, 30)

HOUSEHOLD_SCHEMA = {
    "household_id": pl.String,
    "village_id": pl.String,
    "head_name": pl.String,
    "id_number": pl.String,
    "phone": pl.String,
    "members": pl.Int64,
    "able_members": pl.Int64,
    "status": pl.String,
    "shares": pl.Int64,
    "capital_fen": pl.Int64,
    "account_no": pl.String,
    "bank": pl.String,
    "language": pl.String,
}
PERSON_SCHEMA = {
    "household_id": pl.String,
    "name": pl.String,
    "birth_date": pl.Date,
    "able_to_work": pl.Boolean,
    "student": pl.Boolean,
}
POST_SCHEMA = {
    "household_id": pl.String,
    "person_name": pl.String,
    "post_type": pl.String,
    "grade": pl.String,
    "months_served": pl.Int64,
}


def _read(files: dict[str, Path]) -> Registry:
    return read_registry(
        files["households"],
        members=files["persons"],
        posts=files["posts"],
        reference_date=REFERENCE,
    )


def _assert_same(a: Registry, b: Registry) -> None:
    assert_frame_equal(a.households, b.households)
    assert (
        a.persons is not None
        and b.persons is not None
        and a.posts is not None
        and b.posts is not None
    )
    assert_frame_equal(a.persons, b.persons)
    assert_frame_equal(a.posts, b.posts)


def test_the_fixture_registry_reads_into_the_exact_canonical_frames() -> None:
    registry = read_registry(
        FIXTURES / "households.csv",
        members=FIXTURES / "members.csv",
        posts=FIXTURES / "posts.csv",
        reference_date=REFERENCE,
    )
    assert dict(registry.households.schema) == HOUSEHOLD_SCHEMA
    assert registry.persons is not None and dict(registry.persons.schema) == PERSON_SCHEMA
    assert registry.posts is not None and dict(registry.posts.schema) == POST_SCHEMA
    assert registry.households.rows() == [
        (
            "V0001-00001",
            "V0001",
            "王伟",
            "371321196503010017",
            "13812345678",
            3,
            2,
            "poor",
            5,
            123450,
            "6228480012345678901",
            "中国农业银行",
            "zh",
        ),
        (
            "V0001-00002",
            "V0001",
            "李娜",
            "130623197008150029",
            "",
            2,
            1,
            "exited",
            0,
            0,
            "",
            "",
            "zh",
        ),
        (
            "V0002-00001",
            "V0002",
            "张强",
            "510824198001010034",
            "13900001111",
            1,
            1,
            "non_poor",
            10,
            1000000,
            "6217990000000001",
            "中国邮政储蓄银行",
            "zh",
        ),
    ]
    assert registry.persons.rows()[:2] == [
        ("V0001-00001", "刘芳", date(1967, 6, 12), True, False),
        ("V0001-00001", "王伟", date(1965, 3, 1), True, False),
    ]
    assert registry.posts.rows() == [
        ("V0001-00001", "刘芳", "保洁员", "2", 12),
        ("V0001-00002", "李娜", "护林员", "1", 6),
    ]
    returns = read_returns(FIXTURES / "returns.csv")
    assert dict(returns.schema) == {"village_id": pl.String, "amount_fen": pl.Int64}
    assert returns.rows() == [("V0001", 12_000_000), ("V0002", 8_000_050)]


def test_a_gbk_file_with_chinese_headers_and_values_reads_like_the_english_one() -> None:
    english = read_registry(FIXTURES / "households.csv")
    chinese = read_registry(FIXTURES / "households_zh_gbk.csv")
    assert_frame_equal(english.households, chinese.households)


@pytest.fixture(scope="module")
def sample():  # type: ignore[no-untyped-def]
    return generate(400, 4, seed=11)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
@pytest.mark.parametrize("headers", ["en", "zh"])
def test_every_encoding_and_header_language_gives_identical_frames(
    sample,
    tmp_path: Path,
    encoding: str,
    headers: str,  # type: ignore[no-untyped-def]
) -> None:
    files = write_csv(sample, tmp_path, headers=headers, encoding=encoding)  # type: ignore[arg-type]
    registry = _read(files)
    assert_frame_equal(registry.households, sample.households)
    assert_frame_equal(registry.persons, sample.persons)
    assert_frame_equal(registry.posts, sample.posts)
    assert_frame_equal(read_returns(files["returns"]), sample.returns)
    first = files["households"].read_bytes()[:3]
    assert (first == b"\xef\xbb\xbf") == (encoding == "utf-8-sig")


@pytest.mark.parametrize("headers", ["en", "zh"])
def test_xlsx_workbooks_give_identical_frames(sample, tmp_path: Path, headers: str) -> None:  # type: ignore[no-untyped-def]
    files = write_xlsx(sample, tmp_path, headers=headers)  # type: ignore[arg-type]
    registry = _read(files)
    assert_frame_equal(registry.households, sample.households)
    assert_frame_equal(registry.persons, sample.persons)
    assert_frame_equal(registry.posts, sample.posts)
    assert_frame_equal(read_returns(files["returns"]), sample.returns)


def test_shuffled_rows_and_columns_give_identical_sorted_frames(sample, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    straight = _read(write_csv(sample, tmp_path / "straight"))
    shuffled_dir = tmp_path / "shuffled"
    shuffled_dir.mkdir()
    files = {}
    for i, kind in enumerate(("households", "persons", "posts")):
        table = to_file_frame(kind, getattr(sample, kind)).sample(
            fraction=1.0, shuffle=True, seed=i
        )  # type: ignore[arg-type]
        table = table.select(reversed(table.columns))
        files[kind] = shuffled_dir / f"{kind}.csv"
        table.write_csv(files[kind])
    _assert_same(straight, _read(files))


def test_headers_tolerate_case_spaces_units_bom_and_extra_columns(tmp_path: Path) -> None:
    path = tmp_path / "households.csv"
    path.write_text(
        "\ufeff Household ID ,Village-ID,户主姓名,身份证号码,Phone,人口数,有劳动能力人数,Status,股数,"
        " 入股金额（元） ,银行账号,开户行,备注\n"
        "V0001-00001,V0001,王伟,371321196503010017,,3,2,贫困户,5,10.5,,,村委会核实\n",
        encoding="utf-8",
    )
    table = read_table(path, HOUSEHOLD_COLUMNS)
    assert table.headers["household_id"] == "Household ID"
    assert table.headers["capital_yuan"] == "入股金额（元）"
    assert "备注" not in table.frame.columns
    registry = read_registry(path)
    assert registry.households.select("status", "capital_fen", "phone").row(0) == ("poor", 1050, "")


def test_a_title_row_above_the_header_is_skipped_and_rows_keep_their_spreadsheet_numbers() -> None:
    table = read_table(FIXTURES / "households_title_row.csv", HOUSEHOLD_COLUMNS)
    assert table.frame["_row"].to_list() == [3, 4]


def test_blank_lines_are_ignored_but_counted_in_row_numbers(tmp_path: Path) -> None:
    lines = (FIXTURES / "households.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "households.csv"
    path.write_text(
        "\n".join([lines[0], lines[1], "", ",,,,,,,,,,,", lines[2], lines[3]]) + "\n\n",
        encoding="utf-8",
    )
    table = read_table(path, HOUSEHOLD_COLUMNS)
    assert table.frame["_row"].to_list() == [2, 5, 6]
    assert read_registry(path).households.height == 3


def test_a_quoted_cell_with_a_line_break_keeps_record_numbering(tmp_path: Path) -> None:
    lines = (FIXTURES / "households.csv").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "households.csv"
    path.write_text(
        "\n".join(
            [
                lines[0],
                lines[1].replace("中国农业银行", '"中国农业银行\n城关支行"'),
                lines[2],
                lines[3].replace("张强", ""),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read_registry(path)
    assert [(p.row, p.column) for p in caught.value.problems] == [(4, "head_name")]


def test_a_tab_separated_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "households.txt"
    frame = pl.read_csv(FIXTURES / "households.csv", infer_schema=False)
    frame.write_csv(path, separator="\t")
    assert_frame_equal(
        read_registry(path).households, read_registry(FIXTURES / "households.csv").households
    )


def test_full_width_digits_and_excel_style_numbers_are_read(tmp_path: Path) -> None:
    path = tmp_path / "households.csv"
    path.write_text(
        "户编号,村编码,户主姓名,身份证号,手机号,人口数,有劳动能力人数,类别,股数,入股金额\n"
        'V0001-00001,V0001,王伟,３７１３２１１９６５０３０１００１７,１３８ １２３４ ５６７８,３,2.0,监测户,"1,000",￥１，２３４.５\n',
        encoding="utf-8",
    )
    row = read_registry(path).households.row(0, named=True)
    assert (
        row["id_number"],
        row["phone"],
        row["members"],
        row["able_members"],
        row["shares"],
        row["capital_fen"],
    ) == (
        "371321196503010017",
        "13812345678",
        3,
        2,
        1000,
        123450,
    )


def test_member_dates_and_yes_no_values_in_every_accepted_spelling(tmp_path: Path) -> None:
    households = tmp_path / "households.csv"
    households.write_text(
        "household_id,village_id,head_name,id_number,members,able_members,status\n"
        "H1,V1,王伟,371321196503010017,6,3,poor\n",
        encoding="utf-8",
    )
    members = tmp_path / "members.csv"
    members.write_text(
        "户编号,姓名,出生日期,有劳动能力,在校学生\n"
        "H1,甲,1965-03-01,是,否\nH1,乙,1967/6/12,Y,N\nH1,丙,20100901,否,是\n"
        "H1,丁,1970.8.15,1,0\nH1,戊,1938年2月2日,false,\nH1,己,1980-01-01 00:00:00,false,TRUE\n",
        encoding="utf-8",
    )
    persons = read_registry(households, members=members).persons
    assert persons is not None
    assert persons.rows() == [
        ("H1", "丁", date(1970, 8, 15), True, False),
        ("H1", "丙", date(2010, 9, 1), False, True),
        ("H1", "乙", date(1967, 6, 12), True, False),
        ("H1", "己", date(1980, 1, 1), False, True),
        ("H1", "戊", date(1938, 2, 2), False, False),
        ("H1", "甲", date(1965, 3, 1), True, False),
    ]


def test_phone_numbers_are_normalized_to_eleven_digits(tmp_path: Path) -> None:
    path = tmp_path / "households.csv"
    phones = ["+86 138-1234-5678", "0086 13912345678", "8615012345678", "(138) 0000 1111", ""]
    rows = [f"H{i},V1,王{i},{_id(i)},{phone},1,1,poor" for i, phone in enumerate(phones)]
    path.write_text(
        "household_id,village_id,head_name,id_number,phone,members,able_members,status\n"
        + "\n".join(rows)
        + "\n",
        encoding="utf-8",
    )
    assert read_registry(path).households["phone"].to_list() == [
        "13812345678",
        "13912345678",
        "15012345678",
        "13800001111",
        "",
    ]


def _id(i: int) -> str:
    from dividends.registry.idnumber import check_character

    body = f"37132119650301{i:03d}"
    return body + check_character(body)


# --------------------------------------------------------------------------- Excel details


def _workbook(path: Path, rows: list[list[object]], *, first_row: int = 0) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(first_row + r, c, value, dates)  # type: ignore[arg-type]
            elif isinstance(value, bool):
                sheet.write_boolean(first_row + r, c, value)
            elif isinstance(value, (int, float)):
                sheet.write_number(first_row + r, c, value)
            elif value is not None:
                sheet.write_string(first_row + r, c, str(value))
    workbook.close()
    return path


def test_excel_number_date_and_boolean_cells_are_read_as_their_text(tmp_path: Path) -> None:
    households = _workbook(
        tmp_path / "households.xlsx",
        [
            [
                "户编号",
                "村编码",
                "户主姓名",
                "身份证号",
                "手机号",
                "人口数",
                "有劳动能力人数",
                "类别",
                "股数",
                "入股金额",
            ],
            ["H1", "V1", "王伟", "371321196503010017", 13812345678, 2, 1, "贫困户", 3.0, 1234.5],
        ],
    )
    members = _workbook(
        tmp_path / "members.xlsx",
        [
            ["户编号", "姓名", "出生日期", "有劳动能力", "在校学生"],
            ["H1", "王伟", date(1965, 3, 1), True, False],
            ["H1", "王小明", date(2010, 9, 1), False, True],
        ],
    )
    registry = read_registry(households, members=members)
    assert registry.households.select("phone", "members", "shares", "capital_fen").row(0) == (
        "13812345678",
        2,
        3,
        123450,
    )
    assert registry.persons is not None
    assert registry.persons.rows() == [
        ("H1", "王伟", date(1965, 3, 1), True, False),
        ("H1", "王小明", date(2010, 9, 1), False, True),
    ]


def test_an_id_number_stored_as_an_excel_number_gets_a_format_as_text_hint(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "households.xlsx",
        [
            [
                "household_id",
                "village_id",
                "head_name",
                "id_number",
                "members",
                "able_members",
                "status",
            ],
            ["H1", "V1", "王伟", 371321196503010017, 1, 1, "poor"],
        ],
    )
    with pytest.raises(InputError) as caught:
        read_registry(path)
    [problem] = caught.value.problems
    assert (problem.row, problem.column) == (2, "id_number")
    assert problem.msg.text("en").endswith(
        "found '3.71321E+17'; Excel stored the ID number as a number and kept only 15 digits: "
        "format the column as text in Excel and enter the numbers again"
    )
    assert "请在 Excel 中把该列设置为“文本”格式后重新录入" in problem.msg.text("zh")


def test_long_numbers_stored_as_excel_numbers_are_flagged_even_when_they_look_valid(
    tmp_path: Path,
) -> None:
    path = _workbook(
        tmp_path / "households.xlsx",
        [
            [
                "户编号",
                "村编码",
                "户主姓名",
                "身份证号",
                "人口数",
                "有劳动能力人数",
                "类别",
                "银行账号",
            ],
            ["H1", "V1", "王伟", 110105194912313888, 1, 1, "贫困户", 6228480012345678901],
            ["H2", "V1", "李娜", "130623197008150029", 1, 1, "贫困户", 622848001234],
            ["H3", "V1", "张强", "510824198001010034", 1, 1, "贫困户", "6228480012345678901"],
        ],
    )
    with pytest.raises(InputError) as caught:
        read_registry(path)
    assert [(p.row, p.column, p.msg.key) for p in caught.value.problems] == [
        (2, "身份证号", "registry.id_number_lost_digits"),
        (2, "银行账号", "registry.account_no_lost_digits"),
    ]


def test_rows_above_the_used_range_and_a_title_row_keep_excel_row_numbers(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "households.xlsx",
        [
            ["上河村花名册"],
            [
                "household_id",
                "village_id",
                "head_name",
                "id_number",
                "members",
                "able_members",
                "status",
            ],
            ["H1", "V1", "王伟", "371321196503010017", 1, 1, "poor"],
            ["H2", "V1", "李娜", "371321196503010017", 1, 1, "poor"],
        ],
        first_row=2,
    )
    with pytest.raises(InputError) as caught:
        read_registry(path)
    assert [(p.row, p.column) for p in caught.value.problems] == [
        (5, "id_number"),
        (6, "id_number"),
    ]


def test_read_table_maps_headers_and_numbers_rows(tmp_path: Path) -> None:
    table = read_table(FIXTURES / "households_zh_gbk.csv", HOUSEHOLD_COLUMNS)
    assert table.format == "csv"
    assert table.headers["id_number"] == "身份证号"
    assert table.frame.columns == ["_row", *(c.name for c in HOUSEHOLD_COLUMNS)]
    assert table.frame["_row"].to_list() == [2, 3, 4]
    assert table.frame["language"].null_count() == 3


def test_write_frame_csv_writes_gbk_that_excel_reads(tmp_path: Path, sample) -> None:  # type: ignore[no-untyped-def]
    path = write_frame_csv(
        "households", sample.households.head(5), tmp_path / "h.csv", headers="zh", encoding="gbk"
    )
    text = path.read_bytes().decode("gbk")
    assert text.startswith("户编号,村编码,户主姓名,身份证号")
    assert "\r\n" in text
