"""Paying a run: payout batches and bank files, bank results and settlements, closing.

The first batch is issued by ``pay`` (approved -> paid) and holds every household owed money.
The bank's result file marks each line paid or failed; paid lines post one settlement entry per
imported file. Failed lines stay payable and go into a follow-up batch. A household is paid at
most once per run: the database holds one ``paid_key`` per (run, household).
"""
from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from datetime import date
from pathlib import Path

import polars as pl

from dividends import ledger
from dividends.clock import Clock, SystemClock, today
from dividends.faults import checkpoint
from dividends.files import BatchMeta, load_formats, write_bank_csv, write_bank_xlsx
from dividends.hashing import sha256_file
from dividends.registry import ColumnSpec, read_table
from dividends.runs import (
    Outcome, _advance, _check, get_run, lines_frame, refuse, snapshot_households, state_name, states, without_account,
)
from dividends.store import audit, cash, payees
from dividends.store import ledger as ledger_store
from dividends.store import payouts as store
from dividends.store.files import get_file, put_file
from dividends.store.transactions import transaction
from schemes.i18n import Msg
from schemes.money import MoneyFormatError, format_yuan, parse_yuan
from schemes.problems import InputError, Problem

if TYPE_CHECKING:
    from dividends.store.models import PayoutBatch, PayoutItem, Run

RESULT_COLUMNS = (
    ColumnSpec("household_id", "户编号", required=True, aliases=("客户编号", "户号"), code_like=True),
    ColumnSpec("status", "状态", required=True, aliases=("结果", "处理结果", "result", "交易状态")),
    ColumnSpec("amount_yuan", "金额", aliases=("amount", "交易金额", "发放金额"), code_like=True),
    ColumnSpec("bank_ref", "流水号", aliases=("交易流水号", "bank_reference", "reference"), code_like=True),
    ColumnSpec("reason", "失败原因", aliases=("备注", "原因", "failure_reason")),
)
PAID_WORDS = {"paid", "success", "succeeded", "ok", "成功", "已支付", "支付成功", "交易成功"}
FAILED_WORDS = {"failed", "failure", "fail", "失败", "支付失败", "交易失败", "退回"}


@dataclass(frozen=True)
class BatchOutcome:
    run: Run
    batch: PayoutBatch | None  # None: every household owed is paid in cash (no bank account)
    changed: bool


async def previously_paid(run: Run) -> dict[str, int]:
    """What households were paid under the runs this one replaces (a correction pays only the
    difference)."""
    from dividends.store.recoveries import paid_under_replaced
    return await paid_under_replaced(run)


def owed(lines: pl.DataFrame, before: Mapping[str, int]) -> pl.DataFrame:
    """``[household_id, amount_fen]`` owed by a run: its household lines above zero, less what
    each household was paid under the runs this one replaces (``before``); none owed left out."""
    out = lines.filter((pl.col("recipient_kind") == "household") & (pl.col("amount_fen") > 0)).select(
        pl.col("recipient_id").alias("household_id"), "amount_fen")
    if before:
        out = out.with_columns(
            (pl.col("amount_fen") - pl.col("household_id").replace_strict(dict(before), default=0, return_dtype=pl.Int64))
            .alias("amount_fen")).filter(pl.col("amount_fen") > 0)
    return out


async def _items_owed(run: Run) -> pl.DataFrame:
    return owed(await lines_frame(run.id), await previously_paid(run))


def unpaid(rows: Sequence[tuple[str, int, str]], statuses: tuple[str, ...] = ("failed",)) -> pl.DataFrame:
    """Of the payout items ``(household_id, amount_fen, status)`` of a run (in batch order), the
    households whose last item has one of ``statuses`` and none paid, ``[household_id,
    amount_fen]`` sorted by household."""
    frame = pl.DataFrame(rows, schema={"household_id": pl.String, "amount_fen": pl.Int64, "status": pl.String},
                         orient="row")
    paid = frame.filter(pl.col("status") == "paid")["household_id"].implode()
    return (frame.filter(pl.col("status").is_in(statuses) & ~pl.col("household_id").is_in(paid))
            .unique("household_id", keep="last").select("household_id", "amount_fen")
            .sort("household_id"))


async def _unpaid_after_failures(run: Run, statuses: tuple[str, ...] = ("failed",)) -> pl.DataFrame:
    """Households whose last item has one of ``statuses`` and none paid: ``failed`` for a
    follow-up bank batch; with ``cash`` (no bank account, to be paid in cash) for closing."""
    return unpaid(await store.item_rows(run), statuses)


def with_corrected_accounts(frame: pl.DataFrame, corrected: Mapping[str, tuple[str, str]]) -> pl.DataFrame:
    """A batch's lines with the payee accounts corrected and approved since the run was paid
    (household -> (account, bank); an empty bank keeps the household's bank)."""
    if not corrected:
        return frame
    fixes = pl.DataFrame([(h, a, b) for h, (a, b) in corrected.items()], orient="row",
                         schema={"household_id": pl.String, "fixed_account": pl.String, "fixed_bank": pl.String})
    return (frame.join(fixes, on="household_id", how="left")
            .with_columns(pl.coalesce("fixed_account", "account_no").alias("account_no"),
                          pl.when(pl.col("fixed_account").is_not_null() & (pl.col("fixed_bank") != ""))
                          .then(pl.col("fixed_bank")).otherwise(pl.col("bank")).alias("bank"))
            .drop("fixed_account", "fixed_bank"))


async def pay(run_id: int, actor: str, *, bank_format: str = "generic", clock: Clock = SystemClock()) -> BatchOutcome:
    """Issue the first payout batch (approved -> paid), or a follow-up batch for failed lines.
    A follow-up batch keeps the run's own bank format (the first batch's), whatever is asked,
    and pays to the payee accounts corrected and approved since."""
    run = await get_run(run_id)
    formats = load_formats()
    first = await store.first_batch(run)
    if first is not None:
        bank_format = first.bank_format
    if bank_format not in formats:
        raise InputError([Problem(Msg("yaml.need_choice", expected=sorted(formats), found=bank_format, hint=""))])
    in_cash = pl.DataFrame(schema={"household_id": pl.String, "amount_fen": pl.Int64})
    if run.state == "approved":
        items = await _items_owed(run)
        # no bank account: approved to be paid in cash against the signed list, never to the bank
        no_account = await without_account(run)
        in_cash = items.filter(pl.col("household_id").is_in(no_account))
        items = items.filter(~pl.col("household_id").is_in(no_account))
    elif run.state == "paid":
        pending = await store.pending_count(run)
        if pending:
            last = await store.last_batch(run)
            raise refuse("run.pending_results", batch=last.number if last else "?", count=pending)
        waiting = await cash.awaiting(run.id)  # recorded as paid in cash: not sent to the bank again
        items = (await _unpaid_after_failures(run)).filter(~pl.col("household_id").is_in(list(waiting)))
    else:
        _check(run, "pay", "approved", "paid")
        raise refuse("run.illegal", run=run.id, state=state_name(run.state), action="pay", needed=states("approved"))
    if items.height == 0 and in_cash.height == 0:
        raise refuse("run.nothing_to_pay", run=run.id)
    if items.height == 0:  # every household owed is paid in cash: no bank batch at all
        async with transaction():
            await _advance(run, "approved", "paid", paid_at=clock.now())
            await _to_cash(run, in_cash, actor)
        return BatchOutcome(run, None, True)
    number = (await store.batch_count(run)) + 1
    people = (await snapshot_households(run.snapshot)).select(
        "household_id", pl.col("head_name").alias("payee_name"), "id_number", "account_no", "bank")
    frame = items.join(people, on="household_id", how="left").sort("household_id")
    corrected = await payees.approved_accounts(run.id) if run.state == "paid" else {}
    frame = with_corrected_accounts(frame, corrected)
    meta = BatchMeta(village_id=run.village.code, village_name=run.village.name, period=run.period,
                     run_id=str(run.id), batch_no=str(number), scheme_title=run.scheme.title, created_on=today(clock))
    fmt = formats[bank_format]
    with tempfile.TemporaryDirectory(prefix="batch-") as tmp:
        csv_info = write_bank_csv(frame, meta, fmt, Path(tmp))
        xlsx_info = write_bank_xlsx(frame, meta, fmt, Path(tmp))
        csv_bytes, xlsx_bytes = csv_info.path.read_bytes(), xlsx_info.path.read_bytes()
        csv_name, xlsx_name = csv_info.path.name, xlsx_info.path.name
    async with transaction():
        if run.state == "approved":
            await _advance(run, "approved", "paid", paid_at=clock.now())
        batch = await store.create_batch(run, frame.select("household_id", "amount_fen").rows(), number=number,
                                         bank_format=bank_format, csv_file=await put_file(csv_name, csv_bytes),
                                         xlsx_file=await put_file(xlsx_name, xlsx_bytes), items=frame.height,
                                         total_fen=int(frame["amount_fen"].sum()), created_by=actor)
        checkpoint("pay.items_written")
        await audit.record(actor, "run.pay", "run", run.id, village=run.village, batch=number, items=frame.height,
                           total_fen=batch.total_fen, bank_format=bank_format, csv_sha256=batch.csv_file)
        await _to_cash(run, in_cash, actor)
    return BatchOutcome(run, batch, True)


async def _to_cash(run: Run, in_cash: pl.DataFrame, actor: str) -> None:
    """The households with no bank account approved to be paid in cash get a payout item in no
    batch (status ``cash``): owed until a cash payment of theirs is approved; audited."""
    if in_cash.height == 0:
        return
    rows = in_cash.sort("household_id").rows()
    await store.create_cash_items(run, rows)
    await audit.record(actor, "run.pay_in_cash", "run", run.id, village=run.village,
                       households=[h for h, _ in rows], total_fen=sum(a for _, a in rows))


async def export_batch(run_id: int, number: int, directory: Path) -> list[Path]:
    """Write a batch's stored bank files (CSV and XLSX) into ``directory``."""
    from dividends.store.files import file_name

    batch = await store.get_batch(run_id, number)
    directory.mkdir(parents=True, exist_ok=True)
    out = []
    for digest in (batch.csv_file, batch.xlsx_file):
        path = directory / await file_name(digest)
        path.write_bytes(await get_file(digest))
        out.append(path)
    return out


@dataclass(frozen=True)
class ResultOutcome:
    run: Run
    batch: int
    paid: int
    failed: int
    changed: bool


async def post_settlement(run: Run, paid: Sequence[tuple[str, int]], ref: str, clock: Clock) -> int:
    """Post one settlement entry for households paid (household, amount_fen): each household's
    payable is debited, the bank account credited with the total; ``ref`` is the idempotency key
    (``settlement:<import>`` for a bank result, ``cash:<payment>`` for a cash payment). Inside the
    caller's transaction; returns the entry's id."""
    frame = pl.DataFrame({"household_id": [h for h, _ in paid], "amount_fen": [a for _, a in paid]},
                         schema={"household_id": pl.String, "amount_fen": pl.Int64})
    draft = ledger.draft_settlement(run.village.code, ledger_store.run_ref(run.id), today(clock), frame, ref=ref)
    entries = await ledger_store.append(run.village, [draft], run_id=run.id)
    return await store.ledger_entry_id(entries[0].ref)


def _status(text: str | None) -> str | None:
    word = (text or "").strip().lower()
    return "paid" if word in PAID_WORDS else "failed" if word in FAILED_WORDS else None


class Item(Protocol):
    """What the result rules read of a payout item (the store's ``PayoutItem``)."""

    household_id: str
    amount_fen: int
    status: str


def result_lines(rows: Iterable[Mapping[str, Any]], items: Mapping[str, Item], batch: int,
                 problem: Callable[[Msg, int, str], Problem]) -> tuple[list[tuple[Any, str, str, str]], list[Problem]]:
    """The per-line rules of a bank result for batch ``batch``: each row (``household_id``,
    ``status``, optional ``amount_yuan``, ``bank_ref``, ``reason``, ``_row``) names an item of
    the batch still pending, once, with a status word the bank uses and, when it gives one, the
    item's exact amount. Blank and summary lines (no household, no status) are skipped. Returns
    the decided lines ``(item, "paid" | "failed", bank_ref, reason)`` and the problems (each made
    by ``problem(msg, row, column)``); any problem refuses the whole file."""
    problems: list[Problem] = []
    decided: list[tuple[Any, str, str, str]] = []
    seen: set[str] = set()
    for row in rows:
        hid, r = (row["household_id"] or "").strip(), row["_row"]
        if not hid and not (row["status"] or "").strip():
            continue  # a blank or summary line (totals), not a result
        status = _status(row["status"])
        item = items.get(hid)
        if status is None:
            problems.append(problem(Msg("bank.status", found=row["status"] or ""), r, "status"))
        if item is None:
            problems.append(problem(Msg("bank.unknown_household", household=hid, batch=batch), r, "household_id"))
            continue
        if hid in seen or item.status != "pending":
            problems.append(problem(Msg("bank.already", household=hid, batch=batch,
                                        status=item.status if item.status != "pending" else "—"), r, "household_id"))
        seen.add(hid)
        if row.get("amount_yuan"):
            try:
                if parse_yuan(row["amount_yuan"]) != item.amount_fen:
                    raise MoneyFormatError(row["amount_yuan"])
            except MoneyFormatError:
                problems.append(problem(Msg("bank.amount", household=hid, found=row["amount_yuan"],
                                            expected=format_yuan(item.amount_fen)), r, "amount_yuan"))
        if status:
            decided.append((item, status, (row.get("bank_ref") or "").strip(), (row.get("reason") or "").strip()))
    return decided, problems


async def import_bank_result(run_id: int, path: Path, actor: str, *, batch_number: int | None = None,
                             clock: Clock = SystemClock()) -> ResultOutcome:
    """Record the bank's result for a batch, line by line; paid lines post one settlement."""
    run = await get_run(run_id)
    if run.state != "paid":
        raise refuse("run.illegal", run=run.id, state=state_name(run.state), action="import a bank result",
                     needed=states("paid"))
    batch = await (store.batch_numbered(run, batch_number) if batch_number else store.last_batch(run))
    if batch is None:
        raise refuse("bank.no_batch", run=run.id)
    digest = sha256_file(path)
    if await store.result_already_imported(batch, digest):
        return ResultOutcome(run, batch.number, 0, 0, False)  # the same file again: nothing to do
    table = read_table(path, RESULT_COLUMNS, name=path.name, kind="bank_result")
    items = {i.household_id: i for i in await store.items_of_batch(batch)}
    decided_lines, line_problems = result_lines(table.frame.iter_rows(named=True), items, batch.number, table.problem)
    decided: list[tuple[PayoutItem, str, str, str]] = decided_lines
    problems = [*table.problems, *line_problems]
    if problems:
        raise InputError(problems)
    paid = [(i, ref) for i, s, ref, _ in decided if s == "paid"]
    failed = [(i, reason) for i, s, _, reason in decided if s == "failed"]
    async with transaction():
        stored = await put_file(path.name, path.read_bytes())
        record = await store.create_result(batch, file=stored, imported_by=actor, paid=len(paid), failed=len(failed))
        entry_id = None
        if paid:
            entry_id = await post_settlement(run, [(i.household_id, i.amount_fen) for i, _ in paid],
                                             f"settlement:{record.id}", clock)
        await store.record_result_lines((record.id, i.id, s, ref, reason, entry_id if s == "paid" else None)
                                        for i, s, ref, reason in decided)
        checkpoint("bank_result.settlement_posted")
        await store.mark_items([i.id for i, _ in paid], [i.id for i, _ in failed])
        await audit.record(actor, "run.bank_result", "run", run.id, village=run.village, batch=batch.number,
                           paid=len(paid), failed=len(failed), file_sha256=stored)
    return ResultOutcome(run, batch.number, len(paid), len(failed), True)


@dataclass(frozen=True)
class ClosingView:
    """What closing a paid run would meet: ``blocker`` (a reason it cannot close yet, None when
    it can) and the households still unpaid after failed results (closing with them needs a
    stated reason)."""

    blocker: Msg | None
    unpaid: list[str]
    unpaid_fen: int


def closing_blocker(pending: int, last_batch: int | None, waiting: Mapping[str, int]) -> Msg | None:
    """Why a paid run cannot close yet (None: it can): ``pending`` items of the last batch
    (number ``last_batch``) wait for the bank's result, or the cash payments ``waiting``
    (household -> payment) are recorded but not yet approved or turned down."""
    if pending:
        return Msg("run.pending_results", batch=last_batch if last_batch is not None else "?", count=pending)
    if waiting:  # a recorded cash payment is approved (or not) before closing
        return Msg("cash.awaiting_close", payment=min(waiting.values()), count=len(waiting))
    return None


async def closing(run_id: int) -> ClosingView:
    run = await get_run(run_id)
    pending = await store.pending_count(run)
    last = await store.last_batch(run) if pending else None
    blocker = closing_blocker(pending, last.number if last else None, await cash.awaiting(run.id))
    left = await _unpaid_after_failures(run, ("failed", "cash"))
    return ClosingView(blocker, left["household_id"].to_list(), int(left["amount_fen"].sum()))


def close_refusal(view: ClosingView, run_id: int, allow_unpaid: bool, reason: str) -> InputError | None:
    """Why ``close`` refuses (None: it closes): a blocker, or households left unpaid without
    ``allow_unpaid`` and a stated ``reason``."""
    if view.blocker is not None:
        return InputError([Problem(view.blocker)])
    if view.unpaid and not allow_unpaid:
        return refuse("run.unpaid", run=run_id, count=len(view.unpaid), households=view.unpaid[:10])
    if view.unpaid and not reason.strip():
        return refuse("run.unpaid_reason", run=run_id, count=len(view.unpaid))
    return None


async def close(run_id: int, actor: str, *, allow_unpaid: bool = False, reason: str = "",
                clock: Clock = SystemClock()) -> Outcome:
    """Close a paid run. Unpaid households (failed, not paid by a follow-up batch) stop it unless
    ``allow_unpaid`` with a ``reason``, which the audit trail keeps with the households."""
    run = await get_run(run_id)
    if not _check(run, "close", "paid", "closed"):
        return Outcome(run, False)
    view = await closing(run.id)
    refused = close_refusal(view, run.id, allow_unpaid, reason)
    if refused is not None:
        raise refused
    async with transaction():
        await _advance(run, "paid", "closed", closed_at=clock.now())
        await audit.record(actor, "run.close", "run", run.id, village=run.village, unpaid=view.unpaid,
                           unpaid_fen=view.unpaid_fen, **({"reason": reason.strip()} if view.unpaid else {}))
    return Outcome(run, True)




async def cash_blocker(run_id: int, payment_id: int) -> Msg | None:
    """Why a recorded cash payment cannot be approved now (None: it can): one of its households
    is no longer owed by the same failed (or cash) payout item (a later batch paid it or is at the bank)."""
    return not_owed(await cash.owed_in_cash(run_id), await cash.lines_of(payment_id), run_id)


def not_owed(owed_now: Mapping[str, tuple[int, int]], lines: Iterable[tuple[str, int, int]], run_id: int) -> Msg | None:
    """The first line ``(household, item_id, amount_fen)`` of a cash payment whose household is
    no longer owed that amount by that same item (``owed_now``: household -> (item_id,
    amount_fen)), as the refusal; None when every line still is."""
    for household, item_id, amount in lines:
        if owed_now.get(household) != (item_id, amount):
            return Msg("cash.not_owed", household=household, run=run_id)
    return None


async def pay_in_cash(run_id: int, payment_id: int, actor: str, *, clock: Clock = SystemClock()) -> bool:
    """Approve a recorded cash payment: its households become paid (each still owed after a
    failed bank payment, by the same payout item as when it was recorded) and one settlement
    entry ``cash:<id>`` is posted exactly as for a bank result; audited ``run.cash_paid``.
    False when it was approved already (a no-op)."""
    run = await get_run(run_id)
    payment = await cash.get(run.id, payment_id)
    if payment is None or payment.state != "prepared":  # approved or turned down already: a no-op
        return False
    lines = await cash.lines_of(payment.id)
    blocker = await cash_blocker(run.id, payment.id)
    if blocker is not None:
        raise InputError([Problem(blocker)])
    ref = f"cash:{payment.id}"
    async with transaction():
        if not await cash.approve(payment.id, actor, clock.now()):
            return False
        entry_id = await post_settlement(run, [(h, a) for h, _, a in lines], ref, clock)
        checkpoint("cash.settlement_posted")
        if await cash.settle(payment.id, [i for _, i, _ in lines], entry_id) != len(lines):
            raise refuse("cash.not_owed", household=", ".join(h for h, _, _ in lines), run=run.id)
        await audit.record(actor, "run.cash_paid", "run", run.id, village=run.village, payment=payment.id,
                           households=[h for h, _, _ in lines], total_fen=payment.total_fen, ref=ref,
                           evidence_sha256=payment.evidence)
    return True
