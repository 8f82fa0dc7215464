"""Paying a run: payout batches, the bank's results, closing (the village's accountant)."""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from dividends import payouts
from dividends.actors import Actor
from dividends.clock import Clock, SystemClock
from dividends.policy import allow
from dividends.usecases import scope
from dividends.refusals import Forbidden, NotAllowed
from dividends.runs import get_run as runs_get
from dividends.runs import refuse
from dividends.store import approvals, cash, payees
from schemes.problems import InputError


async def pay(actor: Actor, run_id: int, *, bank_format: str = "generic",
              clock: Clock = SystemClock()) -> payouts.BatchOutcome:
    found = await scope.run(actor, run_id)
    allow(actor, "run.pay", found.place, state=found.state, what=run_id)
    return await payouts.pay(found.id, actor.username, bank_format=bank_format, clock=clock)


async def bank_result(actor: Actor, run_id: int, path: Path, *, batch_number: int | None = None,
                      clock: Clock = SystemClock()) -> payouts.ResultOutcome:
    found = await scope.run(actor, run_id)
    allow(actor, "run.bank_result", found.place, state=found.state, what=run_id)
    return await payouts.import_bank_result(found.id, path, actor.username, batch_number=batch_number, clock=clock)


async def close(actor: Actor, run_id: int, *, allow_unpaid: bool = False, reason: str = "",
                clock: Clock = SystemClock()) -> payouts.Outcome:
    """Close a paid run; with unpaid households only when ``allow_unpaid`` and a ``reason``."""
    found = await scope.run(actor, run_id)
    allow(actor, "run.close", found.place, state=found.state, what=run_id)
    return await payouts.close(found.id, actor.username, allow_unpaid=allow_unpaid, reason=reason, clock=clock)


async def closing(actor: Actor, run_id: int) -> payouts.ClosingView:
    """What closing would meet, for the page's close form: why not yet, or who stays unpaid.
    A state or role that does not allow closing is itself the ``blocker``."""
    found = await scope.run(actor, run_id)
    try:
        allow(actor, "run.close", found.place, state=found.state, what=run_id)
    except InputError as refused:
        return payouts.ClosingView(refused.problems[0].msg, [], 0)
    return await payouts.closing(found.id)


async def export_batch(actor: Actor, run_id: int, number: int, directory: Path) -> list[Path]:
    """The stored bank files of a batch, written for the accountant who pays."""
    found = await scope.run(actor, run_id)
    allow(actor, "run.pay", found.place, what=run_id)
    return await payouts.export_batch(found.id, number, directory)


async def correct_payee(actor: Actor, run_id: int, household_id: str, account_no: str, *, bank: str = "",
                        reason: str = "") -> object:
    """Prepare a household's corrected payment account between batches (the accountant): only
    for a household whose payment failed and is still unpaid, one pending correction at a time;
    a committee member who did not prepare it approves it (:func:`approve_payee`)."""
    found = await scope.run(actor, run_id)
    allow(actor, "payee.correct", found.place, state=found.state, what=run_id)
    account_no, bank, reason = account_no.strip(), bank.strip(), reason.strip()
    if re.fullmatch(r"[0-9]{6,32}", account_no) is None:
        raise refuse("payee.account_invalid", found=account_no)
    if not reason:
        raise refuse("payee.reason_missing")
    if household_id not in await payees.unpaid_failed(found.id):
        raise refuse("payee.not_failed", run=run_id, household=household_id)
    pending = await payees.pending_of(found.id, household_id)
    if pending is not None:
        raise refuse("payee.pending", run=run_id, household=household_id, correction=pending.id)
    return await payees.prepare(await runs_get(found.id), household_id, account_no, bank, reason, actor.username)


async def payee_households(actor: Actor, run_id: int) -> list[str]:
    """The households whose payment account may be corrected now (failed at the bank, unpaid;
    not those with no account, paid in cash): the payee form's choice."""
    found = await scope.run(actor, run_id)
    allow(actor, "village.read", found.place, what=run_id)
    return sorted(await payees.unpaid_failed(found.id))


async def _checked(actor: Actor, run_id: int, action: str, get: Callable[[int, int], Awaitable[Any]],
                   object_id: int) -> tuple[Any, Any]:
    """The run and its maker–checker object (a payee correction, a cash payment) ``object_id``
    that ``actor`` may decide on by ``action``: not found outside the run, else the policy's
    refusals (role, state, the preparer themself)."""
    found = await scope.run(actor, run_id)
    row = await get(found.id, object_id)
    if row is None:
        raise NotAllowed(object_id)
    allow(actor, action, found.place, state=found.state, prepared_by=row.prepared_by, what=f"{run_id}/{object_id}")
    return found, row


async def approve_payee(actor: Actor, run_id: int, correction_id: int, *, clock: Clock = SystemClock()) -> bool:
    """A committee member approves a prepared payee correction (not its preparer)."""
    found, row = await _checked(actor, run_id, "payee.approve", payees.get, correction_id)
    if row.state == "approved":
        return False
    return await payees.approve(row, await runs_get(found.id), actor.username, clock.now())


async def payee_corrections(actor: Actor, run_id: int) -> list[object]:
    found = await scope.run(actor, run_id)
    allow(actor, "village.read", found.place, what=run_id)
    return list(await payees.of_run(found.id))


async def cash_list(actor: Actor, run_id: int) -> list[dict[str, object]]:
    """The households of a paid run still owed after a failed bank payment or with no bank
    account (approved to be paid in cash), for the printable
    signed receipt list (签字领取表): household, masked head name and id number, amount in fen.
    Names are masked as on the public notice (``notify.privacy``)."""
    from notify.privacy import mask_id_number, mask_name
    found = await scope.run(actor, run_id)
    allow(actor, "run.close", found.place, state=found.state, what=run_id)
    recorded = await cash.awaiting(found.id)  # already on a recorded cash payment: signed already
    return [{"household_id": r["household_id"], "amount_fen": int(r["amount_fen"]),
             "name": mask_name(r["head_name"]) if r["head_name"] else "",
             "id_number": mask_id_number(r["id_number"]) if r["id_number"] else ""}
            for r in await approvals.result_rows(found.id)
            if r["status"] in ("failed", "cash") and r["household_id"] not in recorded]


async def cash_owed(actor: Actor, run_id: int) -> dict[str, int]:
    """Household -> amount_fen of the households that may be recorded as paid in cash now: still
    owed after a failed bank payment, no batch pending at the bank, not on a recorded cash
    payment that waits for approval. Empty for a role or state that may not record one."""
    found = await scope.run(actor, run_id)
    try:
        allow(actor, "cash.prepare", found.place, state=found.state, what=run_id)
    except (InputError, Forbidden):
        return {}
    waiting = await cash.awaiting(found.id)
    return {h: a for h, (_, a) in (await cash.owed_in_cash(found.id)).items() if h not in waiting}


async def record_cash(actor: Actor, run_id: int, households: list[str], *, name: str, data: bytes,
                      note: str = "") -> object:
    """The accountant records households of a paid run paid in cash against the signed receipt
    list, with its scan (JPEG, PNG or PDF, stored by hash). Only households still owed after a
    failed bank payment (none pending at the bank, none paid), each once; nothing is paid before
    a committee member who did not record it approves (:func:`approve_cash`)."""
    from dividends.usecases.publicity import checked_scan
    found = await scope.run(actor, run_id)
    allow(actor, "cash.prepare", found.place, state=found.state, what=run_id)
    chosen = sorted({h.strip() for h in households if h.strip()})
    if not chosen:
        raise refuse("cash.no_lines", run=run_id)
    owed, waiting = await cash.owed_in_cash(found.id), await cash.awaiting(found.id)
    for household in chosen:
        if household in waiting:
            raise refuse("cash.pending", household=household, payment=waiting[household])
        if household not in owed:
            raise refuse("cash.not_owed", household=household, run=run_id)
    name, kind = checked_scan(name or "receipts", data, "cash.scan")
    return await cash.prepare(await runs_get(found.id), [(h, *owed[h]) for h in chosen], name=name, media_type=kind,
                              data=data, note=note.strip()[:2000], actor=actor.username)


async def approve_cash(actor: Actor, run_id: int, payment_id: int, *, clock: Clock = SystemClock()) -> bool:
    """A committee member who did not record it approves a cash payment: its households become
    paid and the settlement is posted (:func:`dividends.payouts.pay_in_cash`)."""
    found, row = await _checked(actor, run_id, "cash.approve", cash.get, payment_id)
    return await payouts.pay_in_cash(found.id, row.id, actor.username, clock=clock)


async def reject_cash(actor: Actor, run_id: int, payment_id: int, reason: str, *, clock: Clock = SystemClock()) -> bool:
    """A committee member who did not record it turns a recorded cash payment down, saying why
    (the signatures do not match, a household was paid otherwise meanwhile): nothing is paid,
    and closing no longer waits for it."""
    found, row = await _checked(actor, run_id, "cash.approve", cash.get, payment_id)
    if not reason.strip():
        raise refuse("cash.reason_missing", payment=payment_id)
    return await cash.reject(row.id, await runs_get(found.id), actor.username, clock.now(), reason.strip()[:2000])


async def cash_payments(actor: Actor, run_id: int) -> list[dict[str, object]]:
    """The run's cash payments (recorded and approved) with their lines, for whoever reads the
    run; a recorded one carries ``why``: None when ``actor`` may approve it now, else the reason
    (role, state, the recorder themself, a household no longer owed), the one the POST gives."""
    found = await scope.run(actor, run_id)
    allow(actor, "village.read", found.place, what=run_id)
    out = await cash.of_run(found.id)
    for p in out:
        if p["state"] != "prepared":
            continue
        try:
            allow(actor, "cash.approve", found.place, state=found.state, prepared_by=str(p["prepared_by"]),
                  what=f"{run_id}/{p['id']}")
            p["why"] = await payouts.cash_blocker(found.id, int(p["id"]))  # type: ignore[call-overload]
        except InputError as refused:
            p["why"] = refused.problems[0].msg
        except Forbidden as refused:
            p["why"] = refused.msg
    return out


async def cash_scan(actor: Actor, run_id: int, payment_id: int) -> tuple[str, bytes]:
    """The scan of a cash payment's signed list (its media type and bytes)."""
    found = await scope.run(actor, run_id)
    allow(actor, "village.read", found.place, what=run_id)
    row = await cash.get(found.id, payment_id)
    if row is None:
        raise NotAllowed(payment_id)
    return row.evidence_type, await cash.evidence_bytes(row.evidence)


async def corrections_not_in_registry(actor: Actor, snapshot: object) -> list[dict[str, object]]:
    """For a registry version's page: approved payee corrections its file does not carry yet, with
    the run they were made on (the accountant applies them to the next registry file)."""
    found = await scope.village(actor, snapshot.village.code)  # type: ignore[attr-defined]
    return [{"household_id": c.household_id, "account_no": c.account_no, "bank": c.bank, "run": c.run_id}  # type: ignore[attr-defined]
            for c in await payees.not_in_snapshot(found.village_id, snapshot.id)]  # type: ignore[attr-defined]
