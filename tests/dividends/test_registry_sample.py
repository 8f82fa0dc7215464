"""The sample generator's registries are realistic, deterministic and pass validation; ID
numbers and yuan amounts are checked the same way in Python and in polars."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import support.sample as sample_module
from dividends.registry import Registry, read_registry, read_returns
from dividends.registry.cells import parse_fen
from dividends.registry.idnumber import (
    check_character,
    check_values,
    id_number_parts,
    is_valid_id_number,
    with_check_characters,
)
from support.sample import SAMPLE_DATE, generate, write_csv
from schemes.money import MoneyFormatError, parse_yuan
from schemes.problems import InputError
from tests.reach import reached


@pytest.fixture(scope="module")
def ten_thousand():  # type: ignore[no-untyped-def]
    return generate(10_000, 8, seed=5)


def test_ten_thousand_generated_households_pass_validation_and_read_back_identically(
    ten_thousand,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    files = write_csv(ten_thousand, tmp_path, headers="zh", encoding="gbk")
    registry = read_registry(files["households"], members=files["persons"], posts=files["posts"])
    assert registry.exclusions == ()
    assert_frame_equal(registry.households, ten_thousand.households)
    assert_frame_equal(registry.persons, ten_thousand.persons)
    assert_frame_equal(registry.posts, ten_thousand.posts)
    assert_frame_equal(read_returns(files["returns"]), ten_thousand.returns)


def test_generated_households_look_like_a_real_registry(ten_thousand) -> None:  # type: ignore[no-untyped-def]
    hh, persons, posts, returns = (
        ten_thousand.households,
        ten_thousand.persons,
        ten_thousand.posts,
        ten_thousand.returns,
    )
    assert hh["household_id"][0] == "V0001-00001" and hh["village_id"].n_unique() == 8
    shares = hh["status"].value_counts(normalize=True).sort("status")
    expected = {"exited": 0.30, "monitored": 0.05, "non_poor": 0.45, "poor": 0.20}
    for status, share in shares.iter_rows():
        assert abs(share - expected[status]) < 0.02, status
    assert hh["members"].min() == 1 and hh["members"].max() == 7
    assert (hh["able_members"] <= hh["members"]).all()
    assert persons.height == hh["members"].sum()
    assert hh["id_number"].is_unique().all()
    assert all(is_valid_id_number(i, SAMPLE_DATE) for i in hh["id_number"].to_list())
    phones = hh["phone"]
    assert 0 < (phones == "").sum() < 0.05 * hh.height
    assert phones.filter(phones != "").str.contains(r"^1[3-9]\d{9}$").all()
    accounts = hh["account_no"].filter(hh["account_no"] != "")
    assert accounts.str.len_chars().is_between(16, 19).all()
    assert ((hh["shares"] > 0) == (hh["capital_fen"] > 0) | (hh["status"] == "poor")).all()
    assert (persons["birth_date"] < SAMPLE_DATE).all()
    age = persons.select(
        (pl.lit(SAMPLE_DATE) - pl.col("birth_date")).dt.total_days() // 365
    ).to_series()
    assert (age > 80).sum() > 0 and persons["student"].sum() > 0
    assert not (persons["student"] & persons["able_to_work"]).any()
    holders = posts.join(hh, on="household_id")
    assert (holders["status"] == "poor").all() and (holders["able_members"] > 0).all()
    poor_able = hh.filter((pl.col("status") == "poor") & (pl.col("able_members") > 0)).height
    assert 0.25 < posts.height / poor_able < 0.42
    assert posts["months_served"].is_between(1, 12).all()
    assert set(posts["grade"].unique()) == {"1", "2", "3", "4"}
    assert returns.height == 8 and returns["amount_fen"].is_between(1_000_000, 50_000_000).all()


def test_generation_is_deterministic_and_independent_of_the_chunk_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = generate(3_000, 5, seed=9)
    monkeypatch.setattr(sample_module, "CHUNK", 701)
    again = generate(3_000, 5, seed=9)
    for name in ("households", "persons", "posts", "returns"):
        assert_frame_equal(getattr(first, name), getattr(again, name))
    assert not generate(3_000, 5, seed=10).households.equals(first.households)


def test_generate_refuses_impossible_sizes() -> None:
    with pytest.raises(ValueError):
        generate(3, 5)


# --------------------------------------------------------------------------- ID numbers

regions = st.sampled_from(["110105", "371321", "130623", "510824", "440524", "650102"])
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2024, 12, 31))
sequences = st.integers(min_value=0, max_value=999)


def _valid_id(region: str, born: date, sequence: int) -> str:
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    return body + check_character(body)


def _polars_valid(ids: list[str], reference: date) -> list[bool]:
    parts = id_number_parts(pl.Series(ids, dtype=pl.String))
    return (
        parts.select(
            pl.col("format_ok")
            & pl.col("checksum_ok").fill_null(False)
            & pl.col("birth_date").is_between(date(1900, 1, 1), reference).fill_null(False)
        )
        .to_series()
        .to_list()
    )


# no Hypothesis deadline: a timing assertion, failing at random on a loaded machine
@settings(deadline=None)
@given(regions, births, sequences)
def test_a_valid_id_number_always_passes(region: str, born: date, sequence: int) -> None:
    number = _valid_id(region, born, sequence)
    reached()
    assert is_valid_id_number(number, date(2025, 1, 1))
    assert _polars_valid([number], date(2025, 1, 1)) == [True]


@settings(deadline=None)
@given(
    regions,
    births,
    sequences,
    st.integers(min_value=0, max_value=17),
    st.integers(min_value=0, max_value=9),
)
def test_changing_one_character_of_an_id_number_always_fails(
    region: str, born: date, sequence: int, position: int, shift: int
) -> None:
    number = _valid_id(region, born, sequence)
    alphabet = "0123456789X" if position == 17 else "0123456789"
    # a shift of 1 .. len(alphabet) - 1: always another character (a shift of 10 used to change nothing)
    step = 1 + shift % (len(alphabet) - 1)
    changed_char = alphabet[(alphabet.index(number[position]) + step) % len(alphabet)]
    assert changed_char != number[position]
    reached()
    changed = number[:position] + changed_char + number[position + 1 :]
    assert not is_valid_id_number(changed, date(2025, 1, 1))
    assert _polars_valid([changed], date(2025, 1, 1)) == [False]


@settings(deadline=None)
@given(regions, births, sequences, st.data())
def test_swapping_two_different_adjacent_digits_always_fails(
    region: str, born: date, sequence: int, data: st.DataObject
) -> None:
    number = _valid_id(region, born, sequence)
    # a position whose two digits differ (a random position had equal digits one time in five)
    different = [i for i in range(16) if number[i] != number[i + 1]]
    position = data.draw(st.sampled_from(different))
    a, b = number[position], number[position + 1]
    reached()
    swapped = number[:position] + b + a + number[position + 2 :]
    assert _polars_valid([swapped], date(2025, 1, 1)) == [False]


@settings(deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**17 - 1), min_size=1, max_size=50))
def test_the_column_check_digits_agree_with_the_definition(numbers: list[int]) -> None:
    series = pl.Series(numbers, dtype=pl.Int64)
    reached()
    by_column = ["X" if v == 10 else str(v) for v in check_values(series).to_list()]
    assert by_column == [check_character(f"{n:017d}") for n in numbers]
    full = with_check_characters(series).to_list()
    assert full == [f"{n:017d}" + check_character(f"{n:017d}") for n in numbers]


# --------------------------------------------------------------------------- money


@settings(deadline=None)
@given(
    st.text(alphabet="0123456789.,-¥ ", max_size=14)
    | st.decimals(min_value=0, max_value=10**15, places=2).map(str)
)
def test_the_column_parser_accepts_exactly_what_parse_yuan_accepts(text: str) -> None:
    stripped = text.strip()
    if not stripped:
        return
    reached()
    try:
        expected: int | None = parse_yuan(stripped)
    except MoneyFormatError:
        expected = None
    got = pl.select(parse_fen(pl.lit(pl.Series([stripped], dtype=pl.String)))).item()
    assert got == expected


# --------------------------------------------------------------------------- no tracebacks


FIXTURES = Path(__file__).parent / "fixtures" / "registry"
HEADERS = {
    "households": b"household_id,village_id,head_name,id_number,phone,members,able_members,status,shares,capital_yuan\n",
    "members": b"household_id,name,birth_date,able_to_work,student\n",
    "posts": b"household_id,person_name,post_type,grade,months_served\n",
}
cells = st.text(alphabet='V0001-2,"\n\r\t 13X.yes否户编号村编码身份证号￥', max_size=200).map(
    lambda t: t.encode("utf-8")
)


@pytest.mark.parametrize("kind", sorted(HEADERS))
@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(content=st.binary(max_size=300) | cells, with_header=st.booleans())
def test_any_bytes_give_a_registry_or_problems_never_a_traceback(
    kind: str, content: bytes, with_header: bool
) -> None:
    files = {
        "households": FIXTURES / "households.csv",
        "members": FIXTURES / "members.csv",
        "posts": FIXTURES / "posts.csv",
    }
    with tempfile.TemporaryDirectory() as tmp:
        files[kind] = Path(tmp) / f"{kind}.csv"
        files[kind].write_bytes((HEADERS[kind] if with_header else b"") + content)
        reached()
        for exclude in (False, True):
            try:
                registry = read_registry(
                    files["households"],
                    members=files["members"],
                    posts=files["posts"],
                    exclude_invalid=exclude,
                )
            except InputError as error:
                assert all(p.msg.text("en") and p.msg.text("zh") for p in error.problems)
            else:
                assert isinstance(registry, Registry)
