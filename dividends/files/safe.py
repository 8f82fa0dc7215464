"""Text cells that a spreadsheet will not run: formula-leading text neutralised the OWASP way.

A cell of a file this project writes for people to open (bank files, exports, allocations, the
generated CSVs of an audit pack) that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return would be run as a formula by Excel or WPS (``=HYPERLINK(...)``, ``+cmd|...``). Such text
gets a leading single quote, which spreadsheets show as text. Numbers stay numbers, negative
ones too (``-12.50``, ``-3``, ``+86 138...`` is not a number and is quoted). The byte copies of
imported inputs are never touched: they are evidence.

>>> neutralize("=HYPERLINK(\\"http://x\\")"), neutralize("-12.50"), neutralize("张三"), neutralize("@SUM(A1)")
('\\'=HYPERLINK("http://x")', '-12.50', '张三', "'@SUM(A1)")
"""
from __future__ import annotations

import re

import polars as pl

from dividends.hashing import frame_csv

FORMULA_START = r"^[=+\-@\t\r]"
NUMBER = r"^[+-]?[0-9]+(?:[.,][0-9]+)*(?:[eE][+-]?[0-9]+)?$"
QUOTED_FORMULA = r"^'*[=+\-@\t\r]"
"""Neutralised cells get one more quote: text already starting with quotes and a formula
character gets one too, so :func:`restore` gives back exactly what was written."""
_QUOTED = re.compile(QUOTED_FORMULA)
_NUMBER = re.compile(NUMBER.replace("$", r"\Z"))


def neutralize(text: str) -> str:
    if _QUOTED.match(text) and not _NUMBER.match(text):
        return "'" + text
    return text


def restore(text: str) -> str:
    """The text before :func:`neutralize` (a verifier reading a generated file back)."""
    if text.startswith("'") and _QUOTED.match(text[1:]) and not _NUMBER.match(text[1:]):
        return text[1:]
    return text


def restore_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """:func:`restore` on every String column."""
    text = [n for n, t in frame.schema.items() if t == pl.String]
    if not text or frame.height == 0:
        return frame
    return frame.with_columns(
        pl.when(pl.col(n).str.starts_with("'") & pl.col(n).str.slice(1).str.contains(QUOTED_FORMULA)
                & ~pl.col(n).str.slice(1).str.contains(NUMBER))
        .then(pl.col(n).str.slice(1))
        .otherwise(pl.col(n))
        .alias(n)
        for n in text
    )


def neutralize_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every String column of ``frame`` neutralised (a pass only over columns that need it)."""
    text = [n for n, t in frame.schema.items() if t == pl.String]
    if not text or frame.height == 0:
        return frame
    # the columns with a cell that may start like a formula first (two byte comparisons of
    # each cell: ids, names and kinds never do); the patterns only on those
    first = frame.select(_may_start_formula(pl.col(n)).any().alias(n) for n in text).row(0, named=True)
    maybe = [n for n in text if first[n]]
    starts = frame.select(pl.col(n).str.contains(QUOTED_FORMULA).any().alias(n) for n in maybe).row(0, named=True) \
        if maybe else {}
    candidates = [n for n in maybe if starts[n]]
    if not candidates:
        return frame
    risky = (pl.col(n).str.contains(QUOTED_FORMULA) & ~pl.col(n).str.contains(NUMBER) for n in candidates)
    needs = frame.select(r.any().alias(n) for r, n in zip(risky, candidates, strict=True)).row(0, named=True)
    todo = [n for n in candidates if needs[n]]
    if not todo:
        return frame
    return frame.with_columns(
        pl.when(pl.col(n).str.contains(QUOTED_FORMULA) & ~pl.col(n).str.contains(NUMBER))
        .then(pl.lit("'") + pl.col(n))
        .otherwise(pl.col(n))
        .alias(n)
        for n in todo
    )


def _may_start_formula(cell: pl.Expr) -> pl.Expr:
    """True for every cell :data:`QUOTED_FORMULA` matches (and for some others): its first byte
    is below ``0`` (``'``, ``+``, ``-``, tab, carriage return; an empty cell too) or one of
    ``=>?@`` (UTF-8 strings compare by bytes). Cells starting with a digit, a letter or any
    non-ASCII character (Chinese names) are not. Two comparisons instead of a regex scan."""
    return (cell < "0") | ((cell >= "=") & (cell < "A"))


def export_csv(frame: pl.DataFrame) -> bytes:
    """:func:`dividends.hashing.frame_csv` of the neutralised frame: for files people open."""
    return frame_csv(neutralize_frame(frame))
