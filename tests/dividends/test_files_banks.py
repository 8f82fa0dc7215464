"""Bank payout files: golden CSV and XLSX per shipped format, and every refusal clear.

Golden files live in ``tests/dividends/golden/files/``: ``bank-<format>.csv`` is compared byte
for byte; ``bank-<format>.xlsx`` is compared by its cells (read back with polars/fastexcel) and
by its sheet XML holding only text cells. After a deliberate change to a format or a writer,
regenerate them with ``UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/dividends/test_files_banks.py``
and review the CSV diff before committing.
"""
from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import polars as pl
import pytest

from dividends.files.banks import bank_file_name, load_formats, write_bank_csv, write_bank_xlsx
from dividends.files.formats import BankFormat
from dividends.files.payrows import BatchMeta
from notify.privacy import find_unmasked_number
from schemes.money import format_yuan, parse_yuan
from schemes.problems import InputError

GOLDEN = Path(__file__).parent / "golden" / "files"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
FORMATS = load_formats()
BOM = b"\xef\xbb\xbf"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"

META = BatchMeta(village_id="V0001", village_name="青山村", period=2024, run_id="run-2024-V0001-01",
                 batch_no="B001", scheme_title="光伏扶贫电站收益分配", created_on=date(2025, 3, 12))


def items(**changes: list[object]) -> pl.DataFrame:
    """Five households, deliberately out of order: a lower-case x in an ID number, spaces in an
    account number, a comma in a bank name, a name with a character outside the BMP, 0.50 yuan."""
    data: dict[str, list[object]] = {
        "household_id": ["V0001-00004", "V0001-00001", "V0001-00003", "V0001-00002", "V0001-00005"],
        "payee_name": ["欧阳小明", "张三明", "李𠮷", "王", "张王秀英"],
        "id_number": ["37132119650315002x", "110105194912310021", "371321198002290013",
                      "371321194407080017", "371321195203150046"],
        "account_no": ["6222 0212 3456 7891 234", "6217000010012345678", "62284801234567890",
                       "623059112300456789", "6221881234000012345"],
        "bank": ["农商银行岸堤支行", "邮储银行沂南县支行, 岸堤营业所", "农业银行沂南支行", "农商银行岸堤支行",
                 "邮储银行沂南县支行"],
        "amount_fen": [123456, 50, 96000, 1234567, 27450],
    }
    data.update(changes)
    return pl.DataFrame(data, schema_overrides={"amount_fen": pl.Int64})


def csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def xlsx_cells(path: Path) -> list[list[str | None]]:
    frame = pl.read_excel(path, has_header=False, infer_schema_length=0, drop_empty_rows=False, drop_empty_cols=False)
    return [list(row) for row in frame.iter_rows()]


def sheet_cells(path: Path) -> list[ElementTree.Element]:
    with zipfile.ZipFile(path) as z:
        sheet = ElementTree.fromstring(z.read("xl/worksheets/sheet1.xml"))
    return list(sheet.iter(f"{MAIN}c"))


def padded(rows: list[list[str]], width: int) -> list[list[str | None]]:
    return [[(cell or None) for cell in row + [""] * (width - len(row))] for row in rows]


def amount_column(fmt: BankFormat) -> tuple[int, bool]:
    for i, c in enumerate(fmt.columns):
        if c.field in ("amount_yuan", "amount_fen"):
            return i, c.field == "amount_fen"
    raise AssertionError(fmt.id)


def payment_rows(fmt: BankFormat, rows: list[list[str]]) -> list[list[str]]:
    start = rows.index(list(fmt.headers())) + 1
    end = start + items().height
    return rows[start:end]


def column(fmt: BankFormat, field: str) -> int:
    return [c.field for c in fmt.columns].index(field)


# --------------------------------------------------------------------------- golden files


@pytest.mark.parametrize("fmt_id", sorted(FORMATS))
def test_the_bank_csv_matches_its_golden_file(fmt_id: str, tmp_path: Path) -> None:
    info = write_bank_csv(items(), META, FORMATS[fmt_id], tmp_path / "out.csv")
    golden = GOLDEN / f"bank-{fmt_id}.csv"
    if UPDATE:
        golden.write_bytes(info.path.read_bytes())
    assert info.path.read_bytes() == golden.read_bytes()


@pytest.mark.parametrize("fmt_id", sorted(FORMATS))
def test_the_bank_xlsx_matches_its_golden_file_cell_for_cell(fmt_id: str, tmp_path: Path) -> None:
    info = write_bank_xlsx(items(), META, FORMATS[fmt_id], tmp_path / "out.xlsx")
    golden = GOLDEN / f"bank-{fmt_id}.xlsx"
    if UPDATE:
        golden.write_bytes(info.path.read_bytes())
    cells = xlsx_cells(info.path)
    assert cells == xlsx_cells(golden)
    assert cells == padded(csv_rows(GOLDEN / f"bank-{fmt_id}.csv"), len(cells[0]))


@pytest.mark.parametrize("fmt_id", sorted(FORMATS))
def test_every_xlsx_cell_is_text(fmt_id: str, tmp_path: Path) -> None:
    info = write_bank_xlsx(items(), META, FORMATS[fmt_id], tmp_path / "out.xlsx")
    cells = sheet_cells(info.path)
    assert cells
    for cell in cells:
        assert cell.find(f"{MAIN}f") is None, cell.attrib
        if cell.find(f"{MAIN}v") is not None or cell.find(f"{MAIN}is") is not None:
            assert cell.get("t") in ("s", "inlineStr"), cell.attrib


# --------------------------------------------------------------------------- CSV form


@pytest.mark.parametrize("fmt_id", sorted(FORMATS))
def test_the_csv_has_a_bom_and_crlf_line_ends(fmt_id: str, tmp_path: Path) -> None:
    data = write_bank_csv(items(), META, FORMATS[fmt_id], tmp_path / "out.csv").path.read_bytes()
    assert data.startswith(BOM)
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert "李𠮷".encode() in data


@pytest.mark.parametrize("fmt_id", sorted(FORMATS))
def test_rows_are_sorted_by_household_and_amounts_add_up(fmt_id: str, tmp_path: Path) -> None:
    fmt = FORMATS[fmt_id]
    info = write_bank_csv(items(), META, fmt, tmp_path / "out.csv")
    rows = payment_rows(fmt, csv_rows(info.path))
    households = [r[column(fmt, "household_id")] for r in rows]
    assert households == sorted(households) == sorted(items()["household_id"].to_list())
    at, in_fen = amount_column(fmt)
    total = sum(int(r[at]) if in_fen else parse_yuan(r[at]) for r in rows)
    assert total == info.total_fen == int(items()["amount_fen"].sum())
    assert info.rows == len(rows) == items().height
    if fmt.summary_row is not None:
        lines = csv_rows(info.path)
        summary = lines[0] if fmt.summary_row.position == "first" else lines[-1]
        assert (str(total) if in_fen else format_yuan(total, grouping=False)) in summary


def test_amounts_are_exact_yuan_without_grouping(tmp_path: Path) -> None:
    fmt = FORMATS["generic"]
    rows = csv_rows(write_bank_csv(items(), META, fmt, tmp_path / "out.csv").path)
    amounts = [r[column(fmt, "amount_yuan")] for r in payment_rows(fmt, rows)]
    assert amounts == ["0.50", "12345.67", "960.00", "1234.56", "274.50"]
    assert rows[-1][6] == "14815.23"  # the total row


def test_long_numbers_are_written_as_plain_digits(tmp_path: Path) -> None:
    fmt = FORMATS["generic"]
    rows = payment_rows(fmt, csv_rows(write_bank_csv(items(), META, fmt, tmp_path / "out.csv").path))
    by_household = {r[column(fmt, "household_id")]: r for r in rows}
    assert by_household["V0001-00004"][column(fmt, "account_no")] == "6222021234567891234"
    assert by_household["V0001-00004"][column(fmt, "id_number")] == "37132119650315002X"
    assert all(re.fullmatch(r"\d{6,32}", r[column(fmt, "account_no")]) for r in rows)


def test_the_same_batch_gives_the_same_bytes_whatever_the_row_order(tmp_path: Path) -> None:
    shuffled = items().sample(fraction=1.0, shuffle=True, seed=3)
    for writer, suffix in ((write_bank_csv, ".csv"), (write_bank_xlsx, ".xlsx")):
        a = writer(items(), META, FORMATS["psbc"], tmp_path / f"a{suffix}")
        b = writer(shuffled, META, FORMATS["psbc"], tmp_path / f"b{suffix}")
        assert a.sha256 == b.sha256
        assert a.unchanged()


def test_a_directory_gets_the_formats_file_name(tmp_path: Path) -> None:
    info = write_bank_csv(items(), META, FORMATS["psbc"], tmp_path)
    assert info.path == tmp_path / "PSBC_DF_V0001_20250312_B001.csv"
    assert bank_file_name(FORMATS["generic"], META, ".xlsx") == "payout_V0001_2024_B001.xlsx"


def test_an_edited_file_is_no_longer_unchanged(tmp_path: Path) -> None:
    info = write_bank_csv(items(), META, FORMATS["generic"], tmp_path / "out.csv")
    info.path.write_bytes(info.path.read_bytes().replace(b"6217000010012345678", b"6.217E+18"))
    assert not info.unchanged()


def test_every_shipped_format_can_be_matched_back_by_household() -> None:
    for fmt in FORMATS.values():
        assert "household_id" in fmt.fields(), fmt.id


# --------------------------------------------------------------------------- refusals


def refusal(tmp_path: Path, frame: pl.DataFrame, fmt_id: str = "generic") -> str:
    target = tmp_path / "out.csv"
    with pytest.raises(InputError) as caught:
        write_bank_csv(frame, META, FORMATS[fmt_id], target)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind
    return caught.value.text("en") + "\n" + caught.value.text("zh")


def test_an_empty_account_is_refused_naming_the_household(tmp_path: Path) -> None:
    text = refusal(tmp_path, items(account_no=["", "6217000010012345678", "62284801234567890", None,
                                               "6221881234000012345"]))
    assert "V0001-00004" in text and "V0001-00002" in text and "fix the registry" in text
    assert "请先在名册中补全账号" in text


@pytest.mark.parametrize("amount", [0, -100])
def test_an_amount_that_is_not_above_zero_is_refused(tmp_path: Path, amount: int) -> None:
    text = refusal(tmp_path, items(amount_fen=[123456, 50, amount, 1234567, 27450]))
    assert "household V0001-00003" in text and "more than 0" in text


def test_a_household_twice_in_a_batch_is_refused(tmp_path: Path) -> None:
    ids = ["V0001-00004", "V0001-00001", "V0001-00001", "V0001-00002", "V0001-00005"]
    assert "V0001-00001 appears 2 times" in refusal(tmp_path, items(household_id=ids))


def test_a_malformed_account_number_is_refused(tmp_path: Path) -> None:
    text = refusal(tmp_path, items(account_no=["6.22202E+18", "6217000010012345678", "62284801234567890",
                                               "623059112300456789", "6221881234000012345"]))
    assert "V0001-00004" in text and "6 to 32 digits" in text


def test_a_name_that_a_spreadsheet_would_run_as_a_formula_is_refused(tmp_path: Path) -> None:
    text = refusal(tmp_path, items(payee_name=["=HYPERLINK(\"x\")", "张三明", "李𠮷", "王", "张王秀英"]))
    assert "V0001-00004" in text and "formula" in text


def test_a_value_longer_than_the_bank_takes_is_refused_not_cut(tmp_path: Path) -> None:
    long_name = "阿" * 31
    text = refusal(tmp_path, items(payee_name=[long_name, "张三明", "李𠮷", "王", "张王秀英"]), "psbc")
    assert "at most 30 characters" in text and "V0001-00004" in text


def test_an_id_number_is_required_when_the_format_has_one(tmp_path: Path) -> None:
    text = refusal(tmp_path, items(id_number=["", "110105194912310021", "371321198002290013",
                                              "371321194407080017", "371321195203150046"]))
    assert "V0001-00004" in text and "ID number is empty" in text


def test_an_empty_batch_is_refused(tmp_path: Path) -> None:
    assert "no household to pay" in refusal(tmp_path, items().clear())


def test_a_float_amount_column_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="never a float"):
        write_bank_csv(items().with_columns(pl.col("amount_fen").cast(pl.Float64)), META, FORMATS["generic"],
                       tmp_path / "out.csv")


def test_refusals_never_quote_a_full_account_or_id_number(tmp_path: Path) -> None:
    text = refusal(tmp_path, items(
        account_no=["6222021234567891234X", "6217000010012345678", "62284801234567890", "623059112300456789", "1"],
        id_number=["=\"37132119650315002X\"", "110105194912310021", "371321198002290013",
                   "371321194407080017", "371321195203150046"],
    ))
    assert "V0001-00004" in text and "V0001-00005" in text
    assert find_unmasked_number(text) is None
