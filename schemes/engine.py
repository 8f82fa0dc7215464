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
from schemes.filters import Filter, compile_filter, persons_column, person_filters, uses_posts
from schemes.i18n import Msg
from schemes.model import (
    Basis, Cap, MinimumGuarantee, PerUnit, PostSubsidy, ProRata, Scheme, ShareClasses,
)
from schemes.problems import InputError, Problem
from schemes.steps import EVALUATORS
from schemes.steps.context import FloorCheck, RunContext, SplitCheck, StepOutcome

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
    villages: pl.DataFrame  # village_id, pool_fen, households
    households: pl.DataFrame
    accounts: pl.DataFrame
    summary: pl.DataFrame
    checks: tuple[SplitCheck | FloorCheck, ...]
    _lines: list[pl.DataFrame] = field(default_factory=list, repr=False, compare=False)

    @property
    def step_ids(self) -> tuple[str, ...]:
        return self.scheme.step_ids

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
        lines = pl.concat([accounts, households], how="vertical")
        nonzero = pl.any_horizontal([pl.col(s) != 0 for s in steps])
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
) -> Allocation:
    """Compute the allocation; raises :class:`InputError` for data the scheme cannot use."""
    ctx = _prepare(scheme, households, returns, period, posts, persons)
    summaries: list[pl.DataFrame] = []
    checks: list[SplitCheck | FloorCheck] = []
    cells: dict[tuple[str, str], pl.Series] = {}  # (account, step) -> per village
    total = len(scheme.steps)
    for index, step in enumerate(scheme.steps):
        if progress:
            progress(index, total, step.id)
        available = ctx.remaining
        outcome: StepOutcome = EVALUATORS[step.kind](step, ctx)
        delta = ctx.zeros()
        if outcome.households is not None:
            ctx.hh = ctx.hh.with_columns(outcome.households.cast(pl.Int64).alias(step.id))
            ctx.household_steps.append(step.id)
            delta = delta + ctx.per_village(outcome.households)
        for account, fen in outcome.accounts.items():
            cells[(account, step.id)] = cells.get((account, step.id), ctx.zeros()) + fen
            ctx.account_balance[account] = ctx.balance(account) + fen
            delta = delta + fen
        ctx.remaining = available - delta
        if (ctx.remaining < 0).any():  # a bug, never a user error: every step is bounded
            raise AssertionError(f"step {step.id} overdrew the remaining balance")
        summaries.extend(_summaries(ctx, index, step.id, step.kind, available, outcome))
        checks.extend(outcome.checks)
    if progress:
        progress(total, total, "")
    return _result(scheme, period, ctx, cells, summaries, checks)


# ----------------------------------------------------------------------------- preparation


def _prepare(scheme: Scheme, households: pl.DataFrame, returns: pl.DataFrame, period: int,
             posts: pl.DataFrame | None, persons: pl.DataFrame | None) -> RunContext:
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
    if hh["household_id"].n_unique() != hh.height:
        dup = hh.filter(pl.col("household_id").is_duplicated())["household_id"].unique().sort()
        problems.append(Problem(Msg("compute.duplicate_households", ids=dup.head(20).to_list())))
    vix = villages.select("village_id").with_row_index("vix")
    hh = hh.join(vix, on="village_id", how="left", maintain_order="left")
    orphans = hh.filter(pl.col("vix").is_null())["village_id"].unique().sort()
    if orphans.len():
        problems.append(Problem(Msg("compute.no_return", villages=orphans.head(20).to_list())))
    counts = hh.group_by("village_id").len()
    villages = villages.join(counts.rename({"len": "households"}), on="village_id", how="left",
                             maintain_order="left").with_columns(pl.col("households").fill_null(0).cast(pl.Int64))

    needs_posts = [s.id for s in scheme.steps if _step_uses_posts(s)]
    person_needs = list(_person_filters(scheme))
    if needs_posts and posts is None:
        problems.append(Problem(Msg("compute.needs_posts", steps=needs_posts)))
    if person_needs and persons is None:
        problems.append(Problem(Msg("compute.needs_persons", steps=sorted({s for s, _ in person_needs}))))
    if problems:
        raise InputError(problems)

    hh = hh.with_columns(pl.col("vix").cast(pl.Int64), (pl.col("members") - pl.col("able_members")).alias("unable_members"))
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
    return RunContext(scheme, hh, villages, post_frame, persons, period)


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
        return [pl.Series(c, [0] * ids.len(), dtype=pl.Int64) for c in columns]
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
    for step in scheme.steps:
        for f in _step_filters(step):
            for pf in person_filters(f):
                yield step.id, pf
        for basis in _step_bases(step):
            if basis.kind == "persons" and basis.persons is not None:
                yield step.id, basis.persons


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
        if o.households is not None:
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


def _result(scheme: Scheme, period: int, ctx: RunContext, cells: dict[tuple[str, str], pl.Series],
            summaries: list[pl.DataFrame], checks: list[SplitCheck | FloorCheck]) -> Allocation:
    steps = list(scheme.step_ids)
    hh = ctx.hh
    household_steps = set(ctx.household_steps)
    households = hh.select(
        "village_id", "household_id", "status",
        *[pl.col(s) if s in household_steps else pl.lit(0, pl.Int64).alias(s) for s in steps],
    ).with_columns(pl.sum_horizontal([pl.col(s) for s in steps]).cast(pl.Int64).alias("amount_fen"))
    account_frames = []
    for account in scheme.accounts:
        columns = {s: cells.get((account, s), ctx.zeros()) for s in steps}
        account_frames.append(pl.DataFrame({
            "village_id": ctx.villages["village_id"],
            "account": pl.Series([account] * ctx.v, dtype=pl.String),
            **columns,
        }))
    accounts = (pl.concat(account_frames) if account_frames else pl.DataFrame())
    accounts = accounts.with_columns(pl.sum_horizontal([pl.col(s) for s in steps]).cast(pl.Int64).alias("amount_fen"))
    accounts = accounts.sort("village_id", "account")
    summary = pl.concat(summaries).sort("village_id", "step_index", maintain_order=True).select(SUMMARY_COLUMNS)
    return Allocation(scheme, period, ctx.villages.select("village_id", "pool_fen", "households"),
                      households, accounts, summary, tuple(checks))
