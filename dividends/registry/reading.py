"""Reading one input file (CSV or Excel) into a frame of text cells with canonical column names.

Shared by the households, posts, members and returns readers. What it does:

* opens ``.csv`` text in UTF-8 (with or without BOM) or GBK/GB18030 (Excel on Chinese Windows),
  and ``.xlsx``/``.xlsm``/``.xls`` workbooks (first sheet), recognised by their content;
* reads every cell as text, so nothing becomes a float (an ID number stays 18 characters);
* finds the header row (the first of the first ten rows that holds every required column: a
  title row above the header is allowed) and maps headers to canonical columns;
* trims cells, turns empty cells into nulls, drops blank rows, numbers rows as a spreadsheet
  shows them (header row = 1 when it is the first row), and reports rows with too few or too
  many cells.

File-level problems (unreadable, wrong encoding, missing column...) raise
:class:`~schemes.problems.InputError`; row-level reading problems are returned in
:attr:`Table.problems`.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from dividends.registry import messages as _messages  # noqa: F401  (registers the catalog)
from dividends.registry.columns import ColumnSpec, match_headers
from schemes.i18n import Msg
from schemes.problems import InputError, Problem

ROW = "_row"
"""Column holding the spreadsheet row number of each data row."""

HEADER_SEARCH_ROWS = 10
EXCEL_EXTENSIONS = {".xlsx", ".xlsm", ".xls"}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"

FileFormat = Literal["csv", "xlsx"]
_Fail = Callable[[Msg], InputError]


@dataclass(frozen=True)
class Table:
    """The cells of one file, by canonical column.

    ``frame`` has ``_row`` (Int64, the spreadsheet row) and one String column per
    :class:`ColumnSpec` given (null where the cell is empty or the optional column is absent).
    ``headers`` maps the canonical names of the columns present to the header text as written.
    ``number_cells`` (workbooks only) has ``_row`` and a Boolean per ``text_only`` column, for
    the rows where such a cell was stored as a number rather than as text.
    """

    file: str
    format: FileFormat
    frame: pl.DataFrame
    headers: Mapping[str, str]
    positions: Mapping[str, int]
    problems: tuple[Problem, ...] = ()
    number_cells: pl.DataFrame | None = None

    def has(self, column: str) -> bool:
        return column in self.headers

    def header(self, column: str) -> str:
        return self.headers.get(column, column)

    def problem(self, msg: Msg, row: int | None = None, column: str | None = None) -> Problem:
        return Problem(
            msg=msg, file=self.file, row=row, column=self.header(column) if column else None
        )


@dataclass(frozen=True)
class _Sheet:
    """Raw cells: positional String columns, every record including the header."""

    frame: pl.DataFrame
    first_row: int
    widths: pl.Series | None  # CSV: cells per record; None for Excel
    full_width: bool = True  # False when no cell can hold a full-width character
    workbook: bytes | None = None  # Excel: the file, to ask which cells were numbers


def read_table(
    path: Path,
    columns: Sequence[ColumnSpec],
    *,
    name: str | None = None,
    allow_no_rows: bool = False,
) -> Table:
    """Read ``path`` into a :class:`Table` with the given columns.

    ``name`` is how problems name the file (default: the path as given). A file with a header
    but no data rows is a problem unless ``allow_no_rows`` (an optional file such as the posts
    of a year without posts). Raises :class:`InputError` for file-level problems.
    """
    path = Path(path)
    file = name if name is not None else str(path)

    def fail(msg: Msg) -> InputError:
        return InputError([Problem(msg=msg, file=file)])

    data = _read_bytes(path, fail)
    if not data.strip():
        raise fail(Msg("registry.empty_file"))
    fmt: FileFormat = "csv"
    if data.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        fmt = "xlsx"
        sheet = _read_excel(data, fail)
    elif path.suffix.lower() in EXCEL_EXTENSIONS:
        raise fail(Msg("registry.bad_excel", reason=f"{path.name} is not an Excel workbook"))
    else:
        sheet = _read_csv(data, fail)
    table = _to_table(sheet, columns, file, fmt, fail)
    if table.frame.height == 0 and not allow_no_rows:
        raise fail(Msg("registry.no_data_rows"))
    return table


# --------------------------------------------------------------------------- bytes and text


def _read_bytes(path: Path, fail: _Fail) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise fail(Msg("registry.file_not_found")) from None
    except IsADirectoryError:
        raise fail(Msg("registry.file_unreadable", reason="is a directory")) from None
    except OSError as exc:
        raise fail(Msg("registry.file_unreadable", reason=exc.strerror or str(exc))) from None


def _to_utf8(data: bytes, fail: _Fail) -> bytes:
    """UTF-8 bytes (without BOM) for the CSV parser; GBK/GB18030 text is re-encoded."""
    if data.startswith(codecs.BOM_UTF8):
        body = data[len(codecs.BOM_UTF8) :]
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            raise fail(Msg("registry.encoding")) from None
        return body
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _looks_utf16(data):
        raise fail(Msg("registry.utf16"))
    if b"\x00" in data:
        raise fail(Msg("registry.not_text"))
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030").encode("utf-8")
    except UnicodeDecodeError:
        raise fail(Msg("registry.encoding")) from None


def _looks_utf16(data: bytes) -> bool:
    head = data[:400]
    return len(head) >= 4 and (
        head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4
    )


# --------------------------------------------------------------------------- CSV


def _sniff_separator(data: bytes) -> str:
    first = data.split(b"\n", 1)[0]
    return "\t" if b"\t" in first and b"," not in first else ","


def _read_csv(data: bytes, fail: _Fail) -> _Sheet:
    text = _to_utf8(data, fail)
    separator = _sniff_separator(text)
    sheet = _read_csv_fast(text, separator) or _read_csv_exact(text, separator, fail)
    return dataclasses.replace(sheet, full_width=_may_hold_full_width(text))


def _read_csv_fast(text: bytes, separator: str) -> _Sheet | None:
    """Polars' parser, checked against a count of cells per line.

    Returns None (use the exact reader) when the file has a cell with a line break inside
    quotes, a row longer than the first, or anything polars rejects.
    """
    try:
        frame = pl.read_csv(
            text,
            has_header=False,
            infer_schema=False,
            empty_string_is_null=False,
            separator=separator,
            truncate_ragged_lines=True,
        )
        widths = _cells_per_line(text, separator)
    except pl.exceptions.PolarsError:
        return None
    if widths is None or widths.len() != frame.height:
        return None
    if frame.height and widths.max() > frame.width:  # type: ignore[operator]
        return None
    return _Sheet(frame, 1, widths)


def _cells_per_line(text: bytes, separator: str) -> pl.Series | None:
    """Cells in each line, counting separators outside double quotes (vectorized)."""
    lines = pl.read_csv(
        text,
        has_header=False,
        separator="\x00",
        quote_char=None,
        infer_schema=False,
        empty_string_is_null=False,
        new_columns=["line"],
    ).to_series()
    widths = (lines.str.count_matches(separator, literal=True) + 1).cast(pl.Int64)
    quoted = lines.str.contains('"', literal=True)
    if quoted.any():
        at = quoted.arg_true()
        with_quotes = lines.gather(at)
        if not (with_quotes.str.count_matches('"', literal=True) % 2 == 0).all():
            return None  # a quoted cell spans lines
        unquoted = with_quotes.str.replace_all('"[^"]*"', "")
        widths = widths.scatter(
            at, (unquoted.str.count_matches(separator, literal=True) + 1).cast(pl.Int64)
        )
    return widths.alias("width")


def _read_csv_exact(text: bytes, separator: str, fail: _Fail) -> _Sheet:
    """Python's csv module: slower, but exact about quotes, line breaks and short rows."""
    try:
        records = list(
            csv.reader(io.StringIO(text.decode("utf-8"), newline=""), delimiter=separator)
        )
    except csv.Error as exc:
        raise fail(Msg("registry.bad_csv", reason=str(exc))) from None
    width = max((len(r) for r in records), default=0)
    columns = {
        f"column_{i + 1}": [r[i] if i < len(r) else None for r in records] for i in range(width)
    }
    frame = pl.DataFrame(columns, schema={c: pl.String for c in columns})
    widths = pl.Series("width", [len(r) for r in records], dtype=pl.Int64)
    return _Sheet(frame, 1, widths)


# --------------------------------------------------------------------------- Excel


def _read_excel(data: bytes, fail: _Fail) -> _Sheet:
    import fastexcel

    try:
        sheet = fastexcel.read_excel(data).load_sheet(0, header_row=None, dtypes="string")
        frame = sheet.to_polars()
    except Exception as exc:  # fastexcel raises its own errors for corrupt or locked workbooks
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise fail(Msg("registry.bad_excel", reason=reason)) from None
    frame = frame.select(pl.all().cast(pl.String))
    frame.columns = [f"column_{i + 1}" for i in range(frame.width)]
    return _Sheet(frame, _first_used_row(data), None, workbook=data)


def _number_cells(data: bytes, positions: Sequence[int]) -> pl.DataFrame:
    """For the given sheet columns, True where the cell holds a number (or a boolean).

    Read as booleans, a text cell gives null and a number gives a value: the one way to learn
    the cell type from a reader that hands every cell over as text.
    """
    import fastexcel

    sheet = fastexcel.read_excel(data).load_sheet(
        0,
        header_row=None,
        use_columns=list(positions),
        dtypes={p: "boolean" for p in positions},
    )
    numbers = sheet.to_polars()
    return numbers.select(
        pl.col(c).is_not_null().alias(f"column_{p + 1}")
        for c, p in zip(numbers.columns, positions, strict=True)
    )


_ROW_ELEMENT = re.compile(
    rb'<(?:\w+:)?row\b[^>]*?\br="(\d+)"[^>]*?(?:/>|>(.*?)</(?:\w+:)?row>)', re.S
)


def _first_used_row(data: bytes) -> int:
    """The sheet row of the first row with a value (the reader starts there); 1 if unknown."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            target = _first_sheet_member(archive)
            with archive.open(target) as stream:
                chunk = stream.read(4 << 20)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return 1
    for match in _ROW_ELEMENT.finditer(chunk):
        body = match.group(2) or b""
        if re.search(rb"<(?:\w+:)?(?:v|is)\b", body):
            return int(match.group(1))
    return 1


def _first_sheet_member(archive: zipfile.ZipFile) -> str:
    workbook = archive.read("xl/workbook.xml")
    sheet = re.search(rb"<(?:\w+:)?sheet\b[^>]*\br:id=\"([^\"]+)\"", workbook)
    rels = archive.read("xl/_rels/workbook.xml.rels")
    if sheet:
        for rel in re.finditer(rb"<Relationship\b[^>]*>", rels):
            tag = rel.group(0)
            if re.search(rb'\bId="' + re.escape(sheet.group(1)) + rb'"', tag):
                target = re.search(rb'\bTarget="([^"]+)"', tag)
                if target:
                    name = target.group(1).decode()
                    return name.lstrip("/") if name.startswith("/") else "xl/" + name
    return "xl/worksheets/sheet1.xml"


# --------------------------------------------------------------------------- header and cells


def _find_header(frame: pl.DataFrame, columns: Sequence[ColumnSpec]) -> int | None:
    """Index of the header record: the first of the first rows holding every required
    column, else the one matching most columns, else the first non-blank row."""
    required = {c.name for c in columns if c.required}
    best: tuple[int, int] | None = None  # (matches, index)
    for index in range(min(HEADER_SEARCH_ROWS, frame.height)):
        cells = [c or "" for c in frame.row(index)]
        if not any(c.strip() for c in cells):
            continue
        found, _ = match_headers(cells, columns)
        if required <= found.keys():
            return index
        if best is None or len(found) > best[0]:
            best = (len(found), index)
    return None if best is None else best[1]


def _clean(expr: pl.Expr) -> pl.Expr:
    """Trimmed text; an empty or blank cell becomes null."""
    return expr.str.strip_chars().replace("", None)


def _to_table(
    sheet: _Sheet, columns: Sequence[ColumnSpec], file: str, fmt: FileFormat, fail: _Fail
) -> Table:
    raw = sheet.frame
    header_index = _find_header(raw, columns)
    if header_index is None:
        raise fail(Msg("registry.empty_file"))
    header_cells = [(c or "").replace("\ufeff", "").strip() for c in raw.row(header_index)]
    found, clashes = match_headers(header_cells, columns)

    problems: list[Problem] = []
    for column, first, second in clashes:
        problems.append(
            Problem(
                msg=Msg(
                    "registry.duplicate_column",
                    first=header_cells[first],
                    second=header_cells[second],
                    name=column.name,
                ),
                file=file,
                row=sheet.first_row + header_index,
            )
        )
    present = [h for h in header_cells if h]
    for column in columns:
        if column.required and column.name not in found:
            problems.append(
                Problem(
                    msg=Msg(
                        "registry.missing_column",
                        name=column.name,
                        zh=column.zh,
                        found=tuple(present) or ("-",),
                    ),
                    file=file,
                    row=sheet.first_row + header_index,
                )
            )
    if problems:
        raise InputError(problems)

    body = raw.slice(header_index + 1)
    first_data_row = sheet.first_row + header_index + 1
    selected = [
        _clean(pl.col(raw.columns[found[c.name]])).alias(c.name)
        if c.name in found
        else pl.lit(None, pl.String).alias(c.name)
        for c in columns
    ]
    extra: list[pl.Expr] = []
    if sheet.widths is not None:
        extra.append(pl.lit(sheet.widths.slice(header_index + 1)).alias("_width"))
    text_only = [c.name for c in columns if c.text_only and c.name in found]
    if sheet.workbook is not None and text_only:
        try:
            numbers = _number_cells(sheet.workbook, [found[n] for n in text_only])
        except Exception:  # the cell types are a hint only; the text was read already
            numbers = None
        if numbers is not None and numbers.height == raw.height:
            body = body.with_columns(
                numbers.slice(header_index + 1).select(
                    pl.col(f"column_{found[n] + 1}").alias(f"_number_{n}") for n in text_only
                )
            )
            extra += [pl.col(f"_number_{n}") for n in text_only]
    frame = body.select(
        pl.int_range(first_data_row, first_data_row + body.height, dtype=pl.Int64).alias(ROW),
        *selected,
        *extra,
        *_long_row_flag(raw, sheet, header_index),
    )
    mapped = [c.name for c in columns if c.name in found]
    frame = frame.filter(~pl.all_horizontal(pl.col(c).is_null() for c in mapped))
    if sheet.full_width:
        frame = _normalize_code_like(frame, [c for c in columns if c.code_like and c.name in found])

    if sheet.widths is not None:
        header_width = int(sheet.widths[header_index])
        ragged = frame.filter((pl.col("_width") < header_width) | pl.col("_long")).select(
            ROW, "_width"
        )
        for row, width in ragged.iter_rows():
            problems.append(
                Problem(
                    msg=Msg("registry.ragged_row", found=width, expected=header_width),
                    file=file,
                    row=row,
                )
            )
        frame = frame.drop("_width", "_long")

    number_cells = None
    flags = [c for c in frame.columns if c.startswith("_number_")]
    if flags:
        number_cells = frame.filter(pl.any_horizontal(flags)).select(
            ROW, *(pl.col(f).alias(f.removeprefix("_number_")) for f in flags)
        )
        frame = frame.drop(flags)
    return Table(
        file=file,
        format=fmt,
        frame=frame,
        headers={name: header_cells[pos] for name, pos in found.items()},
        positions=dict(found),
        problems=tuple(problems),
        number_cells=number_cells,
    )


def _long_row_flag(raw: pl.DataFrame, sheet: _Sheet, header_index: int) -> list[pl.Expr]:
    """``_long``: the row has non-empty cells to the right of the header's last cell."""
    if sheet.widths is None:
        return []
    header_width = int(sheet.widths[header_index])
    beyond = raw.columns[header_width:]
    if not beyond:
        return [pl.lit(False).alias("_long")]
    return [pl.any_horizontal(_clean(pl.col(c)).is_not_null() for c in beyond).alias("_long")]


_FULL_WIDTH = [chr(c) for c in range(0xFF01, 0xFF5F)] + ["\u3000"]
_HALF_WIDTH = [chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)] + [" "]
_FULL_WIDTH_UTF8 = (b"\xef\xbc", b"\xef\xbd", b"\xe3\x80\x80")


def _may_hold_full_width(data: bytes) -> bool:
    """False when UTF-8 ``data`` has no full-width form (U+FF01-U+FF5E) and no ideographic
    space: then code-like cells need no normalising."""
    return any(marker in data for marker in _FULL_WIDTH_UTF8)


def _normalize_code_like(frame: pl.DataFrame, columns: Sequence[ColumnSpec]) -> pl.DataFrame:
    """Full-width digits, letters and signs (typed with a Chinese input method) to ASCII in
    code-like columns that hold any."""
    names = [c.name for c in columns]
    if not names or frame.height == 0:
        return frame
    needs = frame.select(
        pl.col(n).str.contains(r"[\u3000\uff01-\uff5e]").any().alias(n) for n in names
    ).row(0, named=True)
    todo = [n for n in names if needs[n]]
    if not todo:
        return frame
    return frame.with_columns(
        _clean(pl.col(n).str.replace_many(_FULL_WIDTH, _HALF_WIDTH)).alias(n) for n in todo
    )
