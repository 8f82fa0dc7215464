"""Spreadsheets people take away from a page: a bad file's problems, and any table page as
an Excel workbook (one sheet per table, exactly the cells the page shows)."""
from __future__ import annotations

import html
import io
import json
import re
from decimal import Decimal
from collections.abc import Sequence
from html.parser import HTMLParser
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dividends.web import forms
from dividends.web.auth import page
from dividends.web.i18n import language, t
from dividends import access
from dividends.access import Actor

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: At most this many problems go into one download (a file's report lists no more either).
MAX_ROWS = 5000
_NUMBER = re.compile(r"-?[0-9]{1,3}(,[0-9]{3})*(\.[0-9]+)?|-?[0-9]+(\.[0-9]+)?")


def workbook(sheets: Sequence[tuple[str, Sequence[Sequence[str]]]]) -> bytes:
    """An XLSX of ``(sheet name, rows)``; the first row of each sheet is its header (bold,
    frozen). Cells that read as numbers (``1,234.50``) are written as numbers."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    bold = book.add_format({"bold": True})
    used: set[str] = set()
    for n, (name, rows) in enumerate(sheets, start=1):
        title = re.sub(r"[\[\]:*?/\\]", " ", name).strip()[:28] or f"{n}"
        while title in used:
            title = f"{title[:25]}-{n}"
        used.add(title)
        sheet = book.add_worksheet(title)
        widths: dict[int, int] = {}
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                if r and _NUMBER.fullmatch(cell.strip()):
                    # exact digits (Decimal, never a float in this code); the XLSX format itself
                    # stores a number as a double, exact for amounts up to about 10^13 yuan
                    text = cell.strip().replace(",", "")
                    sheet.write_number(r, c, int(text) if "." not in text else Decimal(text))
                else:
                    sheet.write_string(r, c, cell, bold if r == 0 else None)
                widths[c] = max(widths.get(c, 6), min(60, sum(2 if ord(ch) > 0x2e80 else 1 for ch in cell) + 2))
        for c, width in widths.items():
            sheet.set_column(c, c, width)
        if rows:
            sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def attachment(data: bytes, name: str) -> Response:
    return Response(data, media_type=XLSX, headers={"content-disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


def problem_sheet(rows: Sequence[dict[str, str]], lang: str) -> list[list[str]]:
    """Problems as spreadsheet rows: file, row, column, problem."""
    header = [t(lang, "problems.file"), t(lang, "problems.row"), t(lang, "problems.column"), t(lang, "problems.message")]
    return [header, *([str(r.get("file") or ""), str(r.get("row") or ""), str(r.get("column") or ""),
                       str(r.get("message") or "")] for r in rows)]


@page
async def problems_download(request: Request, actor: Actor) -> Response:
    """The problems a page listed (sent back by the page's download form) as an XLSX named
    after the file they are about."""
    form = await request.form()
    try:
        rows = json.loads(forms.text(form, "problems", limit=2_000_000))
    except ValueError:
        raise forms.bad("form.required", field="problems") from None
    if not isinstance(rows, list):
        raise forms.bad("form.required", field="problems")
    rows = [r for r in rows[:MAX_ROWS] if isinstance(r, dict)]
    lang = language(request)
    about = forms.text(form, "file", required=False, limit=120) or t(lang, "problems.sheet")
    name = f"{about.rsplit('.', 1)[0]}-{t(lang, 'problems.sheet')}.xlsx"
    return attachment(workbook([(t(lang, "problems.sheet"), problem_sheet(rows, lang))]), name)


class _Tables(HTMLParser):
    """The text of every ``<table>`` cell, row by row (``<caption>`` or the scroll box's label
    names the table)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[str, list[list[str]]]] = []
        self.label = ""
        self.depth = 0
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.caption: list[str] | None = None
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "div" and named.get("role") == "region":
            self.label = named.get("aria-label") or ""
        if tag == "table":
            self.depth += 1
            if self.depth == 1:
                self.tables.append((self.label, []))
        elif self.depth == 1 and tag == "tr":
            self.row = []
        elif self.depth == 1 and tag in ("td", "th") and self.row is not None:
            self.cell = []
        elif self.depth == 1 and tag == "caption":
            self.caption = []
        elif tag in ("form", "button", "script", "style"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.depth -= 1
        elif self.depth == 1 and tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif self.depth == 1 and tag == "tr" and self.row is not None:
            if any(self.row):
                self.tables[-1][1].append(self.row)
            self.row = None
        elif self.depth == 1 and tag == "caption" and self.caption is not None:
            self.tables[-1] = (" ".join("".join(self.caption).split()), self.tables[-1][1])
            self.caption = None
        elif tag in ("form", "button", "script", "style"):
            self.skip = max(0, self.skip - 1)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.cell is not None:
            self.cell.append(data)
        elif self.caption is not None:
            self.caption.append(data)


def tables_of(page_html: str) -> list[tuple[str, list[list[str]]]]:
    """Every table of a page: its name and its rows of cell text."""
    parser = _Tables()
    parser.feed(page_html)
    parser.close()
    return [(name, rows) for name, rows in parser.tables if rows]


def page_title(page_html: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", page_html, re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).split()) if match else "export"


#: At most this many pages of a paged table go into one export.
MAX_PAGES = 400


def _next_page(page_html: str, number: int) -> bool:
    return re.search(r'href="[^"]*[?&]page=' + str(number + 1) + r'(&|")', page_html) is not None


@page
async def export_page(request: Request, actor: Actor) -> Response:
    """``/export.xlsx?page=/runs/7/lines%3Fq%3D张``: every table of that page as this user sees
    it, all of its pages, one sheet per table."""
    from urllib.parse import parse_qsl, urlencode, urlsplit

    from dividends.web.feedback import page_html
    target = urlsplit(request.query_params.get("page", ""))
    if target.scheme or target.netloc or not target.path.startswith("/") or target.path.startswith(("/api/", "/export")):
        raise forms.bad("form.required", field="page")
    query = [(k, v) for k, v in parse_qsl(target.query) if k != "page"]
    sheets: list[tuple[str, list[list[str]]]] = []
    title = ""
    for number in range(1, MAX_PAGES + 1):
        body = await page_html(request, target.path, urlencode([*query, ("page", str(number))]))
        if body is None:
            raise access.NotAllowed(target.path)
        title = title or page_title(body)
        for n, (name, rows) in enumerate(tables_of(body)):
            if n < len(sheets):
                sheets[n][1].extend(rows[1:] if rows and rows[0] == sheets[n][1][0] else rows)
            else:
                sheets.append((name or title, rows))
        if not _next_page(body, number):
            break
    return attachment(workbook(sheets or [(title, [])]), f"{title}.xlsx")


ROUTES = [Route("/problems.xlsx", problems_download, methods=["POST"]),
          Route("/export.xlsx", export_page, methods=["GET"])]
