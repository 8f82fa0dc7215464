"""What the engine adds around a scheme's steps when the inputs are given: money brought forward
from the previous period, and deductions taken from household lines after the allocation.

Brought forward: each village's amount joins its pool (its own summary line, step 0) unless the
scheme sends it to an account (``brought_forward: {to: account}``), which then takes it whole in
a ``brought_forward`` column.

Deductions (debts to the collective, overpayments a correction found): applied after every step
to each household's total, in a stable order (household id, creditor, reason, amount), never
below zero nor below the scheme's protected minimum (``deductions: {protected: ...}``, rounded
up to the fen); each recovered fen moves, in a ``deductions`` column, from the household's line
to the creditor account's line, so the village still adds up; what could not be recovered is
reported per deduction as carried forward.
"""
from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from schemes.frames import ordered_distinct
from schemes.i18n import Msg
from schemes.model import DEDUCTIONS
from schemes.problems import InputError, Problem
from schemes.money import I128
from schemes.steps.context import RunContext, StepOutcome, units_expr

DEDUCTION_COLUMNS = {"household_id": pl.String, "amount_fen": pl.Int64, "reason": pl.String, "creditor": pl.String}
DEDUCTION_RESULT_COLUMNS = ("village_id", "household_id", "creditor", "reason", "amount_fen", "recovered_fen",
                            "carried_forward_fen")


def _protected(ctx: RunContext, sub: pl.DataFrame) -> pl.Series:
    """The protected minimum of each household row of ``sub`` (rounded up to the fen)."""
    from schemes.steps.context import divide

    rate = ctx.scheme.deductions.protected
    if rate is None:
        return pl.zeros(sub.height, dtype=pl.Int64, eager=True)
    units = units_expr(rate.basis).cast(I128)
    if rate.amount_fen is not None:
        expr = units * rate.amount_fen
    else:
        assert rate.percent is not None
        expr = divide(units * rate.percent.numerator, rate.percent.denominator, "ceil")
    value = sub.with_columns(expr.alias("_p"))["_p"]
    ctx.too_large(value)
    return value.cast(pl.Int64)


@dataclass(frozen=True)
class DeductionCheck:
    """Evidence for "deductions never make a line negative nor cut below the protected minimum":
    per household with a deduction, its total before, its protected minimum and what was taken."""

    frame: pl.DataFrame  # vix, household_id, before, protected, asked, recovered, after (Int64)
    # the household row of each row of ``frame`` in the allocation's households (the invariant
    # checks it holds that household, and reads its line there without a look-up)
    hrows: pl.Series | None = None


def deductions(ctx: RunContext, frame: pl.DataFrame) -> tuple[StepOutcome, pl.DataFrame]:
    """The ``deductions`` column (households negative, creditors positive) and one result row
    per deduction, taken from each household row's total after the scheme's steps (summed on the
    rows with a deduction only; the per-village totals of the column come from those rows too).

    A file with at most one deduction per household, in the registry's order (the usual case)
    takes a path without sorting, grouping or joining; the results are the same."""
    rule = ctx.scheme.deductions
    known = set(ctx.scheme.accounts)
    allowed = set(rule.creditors) or known
    problems = []
    d = frame.select([pl.col(c).cast(t) for c, t in DEDUCTION_COLUMNS.items()])
    d = d.with_columns(hrow=ctx.rows_of(d["household_id"]))
    if d["hrow"].null_count():
        for hid in d.filter(pl.col("hrow").is_null())["household_id"].unique().sort().head(20).to_list():
            problems.append(Problem(Msg("compute.deduction_household", household=hid)))
    creditors = set(d["creditor"].unique().to_list())
    for creditor in sorted(creditors - allowed):
        problems.append(Problem(Msg("compute.deduction_creditor", found=creditor, expected=sorted(allowed))))
    if (d["amount_fen"] < 0).any():
        problems.append(Problem(Msg("compute.deduction_negative")))
    if problems:
        raise InputError(problems)
    # only the households with a deduction are looked at (a few in a million), and of their rows
    # only the columns read here (a gather of every registry column costs more than the rest)
    one_each = ordered_distinct(d["hrow"])  # one deduction per household, in row order
    if not one_each:
        d = d.sort("hrow", "creditor", "reason", "amount_fen")
    rows = d["hrow"] if one_each else d["hrow"].unique().sort()
    read = {"vix", "village_id", "household_id", *ctx.household_steps}
    if rule.protected is not None:
        read.update(units_expr(rule.protected.basis).meta.root_names())
    sub = ctx.hh.select([c for c in ctx.hh.columns if c in read])[rows]
    protected = _protected(ctx, sub)
    before_u = (sub.select(pl.sum_horizontal([pl.col(c) for c in ctx.household_steps]).cast(pl.Int64).alias("t"))["t"]
                if ctx.household_steps else pl.zeros(sub.height, dtype=pl.Int64, eager=True))
    room = (before_u - protected).clip(lower_bound=0)
    sub_vix = sub["vix"].cast(pl.Int64)
    if one_each:  # no earlier deduction of the same household: each takes what its room allows
        d = d.with_columns(recovered_fen=pl.min_horizontal(pl.col("amount_fen"), room))
        d = d.with_columns(carried_forward_fen=pl.col("amount_fen") - pl.col("recovered_fen"),
                           vix=sub_vix, village_id=sub["village_id"])
        per_household = d.select("hrow", "recovered_fen", pl.col("amount_fen").alias("asked"))
    else:
        # what earlier deductions of the same household asked: d is sorted by household row, so a
        # running sum less its value at each household's first row (no window over groups)
        before_me = pl.col("amount_fen").cum_sum() - pl.col("amount_fen")
        first = pl.col("hrow") != pl.col("hrow").shift(1, fill_value=-1)
        d = d.join(pl.DataFrame({"hrow": rows, "room": room}), on="hrow", how="left", maintain_order="left").with_columns(
            prior=before_me - pl.when(first).then(before_me).otherwise(None).forward_fill())
        d = d.with_columns(recovered_fen=pl.min_horizontal(pl.col("amount_fen"),
                                                           (pl.col("room") - pl.col("prior")).clip(lower_bound=0)))
        d = d.with_columns(carried_forward_fen=pl.col("amount_fen") - pl.col("recovered_fen"),
                           vix=sub_vix.gather(rows.search_sorted(d["hrow"])),
                           village_id=sub["village_id"].gather(rows.search_sorted(d["hrow"])))
        per_household = d.group_by("hrow", maintain_order=True).agg(pl.col("recovered_fen").sum(),
                                                                    pl.col("amount_fen").sum().alias("asked"))
    recovered_each = per_household["recovered_fen"]
    # the column: minus what was recovered on the rows with a deduction, zero elsewhere
    taken = pl.zeros(ctx.hh.height, dtype=pl.Int64, eager=True).rename("fen").scatter(
        per_household["hrow"], -recovered_each)
    after = before_u - recovered_each
    held = (recovered_each > 0) & (after == protected)  # cut down to the protected minimum
    # per village, over the rows with a deduction (in household-row order, like ``sub``): how
    # many households gave something, and how many were kept at their protected minimum
    recipients, floors = ctx.per_village_each([(recovered_each != 0).cast(pl.Int64), held.cast(pl.Int64)], sub_vix)
    accounts: dict[str, pl.Series] = {}
    if len(creditors) == 1:  # one creditor: the per-village sums come straight from the rows
        recovered, asked = ctx.per_village_each([d["recovered_fen"], d["amount_fen"]], d["vix"])
        accounts[next(iter(creditors))] = recovered
    else:
        # one pass over the deductions: per village and creditor; the per-village sums then add up
        # those few rows (not every deduction again)
        sums = d.group_by("vix", "creditor").agg(pl.col("amount_fen").cast(I128).sum().alias("asked"),
                                                 pl.col("recovered_fen").cast(I128).sum().alias("recovered"))
        for creditor in sorted(creditors):
            mine = sums.filter(pl.col("creditor") == creditor)
            accounts[creditor] = ctx.per_village(mine["recovered"], mine.select("vix"))
        asked = ctx.per_village(sums["asked"], sums.select("vix"))
        recovered = ctx.per_village(sums["recovered"], sums.select("vix"))
    outcome = StepOutcome(taken, accounts, asked, recovered, asked - recovered)
    outcome.household_totals = -recovered
    outcome.household_recipients = recipients
    outcome.floors_applied = floors
    evidence = pl.DataFrame({"vix": sub_vix, "household_id": sub["household_id"], "before": before_u,
                             "protected": protected, "asked": per_household["asked"],
                             "recovered": recovered_each, "after": after})
    results = d.select(*DEDUCTION_RESULT_COLUMNS)
    hrows: pl.Series | None = rows.cast(pl.Int64)
    if not one_each:  # else in household-row order, which is (village, household) order already
        evidence = evidence.sort("vix", "household_id")
        results = results.sort("village_id", "household_id", "creditor", "reason", "amount_fen")
        hrows = None
    outcome.checks.append(DeductionCheck(evidence, hrows))
    return outcome, results


__all__ = ["DEDUCTIONS", "DeductionCheck", "deductions"]
