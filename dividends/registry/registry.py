"""Reading a household registry (households, and optionally posts and members) and a returns
file into canonical frames, all or nothing.

Nothing is computed from an invalid registry: :func:`read_registry` raises
:class:`~schemes.problems.InputError` listing every problem of every file, unless the caller asks
to exclude the bad rows. Then the rows with problems are dropped, a household that is dropped
takes its member and post rows with it, a household with a bad member row is dropped (its
member list would be incomplete), and every excluded row is listed in
:attr:`Registry.exclusions`. File-level problems always raise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from dividends.registry.columns import (
    HOUSEHOLD_COLUMNS,
    MEMBER_COLUMNS,
    POST_COLUMNS,
    RETURN_COLUMNS,
)
from dividends.registry.facts import RegistryFacts
from dividends.registry.mapping import ColumnMapping
from dividends.registry.reading import ROW, Table, read_table
from dividends.registry.vocabulary import Vocabulary
from dividends.registry.validation import (
    Checked,
    cross_file_problems,
    group_rows,
    households_frame,
    persons_frame,
    posts_frame,
    returns_frame,
    validate_households,
    validate_members,
    validate_posts,
    validate_returns,
)
from schemes.i18n import Msg
from schemes.problems import InputError, Problem

KINDS = ("households", "posts", "members")


@dataclass(frozen=True, eq=False)
class Registry:
    """The canonical registry frames (see the package docstring for their columns).

    ``warnings`` are accepted values the user should be told about (a landline phone, headers
    nothing reads); ``notes`` what the reader did (the sheet it read, rows it skipped);
    ``facts`` what the files lacked, for :func:`dividends.registry.needs.check_needs`.
    """

    households: pl.DataFrame
    persons: pl.DataFrame | None
    posts: pl.DataFrame | None
    exclusions: tuple[Problem, ...] = ()
    sources: dict[str, Path] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()
    notes: tuple[Problem, ...] = ()
    facts: RegistryFacts = field(default_factory=RegistryFacts)

    def unreachable_by_sms(self) -> pl.DataFrame:
        """Households no SMS can reach (no phone, or a landline): ``household_id, village_id,
        phone``."""
        return self.households.filter(~pl.col("phone").str.starts_with("1")).select(
            "household_id", "village_id", "phone"
        )


def read_registry(
    households: Path,
    *,
    posts: Path | None = None,
    members: Path | None = None,
    exclude_invalid: bool = False,
    reference_date: date | None = None,
    mapping: ColumnMapping | None = None,
    sheets: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
    vocabulary: Vocabulary | None = None,
) -> Registry:
    """Read and validate the registry files.

    ``reference_date`` (default today) bounds birth dates. ``mapping`` says which column an
    unusual header means; ``sheets`` (kind -> sheet name) which sheet of a workbook to read;
    ``names`` (kind -> file name) how messages name an uploaded file; ``vocabulary`` the status
    words (default: the shipped vocabulary). Raises :class:`InputError` with every problem of
    every file (sorted by file, row, column) when anything is invalid, unless
    ``exclude_invalid``; file-level problems raise in any case.
    """
    reference = reference_date or date.today()
    paths = {"households": Path(households)}
    if posts is not None:
        paths["posts"] = Path(posts)
    if members is not None:
        paths["members"] = Path(members)
    specs = {"households": HOUSEHOLD_COLUMNS, "posts": POST_COLUMNS, "members": MEMBER_COLUMNS}
    mapping = mapping or ColumnMapping()

    tables: dict[str, Table] = {}
    file_problems: list[Problem] = []
    for kind, path in paths.items():
        try:
            tables[kind] = read_table(
                path,
                specs[kind],
                allow_no_rows=kind != "households",
                mapping=mapping.for_kind(kind),
                sheet=(sheets or {}).get(kind),
                name=(names or {}).get(kind),
            )
        except InputError as error:
            file_problems.extend(error.problems)
    if file_problems:
        raise InputError(file_problems)

    checked: dict[str, Checked] = {
        "households": validate_households(tables["households"], reference, vocabulary)
    }
    if "members" in tables:
        checked["members"] = validate_members(tables["members"], reference)
    if "posts" in tables:
        checked["posts"] = validate_posts(tables["posts"])
    problems = {kind: list(c.problems) for kind, c in checked.items()}
    for kind, more in cross_file_problems(
        checked["households"], checked.get("members"), checked.get("posts")
    ).items():
        problems.setdefault(kind, []).extend(more)

    warnings: dict[str, list[Problem]] = {kind: list(c.warnings) for kind, c in checked.items()}
    exclusions: dict[str, list[Problem]] = {}
    if any(problems.values()):
        if not exclude_invalid:
            raise InputError(sort_problems(problems, tables))
        exclusions = _exclude(checked, problems)

    for kind, table in tables.items():
        if table.unknown:
            warnings[kind].insert(
                0, Problem(Msg("registry.unknown_headers", headers=table.unknown_text()), file=table.file)
            )
    return Registry(
        households=households_frame(checked["households"].frame),
        persons=persons_frame(checked["members"].frame) if "members" in checked else None,
        posts=posts_frame(checked["posts"].frame) if "posts" in checked else None,
        exclusions=tuple(sort_problems(exclusions, tables)),
        sources=paths,
        warnings=tuple(sort_problems(warnings, tables)),
        notes=tuple(n for table in tables.values() for n in table.notes),
        facts=RegistryFacts.of(tables),
    )


def read_returns(
    path: Path, *, name: str | None = None, mapping: ColumnMapping | None = None,
    sheet: str | None = None,
) -> pl.DataFrame:
    """The year's return per village: ``village_id`` String, ``amount_fen`` Int64, sorted by
    village. Raises :class:`InputError` listing every problem."""
    table = read_table(
        Path(path), RETURN_COLUMNS, name=name, sheet=sheet,
        mapping=(mapping or ColumnMapping()).for_kind("returns"),
    )
    checked = validate_returns(table)
    if checked.problems:
        raise InputError(sort_problems({"returns": checked.problems}, {"returns": table}))
    return returns_frame(checked.frame)


# --------------------------------------------------------------------------- ordering


def sort_problems(
    problems: Mapping[str, Sequence[Problem]], tables: Mapping[str, Table]
) -> list[Problem]:
    """By file (households, posts, members), then row, then the column's place in the file;
    problems with the same place keep the order they were found in."""
    order = {kind: i for i, kind in enumerate((*KINDS, "returns"))}
    keyed: list[tuple[int, Problem]] = []
    for kind, items in problems.items():
        if not items:
            continue
        table = tables[kind]
        place = {table.headers[c]: pos + 1 for c, pos in table.positions.items()}
        base = order[kind] << 52
        keyed += [(base | (p.row or 0) << 12 | place.get(p.column or "", 0), p) for p in items]
    keyed.sort(key=lambda item: item[0])  # stable
    return [problem for _, problem in keyed]


# --------------------------------------------------------------------------- exclusion


def _bad_rows(problems: Iterable[Problem]) -> pl.DataFrame:
    rows = sorted({p.row for p in problems if p.row is not None})
    return pl.DataFrame({ROW: rows}, schema={ROW: pl.Int64})


def _exclude(
    checked: dict[str, Checked], problems: dict[str, list[Problem]]
) -> dict[str, list[Problem]]:
    """Drop the rows with problems (in place in ``checked``) and return the exclusions."""
    exclusions = {kind: list(items) for kind, items in problems.items()}
    households = checked["households"]
    hh_bad = _bad_rows(problems.get("households", ()))
    hh_file = households.table.file

    # A household with a bad member row is dropped whole: its member list would be incomplete.
    if "members" in checked:
        members = checked["members"]
        bad_member_rows = members.frame.join(
            _bad_rows(problems.get("members", ())), on=ROW, how="semi"
        )
        by_household = group_rows(bad_member_rows, "household_id")
        incomplete = households.frame.join(hh_bad, on=ROW, how="anti").filter(
            pl.col("household_id").is_in(pl.Series(list(by_household), dtype=pl.String).implode())
        )
        for row, hid in incomplete.select(ROW, "household_id").iter_rows():
            exclusions.setdefault("households", []).append(
                households.table.problem(
                    Msg(
                        "registry.excluded_for_members",
                        rows=by_household[hid],
                        file=members.table.file,
                    ),
                    row,
                    "household_id",
                )
            )
        hh_bad = pl.concat([hh_bad, incomplete.select(ROW)])

    dropped = households.frame.join(hh_bad, on=ROW, how="semi")
    dropped_rows = group_rows(dropped, "household_id")
    dropped_ids = pl.Series(list(dropped_rows), dtype=pl.String).implode()
    checked["households"] = Checked(
        households.table, households.frame.join(hh_bad, on=ROW, how="anti"), []
    )

    for kind in ("posts", "members"):
        if kind not in checked:
            continue
        item = checked[kind]
        bad = _bad_rows(problems.get(kind, ()))
        kept = item.frame.join(bad, on=ROW, how="anti")
        cascaded = kept.filter(pl.col("household_id").is_in(dropped_ids))
        for row, hid in cascaded.select(ROW, "household_id").iter_rows():
            exclusions.setdefault(kind, []).append(
                item.table.problem(
                    Msg(
                        "registry.excluded_with_household",
                        household=hid,
                        rows=dropped_rows[hid],
                        file=hh_file,
                    ),
                    row,
                    "household_id",
                )
            )
        checked[kind] = Checked(item.table, kept.join(cascaded.select(ROW), on=ROW, how="anti"), [])
    return exclusions
