"""Payout runs and each transition, as the actor may do them (see :mod:`dividends.policy`).

``approve`` is the one place a run is approved; later rules of approval (the villagers'
resolution, a township review) extend it here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from dividends import payouts, runs
from dividends.actors import Actor
from dividends.approval import ApprovalRules, Resolution
from dividends.clock import Clock, SystemClock, today
from dividends.policy import RULES, allow
from dividends.refusals import Forbidden, NotAllowed, refuse
from schemes.i18n import Msg
from schemes.problems import InputError, Problem
from dividends.store import approvals, facts
from dividends.store import runs as run_store
from dividends.store.records import RunFacts
from dividends.usecases import scope

Outcome = runs.Outcome


async def show(actor: Actor, run_id: int) -> runs.Run:
    """A run the actor may read (every role, in its scope)."""
    found = await scope.run(actor, run_id)
    allow(actor, "village.read", found.place, what=run_id)
    return await runs.get_run(found.id)


async def create(actor: Actor, village: str, period: int, scheme_ref: str, *, amount_yuan: str | None = None,
                 asset: str | None = None, replaces: int | None = None,
                 deductions: tuple[str, bytes] | None = None) -> runs.Run:
    """A draft run of the actor's village. One live regular run per asset return; a correction
    (``replaces``) replaces a reversed run of the same village. ``deductions`` (file name,
    content): debts and overpayments to take from household lines, a recorded input."""
    place = await scope.village(actor, village)
    allow(actor, "run.create", place, what=village)
    if amount_yuan is not None:
        allow(actor, "return.record", place, what=village)
    if replaces is not None:
        replaced = await facts.run_facts(replaces)
        if replaced is None or replaced.place.village_id != place.village_id:
            raise NotAllowed(replaces)
    return await runs.create_run(village, period, scheme_ref, actor.username, amount_yuan=amount_yuan, asset=asset,
                                 replaces=replaces, deductions=deductions)


async def compute(actor: Actor, run_id: int, clock: Clock = SystemClock()) -> Outcome:
    found = await scope.run(actor, run_id)
    allow(actor, "run.compute", found.place, state=found.state, what=run_id)
    if found.state == "draft" and await approvals.was_returned(found.id):
        await approvals.refresh_snapshot(found.id)  # returned for correction: the corrected registry
    return await runs.compute_run(found.id, actor.username, clock)


async def publicize(actor: Actor, run_id: int, start: date | None = None, end: date | None = None,
                    clock: Clock = SystemClock(), min_days: int = runs.MIN_NOTICE_DAYS) -> Outcome:
    """Start the notice period: from ``start`` (default: today, never earlier) for at least
    ``min_days`` days (default: exactly that)."""
    found = await scope.run(actor, run_id)
    allow(actor, "run.publicize", found.place, state=found.state, what=run_id)
    first = start or today(clock)
    last = end or date.fromordinal(first.toordinal() + min_days - 1)
    return await runs.publicize(found.id, first, last, actor.username, clock, min_days)


async def approve(actor: Actor, run_id: int, clock: Clock = SystemClock(), resolution: Resolution | None = None,
                  rules: ApprovalRules | None = None, *, cash_without_account: bool = False) -> Outcome:
    """Approval by a committee member of the run's village who did not prepare it, after the
    notice period, with no open objection (checked by :func:`dividends.runs.approve`), on the
    villagers' (representatives') meeting resolution: it must meet the quorum and majority rules
    and be about this run's content (its hash); where the county requires it, the township's
    review and filing of exactly this content comes first. Posts the accrual and stores the
    resolution bound to the content hash, in one transaction. Households owed money with no bank
    account stop it unless ``cash_without_account``: the approver agrees they are paid in cash
    against the signed receipt list (the approval's audit event lists them)."""
    found = await scope.run(actor, run_id)
    allow(actor, "run.approve", found.place, state=found.state, prepared_by=found.prepared_by, what=run_id)
    if found.state != "publicized":  # already approved: a no-op
        return await runs.approve(found.id, actor.username, clock)
    if found.kind == "reversal":
        raise refuse("approval.not_regular", run=run_id)
    rules = rules or ApprovalRules.from_env()
    if resolution is None:
        raise refuse("approval.resolution_required")
    problems = resolution.problems(rules)
    if problems:
        raise InputError([Problem(p) for p in problems])
    if resolution.meeting_date > today(clock):
        raise refuse("approval.future", date=resolution.meeting_date.isoformat(), today=today(clock).isoformat())
    bound = await approvals.approval_facts(found.id)
    if resolution.content_hash and resolution.content_hash != bound.content_hash:
        raise refuse("approval.other_content", found=resolution.content_hash[:16], run=run_id,
                     expected=bound.content_hash[:16])
    await _check_review(found, bound, rules)
    record = {"counts": {"meeting_date": resolution.meeting_date, "body": resolution.body, **resolution.counts()},
              "quorum": f">={rules.quorum}", "majority": f">{rules.majority}"}
    return await runs.approve(found.id, actor.username, clock, resolution=record,
                              cash_without_account=cash_without_account)


async def _check_review(found: Any, bound: Any, rules: ApprovalRules) -> None:
    """Where the county requires it, the township's review of exactly this content comes first."""
    if rules.review_required(bound.county_code):
        if bound.township_id is None:
            raise refuse("approval.no_township", village=found.place.village_code)
        if not await approvals.reviewed(found.id, bound.content_hash):
            raise refuse("approval.review_required", run=found.id, hash=bound.content_hash[:16])


#: the run page's actions, in the order of the lifecycle
PAGE_ACTIONS = ("run.compute", "run.publicize", "run.return", "run.approve", "run.pay", "run.bank_result", "run.close",
                "run.cancel", "run.reverse", "reversal.approve", "run.correct")


@dataclass(frozen=True)
class Reversal:
    """Where a run stands between reversal and correction: the reversal of this run (prepared or
    approved), the run this reversal undoes, the correction replacing this reversed run, the
    reversed run this correction replaces (ids; None where there is none)."""

    reversal: int | None
    reversal_state: str | None
    reverses: int | None
    correction: int | None
    replaces: int | None


async def reversal(actor: Actor, run_id: int) -> Reversal:
    """The links of the run page between a run, its reversal and its correction."""
    found = await scope.run(actor, run_id)
    mirror = await run_store.pending_reversal_of(found.id) if found.kind != "reversal" else None
    correction = await run_store.correction_of(found.id) if found.state == "reversed" else None
    return Reversal(mirror.id if mirror else None, mirror.state if mirror else None, found.reverses_id,
                    correction.id if correction else None, found.replaces_id)


async def _page_check(actor: Actor, action: str, found: RunFacts) -> None:
    """The checks beyond the policy table that the transition itself runs, asked in advance."""
    if action == "run.reverse":
        if found.kind == "reversal":
            raise refuse("approval.not_regular", run=found.id)
        mirror = await run_store.pending_reversal_of(found.id)
        if mirror is not None and mirror.state == "computed":
            raise refuse("run.reversal_pending", run=found.id, reversal=mirror.id)
    elif action == "run.correct":
        if found.state != "reversed":
            raise refuse("run.replaces_not_reversed", run=found.id, state=runs.state_name(found.state))
        correction = await run_store.correction_of(found.id)
        if correction is not None:
            raise refuse("run.correction_exists", run=found.id, correction=correction.id)


def _allow_page(actor: Actor, action: str, found: RunFacts) -> None:
    """The policy table's answer for one button of the run page."""
    if action == "reversal.approve":
        if found.kind != "reversal":
            raise refuse("refusal.not_a_reversal", run=found.id)
        if found.state == "closed":
            raise refuse("run.reversal_approved", run=found.id, user=found.approved_by or "-")
        allow(actor, action, found.place, prepared_by=found.prepared_by, what=found.id)
    elif action == "run.correct":  # a correction is a new run of the village
        allow(actor, "run.create", found.place, what=found.id)
    else:
        allow(actor, action, found.place, state=found.state, prepared_by=found.prepared_by, what=found.id)


def _done_states(action: str) -> tuple[str, ...]:
    """The run states in which ``action`` is already done (the policy table's ``done``)."""
    rule = RULES.get(action)
    return rule.done if rule is not None else ()


async def blockers(actor: Actor, run_id: int, clock: Clock = SystemClock(),
                   rules: ApprovalRules | None = None) -> dict[str, Msg | None]:
    """Per action of the run page, ``None`` when ``actor`` may do it now, else the reason why
    not: the policy table's answer (role, state, maker–checker) and, for approval, the checks
    :func:`approve` itself runs (objections, notice period, accounts, township review). The
    page disables the button and shows the reason; the POST refuses with the same one. In a
    state where the action is already done (approving an approved run: the POST is a no-op)
    the reason is ``run.done``, "already approved", never None."""
    found = await scope.run(actor, run_id)
    out: dict[str, Msg | None] = {}
    for action in PAGE_ACTIONS:
        try:
            _allow_page(actor, action, found)
            if found.state in _done_states(action):  # the transition would be a no-op: nothing to offer
                out[action] = Msg("run.done", run=found.id, state=Msg(f"state.{found.state}"), action=Msg(f"action.{action}"))
                continue
            await _page_check(actor, action, found)
            if action == "run.approve" and found.state == "publicized":
                if found.kind == "reversal":
                    raise refuse("approval.not_regular", run=run_id)
                # households without an account are the approval form's own choice (paid in cash)
                await runs.check_approval(await runs.get_run(found.id), actor.username, clock, cash_without_account=True)
                await _check_review(found, await approvals.approval_facts(found.id), rules or ApprovalRules.from_env())
            if action == "run.close":  # the same checks payouts.close runs (bank results pending)
                out[action] = (await payouts.closing(found.id)).blocker
                continue
            out[action] = None
        except InputError as refused:
            out[action] = refused.problems[0].msg
        except Forbidden as refused:
            out[action] = refused.msg
    return out


async def without_account(actor: Actor, run_id: int) -> list[str]:
    """The households of a publicized run owed money with no bank account: the approval form
    asks whether they are paid in cash (empty in any other state)."""
    found = await scope.run(actor, run_id)
    allow(actor, "village.read", found.place, what=run_id)
    if found.state != "publicized":
        return []
    return await runs.without_account(await runs.get_run(found.id))


async def return_run(actor: Actor, run_id: int, reason: str, clock: Clock = SystemClock()) -> runs.Run:
    """A committee member returns a computed or publicized run (驳回) with a reason: it goes back
    to draft, its lines and notice period are dropped, and it is corrected (a new registry
    import, if that is what was wrong) and recomputed by the accountant."""
    found = await scope.run(actor, run_id)
    allow(actor, "run.return", found.place, state=found.state, what=run_id)
    if found.kind == "reversal":
        raise refuse("approval.not_regular", run=run_id)
    if not reason.strip():
        raise refuse("approval.reason_required")
    bound = await approvals.approval_facts(found.id)
    if not await approvals.return_to_draft(found.id, found.state, content_hash=bound.content_hash,
                                           reason=reason.strip()[:2000], actor=actor.username, at=clock.now()):
        raise refuse("run.illegal", run=run_id, state=runs.state_name("changed_concurrently"), action="return",
                     needed=runs.states("computed", "publicized"))
    return await runs.get_run(found.id)


async def review(actor: Actor, run_id: int, *, filing_number: str = "", note: str = "",
                 clock: Clock = SystemClock()) -> runs.Run:
    """The township's farm economy station (农经站) records its review and filing of a run's plan,
    bound to the content it reviewed (a recomputed run needs a new review)."""
    found = await scope.run(actor, run_id)
    allow(actor, "run.review", found.place, state=found.state, what=run_id)
    if found.kind == "reversal":
        raise refuse("approval.not_regular", run=run_id)
    bound = await approvals.approval_facts(found.id)
    await approvals.record_decision(found.id, "review", content_hash=bound.content_hash, actor=actor.username,
                                    at=clock.now(), township_id=actor.township_id,
                                    filing_number=filing_number.strip()[:64], text=note.strip()[:2000])
    return await runs.get_run(found.id)


async def decisions(actor: Actor, run_id: int) -> dict[str, Any]:
    """The run's resolution, reviews and returns, for whoever may read the run."""
    found = await scope.run(actor, run_id)
    allow(actor, "village.read", found.place, what=run_id)
    bound = await approvals.approval_facts(found.id)
    return {"resolution": await approvals.resolution_of(found.id), "decisions": await approvals.decisions_of(found.id),
            "review_required": ApprovalRules.from_env().review_required(bound.county_code),
            "reviewed": bool(bound.content_hash) and await approvals.reviewed(found.id, bound.content_hash)}


async def cancel(actor: Actor, run_id: int, reason: str, clock: Clock = SystemClock()) -> Outcome:
    found = await scope.run(actor, run_id)
    allow(actor, "run.cancel", found.place, state=found.state, what=run_id)
    return await runs.cancel(found.id, actor.username, reason, clock)


async def reverse(actor: Actor, run_id: int, reason: str, clock: Clock = SystemClock()) -> runs.Run:
    """Prepare the reversal of a posted run; it posts only when another committee member of
    the village approves it (:func:`approve_reversal`)."""
    found = await scope.run(actor, run_id)
    allow(actor, "run.reverse", found.place, state=found.state, what=run_id)
    if found.kind == "reversal":
        raise refuse("approval.not_regular", run=run_id)
    if not reason.strip():
        raise refuse("web.form.required", field="reason")
    return await runs.prepare_reversal(found.id, actor.username, reason.strip(), clock)


async def correct(actor: Actor, run_id: int, scheme_ref: str) -> runs.Run:
    """A correction run replacing the reversed run ``run_id``: same village, period and asset
    return, the latest registry version, ``scheme_ref`` (the reversed run's scheme by default
    on the page). Refused while another correction of it is live."""
    found = await scope.run(actor, run_id)
    allow(actor, "run.create", found.place, what=run_id)
    await _page_check(actor, "run.correct", found)
    reversed_run = await runs.get_run(found.id)
    return await create(actor, found.place.village_code, found.period, scheme_ref,
                        asset=reversed_run.asset_return.asset if reversed_run.asset_return else None,  # type: ignore[attr-defined]
                        replaces=found.id)


async def approve_reversal(actor: Actor, reversal_id: int, clock: Clock = SystemClock()) -> runs.Run:
    """Approve a prepared reversal: a committee member of the village who did not prepare it."""
    found = await scope.run(actor, reversal_id)
    allow(actor, "reversal.approve", found.place, what=reversal_id)  # the role first, then the run
    if found.kind != "reversal":
        raise refuse("refusal.not_a_reversal", run=reversal_id)
    allow(actor, "reversal.approve", found.place, prepared_by=found.prepared_by if found.state != "closed" else None,
          what=reversal_id)
    return await runs.approve_reversal(found.id, actor.username, clock)
