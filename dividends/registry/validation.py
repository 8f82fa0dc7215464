"""Validating the four tables, and the checks that span files.

Each ``validate_*`` function parses a :class:`~dividends.registry.reading.Table` into typed
columns (prefixed ``_``; null where a cell is invalid), runs its row checks and returns a
:class:`Checked`. ``*_frame`` functions turn the parsed rows into the canonical frames.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from dividends.registry.cells import (
    SCIENTIFIC,
    normalize_account,
    parse_boolean,
    parse_date,
    parse_fen,
    parse_language,
    parse_whole,
)
from dividends.registry.checks import (
    MessageFor,
    RowCheck,
    duplicate_problems,
    required_checks,
    run_checks,
    value_of,
)
from dividends.registry.columns import (
    HOUSEHOLD_COLUMNS,
    MEMBER_COLUMNS,
    POST_COLUMNS,
    RETURN_COLUMNS,
    ColumnSpec,
)
from dividends.registry.excel import FORMULA_START, INVISIBLE, describe_character, excel_shows
from dividends.registry.idnumber import EARLIEST_BIRTH, id_number_parts
from dividends.registry.reading import ROW, Table
from dividends.registry.totals import totals_problems
from dividends.registry.vocabulary import Vocabulary
from notify import phones
from schemes.i18n import Msg
from schemes.problems import Problem

ROUNDED_MIN_IDS = 3
"""The rounded-ID rule: when at least this many ID numbers of a file end in 000 and they are
more than 1 in 100 of its ID numbers (by chance about 1 in 1,000 do), every ID number ending in
000 is refused as probably rounded by Excel, even one that passes the check digit."""

MAX_MONTHS = 12


@dataclass(frozen=True)
class Checked:
    """A table with its parsed columns and the problems of its rows (reading problems too);
    ``warnings`` are accepted values the user should know about (a landline phone)."""

    table: Table
    frame: pl.DataFrame
    problems: list[Problem]
    warnings: list[Problem] = field(default_factory=list)


def _required(columns: tuple[ColumnSpec, ...]) -> list[str]:
    return [c.name for c in columns if c.required]


def _present(column: str) -> pl.Expr:
    return pl.col(column).is_not_null()


def _msg(key: str, **fixed: Any) -> MessageFor:
    """A message builder: ``{value}`` and the other fields come from the failing row."""
    return lambda record: Msg(key, **fixed, **record)


# --------------------------------------------------------------------------- households


def validate_households(
    table: Table, reference_date: date, vocabulary: Vocabulary | None = None
) -> Checked:
    vocabulary = vocabulary or Vocabulary.shipped()
    ids = table.frame.select(pl.col("id_number").str.to_uppercase().alias("_id")).to_series()
    # The ID number and phone parsers work on one column each, a chain of single-threaded
    # steps: they run on two worker threads (polars releases the GIL) while this thread parses
    # the other columns. Same functions on the same columns as one after the other.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="validate") as pool:
        parts_job = pool.submit(id_number_parts, ids, (EARLIEST_BIRTH, reference_date))
        phone_job = pool.submit(phones.phone_columns, table.frame.get_column("phone"))
        parsed = table.frame.with_columns(
            ids,
            _members=parse_whole(pl.col("members")),
            _able=parse_whole(pl.col("able_members")),
            _shares=parse_whole(pl.col("shares")),
            _capital=parse_fen(pl.col("capital_yuan")),
            _account=normalize_account(pl.col("account_no")),
            **text_flags(IDENTITY_COLUMNS, table),
        )
        parsed = _on_distinct(
            parsed, "status",
            _status=vocabulary.parse(pl.col("status")),
            _status_decide=vocabulary.needs_decision(pl.col("status")),
        )
        parsed = _on_distinct(parsed, "language", _language=parse_language(pl.col("language")))
        phone = phone_job.result()
        parts = parts_job.result()
    parsed = parsed.with_columns(
        phone.get_column("phone").alias("_phone"), phone.get_column("kind").alias("_phone_kind")
    )
    parsed = parsed.with_columns(
        parts.get_column("format_ok").alias("_id_format"),
        # the birth date is a real date from EARLIEST_BIRTH to the reference date (False when
        # not a date: every check below reads a null and a False of it alike)
        parts.get_column("birth_ok").alias("_birth_ok"),
        parts.get_column("checksum_ok").alias("_id_checksum"),
        parts.get_column("key").alias("_id_key"),
    )
    id_present = _present("id_number")
    parsed = _with_number_cells(table, parsed)
    rounded = _rounded_rule_applies(parsed)
    # Excel's scientific notation is neither a phone nor an account number nor an ID number in
    # the format (it holds a point or an E): the pattern runs on the cells that did not parse only
    parsed = parsed.with_columns(
        _where(parsed, id_present & ~pl.col("_id_format"), pl.col("_id").str.contains(SCIENTIFIC))
        .alias("_id_scientific"),
        _where(parsed, _present("phone") & pl.col("_phone").is_null(), pl.col("phone").str.contains(SCIENTIFIC))
        .alias("_phone_scientific"),
        _where(parsed, _present("account_no") & pl.col("_account").is_null(),
               pl.col("account_no").str.contains(SCIENTIFIC)).alias("_account_scientific"),
    )
    # What several checks share, computed once as columns (each regex runs once per cell).
    parsed = (
        parsed.lazy()
        .with_columns(
            _phone_lost=pl.col("_phone_scientific"),
            _account_lost=_present("account_no") & (
                pl.col("_account_scientific")
                | (pl.col("_number_account") & (pl.col("account_no").str.len_chars() >= 16))
            ),
        )
        .with_columns(
            _id_valid=(pl.col("_id_format") & pl.col("_birth_ok") & pl.col("_id_checksum")).fill_null(False),
        )
        .with_columns(_lost_digits=_id_lost_digits(pl.col("_id"), pl.col("_id_valid"), rounded))
        .with_columns(
            _first_generation=pl.col("_id").str.contains(r"^[0-9]{15}$") & ~pl.col("_lost_digits"),
        )
        .with_columns(
            _id_other=id_present & ~pl.col("_lost_digits") & ~pl.col("_first_generation")
            & ~_odd_text("id_number"),
        )
        .collect()
    )
    birth_ok = pl.col("_birth_ok")
    id_valid = pl.col("_id_valid")
    lost_digits = pl.col("_lost_digits")
    id_odd = _odd_text("id_number")
    first_generation = pl.col("_first_generation")
    id_other = pl.col("_id_other")
    phone_lost = pl.col("_phone_lost")
    account_lost = pl.col("_account_lost")
    checks = [
        *required_checks(_required(HOUSEHOLD_COLUMNS)),
        *identity_checks(IDENTITY_COLUMNS),
        RowCheck(
            "id_number",
            id_present & lost_digits & ~id_odd,
            lambda r: Msg(
                "registry.id_number_rounded" if r["rounded"] else "registry.id_number_lost_digits",
                value=excel_shows(r["value"]) if r["number"] else r["value"],
            ),
            {
                "value": pl.col("id_number"),
                "number": pl.col("_number_id"),
                "rounded": pl.lit(rounded)
                & ~pl.col("_number_id")
                & ~pl.col("_id").str.contains(SCIENTIFIC),
            },
        ),
        RowCheck(
            "id_number",
            id_present & first_generation & ~id_odd,
            _msg("registry.id_number_15"),
            value_of("id_number"),
        ),
        RowCheck(
            "id_number",
            id_other & (~pl.col("_id_format") | (birth_ok & ~pl.col("_id_checksum"))),
            _msg("registry.id_number"),
            value_of("id_number"),
        ),
        RowCheck(
            "id_number",
            id_other & pl.col("_id_format") & ~birth_ok.fill_null(False),
            _msg("registry.id_number_birth_date", reference=reference_date.isoformat()),
            value_of("id_number"),
        ),
        RowCheck("phone", phone_lost, _msg("registry.phone_lost_digits"), value_of("phone")),
        RowCheck(
            "phone",
            _present("phone") & pl.col("_phone").is_null() & ~phone_lost,
            _msg("registry.phone"),
            value_of("phone"),
        ),
        RowCheck(
            "members",
            _present("members") & (pl.col("_members").is_null() | (pl.col("_members") < 1)),
            _msg("registry.integer", minimum=1),
            value_of("members"),
        ),
        RowCheck(
            "able_members",
            _present("able_members") & pl.col("_able").is_null(),
            _msg("registry.integer", minimum=0),
            value_of("able_members"),
        ),
        RowCheck(
            "able_members",
            pl.col("_able") > pl.col("_members"),
            _msg("registry.able_exceeds_members"),
            {"able": pl.col("_able"), "members": pl.col("_members")},
        ),
        RowCheck(
            "status",
            _present("status") & pl.col("_status").is_null() & pl.col("_status_decide"),
            _msg("registry.status_decide"),
            value_of("status"),
        ),
        RowCheck(
            "status",
            _present("status") & pl.col("_status").is_null() & ~pl.col("_status_decide"),
            _msg("registry.status"),
            value_of("status"),
        ),
        RowCheck(
            "shares",
            _present("shares") & pl.col("_shares").is_null(),
            _msg("registry.integer", minimum=0),
            value_of("shares"),
        ),
        RowCheck(
            "capital_yuan",
            _present("capital_yuan") & pl.col("_capital").is_null(),
            _msg("registry.money"),
            value_of("capital_yuan"),
        ),
        RowCheck(
            "account_no",
            account_lost,
            _msg("registry.account_no_lost_digits"),
            value_of("account_no"),
        ),
        RowCheck(
            "account_no",
            _present("account_no") & pl.col("_account").is_null() & ~account_lost,
            _msg("registry.account_no"),
            value_of("account_no"),
        ),
        RowCheck(
            "language",
            _present("language") & pl.col("_language").is_null(),
            _msg("registry.language"),
            value_of("language"),
        ),
    ]
    problems = [*table.problems, *run_checks(table, parsed, checks)]
    problems += duplicate_problems(
        table,
        parsed,
        ["household_id"],
        "household_id",
        lambda group, rows, _: Msg(
            "registry.duplicate_household_id", value=group["household_id"], rows=rows
        ),
    )
    problems += duplicate_problems(
        table,
        parsed,
        ["_id_key"],
        "id_number",
        lambda group, rows, others: Msg(
            "registry.duplicate_id_number", value=group["_id"], rows=rows, others=others
        ),
        eligible=id_valid & ~lost_digits,
        other="household_id",
        carry=["_id"],
    )
    problems += totals_problems(
        table,
        parsed,
        {
            "members": ("_members", parse_whole, False),
            "able_members": ("_able", parse_whole, False),
            "shares": ("_shares", parse_whole, False),
            "capital_yuan": ("_capital", parse_fen, True),
        },
    )
    landline = RowCheck(
        "phone", pl.col("_phone_kind") == "landline", _msg("registry.phone_landline"),
        value_of("phone"),
    )
    return Checked(table, parsed, problems, run_checks(table, parsed, [landline]))


IDENTITY_COLUMNS = ("household_id", "village_id", "head_name", "id_number")
"""The households columns :func:`identity_checks` covers."""


def text_flags(columns: tuple[str, ...], table: Table | None = None) -> dict[str, pl.Expr]:
    """``_invisible_<column>`` and ``_formula_<column>`` for :func:`identity_checks` and
    :func:`_odd_text`: each pattern runs once per cell, however many checks use it; the
    invisible-character pattern not at all when ``table``'s bytes hold none, and of the formula
    starts only ``-`` (a prefix test, ~4x cheaper than the pattern) when they hold no other."""
    flags: dict[str, pl.Expr] = {}
    invisible = table is None or table.may_hold_invisible
    signs = table is None or table.may_hold_formula_signs
    for column in columns:
        flags[f"_invisible_{column}"] = (
            pl.col(column).str.contains(INVISIBLE) if invisible else pl.lit(False)
        )
        flags[f"_formula_{column}"] = (
            pl.col(column).str.contains(FORMULA_START) if signs else pl.col(column).str.starts_with("-")
        )
    return flags


_FEW_WORDS = 8


def _where(frame: pl.DataFrame, rows: pl.Expr, test: pl.Expr) -> pl.Series:
    """``test`` (Boolean) on the rows of ``frame`` where ``rows`` holds, evaluated on those rows
    only; False on the others (and where ``test`` is null)."""
    at = frame.select(rows.fill_null(False)).to_series().arg_true()
    out = pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True)
    if at.len():
        out = out.scatter(at, frame[at].select(test.fill_null(False)).to_series())
    return out


def _on_distinct(frame: pl.DataFrame, column: str, **parsers: pl.Expr) -> pl.DataFrame:
    """``frame`` with ``parsers`` (expressions of ``column`` alone) evaluated once per distinct
    value of ``column`` and joined back: a status or language column holds a handful of words
    in a million rows. Empty cells get nulls, as the parsers give them."""
    distinct = frame.select(pl.col(column).unique()).filter(pl.col(column).is_not_null()).with_columns(**parsers)
    keys = distinct.get_column(column)
    if keys.len() == 0:
        return frame.with_columns(pl.lit(None, distinct.schema[name]).alias(name) for name in parsers)
    # a parser giving every word back as it is (``zh`` -> ``zh``) is the column itself, and one
    # giving the same value for every word is that value on the non-empty cells: no gather
    shared = {name: _same_for_every_word(keys, distinct.get_column(name)) for name in parsers}
    frame = frame.with_columns(expr.alias(name) for name, expr in shared.items() if expr is not None)
    parsers = {name: expr for name, expr in parsers.items() if shared[name] is None}
    if not parsers:
        return frame
    if 0 < keys.len() <= _FEW_WORDS:
        # a handful of words: each row's word numbered by comparisons (no hashing of a million
        # texts), every parsed column gathered by that number
        number: pl.Expr = pl.lit(None, pl.UInt32)
        for i, key in reversed(list(enumerate(keys.to_list()))):
            number = pl.when(pl.col(column) == key).then(pl.lit(i, pl.UInt32)).otherwise(number)
        index = frame.select(number).to_series()
        return frame.with_columns(distinct.get_column(name).gather(index).alias(name) for name in parsers)
    return frame.with_columns(  # a lookup per parsed column: a join would gather every column of the frame
        pl.col(column).replace_strict(keys, distinct.get_column(name), default=None,
                                      return_dtype=distinct.schema[name]).alias(name)
        for name in parsers
    )


def _same_for_every_word(keys: pl.Series, values: pl.Series) -> pl.Expr | None:
    """``pl.col(keys.name)`` when ``values`` (the parse of each word in ``keys``) are the words
    themselves; the one value (on the rows where the cell is not empty) when every word parses
    to it; else None."""
    if values.dtype == keys.dtype and values.equals(keys.alias(values.name)):
        return pl.col(keys.name)
    if values.null_count() == 0 and values.n_unique() == 1:
        return pl.when(pl.col(keys.name).is_not_null()).then(pl.lit(values[0], values.dtype))
    return None


def identity_checks(columns: tuple[str, ...]) -> list[RowCheck]:
    """Ids and names: no invisible characters (named in the message), no text a spreadsheet
    would run as a formula (``=HYPERLINK(...)``, ``+cmd|...``, ``@SUM(...)``). The frame holds
    the :func:`text_flags` of ``columns``."""
    checks: list[RowCheck] = []
    for column in columns:
        checks.append(
            RowCheck(
                column,
                pl.col(f"_invisible_{column}"),
                lambda r: Msg(
                    "registry.invisible_character",
                    character=describe_character(r["char"]),
                    value=r["value"],
                ),
                {
                    "char": pl.col(column).str.extract(f"({INVISIBLE})", 1),
                    "value": pl.col(column).str.replace_all(INVISIBLE, ""),
                },
            )
        )
        checks.append(
            RowCheck(
                column,
                pl.col(f"_formula_{column}") & ~pl.col(f"_invisible_{column}"),
                _msg("registry.formula_text"),
                value_of(column),
            )
        )
    return checks


def _odd_text(column: str) -> pl.Expr:
    """The cell holds an invisible character or formula-leading text (reported on its own);
    the frame holds the :func:`text_flags` of ``column``."""
    return pl.col(f"_invisible_{column}") | pl.col(f"_formula_{column}")


def _rounded_rule_applies(parsed: pl.DataFrame) -> bool:
    """See :data:`ROUNDED_MIN_IDS`."""
    # 18 digits ending in 000: in the ID format (17 digits and a digit or X), ending in 0
    ending, ids = parsed.select(
        (pl.col("_id_format") & pl.col("_id").str.ends_with("000")).sum(), pl.col("_id").count()
    ).row(0)
    return ending >= ROUNDED_MIN_IDS and ending * 100 > ids


def _id_lost_digits(id_number: pl.Expr, valid: pl.Expr, rounded: bool) -> pl.Expr:
    """ID numbers that Excel kept as numbers (15 significant digits): a number cell in a
    workbook (even if the mangled number happens to pass the checks), a number in scientific
    notation (``3.71321E+17``), and an 18-digit number ending in ``000`` that fails the checks,
    or, under the rounded-ID rule (:data:`ROUNDED_MIN_IDS`), that passes them."""
    ends_000 = pl.col("_id_format") & id_number.str.ends_with("000")  # (18 digits: see above)
    looks_rounded = ends_000 if rounded else ends_000 & ~valid
    # ``_id_scientific``: SCIENTIFIC on the cells out of the ID format (False on the others)
    return pl.col("_number_id") | pl.col("_id_scientific") | looks_rounded


def _with_number_cells(table: Table, frame: pl.DataFrame) -> pl.DataFrame:
    """``_number_id`` / ``_number_account``: the cell was a number in the workbook."""
    names = {"id_number": "_number_id", "account_no": "_number_account"}
    if table.number_cells is None or table.number_cells.height == 0:
        return frame.with_columns(pl.lit(False).alias(flag) for flag in names.values())
    cells = table.number_cells.rename(
        {c: names[c] for c in table.number_cells.columns if c in names}
    )
    frame = frame.join(cells, on=ROW, how="left", maintain_order="left")
    return frame.with_columns(
        (pl.col(flag).fill_null(False) if flag in frame.columns else pl.lit(False)).alias(flag)
        for flag in names.values()
    )


def households_frame(parsed: pl.DataFrame) -> pl.DataFrame:
    frame = parsed.select(
        pl.col("household_id"),
        pl.col("village_id"),
        pl.col("head_name"),
        pl.col("_id").alias("id_number"),
        pl.col("_phone").fill_null("").alias("phone"),
        pl.col("_members").alias("members"),
        pl.col("_able").alias("able_members"),
        pl.col("_status").alias("status"),
        pl.col("_shares").fill_null(0).alias("shares"),
        pl.col("_capital").fill_null(0).alias("capital_fen"),
        pl.col("_account").fill_null("").alias("account_no"),
        pl.col("bank").fill_null("").alias("bank"),
        pl.col("_language").fill_null("zh").alias("language"),
    )
    return sorted_by(frame, ("village_id", "household_id"))


def sorted_by(frame: pl.DataFrame, keys: tuple[str, ...]) -> pl.DataFrame:
    """``frame`` sorted by ``keys``; a frame already in that order (a registry kept by village
    and household, as most are) is returned as is, checked with one comparison per row instead
    of gathering every column."""
    if frame.height > 1:
        # each row against the next, as two slices of the same column (no shifted copy)
        order: pl.Expr | None = None
        for key in reversed(keys):
            here, below = pl.col(key).slice(0, frame.height - 1), pl.col(key).slice(1)
            order = (here <= below) if order is None else (here < below) | ((here == below) & order)
        assert order is not None
        if frame.select(order.fill_null(False).all()).item():
            return frame
    return frame.sort(*keys)


# --------------------------------------------------------------------------- members


def validate_members(table: Table, reference_date: date) -> Checked:
    parsed = table.frame.with_columns(
        _birth=parse_date(pl.col("birth_date")),
        _able=parse_boolean(pl.col("able_to_work")),
        _student=parse_boolean(pl.col("student")),
        **text_flags(("household_id", "name"), table),
    )
    checks = [
        *required_checks(_required(MEMBER_COLUMNS)),
        *identity_checks(("household_id", "name")),
        RowCheck(
            "birth_date",
            _present("birth_date") & pl.col("_birth").is_null(),
            _msg("registry.date"),
            value_of("birth_date"),
        ),
        RowCheck(
            "birth_date",
            ~pl.col("_birth").is_between(pl.lit(EARLIEST_BIRTH), pl.lit(reference_date)),
            _msg(
                "registry.birth_date_range",
                earliest=EARLIEST_BIRTH.isoformat(),
                reference=reference_date.isoformat(),
            ),
            {"value": pl.col("_birth").dt.to_string("%Y-%m-%d")},
        ),
        RowCheck(
            "able_to_work",
            _present("able_to_work") & pl.col("_able").is_null(),
            _msg("registry.boolean"),
            value_of("able_to_work"),
        ),
        RowCheck(
            "student",
            _present("student") & pl.col("_student").is_null(),
            _msg("registry.boolean"),
            value_of("student"),
        ),
    ]
    problems = [*table.problems, *run_checks(table, parsed, checks)]
    problems += duplicate_problems(
        table,
        parsed,
        ["household_id", "name", "_birth"],
        "name",
        lambda _group, rows, _: Msg("registry.duplicate_member", rows=rows),
    )
    return Checked(table, parsed, problems)


def persons_frame(parsed: pl.DataFrame) -> pl.DataFrame:
    return parsed.select(
        pl.col("household_id"),
        pl.col("name"),
        pl.col("_birth").alias("birth_date"),
        pl.col("_able").alias("able_to_work"),
        pl.col("_student").fill_null(False).alias("student"),
    ).sort("household_id", "name", "birth_date")


# --------------------------------------------------------------------------- posts


def validate_posts(table: Table) -> Checked:
    parsed = table.frame.with_columns(
        _months=parse_whole(pl.col("months_served")), **text_flags(("household_id", "person_name"), table)
    )
    checks = [
        *required_checks(_required(POST_COLUMNS)),
        *identity_checks(("household_id", "person_name")),
        RowCheck(
            "months_served",
            _present("months_served")
            & (pl.col("_months").is_null() | (pl.col("_months") > MAX_MONTHS)),
            _msg("registry.months_served"),
            value_of("months_served"),
        ),
    ]
    problems = [*table.problems, *run_checks(table, parsed, checks)]
    problems += duplicate_problems(
        table,
        parsed,
        ["household_id", "person_name", "post_type"],
        "post_type",
        lambda _group, rows, _: Msg("registry.duplicate_post", rows=rows),
    )
    return Checked(table, parsed, problems)


def posts_frame(parsed: pl.DataFrame) -> pl.DataFrame:
    return parsed.select(
        pl.col("household_id"),
        pl.col("person_name"),
        pl.col("post_type"),
        pl.col("grade"),
        pl.col("_months").alias("months_served"),
    ).sort("household_id", "person_name", "post_type")


# --------------------------------------------------------------------------- returns


def validate_returns(table: Table) -> Checked:
    parsed = table.frame.with_columns(
        _amount=parse_fen(pl.col("amount_yuan")), **text_flags(("village_id",), table)
    )
    checks = [
        *required_checks(_required(RETURN_COLUMNS)),
        *identity_checks(("village_id",)),
        RowCheck(
            "amount_yuan",
            _present("amount_yuan") & pl.col("_amount").is_null(),
            _msg("registry.money"),
            value_of("amount_yuan"),
        ),
    ]
    problems = [*table.problems, *run_checks(table, parsed, checks)]
    problems += duplicate_problems(
        table,
        parsed,
        ["village_id"],
        "village_id",
        lambda group, rows, _: Msg(
            "registry.duplicate_village", value=group["village_id"], rows=rows
        ),
    )
    problems += totals_problems(table, parsed, {"amount_yuan": ("_amount", parse_fen, True)})
    return Checked(table, parsed, problems)


def returns_frame(parsed: pl.DataFrame) -> pl.DataFrame:
    return parsed.select(pl.col("village_id"), pl.col("_amount").alias("amount_fen")).sort(
        "village_id"
    )


# --------------------------------------------------------------------------- across files


def cross_file_problems(
    households: Checked, members: Checked | None, posts: Checked | None
) -> dict[str, list[Problem]]:
    """Rows of members/posts for unknown households, member counts that disagree with the
    households file, and posts held by someone who is not a member of the household."""
    found: dict[str, list[Problem]] = {"households": [], "members": [], "posts": []}
    known = households.frame.select("household_id")
    hh_file = households.table.file
    counts = _member_counts(members) if members is not None else None
    for kind, checked in (("members", members), ("posts", posts)):
        if checked is None:
            continue
        # Compare distinct ids (one group-by, reused for the counts), then find rows only for
        # the ids that are unknown.
        ids = counts if kind == "members" else checked.frame.select("household_id").unique()
        assert ids is not None
        strangers = ids.filter(_present("household_id")).join(known, on="household_id", how="anti")
        if strangers.height == 0:
            continue
        unknown = checked.frame.join(
            strangers.select("household_id"), on="household_id", how="semi"
        )
        for row, value in unknown.select(ROW, "household_id").iter_rows():
            found[kind].append(
                checked.table.problem(
                    Msg("registry.unknown_household", value=value, file=hh_file),
                    row,
                    "household_id",
                )
            )
    if members is not None and counts is not None:
        found["households"] += _member_count_problems(households, members, counts)
    if members is not None and posts is not None:
        found["posts"] += _post_person_problems(posts, members)
    return found


def _member_counts(members: Checked) -> pl.DataFrame:
    """Rows, able rows and whether every able cell was valid, per household id."""
    return members.frame.group_by("household_id").agg(
        pl.len().alias("_n"),
        pl.col("_able").sum().alias("_n_able"),
        pl.col("_able").is_not_null().all().alias("_able_known"),
    )


def _member_count_problems(
    households: Checked, members: Checked, counts: pl.DataFrame
) -> list[Problem]:
    unique = households.frame.filter(_present("household_id") & pl.col("household_id").is_unique())
    joined = unique.join(
        counts.filter(_present("household_id")), on="household_id", how="left"
    ).with_columns(
        pl.col("_n").fill_null(0),
        pl.col("_n_able").fill_null(0),
        pl.col("_able_known").fill_null(True),
    )
    file = members.table.file
    checks = [
        RowCheck(
            "members",
            pl.col("_members").is_not_null() & (pl.col("_members") != pl.col("_n")),
            _msg("registry.member_count", file=file),
            {"expected": pl.col("_members"), "found": pl.col("_n")},
        ),
        RowCheck(
            "able_members",
            pl.col("_able").is_not_null()
            & (pl.col("_members") == pl.col("_n"))
            & pl.col("_able_known")
            & (pl.col("_able") != pl.col("_n_able")),
            _msg("registry.able_count", file=file),
            {"expected": pl.col("_able"), "found": pl.col("_n_able")},
        ),
    ]
    return run_checks(households.table, joined, checks)


def _post_person_problems(posts: Checked, members: Checked) -> list[Problem]:
    names = members.frame.select("household_id", pl.col("name").alias("person_name"))
    known = members.frame.select("household_id")
    candidates = posts.frame.filter(_present("household_id") & _present("person_name")).join(
        known, on="household_id", how="semi"
    )
    strangers = candidates.join(names, on=["household_id", "person_name"], how="anti")
    file = members.table.file
    return [
        posts.table.problem(
            Msg("registry.post_person_unknown", person=person, household=household, file=file),
            row,
            "person_name",
        )
        for row, household, person in strangers.select(
            ROW, "household_id", "person_name"
        ).iter_rows()
    ]


def group_rows(frame: pl.DataFrame, key: str) -> Mapping[Any, list[int]]:
    """``key`` value -> the rows holding it (for messages naming rows)."""
    grouped = (
        frame.filter(_present(key)).sort(ROW).group_by(key, maintain_order=True).agg(pl.col(ROW))
    )
    return dict(grouped.iter_rows())
