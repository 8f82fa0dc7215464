"""What must always hold, as small checks that return violations (never raise).

Run on every computation and again by the auditor's ``verify``. A violation means the engine or
the files are wrong, not the user's input: the caller refuses to write or accept the result.
"""
from __future__ import annotations

from pathlib import Path

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from schemes.engine import Allocation
from schemes.frames import largest_sorted_group
from schemes.i18n import Msg, load_catalog
from schemes.money import I128, INT128_SAFE
from schemes.steps.adjustments import DeductionCheck
from schemes.steps.context import FloorCheck, SplitCheck, rows_of, sums_by_sorted_vix_each
from schemes.steps.groups import GroupCheck

load_catalog(Path(__file__).with_name("locale"), "schemes")


@dataclass(frozen=True)
class Violation:
    check: str
    msg: Msg

    def text(self, lang: str | None = None) -> str:
        return f"[{self.check}] {self.msg.text(lang)}"


Check = Callable[[Allocation], list[Violation]]


def _village(allocation: Allocation, vix: int) -> str:
    return str(allocation.villages["village_id"][vix])


def _sums_by_village(frames: list[pl.DataFrame], columns: list[str]) -> pl.DataFrame:
    """Each column's sum per village over the rows of every frame, exactly: in Int64 when no
    sum can leave it (every value times the number of rows below 2**62), else in Int128. A
    column that is zero on every row of a frame (its least and greatest value, read for the
    width anyway, are 0: an account step's column on household rows) adds nothing there and is
    not summed over that frame's rows."""
    rows = max(sum(f.height for f in frames), 1)
    biggest = 0
    live: list[list[str]] = []
    for f in frames:
        if f.height and columns:
            stats = f.select(*[pl.col(c).max().alias(f"{c}+") for c in columns],
                             *[pl.col(c).min().alias(f"{c}-") for c in columns]).row(0)
            biggest = max(biggest, *(abs(int(x or 0)) for x in stats))
            n = len(columns)
            live.append([c for i, c in enumerate(columns) if stats[i] != 0 or stats[n + i] != 0 or stats[i] is None])
        else:
            live.append([])
    wide = pl.Int64 if biggest * rows < 2**62 else I128
    if all(len(cs) == len(columns) for f, cs in zip(frames, live) if f.height):
        return pl.concat([f.lazy().select("village_id", *[pl.col(c).cast(wide) for c in columns]) for f in frames]).group_by(
            "village_id").agg([pl.col(c).sum().cast(I128) for c in columns]).collect()
    # per frame over its live columns, then the few per-village rows added up
    parts = [f.lazy().group_by("village_id").agg([pl.col(c).cast(wide).sum().cast(I128) for c in cs])
             .select("village_id", *[pl.col(c) if c in cs else pl.lit(0, I128).alias(c) for c in columns])
             for f, cs in zip(frames, live)]
    return pl.concat(parts).group_by("village_id").agg([pl.col(c).sum() for c in columns]).collect()


def _sums_by_runs(vix: pl.Series, columns: list[pl.Series], v: int, most: int = 16) -> list[pl.Series] | None:
    """Each column's sum per village index (Int64, length ``v``) over rows whose ``vix`` comes
    in at most ``most`` ascending runs (a claim group's lines: claim after claim, each claim's
    lines in village order): every run summed by its running sum, the runs added, instead of
    hashing every row's key. None when the rows are not so (or a sum could leave Int64): then
    the general path."""
    n = vix.len()
    if vix.null_count() or not vix.dtype.is_integer():
        return None
    for c in columns:
        if c.len() != n or not c.dtype.is_integer() or c.dtype in (pl.UInt64, I128) or c.null_count():
            return None
        if n and max(abs(int(c.min())), abs(int(c.max()))) * n >= 2**62:  # type: ignore[arg-type]
            return None  # every partial sum and their total stay in Int64 below this
    starts = [0, *(vix.diff() < 0).arg_true().to_list(), n]  # where vix goes down, a run begins
    if len(starts) - 1 > most:
        return None
    total: list[pl.Series] | None = None
    for start, end in zip(starts, starts[1:]):
        part = sums_by_sorted_vix_each(vix.slice(start, end - start), [c.slice(start, end - start) for c in columns], v)
        if part is None:
            return None
        total = part if total is None else [x + y for x, y in zip(total, part)]
    return total


def conservation(a: Allocation) -> list[Violation]:
    """The lines of every village add up to its distributable amount, to the fen."""
    totals = _sums_by_village([a.households, a.accounts], ["amount_fen"]).rename({"amount_fen": "lines"})
    joined = a.villages.join(totals, on="village_id", how="left").with_columns(pl.col("lines").fill_null(0))
    bad = joined.filter(pl.col("lines") != pl.col("pool_fen"))
    return [Violation("conservation", Msg("inv.conservation", village=r["village_id"], lines=r["lines"], pool=r["pool_fen"]))
            for r in bad.head(20).iter_rows(named=True)]


def step_conservation(a: Allocation) -> list[Violation]:
    """Per village and step: the step's lines equal what left the balance, balances chain, and
    nothing is left at the end."""
    out: list[Violation] = []
    steps = a.summary.filter(pl.col("part") == "")
    per_step = _sums_by_village([a.households, a.accounts], list(a.step_ids))
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
        part = f" ({check.part})" if check.part else ""
        per = _dense_groups(check.frame)
        width = _width(check.frame, per) if check.frame.height else 64
        if width > 128:
            off_count = _off_by_more_than_one_python(check.frame)
            if off_count:
                out.append(Violation("within_one_fen", Msg("inv.one_fen", step=check.step_id, part=part, count=off_count)))
            f = check.frame.with_columns(W=pl.col("weight").max().over("group")).filter(pl.col("W") > 0)
            sums = f.group_by("group").agg(pl.col("out").sum(), pl.col("pool").first())
            if sums.filter(pl.col("out") != pl.col("pool")).height:
                out.append(Violation("within_one_fen", Msg("inv.split_sum", step=check.step_id, part=part)))
            continue
        wide = pl.Int64 if width == 64 else I128
        off_count, unsummed = _one_fen_counts(check.frame, wide, per)
        if off_count:
            out.append(Violation("within_one_fen", Msg("inv.one_fen", step=check.step_id, part=part, count=off_count)))
        if unsummed:
            out.append(Violation("within_one_fen", Msg("inv.split_sum", step=check.step_id, part=part)))
    return out


def _dense_groups(frame: pl.DataFrame) -> pl.DataFrame | None:
    """For rows not in group order whose groups are small non-negative integers (a claim group's
    cut: its claims' lines one claim after another, each in village order): per group its line
    count ``n``, weight sum ``W`` (Int128: it holds whatever ``_width`` allows), line sum and pool,
    by one group_by. None otherwise (rows in group order read their runs; other keys: a window)."""
    group = frame.get_column("group")
    if not frame.height or not group.dtype.is_integer() or group.null_count() or group.is_sorted():
        return None
    low, high = group.min(), group.max()
    if low < 0 or high >= 4 * frame.height + 1024:  # the table indexed by group stays small
        return None
    return frame.group_by("group").agg(pl.len().alias("n"), pl.col("weight").cast(I128).sum().alias("W"),
                                       pl.col("out").sum(), pl.col("pool").first())


def _one_fen_counts(frame: pl.DataFrame, wide: pl.DataType, dense: pl.DataFrame | None = None) -> tuple[int, int]:
    """How many lines of groups with weight are a fen or more off their exact share
    (``|out * W - pool * weight| >= W``, ``W`` the group's weight sum), and how many such groups'
    lines do not add up to their pool. Rows in group order (a split's evidence always is): the
    sums per group once, read back at each row by its run of equal groups; small integer groups
    in any order (``dense``, from :func:`_dense_groups`): the sums scattered into a table indexed
    by group and gathered back at each row; otherwise a window."""
    group = frame.get_column("group")
    if dense is not None:
        per = dense.with_columns(pl.col("W").cast(wide))
        table = pl.zeros(int(per.get_column("group").max()) + 1, dtype=wide, eager=True).scatter(per.get_column("group"), per.get_column("W"))
        rows = frame.with_columns(W=table.gather(group))
    elif frame.height and not group.null_count() and group.is_sorted():
        # flagged sorted: polars takes each group as a slice instead of hashing every key
        per = frame.with_columns(group.set_sorted()).group_by("group", maintain_order=True).agg(
            pl.col("weight").cast(wide).sum().alias("W"), pl.col("out").sum(), pl.col("pool").first())
        rows = frame.with_columns(W=per.get_column("W").gather(group.rle_id()))
    else:
        rows = frame.with_columns(W=pl.col("weight").cast(wide).sum().over("group"))
        per = rows.filter(pl.col("W") > 0).group_by("group").agg(pl.col("W").first(), pl.col("out").sum(),
                                                                   pl.col("pool").first())
    w = pl.col("W")
    exact = pl.col("pool").cast(wide) * pl.col("weight").cast(wide)  # in ``wide``: the bounds hold it
    off = rows.select(((w > 0) & ((pl.col("out").cast(wide) * w - exact).abs() >= w)).sum()).item()
    # ne_missing: evidence without its lines (null) does not add up either
    unsummed = per.select(((w > 0) & pl.col("out").ne_missing(pl.col("pool"))).sum()).item()
    return int(off), int(unsummed)


def _width(frame: pl.DataFrame, dense: pl.DataFrame | None = None) -> int:
    """The integers the exact comparison needs: 64 when it stays below 2**62 (nothing negative:
    Int64 gives the same integers as Int128, faster), 128 below :data:`INT128_SAFE`, else 129
    (Python integers). ``dense`` (:func:`_dense_groups`) already counted each group's lines."""
    if dense is not None:
        largest: int | None = int(dense.get_column("n").max() or 0)
    else:
        largest = largest_sorted_group(frame.get_column("group"))  # rows in group order: the longest run
    stats = frame.select(
        pl.col("weight").max(), pl.col("pool").max(), pl.col("out").max(),
        (pl.lit(largest) if largest is not None else pl.len().over("group").max()).alias("n"),
        pl.min_horizontal(pl.col("weight").min(), pl.col("pool").min(), pl.col("out").min()).alias("low"),
    ).row(0)
    w, p, o, n, low = (int(x or 0) for x in stats)
    if w * max(n, 1) * max(p, 1) >= INT128_SAFE:
        return 129
    return 64 if low >= 0 and w * max(n, 1) * max(p, o, 1) < 2**62 else 128


def _off_by_more_than_one_python(frame: pl.DataFrame) -> int:
    totals: dict[int, int] = {}
    rows = frame.select("group", "pool", "weight", "out").rows()
    for g, _, w, _ in rows:
        totals[g] = totals.get(g, 0) + int(w)
    return sum(1 for g, pool, w, o in rows if totals[g] > 0 and abs(int(o) * totals[g] - int(pool) * int(w)) >= totals[g])


def groups_settled(a: Allocation) -> list[Violation]:
    """A claim group's lines add up: per village they pay the lesser of the claims and what was
    available; no line is above its claim or negative; under ``priority`` no later level is paid
    while an earlier one is short."""
    out: list[Violation] = []
    for check in a.checks:
        if not isinstance(check, GroupCheck):
            continue
        f = check.frame
        bad_lines = f.filter((pl.col("paid") < 0) | (pl.col("paid") > pl.col("need"))).height
        if bad_lines:
            out.append(Violation("groups_settled", Msg("inv.group_line", group=check.group_id, count=bad_lines)))
        v = len(check.available)
        runs = _sums_by_runs(f.get_column("vix"), [f.get_column("paid"), f.get_column("need")], v)
        if runs is not None:  # the lines claim after claim, each claim's in village order (always, from the engine)
            per = pl.DataFrame({"vix": pl.arange(0, v, eager=True, dtype=pl.Int64), "avail": check.available,
                                "paid": runs[0].cast(I128), "need": runs[1].cast(I128)})
        else:
            per = _sums_by_village([f.select(pl.col("vix").alias("village_id"), "paid", "need")], ["paid", "need"]).rename(
                {"village_id": "vix"}).join(
                pl.DataFrame({"vix": pl.arange(0, v, eager=True, dtype=pl.Int64), "avail": check.available}),
                on="vix", how="right").with_columns(pl.col("paid").fill_null(0), pl.col("need").fill_null(0))
        per = per.with_columns(expected=pl.min_horizontal(pl.col("need"), pl.col("avail").cast(I128)))
        for r in per.filter(pl.col("paid") != pl.col("expected")).head(20).iter_rows(named=True):
            out.append(Violation("groups_settled", Msg("inv.group_sum", village=_village(a, r["vix"]), group=check.group_id,
                                                       paid=r["paid"], expected=r["expected"])))
        if check.frame["level"].n_unique() < 2:
            continue  # one level (pro_rate, refuse): there is no order to keep
        levels = f.group_by("vix", "level").agg(pl.col("paid").sum(), pl.col("need").sum()).sort("vix", "level")
        levels = levels.with_columns(short_before=((pl.col("paid") < pl.col("need")).cast(pl.Int64).cum_sum().over("vix")
                                                   - (pl.col("paid") < pl.col("need")).cast(pl.Int64)))
        for r in levels.filter((pl.col("short_before") > 0) & (pl.col("paid") > 0)).head(20).iter_rows(named=True):
            out.append(Violation("groups_settled", Msg("inv.group_order", village=_village(a, r["vix"]), group=check.group_id)))
    return out


def _rows_held(household_ids: pl.Series, ids: pl.Series, hrows: pl.Series | None) -> pl.Series:
    """The row of each id in ``household_ids``: the rows the evidence names where they hold those
    ids, else looked up (null where absent)."""
    if hrows is not None and hrows.len() == ids.len() and hrows.null_count() == 0 \
            and (hrows.len() == 0 or (hrows.min() >= 0 and hrows.max() < household_ids.len())) \
            and (household_ids.gather(hrows) == ids).all():
        return hrows
    return rows_of(household_ids, ids)


def deductions_bounded(a: Allocation) -> list[Violation]:
    """Deductions never take a household below zero or below its protected minimum, recover no
    more than asked, match the ``deductions`` column, and carry forward only what the protected
    minimum kept back."""
    out: list[Violation] = []
    for check in a.checks:
        if not isinstance(check, DeductionCheck):
            continue
        f = check.frame
        if "deductions" in a.households.columns:  # the households concerned, found by binary search
            rows = _rows_held(a.households["household_id"], f["household_id"], check.hrows)
            taken = -a.households["deductions"].gather(rows.fill_null(0))
            joined = f.with_columns(column=pl.when(rows.is_not_null()).then(taken))
        else:
            joined = f.with_columns(column=pl.lit(0, pl.Int64))
        low = (pl.col("recovered") > 0) & ((pl.col("after") < pl.col("protected")) | (pl.col("after") < 0))
        wrong = (pl.col("column") != pl.col("recovered")) | (pl.col("recovered") > pl.col("asked")) | (pl.col("recovered") < 0)
        floor = pl.max_horizontal(pl.min_horizontal(pl.col("before"), pl.col("protected")), 0)
        short = (pl.col("recovered") < pl.col("asked")) & (pl.col("after") > floor)
        # one pass says which of the three holds anywhere; only those rows are then listed
        any_low, any_wrong, any_short = joined.select(low.any(), wrong.any().alias("w"), short.any().alias("s")).row(0)
        for r in (joined.filter(low).head(20).iter_rows(named=True) if any_low else ()):
            out.append(Violation("deductions_bounded", Msg("inv.deduction", household=r["household_id"], recovered=r["recovered"],
                                                           before=r["before"], after=r["after"], protected=r["protected"])))
        for r in (joined.filter(wrong).head(20).iter_rows(named=True) if any_wrong else ()):
            out.append(Violation("deductions_bounded", Msg("inv.deduction_rows", household=r["household_id"],
                                                           recovered=r["recovered"], asked=r["asked"])))
        for r in (joined.filter(short).with_columns(floor=floor).head(20).iter_rows(named=True) if any_short else ()):
            out.append(Violation("deductions_bounded", Msg("inv.deduction_short", household=r["household_id"], after=r["after"],
                                                           floor=r["floor"])))
    if a.deductions is not None:
        d = a.deductions
        if d.select(((pl.col("recovered_fen") + pl.col("carried_forward_fen") != pl.col("amount_fen"))
                     | (pl.col("carried_forward_fen") < 0) | (pl.col("recovered_fen") < 0)).any()).item():
            out.append(Violation("deductions_bounded", Msg("inv.deduction_rows", household="*", recovered="-", asked="-")))
    return out


CHECKS: tuple[Check, ...] = (conservation, step_conservation, no_negative_line, floors_met, within_one_fen,
                             groups_settled, deductions_bounded)


def check(allocation: Allocation) -> list[Violation]:
    """Run every invariant; an empty list means the allocation is sound."""
    return [v for c in CHECKS for v in c(allocation)]
