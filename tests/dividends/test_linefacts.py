"""The native line scan (dividends/registry/_linescan.c through linefacts.scan) against the polars
reference path of the CSV reader, on random hostile bytes and random registry files: the same
facts, the same tables, the same problems; and the reader without the native module."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dividends.files.limits import Limits
from dividends.registry import HOUSEHOLD_COLUMNS, linefacts, reading
from dividends.registry.layout import keyword_lines
from schemes.problems import InputError
from tests.reach import reached

ROOT = Path(__file__).resolve().parents[2]

native = pytest.mark.skipif(not linefacts.available(), reason="native line scan not built (make native)")

# fragments of hostile text: separators, quotes, line breaks, CR, white space, keywords in any
# case and their neighbours, full-width and invisible characters, 2-4 byte characters
FRAGMENTS = [
    "a", "Z", "12", ",", ",", "\t", '"', '""', "\n", "\n", "\r\n", "\r", " ", "\x0b", "\x0c", "=", "+", "@", "-",
    "中文", "计", "合计", "小计", "总计", "Total", "TOTAL", "tota", "subtotal", "章", "盖 章", "制表人:", "审核", "复核",
    "填", "负责", "经办", "主任", "支书", "出纳", "日期", "时间", "注:", "说明", "讠", "刘", "一", "\u3000", "\u00ad",
    "\u00a0", "\u0085", "\u1680", "\u2003", "\u200b", "\u061c", "\ufeff", "＝", "１", "é", "\U0001f600", "\u07ff",
]
# bytes the native pass declines (or must get right at the edges): NUL, invalid UTF-8, overlong
# forms, surrogates, code points above U+10FFFF, truncated sequences, a BOM
HOSTILE = [b"\x00", b"\xff", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe8\xae",
           b"\x80", b"\xf8\x88\x80\x80\x80", b"\xef\xbb\xbf"]


@st.composite
def hostile_bytes(draw: st.DrawFn) -> bytes:
    parts = [f.encode() for f in draw(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=60))]
    if draw(st.integers(0, 9)) == 0:  # now and then a byte sequence the scan must decline
        parts.insert(draw(st.integers(0, len(parts))), draw(st.sampled_from(HOSTILE)))
    if draw(st.integers(0, 9)) == 0:
        parts.insert(0, b"\xef\xbb\xbf")
    return b"".join(parts)


def _reference(text: bytes, separator: str, limits: Limits) -> dict[str, object] | None:
    """The facts by the polars path, or None where that path would not use them (it refuses the
    text as not UTF-8, or a line limit is broken and it raises)."""
    try:
        lines = reading._lines(text)
    except pl.exceptions.PolarsError:
        return None
    lengths = lines.str.len_bytes()
    if lines.len() > limits.rows + 1 or (lengths.max() or 0) > limits.line_bytes:  # type: ignore[operator]
        return None
    widths = reading._cells_per_line(lines, separator, quotes=True)
    leads = reading._lead_bytes(text)
    return {
        "lines": lines.len(),
        "longest": int(lengths.max() or 0),  # type: ignore[arg-type]
        "keywords": keyword_lines(lines).to_list(),
        "widths": None if widths is None else widths.to_list(),
        "leads": {**leads, **{pair: pair in text for pair in reading._PAIRS}},
    }


@native
@settings(max_examples=500, deadline=None)
@given(hostile_bytes(), st.sampled_from([",", "\t"]), st.integers(1, 8), st.integers(1, 80))
def test_the_native_facts_are_the_polars_facts(text: bytes, separator: str, rows: int, line_bytes: int) -> None:
    limits = Limits(rows=rows, line_bytes=line_bytes) if line_bytes < 60 else Limits()
    facts = linefacts.scan(text, separator, limits)
    reference = _reference(text, separator, limits)
    reached()
    if facts is None:
        # declined: only where the reference path refuses the text, or for the bytes it takes
        # another way (a NUL, a BOM left after the first, an empty text)
        assert (reference is None or b"\x00" in text or text.startswith(b"\xef\xbb\xbf")), text
        return
    assert reference is not None, text  # every text the native pass takes, polars reads
    widths = facts.widths()
    assert {
        "lines": facts.lines,
        "longest": facts.longest,
        "keywords": facts.keyword_rows().to_list(),
        "widths": None if widths is None else widths.to_list(),
        "leads": {lead: facts.holds(lead) for lead in reference["leads"]},  # type: ignore[attr-defined]
    } == reference


@native
def test_the_scan_takes_a_view_without_a_copy_and_declines_what_it_must() -> None:
    big = Limits()
    assert linefacts.scan(b"a,b\n1,2\n", ",", big) is not None
    for declined in (b"", b"a\x00b\n", b"\xef\xbb\xbfa\n", b"a\n\xff\n", b"\xe8\xae", b"a\xed\xa0\x80\n"):
        assert linefacts.scan(declined, ",", big) is None, declined
    assert linefacts.scan(b"a\nb\nc\n", ",", Limits(rows=1)) is None  # 3 lines > rows + 1
    assert linefacts.scan(b"a\nb\nc\n", ",", Limits(rows=2)) is not None
    assert linefacts.scan(b"abcd\r\n", ",", Limits(line_bytes=4)) is not None  # (the CR is not the line's)
    assert linefacts.scan(b"abcde\n", ",", Limits(line_bytes=4)) is None
    facts = linefacts.scan(memoryview(b'h,"x,y"\n1,2,3\nTOTAL,"\n'), ",", big)
    assert facts is not None and facts.lines == 3 and facts.width == 2 and facts.odd_quotes == (2,)
    assert facts.widths() is None and facts.keyword_rows().to_list() == [False, False, True]
    with pytest.raises(ValueError):
        linefacts._linescan.scan(b"a", ord("\n"), linefacts.NEEDLES, 10, 10)
    with pytest.raises(ValueError):
        linefacts._linescan.scan(b"a", ord(","), (b"x\ny",), 10, 10)


# --------------------------------------------------------------------------- cells

PLAIN = ["", '""', "a", " a ", "12", "中文", "123456789012", "1234567890123", "长长长长长长长长", '"x,y"', '"q\tz"',
         "\u3000", "é", "\U0001f600", '"  "', "-", "=1", "\x0b", "Total"]
ODD = ['"a""b"', 'a"b', '"a"b', '"a\nb"', "a\rb", '"', "\r"]


@st.composite
def plain_texts(draw: st.DrawFn) -> tuple[bytes, str]:
    """Rectangular CSV text of plain cells; now and then a cell or line the native parse declines."""
    separator = draw(st.sampled_from([",", "\t"]))
    width = draw(st.integers(2, 5))
    cell = st.sampled_from(PLAIN)
    rows = draw(st.lists(st.lists(cell, min_size=width, max_size=width), min_size=1, max_size=10))
    # (a middle value: Hypothesis draws the bounds of a range far more often than 1 in 20)
    odd = draw(st.integers(0, 29))
    if odd == 7:
        row = draw(st.sampled_from(rows))
        row[draw(st.integers(0, width - 1))] = draw(st.sampled_from(ODD))
    if odd == 11:
        rows.insert(draw(st.integers(0, len(rows))), draw(st.lists(cell, max_size=width + 1)))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    text = end.join(separator.join(row) for row in rows) + draw(st.sampled_from(["", end, end, "\r"]))
    return text.encode(), separator


@native
@settings(max_examples=600, deadline=None)
@given(plain_texts())
def test_the_native_cells_are_the_polars_cells(case: tuple[bytes, str]) -> None:
    text, separator = case
    facts = linefacts.scan(text, separator, Limits())
    frame = linefacts.cells(text, separator, Limits())
    if facts is None or frame is None or not linefacts.agrees(frame, facts):
        return  # (the polars path parses it: the whole-file test below compares that path)
    reached()
    parsed = reading._parse_cells(text, separator)
    assert parsed is not None, text
    reference, longest = parsed
    assert longest
    assert frame.columns == reference.columns and frame.schema == reference.schema
    assert frame.rows() == reference.rows(), text
    assert all(column.n_chunks() == 1 for column in frame.iter_columns())
    # the columns grown past an estimate from the first bytes: the same cells
    for estimate in (1, len(text) // 3 + 1):
        grown = pl.DataFrame([
            pl.Series(linefacts._Column(pair)).alias(f"column_{i}")
            for i, pair in enumerate(linefacts._linescan.cells(text, ord(separator), Limits().columns, estimate))
        ])
        assert grown.equals(frame, null_equal=True) and grown.rows() == frame.rows(), text
        assert grown.select(pl.all().n_unique()).row(0) == frame.select(pl.all().n_unique()).row(0)


@native
def test_the_native_cells_decline_what_is_not_plain() -> None:
    for text in (b"a,b\n1\n", b"a,b\n1,2,3\n", b'a,b\n"1""x",2\n', b'a,b\nx"y,2\n', b'a,b\n"x"y,2\n',
                 b"a,b\n1\r2,3\n", b"a\n1\n", b'a,b\n"1\n2",3\n', b"a,b\n\n1,2\n"):
        assert linefacts.cells(text, ",", Limits()) is None, text
    assert linefacts.cells(b"a,b,c\n1,2,3\n", ",", Limits(columns=2)) is None
    # a first line of many columns over lines of nothing: declined at its second line, with room
    # set aside for no more lines than the bytes can hold ((bytes + 1) / columns: 16 bytes of
    # views per byte of text at most)
    assert linefacts._linescan.cells(b"," * 199 + b"\n" * 10**6, ord(","), 200) == "fewer cells than columns"
    frame = linefacts.cells(b'h,i\r\n"",\r\n"a,b",' + b"x" * 20 + b"\r\n", ",", Limits())
    assert frame is not None and frame.rows() == [("h", "i"), ("", None), ("a,b", "x" * 20)]
    with pytest.raises(ValueError):
        linefacts._linescan.cells(b"a,b\n", ord("\n"), 10)
    assert isinstance(linefacts._linescan.cells(b"", ord(","), 10), str)
    # the lines are counted as they are parsed: the "\n" count, + 1 without a last line break;
    # past the estimate of the first MiB the columns grow (a first MiB of long lines)
    for text in (b"a,b\n1,2", b"a,b\n1,2\n", b"a\n\n\n"):
        frame = linefacts.cells(text, ",", Limits())
        assert frame is None or frame.height == text.count(b"\n") + (not text.endswith(b"\n"))
    long = b"x" * 2**20 + b",y\n" + b"1,\n" * 50_000 + b'"",2'
    frame = linefacts.cells(long, ",", Limits(line_bytes=2**21))
    assert frame is not None and frame.height == 50_002
    assert frame.rows()[-2:] == [("1", None), ("", "2")]
    assert frame.get_column("column_1").null_count() == 50_000


# --------------------------------------------------------------------------- whole files

HEADER = "household_id,village_id,head_name,id_number,phone,members,able_members,status,shares,capital_yuan,account_no,bank,language"
CELLS = ["", '""', "V1", "H1", "H2", " H3 ", "张三", "110101199003071234", "13800138000", "3", "2", "1.50", "poor",
         "non_poor", "zh", "合计", "小计", "制表人:李四", "盖章", "Total", '"a,b"', "\u3000", "＝1", "=1",
         "\u200b", "\t", "1e5", "-", "6217998997797774", "中国邮政储蓄银行"]


@st.composite
def registry_files(draw: st.DrawFn) -> bytes:
    """Households files of 13 cells a row (the native cells' case), now and then a short or long
    row or a cell with an escaped quote (polars' case)."""
    rows = draw(st.lists(st.lists(st.sampled_from(CELLS), min_size=13, max_size=13), min_size=1, max_size=8))
    odd = draw(st.integers(0, 9))
    if odd == 7:
        rows.append(draw(st.lists(st.sampled_from(CELLS), min_size=11, max_size=14)))
    if odd == 3:
        rows[-1][0] = '"x""y"'
    end = draw(st.sampled_from(["\n", "\r\n"]))
    text = end.join([HEADER, *(",".join(row) for row in rows)]) + draw(st.sampled_from(["", end]))
    data = text.encode()
    if draw(st.integers(0, 9)) == 0:
        data = b"\xef\xbb\xbf" + data
    return data


def _outcome(path: Path) -> object:
    try:
        table = reading.read_table(path, HOUSEHOLD_COLUMNS, name="f.csv")
    except InputError as error:
        return ("refused", [str(p) for p in error.problems])
    frame = table.frame
    return (frame.schema, frame.rows(), [str(p) for p in table.problems], [str(n) for n in table.notes],
            None if table.totals is None else table.totals.rows(), table.absent, table.may_hold_invisible,
            table.may_hold_formula_signs)


@native
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(registry_files())
def test_a_registry_file_reads_the_same_with_and_without_the_native_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    with_native = _outcome(path)
    with monkeypatch.context() as patch:
        patch.setattr(linefacts, "_linescan", None)
        assert not linefacts.available()
        reference = _outcome(path)
    reached()
    assert with_native == reference


def test_the_reader_runs_without_the_native_module(tmp_path: Path) -> None:
    """A machine where the module was never built: the import fails, the reader takes polars."""
    path = tmp_path / "f.csv"
    path.write_text(HEADER + "\nH1,V1,张三,110101199003071234,13800138000,3,2,poor,1,1.50,,,zh\n合计,,,,,,,,1,1.50,,,\n",
                    encoding="utf-8")
    program = (
        "import sys; sys.modules['dividends.registry._linescan'] = None\n"  # (import raises ImportError)
        "from dividends.registry import HOUSEHOLD_COLUMNS, linefacts, reading\n"
        "assert linefacts._linescan is None and not linefacts.available()\n"
        f"t = reading.read_table({str(path)!r}, HOUSEHOLD_COLUMNS)\n"
        "print(t.frame.height, t.totals.height, [str(n) for n in t.notes])\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("1 1 ")


def test_the_native_module_is_built_where_ci_runs() -> None:
    """CI builds it in `make install-test`; a build step that silently fails would leave the native
    comparisons above skipped."""
    if os.environ.get("CI") != "true":
        pytest.skip("outside CI the native module may be missing (make native builds it)")
    assert linefacts.available(), "the native line scan is not built (make native)"


def test_the_switch_turns_the_native_scan_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(linefacts.DISABLE, "0")
    assert not linefacts.available()
    assert linefacts.scan(b"a\n", ",", Limits()) is None


# --------------------------------------------------------------------------- ID numbers

DIGITS = st.text(alphabet="0123456789", min_size=17, max_size=17)


@st.composite
def id_cells(draw: st.DrawFn) -> str | None:
    """An ID number cell: mostly 17 digits and a check character (right or wrong, X), else
    the near misses: a byte more or less, a letter, a sign, full-width digits, nothing."""
    kind = draw(st.integers(0, 9))
    if kind == 9:
        return None
    first = draw(st.one_of(DIGITS, st.sampled_from(["11010519491231002", "11010520000229002", "11010519000229002",
                                                    "00000000000000000", "99999999999999999"])))
    last = draw(st.sampled_from("0123456789X"))
    if kind == 8:
        return draw(st.sampled_from(["", "x", first, first + last + "1", first[:-1] + "X" + last, "+" + first,
                                     first + "x", "１" + first[1:] + last, " " + first, first + "\n"]))
    return first + last


@native
@settings(max_examples=300, deadline=None)
@given(st.lists(id_cells(), min_size=1, max_size=40), st.dates(), st.dates(), st.integers(0, 3))
def test_the_native_id_parts_are_the_polars_parts(cells: list[str | None], a, b, cut: int) -> None:  # type: ignore[no-untyped-def]
    from dividends.registry.idnumber import id_number_parts

    earliest, latest = min(a, b), max(a, b)
    ids = pl.Series("_id", cells, dtype=pl.String)
    if cut:  # a slice of two chunks, the first one's views starting at an offset
        head = pl.Series(["1" * 18, None, "11010519491231002X"] * cut, dtype=pl.String)
        ids = pl.concat([head, ids], rechunk=False).slice(cut)
        assert ids.n_chunks() == 2
    native = linefacts.id_parts(ids, *(d.year * 10**4 + d.month * 100 + d.day for d in (earliest, latest)))
    reached()
    assert native is not None
    saved = linefacts._linescan
    try:
        linefacts._linescan = None
        reference = id_number_parts(ids, (earliest, latest))
    finally:
        linefacts._linescan = saved
    assert native.schema == reference.schema
    assert native.rows() == reference.rows(), cells


@native
def test_the_native_id_parts_at_the_birth_date_bounds() -> None:
    from datetime import date

    from dividends.registry.idnumber import id_number_parts, with_check_characters

    days = ["19000101", "18991231", "20241231", "20250101", "20240229", "20230229", "21000229", "20000229"]
    ids = with_check_characters(pl.Series([int(f"110105{d}002") for d in days], dtype=pl.Int64))
    for earliest, latest in ((date(1900, 1, 1), date(2024, 12, 31)), (date(2024, 2, 29), date(2024, 2, 29))):
        native = linefacts.id_parts(ids, earliest.year * 10**4 + earliest.month * 100 + earliest.day,
                                    latest.year * 10**4 + latest.month * 100 + latest.day)
        saved, linefacts._linescan = linefacts._linescan, None
        try:
            reference = id_number_parts(ids, (earliest, latest))
        finally:
            linefacts._linescan = saved
        assert native is not None and native.rows() == reference.rows()
        assert native.get_column("birth_ok").any()


# --------------------------------------------------------------------------- number cells

@st.composite
def number_cells(draw: st.DrawFn) -> str | None:
    """Whole numbers, yuan amounts and account numbers with their near misses: 0-20 digits,
    leading zeros, a point with 0-3 digits after it, signs, grouping commas, spaces, exponents,
    full-width digits, nothing."""
    if draw(st.integers(0, 11)) == 11:
        return None
    whole = draw(st.text(alphabet="0123456789", min_size=0, max_size=20))
    if draw(st.booleans()):
        whole = whole.lstrip("0") or "0"
    tail = draw(st.sampled_from(["", "", "", ".00", ".50", ".05", ".5", ".123", "."]))
    text = whole + tail
    odd = draw(st.integers(0, 9))
    if odd == 9:
        text = draw(st.sampled_from(["+", "-", " ", "１", "e3", ",", "x"])) + text
    elif odd == 8:
        text = text + draw(st.sampled_from([" ", ",000", "e5", "\u3000", "1.2"]))
    return text


@native
@settings(max_examples=400, deadline=None)
@given(st.lists(number_cells(), min_size=1, max_size=30), st.integers(0, 2))
def test_the_native_number_cells_read_as_the_polars_ones(cells: list[str | None], cut: int) -> None:
    from dividends.registry import cells as parsers

    text = pl.Series("c", cells, dtype=pl.String)
    if cut:  # a slice of two chunks, the first one's views starting at an offset
        text = pl.concat([pl.Series(["12", None, "1234567890123.00"] * cut, dtype=pl.String), text],
                         rechunk=False).slice(cut)
    parse = (parsers._whole, parsers._fen, parsers._account)
    native = [f(text) for f in parse]
    reached()
    saved = linefacts._linescan
    try:
        linefacts._linescan = None
        reference = [f(text) for f in parse]
    finally:
        linefacts._linescan = saved
    for mine, theirs in zip(native, reference, strict=True):
        assert mine.dtype == theirs.dtype and mine.name == theirs.name
        assert mine.to_list() == theirs.to_list(), cells
    for kind in linefacts.NUMBER_KINDS:
        assert linefacts.numbers(text, kind) is not None


@native
def test_the_native_number_cells_at_their_digit_limits() -> None:
    from dividends.registry import cells as parsers

    cells = [d * n + tail for d in ("9", "1") for n in range(4, 21) for tail in ("", ".99", ".00")]
    cells += ["0", "0.00", "00", "007", "0123456", "1" + "0" * 15, "1" + "0" * 18, "9" * 17 + ".99"]
    text = pl.Series("c", cells, dtype=pl.String)
    for parse in (parsers._whole, parsers._fen, parsers._account):
        native = parse(text)
        saved, linefacts._linescan = linefacts._linescan, None
        try:
            reference = parse(text)
        finally:
            linefacts._linescan = saved
        assert native.to_list() == reference.to_list(), parse
