"""Share classes: one tranche cut into classes, each split by its own eligibility and weight."""
from __future__ import annotations

from math import lcm

import polars as pl

from schemes.model import ShareClasses
from schemes.money import split_by_weight
from schemes.steps.context import RunContext, StepOutcome, split


def share_classes(step: ShareClasses, ctx: RunContext) -> StepOutcome:
    requested = ctx.take(step.take)
    granted = ctx.grant(step.id, requested, step.shortfall)
    scale = 1
    for c in step.classes:
        scale = lcm(scale, c.percent.denominator)
    k = len(step.classes)
    # the tranche of each village cut by class percent (largest remainder; ties to earlier classes)
    by_class = pl.DataFrame({
        "vix": pl.arange(0, ctx.v, eager=True, dtype=pl.Int64).repeat_by(k).explode(),
        "pool": granted.repeat_by(k).explode(),
        "w": pl.Series([int(c.percent * scale) for c in step.classes] * ctx.v, dtype=pl.Int64),
    })
    cut = split_by_weight(by_class, pl.col("pool"), pl.col("w"), "vix")

    households = pl.zeros(ctx.hh.height, dtype=pl.Int64, eager=True).rename("fen")
    accounts: dict[str, pl.Series] = {}
    unallocated = ctx.zeros()
    parts: list[tuple[str, StepOutcome]] = []
    checks = []
    for i, c in enumerate(step.classes):
        amount = cut.gather_every(k, offset=i)
        if c.to is not None:
            accounts[c.to] = accounts.get(c.to, ctx.zeros()) + amount
            parts.append((c.id, StepOutcome(None, {c.to: amount}, amount, amount, ctx.zeros())))
            continue
        assert c.weight is not None
        weights = ctx.weights(c.weight, ctx.eligible(c.eligible))
        out, left, check = split(ctx, step.id, c.id, amount, weights)
        households = households + out
        unallocated = unallocated + left
        checks.append(check)
        part = StepOutcome(out, {}, amount, amount - left, ctx.zeros(), unallocated=left)
        parts.append((c.id, part))
    return StepOutcome(households, accounts, requested, granted - unallocated, requested - granted,
                       unallocated=unallocated, parts=parts, checks=checks)
