"""The state a run of steps works on, and the helpers every step kind shares.

All villages are evaluated at once: household rows carry ``vix`` (the village's index) and are
sorted by village and household id, so every split is a window over ``vix`` with ties broken
by household id. Per-village amounts are ``Int64`` Series of length V, aligned with
``villages``. A step returns a :class:`StepOutcome`; the engine applies it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

import polars as pl

from schemes.filters import Filter, compile_filter, persons_column
from schemes.i18n import Msg
from schemes.model import Basis, Rate, Scheme, Shortfall, Take, Weight
from schemes.money import I128, INT64_MAX, format_yuan, hamilton
from schemes.problems import InputError, Problem

ZERO = pl.lit(0, pl.Int64)


@dataclass(frozen=True)
class SplitCheck:
    """Evidence for the "within one fen of the exact share" invariant: per row, the group's pool,
    the row's weight and what the row got."""

    step_id: str
    part: str
    frame: pl.DataFrame  # columns: group (Int64), pool (Int64), weight (Int128), out (Int64)


@dataclass(frozen=True)
class FloorCheck:
    """Evidence for "floors met or shortfall reported": per eligible household row."""

    step_id: str
    frame: pl.DataFrame  # columns: vix, floor (Int64), total (Int64) for eligible rows
    shortfall: pl.Series  # per village


@dataclass
class StepOutcome:
    households: pl.Series | None  # Int64 per household row (None: the step pays no household)
    accounts: dict[str, pl.Series]  # account -> Int64 per village (negative: drawn from it)
    requested: pl.Series  # per village: what the step asked for
    paid: pl.Series  # per village: what it put on lines (top-ups, excess moved, tranche split)
    shortfall: pl.Series  # per village: requested but not paid for lack of money
    unallocated: pl.Series | None = None  # per village: taken but nobody eligible; stays in remaining
    floors_applied: pl.Series | None = None  # per village: recipients topped up
    parts: list[tuple[str, StepOutcome]] = field(default_factory=list)  # share classes
    checks: list[SplitCheck | FloorCheck] = field(default_factory=list)
    # per village, when the step already knows them (a step touching few rows): the sum of
    # ``households`` and how many rows are not zero, so the engine need not scan every row
    household_totals: pl.Series | None = None
    household_recipients: pl.Series | None = None


class RunContext:
    """What steps read: households, villages, balances so far. The engine owns the updates."""

    def __init__(self, scheme: Scheme, hh: pl.DataFrame, villages: pl.DataFrame,
                 posts: pl.DataFrame | None, persons: pl.DataFrame | None, period: int) -> None:
        self.scheme = scheme
        self.hh = hh
        self.villages = villages
        self.posts = posts
        self.persons = persons
        self.period = period
        self.v = villages.height
        self.pool: pl.Series = villages["pool_fen"]
        self.remaining: pl.Series = villages["pool_fen"].clone()
        self.account_balance: dict[str, pl.Series] = {}
        self.household_steps: list[str] = []
        self.step_id = ""  # the step being evaluated, for messages
        self._ids_sorted: bool | None = None
        # prorated steps: eligible unit-months (hrow, um) of the households with events
        self.unit_months: dict[str, pl.DataFrame] = {}

    def rows_of(self, ids: pl.Series) -> pl.Series:
        """The household row of each id (null where the registry has no such household)."""
        if self._ids_sorted is None:
            self._ids_sorted = self.hh["household_id"].is_sorted()
        return rows_of(self.hh["household_id"], ids, self._ids_sorted)

    def too_large(self, what: pl.Series) -> None:
        """Refuse (a located input error, never a crash) when exact amounts leave Int64 fen."""
        big = what.cast(I128) > INT64_MAX
        if big.any():
            vix = int(big.arg_true()[0]) if what.len() == self.v else None
            village = self.villages["village_id"][vix] if vix is not None else "-"
            step = self.scheme.step(self.step_id) if self.step_id in self.scheme.step_ids else None
            raise InputError([Problem(Msg("compute.too_large", step=self.step_id, village=village,
                                          maximum=format_yuan(INT64_MAX)),
                                      file=self.scheme.file or None, line=step.line if step else None)])

    # ---------------------------------------------------------------- per-village plumbing

    def zeros(self) -> pl.Series:
        return pl.Series("fen", [0] * self.v, dtype=pl.Int64)

    def per_village(self, values: pl.Series | pl.Expr, frame: pl.DataFrame | None = None) -> pl.Series:
        """Sum a per-household-row column into a per-village Series (length V)."""
        frame = self.hh if frame is None else frame
        if isinstance(values, pl.Series):
            fast = sums_by_sorted_vix(frame["vix"], values, self.v)
            if fast is not None:
                return fast
        expr = values if isinstance(values, pl.Expr) else pl.lit(values)
        sums = (
            frame.lazy().select(pl.col("vix"), expr.cast(I128).alias("x"))
            .group_by("vix").agg(pl.col("x").sum())
            .collect(engine="in-memory")
        )
        out = pl.DataFrame({"vix": pl.arange(0, self.v, eager=True, dtype=pl.Int64)})
        joined = out.join(sums.with_columns(pl.col("vix").cast(pl.Int64)), on="vix", how="left", maintain_order="left")
        x = joined["x"].fill_null(0)
        self.too_large(x)
        return x.cast(pl.Int64).rename("fen")

    def per_village_each(self, values: list[pl.Series], vix: pl.Series) -> list[pl.Series]:
        """:meth:`per_village` of each of ``values``, all on the rows whose village index is
        ``vix``: the villages' first rows are found once for all of them."""
        fast = sums_by_sorted_vix_each(vix, values, self.v)
        if fast is not None:
            return fast
        frame = vix.cast(pl.Int64).alias("vix").to_frame()
        return [self.per_village(x, frame) for x in values]

    def count_per_village(self, mask: pl.Series) -> pl.Series:
        return self.per_village(mask.cast(pl.Int64))

    def to_rows(self, per_village: pl.Series) -> pl.Series:
        """Broadcast a per-village Series to household rows."""
        return per_village.gather(self.hh["vix"])

    def balance(self, account: str) -> pl.Series:
        return self.account_balance.get(account, self.zeros())

    # ------------------------------------------------------------------------ expressions

    def column(self, expr: pl.Expr, name: str) -> pl.Series:
        """Evaluate an expression over household rows (a literal is broadcast to every row)."""
        return self.hh.select(pl.col("vix"), expr.alias(name))[name]

    def eligible(self, f: Filter | None) -> pl.Series:
        return self.column(compile_filter(f).fill_null(False), "eligible")

    def take(self, take: Take) -> pl.Series:
        """What a step asks for, per village (percent rounds down; the fraction stays behind)."""
        if take.amount_fen is not None:
            return pl.Series("fen", [take.amount_fen] * self.v, dtype=pl.Int64)
        assert take.percent is not None
        base = self.pool if take.of == "pool" else self.remaining
        return floor_times(base, take.percent)

    def weights(self, weight: Weight, eligible: pl.Series) -> pl.Series:
        """``(units + bonus[status]) * multiplier[status]`` as exact integers (scaled)."""
        units = units_expr(weight.basis).cast(I128)
        expr = units
        if weight.bonus:
            scale = _common_denominator(weight.bonus.values())
            expr = units * scale + _status_map(weight.bonus, scale)
        if weight.multiplier:
            scale = _common_denominator(weight.multiplier.values())
            expr = expr * _status_map(weight.multiplier, scale)
        w = self.column(expr, "w")
        return pl.select(pl.when(pl.lit(eligible)).then(pl.lit(w)).otherwise(pl.lit(0, I128)).alias("w"))["w"]

    def needs(self, rate: Rate, eligible: pl.Series, rounding: str) -> pl.Series:
        """Per household row: ``units * amount`` or ``capital * percent`` in fen, rounded by
        ``rounding`` (``half_up`` for payments, ``ceil`` for floors, ``floor`` for caps)."""
        factor = rate.amount_fen if rate.amount_fen is not None else rate.percent.numerator  # type: ignore[union-attr]
        denominator = 1 if rate.amount_fen is not None else rate.percent.denominator  # type: ignore[union-attr]
        # every intermediate below 2**62 (units * factor, doubled and plus the denominator for
        # the rounding): the same integers in Int64, without Int128's slow division
        wide = pl.Int64 if self._units_bound(rate.basis) * (2 * abs(factor) + 1) + 2 * denominator < 2**62 else I128
        units = units_expr(rate.basis).cast(wide)
        if rate.amount_fen is not None:
            expr = units * rate.amount_fen
        else:
            assert rate.percent is not None
            expr = divide(units * rate.percent.numerator, rate.percent.denominator, rounding, wide)
        value = self.column(pl.when(pl.lit(eligible)).then(expr).otherwise(pl.lit(0, wide)), "need")
        if wide == I128:
            self.too_large(value)
        return value.cast(pl.Int64)

    def _units_bound(self, basis: Basis) -> int:
        """The largest magnitude of ``basis``'s units over the household rows (a huge number when
        unknown: then Int128)."""
        units = self.hh.select(units_expr(basis).alias("u"))
        if units.height == 0:
            return 0
        column = units.get_column("u")
        if not column.dtype.is_integer() or column.dtype == pl.UInt64:
            return 2**64
        low, high = column.min(), column.max()
        if low is None or high is None:
            return 0
        return max(abs(int(low)), abs(int(high)))

    def prorated_needs(self, rate: Rate, eligible: pl.Series, unit_months: pl.DataFrame) -> pl.Series:
        """Per household row: ``amount * eligible unit-months / 12``, rounded half up once. A
        household without events has 12 times its units when eligible: that is the whole
        year's ``units * amount`` exactly, priced as an unprorated step would; only the rows of
        ``unit_months`` (households with events: ``hrow``, ``um``) are prorated."""
        assert rate.amount_fen is not None
        whole = self.needs(rate, eligible, "half_up")
        if unit_months.height == 0:
            return whole
        value = unit_months.select(divide(pl.col("um").cast(I128) * rate.amount_fen, 12, "half_up").alias("need"))["need"]
        self.too_large(value)
        return whole.scatter(unit_months["hrow"], value.cast(pl.Int64))

    # ------------------------------------------------------------------- paying needs

    def pay_needs(self, step_id: str, need: pl.Series, available: pl.Series, shortfall: Shortfall) -> StepOutcome:
        """Pay each household row its ``need`` from ``available`` (per village), following the
        shortfall policy. Returns paid lines and per-village totals (no accounts)."""
        needed = self.per_village(need)
        checks: list[SplitCheck | FloorCheck] = []
        if shortfall.policy == "priority":
            paid, check = self._pay_priority(step_id, need, available, shortfall)
            checks.append(check)
        else:
            granted = needed.zip_with(needed <= available, available)
            if shortfall.policy == "refuse":
                self.refuse_if_short(step_id, needed, available)
                granted = needed
            frame = pl.DataFrame({"vix": self.hh["vix"], "need": need, "needed": self.to_rows(needed),
                                  "granted": self.to_rows(granted)})
            paid = need
            if (granted < needed).any():
                # every product need x grant below 2**62 (nothing negative): the same integers in
                # Int64, faster than Int128 and half the memory (as a claim group's cut does)
                wide = pl.Int64 if _narrow(need, granted) else I128
                cut = hamilton(frame, pl.col("need").cast(wide) * pl.col("granted").cast(wide), pl.col("needed"),
                               pl.col("granted"), "vix", dtype=pl.Int64 if wide == pl.Int64 else None)
                paid = frame.select(pl.when(pl.col("granted") == pl.col("needed")).then(pl.col("need"))
                                    .otherwise(pl.lit(cut)).alias("paid"))["paid"]
            if (granted < needed).any():
                return StepOutcome(paid, {}, needed, granted, needed - granted, checks=[
                    SplitCheck(step_id, "", pl.DataFrame({"group": frame["vix"], "pool": frame["granted"],
                                                          "weight": need.cast(I128), "out": paid})
                               .filter(pl.col("pool") < self.to_rows(needed)))
                ])
        total = self.per_village(paid)
        return StepOutcome(paid, {}, needed, total, needed - total, checks=checks)

    def _pay_priority(self, step_id: str, need: pl.Series, available: pl.Series,
                      shortfall: Shortfall) -> tuple[pl.Series, SplitCheck]:
        groups = len(shortfall.priority)
        rank = pl.lit(groups, pl.Int64)
        for i in reversed(range(groups)):
            rank = pl.when(compile_filter(shortfall.priority[i]).fill_null(False)).then(pl.lit(i, pl.Int64)).otherwise(rank)
        frame = self.hh.select("vix", rank.alias("rank")).with_columns(need=need)
        by_group = (
            frame.group_by("vix", "rank").agg(pl.col("need").sum().alias("group_need"))
            .sort("vix", "rank")
            .with_columns(before=pl.col("group_need").cum_sum().over("vix") - pl.col("group_need"))
        )
        avail = pl.DataFrame({"vix": pl.arange(0, self.v, eager=True, dtype=by_group["vix"].dtype), "avail": available})
        by_group = by_group.join(avail, on="vix", how="left").with_columns(
            granted=pl.min_horizontal(pl.col("group_need"), pl.max_horizontal(pl.col("avail") - pl.col("before"), 0))
        )
        frame = frame.join(by_group.select("vix", "rank", "group_need", "granted"), on=["vix", "rank"],
                           how="left", maintain_order="left")
        cut = hamilton(frame, pl.col("need").cast(I128) * pl.col("granted"), pl.col("group_need"),
                       pl.col("granted"), ["vix", "rank"])
        paid = frame.select(pl.when(pl.col("granted") == pl.col("group_need")).then(pl.col("need"))
                            .otherwise(pl.lit(cut)).alias("paid"))["paid"]
        # the group that got part of what it needed was pro-rated: it owes the one-fen check
        partial = frame.with_columns(paid=paid).filter(pl.col("granted") < pl.col("group_need"))
        check = SplitCheck(step_id, "priority", partial.select(
            (pl.col("vix") * (groups + 1) + pl.col("rank")).cast(pl.Int64).alias("group"),
            pl.col("granted").cast(pl.Int64).alias("pool"), pl.col("need").cast(I128).alias("weight"),
            pl.col("paid").alias("out")))
        return paid, check

    def refuse_if_short(self, step_id: str, needed: pl.Series, available: pl.Series) -> None:
        short = (needed > available)
        if not short.any():
            return
        problems = []
        for vix in short.arg_true().to_list():
            problems.append(Problem(Msg("compute.refused", step=step_id, village=self.villages["village_id"][vix],
                                        needed=format_yuan(needed[vix]), available=format_yuan(available[vix]))))
        raise InputError(problems)

    def grant(self, step_id: str, requested: pl.Series, shortfall: Shortfall) -> pl.Series:
        """Tranche steps: what they get of ``requested`` given what remains."""
        if shortfall.policy == "refuse":
            self.refuse_if_short(step_id, requested, self.remaining)
            return requested
        return requested.zip_with(requested <= self.remaining, self.remaining)


# ------------------------------------------------------------------------ pure expressions


def _narrow(need: pl.Series, granted: pl.Series) -> bool:
    """Whether ``need * granted`` (per row, ``granted`` per village) and every sum of needs stay
    below 2**62 with nothing negative: then Int64 gives the integers Int128 would."""
    if need.len() == 0 or granted.len() == 0 or need.null_count() or granted.null_count():
        return False
    lo, hi, g_lo, g_hi = need.min(), need.max(), granted.min(), granted.max()
    assert isinstance(lo, int) and isinstance(hi, int) and isinstance(g_lo, int) and isinstance(g_hi, int)
    return lo >= 0 and g_lo >= 0 and hi * max(g_hi, need.len()) < 2**62


def sums_by_sorted_vix(vix: pl.Series, values: pl.Series, v: int) -> pl.Series | None:
    """The per-village sums of ``values`` (Int64, length ``v``) when the rows' village index
    ``vix`` is in order (household rows always are) and no running sum can leave Int64 (every
    value times the number of rows below 2**62): one running sum read at each village's first
    and last row, instead of a group_by and a join (whose fixed cost dominates on the few rows
    of deductions). None when those conditions do not hold (the general path then)."""
    sums = sums_by_sorted_vix_each(vix, [values], v)
    return sums[0] if sums is not None else None


def sums_by_sorted_vix_each(vix: pl.Series, values: list[pl.Series], v: int) -> list[pl.Series] | None:
    """:func:`sums_by_sorted_vix` of each of ``values`` (rows in the order of ``vix``), the
    villages' bounds found once; None unless every one of them can take that path."""
    n = vix.len()
    for x in values:
        if x.len() != n or not x.dtype.is_integer() or x.dtype in (pl.UInt64, I128) or x.null_count():
            return None
    if vix.null_count():
        return None
    if n == 0:
        return [pl.zeros(v, dtype=pl.Int64, eager=True).rename("fen") for _ in values]
    wide = [x.cast(pl.Int64) for x in values]
    for x in wide:
        lo, hi = x.min(), x.max()
        assert isinstance(lo, int) and isinstance(hi, int)
        if max(abs(lo), abs(hi)) * n >= 2**62:
            return None
    at = vix.cast(pl.Int64)
    if not at.is_sorted() or at[0] < 0 or at[-1] >= v:
        return None
    if n >= SORTED_GROUP_ROWS:
        # flagged sorted, polars sums each village's rows as a slice (no hashing of the keys):
        # cheaper than a running sum of every column on many rows
        names = [f"x{i}" for i in range(len(wide))]
        sums = (pl.DataFrame([at.alias("vix").set_sorted(), *(x.alias(c) for x, c in zip(wide, names))])
                .group_by("vix", maintain_order=True).agg(pl.col(c).sum() for c in names))
        keys = sums.get_column("vix")
        return [pl.zeros(v, dtype=pl.Int64, eager=True).scatter(keys, sums.get_column(c)).rename("fen") for c in names]
    bounds = at.search_sorted(pl.int_range(0, v + 1, dtype=pl.Int64, eager=True), side="left")
    first, last = bounds.slice(0, v), bounds.slice(1)
    out = []
    for x in wide:
        running = pl.concat([pl.zeros(1, dtype=pl.Int64, eager=True), x.cum_sum()])
        out.append((running.gather(last) - running.gather(first)).rename("fen"))
    return out


SORTED_GROUP_ROWS = 50_000
"""From this many rows :func:`sums_by_sorted_vix_each` sums by a sorted group_by (its fixed cost
outweighs the running sums on fewer rows: a few deductions)."""


def rows_of(household_ids: pl.Series, ids: pl.Series, ids_sorted: bool | None = None) -> pl.Series:
    """Positions of ``ids`` in ``household_ids`` (unique), null where absent. Registries number
    households within their village, so the ids are usually sorted already: then a binary search
    of the few ids asked for, instead of hashing a million strings."""
    ids = ids.cast(pl.String)
    if household_ids.is_sorted() if ids_sorted is None else ids_sorted:
        if household_ids.len() == 0 or ids.len() == 0:
            return pl.repeat(None, ids.len(), dtype=pl.Int64, eager=True).alias("hrow")
        if ids.null_count() == 0 and ids.is_sorted():
            pos = _asof_rows(household_ids, ids)
        else:
            pos = household_ids.search_sorted(ids, side="left").cast(pl.Int64).clip(upper_bound=household_ids.len() - 1)
        found = household_ids.gather(pos) == ids
        return pl.select(pl.when(pl.lit(found)).then(pl.lit(pos))).to_series().rename("hrow")
    rows = household_ids.to_frame("household_id").with_row_index("hrow").with_columns(pl.col("hrow").cast(pl.Int64))
    return ids.to_frame("household_id").join(rows, on="household_id", how="left", maintain_order="left")["hrow"]



def _asof_rows(household_ids: pl.Series, ids: pl.Series) -> pl.Series:
    """For sorted ``ids`` (an input file in id order, the usual case): the row of the last
    household id not above each id, by one merge of the two sorted columns (an as-of join)
    instead of a binary search per id; 0 where none is (the caller compares the ids found)."""
    left = ids.rename("_id").to_frame().set_sorted("_id")
    right = pl.DataFrame({"_id": household_ids, "_row": pl.int_range(0, household_ids.len(), eager=True, dtype=pl.Int64)})
    joined = left.join_asof(right.set_sorted("_id"), on="_id", strategy="backward", check_sortedness=False)
    return joined["_row"].fill_null(0)


def units_expr(basis: Basis) -> pl.Expr:
    match basis.kind:
        case "household":
            return pl.lit(1, pl.Int64)
        case "person":
            return pl.col("members")
        case "able_person":
            return pl.col("able_members")
        case "unable_person":
            return pl.col("unable_members")
        case "share":
            return pl.col("shares")
        case "capital":
            return pl.col("capital_fen")
        case "post":
            return pl.col("post_count")
        case "persons":
            assert basis.persons is not None
            return pl.col(persons_column(basis.persons))
    raise AssertionError(basis.kind)


def divide(numerator: pl.Expr, denominator: int, rounding: str, dtype: pl.DataType | None = None) -> pl.Expr:
    """Integer division of a non-negative Int128 expression with an explicit rounding rule
    (``dtype``: Int64 when the caller bounded every intermediate below 2**62)."""
    d = pl.lit(denominator, dtype or I128)
    if rounding == "floor":
        return numerator // d
    if rounding == "ceil":
        return (numerator + d - 1) // d
    if rounding == "half_up":
        return (numerator * 2 + d) // (d * 2)
    raise ValueError(rounding)


def floor_times(values: pl.Series, fraction: Fraction) -> pl.Series:
    return pl.select(
        (pl.lit(values).cast(I128) * fraction.numerator // fraction.denominator).cast(pl.Int64).alias("fen")
    )["fen"]


def _common_denominator(values: object) -> int:
    from math import lcm
    d = 1
    for v in values:  # type: ignore[attr-defined]
        d = lcm(d, v.denominator)
    return d


def _status_map(by_status: Mapping[str, Fraction], scale: int) -> pl.Expr:
    mapping = {k: int(v * scale) for k, v in by_status.items()}
    return pl.col("status").replace_strict(mapping, default=0, return_dtype=I128)


def split(ctx: RunContext, step_id: str, part: str, pools: pl.Series, weights: pl.Series) -> tuple[pl.Series, pl.Series, SplitCheck]:
    """Split each village's pool over household rows by weight (largest remainder).

    Returns the lines, the per-village amount nobody could take (all weights zero: it stays in
    ``remaining``), and the evidence for the one-fen invariant.
    """
    from schemes.money import split_by_weight

    frame = pl.DataFrame({"group": ctx.hh["vix"].cast(pl.Int64), "pool": ctx.to_rows(pools), "weight": weights.cast(I128)})
    out = split_by_weight(frame, pl.col("pool"), pl.col("weight"), "group").rename("out")
    takers = ctx.count_per_village(weights > 0)
    unallocated = pools.zip_with(takers == 0, ctx.zeros())
    return out, unallocated, SplitCheck(step_id, part, frame.with_columns(out=out))
