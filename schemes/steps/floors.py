"""Minimum guarantees (top up to a floor from named sources) and caps (cut above a limit)."""
from __future__ import annotations

import polars as pl

from schemes.model import REMAINING, Cap, MinimumGuarantee
from schemes.steps.context import FloorCheck, RunContext, StepOutcome


def _received(ctx: RunContext, counts: tuple[str, ...] | None) -> pl.Series:
    steps = list(counts) if counts is not None else list(ctx.household_steps)
    if not steps:
        return pl.zeros(ctx.hh.height, dtype=pl.Int64, eager=True).rename("fen")
    return ctx.hh.select(pl.sum_horizontal([pl.col(s) for s in steps]).alias("fen"))["fen"]


def minimum_guarantee(step: MinimumGuarantee, ctx: RunContext) -> StepOutcome:
    """Top every eligible household up to its floor (rounded up to the fen), paid from the
    sources in the order the scheme names them; a shortfall follows the step's policy."""
    eligible = ctx.eligible(step.eligible)
    floor = ctx.needs(step.floor, eligible, "ceil")
    received = _received(ctx, step.counts)
    need = pl.select(
        pl.when(pl.lit(eligible) & (pl.lit(floor) > pl.lit(received)))
        .then(pl.lit(floor) - pl.lit(received)).otherwise(0).alias("need")
    )["need"]
    balances = [(s, ctx.remaining if s == REMAINING else ctx.balance(s).clip(lower_bound=0)) for s in step.funded_by]
    available = ctx.zeros()
    for _, b in balances:
        available = available + b
    outcome = ctx.pay_needs(step.id, need, available, step.shortfall)
    left = outcome.paid
    for source, bal in balances:
        drawn = left.zip_with(left <= bal, bal)
        left = left - drawn
        if source != REMAINING:
            outcome.accounts[source] = outcome.accounts.get(source, ctx.zeros()) - drawn
    assert outcome.households is not None
    outcome.floors_applied = ctx.count_per_village(outcome.households > 0)
    rows = pl.DataFrame({"vix": ctx.hh["vix"], "floor": floor, "total": received + outcome.households})
    outcome.checks.append(FloorCheck(step.id, rows.filter(pl.lit(eligible)), outcome.shortfall))
    return outcome


def cap(step: Cap, ctx: RunContext) -> StepOutcome:
    """Cut each eligible household's counted payments to its limit (rounded down to the fen);
    the excess goes to the named account or back to ``remaining`` for later steps. ``over:
    period`` adds what earlier runs of the period paid the household (an input) to what it
    receives here: the later run is cut, never below zero."""
    eligible = ctx.eligible(step.eligible)
    limit = ctx.needs(step.limit, eligible, "floor")
    received = _received(ctx, step.counts)
    earlier = ctx.hh["__earlier_paid"] if step.over == "period" else pl.zeros(ctx.hh.height, dtype=pl.Int64, eager=True)
    # over the period: what earlier runs paid counts, but only this run's lines can be cut
    excess = pl.select(
        pl.when(pl.lit(eligible) & (pl.lit(received) + pl.lit(earlier) > pl.lit(limit)))
        .then(pl.min_horizontal(pl.lit(received) + pl.lit(earlier) - pl.lit(limit), pl.lit(received).clip(lower_bound=0)))
        .otherwise(0).alias("fen")
    )["fen"]
    moved = ctx.per_village(excess)
    accounts = {} if step.excess_to == REMAINING else {step.excess_to: moved}
    outcome = StepOutcome(-excess, accounts, moved, moved, ctx.zeros())
    outcome.floors_applied = ctx.count_per_village(excess > 0)
    return outcome
