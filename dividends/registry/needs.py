"""What a scheme needs from the registry, and the check that it is there.

An optional column that a file lacks reads as a default (no 股数 column: every household holds 0
shares). That is harmless when no step uses it and wrong money when one does: the shares of
every household would silently go to the collective. :func:`check_needs` refuses the second
case, naming the column, the step that needs it and the file's unrecognised headers with their
suggestions. ``dividends compute`` calls it on the files it read; the run services call it with
the facts stored with a registry version (:class:`~dividends.registry.facts.RegistryFacts`).

The walk is generic: every basis and every filter clause inside a step (eligibility, priority,
share classes, person filters) is visited, so new step kinds need no change here.
"""
from __future__ import annotations

from pathlib import Path

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dividends.registry import messages as _messages  # noqa: F401  (registers the catalog)
from dividends.registry.columns import HOUSEHOLD_COLUMNS, MEMBER_COLUMNS, POST_COLUMNS
from dividends.registry.facts import RegistryFacts
from schemes.filters import Compare, Flag, IsIn
from schemes.i18n import Msg, load_catalog, register
from schemes.model import Basis, Rate, Scheme
from schemes.problems import InputError, Problem

load_catalog(Path(__file__).parents[1] / "locale", "dividends")

# frame column used by a filter -> (file kind, registry column)
_FILTER_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "shares": (("households", "shares"),),
    "capital_fen": (("households", "capital_yuan"),),
    "members": (("households", "members"),),
    "able_members": (("households", "able_members"),),
    "unable_members": (("households", "members"), ("households", "able_members")),
    "student": (("members", "student"),),
    "able_to_work": (("members", "able_to_work"),),
    "age": (("members", "birth_date"),),
    "months_served": (("posts", "months_served"),),
    "post_type": (("posts", "post_type"),),
    "grade": (("posts", "grade"),),
    "post_count": (("posts", "household_id"),),
}
# basis kind -> what it counts
_BASIS_FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "share": (("households", "shares"),),
    "capital": (("households", "capital_yuan"),),
    "person": (("households", "members"),),
    "able_person": (("households", "able_members"),),
    "unable_person": (("households", "members"), ("households", "able_members")),
    "post": (("posts", "months_served"),),
    "persons": (("members", "household_id"),),
}
_SPECS = {"households": HOUSEHOLD_COLUMNS, "members": MEMBER_COLUMNS, "posts": POST_COLUMNS}


@dataclass(frozen=True)
class Need:
    """Step ``step`` reads ``column`` of the ``kind`` file."""

    step: str
    kind: str
    column: str


def _walk(value: Any) -> Iterator[Any]:
    yield value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _walk(getattr(value, f.name))
    elif isinstance(value, (list, tuple, frozenset, set)):
        for item in value:
            yield from _walk(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)


def scheme_needs(scheme: Scheme) -> list[Need]:
    """Every (step, file, column) the scheme reads, in step order, without repeats."""
    needs: list[Need] = []
    for step in scheme.steps:
        if getattr(step, "kind", "") == "post_subsidy":
            needs.append(Need(step.id, "posts", "months_served"))
        for node in _walk(step):
            fields: tuple[tuple[str, str], ...] = ()
            if isinstance(node, Basis):
                fields = _BASIS_FIELDS.get(node.kind, ())
            elif isinstance(node, Rate) and node.percent is not None:
                fields = (("households", "capital_yuan"),)  # a percent of capital
            elif isinstance(node, (Compare, Flag, IsIn)):
                fields = _FILTER_FIELDS.get(node.field, ())
            for kind, column in fields:
                needs.append(Need(step.id, kind, column))
    return list(dict.fromkeys(needs))


def prorated_steps(scheme: Scheme) -> list[str]:
    """The steps that prorate by months of eligibility: they read the registry version's events
    (a run writes them as its ``events`` input; a version without events: nothing changed)."""
    return [step.id for step in scheme.steps if getattr(step, "prorate", None) is not None]


def need_problems(scheme: Scheme, facts: RegistryFacts) -> list[Problem]:
    """The problems of running ``scheme`` on a registry with these ``facts`` (empty: fine).

    One problem per column a file lacks, naming every step that reads it. A members or posts
    file not given at all is the engine's to report (``compute.needs_persons``)."""
    labels = {s.id: s.label for s in scheme.steps}
    steps: dict[tuple[str, str], list[str]] = {}
    for need in scheme_needs(scheme):
        if need.kind in facts.kinds and facts.lacks(need.kind, need.column):
            steps.setdefault((need.kind, need.column), []).append(need.step)
    problems: list[Problem] = []
    for (kind, column), ids in steps.items():
        spec = {c.name: c for c in _SPECS[kind]}[column]
        file = facts.files.get(kind, kind)
        problems.append(Problem(
            Msg(
                "needs.missing_column", step=ids, label=[_label(labels[i]) for i in ids], column=column,
                zh=spec.zh, file=file, unknown=facts.unknown.get(kind) or (Msg("needs.none"),),
            ),
            file=file,
        ))
    return problems


def _label(label: Any) -> Msg:
    return Msg("needs.label", zh=label.zh, en=label.en)


# a scheme's own label, which carries both languages (not a text to translate: no .po entry)
register({"needs.label": {"zh": "{zh}", "en": "{en}"}})


def check_needs(scheme: Scheme, facts: RegistryFacts) -> None:
    """Raise :class:`InputError` when ``scheme`` reads a column or file the registry lacks."""
    problems = need_problems(scheme, facts)
    if problems:
        raise InputError(problems)
