"""Bank payout files: the formats (``banks.yaml`` plus a site's own file) and the CSV/XLSX writers.

The shipped formats in ``banks.yaml`` are **examples to adapt**, not official bank templates:
before the first payout, compare a format with the import template your branch hands out and
copy it into a site file (with an id of its own) if anything differs.

CSV files are UTF-8 with a BOM (so Excel shows Chinese correctly), CRLF line ends, and cells
quoted only when they hold a comma, a quote or a line end. **Long numbers stay plain digits**:
ID and account numbers are written exactly as the bank's import reads them, with no ``="..."``
wrapper and no leading tab or apostrophe, because an import program takes those characters
literally and would reject the row or, worse, read a different account. The price: Excel, when
it opens the CSV by double-click, shows an account number as ``6.22E+18``, and if the file is
then *saved*, the digits after the fifteenth are gone for good. So: the CSV goes to the bank
untouched (check :meth:`FileInfo.unchanged` before uploading); a person who wants to look at
the batch in Excel opens the XLSX, where every cell is text.

XLSX files hold only text cells (amounts too: ``"1234.56"``), formatted as text (``@``) so a
number typed in later stays text; bold header, frozen below the header, column widths fitted,
Excel's "number stored as text" warnings switched off, document date = the batch's date (the
same batch gives the same bytes).

Both files hold the same cells (see :mod:`dividends.files.payrows`); every shipped format has a
``household_id`` column so that a bank's returned file can be matched back to households.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from datetime import datetime, time
from pathlib import Path

import polars as pl
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from dividends.files.formats import FILENAME_BAD, BankColumn, BankFormat, SummaryRow, read_formats_file
from dividends.files.output import FileInfo, write_atomic
from dividends.files.payrows import BatchMeta, PayTable, build_table
from dividends.files.safe import neutralize

SHIPPED = Path(__file__).with_name("banks.yaml")
SHIPPED_NAME = "dividends/files/banks.yaml"

__all__ = [
    "BankColumn", "BankFormat", "BatchMeta", "FileInfo", "SummaryRow", "bank_file_name", "load_formats",
    "write_bank_csv", "write_bank_xlsx",
]


def load_formats(extra: Path | None = None) -> dict[str, BankFormat]:
    """The shipped formats, plus a site's own formats file if given.

    Raises :class:`~schemes.problems.InputError` listing every problem of the site file with
    its file, line, key path and what was expected. A site format cannot reuse a shipped id:
    adapt a shipped format by copying it under a new id.
    """
    formats = read_formats_file(SHIPPED, SHIPPED_NAME)
    if extra is not None:
        formats.update(read_formats_file(Path(extra), str(extra), taken=formats))
    return formats


def bank_file_name(fmt: BankFormat, meta: BatchMeta, suffix: str) -> str:
    """The format's file-name pattern filled in, with ``suffix`` (``".csv"``) appended.

    Characters a file system refuses (``/ \\ : * ? " < > |``, control characters) become ``_``.
    """
    name = fmt.filename.format_map(meta.placeholders(fmt))
    name = "".join("_" if c in FILENAME_BAD or unicodedata.category(c) == "Cc" else c for c in name).strip(" .")
    return (name or fmt.id) + suffix


def write_bank_csv(items: pl.DataFrame, meta: BatchMeta, fmt: BankFormat, path: Path) -> FileInfo:
    """Write the batch as CSV (UTF-8 with BOM, CRLF). ``path`` is the file, or an existing
    directory to write the format's file name into."""
    table = build_table(items, meta, fmt)
    target = _target(Path(path), fmt, meta, ".csv")
    digest = write_atomic(target, lambda temp: temp.write_bytes(csv_bytes(table)))
    return FileInfo(target, digest, len(table.rows), table.total_fen)


def write_bank_xlsx(items: pl.DataFrame, meta: BatchMeta, fmt: BankFormat, path: Path) -> FileInfo:
    """Write the batch as XLSX, every cell text. ``path`` as for :func:`write_bank_csv`."""
    table = build_table(items, meta, fmt)
    target = _target(Path(path), fmt, meta, ".xlsx")
    digest = write_atomic(target, lambda temp: _write_xlsx(table, meta, fmt, temp))
    return FileInfo(target, digest, len(table.rows), table.total_fen)


def csv_bytes(table: PayTable) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerows([neutralize(cell) for cell in line] for line in table.lines())
    return buffer.getvalue().encode("utf-8-sig")


def _target(path: Path, fmt: BankFormat, meta: BatchMeta, suffix: str) -> Path:
    return path / bank_file_name(fmt, meta, suffix) if path.is_dir() else path


def _write_xlsx(table: PayTable, meta: BatchMeta, fmt: BankFormat, temp: Path) -> None:
    workbook = xlsxwriter.Workbook(str(temp), {
        "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
    })
    workbook.set_properties({
        "title": f"{meta.village_name} {meta.period} {meta.batch_no}",
        "subject": fmt.name.zh,
        "created": datetime.combine(meta.created_on, time()),
    })
    text = workbook.add_format({"num_format": "@"})
    bold = workbook.add_format({"num_format": "@", "bold": True})
    sheet = workbook.add_worksheet(fmt.sheet)
    lines = table.lines()
    header_row = 1 if table.summary is not None and table.summary_first else 0
    widths = [0] * max(len(line) for line in lines)
    for r, line in enumerate(lines):
        for c, cell in enumerate(line):
            widths[c] = max(widths[c], display_width(cell))
            if cell != "":
                sheet.write_string(r, c, neutralize(cell), bold if r == header_row or _is_summary(table, r, len(lines)) else text)
    for c, width in enumerate(widths):
        sheet.set_column(c, c, min(max(width + 2, 6), 60), text)
    sheet.freeze_panes(header_row + 1, 0)
    sheet.ignore_errors({"number_stored_as_text": f"A1:{xl_col_to_name(len(widths) - 1)}{len(lines)}"})
    workbook.close()


def _is_summary(table: PayTable, row: int, count: int) -> bool:
    if table.summary is None:
        return False
    return row == 0 if table.summary_first else row == count - 1


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: CJK (wide) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
