"""Opening Excel workbooks (.xlsx/.xlsm and the older .xls) without letting a file hurt the server.

* An .xlsx is a zip: before anything parses it, every member is inflated in 1 MiB chunks and
  counted, and the file is refused as soon as the total passes the inflated-size limit (a
  400 KB file that inflates to 400 MiB is refused after reading 256 MiB, holding 1 MiB).
  The sizes the zip declares are checked first, but never trusted.
* The sheet read is the one named by the caller, else the first sheet (in workbook order) whose
  first rows hold the header; sheets of instructions (填表说明) are skipped with a message.
* Cells are read as text, from the sheet's row 1 (blank top rows included), so a row number is
  the one Excel shows, for .xlsx and .xls alike.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from dividends.files.limits import MB, Limits
from schemes.i18n import Msg
from schemes.problems import InputError

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
CHUNK = 1 << 20
INSTRUCTION_SHEET = re.compile(r"说明|须知|指南|instruction|read\s*me|how\s*to", re.IGNORECASE)

Fail = Callable[[Msg], InputError]


@dataclass(frozen=True)
class Workbook:
    data: bytes
    names: tuple[str, ...]
    reader: object  # fastexcel.ExcelReader


def check_inflated_size(data: bytes, limits: Limits, fail: Fail) -> None:
    """Refuse a zip whose members inflate past ``limits.inflated_bytes``, counting while
    inflating (never holding more than one chunk)."""
    limit = limits.inflated_bytes
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > limit:
                big = max(members, key=lambda m: m.file_size)
                raise fail(Msg("limits.inflated_too_large", limit=limit // MB, member=big.filename))
            total = 0
            for member in members:
                with archive.open(member) as stream:
                    while chunk := stream.read(CHUNK):
                        total += len(chunk)
                        if total > limit:
                            raise fail(
                                Msg("limits.inflated_too_large", limit=limit // MB, member=member.filename)
                            )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
            NotImplementedError) as exc:
        raise fail(Msg("registry.bad_excel", reason=_reason(exc))) from None


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def open_workbook(data: bytes, limits: Limits, fail: Fail) -> Workbook:
    import fastexcel

    if data.startswith(ZIP_MAGIC):
        check_inflated_size(data, limits, fail)
    try:
        reader = fastexcel.read_excel(data)
        names = tuple(reader.sheet_names)
    except Exception as exc:  # fastexcel raises its own errors for corrupt or locked workbooks
        raise fail(Msg("registry.bad_excel", reason=_reason(exc))) from None
    if not names:
        raise fail(Msg("registry.bad_excel", reason="no sheets"))
    return Workbook(data, names, reader)


def load_sheet(book: Workbook, name: str, limits: Limits, fail: Fail, n_rows: int | None = None) -> pl.DataFrame:
    """Every cell of sheet ``name`` as text, from row 1; positional columns ``column_1``...

    At most ``limits.rows`` rows after the first (more is refused) and ``limits.columns``."""
    wanted = limits.rows + 2 if n_rows is None else n_rows
    try:
        sheet = book.reader.load_sheet(  # type: ignore[attr-defined]
            name, header_row=None, dtypes="string", skip_rows=0, n_rows=wanted
        )
        if sheet.width > limits.columns:
            raise fail(Msg("limits.too_many_columns", limit=limits.columns, found=sheet.width))
        frame = sheet.to_polars()
    except InputError:
        raise
    except Exception as exc:
        raise fail(Msg("registry.bad_excel", reason=_reason(exc))) from None
    if n_rows is None and frame.height > limits.rows + 1:
        raise fail(Msg("limits.too_many_rows", limit=limits.rows))
    frame = frame.select(pl.all().cast(pl.String))
    frame.columns = [f"column_{i + 1}" for i in range(frame.width)]
    return frame


def is_instructions(name: str) -> bool:
    return INSTRUCTION_SHEET.search(name) is not None


def number_cells(book: Workbook, name: str, positions: Sequence[int]) -> pl.DataFrame:
    """For the given sheet columns, True where the cell holds a number (or a boolean).

    Read as booleans, a text cell gives null and a number gives a value: the one way to learn
    the cell type from a reader that hands every cell over as text.
    """
    sheet = book.reader.load_sheet(  # type: ignore[attr-defined]
        name,
        header_row=None,
        skip_rows=0,
        use_columns=list(positions),
        dtypes={p: "boolean" for p in positions},
    )
    numbers = sheet.to_polars()
    return numbers.select(
        pl.col(c).is_not_null().alias(f"column_{p + 1}")
        for c, p in zip(numbers.columns, positions, strict=True)
    )
