"""Registry + scheme + returns -> an allocation that passed every invariant.

The one computation of the product: ``dividends compute``, ``verify``, ``compare``, payout runs
and the web app all call :func:`compute`; nothing else evaluates a scheme.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Protocol

import polars as pl

import dividends.messages  # noqa: F401
from dividends.period_inputs import read_extra
from dividends.registry import Registry, read_registry, read_returns
from dividends.registry.mapping import load_mapping
from dividends.registry.facts import RegistryFacts
from dividends.registry.needs import check_needs
from dividends.registry.vocabulary import Vocabulary
from schemes.engine import Allocation, Extra, allocate
from schemes.i18n import Msg
from schemes.invariants import Violation, check
from schemes.loader import load_scheme, parse_scheme
from schemes.model import Scheme
from schemes.money import MoneyFormatError, parse_yuan
from schemes.presets import preset_names, preset_path
from schemes.problems import InputError, Problem

Phase = Callable[[str, int, int], None]  # (what, done, total)


class EarlyWork(Protocol):
    """Work a caller starts on the computation's frames as soon as they exist, before the
    computation returns (the CLI's bundle: :class:`dividends.bundle.EarlyBundle`). Frames are
    immutable: whatever is done with them is valid for the result that will hold them."""

    def inputs_ready(self, registry: Registry, returns: pl.DataFrame, extra: Extra) -> None:
        """The read and checked input frames, final, before the allocation."""

    def allocated(self, allocation: Allocation) -> None:
        """The allocation, before its invariants are checked (nothing may be written before)."""


class InvariantError(Exception):
    """The engine produced a result that breaks an invariant: a bug, never written anywhere."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        super().__init__("; ".join(v.text("en") for v in violations[:5]))


@dataclass(frozen=True)
class SchemeSource:
    """A scheme as loaded, with the file it came from (a preset or the user's file)."""

    scheme: Scheme
    path: Path
    ref: str


@functools.lru_cache(maxsize=64)
def _parsed(text: str) -> Scheme:
    """A scheme text parsed once per process (a Scheme is immutable): a province's 10,000 runs
    of one scheme parse its YAML once instead of three times each. A text with problems raises
    every time (exceptions are not cached)."""
    return parse_scheme(text, CACHED_NAME)


CACHED_NAME = "<scheme>"


def _load(path: Path, name: str) -> Scheme:
    """:func:`schemes.loader.load_scheme`, through the cache for a readable UTF-8 file that
    parses (anything else goes to the loader, which names the problem and the file); the
    scheme and its warnings name ``name`` as the loader would."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
        scheme = _parsed(text)
    except (OSError, UnicodeDecodeError, InputError):
        return load_scheme(path, display_name=name)
    warnings = tuple(replace(w, file=name) if isinstance(w, Problem) and w.file == CACHED_NAME else w
                     for w in scheme.warnings)
    return replace(scheme, file=name, warnings=warnings)


def resolve_scheme(ref: str) -> SchemeSource:
    """A scheme file path, or the name of a preset."""
    path = Path(ref)
    if path.is_file():
        return SchemeSource(_load(path, ref), path, ref)
    preset = preset_path(ref)
    if preset is not None:
        return SchemeSource(_load(preset, f"presets/{ref}.yaml"), preset, ref)
    raise InputError([Problem(Msg("scheme.not_found", ref=ref, presets=preset_names()))])


@dataclass(frozen=True)
class Inputs:
    """Everything a computation reads. Files are kept so that they can be copied and hashed."""

    scheme: str
    registry: Path
    period: int
    posts: Path | None = None
    members: Path | None = None
    amount_yuan: str | None = None
    returns: Path | None = None
    exclude_invalid: bool = False
    reference_date: date | None = None  # bounds birth dates; recorded so verify reads the same way
    columns: Path | None = None  # a column mapping file (dividends.registry.mapping)
    vocabulary: Path | None = None  # a county's status vocabulary file, added to the shipped one
    sheets: tuple[tuple[str, str], ...] = ()  # (kind, sheet name) of workbooks to read
    brought_forward: Path | None = None  # last period's carry-over per village
    deductions: Path | None = None  # debts and overpayments to take from household lines
    earlier_paid: Path | None = None  # what earlier posted runs of the period paid each household
    events: Path | None = None  # household and member events within the period
    # what the registry's original files lacked, when the files are a stored version's canonical
    # copies (every column present): the scheme's needs are checked against these facts
    facts: RegistryFacts | None = None
    # the registry already read and validated from exactly the files above (a stored snapshot's
    # frames, trusted by their hash: dividends.store.snapshot_format); not read again when given
    trusted: Registry | None = None

    def files(self) -> dict[str, Path]:
        out = {"registry": self.registry}
        for name, path in (("posts", self.posts), ("members", self.members), ("returns", self.returns),
                           ("columns", self.columns), ("vocabulary", self.vocabulary),
                           ("brought_forward", self.brought_forward), ("deductions", self.deductions),
                           ("earlier_paid", self.earlier_paid), ("events", self.events)):
            if path is not None:
                out[name] = path
        return out


@dataclass(frozen=True)
class Computation:
    inputs: Inputs
    source: SchemeSource
    registry: Registry
    returns: pl.DataFrame
    allocation: Allocation
    reference_date: date = field(default_factory=date.today)
    extra: Extra = Extra()

    @property
    def scheme(self) -> Scheme:
        return self.source.scheme


def compute(inputs: Inputs, progress: Phase | None = None, early: EarlyWork | None = None) -> Computation:
    """Read, validate, allocate and check. Raises :class:`InputError` for anything the user
    must fix (every problem at once) and :class:`InvariantError` for an engine bug.

    ``early`` is told of the input frames once they are final and of the allocation before its
    invariants run (:class:`EarlyWork`), with the very objects the result will hold: the CLI
    hashes and renders the bundle on other threads meanwhile."""
    def phase(what: str, done: int = 0, total: int = 1) -> None:
        if progress:
            progress(what, done, total)

    if not 2000 <= inputs.period <= 2100:
        raise InputError([Problem(Msg("compute.period_invalid", found=inputs.period))])
    if (inputs.amount_yuan is None) == (inputs.returns is None):
        raise InputError([Problem(Msg("compute.amount_or_returns"))])
    phase("scheme")
    source = resolve_scheme(inputs.scheme)
    phase("registry")
    reference = inputs.reference_date or date.today()
    problems: list[Problem] = []
    registry: Registry | None = None
    returns: pl.DataFrame | None = None
    mapping = load_mapping(inputs.columns) if inputs.columns is not None else None
    vocabulary = Vocabulary.shipped().extended(inputs.vocabulary) if inputs.vocabulary is not None else None
    sheets = dict(inputs.sheets)
    if inputs.trusted is not None:
        registry = inputs.trusted
    else:
        try:
            registry = read_registry(inputs.registry, posts=inputs.posts, members=inputs.members,
                                     exclude_invalid=inputs.exclude_invalid, reference_date=reference,
                                     mapping=mapping, sheets=sheets, vocabulary=vocabulary)
        except InputError as error:
            problems.extend(error.problems)
    if inputs.returns is not None:
        try:
            returns = read_returns(inputs.returns, mapping=mapping, sheet=sheets.get("returns"))
        except InputError as error:
            problems.extend(error.problems)
    extra = Extra()
    try:
        extra = read_extra(brought_forward=inputs.brought_forward, deductions=inputs.deductions,
                           earlier_paid=inputs.earlier_paid, events=inputs.events, period=inputs.period)
    except InputError as error:
        problems.extend(error.problems)
    if problems:
        raise InputError(problems)
    assert registry is not None
    check_needs(source.scheme, inputs.facts if inputs.facts is not None else registry.facts)
    villages = registry.households["village_id"].unique().sort()
    if inputs.amount_yuan is not None:
        returns = _single_village_return(inputs.amount_yuan, villages)
    assert returns is not None
    orphan_returns = returns.filter(~pl.col("village_id").is_in(villages.implode()))["village_id"]
    if orphan_returns.len():
        raise InputError([Problem(Msg("compute.return_without_households", village=v), file=str(inputs.returns))
                          for v in orphan_returns.to_list()])

    if early is not None:
        early.inputs_ready(registry, returns, extra)
    return allocate_checked(inputs, source, registry, returns, reference, progress, extra, early)


def allocate_checked(inputs: Inputs, source: SchemeSource, registry: Registry, returns: pl.DataFrame,
                     reference: date, progress: Phase | None = None, extra: Extra | None = None,
                     early: EarlyWork | None = None) -> Computation:
    """Allocate already-read inputs under ``source`` and run every invariant (``early``: see
    :func:`compute`)."""
    total = len(source.scheme.steps)
    extra = extra or Extra()
    allocation = allocate(
        source.scheme, registry.households, returns, period=inputs.period, posts=registry.posts,
        persons=registry.persons,
        progress=(lambda i, n, step: progress(f"step:{step}", i, n)) if progress else None,
        extra=extra,
    )
    if early is not None:
        early.allocated(allocation)
    if progress:
        progress("invariants", total, total)
    violations = check(allocation)
    if violations:
        raise InvariantError(violations)
    return Computation(inputs, source, registry, returns, allocation, reference, extra)


def _single_village_return(amount_yuan: str, villages: pl.Series) -> pl.DataFrame:
    try:
        fen = parse_yuan(amount_yuan)
    except MoneyFormatError:
        raise InputError([Problem(Msg("compute.amount_invalid", found=amount_yuan))]) from None
    if villages.len() != 1:
        raise InputError([Problem(Msg("compute.amount_many_villages", count=villages.len(),
                                      villages=villages.head(10).to_list()))])
    return pl.DataFrame({"village_id": villages, "amount_fen": [fen]},
                        schema={"village_id": pl.String, "amount_fen": pl.Int64})
