"""Eligibility filters: structured data in the scheme file, compiled to polars expressions.

A filter is a mapping; its clauses must all hold. Households::

    eligible:
      status: [poor, monitored]        # one of these statuses (English or Chinese names)
      unable_members: {gte: 1}         # comparisons: eq ne gt gte lt lte
      capital: {gt: 0}                 # yuan, compared exactly in fen
      has_member: {age: {gte: 80}}     # at least one person matching a person filter
      any: [{village: V001}, {posts: {gte: 1}}]
      not: {status: non_poor}

Person filters use ``age`` (whole years on the scheme's age date), ``able_to_work``,
``student``; post filters use ``post_type``, ``grade``, ``months_served``. User text is never
evaluated: every field and operator is looked up in the tables below.
"""
from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, Union

if TYPE_CHECKING:  # polars loads when a frame is computed, not when a scheme is read
    import polars as pl

from schemes.money import MoneyFormatError, parse_yuan
from schemes.yamldoc import Document, Path

Scope = Literal["household", "person", "post"]
Op = Literal["eq", "ne", "gt", "gte", "lt", "lte"]
OPS: tuple[Op, ...] = ("eq", "ne", "gt", "gte", "lt", "lte")

STATUS_NAMES = {
    "poor": "poor", "贫困户": "poor", "建档立卡贫困户": "poor",
    "exited": "exited", "脱贫户": "exited",
    "monitored": "monitored", "监测户": "monitored",
    "non_poor": "non_poor", "一般户": "non_poor", "非贫困户": "non_poor",
}


@dataclass(frozen=True)
class All:
    items: tuple[Filter, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Filter, ...]


@dataclass(frozen=True)
class Not:
    item: Filter


@dataclass(frozen=True)
class IsIn:
    field: str
    values: tuple[str, ...]
    negate: bool = False


@dataclass(frozen=True)
class Compare:
    field: str
    op: Op
    value: int


@dataclass(frozen=True)
class Flag:
    field: str
    value: bool


@dataclass(frozen=True)
class HasMember:
    persons: Filter


Filter: TypeAlias = Union[All, AnyOf, Not, IsIn, Compare, Flag, HasMember]
PersonFilter: TypeAlias = Filter
PostFilter: TypeAlias = Filter

# field name in the scheme -> (kind, column in the frame)
_FIELDS: dict[Scope, dict[str, tuple[str, str]]] = {
    "household": {
        "status": ("status", "status"),
        "village": ("text", "village_id"),
        "household": ("text", "household_id"),
        "members": ("int", "members"),
        "able_members": ("int", "able_members"),
        "unable_members": ("int", "unable_members"),
        "shares": ("int", "shares"),
        "capital": ("yuan", "capital_fen"),
        "posts": ("int", "post_count"),
        "has_member": ("persons", ""),
    },
    "person": {
        "age": ("int", "age"),
        "able_to_work": ("bool", "able_to_work"),
        "student": ("bool", "student"),
    },
    "post": {
        "post_type": ("text", "post_type"),
        "grade": ("text", "grade"),
        "months_served": ("int", "months_served"),
    },
}


# ------------------------------------------------------------------------------------ parsing


def parse_filter(doc: Document, value: Any, path: Path, scope: Scope) -> Filter | None:
    """Turn a YAML mapping into a filter; problems go to ``doc`` and the result is None."""
    if not isinstance(value, dict) or not value:
        doc.problem(path, "filter.not_mapping", found=_show(value))
        return None
    clauses: list[Filter] = []
    ok = True
    for key, item in value.items():
        clause = _parse_clause(doc, key, item, path + (key,), scope)
        if clause is None:
            ok = False
        else:
            clauses.append(clause)
    if not ok:
        return None
    return clauses[0] if len(clauses) == 1 else All(tuple(clauses))


def _parse_clause(doc: Document, key: str, item: Any, path: Path, scope: Scope) -> Filter | None:
    if key in ("all", "any"):
        if not isinstance(item, list) or not item:
            doc.problem(path, "filter.need_list", name=key, found=_show(item))
            return None
        parts = [parse_filter(doc, sub, path + (i,), scope) for i, sub in enumerate(item)]
        if any(p is None for p in parts):
            return None
        items = tuple(p for p in parts if p is not None)
        return All(items) if key == "all" else AnyOf(items)
    if key == "not":
        inner = parse_filter(doc, item, path, scope)
        return Not(inner) if inner is not None else None
    fields = _FIELDS[scope]
    if key not in fields:
        doc.problem(path, "filter.unknown_field", name=key, scope=scope,
                    expected=list(fields) + ["all", "any", "not"], hint=_did_you_mean(key, fields))
        return None
    kind, column = fields[key]
    if kind == "persons":
        inner = parse_filter(doc, item, path, "person")
        return HasMember(inner) if inner is not None else None
    if kind == "bool":
        if not isinstance(item, bool):
            doc.problem(path, "filter.need_bool", name=key, found=_show(item))
            return None
        return Flag(column, item)
    if kind in ("text", "status"):
        return _parse_in(doc, key, item, path, column, status=(kind == "status"))
    return _parse_compare(doc, key, item, path, column, yuan=(kind == "yuan"))


def _parse_in(doc: Document, key: str, item: Any, path: Path, column: str, *, status: bool) -> Filter | None:
    negate = False
    if isinstance(item, dict):
        if set(item) == {"in"}:
            item = item["in"]
            path = path + ("in",)
        elif set(item) == {"not_in"}:
            item, negate = item["not_in"], True
            path = path + ("not_in",)
        else:
            doc.problem(path, "filter.need_values", name=key, found=_show(item))
            return None
    values = item if isinstance(item, list) else [item]
    out: list[str] = []
    for i, v in enumerate(values):
        if not isinstance(v, str) or not v.strip():
            doc.problem(path + ((i,) if isinstance(item, list) else ()), "filter.need_values",
                        name=key, found=_show(v))
            return None
        v = v.strip()
        if status:
            canonical = STATUS_NAMES.get(v.lower() if v.isascii() else v)
            if canonical is None:
                doc.problem(path, "filter.unknown_status", found=v,
                            expected=["poor", "exited", "monitored", "non_poor", "贫困户", "脱贫户", "监测户", "一般户"])
                return None
            v = canonical
        out.append(v)
    return IsIn(column, tuple(dict.fromkeys(out)), negate)


def _parse_compare(doc: Document, key: str, item: Any, path: Path, column: str, *, yuan: bool) -> Filter | None:
    pairs: list[tuple[str, Any, Path]]
    if isinstance(item, dict):
        if not item:
            doc.problem(path, "filter.need_comparison", name=key, found="{}", expected=list(OPS))
            return None
        pairs = [(op, v, path + (op,)) for op, v in item.items()]
    else:
        pairs = [("eq", item, path)]
    out: list[Filter] = []
    for op, raw, p in pairs:
        if op not in OPS:
            doc.problem(p, "filter.unknown_operator", name=op, expected=list(OPS), hint=_did_you_mean(op, OPS))
            return None
        raw, p = doc.unwrap(raw, p)  # a threshold is a number too: {value: 80, source: "..."}
        number = _number(raw, yuan)
        if number is None:
            doc.problem(p, "filter.need_yuan" if yuan else "filter.need_integer", name=key, found=_show(raw))
            return None
        out.append(Compare(column, op, number))  # type: ignore[arg-type]
    return out[0] if len(out) == 1 else All(tuple(out))


def _number(raw: Any, yuan: bool) -> int | None:
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        return None
    if yuan:
        try:
            return parse_yuan(raw)
        except MoneyFormatError:
            return None
    text = str(raw).strip()
    if re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    return None


def _show(value: Any) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return type(value).__name__ == "dict" and "{...}" or "[...]"
    return str(value)


def _did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" ({close[0]}?)" if close else ""


# ---------------------------------------------------------------------------------- compiling


def person_filters(f: Filter | None) -> list[Filter]:
    """Every person filter nested in a household filter (each needs a count column)."""
    if f is None:
        return []
    if isinstance(f, HasMember):
        return [f.persons]
    if isinstance(f, (All, AnyOf)):
        return [p for item in f.items for p in person_filters(item)]
    if isinstance(f, Not):
        return person_filters(f.item)
    return []


def persons_column(f: Filter) -> str:
    """A stable column name for "number of persons in the household matching ``f``"."""
    return "__persons_" + hashlib.sha1(repr(f).encode()).hexdigest()[:12]


def uses_posts(f: Filter | None) -> bool:
    if f is None:
        return False
    if isinstance(f, Compare):
        return f.field == "post_count"
    if isinstance(f, (All, AnyOf)):
        return any(uses_posts(i) for i in f.items)
    if isinstance(f, Not):
        return uses_posts(f.item)
    return False


def compile_filter(f: Filter | None) -> pl.Expr:
    """A boolean polars expression; ``None`` (no filter) is everyone."""
    import polars as pl
    if f is None:
        return pl.lit(True)
    if isinstance(f, All):
        return pl.all_horizontal([compile_filter(i) for i in f.items])
    if isinstance(f, AnyOf):
        return pl.any_horizontal([compile_filter(i) for i in f.items])
    if isinstance(f, Not):
        return ~compile_filter(f.item)
    if isinstance(f, IsIn):
        expr = pl.col(f.field).is_in(list(f.values))
        return ~expr if f.negate else expr
    if isinstance(f, Flag):
        return pl.col(f.field) == f.value
    if isinstance(f, HasMember):
        return pl.col(persons_column(f.persons)) >= 1
    col = pl.col(f.field)
    return {
        "eq": col == f.value, "ne": col != f.value, "gt": col > f.value,
        "gte": col >= f.value, "lt": col < f.value, "lte": col <= f.value,
    }[f.op]
