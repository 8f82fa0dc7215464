"""Blank registry templates a village can fill in: one workbook, or one CSV file per kind.

The workbook has a 填表说明 (instructions) sheet first, then 户信息 (households), 家庭成员
(members) and 公益岗位 (posts), with the Chinese headers the reader knows. ID number, account,
phone and code columns are formatted as text, so Excel keeps every digit of an ID number. The
same workbook can be given as the households, the members and the posts file: the reader skips
the instructions and reads the sheet that holds each file's header.

The events file (household and member events within the period, :mod:`dividends.period_inputs`)
has a CSV template of its own (kind ``events``); it is not a sheet of the workbook.

:func:`template_file` is what the command line writes and what the import page will serve.
"""
from __future__ import annotations

from pathlib import Path

import csv
import datetime
import io
from dataclasses import dataclass
from typing import Literal

from dividends.registry import messages as _messages  # noqa: F401  (registers the catalog)
from dividends.registry.columns import HOUSEHOLD_COLUMNS, MEMBER_COLUMNS, POST_COLUMNS, ColumnSpec
from dividends.registry.vocabulary import Vocabulary
from dividends.period_inputs import EVENT_FILE_COLUMNS
from schemes.i18n import Msg, load_catalog

TemplateKind = Literal["households", "members", "posts", "events"]
KINDS: tuple[TemplateKind, ...] = ("households", "members", "posts")  # the workbook's sheets
CSV_KINDS: tuple[TemplateKind, ...] = (*KINDS, "events")
SPECS: dict[TemplateKind, tuple[ColumnSpec, ...]] = {
    "households": HOUSEHOLD_COLUMNS,
    "members": MEMBER_COLUMNS,
    "posts": POST_COLUMNS,
    "events": EVENT_FILE_COLUMNS,
}
TEXT_COLUMNS = {"household_id", "village_id", "id_number", "phone", "account_no"}
_FIXED_TIME = datetime.datetime(2024, 1, 1)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

load_catalog(Path(__file__).parents[1] / "locale", "dividends")


@dataclass(frozen=True)
class TemplateFile:
    """A file to hand to a user: its name, content type and bytes."""

    name: str
    content_type: str
    data: bytes


def _sheet_name(kind: str, lang: str) -> str:
    return Msg(f"template.sheet.{kind}").text(lang)


def template_workbook(lang: str = "zh") -> bytes:
    """The XLSX template: instructions first, then one sheet per kind."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.set_properties({"created": _FIXED_TIME})  # the same bytes every time
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    required = book.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1})
    text = book.add_format({"num_format": "@"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})

    notes = book.add_worksheet(_sheet_name("instructions", lang))
    notes.write(0, 0, Msg("template.title").text(lang), book.add_format({"bold": True}))
    notes.write(1, 0, Msg("template.note.text").text(lang))
    words = Vocabulary.shipped().listing()
    status_words = "; ".join(f"{s}: {', '.join(w)}" for s, w in words.items())
    notes.write(2, 0, Msg("template.note.statuses", words=status_words).text(lang))
    heads = ("sheet", "header", "required", "what", "also")
    for i, key in enumerate(heads):
        notes.write(4, i, Msg(f"template.col.{key}").text(lang), bold)
    row = 5
    for kind in KINDS:
        for column in SPECS[kind]:
            notes.write_row(row, 0, [
                _sheet_name(kind, lang),
                column.zh,
                Msg("template.yes" if column.required else "template.no").text(lang),
                Msg(f"template.what.{column.name}").text(lang),
                "、".join(column.aliases[:8]),
            ])
            row += 1
    notes.set_column(0, 0, 14)
    notes.set_column(1, 2, 16)
    notes.set_column(3, 4, 48, wrap)

    for kind in KINDS:
        sheet = book.add_worksheet(_sheet_name(kind, lang))
        for i, column in enumerate(SPECS[kind]):
            sheet.write_string(0, i, column.zh, required if column.required else bold)
            width = 22 if column.name in ("id_number", "account_no") else 14
            sheet.set_column(i, i, width, text if column.name in TEXT_COLUMNS else None)
        sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def template_csv(kind: TemplateKind) -> bytes:
    """A CSV template of one kind: the header row, UTF-8 with a BOM (Excel opens it right)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([c.zh for c in SPECS[kind]])
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def template_file(kind: TemplateKind | Literal["workbook"] = "workbook", lang: str = "zh") -> TemplateFile:
    """The workbook (``kind="workbook"``) or one kind's CSV, named for the user."""
    if kind == "workbook":
        name = "名册模板.xlsx" if lang == "zh" else "registry-template.xlsx"
        return TemplateFile(name, XLSX, template_workbook(lang))
    return TemplateFile(f"{kind}-template.csv", "text/csv; charset=utf-8", template_csv(kind))
