"""Step kinds that pay what each household is owed: per-unit payments and post subsidies."""
from __future__ import annotations

import polars as pl

from schemes.filters import compile_filter
from schemes.i18n import Msg
from schemes.model import PerUnit, PostSubsidy
from schemes.money import I128
from schemes.problems import InputError, Problem
from schemes.steps.context import RunContext, StepOutcome, divide

MONTHS_PER_YEAR = 12


def per_unit(step: PerUnit, ctx: RunContext) -> StepOutcome:
    """``amount`` per unit (person, household, share...) or ``percent`` of capital, each line
    rounded half up to the fen; a shortfall follows the step's policy."""
    return ctx.pay_needs(step.id, per_unit_need(step, ctx), ctx.remaining, step.shortfall)


def per_unit_need(step: PerUnit, ctx: RunContext) -> pl.Series:
    """What each household is owed by a per-unit step (prorated steps: by eligible months)."""
    if step.prorate is not None:
        return ctx.prorated_needs(step.rate, ctx.eligible(step.eligible), ctx.unit_months[step.id])
    return ctx.needs(step.rate, ctx.eligible(step.eligible), "half_up")


def post_subsidy(step: PostSubsidy, ctx: RunContext) -> StepOutcome:
    """Annual subsidy by grade x months served / 12, summed per household, rounded half up."""
    return ctx.pay_needs(step.id, post_need(step, ctx), ctx.remaining, step.shortfall)


def post_need(step: PostSubsidy, ctx: RunContext) -> pl.Series:
    """What each household has earned by its posts: grade x months served / 12, half up."""
    posts = ctx.posts
    assert posts is not None  # the engine checks that a posts file was given
    eligible_households = ctx.eligible(step.eligible)
    frame = posts.with_columns(
        household_ok=eligible_households.gather(posts["hrow"]),
        post_ok=compile_filter(step.posts).fill_null(False),
    ).filter(pl.col("household_ok") & pl.col("post_ok"))
    grades = dict(step.grades)
    unknown = frame.filter(~pl.col("grade").is_in(list(grades)))
    if unknown.height:
        raise InputError([
            Problem(Msg("compute.unknown_grade", step=step.id, household=row["household_id"],
                        person=row["person_name"], grade=row["grade"], expected=list(grades)))
            for row in unknown.head(50).iter_rows(named=True)
        ])
    per_household = (
        frame.select(
            "hrow",
            (pl.col("grade").replace_strict(grades, return_dtype=I128) * pl.col("months_served")).alias("num"),
        )
        .group_by("hrow").agg(pl.col("num").sum())
        .with_columns(need=divide(pl.col("num"), MONTHS_PER_YEAR, "half_up").cast(pl.Int64))
    )
    rows = pl.DataFrame({"hrow": pl.arange(0, ctx.hh.height, eager=True, dtype=per_household["hrow"].dtype)})
    return rows.join(per_household, on="hrow", how="left", maintain_order="left")["need"].fill_null(0)
