"""Workbooks built by the tests themselves: the same rows as CSV, XLSX (openpyxl) and XLS (xlwt).

``None`` is an empty cell; an ``int`` is a number cell in a workbook; ``merge`` lists cell
ranges (``"A1:E1"``) merged in the workbooks, as a county form merges its title and groups.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

Cell = str | int | None
Rows = Sequence[Sequence[Cell]]
FORMATS = ("csv", "xlsx", "xls")


def write_csv(path: Path, rows: Rows) -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([["" if c is None else c for c in r] for r in rows])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def write_xlsx(path: Path, sheets: dict[str, Rows], merge: dict[str, Sequence[str]] | None = None) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(row=r, column=c, value=value)
        for cells in (merge or {}).get(name, ()):
            sheet.merge_cells(cells)
    book.save(path)
    return path


def write_xls(path: Path, sheets: dict[str, Rows], merge: dict[str, Sequence[str]] | None = None) -> Path:
    import xlwt
    from openpyxl.utils.cell import range_boundaries

    book = xlwt.Workbook(encoding="utf-8")
    for name, rows in sheets.items():
        sheet = book.add_sheet(name)
        merged: dict[tuple[int, int], tuple[int, int, int, int]] = {}
        for cells in (merge or {}).get(name, ()):
            c1, r1, c2, r2 = range_boundaries(cells)
            merged[(r1 - 1, c1 - 1)] = (r1 - 1, r2 - 1, c1 - 1, c2 - 1)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if (r, c) in merged:
                    r1, r2, c1, c2 = merged[(r, c)]
                    sheet.write_merge(r1, r2, c1, c2, value)
                elif value is not None and not any(
                    a <= r <= b and x <= c <= y for a, b, x, y in merged.values()
                ):
                    sheet.write(r, c, value)
    book.save(str(path))
    return path


def write(
    directory: Path,
    fmt: str,
    rows: Rows,
    *,
    name: str = "households",
    sheet: str = "户信息",
    merge: Sequence[str] = (),
    extra_sheets: dict[str, Rows] | None = None,
) -> Path:
    """``rows`` as a file of format ``fmt``; workbooks get ``extra_sheets`` first."""
    path = directory / f"{name}.{fmt}"
    if fmt == "csv":
        return write_csv(path, rows)
    sheets = {**(extra_sheets or {}), sheet: rows}
    writer = write_xlsx if fmt == "xlsx" else write_xls
    return writer(path, sheets, {sheet: merge})
