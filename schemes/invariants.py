"""What must always hold, as small checks that return violations (never raise).

Run on every computation and again by the auditor's ``verify``. A violation means the engine or
the files are wrong, not the user's input: the caller refuses to write or accept the result.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from schemes.engine import Allocation
from schemes.i18n import Msg, register
from schemes.money import I128
from schemes.steps.context import FloorCheck, SplitCheck

register({
    "inv.conservation": {"zh": "村 {village}：各行合计 {lines} 分，不等于可分配金额 {pool} 分",
                         "en": "village {village}: the lines add up to {lines} fen, not the distributable {pool} fen"},
    "inv.step_conservation": {"zh": "村 {village} 步骤“{step}”：各行合计 {lines} 分，但余额减少了 {moved} 分",
                              "en": "village {village}, step '{step}': the lines add up to {lines} fen but the balance moved by {moved} fen"},
    "inv.chain": {"zh": "村 {village} 步骤“{step}”：期初余额 {available} 分与上一步期末 {previous} 分不符",
                  "en": "village {village}, step '{step}': opening balance {available} fen differs from the previous closing {previous} fen"},
    "inv.left_over": {"zh": "村 {village}：最后仍有 {remaining} 分未分配", "en": "village {village}: {remaining} fen left unassigned at the end"},
    "inv.negative": {"zh": "村 {village}：{kind} {recipient} 的金额为负（{amount} 分）",
                     "en": "village {village}: {kind} {recipient} has a negative amount ({amount} fen)"},
    "inv.negative_balance": {"zh": "村 {village}：账户 {recipient} 在步骤“{step}”后余额为负（{amount} 分）",
                             "en": "village {village}: account {recipient} is negative after step '{step}' ({amount} fen)"},
    "inv.floor": {"zh": "步骤“{step}”：村 {village} 有 {count} 户未达保底，却未报告资金缺口",
                  "en": "step '{step}': {count} household(s) in village {village} are below their floor but no shortfall is reported"},
    "inv.one_fen": {"zh": "步骤“{step}”{part}：有 {count} 行偏离精确份额超过 1 分",
                    "en": "step '{step}'{part}: {count} line(s) are more than one fen from their exact share"},
    "inv.split_sum": {"zh": "步骤“{step}”{part}：拆分后合计不等于拆分金额", "en": "step '{step}'{part}: the split does not add up to its pool"},
})


@dataclass(frozen=True)
class Violation:
    check: str
    msg: Msg

    def text(self, lang: str | None = None) -> str:
        return f"[{self.check}] {self.msg.text(lang)}"


Check = Callable[[Allocation], list[Violation]]


def _village(allocation: Allocation, vix: int) -> str:
    return str(allocation.villages["village_id"][vix])


def conservation(a: Allocation) -> list[Violation]:
    """The lines of every village add up to its distributable amount, to the fen."""
    totals = pl.concat([
        a.households.select("village_id", "amount_fen"), a.accounts.select("village_id", "amount_fen"),
    ]).group_by("village_id").agg(pl.col("amount_fen").cast(I128).sum().alias("lines"))
    joined = a.villages.join(totals, on="village_id", how="left").with_columns(pl.col("lines").fill_null(0))
    bad = joined.filter(pl.col("lines") != pl.col("pool_fen"))
    return [Violation("conservation", Msg("inv.conservation", village=r["village_id"], lines=r["lines"], pool=r["pool_fen"]))
            for r in bad.head(20).iter_rows(named=True)]


def step_conservation(a: Allocation) -> list[Violation]:
    """Per village and step: the step's lines equal what left the balance, balances chain, and
    nothing is left at the end."""
    out: list[Violation] = []
    steps = a.summary.filter(pl.col("part") == "")
    per_step = pl.concat([
        a.households.select("village_id", *a.step_ids), a.accounts.select("village_id", *a.step_ids),
    ]).group_by("village_id").agg([pl.col(s).cast(I128).sum() for s in a.step_ids])
    joined = steps.join(per_step.unpivot(index="village_id", variable_name="step_id", value_name="lines"),
                        on=["village_id", "step_id"], how="left").with_columns(pl.col("lines").fill_null(0))
    bad = joined.filter(pl.col("lines") != pl.col("available_fen") - pl.col("remaining_fen"))
    out += [Violation("step_conservation", Msg("inv.step_conservation", village=r["village_id"], step=r["step_id"],
                                               lines=r["lines"], moved=r["available_fen"] - r["remaining_fen"]))
            for r in bad.head(20).iter_rows(named=True)]
    chained = steps.sort("village_id", "step_index").with_columns(
        previous=pl.col("remaining_fen").shift(1).over("village_id")
    ).join(a.villages.select("village_id", "pool_fen"), on="village_id")
    chained = chained.with_columns(previous=pl.col("previous").fill_null(pl.col("pool_fen")))
    for r in chained.filter(pl.col("previous") != pl.col("available_fen")).head(20).iter_rows(named=True):
        out.append(Violation("step_conservation", Msg("inv.chain", village=r["village_id"], step=r["step_id"],
                                                      available=r["available_fen"], previous=r["previous"])))
    last = chained.group_by("village_id").agg(pl.col("remaining_fen").last())
    for r in last.filter(pl.col("remaining_fen") != 0).head(20).iter_rows(named=True):
        out.append(Violation("step_conservation", Msg("inv.left_over", village=r["village_id"], remaining=r["remaining_fen"])))
    return out


def no_negative_line(a: Allocation) -> list[Violation]:
    """No recipient's total is negative, and no account ever goes below zero after any step."""
    out: list[Violation] = []
    for frame, kind, rid in ((a.households, "household", "household_id"), (a.accounts, "account", "account")):
        for r in frame.filter(pl.col("amount_fen") < 0).head(20).iter_rows(named=True):
            out.append(Violation("no_negative_line", Msg("inv.negative", village=r["village_id"], kind=kind,
                                                         recipient=r[rid], amount=r["amount_fen"])))
    running = a.accounts.select("village_id", "account", *[
        pl.sum_horizontal([pl.col(s) for s in a.step_ids[: i + 1]]).alias(step) for i, step in enumerate(a.step_ids)
    ])
    for step in a.step_ids:
        for r in running.filter(pl.col(step) < 0).head(5).iter_rows(named=True):
            out.append(Violation("no_negative_line", Msg("inv.negative_balance", village=r["village_id"],
                                                         recipient=r["account"], step=step, amount=r[step])))
    return out


def floors_met(a: Allocation) -> list[Violation]:
    """Every eligible household reaches its floor, or its village reports a shortfall."""
    out: list[Violation] = []
    for check in a.checks:
        if not isinstance(check, FloorCheck):
            continue
        below = check.frame.filter(pl.col("total") < pl.col("floor")).group_by("vix").len()
        short = pl.DataFrame({"vix": pl.arange(0, len(check.shortfall), eager=True, dtype=pl.Int64),
                              "shortfall": check.shortfall})
        bad = below.with_columns(pl.col("vix").cast(pl.Int64)).join(short, on="vix").filter(pl.col("shortfall") <= 0)
        for r in bad.head(20).iter_rows(named=True):
            out.append(Violation("floors_met", Msg("inv.floor", step=check.step_id, village=_village(a, r["vix"]), count=r["len"])))
    return out


def within_one_fen(a: Allocation) -> list[Violation]:
    """Each pro-rata line is within one fen of its exact rational share, and splits add up."""
    out: list[Violation] = []
    for check in a.checks:
        if not isinstance(check, SplitCheck):
            continue
        f = check.frame.with_columns(W=pl.col("weight").cast(I128).sum().over("group"))
        f = f.filter(pl.col("W") > 0)
        part = f" ({check.part})" if check.part else ""
        off = f.filter((pl.col("out").cast(I128) * pl.col("W") - pl.col("pool").cast(I128) * pl.col("weight")).abs()
                       >= pl.col("W"))
        if off.height:
            out.append(Violation("within_one_fen", Msg("inv.one_fen", step=check.step_id, part=part, count=off.height)))
        sums = f.group_by("group").agg(pl.col("out").sum(), pl.col("pool").first())
        if sums.filter(pl.col("out") != pl.col("pool")).height:
            out.append(Violation("within_one_fen", Msg("inv.split_sum", step=check.step_id, part=part)))
    return out


CHECKS: tuple[Check, ...] = (conservation, step_conservation, no_negative_line, floors_met, within_one_fen)


def check(allocation: Allocation) -> list[Violation]:
    """Run every invariant; an empty list means the allocation is sound."""
    return [v for c in CHECKS for v in c(allocation)]
