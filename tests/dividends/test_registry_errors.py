"""Every kind of bad registry input gets one problem per bad cell, saying where and what was
expected, in English and Chinese; nothing is returned from an invalid registry."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dividends.registry import read_registry, read_returns
from schemes.problems import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "registry"
REFERENCE = date(2025, 6, 30)
VALID = {
    "households": FIXTURES / "households.csv",
    "members": FIXTURES / "members.csv",
    "posts": FIXTURES / "posts.csv",
}

AMOUNT = "expected an amount in yuan, not negative, with at most 2 decimals (such as 1234.50 or 1,234.50), found"
ID = "expected an 18-character ID number with a valid GB 11643 check digit, found"
BIRTH = "expected an ID number whose characters 7-14 are a real birth date (YYYYMMDD, from 1900 and not after 2025-06-30), found"
PHONE = (
    "expected a mainland China mobile number (11 digits, optionally with +86) or a landline with its "
    "area code, found"
)
ACCOUNT = "expected a bank account number of 6 to 32 digits (spaces allowed), found"
STATUS = (
    "expected one of poor, exited, monitored, non_poor (贫困户, 脱贫户/已脱贫户, 监测户/脱贫不稳定户/"
    "边缘易致贫户/突发严重困难户, 一般户) or a word of the county's status vocabulary, found"
)
REQUIRED = "a value is required here, but the cell is empty"
EXCEL_ID = "; Excel stored the ID number as a number and kept only 15 digits: format the column as text in Excel and enter the numbers again"
EXCEL_ACCOUNT = (
    "; Excel stored the account number as a number in scientific notation and lost digits: "
    "format the column as text in Excel and enter the numbers again"
)

# (file kind, fixture, [(row, column, English message[, file kind of the problem])]);
# {households} and {members} in a message stand for those files' paths. Problems are listed in
# file order (households, posts, members), then row, then column order.
CASES = [
    (
        "households",
        "households_empty.csv",
        [(None, None, "the file is empty; expected a header row and at least one data row")],
    ),
    (
        "households",
        "households_header_only.csv",
        [
            (
                None,
                None,
                "the file has a header row but no data rows; expected at least one data row",
            )
        ],
    ),
    (
        "households",
        "households_missing_column.csv",
        [
            (
                1,
                None,
                "missing required column: expected a column 'id_number' (Chinese header “身份证号”); the file's headers are: household_id, village_id, head_name, phone, members, able_members, status",
            )
        ],
    ),
    (
        "households",
        "households_duplicate_column.csv",
        [
            (
                1,
                None,
                "columns '身份证号' and '身份证号码' both mean 'id_number'; keep only one of them",
            )
        ],
    ),
    (
        "households",
        "households_bad_encoding.csv",
        [
            (
                None,
                None,
                "could not read the text: tried UTF-8 (with or without BOM) and GBK/GB18030; save the file from Excel as 'CSV UTF-8 (Comma delimited)' or as .xlsx",
            )
        ],
    ),
    (
        "households",
        "households_utf16.csv",
        [
            (
                None,
                None,
                "the file is UTF-16 text (Excel's 'Unicode Text'); save it as 'CSV UTF-8 (Comma delimited)' or as .xlsx",
            )
        ],
    ),
    (
        "households",
        "households_ragged.csv",
        [
            (3, None, "this row has 6 cells but the header row has 12"),
            (3, "able_members", REQUIRED),
            (3, "status", REQUIRED),
            (4, None, "this row has 13 cells but the header row has 12"),
        ],
    ),
    (
        "households",
        "households_required_empty.csv",
        [(2, "head_name", REQUIRED), (3, "status", REQUIRED)],
    ),
    (
        "households",
        "households_bad_id.csv",
        [
            (2, "id_number", f"{ID} '11010519491231002Y'"),
            (3, "id_number", f"{ID} '13062319700815002'"),
            (4, "id_number", f"{ID} '510824198001010035'"),
        ],
    ),
    (
        "households",
        "households_id_birth_date.csv",
        [
            (2, "id_number", f"{BIRTH} '110105194913310021'"),
            (3, "id_number", f"{BIRTH} '110105209901010014'"),
        ],
    ),
    (
        "households",
        "households_id_lost_digits.csv",
        [(2, "id_number", f"{ID} '3.71321E+17'{EXCEL_ID}")],
    ),
    (
        "households",
        "households_duplicate_household.csv",
        [
            (2, "household_id", "household id 'V0001-00001' appears more than once: also in row 4"),
            (4, "household_id", "household id 'V0001-00001' appears more than once: also in row 2"),
        ],
    ),
    (
        "households",
        "households_duplicate_id_number.csv",
        [
            (
                2,
                "id_number",
                "ID number '371321196503010017' is also used by another household: row 4 (household V0002-00001)",
            ),
            (
                4,
                "id_number",
                "ID number '371321196503010017' is also used by another household: row 2 (household V0001-00001)",
            ),
        ],
    ),
    (
        "households",
        "households_phone.csv",
        [(2, "phone", f"{PHONE} '1381234567'"), (4, "phone", f"{PHONE} '12812345678'")],
    ),
    (
        "households",
        "households_integers.csv",
        [
            (2, "members", "expected a whole number of at least 1, found '2.5'"),
            (3, "members", "expected a whole number of at least 1, found '0'"),
            (3, "able_members", "expected a whole number of at least 0, found 'x'"),
            (4, "shares", "expected a whole number of at least 0, found '-1'"),
        ],
    ),
    (
        "households",
        "households_able_exceeds.csv",
        [
            (
                3,
                "able_members",
                "the number of members able to work (3) is larger than the number of members (2)",
            )
        ],
    ),
    (
        "households",
        "households_status.csv",
        [(2, "status", f"{STATUS} 'poorish'"), (3, "status", f"{STATUS} '贫困'")],
    ),
    (
        "households",
        "households_capital.csv",
        [
            (2, "capital_yuan", f"{AMOUNT} '12.345'"),
            (3, "capital_yuan", f"{AMOUNT} '-5'"),
            (4, "capital_yuan", f"{AMOUNT} '一万'"),
        ],
    ),
    (
        "households",
        "households_account.csv",
        [
            (2, "account_no", f"{ACCOUNT} '12ab'"),
            (3, "account_no", f"{ACCOUNT} '12345'"),
            (4, "account_no", f"{ACCOUNT} '6.21799E+15'{EXCEL_ACCOUNT}"),
        ],
    ),
    (
        "households",
        "households_language.csv",
        [(3, "language", "expected zh or en (中文 or 英文), found 'fr'")],
    ),
    ("households", "households_title_row.csv", [(4, "id_number", f"{ID} '130623197008150028'")]),
    (
        "members",
        "members_unknown_household.csv",
        [
            (
                8,
                "household_id",
                "household id 'V0009-00001' is not in the households file {households}",
            )
        ],
    ),
    (
        "members",
        "members_bad_date.csv",
        [
            (
                3,
                "birth_date",
                "expected a date such as 1980-03-01, 1980/3/1 or 19800301, found '1967-02-30'",
            ),
            (
                4,
                "birth_date",
                "expected a date such as 1980-03-01, 1980/3/1 or 19800301, found '09/01/2010'",
            ),
        ],
    ),
    (
        "members",
        "members_birth_range.csv",
        [
            (
                4,
                "birth_date",
                "expected a birth date from 1900-01-01 to 2025-06-30, found 2099-01-01",
            ),
            (
                6,
                "birth_date",
                "expected a birth date from 1900-01-01 to 2025-06-30, found 1890-02-02",
            ),
        ],
    ),
    (
        "members",
        "members_boolean.csv",
        [
            (3, "able_to_work", "expected yes/no (是/否, 1/0, true/false, Y/N), found 'maybe'"),
            (4, "student", "expected yes/no (是/否, 1/0, true/false, Y/N), found '2'"),
        ],
    ),
    (
        "members",
        "members_duplicate.csv",
        [
            (
                2,
                "members",
                "the households file gives 3 as the number of members, but the members file {members} has 4 rows for this household",
                "households",
            ),
            (3, "name", "the same member (household, name and birth date) appears again in row 5"),
            (5, "name", "the same member (household, name and birth date) appears again in row 3"),
        ],
    ),
    (
        "members",
        "members_count_mismatch.csv",
        [
            (
                2,
                "members",
                "the households file gives 3 as the number of members, but the members file {members} has 2 rows for this household",
                "households",
            )
        ],
    ),
    (
        "members",
        "members_able_mismatch.csv",
        [
            (
                2,
                "able_members",
                "the households file gives 2 as the number of members able to work, but the members file {members} marks 1 of this household as able to work",
                "households",
            )
        ],
    ),
    (
        "posts",
        "posts_unknown_household.csv",
        [
            (
                4,
                "household_id",
                "household id 'V0009-00001' is not in the households file {households}",
            )
        ],
    ),
    (
        "posts",
        "posts_months.csv",
        [
            (2, "months_served", "expected a whole number of months from 0 to 12, found '13'"),
            (3, "months_served", "expected a whole number of months from 0 to 12, found '半年'"),
        ],
    ),
    (
        "posts",
        "posts_duplicate.csv",
        [
            (2, "post_type", "the same household, person and post type appears again in row 4"),
            (4, "post_type", "the same household, person and post type appears again in row 2"),
        ],
    ),
    (
        "posts",
        "posts_person_not_member.csv",
        [
            (
                3,
                "person_name",
                "'李四' is not a member of household 'V0001-00002' in the members file {members}",
            )
        ],
    ),
]


def _read(kind: str, fixture: str) -> tuple[InputError, dict[str, str]]:
    """Read the bad file with the valid files it needs (households alone for a households case)."""
    files = {**VALID, kind: FIXTURES / fixture}
    others = {} if kind == "households" else {"members": files["members"], "posts": files["posts"]}
    with pytest.raises(InputError) as caught:
        read_registry(files["households"], **others, reference_date=REFERENCE)
    return caught.value, {k: str(v) for k, v in files.items()}


@pytest.mark.parametrize(("kind", "fixture", "expected"), CASES, ids=[c[1] for c in CASES])
def test_each_bad_file_reports_every_problem_with_file_row_column_and_expectation(
    kind: str, fixture: str, expected: list[tuple]
) -> None:
    error, names = _read(kind, fixture)
    found = [(p.file, p.row, p.column, p.msg.text("en")) for p in error.problems]
    assert found == [
        (names[where[0] if where else kind], row, column, message.format(**names))
        for row, column, message, *where in expected
    ]


def test_the_valid_fixtures_read_without_problems() -> None:
    registry = read_registry(
        VALID["households"],
        members=VALID["members"],
        posts=VALID["posts"],
        reference_date=REFERENCE,
    )
    assert registry.households.height == 3
    assert registry.exclusions == ()
    assert registry.sources == VALID


def test_problems_of_all_files_are_reported_together_sorted_by_file_then_row() -> None:
    with pytest.raises(InputError) as caught:
        read_registry(
            FIXTURES / "households_phone.csv",
            members=FIXTURES / "members_boolean.csv",
            posts=FIXTURES / "posts_months.csv",
            reference_date=REFERENCE,
        )
    located = [(Path(p.file or "").name, p.row) for p in caught.value.problems]
    assert located == [
        ("households_phone.csv", 2),
        ("households_phone.csv", 4),
        ("posts_months.csv", 2),
        ("posts_months.csv", 3),
        ("members_boolean.csv", 3),
        ("members_boolean.csv", 4),
    ]


def test_file_level_problems_of_several_files_are_reported_together() -> None:
    with pytest.raises(InputError) as caught:
        read_registry(FIXTURES / "households_empty.csv", members=FIXTURES / "no-such-file.csv")
    assert [(Path(p.file or "").name, p.msg.text("en")) for p in caught.value.problems] == [
        (
            "households_empty.csv",
            "the file is empty; expected a header row and at least one data row",
        ),
        ("no-such-file.csv", "file not found"),
    ]


def test_a_posts_file_with_only_a_header_means_no_posts(tmp_path: Path) -> None:
    posts = tmp_path / "posts.csv"
    posts.write_text("户编号,姓名,岗位类型,岗位等级,服务月数\n", encoding="utf-8")
    registry = read_registry(VALID["households"], posts=posts, members=VALID["members"])
    assert registry.posts is not None and registry.posts.height == 0
    assert registry.posts.columns == [
        "household_id",
        "person_name",
        "post_type",
        "grade",
        "months_served",
    ]


def test_a_members_file_with_only_a_header_contradicts_every_household(tmp_path: Path) -> None:
    members = tmp_path / "members.csv"
    members.write_text("household_id,name,birth_date,able_to_work,student\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_registry(VALID["households"], members=members)
    assert [(p.row, p.msg.params["found"]) for p in caught.value.problems] == [
        (2, 0),
        (3, 0),
        (4, 0),
    ]


def test_a_directory_or_a_non_workbook_xlsx_is_a_clear_file_problem(tmp_path: Path) -> None:
    fake = tmp_path / "households.xlsx"
    fake.write_text("household_id\nV1\n", encoding="utf-8")
    for path, message in [
        (tmp_path, "could not read the file: is a directory"),
        (fake, "could not open the Excel workbook: households.xlsx is not an Excel workbook"),
    ]:
        with pytest.raises(InputError) as caught:
            read_registry(path)
        assert [p.msg.text("en") for p in caught.value.problems] == [message]


def test_a_corrupt_workbook_is_a_file_problem_not_a_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "households.xlsx"
    broken.write_bytes(b"PK\x03\x04 this is not really a zip archive")
    with pytest.raises(InputError) as caught:
        read_registry(broken)
    assert caught.value.problems[0].msg.text("en").startswith("could not open the Excel workbook: ")


# --------------------------------------------------------------------------- returns

RETURN_CASES = [
    (
        "returns_bad_amount.csv",
        [
            (2, "收益金额(元)", f"{AMOUNT} '12.345'"),
            (3, "收益金额(元)", f"{AMOUNT} '-100'"),
            (4, "收益金额(元)", REQUIRED),
        ],
    ),
    (
        "returns_duplicate_village.csv",
        [
            (2, "village_id", "village 'V0001' appears more than once: also in row 4"),
            (4, "village_id", "village 'V0001' appears more than once: also in row 2"),
        ],
    ),
    (
        "returns_missing_column.csv",
        [
            (
                1,
                None,
                "missing required column: expected a column 'amount_yuan' (Chinese header “金额”); the file's headers are: village_id, total; headers not recognised: total (a column mapping can say which column a header means)",
            )
        ],
    ),
]


@pytest.mark.parametrize(("fixture", "expected"), RETURN_CASES, ids=[c[0] for c in RETURN_CASES])
def test_bad_returns_files_report_every_problem(
    fixture: str, expected: list[tuple[int | None, str | None, str]]
) -> None:
    with pytest.raises(InputError) as caught:
        read_returns(FIXTURES / fixture)
    assert [(p.row, p.column, p.msg.text("en")) for p in caught.value.problems] == expected


# --------------------------------------------------------------------------- Chinese


def test_messages_are_in_chinese_when_the_user_asks_for_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIVIDENDS_LANG", "zh")
    error, _ = _read("households", "households_bad_id.csv")
    assert (
        str(error.problems[0].msg)
        == "应为 18 位身份证号且校验位正确（GB 11643），实际为“11010519491231002Y”"
    )
    assert error.problems[0].where().endswith("第 2 行，“id_number”列")
    assert error.text().startswith("发现 3 个问题：")


@pytest.mark.parametrize(
    ("kind", "fixture", "chinese"),
    [
        (
            "households",
            "households_status.csv",
            "应为以下类别之一：贫困户、脱贫户（已脱贫户）、监测户（脱贫不稳定户、边缘易致贫户、突发严重困难户）、一般户，"
            "或县里类别词表中的词，实际为“poorish”",
        ),
        (
            "households",
            "households_duplicate_household.csv",
            "户编号“V0001-00001”重复：第 4 行也使用了它",
        ),
        (
            "households",
            "households_capital.csv",
            "应为不为负数、最多两位小数的元金额（如 1234.50 或 1,234.50），实际为“12.345”",
        ),
        (
            "households",
            "households_missing_column.csv",
            "缺少必填列：应有“身份证号”列（英文表头 id_number）；文件中的表头为：household_id、village_id、head_name、phone、members、able_members、status",
        ),
        ("members", "members_count_mismatch.csv", "人口数为 3，但成员文件 {members} 中该户有 2 行"),
        (
            "households",
            "households_bad_encoding.csv",
            "无法识别文件的文字编码：已尝试 UTF-8（含或不含 BOM）和 GBK/GB18030；请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx",
        ),
    ],
)
def test_chinese_messages_say_what_was_expected_and_found(
    kind: str, fixture: str, chinese: str
) -> None:
    error, names = _read(kind, fixture)
    assert error.problems[0].msg.text("zh") == chinese.format(**names)


def test_a_chinese_header_is_named_as_written_in_the_problem() -> None:
    with pytest.raises(InputError) as caught:
        read_returns(FIXTURES / "returns_bad_amount.csv")
    assert (
        caught.value.problems[0]
        .text("zh")
        .endswith(
            "第 2 行，“收益金额(元)”列: 应为不为负数、最多两位小数的元金额（如 1234.50 或 1,234.50），实际为“12.345”"
        )
    )


def test_messages_that_reach_pages_name_no_command_line_option() -> None:
    """Issue 9 item 9: a web page's message speaks of files and columns, not of ``--posts``.
    Only messages of the command line itself (``cli.*``, the compute and demo commands' output
    directories and their amount options, the notify command's confirmations) may name options."""
    import importlib
    import pkgutil
    import re

    import dividends
    import schemes
    from schemes.i18n import catalog

    for package in (schemes, dividends):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not module.name.endswith("__main__"):
                importlib.import_module(module.name)
    command_line_only = {"compute.amount_many_villages", "compute.amount_or_returns", "output.exists", "output.not_dir",
                         "demo.not_empty", "notify.refused_long", "notify.confirm",
                         "access.scope_village", "access.scope_county",  # user add: left to its owner
                         "users.first_admin", "users.bootstrap_done",
                         "backup.not_empty"}  # the first administrator: CLI only
    option = re.compile(r"(?<![\w-])--[a-z]")
    known = catalog()
    named = sorted(key for key, texts in known.items()
                   if not key.startswith("cli.") and key not in command_line_only
                   and any(option.search(text) for text in texts.values()))
    assert named == []
    assert "registry.unknown_headers" in known and "needs.missing_column" in known  # the walk found them
