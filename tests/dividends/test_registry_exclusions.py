"""With ``exclude_invalid=True`` bad rows are dropped and every dropped row is listed; a dropped
household takes its member and post rows with it. Without it, nothing is returned."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dividends.registry import read_registry
from schemes.problems import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "registry"
REFERENCE = date(2025, 6, 30)


def _read(
    households: str = "households.csv", members: str = "members.csv", posts: str = "posts.csv"
):  # type: ignore[no-untyped-def]
    return read_registry(
        FIXTURES / households,
        members=FIXTURES / members,
        posts=FIXTURES / posts,
        exclude_invalid=True,
        reference_date=REFERENCE,
    )


def _listed(registry) -> list[tuple[str, int | None, str]]:  # type: ignore[no-untyped-def]
    return [(Path(p.file or "").name, p.row, p.msg.key) for p in registry.exclusions]


def test_without_the_option_an_invalid_registry_raises_and_returns_nothing() -> None:
    with pytest.raises(InputError):
        read_registry(FIXTURES / "households_bad_id.csv", reference_date=REFERENCE)


def test_a_bad_household_row_is_dropped_with_its_members_and_posts_and_all_are_listed() -> None:
    registry = _read(households="households_phone.csv")
    assert registry.households["household_id"].to_list() == ["V0001-00002"]
    assert registry.persons is not None and registry.posts is not None
    assert registry.persons["household_id"].unique().to_list() == ["V0001-00002"]
    assert registry.posts["household_id"].to_list() == ["V0001-00002"]
    assert _listed(registry) == [
        ("households_phone.csv", 2, "registry.phone"),
        ("households_phone.csv", 4, "registry.phone"),
        ("posts.csv", 2, "registry.excluded_with_household"),
        ("members.csv", 2, "registry.excluded_with_household"),
        ("members.csv", 3, "registry.excluded_with_household"),
        ("members.csv", 4, "registry.excluded_with_household"),
        ("members.csv", 7, "registry.excluded_with_household"),
    ]
    cascaded = registry.exclusions[2]
    assert cascaded.msg.text("en") == (
        f"excluded because its household 'V0001-00001' (row 2 of {FIXTURES / 'households_phone.csv'}) "
        "has problems and is excluded"
    )
    assert cascaded.msg.text("zh").startswith("已排除：所属户“V0001-00001”")


def test_a_bad_member_row_drops_the_whole_household() -> None:
    registry = _read(members="members_boolean.csv")
    assert registry.households["household_id"].to_list() == ["V0001-00002", "V0002-00001"]
    assert _listed(registry) == [
        ("households.csv", 2, "registry.excluded_for_members"),
        ("posts.csv", 2, "registry.excluded_with_household"),
        ("members_boolean.csv", 2, "registry.excluded_with_household"),
        ("members_boolean.csv", 3, "registry.boolean"),
        ("members_boolean.csv", 4, "registry.boolean"),
    ]
    assert registry.exclusions[0].msg.text("en") == (
        f"household excluded because its rows 3, 4 in the members file {FIXTURES / 'members_boolean.csv'} have problems"
    )


def test_a_bad_post_row_drops_only_that_post() -> None:
    registry = _read(posts="posts_months.csv")
    assert registry.households.height == 3
    assert registry.posts is not None and registry.posts.height == 0
    assert _listed(registry) == [
        ("posts_months.csv", 2, "registry.months_served"),
        ("posts_months.csv", 3, "registry.months_served"),
    ]


def test_rows_for_unknown_households_are_dropped_alone() -> None:
    registry = _read(members="members_unknown_household.csv", posts="posts_unknown_household.csv")
    assert registry.households.height == 3
    assert registry.persons is not None and registry.persons.height == 6
    assert registry.posts is not None and registry.posts.height == 2
    assert _listed(registry) == [
        ("posts_unknown_household.csv", 4, "registry.unknown_household"),
        ("members_unknown_household.csv", 8, "registry.unknown_household"),
    ]


def test_duplicate_households_are_both_dropped() -> None:
    registry = read_registry(FIXTURES / "households_duplicate_household.csv", exclude_invalid=True)
    assert registry.households["household_id"].to_list() == ["V0001-00002"]
    assert [p.row for p in registry.exclusions] == [2, 4]


def test_file_level_problems_raise_even_when_excluding() -> None:
    with pytest.raises(InputError) as caught:
        _read(members="members.csv", posts="returns_missing_column.csv")
    assert caught.value.problems[0].msg.key.startswith("registry.missing_column")


def test_a_valid_registry_has_no_exclusions() -> None:
    assert _read().exclusions == ()
