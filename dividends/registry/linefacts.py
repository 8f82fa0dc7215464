"""The line facts of a CSV file from one native pass over its bytes (an optional accelerator).

The CSV reader (:mod:`dividends.registry.reading`) needs, besides polars' parse of the cells,
a few facts about the file's lines: how many there are and the longest (the file limits), which
lines hold a totals/footer keyword (:func:`dividends.registry.layout.keyword_lines`), the cells
of each line (:func:`reading._cells_per_line`) and which bytes the file holds
(:func:`reading._lead_bytes`). The reference way is polars: the file's lines as a column (a copy
of the file), a regex over it, a quote and separator count per quoted line, and one memchr pass
per byte looked for. :func:`scan` gets the same facts from one pass of ``_linescan.c`` (built by
``make install``: ``python -m dividends.registry.build_native``) over the bytes, without the
lines' copy.

The native pass only ever *computes facts* and *declines*: it never words a problem. It declines
(:func:`scan` returns None, and the reader runs the polars path, which finds and reports every
problem as before) when the module is not built or is of another version, or when the bytes hold
a NUL, are not UTF-8, start with a BOM, or break a line limit (too many lines, a line too long).
``tests/dividends/test_linefacts.py`` checks every fact against the polars path on random
hostile bytes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import polars as pl

from dividends.files.limits import Limits
from dividends.registry.layout import KEYWORDS

try:  # the compiled module is optional: without it every file goes the polars way
    from dividends.registry import _linescan  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover (a machine without the build)
    _linescan = None

VERSION = 4
"""The ``_linescan.c`` interface this wrapper speaks (its ``SCAN_VERSION``); a module built
from another version of the source is not used."""

DISABLE = "DIVIDENDS_NATIVE"
"""Environment variable: ``0`` turns the native pass off (the polars path only)."""

NEEDLES = tuple(word.encode() for word in KEYWORDS)
""":data:`~dividends.registry.layout.KEYWORDS` as UTF-8: the native pass matches ASCII letters
in either case and other bytes exactly, as :data:`~dividends.registry.layout.KEYWORD_PATTERN`
does (none of the Chinese keywords holds an ASCII letter)."""

IDEOGRAPHIC_SPACE = b"\xe3\x80\x80"
SOFT_HYPHEN = b"\xc2\xad"


def available() -> bool:
    """The native pass is built, of this version, and not turned off."""
    return (
        _linescan is not None
        and getattr(_linescan, "VERSION", None) == VERSION
        and os.environ.get(DISABLE, "1") != "0"
    )


@dataclass(frozen=True)
class LineFacts:
    """What :func:`scan` found; the same facts the polars path computes (see the module)."""

    lines: int
    longest: int
    width: int
    odd_quotes: tuple[int, ...]
    other_index: tuple[int, ...]
    other_width: tuple[int, ...]
    keyword_index: tuple[int, ...]
    seen: bytes
    """256 bytes: ``seen[b]`` is 1 when byte ``b`` occurs in the text."""
    ideographic_space: bool
    soft_hyphen: bool

    def holds(self, needle: bytes) -> bool:
        """``needle in text`` for one byte, :data:`IDEOGRAPHIC_SPACE` or :data:`SOFT_HYPHEN`."""
        if len(needle) == 1:
            return bool(self.seen[needle[0]])
        if needle == IDEOGRAPHIC_SPACE:
            return self.ideographic_space
        if needle == SOFT_HYPHEN:
            return self.soft_hyphen
        raise ValueError(f"not scanned for: {needle!r}")

    def widths(self) -> pl.Series | None:
        """Cells per line (``reading._cells_per_line``); None when a line holds an odd number
        of double quotes (a quoted cell spans lines: the exact reader's case)."""
        if self.odd_quotes:
            return None
        widths = pl.repeat(self.width, self.lines, dtype=pl.Int64, eager=True).alias("width")
        if self.other_index:
            widths = widths.scatter(list(self.other_index), list(self.other_width))
        return widths

    def keyword_rows(self) -> pl.Series:
        """Per line: does it hold a keyword (``layout.keyword_lines``)."""
        rows = pl.repeat(False, self.lines, dtype=pl.Boolean, eager=True).alias("line")
        if self.keyword_index:
            rows = rows.scatter(list(self.keyword_index), True)
        return rows


def id_parts(ids: pl.Series, earliest: int, latest: int) -> pl.DataFrame | None:
    """``idnumber.id_number_parts(ids, born)`` from one native pass over the column (no copy of
    it: polars hands its string views over); ``earliest``/``latest`` as ``YYYYMMDD``. None when
    the native pass is not available or declines."""
    if not available() or ids.dtype != pl.String:
        return None
    try:
        found = _linescan.id_parts(ids.__arrow_c_stream__(), ids.len(), earliest, latest)
    except MemoryError:
        return None
    if isinstance(found, str):
        return None
    names = ("format_ok", "birth_ok", "checksum_ok", "key")
    return pl.DataFrame([pl.Series(_Column(pair)).alias(name) for name, pair in zip(names, found, strict=True)])


NUMBER_KINDS = {"whole": 0, "yuan": 1, "account": 2}


def numbers(text: pl.Series, kind: str) -> tuple[pl.Series, pl.Series] | None:
    """The usual cells of a whole-number, yuan or account-number column, as the fast paths of
    :mod:`dividends.registry.cells` read them, from one native pass over the column: ``ok``
    (Boolean, never null) and the value (Int64: the number, fen; null where not ``ok``).
    None when the native pass is not available or declines."""
    if not available() or text.dtype != pl.String:
        return None
    try:
        found = _linescan.numbers(text.__arrow_c_stream__(), text.len(), NUMBER_KINDS[kind])
    except MemoryError:
        return None
    if isinstance(found, str):
        return None
    ok, value = (pl.Series(_Column(pair)) for pair in found)
    return ok.alias("ok"), value.alias(text.name)


def _int64s(data: bytes) -> tuple[int, ...]:
    return tuple(memoryview(data).cast("q"))


def scan(text: bytes, separator: str, limits: Limits) -> LineFacts | None:
    """The line facts of UTF-8 ``text`` (BOM removed) split by ``separator``, or None when the
    native pass is not available or declines (then the caller takes the polars path)."""
    if not available() or len(separator) != 1 or not separator.isascii():
        return None
    try:
        found = _linescan.scan(text, ord(separator), NEEDLES, limits.rows + 1, limits.line_bytes)
    except MemoryError:
        return None
    if isinstance(found, str):  # declined: why (not UTF-8, a NUL, a limit...)
        return None
    lines, longest, width, odd, other_index, other_width, keyword, seen, ideographic, soft = found
    return LineFacts(
        lines=lines, longest=longest, width=width, odd_quotes=_int64s(odd),
        other_index=_int64s(other_index), other_width=_int64s(other_width),
        keyword_index=_int64s(keyword), seen=seen, ideographic_space=ideographic, soft_hyphen=soft,
    )


class _Column:
    """One column from ``_linescan.cells``: polars takes it (``pl.Series(column)``) through the
    Arrow PyCapsule interface, without a copy (the C side's buffers are freed with the series)."""

    def __init__(self, capsules: tuple[object, object]) -> None:
        self._capsules = capsules

    def __arrow_c_array__(self, requested_schema: object | None = None) -> tuple[object, object]:
        return self._capsules


def cells(text: bytes, separator: str, limits: Limits) -> pl.DataFrame | None:
    """Every cell of ``text`` as String columns ``column_0``... (one chunk each, a row per line,
    the first line included), as ``reading._parse_cells`` parses them, for the plainest CSV:
    every line has the first line's number of cells (at least 2), and every cell is unquoted
    without a double quote, or wholly quoted without a quote or line break inside, and there are
at most ``limits.columns`` columns. None when the
    native pass is not available or the text is not of that form. The result means nothing for
    a text that :func:`scan` declines (this pass checks neither UTF-8 nor NUL): the caller uses
    it only together with the facts of :func:`scan`, which it must check with :func:`agrees`."""
    if not available() or len(separator) != 1 or not separator.isascii() or not text:
        return None
    try:  # (the native parse counts the lines itself, without the GIL)
        found = _linescan.cells(text, ord(separator), limits.columns)
    except MemoryError:  # (polars' parse then says what it says)
        return None
    if isinstance(found, str) or len(found) < 2:  # declined: why
        return None
    return pl.DataFrame([pl.Series(_Column(pair)).alias(f"column_{i}") for i, pair in enumerate(found)])


def agrees(frame: pl.DataFrame, facts: LineFacts) -> bool:
    """The native cells ``frame`` and the ``facts`` of the same text describe the same lines:
    as many, each with the frame's width, no quote left open."""
    return (
        frame.height == facts.lines and frame.width == facts.width
        and not facts.odd_quotes and not facts.other_index
    )
