"""Bank payout-file formats as data: the records, and reading them from YAML with located errors.

A format is an ordered list of columns, each with the header the bank's import template writes
and either the ``field`` of a payment it holds or a fixed ``value``; a ``purpose`` template (the
摘要/用途 text, the same on every row); an optional summary row (count and total, before the
header or after the last row); a file-name pattern and a sheet name for the XLSX.

Templates (``purpose``, a column ``value``, ``filename``, summary cells) are Python format
strings with named placeholders only: ``"{period}年度{scheme}收益分红"``. Literal braces are
written ``{{`` and ``}}``. The placeholders each template may use are listed in
:data:`PLACEHOLDERS` and :data:`SUMMARY_PLACEHOLDERS`; anything else is a located error when
the file is read, not a surprise when a batch is written.

Every format must have a ``household_id`` or a ``seq`` column, so that the bank's returned file
(paid / failed per row) can be matched back to households; ``household_id`` is the safer key
(``seq`` only means something together with the file it came from).
"""
from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import dividends.files.messages  # noqa: F401  (registers the message catalog)
from schemes.i18n import Msg
from schemes.model import Label
from schemes.problems import InputError, Problem
from schemes.yamldoc import Document, parse
from schemes.yamldoc import Path as KeyPath
from schemes.yamlread import DocumentReader

#: What a column can hold, for each payment row.
FIELDS: tuple[str, ...] = (
    "seq",            # 1, 2, 3 ... in file order (rows sorted by household_id)
    "household_id",   # the registry's household id: the key to match a bank's returned file
    "payee_name",     # the head's full name, as the bank account is held
    "id_number",      # the head's full ID number (upper-case X)
    "account_no",     # digits only, spaces removed
    "bank",           # the bank or branch as the registry writes it
    "amount_yuan",    # "1234.56": exact from fen, two decimals, no grouping
    "amount_fen",     # "123456"
    "purpose",        # the format's purpose template, filled in
    "village_id",
    "village_name",
    "period",         # the year, "2024"
    "run_id",
    "batch_no",
)
#: Placeholders of ``purpose``, column ``value`` and ``filename`` templates.
PLACEHOLDERS: tuple[str, ...] = (
    "period", "scheme", "village_id", "village_name", "run_id", "batch_no", "date", "format",
)
#: Summary-row cells may also use the batch totals.
SUMMARY_PLACEHOLDERS: tuple[str, ...] = PLACEHOLDERS + ("count", "total_yuan", "total_fen")

FORMAT_ID = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
FILENAME_BAD = '/\\:*?"<>|'
SHEET_BAD = "[]:*?/\\"
FORMAT_KEYS = ("id", "name", "note", "columns", "purpose", "summary_row", "filename", "sheet")
COLUMN_KEYS = ("header", "field", "value", "max_length")
SUMMARY_KEYS = ("position", "cells")
DEFAULT_SHEET = "代发明细"


@dataclass(frozen=True)
class BankColumn:
    header: str
    field: str | None = None
    value: str | None = None
    """A fixed text instead of a field (a template: ``"身份证"``, ``"{period}年度分红"``)."""
    max_length: int | None = None
    """Characters the bank accepts; a longer value is refused (never cut silently)."""


@dataclass(frozen=True)
class SummaryRow:
    position: Literal["first", "last"]
    """``first``: a line before the header (``总笔数,3,总金额,1234.56``); ``last``: after the
    last payment row (``合计,,,1234.56``)."""
    cells: tuple[str, ...]
    """Templates, in column order; written as given (not padded)."""


@dataclass(frozen=True)
class BankFormat:
    id: str
    name: Label
    columns: tuple[BankColumn, ...]
    purpose: str
    filename: str
    """Pattern without extension: ``"payout_{village_id}_{period}_{batch_no}"``."""
    sheet: str = DEFAULT_SHEET
    summary_row: SummaryRow | None = None
    note: str = ""
    source: str = ""
    """The file the format was read from (for messages)."""

    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    def fields(self) -> frozenset[str]:
        return frozenset(c.field for c in self.columns if c.field)


# --------------------------------------------------------------------------- reading YAML


def read_formats_file(path: Path, display: str, taken: Mapping[str, BankFormat] | None = None) -> dict[str, BankFormat]:
    """Read and validate one formats file; raises :class:`InputError` listing every problem.

    ``taken``: formats already loaded; an id used there again is a problem (a site format
    must not replace a shipped one silently).
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(Msg("file.unreadable", detail=exc.strerror or str(exc)), file=display)]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError([Problem(Msg("files.bankfmt.not_utf8"), file=display)]) from None
    return parse_formats(text, display, taken or {})


def parse_formats(text: str, file: str, taken: Mapping[str, BankFormat]) -> dict[str, BankFormat]:
    doc = parse(text, file)
    formats: dict[str, BankFormat] = {}
    if not doc.problems:
        formats = _Reader(doc, taken).formats()
    if doc.problems:
        raise InputError(sorted(doc.problems, key=lambda p: p.sort_key()))
    return formats


def _show(value: Any) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, (dict, list)):
        return ("[]" if isinstance(value, list) else "{}") if not value else type(value).__name__
    return repr(value) if isinstance(value, str) else str(value)


def template_names(template: str) -> list[str] | str:
    """The placeholder names of a template, or the parse error as text."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        return str(exc)
    names = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion or not name.isidentifier():
            return f"{{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}"
        names.append(name)
    return names


class _Reader(DocumentReader):
    def __init__(self, doc: Document, taken: Mapping[str, BankFormat]) -> None:
        super().__init__(doc)
        self.taken = taken

    def formats(self) -> dict[str, BankFormat]:
        root = self.doc.root
        if not isinstance(root, dict) or "formats" not in root:
            self.problem((), "files.bankfmt.need_formats")
            return {}
        self.mapping(root, (), ("formats",))
        items = root["formats"]
        if not isinstance(items, list):
            self.problem(("formats",), "yaml.need_list", found=_show(items))
            return {}
        out: dict[str, BankFormat] = {}
        for i, item in enumerate(items):
            fmt = self.format(item, ("formats", i))
            if fmt is None:
                continue
            if fmt.id in out or fmt.id in self.taken:
                where = self.taken[fmt.id].source if fmt.id in self.taken else self.doc.file
                self.problem(("formats", i, "id"), "files.bankfmt.duplicate_id", id=fmt.id, where=where)
                continue
            out[fmt.id] = fmt
        return out

    # ------------------------------------------------------------------ one format

    def format(self, value: Any, path: KeyPath) -> BankFormat | None:
        m = self.mapping(value, path, FORMAT_KEYS, ("id", "name", "columns", "purpose", "filename"))
        if m is None:
            return None
        before = len(self.doc.problems)
        fid = m.get("id")
        if fid is not None and (not isinstance(fid, str) or not FORMAT_ID.match(fid)):
            self.problem(path + ("id",), "files.bankfmt.need_id", found=_show(fid))
        name = self.label(m.get("name"), path + ("name",)) if "name" in m else None
        note = self.text(m["note"], path + ("note",)) if m.get("note") is not None else ""
        before_columns = len(self.doc.problems)
        columns = self.columns(m.get("columns"), path + ("columns",)) if "columns" in m else ()
        columns_ok = len(self.doc.problems) == before_columns
        purpose = self.template(m.get("purpose"), path + ("purpose",), PLACEHOLDERS) if "purpose" in m else None
        filename = self.filename(m.get("filename"), path + ("filename",)) if "filename" in m else None
        sheet = self.sheet(m["sheet"], path + ("sheet",)) if "sheet" in m else DEFAULT_SHEET
        summary = self.summary(m["summary_row"], path + ("summary_row",), len(columns)) if m.get("summary_row") is not None else None
        if columns and columns_ok:  # rules on a list with a bad column would only repeat its problem
            self.column_rules(columns, path + ("columns",))
        if len(self.doc.problems) > before or None in (name, purpose, filename, sheet) or not columns:
            return None
        assert isinstance(fid, str) and name and purpose is not None and filename and sheet
        return BankFormat(id=fid, name=name, columns=columns, purpose=purpose, filename=filename, sheet=sheet,
                          summary_row=summary, note=note or "", source=self.doc.file)

    def columns(self, value: Any, path: KeyPath) -> tuple[BankColumn, ...]:
        if not isinstance(value, list) or not value:
            self.problem(path, "files.bankfmt.need_columns", found=_show(value))
            return ()
        out: list[BankColumn] = []
        seen: set[str] = set()
        for i, item in enumerate(value):
            p = path + (i,)
            m = self.mapping(item, p, COLUMN_KEYS, ("header",))
            if m is None:
                continue
            header = self.text(m.get("header"), p + ("header",)) if "header" in m else None
            if header is not None:
                if header in seen:
                    self.problem(p + ("header",), "files.bankfmt.duplicate_header", header=header)
                seen.add(header)
            field, fixed = m.get("field"), m.get("value")
            if (field is None) == (fixed is None):
                self.problem(p, "files.bankfmt.field_or_value")
                continue
            if field is not None:
                field = self.choice(field, p + ("field",), FIELDS)
            if fixed is not None:
                fixed = self.template(fixed, p + ("value",), PLACEHOLDERS, allow_empty=True)
            limit = self.positive(m["max_length"], p + ("max_length",)) if m.get("max_length") is not None else None
            if header is not None and (field is not None or fixed is not None):
                out.append(BankColumn(header=header, field=field, value=fixed, max_length=limit))
        return tuple(out)

    def column_rules(self, columns: tuple[BankColumn, ...], path: KeyPath) -> None:
        fields = {c.field for c in columns}
        if not fields & {"household_id", "seq"}:
            self.problem(path, "files.bankfmt.no_match_column")
        for needed in ("account_no", "payee_name"):
            if needed not in fields:
                self.problem(path, "files.bankfmt.no_required_column", field=needed)
        if not fields & {"amount_yuan", "amount_fen"}:
            self.problem(path, "files.bankfmt.no_required_column", field="amount_yuan | amount_fen")

    def summary(self, value: Any, path: KeyPath, width: int) -> SummaryRow | None:
        m = self.mapping(value, path, SUMMARY_KEYS, SUMMARY_KEYS)
        if m is None or "position" not in m or "cells" not in m:
            return None
        position = self.choice(m["position"], path + ("position",), ("first", "last"))
        cells_value = m["cells"]
        if not isinstance(cells_value, list) or not cells_value:
            self.problem(path + ("cells",), "yaml.need_list", found=_show(cells_value))
            return None
        cells = []
        for i, cell in enumerate(cells_value):
            cells.append(self.template("" if cell is None else cell, path + ("cells", i), SUMMARY_PLACEHOLDERS, allow_empty=True))
        if width and len(cells) > width:
            self.problem(path + ("cells",), "files.bankfmt.summary_too_wide", count=len(cells), columns=width)
        if position is None or None in cells:
            return None
        return SummaryRow(position=position, cells=tuple(cells))  # type: ignore[arg-type]

    # ------------------------------------------------------------------ small typed readers

    def positive(self, value: Any, path: KeyPath) -> int | None:
        if isinstance(value, str) and value.isascii() and value.isdigit() and int(value) >= 1:
            return int(value)
        self.problem(path, "files.bankfmt.need_positive", found=_show(value))
        return None

    def template(self, value: Any, path: KeyPath, allowed: tuple[str, ...], allow_empty: bool = False) -> str | None:
        if not isinstance(value, str) or (not allow_empty and not value.strip()):
            self.problem(path, "yaml.need_text", found=_show(value))
            return None
        names = template_names(value)
        if isinstance(names, str):
            self.problem(path, "files.bankfmt.bad_template", detail=names)
            return None
        bad = [n for n in names if n not in allowed]
        for name in bad:
            self.problem(path, "files.bankfmt.bad_placeholder", name=name, expected=list(allowed))
        return None if bad else value

    def filename(self, value: Any, path: KeyPath) -> str | None:
        pattern = self.template(value, path, PLACEHOLDERS)
        if pattern is None:
            return None
        literal = "".join(part[0] for part in string.Formatter().parse(pattern))
        if any(c in FILENAME_BAD for c in literal) or pattern.strip() in (".", ".."):
            self.problem(path, "files.bankfmt.bad_filename", chars=" ".join(FILENAME_BAD), found=_show(value))
            return None
        return pattern.strip()

    def sheet(self, value: Any, path: KeyPath) -> str | None:
        name = self.text(value, path)
        if name is None:
            return None
        if len(name) > 31 or any(c in SHEET_BAD for c in name):
            self.problem(path, "files.bankfmt.bad_sheet", chars=" ".join(SHEET_BAD), found=_show(value))
            return None
        return name
