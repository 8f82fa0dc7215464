"""The CSV reader's cells per line: the shortcut (one count of the file's separators, lines
with quotes counted one by one) agrees with counting every line, whenever the parser has said
no line is longer than the first."""
from __future__ import annotations

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dividends.registry import reading
from tests.reach import reached

CELL = st.sampled_from(["", "a", "12", "中文", '"x,y"', '""', '"a""b"', " ", "\t", '"', "\r"])


@st.composite
def texts(draw: st.DrawFn) -> tuple[bytes, str]:
    separator = draw(st.sampled_from([",", "\t"]))
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=6), min_size=1, max_size=12))
    text = "\n".join(separator.join(row) for row in rows)
    if draw(st.booleans()):
        text += "\n"
    return text.encode(), separator


@settings(max_examples=400, deadline=None)
@given(texts(), st.integers(min_value=0, max_value=3))
def test_the_shortcut_agrees_with_counting_every_line(case: tuple[bytes, str], wider: int) -> None:
    text, separator = case
    assume(text.strip())  # (an empty file is refused before)
    lines = reading._lines(text)
    quotes = b'"' in text
    full = reading._cells_per_line(lines, separator, quotes=quotes)
    # the shortcut is taken only when the parser found no row longer than the first (a longer one
    # is refused before): the width is at least every unquoted line's, and up to 3 more
    unquoted_widths = [line.count(separator) + 1 for line in lines.to_list() if '"' not in line]
    width = max(unquoted_widths, default=1) + wider
    reached()
    short = reading._cells_per_line(lines, separator, quotes=quotes, width=width,
                                    separators=text.count(separator.encode()))
    if full is None:
        assert short is None
    else:
        assert short is not None and short.to_list() == full.to_list()


def test_the_shortcut_on_equal_rows_and_on_a_short_one() -> None:
    text = b'a,b,c\n1,"x,y",3\n4,5,6\n'
    lines = reading._lines(text)
    assert reading._cells_per_line(lines, ",", width=3, separators=text.count(b",")).to_list() == [3, 3, 3]
    text = b"a,b,c\n1,2\n4,5,6,\n"  # one row short of 4 cells: counted line by line
    lines = reading._lines(text)
    assert reading._cells_per_line(lines, ",", width=4, separators=text.count(b",")).to_list() == [3, 2, 4]


LAST = st.sampled_from(["a", "12", "中文", '"x,y"', '""', '"a""b"'])


@st.composite
def complete_texts(draw: st.DrawFn) -> tuple[bytes, str]:
    """Rows of one width whose last cell is not empty, and now and then one row short."""
    separator = draw(st.sampled_from([",", "\t"]))
    width = draw(st.integers(min_value=1, max_value=6))
    rows = draw(st.lists(st.tuples(st.lists(CELL, min_size=width - 1, max_size=width - 1), LAST),
                         min_size=1, max_size=12))
    lines = [separator.join([*cells, last]) for cells, last in rows]
    if draw(st.integers(min_value=0, max_value=4)) == 0 and width > 1:
        lines.insert(draw(st.integers(min_value=1, max_value=len(lines))), "a")
    text = "\n".join(lines) + ("\n" if draw(st.booleans()) else "")
    return text.encode(), separator


@settings(max_examples=400, deadline=None)
@given(complete_texts())
def test_complete_records_agree_with_counting_every_line(case: tuple[bytes, str]) -> None:
    """When the parser finds the last cell of every record (none is short), the lines without
    quotes have the parser's width, as counting them says."""
    import polars as pl

    text, separator = case
    reached()
    try:
        frame = pl.read_csv(text, has_header=False, infer_schema=False, separator=separator,
                            truncate_ragged_lines=False)
    except pl.exceptions.PolarsError:
        return  # (a row longer than the first: the reader counts every line)
    lines = reading._lines(text)
    quotes = b'"' in text
    full = reading._cells_per_line(lines, separator, quotes=quotes)
    complete = frame.get_column(frame.columns[-1]).null_count() == 0
    short = reading._cells_per_line(lines, separator, quotes=quotes, width=frame.width, complete=complete,
                                    separators=None if complete else text.count(separator.encode()))
    if full is None:
        assert short is None
    elif full.len() == frame.height:  # (else the reader leaves the file to the exact reader)
        assert short is not None and short.to_list() == full.to_list()


def test_the_space_lead_bytes_start_every_character_polars_trims() -> None:
    import polars as pl

    points = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    cells = pl.Series(["a" + chr(c) for c in points])
    trimmed = (cells.str.strip_chars().str.len_bytes() != cells.str.len_bytes()).arg_true()
    spaces = [chr(points[i]) for i in trimmed.to_list()]
    assert "\u3000" in spaces and " " in spaces
    for space in spaces:
        if space != "\n":  # (no cell of the fast reader holds a line break)
            assert space.encode()[:1] in reading._SPACE_LEADS, hex(ord(space))
