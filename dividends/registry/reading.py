"""Reading one input file (CSV or Excel) into a frame of text cells with canonical column names.

Shared by the households, posts, members and returns readers and the bank-result reader. What
it does:

* refuses a file larger than the limit of its kind before reading it, and checks the limits
  inside the file while reading (:mod:`dividends.files.limits`: inflated size, lines, cells,
  columns, rows);
* opens ``.csv`` text in UTF-8 (with or without BOM) or GBK/GB18030 (Excel on Chinese Windows),
  and ``.xlsx``/``.xlsm``/``.xls`` workbooks, recognised by their content
  (:mod:`dividends.registry.workbook` picks the sheet);
* reads every cell as text, so nothing becomes a float (an ID number stays 18 characters);
* finds the header (:mod:`dividends.registry.layout`: title rows above it, two-row headers) and
  maps headers to canonical columns (built-in names, then the caller's mapping); records the
  optional columns that are absent and the headers it did not recognise, with suggestions;
* trims cells, turns empty cells into nulls, drops blank rows, sets totals rows (合计/小计)
  aside to be checked against the column sums, skips signature and date footers, numbers rows
  as the spreadsheet shows them (the sheet's first row is 1), and reports rows with too few or
  too many cells.

File-level problems (unreadable, too large, wrong encoding, missing column...) raise
:class:`~schemes.problems.InputError`; row-level reading problems are returned in
:attr:`Table.problems`, and what the reader did that the user should know (which sheet it read,
which rows it skipped) in :attr:`Table.notes`. Reading is plain blocking code with no shared
state: a server calls it in a worker thread (``anyio.to_thread.run_sync``) so that the event
loop keeps answering.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from dividends.files.limits import FileKind, Limits, current_limits
from dividends.registry import linefacts
from dividends.registry import messages as _messages  # noqa: F401  (registers the catalog)
from dividends.registry.columns import ColumnSpec, UnknownHeader, match_headers, unknown_headers
from dividends.registry.layout import Header, find_header, keyword_lines, row_kinds
from dividends.registry.linefacts import IDEOGRAPHIC_SPACE, SOFT_HYPHEN, LineFacts
from dividends.registry.workbook import (
    OLE_MAGIC,
    ZIP_MAGIC,
    Workbook,
    is_instructions,
    load_sheet,
    number_cells,
    open_workbook,
)
from schemes.i18n import Msg
from schemes.money import FULL_WIDTH_FORMS, HALF_WIDTH_FORMS
from schemes.problems import InputError, Problem

ROW = "_row"
"""Column holding the spreadsheet row number of each data row."""

EXCEL_EXTENSIONS = {".xlsx", ".xlsm", ".xls"}

FileFormat = Literal["csv", "xlsx"]
_Fail = Callable[[Msg], InputError]


@dataclass(frozen=True)
class Table:
    """The cells of one file, by canonical column.

    ``frame`` has ``_row`` (Int64, the spreadsheet row) and one String column per
    :class:`ColumnSpec` given (null where the cell is empty or the optional column is absent).
    ``headers`` maps the canonical names of the columns present to the header text as written.
    ``number_cells`` (workbooks only) has ``_row`` and a Boolean per ``text_only`` column, for
    the rows where such a cell was stored as a number rather than as text. ``absent`` names the
    optional columns the file lacks; ``unknown`` its headers that mean nothing to the reader.
    ``totals`` holds the totals rows (``_row``, ``_subtotal`` and the text of the summable
    columns), set aside from ``frame``.
    """

    file: str
    format: FileFormat
    frame: pl.DataFrame
    headers: Mapping[str, str]
    positions: Mapping[str, int]
    problems: tuple[Problem, ...] = ()
    number_cells: pl.DataFrame | None = None
    absent: tuple[str, ...] = ()
    unknown: tuple[UnknownHeader, ...] = ()
    sheet: str | None = None
    notes: tuple[Problem, ...] = ()
    totals: pl.DataFrame | None = None
    columns: tuple[ColumnSpec, ...] = ()
    may_hold_invisible: bool = True
    """False when no cell of the file holds an invisible character (its bytes were searched)."""
    may_hold_formula_signs: bool = True
    """False when no cell can start with ``=``, ``+``, ``@``, a tab or a carriage return (the
    file's bytes hold none and no full-width form became one): of the formula starts
    (:data:`dividends.files.safe.FORMULA_START`) only ``-`` is left to look for."""

    def has(self, column: str) -> bool:
        return column in self.headers

    def header(self, column: str) -> str:
        return self.headers.get(column, column)

    def problem(self, msg: Msg, row: int | None = None, column: str | None = None) -> Problem:
        return Problem(
            msg=msg, file=self.file, row=row, column=self.header(column) if column else None
        )

    def unknown_text(self) -> tuple[str, ...]:
        """The unrecognised headers with their suggestions, for messages."""
        return tuple(u.describe(self.columns) for u in self.unknown)


@dataclass(frozen=True)
class _Sheet:
    """Raw cells: positional String columns, every record including the header."""

    frame: pl.DataFrame
    widths: pl.Series | None  # CSV: cells per record; None for Excel
    full_width: bool = True  # False when no cell can hold a full-width character
    invisible: bool = True  # False when no cell can hold an invisible character (excel.INVISIBLE)
    formula_signs: bool = True  # False when no cell can start with = + @ tab CR (see Table)
    # False when no cell can start or end with white space and every empty cell is null or ""
    # (CSV whose bytes hold no white space but line breaks): cells need no trimming
    spaced: bool = True
    workbook: Workbook | None = None  # Excel: the workbook, to ask which cells were numbers
    name: str | None = None  # Excel: the sheet read
    notes: tuple[Msg, ...] = ()
    # CSV read line by line: per record, whether its line holds a totals/footer keyword
    # (a superset of the records with such a cell), found while the lines are at hand
    keyword_rows: pl.Series | None = None
    # CSV read by polars: the bytes of the longest line. Every cell lies within its line (a
    # cell with a line break sends the file to the exact reader), so none has more bytes
    longest_line: int | None = None


def read_table(
    path: Path,
    columns: Sequence[ColumnSpec],
    *,
    name: str | None = None,
    allow_no_rows: bool = False,
    mapping: Mapping[str, str] | None = None,
    sheet: str | None = None,
    kind: FileKind = "registry",
    limits: Limits | None = None,
) -> Table:
    """Read ``path`` into a :class:`Table` with the given columns.

    ``name`` is how problems name the file (default: the path as given; a server passes the
    uploaded file's own name, never its temporary path). A file with a header but no data rows
    is a problem unless ``allow_no_rows`` (an optional file such as the posts of a year without
    posts). ``mapping`` maps headers to canonical names before the built-in names; ``sheet``
    names the workbook sheet to read; ``kind`` chooses the size limit. Raises
    :class:`InputError` for file-level problems.
    """
    path = Path(path)
    file = name if name is not None else str(path)
    limits = limits or current_limits()

    def fail(msg: Msg, row: int | None = None, column: str | None = None) -> InputError:
        return InputError([Problem(msg=msg, file=file, row=row, column=column)])

    data = _read_bytes(path, kind, limits, fail)
    if not data or data.isspace():  # (no stripped copy of the whole file)
        raise fail(Msg("registry.empty_file"))
    fmt: FileFormat = "csv"
    if data.startswith((ZIP_MAGIC, OLE_MAGIC)):
        fmt = "xlsx"
        raw = _read_excel(data, columns, mapping, sheet, limits, fail)
    elif path.suffix.lower() in EXCEL_EXTENSIONS:
        raise fail(Msg("registry.bad_excel", reason=Msg("registry.not_a_workbook", name=Path(file).name)))
    else:
        if sheet is not None:
            raise fail(Msg("registry.sheet_in_csv", sheet=sheet))
        raw = _read_csv(data, limits, fail)
    _check_cells(raw, limits, fail)
    del data  # the file's bytes (as large as the file): parsed, no longer needed
    table = _to_table(raw, columns, file, fmt, mapping, fail)
    del raw  # the parser's cells, freed before the copy below
    # one chunk per column: the parser leaves many, and every later expression mixing columns
    # of different chunkings would align them again (10-50x slower checks). Column by column:
    # the frame's rechunk also compacts the text buffers (0.17 s on 1M rows, against 0.03 s)
    table = dataclasses.replace(
        table, frame=pl.DataFrame([column.rechunk() for column in table.frame.iter_columns()])
    )
    if table.frame.height == 0 and not allow_no_rows:
        raise fail(Msg("registry.no_data_rows"))
    return table


# --------------------------------------------------------------------------- bytes and text


def _read_bytes(path: Path, kind: FileKind, limits: Limits, fail: _Fail) -> bytes:
    try:
        size = path.stat().st_size
        too_large = limits.too_large(kind, size)
        if too_large is not None:
            raise fail(too_large)
        with path.open("rb") as handle:
            data = handle.read(limits.file_bytes(kind) + 1)
    except FileNotFoundError:
        raise fail(Msg("registry.file_not_found")) from None
    except IsADirectoryError:
        raise fail(Msg("registry.file_unreadable", reason=Msg("registry.is_directory"))) from None
    except OSError as exc:
        raise fail(Msg("registry.file_unreadable", reason=exc.strerror or str(exc))) from None
    too_large = limits.too_large(kind, len(data))  # a file that grew while being read
    if too_large is not None:
        raise fail(too_large)
    return data


def _to_utf8(data: bytes, fail: _Fail, *, check: bool = True) -> bytes:
    """UTF-8 bytes (without BOM) for the CSV parser; GBK/GB18030 text is re-encoded.

    ``check=False`` skips decoding: the bytes as they would be if they are UTF-8 (the caller's
    parser refuses invalid UTF-8, and then calls again with ``check=True``)."""
    if data.startswith(codecs.BOM_UTF8):
        body = data[len(codecs.BOM_UTF8) :]
        if b"\x00" in body:  # (valid UTF-8, but no text file: polars' parser would fail on it)
            raise fail(Msg("registry.not_text"))
        if not check:
            return body
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            raise fail(Msg("registry.encoding")) from None
        return body
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _looks_utf16(data):
        raise fail(Msg("registry.utf16"))
    if b"\x00" in data:
        raise fail(Msg("registry.not_text"))
    if not check:
        return data
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
    end = data.find(b"\n")
    first = data if end < 0 else data[:end]  # (no split: it would copy the rest of the file)
    return "\t" if b"\t" in first and b"," not in first else ","


def _read_csv(data: bytes, limits: Limits, fail: _Fail) -> _Sheet:
    text = _to_utf8(data, fail, check=False)
    lines: pl.Series | None = None
    facts: LineFacts | None = None
    # Polars parses the cells on a worker thread while this thread gets the line facts: from
    # the native pass over the bytes (linefacts.scan, GIL released) when it is built and takes
    # the file, else from polars (the lines split, checked and searched for keywords here, the
    # lead bytes searched by a second worker: one memchr pass each, holding the GIL). The parse
    # starts at once only when the first line is within the line limit: a file of a million
    # columns is still refused by its first line's length before any parse. Whatever the order,
    # the same checks raise the same problems: a refused file waits for the parse to end, then
    # raises as before. The native pass declines every file the checks would refuse.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="csv") as pool:
        separator = _sniff_separator(text)
        fits = _first_line_fits(text, limits)
        # the native parse of a plain CSV's cells, straight into one chunk per column; polars'
        # parse when the native pass is not built, or after it declines the file
        native_job = pool.submit(linefacts.cells, text, separator, limits) if fits and linefacts.available() else None
        cells_job = pool.submit(_parse_cells, text, separator) if fits and native_job is None else None
        facts = linefacts.scan(text, separator, limits)
        if facts is not None:
            longest = facts.longest
            keywords = facts.keyword_rows()
            leads = {lead: facts.holds(lead) for lead in (*_LEAD_BYTES, b'"', *_PAIRS)}
            native = native_job.result() if native_job is not None else None
            if native is not None and linefacts.agrees(native, facts):
                cells = (native, True)  # (every line has the first line's cells: none longer)
            else:
                del native
                cells = cells_job.result() if cells_job is not None else _parse_cells(text, separator)
        else:
            if native_job is not None:  # (not used: the text goes the polars way)
                native_job.result()
                cells_job = pool.submit(_parse_cells, text, separator)
            leads_job = pool.submit(_lead_bytes, text)
            try:
                lines = _lines(text)  # polars refuses invalid UTF-8: only then is the text decoded
            except pl.exceptions.PolarsError:
                lines = None
            if lines is not None:
                longest = _check_lines(lines, limits, fail)
                keywords = keyword_lines(lines)  # before the cells are parsed: not on top of their peak
                cells = cells_job.result() if cells_job is not None else _parse_cells(text, separator)
                leads = leads_job.result()
    if facts is None and lines is None:  # GBK/GB18030 re-encoded, or the encoding problem raised
        text = _to_utf8(data, fail)
        lines = _lines(text)
        separator = _sniff_separator(text)
        longest = _check_lines(lines, limits, fail)
        keywords = keyword_lines(lines)
        cells = _parse_cells(text, separator)
        leads = _lead_bytes(text)
    fast = _read_csv_fast(text, separator, facts or lines, keywords, cells=cells, quotes=leads[b'"'])
    # (the exact reader's cells may hold line breaks, inside quotes: they are trimmed as ever)
    sheet = fast or _read_csv_exact(text, separator, fail)
    if sheet.frame.width > limits.columns:
        raise fail(Msg("limits.too_many_columns", limit=limits.columns, found=sheet.frame.width))
    return dataclasses.replace(
        sheet,
        longest_line=longest if fast is not None else None,
        full_width=_may_hold_full_width(text, leads),
        invisible=_may_hold_invisible(text, leads),
        formula_signs=_may_hold_formula_signs(leads),
        spaced=fast is None or any(leads[lead] for lead in _SPACE_LEADS),
    )


def _first_line_fits(text: bytes, limits: Limits) -> bool:
    """The first line (up to its line break) has at most ``limits.line_bytes`` bytes."""
    end = text.find(b"\n")
    return (len(text) if end < 0 else end) <= limits.line_bytes


def _lead_bytes(text: bytes) -> dict[bytes, bool]:
    """Which of :data:`_LEAD_BYTES` and the double quote ``text`` holds (one memchr pass each)."""
    return {lead: lead in text for lead in (*_LEAD_BYTES, b'"')}


def _lines(text: bytes) -> pl.Series:
    return pl.read_csv(
        text,
        has_header=False,
        separator="\x00",
        quote_char=None,
        infer_schema=False,
        empty_string_is_null=False,
        new_columns=["line"],
    ).to_series()


def _check_lines(lines: pl.Series, limits: Limits, fail: _Fail) -> int:
    """Line length and the number of lines, before any CSV parsing (a file of a million
    columns is refused by its first line's length). Returns the longest line's bytes."""
    if lines.len() > limits.rows + 1:
        raise fail(Msg("limits.too_many_rows", limit=limits.rows))
    lengths = lines.str.len_bytes()
    longest = lengths.max() or 0
    if longest > limits.line_bytes:  # type: ignore[operator]
        long = (lengths > limits.line_bytes).arg_true()
        raise fail(Msg("limits.line_too_long", limit=limits.line_bytes), row=int(long[0]) + 1)
    return int(longest)  # type: ignore[arg-type]


def _parse_cells(text: bytes, separator: str) -> tuple[pl.DataFrame, bool] | None:
    """Polars' parse of every cell as text, and whether no row is longer than the first (else
    the longer rows were truncated); None when polars rejects the text."""
    def parse(truncate: bool) -> pl.DataFrame:
        return pl.read_csv(
            text,
            has_header=False,
            infer_schema=False,
            empty_string_is_null=True,
            separator=separator,
            truncate_ragged_lines=truncate,
        )

    try:
        try:  # no row longer than the first: each line without quotes has at most its separators
            return parse(False), True
        except pl.exceptions.PolarsError:
            return parse(True), False
    except pl.exceptions.PolarsError:
        return None


_UNPARSED = object()


def _read_csv_fast(
    text: bytes, separator: str, lines: pl.Series | LineFacts, keywords: pl.Series | None = None,
    *, cells: tuple[pl.DataFrame, bool] | None | object = _UNPARSED, quotes: bool | None = None,
) -> _Sheet | None:
    """Polars' parser, checked against a count of cells per line.

    Returns None (use the exact reader) when the file has a cell with a line break inside
    quotes, a row longer than the first, or anything polars rejects. Empty unquoted cells and
    the missing cells of a short row are null; a quoted empty cell (``""``) is ``""``.
    ``cells``: :func:`_parse_cells` of the text, when parsed already; ``quotes``: whether the
    text holds a double quote, when known. ``lines``: the file's lines, or their facts from the
    native pass (which counted every line's cells already).
    """
    parsed = _parse_cells(text, separator) if cells is _UNPARSED else cells
    if parsed is None:
        return None
    frame, longest = parsed  # type: ignore[misc]
    try:
        quotes = b'"' in text if quotes is None else quotes
        if isinstance(lines, LineFacts):
            widths = lines.widths()
        elif longest:
            # the last cell of every record is there (not null): no record is short
            complete = frame.width > 0 and frame.get_column(frame.columns[-1]).null_count() == 0
            widths = _cells_per_line(
                lines, separator, quotes=quotes, width=frame.width, complete=complete,
                separators=None if complete else text.count(separator.encode()),
            )
        else:
            widths = _cells_per_line(lines, separator, quotes=quotes)
    except pl.exceptions.PolarsError:
        return None
    if widths is None or widths.len() != frame.height:
        return None
    if frame.height and widths.max() > frame.width:  # type: ignore[operator]
        return None
    return _Sheet(frame, widths, keyword_rows=keywords)


def _cells_per_line(
    lines: pl.Series,
    separator: str,
    *,
    quotes: bool = True,
    width: int | None = None,
    separators: int | None = None,
    complete: bool = False,
) -> pl.Series | None:
    """Cells in each line, counting separators outside double quotes (vectorized). ``quotes``
    False: the file has no double quote (one scan of its bytes), no line is looked at for one.

    ``width`` and ``separators``: no line without quotes has more than ``width`` cells (the
    parser said so) and the lines hold ``separators`` separators in all (one count of the
    file's bytes). When the lines without quotes hold ``width - 1`` each on average, each holds
    exactly that, and only the lines with quotes are counted one by one. ``complete``: the
    parser found the ``width``-th cell of every record (none is short), so each line without
    quotes has exactly ``width`` cells, no count needed."""
    quoted = lines.str.contains('"', literal=True) if quotes else None
    at = quoted.arg_true() if quoted is not None and quoted.any() else None
    with_quotes = lines.gather(at) if at is not None else None
    if with_quotes is not None and not (with_quotes.str.count_matches('"', literal=True) % 2 == 0).all():
        return None  # a quoted cell spans lines
    widths = None
    if width is not None and complete:
        widths = pl.repeat(width, lines.len(), dtype=pl.Int64, eager=True)
    elif width is not None and separators is not None:
        on_quoted = 0 if with_quotes is None else int(with_quotes.str.count_matches(separator, literal=True).sum())
        plain = lines.len() - (0 if at is None else at.len())
        if separators - on_quoted == plain * (width - 1):
            widths = pl.repeat(width, lines.len(), dtype=pl.Int64, eager=True)
    if widths is None:
        widths = lines.str.count_matches(separator, literal=True).cast(pl.Int64) + 1
    if at is not None and with_quotes is not None:
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
    return _Sheet(frame, widths)


# --------------------------------------------------------------------------- Excel


def _read_excel(
    data: bytes,
    columns: Sequence[ColumnSpec],
    mapping: Mapping[str, str] | None,
    wanted: str | None,
    limits: Limits,
    fail: _Fail,
) -> _Sheet:
    """The sheet named ``wanted``, else the first sheet holding the header."""
    book = open_workbook(data, limits, fail)
    if wanted is not None:
        if wanted not in book.names:
            raise fail(Msg("registry.no_such_sheet", sheet=wanted, sheets=book.names))
        return _Sheet(load_sheet(book, wanted, limits, fail), None, workbook=book, name=wanted)
    required = {c.name for c in columns if c.required}
    notes: list[Msg] = []
    first: tuple[str, pl.DataFrame] | None = None
    for name in book.names:
        if len(book.names) > 1 and is_instructions(name):
            notes.append(Msg("registry.sheet_skipped", sheet=name))
            continue
        frame = load_sheet(book, name, limits, fail)
        header = find_header(frame, columns, mapping)
        if header is not None and required <= header.found.keys():
            if len(book.names) > 1:
                notes.append(Msg("registry.sheet_read", sheet=name, sheets=book.names))
            return _Sheet(frame, None, workbook=book, name=name, notes=tuple(notes))
        if first is None:
            first = (name, frame)
    if first is None:  # only instruction sheets
        raise fail(Msg("registry.no_data_sheet", sheets=book.names))
    if len(book.names) > 1:
        notes.append(Msg("registry.no_sheet_with_header", sheet=first[0], sheets=book.names))
    return _Sheet(first[1], None, workbook=book, name=first[0], notes=tuple(notes))


# --------------------------------------------------------------------------- limits in cells


def column_letter(position: int) -> str:
    """0 -> ``A``, 27 -> ``AB``: how a spreadsheet names a column."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _check_cells(sheet: _Sheet, limits: Limits, fail: _Fail) -> None:
    frame = sheet.frame
    if frame.width == 0 or frame.height == 0:
        return
    if sheet.longest_line is not None and sheet.longest_line <= limits.cell_chars:
        return  # no line, so no cell, has more bytes than the limit has characters
    if (frame.select(pl.max_horizontal(pl.all().str.len_bytes().max())).item() or 0) <= limits.cell_chars:
        return  # no cell has more bytes than the limit has characters (cheap bound, no decoding)
    lengths = frame.select(pl.max_horizontal(pl.all().str.len_chars()).alias("n")).to_series()
    longest = lengths.max()
    if longest is None or longest <= limits.cell_chars:  # type: ignore[operator]
        return
    index = int((lengths > limits.cell_chars).arg_true()[0])
    row = frame.row(index)
    position = next(i for i, c in enumerate(row) if c is not None and len(c) > limits.cell_chars)
    raise fail(
        Msg("limits.cell_too_long", limit=limits.cell_chars, found=len(row[position])),
        row=index + 1,
        column=column_letter(position),
    )


# --------------------------------------------------------------------------- header and cells


def _clean(expr: pl.Expr) -> pl.Expr:
    """Trimmed text; an empty or blank cell becomes null."""
    return expr.str.strip_chars().replace("", None)


def _cleaned(body: pl.DataFrame, column: str, spaced: bool) -> pl.Expr:
    """:func:`_clean` of ``column``; for cells that hold no white space to trim (``spaced``
    False) only the ``""`` cells become null, and the column is taken as it is without any."""
    if spaced:
        return _clean(pl.col(column))
    if body.height and body.select((pl.col(column).str.len_bytes() == 0).any()).item():
        return pl.col(column).replace("", None)
    return pl.col(column)


def _header_problems(
    header: Header, columns: Sequence[ColumnSpec], file: str, unknown: Sequence[UnknownHeader],
    mapping: Mapping[str, str] | None,
) -> list[Problem]:
    cells = list(header.cells)
    _, clashes = match_headers(cells, columns, mapping)
    row = header.start + 1
    problems = [
        Problem(
            msg=Msg("registry.duplicate_column", first=cells[first], second=cells[second],
                    name=column.name),
            file=file,
            row=row,
        )
        for column, first, second in clashes
    ]
    present = tuple(h for h in cells if h) or ("-",)
    hints = tuple(u.describe(columns) for u in unknown)
    for column in columns:
        if column.required and column.name not in header.found:
            problems.append(
                Problem(
                    msg=Msg("registry.missing_column_unknown" if hints else "registry.missing_column",
                            name=column.name, zh=column.zh, found=present, unknown=hints),
                    file=file,
                    row=row,
                )
            )
    return problems


def _to_table(
    sheet: _Sheet,
    columns: Sequence[ColumnSpec],
    file: str,
    fmt: FileFormat,
    mapping: Mapping[str, str] | None,
    fail: _Fail,
) -> Table:
    raw = sheet.frame
    header = find_header(raw, columns, mapping)
    if header is None:
        raise fail(Msg("registry.empty_file"))
    found = dict(header.found)
    unknown = unknown_headers(header.cells, columns, mapping)
    problems = _header_problems(header, columns, file, unknown, mapping)
    if problems:
        raise InputError(problems)
    notes = [Problem(msg=n, file=file) for n in sheet.notes]
    if header.rows > 1:
        notes.append(Problem(Msg("registry.two_row_header", first=header.start + 1,
                                 last=header.end + 1), file=file))

    body = raw.slice(header.end + 1)
    first_data_row = header.end + 2
    selected = [
        _cleaned(body, raw.columns[found[c.name]], sheet.spaced).alias(c.name)
        if c.name in found
        else pl.lit(None, pl.String).alias(c.name)
        for c in columns
    ]
    extra: list[pl.Expr] = []
    if sheet.widths is not None:
        extra.append(pl.lit(sheet.widths.slice(header.end + 1)).alias("_width"))
    text_only = [c.name for c in columns if c.text_only and c.name in found]
    if sheet.workbook is not None and sheet.name is not None and text_only:
        try:
            numbers = number_cells(sheet.workbook, sheet.name, [found[n] for n in text_only])
        except Exception:  # the cell types are a hint only; the text was read already
            numbers = None
        if numbers is not None and numbers.height == raw.height:
            body = body.with_columns(
                numbers.slice(header.end + 1).select(
                    pl.col(f"column_{found[n] + 1}").alias(f"_number_{n}") for n in text_only
                )
            )
            extra += [pl.col(f"_number_{n}") for n in text_only]
    keywords = sheet.keyword_rows.slice(header.end + 1) if sheet.keyword_rows is not None else None
    kinds = row_kinds(body.select(raw.columns), keywords)
    frame = body.select(
        pl.int_range(first_data_row, first_data_row + body.height, dtype=pl.Int64).alias(ROW),
        *selected,
        *extra,
        *_long_row_flag(raw, sheet, header),
    ).hstack(kinds)
    mapped = [c.name for c in columns if c.name in found]
    blank = pl.all_horizontal(pl.col(c).is_null() for c in mapped)
    if frame.select(blank.any()).item():  # (a filter copies every column: only when needed)
        frame = frame.filter(~blank)
    if sheet.full_width:
        frame = _normalize_code_like(frame, [c for c in columns if c.code_like and c.name in found])

    summable = [c.name for c in columns if c.summable and c.name in found]
    totals = frame.filter(pl.col("_totals")).select(ROW, "_subtotal", *summable)
    footer_rows = frame.filter(pl.col("_footer")).get_column(ROW).to_list()
    if totals.height:
        notes.append(Problem(Msg("registry.totals_rows", rows=totals.get_column(ROW).to_list()),
                             file=file))
    if footer_rows:
        notes.append(Problem(Msg("registry.footer_rows", rows=footer_rows), file=file))
    if totals.height or footer_rows:
        frame = frame.filter(~pl.col("_totals") & ~pl.col("_footer"))
    frame = frame.drop("_totals", "_subtotal", "_footer")

    if sheet.widths is not None:
        header_width = int(sheet.widths[header.start])
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

    number_frame = None
    flags = [c for c in frame.columns if c.startswith("_number_")]
    if flags:
        number_frame = frame.filter(pl.any_horizontal(flags)).select(
            ROW, *(pl.col(f).alias(f.removeprefix("_number_")) for f in flags)
        )
        frame = frame.drop(flags)
    return Table(
        file=file,
        format=fmt,
        frame=frame,
        headers={name: header.cells[pos] for name, pos in found.items()},
        positions=found,
        problems=tuple(problems),
        number_cells=number_frame,
        absent=_absent(frame, columns, found),
        unknown=unknown,
        sheet=sheet.name,
        notes=tuple(notes),
        totals=totals if totals.height else None,
        columns=tuple(columns),
        may_hold_invisible=sheet.invisible,
        # code-like cells get full-width forms made ASCII (＝ to =): then anything may start them
        may_hold_formula_signs=sheet.formula_signs or sheet.full_width,
    )


def _absent(frame: pl.DataFrame, columns: Sequence[ColumnSpec], found: Mapping[str, int]) -> tuple[str, ...]:
    """Optional columns without a header, or whose every data cell is empty (a template's
    column left blank): their values would be defaults, not data."""
    empty = set()
    present = [c.name for c in columns if not c.required and c.name in found]
    if present and frame.height:
        counts = frame.select(pl.col(n).null_count() for n in present).row(0)
        empty = {n for n, count in zip(present, counts, strict=True) if count == frame.height}
    return tuple(c.name for c in columns if not c.required and (c.name not in found or c.name in empty))


def _long_row_flag(raw: pl.DataFrame, sheet: _Sheet, header: Header) -> list[pl.Expr]:
    """``_long``: the row has non-empty cells to the right of the header's last cell."""
    if sheet.widths is None:
        return []
    header_width = int(sheet.widths[header.start])
    beyond = raw.columns[header_width:]
    if not beyond:
        return [pl.lit(False).alias("_long")]
    return [pl.any_horizontal(_clean(pl.col(c)).is_not_null() for c in beyond).alias("_long")]


_SPACE_LEADS = (b" ", b"\t", b"\x0b", b"\x0c", b"\r", b"\xc2", b"\xe1", b"\xe2", b"\xe3")
"""The bytes that start every white-space character polars trims (``str.strip_chars``: the
Unicode White_Space property) in UTF-8, but the line break: tab, VT, FF, CR, space; C2 (U+0085,
U+00A0), E1 (U+1680), E2 (U+2000-U+200A, U+2028, U+2029, U+202F, U+205F), E3 (U+3000). A cell
of a CSV file read by polars holds no line break (the fast reader leaves a file with a line
break inside quotes to the exact reader): a file without these bytes has no cell to trim."""

_FORMULA_SIGNS = (b"=", b"+", b"@", b"\t", b"\r")
"""The bytes of the formula starts (:data:`dividends.files.safe.FORMULA_START`) but ``-``."""

_LEAD_BYTES = (*_SPACE_LEADS, b"\xef", b"\xd8", b"=", b"+", b"@")


_PAIRS = (IDEOGRAPHIC_SPACE, SOFT_HYPHEN)
"""The two multi-byte sequences searched for (the native pass finds them in its one pass)."""


def _has(data: bytes, lead: bytes, leads: Mapping[bytes, bool] | None) -> bool:
    """``lead in data``, answered from ``leads`` when it was found already."""
    return leads[lead] if leads is not None and lead in leads else lead in data


def _may_hold_full_width(data: bytes, leads: Mapping[bytes, bool] | None = None) -> bool:
    """False when UTF-8 ``data`` has no full-width form (U+FF01-U+FF5E: EF BC xx, EF BD xx) and
    no ideographic space (E3 80 80): then code-like cells need no normalising. Single bytes are
    searched first (memchr; ``leads``: the answers for :data:`_LEAD_BYTES`, found already);
    Chinese text is mostly E4-E9 lead bytes."""
    return _has(data, b"\xef", leads) or (_has(data, b"\xe3", leads) and _has(data, IDEOGRAPHIC_SPACE, leads))


def _may_hold_formula_signs(leads: Mapping[bytes, bool]) -> bool:
    """Whether the text (whose :func:`_lead_bytes` are ``leads``) holds a byte of
    :data:`_FORMULA_SIGNS`: a cell of it can only start with one if the text holds it."""
    return any(leads[sign] for sign in _FORMULA_SIGNS)


def _may_hold_invisible(data: bytes, leads: Mapping[bytes, bool] | None = None) -> bool:
    """False when UTF-8 ``data`` has none of the invisible characters of
    :data:`dividends.registry.excel.INVISIBLE`: their lead bytes are E2 (U+200B-U+206F), EF
    (U+FEFF), D8 (U+061C) and C2 (U+00AD, searched as C2 AD only when a C2 is there), each
    found with one memchr pass; then no cell needs the pattern."""
    if any(_has(data, lead, leads) for lead in (b"\xe2", b"\xef", b"\xd8")):
        return True
    return _has(data, b"\xc2", leads) and _has(data, SOFT_HYPHEN, leads)


def _normalize_code_like(frame: pl.DataFrame, columns: Sequence[ColumnSpec]) -> pl.DataFrame:
    """Full-width digits, letters and signs (typed with a Chinese input method) to ASCII in
    code-like columns that hold any (the table is :data:`schemes.money.FULL_WIDTH_FORMS`)."""
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
        _clean(pl.col(n).str.replace_many(FULL_WIDTH_FORMS, HALF_WIDTH_FORMS)).alias(n)
        for n in todo
    )
