"""Row checks as polars expressions, turned into problems only for the rows that fail.

A :class:`RowCheck` is a boolean expression (True = the row fails) and a function building the
message from a few values of the failing row. :func:`run_checks` evaluates every check of a
table in one pass over the frame; Python only touches the failing rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from dividends.registry.reading import ROW, Table
from schemes.frames import ordered_distinct
from schemes.i18n import Msg
from schemes.problems import Problem

MessageFor = Callable[[Mapping[str, Any]], Msg]


@dataclass(frozen=True)
class RowCheck:
    """``failing`` is True for rows with the problem; ``fields`` are the values (by name) that
    ``message`` needs, evaluated on the failing rows only. ``column`` is the canonical column the
    problem is reported on."""

    column: str | None
    failing: pl.Expr
    message: MessageFor
    fields: Mapping[str, pl.Expr] = field(default_factory=dict)


def value_of(column: str) -> dict[str, pl.Expr]:
    return {"value": pl.col(column)}


def run_checks(table: Table, frame: pl.DataFrame, checks: Sequence[RowCheck]) -> list[Problem]:
    if not checks or frame.height == 0:
        return []
    flags = frame.select(
        check.failing.fill_null(False).alias(f"_f{i}") for i, check in enumerate(checks)
    )
    counts = flags.sum().row(0)
    problems: list[Problem] = []
    for i, check in enumerate(checks):
        if not counts[i]:
            continue
        failing = frame.filter(flags.get_column(f"_f{i}")).select(
            pl.col(ROW), *(expr.alias(name) for name, expr in check.fields.items())
        )
        names = list(check.fields)
        rows = failing.get_column(ROW).to_list()
        values = [failing.get_column(name).to_list() for name in names]
        column = table.header(check.column) if check.column else None
        for row, *cells in zip(rows, *values, strict=True):
            message = check.message(dict(zip(names, cells, strict=True)))
            problems.append(Problem(msg=message, file=table.file, row=row, column=column))
    return problems


def required_checks(columns: Iterable[str]) -> list[RowCheck]:
    """An empty cell in a required column."""
    return [RowCheck(c, pl.col(c).is_null(), lambda _: Msg("registry.required")) for c in columns]


def duplicate_problems(
    table: Table,
    frame: pl.DataFrame,
    keys: Sequence[str],
    column: str,
    message: Callable[[Mapping[str, Any], list[int], list[Any]], Msg],
    *,
    eligible: pl.Expr | None = None,
    other: str | None = None,
    carry: Sequence[str] = (),
) -> list[Problem]:
    """Rows sharing the same ``keys``: each row gets a problem naming the other rows (and the
    ``other`` column's values on those rows). ``carry`` columns (equal within a group, such as
    the text behind a numeric key) are passed to ``message`` with the group."""
    if len(keys) == 1 and eligible is None and ordered_distinct(frame.get_column(keys[0])):
        return []
    condition = pl.all_horizontal(pl.col(k).is_not_null() for k in keys)
    if eligible is not None:
        condition = condition & eligible.fill_null(False)
    key = pl.struct(keys) if len(keys) > 1 else pl.col(keys[0])
    if len(keys) == 1 and frame.schema[keys[0]].is_integer():
        # integer keys (the ID number's): sorted, no two equal neighbours means no duplicate,
        # cheaper than hashing a million keys; any duplicate is then found as below
        if ordered_distinct(frame.select(pl.when(condition).then(key)).to_series().drop_nulls().sort()):
            return []
    extra = [other] if other and other not in keys else []
    # duplicated among the eligible rows (the others' keys are null there): a mask first, so
    # that no text column is copied when nothing is duplicated (the usual case)
    duplicated = frame.select((condition & pl.when(condition).then(key).is_duplicated()).alias("_dup")).to_series()
    if not duplicated.any():
        return []
    dups = frame.filter(duplicated).select(ROW, *keys, *extra, *carry)
    groups = (
        dups.sort(ROW)
        .group_by(keys, maintain_order=True)
        .agg(
            pl.col(ROW).alias("_rows"),
            *([pl.col(other).alias("_others")] if other else []),
            *(pl.col(c).first() for c in carry),
        )
    )
    problems: list[Problem] = []
    for group in groups.iter_rows(named=True):
        rows: list[int] = group["_rows"]
        others: list[Any] = group.get("_others") or []
        for i, row in enumerate(rows):
            other_rows = rows[:i] + rows[i + 1 :]
            other_values = others[:i] + others[i + 1 :] if others else []
            problems.append(table.problem(message(group, other_rows, other_values), row, column))
    return problems
