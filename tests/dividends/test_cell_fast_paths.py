"""The registry's fast readings of whole numbers and yuan (one integer parse where the text is
plain digits) give exactly what the exact parsers give, cell for cell."""
from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from dividends.registry.cells import _fen, _whole, _whole_exact
from schemes.money import parse_yuan_column
from tests.reach import reached

PIECES = st.sampled_from(
    [*"0123456789", "0", "00", "000", ".", ",", "-", "+", "e", "E", "¥", "１", " ", ".00", ".5", "9" * 9]
)
CELLS = st.one_of(st.none(), st.lists(PIECES, min_size=1, max_size=12).map("".join))

EDGES = [
    "0", "00", "0.00", ".12", "1.2.", "12.50", "8000.00", "-0", "-0.00", "+5", "+5.00", "5.",
    "9999999999999999", "99999999999999999", "9999999999999999.99", "99999999999999999.99",
    "999999999999999999", "9999999999999999999", "1000000000000000000", "1,234.5", "１２", "¥12.05",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(CELLS, max_size=40))
def test_fast_readings_equal_the_exact_parsers(cells: list[str | None]) -> None:
    reached()
    text = pl.Series("c", cells + EDGES, dtype=pl.String)
    assert _whole(text).to_list() == _whole_exact(text).to_list()
    assert _fen(text).to_list() == parse_yuan_column(text).to_list()
    assert _whole(text).dtype == pl.Int64 and _fen(text).dtype == pl.Int64


def test_fast_readings_of_the_usual_cells() -> None:
    text = pl.Series("c", ["8000.00", "0", "12", None, "0.50", "1,200"], dtype=pl.String)
    assert _fen(text).to_list() == [800000, 0, 1200, None, 50, 120000]
    assert _whole(text).to_list() == [8000, 0, 12, None, None, 1200]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(min_value=0, max_value=10**17 - 1)), max_size=50))
def test_check_values_in_two_halves_equal_the_digit_expression(values: list[int | None]) -> None:
    from dividends.registry.idnumber import check_value_of_column, check_values

    reached()
    first17 = pl.Series("q", [*values, 0, 10**17 - 1, 10**16, 10**9 - 1, 10**9], dtype=pl.Int64)
    expected = first17.to_frame().select(check_value_of_column(pl.col("q"))).to_series()
    got = check_values(first17)
    assert got.dtype == expected.dtype and got.to_list() == expected.to_list()


ID_PIECES = st.sampled_from([*"0123456789", "X", "x", "+", "-", " ", "0" * 6, "19491231", "７"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(ID_PIECES, max_size=19).map("".join)), max_size=40))
def test_id_number_parts_read_as_the_pattern_says(cells: list[str | None]) -> None:
    from dividends.registry.idnumber import _parts_by_pattern, id_number_parts, is_valid_id_number

    reached()
    edges = ["110105194912310021", "11010519491231002X", "011010194912310021", "+11010519491231002", "1101051949123100２"]
    ids = pl.Series("id", [*cells, *edges], dtype=pl.String)
    parts = id_number_parts(ids)
    pattern = _parts_by_pattern(ids)
    assert parts["format_ok"].to_list() == pattern["ok"].to_list()
    assert parts["key"].to_list() == (pattern["first17"] * 11 + pattern["given"]).to_list()
    reference = pl.Series([None if c is None else is_valid_id_number(c, reference_date=None) for c in ids.to_list()])
    ok = parts.select(pl.col("format_ok") & pl.col("checksum_ok").fill_null(False)
                      & pl.col("birth_date").is_between(pl.date(1900, 1, 1), pl.lit(__import__("datetime").date.today())))
    assert [bool(v) for v in ok.to_series().fill_null(False).to_list()] == [bool(v) for v in reference.to_list()]


ACCOUNT_PIECES = st.sampled_from([*"0123456789", "0" * 6, "9" * 9, " ", "\u3000", "+", "-", "x", "６"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(ACCOUNT_PIECES, min_size=1, max_size=12).map("".join)), max_size=40))
def test_the_fast_account_reading_equals_the_exact_one(cells: list[str | None]) -> None:
    from dividends.registry.cells import _account, _account_exact

    reached()
    edges = ["123456", "12345", "0123456", "6217998997797774", "9" * 19, "9" * 20, "1" * 32, "1" * 33,
             "6217 9989 9779 7774", "18446744073709551615", "18446744073709551616", "+123456"]
    text = pl.Series("a", [*cells, *edges], dtype=pl.String)
    assert _account(text).to_list() == _account_exact(text).to_list()
    assert _account(text).dtype == pl.String


FORMULA_PIECES = st.sampled_from([*"=+-@\t\rVa1 ", "＝", "＋", "＠", "－", "张", "\u3000"])
HEADER = "household_id,village_id,head_name,id_number,phone,members,able_members,status,shares,capital_yuan"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.lists(FORMULA_PIECES, min_size=1, max_size=5).map("".join),
                          st.lists(FORMULA_PIECES, min_size=1, max_size=5).map("".join)), min_size=1, max_size=8))
def test_formula_flags_from_the_bytes_equal_the_formula_pattern(tmp_path_factory, rows: list[tuple[str, str]]) -> None:
    """Whether a CSV's bytes hold = + @ tab CR (or a full-width form that becomes one) decides
    if the formula flags take the pattern or only look for a leading ``-``: the same flags."""
    from dividends.files.safe import FORMULA_START
    from dividends.registry.columns import HOUSEHOLD_COLUMNS
    from dividends.registry.reading import read_table
    from dividends.registry.validation import text_flags

    reached()
    path = tmp_path_factory.mktemp("formula") / "households.csv"
    lines = [HEADER] + [f"{hid},V1,{name},110105194912310021,,1,1,poor,1,1" for hid, name in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = read_table(path, HOUSEHOLD_COLUMNS)
    columns = ("household_id", "head_name")
    flags = table.frame.select(**text_flags(columns, table))
    for column in columns:
        expected = table.frame.select(pl.col(column).str.contains(FORMULA_START)).to_series()
        assert flags.get_column(f"_formula_{column}").to_list() == expected.to_list()


def test_a_file_without_formula_signs_still_finds_a_leading_minus(tmp_path) -> None:
    from dividends.registry.columns import HOUSEHOLD_COLUMNS
    from dividends.registry.reading import read_table

    path = tmp_path / "households.csv"
    path.write_text(f"{HEADER}\n-V1-1,V1,张三,110105194912310021,,1,1,poor,1,1\n", encoding="utf-8")
    table = read_table(path, HOUSEHOLD_COLUMNS)
    assert not table.may_hold_formula_signs
    path.write_text(f"{HEADER}\n＝V1-1,V1,张三,110105194912310021,,1,1,poor,1,1\n", encoding="utf-8")
    assert read_table(path, HOUSEHOLD_COLUMNS).may_hold_formula_signs  # ＝ becomes = in an id


DATE_PIECES = st.sampled_from(["1949", "2000", "1900", "1899", "2024", "0000", "9999", "2100", "01", "02", "12",
                               "13", "00", "28", "29", "30", "31", "32", "99"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(DATE_PIECES, DATE_PIECES, DATE_PIECES, st.sampled_from(["0", "X", "5"])), max_size=30),
       st.dates(min_value=__import__("datetime").date(1890, 1, 1)), st.integers(min_value=0, max_value=60000))
def test_birth_dates_within_bounds_by_arithmetic_equal_the_parsed_dates(pieces, latest, span) -> None:
    """``birth_ok`` (integer arithmetic on the digits) is the parsed birth date within the bounds,
    False where the digits are no date, on every row in the ID format."""
    from datetime import timedelta

    from dividends.registry.idnumber import id_number_parts

    reached()
    earliest = max(latest - timedelta(days=span), __import__("datetime").date(1, 1, 1))
    cells = [f"110105{y[:4]}{m[:2]}{d[:2]}002{c}"[:18] for y, m, d, c in pieces]
    ids = pl.Series("id", [*cells, "110105194912310021", "110105200002290021", "110105190002290021", None, "x"],
                    dtype=pl.String)
    dates = id_number_parts(ids)
    within = id_number_parts(ids, (earliest, latest))
    expected = dates.select(
        pl.when("format_ok").then(pl.col("birth_date").is_between(pl.lit(earliest), pl.lit(latest)).fill_null(False))
    ).to_series()
    assert within.get_column("birth_ok").to_list() == expected.to_list()
    assert within.drop("birth_ok").equals(dates.drop("birth_date"))
