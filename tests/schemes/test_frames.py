"""schemes.frames.ordered_distinct: the fast answer to "no value twice" for ordered ids."""
from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemes.frames import ordered_distinct
from tests.reach import reached


@pytest.mark.parametrize(("values", "expected"), [
    ([], True),
    (["a"], True),
    (["a", "b", "c"], True),
    (["a", "b", "b"], False),  # neighbours equal
    (["b", "a"], False),  # not in order: a general check must answer
    (["a", "c", "b", "a"], False),
    (["a", None], False),  # nulls: the general check
    ([1, 2, 3], True),
    ([1, 1], False),
])
def test_ordered_distinct(values: list[object], expected: bool) -> None:
    assert ordered_distinct(pl.Series("id", values)) is expected


def test_never_true_when_a_value_repeats() -> None:
    for values in (["a", "b", "a"], ["x", "x"], ["a", "b", "c", "a"]):
        series = pl.Series("id", values)
        assert not ordered_distinct(series) or series.n_unique() == series.len()


# both kinds of line in every example: the order of accounts before households is the point (an
# empty list, three examples in ten, left nothing to order)
# no Hypothesis deadline: a timing assertion, failing at random on a loaded machine
@settings(deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["V1", "V2", "V3", "V10"]), st.text("abc", min_size=1, max_size=3)),
                min_size=1, max_size=30, unique=True),
       st.lists(st.tuples(st.sampled_from(["V1", "V2", "V4", "V10"]), st.sampled_from(["collective", "reserve"])),
                min_size=1, max_size=8, unique=True))
def test_lines_with_accounts_first_are_the_sorted_lines(households: list[tuple[str, str]],
                                                        accounts: list[tuple[str, str]]) -> None:
    from schemes.engine import _accounts_first

    def frame(rows: list[tuple[str, str]], kind: str) -> pl.DataFrame:
        return pl.DataFrame({"recipient_id": [r for _, r in rows], "recipient_kind": [kind] * len(rows),
                             "village_id": [v for v, _ in rows], "amount_fen": list(range(len(rows)))},
                            schema={"recipient_id": pl.String, "recipient_kind": pl.String, "village_id": pl.String,
                                    "amount_fen": pl.Int64})

    hh = frame(sorted(households), "household")
    reached()
    acc = frame(accounts, "account")
    expected = pl.concat([acc, hh]).sort("village_id", "recipient_kind", "recipient_id")
    assert _accounts_first(acc, hh).equals(expected)


def _village_rows_by_joins(hh: pl.DataFrame, villages: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, list[str]]:
    vix = villages.select("village_id").with_row_index("vix")
    joined = hh.join(vix, on="village_id", how="left", maintain_order="left")
    orphans = joined.filter(pl.col("vix").is_null())["village_id"].unique().sort().to_list()
    counts = joined.group_by("village_id").len()
    villages = villages.join(counts.rename({"len": "households"}), on="village_id", how="left",
                             maintain_order="left").with_columns(pl.col("households").fill_null(0).cast(pl.Int64))
    return joined, villages, orphans


# villages with households and no return, returns without households, empty sides
@settings(deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["V1", "V2", "V3", "V10", "V9"]), st.text("abc", min_size=1, max_size=3)),
                max_size=30, unique=True),
       st.lists(st.sampled_from(["V1", "V2", "V4", "V10", "V0"]), max_size=5, unique=True))
def test_village_rows_by_runs_are_the_joined_rows(households: list[tuple[str, str]], returns: list[str]) -> None:
    from schemes.engine import _village_rows

    hh = pl.DataFrame({"household_id": [h for _, h in households], "village_id": [v for v, _ in households]},
                      schema={"household_id": pl.String, "village_id": pl.String}).sort("village_id", "household_id")
    villages = pl.DataFrame({"village_id": sorted(returns), "pool_fen": list(range(len(returns)))},
                            schema={"village_id": pl.String, "pool_fen": pl.Int64})
    reached()
    rows, per_village, orphans = _village_rows(hh, villages)
    expected_rows, expected_villages, expected_orphans = _village_rows_by_joins(hh, villages)
    assert rows.equals(expected_rows) and rows.schema == expected_rows.schema
    assert per_village.equals(expected_villages) and per_village.schema == expected_villages.schema
    assert orphans.to_list() == expected_orphans


@pytest.mark.parametrize(("values", "expected"), [
    ([], 0), ([3], 1), ([1, 1, 2, 2, 2, 5], 3), ([0, 0, 0], 3),
    ([2, 1], None), ([1, None], None),  # not in order, nulls: the window answers
])
def test_largest_sorted_group(values: list[int | None], expected: int | None) -> None:
    from schemes.frames import largest_sorted_group

    assert largest_sorted_group(pl.Series("g", values, dtype=pl.Int64)) == expected


def test_values_aligned_to_households_are_0_for_the_absent_first_and_last_too() -> None:
    from schemes.engine import align_to_households

    ids = pl.Series(["A", "B", "C", "D"])
    keyed = pl.DataFrame({"household_id": ["B", "C"], "n": [5, 7]}, schema={"household_id": pl.String, "n": pl.Int64})
    (n,) = align_to_households(ids, keyed, ["n"])
    assert n.name == "n" and n.to_list() == [0, 5, 7, 0]
    (empty,) = align_to_households(ids, keyed.clear(), ["n"])
    assert empty.to_list() == [0, 0, 0, 0]
    # the keyed columns' Int64 counts, with or without any household to align
    assert n.dtype == empty.dtype == pl.Int64 and empty.name == "n"
