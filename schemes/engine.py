"""Run a scheme over a registry and the villages' returns: the allocation of every fen.

>>> from schemes.presets import load_preset
>>> import polars as pl
>>> alloc = allocate(load_preset("golden-chicken"), households=..., returns=..., period=2024)  # doctest: +SKIP

Input frames (canonical columns, as :mod:`dividends.registry` produces them):

- households: ``household_id, village_id, status, members, able_members, shares, capital_fen``
  (other columns are ignored);
- returns: ``village_id, amount_fen``;
- posts (when a step needs them): ``household_id, person_name, post_type, grade, months_served``;
- persons (when a filter counts persons): ``household_id, birth_date, able_to_work, student``.

The result does not depend on the order of input rows: households are sorted by village and
household id first, and every tie is broken by household id.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

import polars as pl

import schemes.messages  # noqa: F401
from schemes.money import INT64_MAX
from schemes.model import STATUSES
from schemes.frames import ordered_distinct
from schemes.filters import (
    All, AnyOf, Compare, Filter, Flag, HasMember, IsIn, Not, compile_filter, persons_column, person_filters, uses_posts,
)
from schemes.i18n import Msg
from schemes.model import (
    BROUGHT_FORWARD, DEDUCTIONS, POOL, Basis, Cap, MinimumGuarantee, PerUnit, PostSubsidy, ProRata, Scheme,
    ShareClasses,
)
from schemes.months import EVENT_COLUMNS, EVENT_KINDS, month_table, prorated_unit_months
from schemes.problems import InputError, Problem
from schemes.steps import EVALUATORS
from schemes.steps.adjustments import DEDUCTION_RESULT_COLUMNS, deductions
from schemes.steps.context import RunContext, StepOutcome, rows_of
from schemes.steps.groups import settle_group
from schemes.steps.needs import MONTHS_PER_YEAR

HOUSEHOLD_COLUMNS = {
    "household_id": pl.String, "village_id": pl.String, "status": pl.String,
    "members": pl.Int64, "able_members": pl.Int64, "shares": pl.Int64, "capital_fen": pl.Int64,
}
SUMMARY_COLUMNS = (
    "village_id", "step_index", "step_id", "part", "kind", "available_fen", "requested_fen",
    "paid_fen", "shortfall_fen", "unallocated_fen", "recipients", "floors_applied", "remaining_fen",
)
ProgressHook = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Allocation:
    """Every fen of every village's pool, on a line.

    ``households``: one row per household (zero rows included) with a fen column per step that
    pays households and ``amount_fen``; ``accounts``: one row per village and account with a fen
    column per step and ``amount_fen``; ``summary``: per village and step (and share class).
    """

    scheme: Scheme
    period: int
    villages: pl.DataFrame  # village_id, pool_fen (return + brought forward), households, ...
    households: pl.DataFrame
    accounts: pl.DataFrame
    summary: pl.DataFrame
    checks: tuple[object, ...]  # evidence for the invariants (SplitCheck, FloorCheck, GroupCheck...)
    columns: tuple[str, ...] = ()  # every fen column: [brought_forward] + the steps + [deductions]
    deductions: pl.DataFrame | None = None  # per deduction: recovered and carried forward
    _lines: list[pl.DataFrame] = field(default_factory=list, repr=False, compare=False)

    @property
    def step_ids(self) -> tuple[str, ...]:
        """The fen columns of the lines, in order (the scheme's steps and any engine column)."""
        return self.columns or self.scheme.step_ids

    def lines(self) -> pl.DataFrame:
        """The allocation lines: recipients with any non-zero cell, in a stable order (built
        once: a million-line sort is not repeated by every caller)."""
        if not self._lines:
            self._lines.append(self._build_lines())
        return self._lines[0]

    def _build_lines(self) -> pl.DataFrame:
        steps = list(self.step_ids)
        accounts = self.accounts.select(
            pl.col("account").alias("recipient_id"), pl.lit("account").alias("recipient_kind"),
            "village_id", "amount_fen", *steps,
        )
        households = self.households.select(
            pl.col("household_id").alias("recipient_id"), pl.lit("household").alias("recipient_kind"),
            "village_id", "amount_fen", *steps,
        )
        nonzero = pl.any_horizontal([pl.col(s) != 0 for s in steps])
        households = households.filter(nonzero)
        if _sorted(households.rename({"recipient_id": "household_id"})):
            return _accounts_first(accounts.filter(nonzero), households)
        lines = pl.concat([accounts, households], how="vertical")
        return lines.filter(nonzero).sort("village_id", "recipient_kind", "recipient_id")


def allocate(
    scheme: Scheme,
    households: pl.DataFrame,
    returns: pl.DataFrame,
    *,
    period: int,
    posts: pl.DataFrame | None = None,
    persons: pl.DataFrame | None = None,
    progress: ProgressHook | None = None,
    extra: Extra | None = None,
) -> Allocation:
    """Compute the allocation; raises :class:`InputError` for data the scheme cannot use.

    ``extra`` carries the inputs beyond the registry and the return (brought forward,
    deductions, what earlier runs of the period paid, household events); each given one is a
    recorded input of the computation."""
    extra = extra or Extra()
    ctx = _prepare(scheme, households, returns, period, posts, persons, extra)
    run = _Run(ctx)
    if extra.brought_forward is not None:
        run.brought_forward()
    total = len(scheme.steps)
    index = 0
    while index < total:
        step = scheme.steps[index]
        if progress:
            progress(index, total, step.id)
        if step.group is not None:
            group = scheme.groups[step.group]
            claims = list(scheme.steps[index:index + len(group.claims)])
            for offset, (claim, outcome) in enumerate(zip(claims, settle_group(group, claims, ctx))):
                run.apply(index + offset, claim.id, claim.kind, outcome)
            index += len(claims)
            continue
        ctx.step_id = step.id
        run.apply(index, step.id, step.kind, EVALUATORS[step.kind](step, ctx))
        index += 1
    deduction_rows = None
    if extra.deductions is not None:
        ctx.step_id = DEDUCTIONS
        outcome, deduction_rows = deductions(ctx, extra.deductions)
        run.apply(total, DEDUCTIONS, DEDUCTIONS, outcome)
    if progress:
        progress(total, total, "")
    return _result(scheme, period, ctx, run, deduction_rows)


@dataclass(frozen=True)
class Extra:
    """Inputs of a computation beyond the registry and the return, each a frame or None:

    - ``brought_forward``: ``village_id, amount_fen`` (last period's carry-over arriving);
    - ``deductions``: ``household_id, amount_fen, reason, creditor``;
    - ``earlier_paid``: ``household_id, amount_fen`` (what earlier posted runs of the period paid,
      for caps ``over: period``);
    - ``events``: ``household_id, event, scope, date, from_status`` (for ``prorate: months``).
    """

    brought_forward: pl.DataFrame | None = None
    deductions: pl.DataFrame | None = None
    earlier_paid: pl.DataFrame | None = None
    events: pl.DataFrame | None = None


class _Run:
    """Applies step outcomes to the context and collects cells, summaries and checks."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx
        self.summaries: list[pl.DataFrame] = []
        self.checks: list[object] = []
        self.cells: dict[tuple[str, str], pl.Series] = {}  # (account, column) -> per village
        self.columns: list[str] = []  # engine columns (brought_forward, deductions) in order

    def brought_forward(self) -> None:
        ctx = self.ctx
        bf = ctx.villages["brought_forward_fen"]
        to = ctx.scheme.brought_forward_to
        accounts = {} if to == POOL else {to: bf}
        outcome = StepOutcome(None, accounts, bf, bf, ctx.zeros())
        available = ctx.villages["pool_fen"]
        if to != POOL:
            self.columns.append(BROUGHT_FORWARD)
            self._accounts(BROUGHT_FORWARD, outcome)
        self.summaries.extend(_summaries(ctx, -1, BROUGHT_FORWARD, BROUGHT_FORWARD, available, outcome))

    def apply(self, index: int, step_id: str, kind: str, outcome: StepOutcome) -> None:
        ctx = self.ctx
        available = ctx.remaining
        delta = ctx.zeros()
        if outcome.households is not None:
            ctx.hh = ctx.hh.with_columns(outcome.households.cast(pl.Int64).alias(step_id))
            ctx.household_steps.append(step_id)
            delta = delta + (outcome.household_totals if outcome.household_totals is not None
                             else ctx.per_village(outcome.households))
        delta = delta + self._accounts(step_id, outcome)
        if kind == DEDUCTIONS:
            self.columns.append(DEDUCTIONS)
        ctx.remaining = available - delta
        if (ctx.remaining < 0).any():  # a bug, never a user error: every step is bounded
            raise AssertionError(f"step {step_id} overdrew the remaining balance")
        self.summaries.extend(_summaries(ctx, index, step_id, kind, available, outcome))
        self.checks.extend(outcome.checks)

    def _accounts(self, column: str, outcome: StepOutcome) -> pl.Series:
        ctx = self.ctx
        delta = ctx.zeros()
        for account, fen in outcome.accounts.items():
            self.cells[(account, column)] = self.cells.get((account, column), ctx.zeros()) + fen
            ctx.account_balance[account] = ctx.balance(account) + fen
            delta = delta + fen
        return delta


# ----------------------------------------------------------------------------- preparation


def _prepare(scheme: Scheme, households: pl.DataFrame, returns: pl.DataFrame, period: int,
             posts: pl.DataFrame | None, persons: pl.DataFrame | None, extra: Extra) -> RunContext:
    missing = [c for c in HOUSEHOLD_COLUMNS if c not in households.columns]
    if missing:
        raise TypeError(f"households frame lacks columns {missing}")
    problems: list[Problem] = []
    if scheme.effective > date(period, 12, 31):
        problems.append(Problem(Msg("compute.not_effective", scheme=scheme.id, effective=scheme.effective.isoformat(),
                                    period=period)))

    villages = (
        returns.select(pl.col("village_id").cast(pl.String), pl.col("amount_fen").cast(pl.Int64).alias("pool_fen"))
        .sort("village_id")
    )
    hh = households.select([pl.col(c).cast(t) for c, t in HOUSEHOLD_COLUMNS.items()])
    if not _sorted(hh):
        hh = hh.sort("village_id", "household_id")
    ids = hh["household_id"]
    distinct = ordered_distinct(ids)  # True: the ids are sorted too (no second scan to ask)
    if not distinct and ids.n_unique() != hh.height:
        dup = hh.filter(pl.col("household_id").is_duplicated())["household_id"].unique().sort()
        problems.append(Problem(Msg("compute.duplicate_households", ids=dup.head(20).to_list())))
    # a status the scheme language does not know would weigh nothing in every status map (the
    # registry refuses such rows before; the engine is called directly too); no status is allowed
    strange = hh.filter(pl.col("status").is_not_null() & ~pl.col("status").is_in(list(STATUSES)))
    if strange.height:
        problems.append(Problem(Msg("compute.unknown_status", ids=strange["household_id"].head(20).to_list(),
                                    statuses=strange["status"].unique().sort().head(20).to_list(),
                                    known=list(STATUSES))))
    hh, villages, orphans = _village_rows(hh, villages)
    if orphans.len():
        problems.append(Problem(Msg("compute.no_return", villages=orphans.head(20).to_list())))
    # before the look-ups of ids below: polars gives every column one piece here when the rows
    # came in pieces (a Parquet file), which each as-of look-up would otherwise do for the ids
    hh = hh.with_columns(pl.col("vix").cast(pl.Int64), (pl.col("members") - pl.col("able_members")).alias("unable_members"))
    villages = villages.with_columns(return_fen=pl.col("pool_fen"), brought_forward_fen=pl.lit(0, pl.Int64))
    if extra.brought_forward is not None:
        villages, bf_problems = _with_brought_forward(villages, extra.brought_forward)
        problems.extend(bf_problems)
    period_caps = [s.id for s in scheme.steps if isinstance(s, Cap) and s.over == "period"]
    if period_caps and extra.earlier_paid is None:
        problems.append(Problem(Msg("compute.needs_earlier_paid", steps=period_caps)))
    prorated = [s for s in scheme.steps if isinstance(s, PerUnit) and s.prorate is not None]
    if prorated and extra.events is None:
        problems.append(Problem(Msg("compute.needs_events", steps=[s.id for s in prorated])))
    ids_sorted = True if distinct else None
    if (extra.events is not None or extra.earlier_paid is not None or extra.deductions is not None) \
            and hh["household_id"].n_chunks() > 1:
        hh = hh.with_columns(hh["household_id"].rechunk())
    if ids_sorted is None and (extra.events is not None or extra.earlier_paid is not None):
        ids_sorted = hh["household_id"].is_sorted()
    events = None  # typed, with each event's household row
    if extra.events is not None and prorated:  # events matter only to prorated steps
        event_problems, events = _event_problems(extra.events, hh, period, ids_sorted)
        problems.extend(event_problems)

    needs_posts = _posts_needed(scheme)
    person_needs = list(_person_filters(scheme))
    problems.extend(roster_problems(scheme, posts=posts is not None, persons=persons is not None))
    # (a line of its own, not mutated: _prepare's mutant numbers, some listed as equivalent, stay)
    problems.extend(number_problems(scheme, hh, returns, posts, persons, extra))  # pragma: no mutate
    if problems:
        raise InputError(problems)

    post_frame = None
    if needs_posts and posts is not None:
        rows = hh.select("household_id", "vix").with_row_index("hrow").with_columns(pl.col("hrow").cast(pl.Int64))
        post_frame = (
            posts.select(pl.col("household_id").cast(pl.String), pl.col("person_name").cast(pl.String),
                         pl.col("post_type").cast(pl.String), pl.col("grade").cast(pl.String),
                         pl.col("months_served").cast(pl.Int64))
            .join(rows, on="household_id", how="inner")
            .sort("hrow", "person_name", "post_type", "grade")
        )
        post_count = post_frame.group_by("hrow").len()
        hh = (hh.with_row_index("hrow").with_columns(pl.col("hrow").cast(pl.Int64))
              .join(post_count, on="hrow", how="left", maintain_order="left")
              .with_columns(pl.col("len").fill_null(0).cast(pl.Int64).alias("post_count")).drop("len", "hrow"))
    else:
        hh = hh.with_columns(pl.lit(0, pl.Int64).alias("post_count"))
    if person_needs and persons is not None:
        hh = _person_counts(hh, persons, {f for _, f in person_needs}, scheme.age_reference(period))
    if extra.earlier_paid is not None and period_caps:  # what earlier runs paid matters only to caps over the period
        paid = extra.earlier_paid.select(pl.col("household_id").cast(pl.String), pl.col("amount_fen").cast(pl.Int64))
        paid = paid.with_columns(hrow=rows_of(hh["household_id"], paid["household_id"], ids_sorted))
        if paid["hrow"].null_count():
            paid = paid.filter(pl.col("hrow").is_not_null())
        if not ordered_distinct(paid["hrow"]):  # at most one row per household (rows in order): nothing to add up
            paid = paid.group_by("hrow").agg(pl.col("amount_fen").sum())
        hh = hh.with_columns(pl.zeros(hh.height, dtype=pl.Int64, eager=True).rename(EARLIER_PAID)
                             .scatter(paid["hrow"], paid["amount_fen"]))
    ctx = RunContext(scheme, hh, villages, post_frame, persons, period)
    ctx._ids_sorted = ids_sorted
    if scheme.brought_forward_to != POOL:  # the steps split the return; the account takes the rest
        ctx.pool = villages["return_fen"]
        ctx.remaining = villages["return_fen"].clone()
    tables = {}
    for step in prorated:
        assert step.prorate is not None and extra.events is not None
        effect = step.prorate.effect
        if effect not in tables:
            assert events is not None
            tables[effect] = month_table(hh, events, effect, ids_sorted)
        ctx.unit_months[step.id] = prorated_unit_months(tables[effect], step.rate.basis, step.eligible)
    return ctx


EARLIER_PAID = "__earlier_paid"

# the household numbers a step can read (a basis's units, a filter's field) and the registry
# columns each comes from; the registry refuses a blank or negative one (and more able members
# than members), the engine again for its direct callers: a null would be a null or zero line
_BASIS_COLUMNS = {"person": "members", "able_person": "able_members", "unable_person": "unable_members",
                  "share": "shares", "capital": "capital_fen"}
_HOUSEHOLD_NUMBERS = {"members": (), "able_members": (), "unable_members": ("members", "able_members"),
                      "shares": (), "capital_fen": ()}  # -> the columns it is worked out from
_POST_FIELDS = ("months_served", "grade")
# a person's age from a blank birth date would be the oldest there is; a blank able_to_work or
# student matches neither true nor false (a scenario says so): only the birth date is refused
_PERSON_FIELDS = {"age": "birth_date"}


def _filter_fields(f: Filter | None) -> Iterator[str]:
    if isinstance(f, (All, AnyOf)):
        for item in f.items:
            yield from _filter_fields(item)
    elif isinstance(f, Not):
        yield from _filter_fields(f.item)
    elif isinstance(f, HasMember):
        yield from _filter_fields(f.persons)
    elif isinstance(f, (Compare, Flag, IsIn)):
        yield f.field


def _basis_fields(basis: Basis) -> Iterator[str]:
    if basis.kind in _BASIS_COLUMNS:
        yield _BASIS_COLUMNS[basis.kind]
    yield from _filter_fields(basis.persons)


def _fields_read(step: object) -> Iterator[str]:
    """The columns a step reads (its units, its filters' fields, a post subsidy's months and
    grades), by the name the engine reads them under."""
    for basis in _step_bases(step):
        yield from _basis_fields(basis)
    for f in _step_filters(step):
        yield from _filter_fields(f)
    if isinstance(step, PostSubsidy):
        yield from _POST_FIELDS
        yield from _filter_fields(step.posts)


def number_problems(scheme: Scheme, hh: pl.DataFrame, returns: pl.DataFrame, posts: pl.DataFrame | None,
                    persons: pl.DataFrame | None, extra: Extra) -> list[Problem]:
    """The blank (null) or negative numbers among those the computation reads: a household
    number a step uses (``hh``: typed, in row order, with ``unable_members``), a post's months
    or grade, a person's field a person filter reads, the return, an amount brought forward,
    deducted or paid by earlier runs (for caps over the period). A column no step reads may be
    blank. Cheap on the usual path: ``null_count`` is metadata, a minimum one pass."""
    readers: dict[str, list[str]] = {}  # column -> the steps reading it (unable_members: its two columns too)
    parts: list[tuple[str, Iterator[str]]] = [(s.id, _fields_read(s)) for s in scheme.steps]
    protected = scheme.deductions.protected
    if extra.deductions is not None and protected is not None:
        parts.append((DEDUCTIONS, _basis_fields(protected.basis)))  # the protected minimum's units
    for step_id, names in parts:
        for name in names:
            for column in (name, *_HOUSEHOLD_NUMBERS.get(name, ())):
                steps = readers.setdefault(column, [])
                if step_id not in steps:
                    steps.append(step_id)
    problems: list[Problem] = []
    ids = hh["household_id"]
    for column in HOUSEHOLD_COLUMNS:
        if column not in _HOUSEHOLD_NUMBERS or column not in readers:
            continue
        values = hh[column]
        if values.null_count():
            blank = ids.filter(values.is_null())
            problems.append(Problem(Msg("compute.blank_number", column=column, steps=readers[column],
                                        count=blank.len(), households=blank.head(20).to_list())))
        low = values.min()
        if low is not None and low < 0:  # type: ignore[operator]
            negative = ids.filter(values < 0)
            problems.append(Problem(Msg("compute.negative_number", column=column, steps=readers[column],
                                        count=negative.len(), households=negative.head(20).to_list())))
    if "unable_members" in readers:
        low = hh["unable_members"].min()
        if low is not None and low < 0:  # type: ignore[operator]
            over = ids.filter(hh["unable_members"] < 0)
            problems.append(Problem(Msg("compute.able_exceeds_members", steps=readers["unable_members"],
                                        count=over.len(), households=over.head(20).to_list())))
    problems.extend(_roster_blanks(readers, posts, persons))
    problems.extend(_amount_blanks(scheme, returns, extra))
    problems.extend(_return_villages(returns))
    return problems


def _roster_blanks(readers: dict[str, list[str]], posts: pl.DataFrame | None,
                   persons: pl.DataFrame | None) -> Iterator[Problem]:
    """The posts' cells a step reads that are blank (months served also outside 0..12), and the
    persons' birth dates when a person filter reads the age."""
    for name, frame, kind in ((c, posts, "compute.blank_post") for c in _POST_FIELDS):
        if frame is None or name not in readers or name not in frame.columns:
            continue
        values = frame[name]
        bad = values.is_null()
        if name == "months_served":  # 0..12, as the registry's posts reader has them
            bad = bad | ~values.cast(pl.Int64).is_between(0, MONTHS_PER_YEAR).fill_null(True)
        if bad.any():
            households = frame["household_id"].cast(pl.String).filter(bad)
            yield Problem(Msg(kind, column=name, steps=readers[name], count=households.len(),
                              households=households.unique(maintain_order=True).head(20).to_list()))
    for field_name, column in _PERSON_FIELDS.items():
        if persons is None or field_name not in readers or column not in persons.columns:
            continue
        values = persons[column]
        if values.null_count():
            households = persons["household_id"].cast(pl.String).filter(values.is_null())
            yield Problem(Msg("compute.blank_person", column=column, steps=readers[field_name], count=households.len(),
                              households=households.unique(maintain_order=True).head(20).to_list()))


def _return_villages(returns: pl.DataFrame) -> Iterator[Problem]:
    """A return without a village, or two returns of one village (the registry's returns reader
    refuses both; a direct caller's frame is checked here): the households would otherwise be
    joined to every return of their village and paid once per row."""
    ids = returns["village_id"].cast(pl.String)
    if ids.null_count():
        yield Problem(Msg("compute.return_no_village", count=ids.null_count()))
    known = ids.drop_nulls()
    if not ordered_distinct(known) and known.n_unique() != known.len():
        yield Problem(Msg("compute.duplicate_returns",
                          villages=known.filter(known.is_duplicated()).unique().sort().head(20).to_list()))


def _amount_blanks(scheme: Scheme, returns: pl.DataFrame, extra: Extra) -> Iterator[Problem]:
    """Blank amounts of the return (or negative: the registry's returns reader refuses those too),
    of amounts brought forward, of deductions, and of earlier payments when a cap reads them."""
    bad = returns["amount_fen"].is_null() | (returns["amount_fen"].cast(pl.Int64) < 0).fill_null(False)
    if bad.any():
        yield Problem(Msg("compute.return_amount", villages=returns["village_id"].cast(pl.String)
                          .filter(bad).head(20).to_list()))
    caps = any(isinstance(s, Cap) and s.over == "period" for s in scheme.steps)
    for frame, key, kind in ((extra.brought_forward, "village_id", "compute.brought_forward_blank"),
                             (extra.deductions, "household_id", "compute.deduction_blank"),
                             (extra.earlier_paid if caps else None, "household_id", "compute.earlier_paid_blank")):
        if frame is None or "amount_fen" not in frame.columns or not frame["amount_fen"].null_count():
            continue
        blank = frame[key].cast(pl.String).filter(frame["amount_fen"].is_null())
        yield Problem(Msg(kind, count=blank.len(), ids=blank.head(20).to_list()))


def _village_rows(hh: pl.DataFrame, villages: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.Series]:
    """``hh`` with ``vix`` (the row of its village in ``villages``, null without a return),
    ``villages`` with ``households`` (how many rows each has), and the villages of ``hh`` that
    have no return (sorted). Household rows are in village order and the villages sorted and
    distinct (the usual case): one pass finds the runs of equal village ids and each run's
    village is found by binary search among the returns, instead of joining a million text keys
    twice; otherwise the joins."""
    ids, keys = hh.get_column("village_id"), villages.get_column("village_id")
    if hh.height and keys.len() and not ids.null_count() and ids.is_sorted() and ordered_distinct(keys):
        runs = ids.rle().struct.unnest()
        values, lengths = runs["value"], runs["len"]
        pos = keys.search_sorted(values, side="left").clip(upper_bound=keys.len() - 1)
        found = keys.gather(pos) == values
        run_vix = pos.cast(pl.UInt32).zip_with(found, pl.repeat(None, pos.len(), dtype=pl.UInt32, eager=True))
        counts = (pl.zeros(keys.len(), dtype=pl.Int64, eager=True)
                  .scatter(pos.filter(found), lengths.filter(found).cast(pl.Int64)))
        return (hh.with_columns(run_vix.gather(ids.rle_id()).alias("vix")),
                villages.with_columns(counts.alias("households")), values.filter(~found))
    vix = villages.select("village_id").with_row_index("vix")
    hh = hh.join(vix, on="village_id", how="left", maintain_order="left")
    orphans = hh.filter(pl.col("vix").is_null())["village_id"].unique().sort()
    counts = hh.group_by("village_id").len()
    villages = villages.join(counts.rename({"len": "households"}), on="village_id", how="left",
                             maintain_order="left").with_columns(pl.col("households").fill_null(0).cast(pl.Int64))
    return hh, villages, orphans


def _with_brought_forward(villages: pl.DataFrame, bf: pl.DataFrame) -> tuple[pl.DataFrame, list[Problem]]:
    frame = bf.select(pl.col("village_id").cast(pl.String), pl.col("amount_fen").cast(pl.Int64))
    problems = []
    unknown = frame.filter(~pl.col("village_id").is_in(villages["village_id"].implode()))["village_id"].unique().sort()
    if unknown.len():
        problems.append(Problem(Msg("compute.brought_forward_village", villages=unknown.head(20).to_list())))
    if (frame["amount_fen"] < 0).any() or frame["village_id"].is_duplicated().any() or frame["village_id"].null_count():
        problems.append(Problem(Msg("compute.brought_forward_rows")))
    joined = villages.drop("brought_forward_fen").join(frame.rename({"amount_fen": "brought_forward_fen"}),
                                                       on="village_id", how="left", maintain_order="left")
    joined = joined.with_columns(pl.col("brought_forward_fen").fill_null(0))
    total = joined["return_fen"].cast(pl.Int128) + joined["brought_forward_fen"].cast(pl.Int128)
    if (total > INT64_MAX).any():
        problems.append(Problem(Msg("compute.brought_forward_rows")))
        return villages, problems
    return joined.with_columns(pool_fen=total.cast(pl.Int64)), problems


def _event_problems(events: pl.DataFrame, hh: pl.DataFrame, period: int,
                    ids_sorted: bool | None) -> tuple[list[Problem], pl.DataFrame]:
    """What is wrong with the events frame, and the frame typed, with each event's household row
    (``hrow``, found once for the month table too)."""
    missing = [c for c in EVENT_COLUMNS if c not in events.columns]
    if missing:
        raise TypeError(f"events frame lacks columns {missing}")
    ev = events.select([pl.col(c).cast(t) for c, t in EVENT_COLUMNS.items()])
    problems = []
    ev = ev.with_columns(hrow=rows_of(hh["household_id"], ev["household_id"], ids_sorted))
    if ev["hrow"].null_count():
        unknown = ev.filter(pl.col("hrow").is_null())["household_id"].unique().sort()
        problems.append(Problem(Msg("compute.event_household", households=unknown.head(20).to_list())))
    bad = ev.filter(~pl.col("event").is_in(list(EVENT_KINDS)) | pl.col("date").is_null()
                    | (pl.col("date").dt.year() != period)
                    | ((pl.col("event") == "status_changed") & ~pl.col("from_status").is_in(list(STATUSES)))
                    | ~pl.col("scope").is_in(["household", "person"]))
    if bad.height:
        problems.append(Problem(Msg("compute.event_rows", count=bad.height, period=period)))
    return problems, ev


def _accounts_first(accounts: pl.DataFrame, households: pl.DataFrame) -> pl.DataFrame:
    """The lines in (village, kind, id) order, from household lines already in (village, id)
    order: each village's account lines ("account" < "household"), sorted, go before its first
    household line. A sort of the few account lines and of one integer key instead of sorting
    every line by three text columns."""
    accounts = accounts.sort("village_id", "recipient_id")
    at = households.get_column("village_id").search_sorted(accounts.get_column("village_id"), side="left")
    key = pl.concat([(at.cast(pl.Int64) * 2).alias("_key"),
                     pl.int_range(0, households.height, dtype=pl.Int64, eager=True).alias("_key") * 2 + 1])
    lines = pl.concat([accounts, households], how="vertical")
    return lines.with_columns(key).sort("_key", maintain_order=True).drop("_key")


def _sorted(hh: pl.DataFrame) -> bool:
    if hh.height < 2:
        return True
    v, h = pl.col("village_id"), pl.col("household_id")
    ok = hh.select(((v.shift(-1) > v) | ((v.shift(-1) == v) & (h.shift(-1) >= h))).slice(0, hh.height - 1).all())
    return bool(ok.item())


MAX_AGE = 150


def ages(birth_dates: pl.Series, on: date) -> pl.Series:
    """Whole years of age on ``on``: a person is a year older on their birthday; someone born
    on 29 February turns a year older on 1 March in common years.

    Age is monotone in the birth date, so instead of calendar arithmetic on every row this
    binary-searches each date among the latest birth dates for ages 0..150:
    ``T_a = on - a years`` (``on`` = 29 Feb in a common year falls back to 28 Feb).
    """
    def years_before(a: int) -> date:
        try:
            return on.replace(year=on.year - a)
        except ValueError:  # 29 February -> 28 February of a common year
            return on.replace(year=on.year - a, day=28)

    epoch = date(1970, 1, 1)
    thresholds = pl.Series([(years_before(a) - epoch).days for a in range(MAX_AGE, -1, -1)], dtype=pl.Int32)
    days = birth_dates.cast(pl.Int32)
    return (thresholds.len() - 1 - thresholds.search_sorted(days, side="left").cast(pl.Int64)).rename("age")


def _person_counts(hh: pl.DataFrame, persons: pl.DataFrame, filters: set[Filter], on: date) -> pl.DataFrame:
    """Add, per person filter, the number of the household's persons matching it."""
    people = persons.select(pl.col("household_id").cast(pl.String), pl.col("birth_date").cast(pl.Date),
                            pl.col("able_to_work").cast(pl.Boolean), pl.col("student").cast(pl.Boolean))
    if not people["household_id"].is_sorted():
        people = people.sort("household_id")
    people = people.with_columns(ages(people["birth_date"], on), pl.col("household_id").rle_id().alias("_run"))
    ordered = sorted(filters, key=repr)
    columns = [persons_column(f) for f in ordered]
    counts = people.group_by("_run", maintain_order=True).agg(
        pl.col("household_id").first(),
        *[compile_filter(f).fill_null(False).sum().cast(pl.Int64).alias(c) for f, c in zip(ordered, columns)],
    )
    return hh.with_columns(align_to_households(hh["household_id"], counts, columns))


def align_to_households(ids: pl.Series, keyed: pl.DataFrame, columns: list[str]) -> list[pl.Series]:
    """Values of ``keyed`` (unique ``household_id``, sorted) for each id in ``ids``; 0 if absent.

    A binary search over sorted ids: much cheaper than a hash join of a million strings.
    """
    keys = keyed["household_id"]
    if keys.len() == 0:
        return [pl.repeat(0, ids.len(), dtype=pl.Int64, eager=True).alias(c) for c in columns]
    pos = keys.search_sorted(ids, side="left").clip(upper_bound=keys.len() - 1)
    found = keys.gather(pos) == ids
    return [keyed[c].gather(pos).zip_with(found, pl.Series([0], dtype=pl.Int64).extend_constant(0, ids.len() - 1)).rename(c)
            for c in columns]


def _step_filters(step: object) -> Iterator[Filter | None]:
    yield getattr(step, "eligible", None)
    shortfall = getattr(step, "shortfall", None)
    if shortfall is not None:
        yield from shortfall.priority
    if isinstance(step, ShareClasses):
        for c in step.classes:
            yield c.eligible


def _step_bases(step: object) -> Iterator[Basis]:
    if isinstance(step, PerUnit):
        yield step.rate.basis
    elif isinstance(step, ProRata):
        yield step.weight.basis
    elif isinstance(step, ShareClasses):
        yield from (c.weight.basis for c in step.classes if c.weight)
    elif isinstance(step, MinimumGuarantee):
        yield step.floor.basis
    elif isinstance(step, Cap):
        yield step.limit.basis


def _person_filters(scheme: Scheme) -> Iterator[tuple[str, Filter]]:
    protected = scheme.deductions.protected
    if protected is not None and protected.basis.kind == "persons" and protected.basis.persons is not None:
        yield DEDUCTIONS, protected.basis.persons
    for step in scheme.steps:
        for f in _step_filters(step):
            for pf in person_filters(f):
                yield step.id, pf
        for basis in _step_bases(step):
            if basis.kind == "persons" and basis.persons is not None:
                yield step.id, basis.persons


def _posts_needed(scheme: Scheme) -> list[str]:
    needs = [s.id for s in scheme.steps if _step_uses_posts(s)]
    if scheme.deductions.protected is not None and scheme.deductions.protected.basis.kind == "post":
        needs.append(DEDUCTIONS)
    return needs


def roster_problems(scheme: Scheme, *, posts: bool, persons: bool) -> list[Problem]:
    """The rosters ``scheme`` needs and were not given (``posts``/``persons``: whether they
    were): the engine's own check, also asked before a run is created from a stored registry."""
    problems: list[Problem] = []
    needs_posts = _posts_needed(scheme)
    person_needs = list(_person_filters(scheme))
    if needs_posts and not posts:
        problems.append(Problem(Msg("compute.needs_posts", steps=needs_posts)))
    if person_needs and not persons:
        problems.append(Problem(Msg("compute.needs_persons", steps=sorted({s for s, _ in person_needs}))))
    return problems


def _step_uses_posts(step: object) -> bool:
    return (
        isinstance(step, PostSubsidy)
        or any(uses_posts(f) for f in _step_filters(step))
        or any(b.kind == "post" for b in _step_bases(step))
    )


# ------------------------------------------------------------------------------------ result


def _summaries(ctx: RunContext, index: int, step_id: str, kind: str, available: pl.Series,
               outcome: StepOutcome) -> list[pl.DataFrame]:
    def frame(part: str, o: StepOutcome, avail: pl.Series, remaining: pl.Series) -> pl.DataFrame:
        recipients = ctx.zeros()
        if o.household_recipients is not None:
            recipients = o.household_recipients
        elif o.households is not None:
            recipients = ctx.count_per_village(o.households != 0)
        recipients = recipients + sum((fen != 0).cast(pl.Int64) for fen in o.accounts.values()) if o.accounts else recipients
        return pl.DataFrame({
            "village_id": ctx.villages["village_id"],
            "step_index": pl.Series([index + 1] * ctx.v, dtype=pl.Int64),
            "step_id": pl.Series([step_id] * ctx.v, dtype=pl.String),
            "part": pl.Series([part] * ctx.v, dtype=pl.String),
            "kind": pl.Series([kind] * ctx.v, dtype=pl.String),
            "available_fen": avail, "requested_fen": o.requested, "paid_fen": o.paid,
            "shortfall_fen": o.shortfall,
            "unallocated_fen": o.unallocated if o.unallocated is not None else ctx.zeros(),
            "recipients": recipients,
            "floors_applied": o.floors_applied if o.floors_applied is not None else ctx.zeros(),
            "remaining_fen": remaining,
        })

    out = [frame("", outcome, available, ctx.remaining)]
    for part, o in outcome.parts:
        out.append(frame(part, o, o.requested, o.unallocated if o.unallocated is not None else ctx.zeros()))
    return out


def _result(scheme: Scheme, period: int, ctx: RunContext, run: _Run,
            deduction_rows: pl.DataFrame | None) -> Allocation:
    extra = run.columns
    steps = ([BROUGHT_FORWARD] if BROUGHT_FORWARD in extra else []) + list(scheme.step_ids) \
        + ([DEDUCTIONS] if DEDUCTIONS in extra else [])
    hh = ctx.hh
    household_steps = set(ctx.household_steps)
    # the total adds up the columns of steps that pay households (the others are zero on every
    # household row: summing a column of zeros costs a pass over a million rows for nothing)
    paying = [pl.col(s) for s in steps if s in household_steps]
    households = hh.select(
        "village_id", "household_id", "status",
        *[pl.col(s) if s in household_steps else pl.lit(0, pl.Int64).alias(s) for s in steps],
    ).with_columns((pl.sum_horizontal(paying) if paying else pl.lit(0)).cast(pl.Int64).alias("amount_fen"))
    account_frames = []
    for account in scheme.accounts:
        columns = {s: run.cells.get((account, s), ctx.zeros()) for s in steps}
        account_frames.append(pl.DataFrame({
            "village_id": ctx.villages["village_id"],
            "account": pl.Series([account] * ctx.v, dtype=pl.String),
            **columns,
        }))
    accounts = (pl.concat(account_frames) if account_frames else pl.DataFrame())
    accounts = accounts.with_columns(pl.sum_horizontal([pl.col(s) for s in steps]).cast(pl.Int64).alias("amount_fen"))
    accounts = accounts.sort("village_id", "account")
    summary = pl.concat(run.summaries).sort("village_id", "step_index", maintain_order=True).select(SUMMARY_COLUMNS)
    columns = tuple(steps) if extra else ()
    return Allocation(scheme, period, ctx.villages.select("village_id", "pool_fen", "households", "return_fen",
                                                          "brought_forward_fen"),
                      households, accounts, summary, tuple(run.checks), columns, deduction_rows)
