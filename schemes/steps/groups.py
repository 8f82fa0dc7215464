"""Claim groups: several claims (household claims and account amounts) settled together.

Every claim of a group is computed as if alone (per-unit and post-subsidy needs per household,
carve-out amounts per village), all from what remains before the group. When a village cannot
pay them all, the group's rule decides, over the claims' lines together:

- ``pro_rate``: one level holding every claim; each line gets ``need * granted / total`` with
  the largest-remainder method over all lines of the level (ties to the earlier claim, then to
  the lower household id), so the cut factor is exactly ``available / total`` (105/108, not
  0.9722...) and the lines add up to what was available;
- ``priority``: levels in order; a level is paid in full while money lasts, the level that can
  only be paid in part is pro-rated as above, later levels get nothing;
- ``refuse``: the computation stops with the village, the need and what is left.
"""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from schemes.model import AnyStep, CarveOut, ClaimGroup, PerUnit, PostSubsidy
from schemes.money import I128, hamilton
from schemes.steps.context import RunContext, SplitCheck, StepOutcome
from schemes.steps.needs import per_unit_need, post_need


@dataclass(frozen=True)
class GroupCheck:
    """Evidence for "a group's lines add up": one row per claim line (household lines of
    household claims, one line per village for account claims)."""

    group_id: str
    policy: str
    frame: pl.DataFrame  # vix (Int64), level (Int64), claim (Int64), need (Int64), paid (Int64)
    available: pl.Series  # per village: what remained before the group


def claim_need(step: AnyStep, ctx: RunContext) -> pl.Series:
    """Per household row (household claims) or per village (account claims)."""
    ctx.step_id = step.id
    if isinstance(step, PerUnit):
        return per_unit_need(step, ctx)
    if isinstance(step, PostSubsidy):
        return post_need(step, ctx)
    assert isinstance(step, CarveOut)
    return ctx.take(step.take)


def settle_group(group: ClaimGroup, claims: list[AnyStep], ctx: RunContext) -> list[StepOutcome]:
    """One outcome per claim, in the group's order; the checks ride on the last one."""
    available = ctx.remaining
    needs = [claim_need(c, ctx) for c in claims]
    household = [not isinstance(c, CarveOut) for c in claims]
    per_village = [ctx.per_village(n) if h else n for n, h in zip(needs, household)]
    ctx.step_id = group.id
    total128 = per_village[0].cast(I128)
    for n in per_village[1:]:
        total128 = total128 + n.cast(I128)
    ctx.too_large(total128)
    total = total128.cast(pl.Int64)
    if group.policy == "refuse":
        ctx.refuse_if_short(group.id, total, available)
    level_of = {cid: i for i, level in enumerate(group.levels) for cid in level}
    checks: list[object] = []
    rows = _rows(ctx, claims, needs, household, level_of)
    sizes = [n.len() for n in needs]
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    if not (total > available).any():  # every claim paid in full: no cut
        frame = rows.with_columns(paid=pl.col("need"))
        lines = needs
    else:
        frame, split_check = _cut(group.id, rows, available, len(group.levels), total128 if len(group.levels) == 1 else None)
        checks.append(split_check)
        lines = [frame["paid"].slice(start, size).rechunk() for start, size in zip(starts, sizes)]
    outcomes = []
    for i, (claim, is_household) in enumerate(zip(claims, household)):
        if is_household:
            paid_pv = per_village[i] if lines[i] is needs[i] else ctx.per_village(lines[i])
            outcomes.append(StepOutcome(lines[i], {}, per_village[i], paid_pv, per_village[i] - paid_pv))
        else:
            assert isinstance(claim, CarveOut)
            outcomes.append(StepOutcome(None, {claim.to: lines[i]}, per_village[i], lines[i], per_village[i] - lines[i]))
    evidence = GroupCheck(group.id, group.policy, frame.select("vix", "level", "claim", "need", "paid"), available)
    outcomes[-1].checks.extend([*checks, evidence])  # type: ignore[list-item]
    return outcomes


def _rows(ctx: RunContext, claims: list[AnyStep], needs: list[pl.Series], household: list[bool],
          level_of: dict[str, int]) -> pl.DataFrame:
    """Every claim line, claim after claim (household lines in household order): within a
    village and level that is the tie-break order, earlier claim first, then lower household id."""
    parts = []
    for i, (claim, need, is_household) in enumerate(zip(claims, needs, household)):
        vix = ctx.hh["vix"].cast(pl.Int64) if is_household else pl.arange(0, ctx.v, eager=True, dtype=pl.Int64)
        parts.append(pl.DataFrame({"vix": vix, "need": need.cast(pl.Int64)}).with_columns(
            level=pl.lit(level_of[claim.id], pl.Int64), claim=pl.lit(i, pl.Int64)))
    return pl.concat(parts, rechunk=True)


def _cut(group_id: str, rows: pl.DataFrame, available: pl.Series, levels: int,
         total: pl.Series | None = None) -> tuple[pl.DataFrame, SplitCheck]:
    """Grant each (village, level) what is left for it, and split the grant over its lines.

    A (village, level) is one dense key ``vix * levels + level``: the grants are looked up by
    position, and the largest-remainder window runs over that one key in the rows' own order.
    One level (``pro_rate``): the key is the village and its need the group's ``total`` per
    village, already known (no grouping of the lines)."""
    v = available.len()
    if levels == 1 and total is not None:
        frame = rows.with_columns(key=pl.col("vix"))
        need = total.cast(I128)
    else:
        frame = rows.with_columns(key=pl.col("vix") * levels + pl.col("level"))
        need = pl.zeros(v * levels, dtype=pl.Int128, eager=True)
        sums = frame.group_by("key").agg(pl.col("need").cast(I128).sum())
        need = need.scatter(sums["key"], sums["need"])
    table = pl.DataFrame({"vix": pl.arange(0, v, eager=True, dtype=pl.Int64).repeat_by(levels).explode(),
                          "level_need": need}).with_columns(
        before=pl.col("level_need").cum_sum().over("vix") - pl.col("level_need"),
        avail=available.cast(I128).repeat_by(levels).explode(),
    ).with_columns(granted=pl.min_horizontal(pl.col("level_need"), pl.max_horizontal(pl.col("avail") - pl.col("before"), 0)))
    # a level's need is at most its village's claims, refused above Int64 (too_large): the table
    # is read at every line in Int64 (half the bytes of Int128, no casts in the cut)
    frame = frame.with_columns(level_need=table["level_need"].cast(pl.Int64).gather(frame["key"]),
                               granted=table["granted"].cast(pl.Int64).gather(frame["key"]))
    # every product need x grant below 2**62 (nothing negative): the same integers in Int64, faster
    biggest = int(frame["need"].max() or 0) * int(table["granted"].max() or 0)
    narrow = biggest < 2**62 and int(frame["need"].min() or 0) >= 0 and int(table["granted"].min() or 0) >= 0
    wide = pl.Int64 if narrow else I128
    cut = hamilton(frame, pl.col("need").cast(wide) * pl.col("granted").cast(wide), pl.col("level_need"),
                   pl.col("granted"), "key", dtype=pl.Int64 if narrow else None)
    frame = frame.with_columns(paid=pl.when(pl.col("granted") == pl.col("level_need")).then(pl.col("need"))
                               .otherwise(pl.lit(cut)).cast(pl.Int64))
    partial = frame.filter(pl.col("granted") < pl.col("level_need"))
    check = SplitCheck(group_id, "group", partial.select(
        pl.col("key").alias("group"), pl.col("granted").cast(pl.Int64).alias("pool"),
        pl.col("need").cast(I128).alias("weight"), pl.col("paid").alias("out")))
    return frame, check
