"""Step kinds that move a tranche or a balance: carve-out, pro-rata, remainder."""
from __future__ import annotations

from schemes.model import CarveOut, ProRata, Remainder
from schemes.steps.context import RunContext, StepOutcome, split


def carve_out(step: CarveOut, ctx: RunContext) -> StepOutcome:
    """A fixed amount or a percent to one account of the village."""
    requested = ctx.take(step.take)
    granted = ctx.grant(step.id, requested, step.shortfall)
    return StepOutcome(None, {step.to: granted}, requested, granted, requested - granted)


def pro_rata(step: ProRata, ctx: RunContext) -> StepOutcome:
    """A tranche split among eligible households by weight; if nobody is eligible in a village
    the tranche stays in ``remaining`` (reported as unallocated)."""
    requested = ctx.take(step.take)
    granted = ctx.grant(step.id, requested, step.shortfall)
    weights = ctx.weights(step.weight, ctx.eligible(step.eligible))
    out, unallocated, check = split(ctx, step.id, "", granted, weights)
    return StepOutcome(out, {}, requested, granted - unallocated, requested - granted,
                       unallocated=unallocated, checks=[check])


def remainder(step: Remainder, ctx: RunContext) -> StepOutcome:
    """Everything still undistributed goes to one account: no fen vanishes."""
    left = ctx.remaining
    return StepOutcome(None, {step.to: left}, left, left, ctx.zeros())
