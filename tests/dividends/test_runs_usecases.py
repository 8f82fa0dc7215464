"""The run rules of dividends/usecases/runs.py and objections.py (who may do which transition, in
which state, with whose approval; the notice period before approval; what each transition writes
to the audit trail and the ledger) against the in-memory fakes of the store (tests/fake_store.py):
no database, each stored fact staged exactly. tests/dividends/test_fake_store.py runs one whole
lifecycle of the same use cases on SQLite (and PostgreSQL) and on the fake and compares them;
tests/dividends/test_runs.py and test_approval.py walk runs on the database."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from dividends import runs
from dividends.actors import Actor
from dividends.approval import ApprovalRules, Resolution
from dividends.carryover import EARLIER_REVERSED, REVERSED
from dividends.clock import FixedClock
from dividends.compute import resolve_scheme
from dividends.recoveries import REVERSED as RECOVERY_REVERSED
from dividends.refusals import Forbidden, NotAllowed
from dividends.usecases import objections
from dividends.usecases import runs as cases
from schemes.problems import InputError
from tests.dividends.support import sample_files
from tests.fake_store import Debt, FakeStore, Run, fake  # noqa: F401  (fixture)

NOW = datetime(2025, 1, 13, 2, 0, tzinfo=UTC)  # 10:00 in China, the day after the notice period
A, B, C = "V0001001", "V0001002", "V0001003"
OWED = ((A, 1000), (B, 2550), (C, 700))
HASH = "c0ffee" + "0" * 58
VILLAGE = {"village_id": 1, "village_code": "V0001", "county_id": 1}
ACC = Actor(1, "acc", "会计", "accountant", **VILLAGE)  # type: ignore[arg-type]
COM = Actor(2, "com", "监委", "committee", **VILLAGE)  # type: ignore[arg-type]
PREPARER = Actor(3, "acc", "会计", "committee", **VILLAGE)  # type: ignore[arg-type]  # the preparer as a committee member
TOWN = Actor(4, "town", "农经站", "township", township_id=7)
AUD = Actor(5, "aud", "审计", "auditor", county_id=1)
ADMIN = Actor(6, "root", "管理员", "admin")
ROLES = {"accountant": ACC, "committee": COM, "township": TOWN, "auditor": AUD, "admin": ADMIN}
STRANGERS = (Actor(11, "acc2", "会计", "accountant", village_id=2, county_id=1),
             Actor(12, "com2", "监委", "committee", village_id=2, county_id=1),
             Actor(13, "town2", "农经站", "township", township_id=8),
             Actor(14, "aud2", "审计", "auditor", county_id=2))
GOOD = Resolution(date(2025, 1, 13), entitled=30, present=21, votes_for=15, votes_against=4, abstaining=2)
RULES = ApprovalRules()
REVIEW = ApprovalRules(review_counties=frozenset({"default"}))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


def add(fake: FakeStore, state: str = "publicized", owed: Any = OWED, **columns: Any) -> Run:
    """A computed run of V0001 (township 7, county ``default``) prepared by ``acc``, in ``state``;
    publicized and later ones with the notice period 2025-01-06..12."""
    if state in ("publicized", "approved", "paid", "closed", "reversed"):
        columns = {"notice_start": date(2025, 1, 6), "notice_end": date(2025, 1, 12), **columns}
    if state != "draft":
        columns = {"content_hash": HASH, **columns}
    run = fake.add_run(owed, state=state, village_id=1, township=(7, "T1"), prepared_by="acc",
                       pool_fen=sum(a for _, a in owed), **columns)
    run.lines = len(owed) if state != "draft" else 0  # the run's count of lines
    return run


def keys(raised: pytest.ExceptionInfo[InputError]) -> list[str]:
    return [p.msg.key for p in raised.value.problems]


def stored(fake: FakeStore, run: Run) -> Run:
    return fake.tables.runs[run.id]


def events(fake: FakeStore, run: Run) -> list[tuple[str, str, dict[str, Any]]]:
    return [(e.action, e.actor, e.detail) for e in fake.tables.audit if e.object_type == "run" and e.object_id == str(run.id)]


def refs(fake: FakeStore) -> list[str]:
    return [e.ref for _, _, e in fake.tables.entries]


async def approve(fake: FakeStore, run: Run, clock: FixedClock, actor: Actor = COM, resolution: Any = GOOD,
                  rules: ApprovalRules = RULES, **kw: Any) -> runs.Outcome:
    return await cases.approve(actor, run.id, clock, resolution, rules, **kw)


# ------------------------------------------------------------------------- scope and roles


#: every transition of a run: (name, the roles that may do it, the state it starts from, the call)
TRANSITIONS = {
    "compute": (("accountant",), "draft", lambda a, r, c: cases.compute(a, r, c)),
    "publicize": (("accountant",), "computed", lambda a, r, c: cases.publicize(a, r, clock=c)),
    "return": (("committee",), "computed", lambda a, r, c: cases.return_run(a, r, "人口数不对", c)),
    "review": (("township",), "publicized", lambda a, r, c: cases.review(a, r, clock=c)),
    "approve": (("committee",), "publicized", lambda a, r, c: cases.approve(a, r, c, GOOD, RULES)),
    "cancel": (("accountant",), "publicized", lambda a, r, c: cases.cancel(a, r, "重做", c)),
    "reverse": (("accountant", "committee"), "approved", lambda a, r, c: cases.reverse(a, r, "算错了", c)),
    "object": (("accountant", "committee"), "publicized",
               lambda a, r, c: objections.record(a, r, A, "不对", clock=FixedClock(datetime(2025, 1, 8, tzinfo=UTC)))),
}


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
async def test_outside_its_village_a_run_does_not_exist_for_anyone(fake, clock, action) -> None:  # type: ignore[no-untyped-def]
    roles, state, call = TRANSITIONS[action]
    run = add(fake, state)
    for stranger in STRANGERS:
        with pytest.raises(NotAllowed) as raised:
            await call(stranger, run.id, clock)
        assert raised.value.what == run.id, stranger.username
    with pytest.raises(NotAllowed):
        await call(ACC, run.id + 1000, clock)  # no such run: the same answer
    assert stored(fake, run).state == state and fake.tables.audit == [] and fake.committed == 0


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
async def test_each_transition_is_refused_to_every_role_its_rule_does_not_name(fake, clock, action) -> None:  # type: ignore[no-untyped-def]
    roles, state, call = TRANSITIONS[action]
    run = add(fake, state)
    for role, actor in ROLES.items():
        if role in roles:
            continue
        with pytest.raises(Forbidden) as raised:
            await call(actor, run.id, clock)
        assert raised.value.role == role
    assert stored(fake, run).state == state and fake.tables.audit == [] and fake.committed == 0
    if action != "compute":  # computing needs registry files: test_compute_* below
        await call(ROLES[roles[0]], run.id, clock)  # the role it names may
        assert fake.tables.audit


async def test_the_township_reviewer_and_the_county_see_the_run_and_change_nothing_else(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, "publicized")
    assert (await cases.show(TOWN, run.id)).id == run.id and (await cases.show(AUD, run.id)).id == run.id
    assert (await cases.show(ADMIN, run.id)).id == run.id  # an admin of every county
    await cases.review(TOWN, run.id, filing_number="F-1", clock=clock)
    assert stored(fake, run).state == "publicized"
    (decision,) = fake.tables.decisions
    assert (decision.kind, decision.township_id, decision.filing_number, decision.content_hash) == ("review", 7, "F-1", HASH)


# ------------------------------------------------------------------------- the state machine


#: transition -> the states it starts from, the states where repeating it is a no-op
STATES = {
    "compute": (("draft",), ("computed", "publicized", "approved", "paid", "closed")),
    "publicize": (("computed",), ("publicized", "approved", "paid", "closed")),
    "return": (("computed", "publicized"), ()),
    "review": (("computed", "publicized"), ()),
    "approve": (("publicized",), ("approved", "paid", "closed")),
    "cancel": (("draft", "computed", "publicized"), ("cancelled",)),
    "reverse": (("approved", "paid", "closed"), ("reversed",)),
    "object": (("publicized",), ()),
}
EVERY_STATE = ("draft", "computed", "publicized", "approved", "paid", "closed", "cancelled", "reversed")


@pytest.mark.parametrize("action", sorted(STATES))
@pytest.mark.parametrize("state", EVERY_STATE)
async def test_a_transition_from_a_state_its_rule_does_not_start_from_is_refused_and_repeating_is_a_no_op(
        fake, clock, action, state) -> None:  # type: ignore[no-untyped-def]
    roles, _, call = TRANSITIONS[action]
    sources, done = STATES[action]
    run = add(fake, state, **({"content_hash": None} if state == "draft" else {}))
    if state == "reversed":  # a reversed run has its approved reversal
        add(fake, "closed", kind="reversal", reverses_id=run.id, run_id=run.id + 100)
    before = stored(fake, run).state
    if state in sources:
        if action == "compute":
            return  # computing a draft needs registry files: test_compute_* below
        await call(ROLES[roles[0]], run.id, clock)
        assert fake.tables.audit, "it did something and said so"
        return
    if state in done:
        result = await call(ROLES[roles[0]], run.id, clock)
        assert getattr(result, "changed", False) is False or action == "reverse"
        assert stored(fake, run).state == before and fake.tables.entries == []
        assert not [e for e in fake.tables.audit if e.action.startswith(f"run.{action}")]
        if f"run.{action}" in cases.PAGE_ACTIONS:  # the run page says it is done, and offers nothing
            shown = (await cases.blockers(ROLES[roles[0]], run.id, clock, RULES))[f"run.{action}"]
            assert shown is not None and shown.key == "run.done", shown
        return
    with pytest.raises(InputError) as raised:
        await call(ROLES[roles[0]], run.id, clock)
    assert keys(raised) == ["run.illegal"] or (action == "object" and keys(raised) == ["run.objection_closed"])
    assert stored(fake, run).state == before and fake.tables.audit == [] and fake.tables.entries == []
    if f"run.{action}" in cases.PAGE_ACTIONS:  # the run page disables its button with the same reason
        shown = (await cases.blockers(ROLES[roles[0]], run.id, clock, RULES))[f"run.{action}"]
        assert shown is not None and shown.key == "run.illegal"


#: the transitions below the policy table (dividends/runs.py), as the use cases call them
RULE_CALLS = {
    "publicize": lambda r, c: runs.publicize(r, date(2025, 1, 13), date(2025, 1, 19), "acc", c),
    "approve": lambda r, c: runs.approve(r, "com", c),
    "cancel": lambda r, c: runs.cancel(r, "acc", "重做", c),
    "reverse": lambda r, c: runs.prepare_reversal(r, "acc", "算错了", c),
}
RULE_STATES = {"publicize": ("draft", "cancelled", "reversed"), "approve": ("draft", "computed", "cancelled", "reversed"),
               "cancel": ("approved", "paid", "closed", "reversed"), "reverse": ("draft", "computed", "publicized", "cancelled")}


@pytest.mark.parametrize("action, state", [(a, s) for a, states in RULE_STATES.items() for s in states])
async def test_the_transition_itself_refuses_the_states_the_policy_table_refuses(fake, clock, action, state) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, state)
    with pytest.raises(InputError) as raised:
        await RULE_CALLS[action](run.id, clock)
    assert keys(raised) == ["run.illegal"]
    assert stored(fake, run).state == state and fake.tables.audit == [] and len(fake.tables.runs) == 1


async def test_a_run_moved_by_another_request_meanwhile_is_refused_and_nothing_is_written(
        fake, clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import dividends.store.runs as run_store

    run = add(fake, "publicized")
    read = fake.runs.open_objections

    async def cancelled_meanwhile(checked):  # type: ignore[no-untyped-def]
        fake.tables.runs[checked.id].state = "cancelled"  # another request cancelled it after this one read it
        return await read(checked)

    monkeypatch.setattr(run_store, "open_objections", cancelled_meanwhile)
    with pytest.raises(InputError) as raised:
        await approve(fake, run, clock)
    assert keys(raised) == ["run.illegal"] and raised.value.problems[0].msg.params["state"].key == "state.changed_concurrently"
    assert stored(fake, run).state == "cancelled" and fake.tables.entries == [] and fake.tables.resolutions == {}
    assert fake.tables.audit == [] and fake.rolled_back == 1


# ------------------------------------------------------------------------------ publicity


async def test_publicizing_starts_today_for_exactly_the_minimum_by_default_and_says_so(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, "computed")
    outcome = await cases.publicize(ACC, run.id, clock=clock)
    assert outcome.changed and outcome.run.state == "publicized"
    row = stored(fake, run)
    assert (row.notice_start, row.notice_end, row.publicized_at) == (date(2025, 1, 13), date(2025, 1, 19), NOW)
    assert events(fake, run) == [("run.publicize", "acc", {"start": "2025-01-13", "end": "2025-01-19"})]
    again = await cases.publicize(ACC, run.id, date(2025, 2, 1), clock=clock)
    assert not again.changed and stored(fake, run).notice_start == date(2025, 1, 13) and len(fake.tables.audit) == 1


async def test_a_notice_period_starting_before_today_or_shorter_than_the_minimum_is_refused(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, "computed")
    with pytest.raises(InputError) as past:
        await cases.publicize(ACC, run.id, date(2025, 1, 12), clock=clock)
    assert keys(past) == ["refusal.notice_past"]
    with pytest.raises(InputError) as short:
        await cases.publicize(ACC, run.id, date(2025, 1, 13), date(2025, 1, 18), clock=clock)
    assert keys(short) == ["run.notice_dates"] and short.value.problems[0].msg.params["days"] == 7
    with pytest.raises(InputError):
        await cases.publicize(ACC, run.id, date(2025, 1, 14), date(2025, 1, 23), clock=clock, min_days=11)
    assert stored(fake, run).state == "computed" and fake.tables.audit == []
    later = await cases.publicize(ACC, run.id, date(2025, 1, 14), date(2025, 1, 20), clock=clock)  # exactly 7 days
    assert later.changed and (stored(fake, run).notice_start, stored(fake, run).notice_end) == (date(2025, 1, 14), date(2025, 1, 20))


@pytest.mark.parametrize("day, open_", [(date(2025, 1, 5), False), (date(2025, 1, 6), True), (date(2025, 1, 12), True),
                                        (date(2025, 1, 13), False)])
async def test_objections_are_recorded_only_within_the_notice_period(fake, day, open_) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, "publicized")
    at = FixedClock(datetime.combine(day, datetime.min.time(), UTC).replace(hour=2))
    if not open_:
        with pytest.raises(InputError) as raised:
            await objections.record(ACC, run.id, A, "不对", clock=at)
        assert keys(raised) == ["run.objection_closed"] and fake.tables.objections == []
        return
    objection = await objections.record(COM, run.id, A, " 人口数不对 ", channel="sms", clock=at, )
    assert (objection.household_id, objection.text, objection.channel, objection.recorded_by, objection.status) == (
        A, "人口数不对", "sms", "com", "open")
    assert [(e.action, e.actor, e.detail) for e in fake.tables.audit] == [
        ("objection.record", "com", {"run": run.id, "household": A, "channel": "sms"})]


async def test_an_objection_is_about_a_household_of_the_run_and_an_sms_one_is_recorded_once(fake) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, "publicized")
    at = FixedClock(datetime(2025, 1, 8, 2, tzinfo=UTC))
    with pytest.raises(InputError) as raised:
        await objections.record(ACC, run.id, "V0009999", "不对", clock=at)
    assert keys(raised) == ["run.household_unknown"]
    first = await runs.record_objection(run.id, A, "不对", channel="sms", actor="sms", clock=at, message_sid="SM1")
    again = await runs.record_objection(run.id, A, "不对", channel="sms", actor="sms", clock=at, message_sid="SM1")
    assert again.id == first.id and len(fake.tables.objections) == 1 and len(fake.tables.audit) == 1


async def test_only_the_committee_resolves_an_objection_once_and_only_through_its_own_run(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, "publicized")
    other = add(fake, "publicized", run_id=500)
    objection = await objections.record(ACC, run.id, A, "不对", clock=FixedClock(datetime(2025, 1, 8, tzinfo=UTC)))
    with pytest.raises(Forbidden):
        await objections.resolve(ACC, objection.id, "已核实")
    for stranger in STRANGERS:
        with pytest.raises(NotAllowed):
            await objections.resolve(stranger, objection.id, "已核实")
    with pytest.raises(NotAllowed):
        await objections.resolve(COM, objection.id, "已核实", run_id=other.id)
    done = await objections.resolve(COM, objection.id, " 已核实 ", clock=clock)
    assert (done.status, done.resolution, done.resolved_by, done.resolved_at) == ("resolved", "已核实", "com", NOW)
    again = await objections.resolve(COM, objection.id, "又核实", clock=FixedClock(datetime(2025, 2, 1, tzinfo=UTC)))
    assert (again.resolution, again.resolved_at) == ("已核实", NOW)
    assert [e.action for e in fake.tables.audit] == ["objection.record", "objection.resolve"]


# ------------------------------------------------------------------------------- approval


async def test_approval_posts_the_return_and_the_accrual_and_stores_the_resolution_bound_to_the_content(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, "publicized")
    outcome = await approve(fake, run, clock, resolution=replace(GOOD, content_hash=HASH))
    assert outcome.changed and outcome.run.state == "approved" and outcome.run.approved_by == "com"
    row = stored(fake, run)
    assert (row.state, row.approved_by, row.approved_at) == ("approved", "com", NOW)
    assert refs(fake) == [f"return:R{run.id}", f"accrual:R{run.id}"]
    (_, _, accrual) = fake.tables.entries[1]
    assert dict(accrual.postings.select("account", "amount_fen").rows())[f"Liabilities:Payable:V0001:{B}"] == -2550
    assert fake.tables.resolutions[run.id] == {
        "run": run.id, "content_hash": HASH, "meeting_date": "2025-01-13", "body": "representatives", "entitled": 30,
        "present": 21, "votes_for": 15, "votes_against": 4, "abstaining": 2,
        "rules": {"quorum": ">=2/3", "majority": ">1/2"}, "recorded_by": "com", "recorded_at": NOW.isoformat()}
    assert events(fake, run) == [("run.approve", "com", {"pool_fen": 4250})] and fake.committed == 1
    again = await approve(fake, run, clock)
    assert not again.changed and len(fake.tables.entries) == 2 and len(fake.tables.audit) == 1


async def test_the_preparer_cannot_approve_the_run_even_as_a_committee_member_with_a_good_resolution(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, "publicized")
    with pytest.raises(InputError) as raised:
        await approve(fake, run, clock, PREPARER)
    assert keys(raised) == ["run.same_person"] and raised.value.problems[0].msg.params["user"] == "acc"
    with pytest.raises(InputError) as first:  # who, before anything else is looked at
        await approve(fake, run, clock, PREPARER, resolution=None)
    assert keys(first) == ["run.same_person"]
    with pytest.raises(InputError) as checked:  # the rule itself, below the policy table, says the same
        await runs.approve(run.id, "acc", clock)
    assert keys(checked) == ["run.same_person"]
    assert stored(fake, run).state == "publicized" and fake.tables.entries == [] and fake.tables.resolutions == {}
    assert (await approve(fake, run, clock, COM)).changed  # another committee member may


@pytest.mark.parametrize("day, allowed", [(date(2025, 1, 12), False), (date(2025, 1, 13), True)])
async def test_approval_waits_for_the_end_of_the_notice_period(fake, day, allowed) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, "publicized")
    at = FixedClock(datetime.combine(day, datetime.min.time(), UTC).replace(hour=2))
    resolution = replace(GOOD, meeting_date=day)
    if allowed:
        assert (await approve(fake, run, at, resolution=resolution)).changed
        return
    with pytest.raises(InputError) as raised:
        await approve(fake, run, at, resolution=resolution)
    assert keys(raised) == ["run.notice_running"] and raised.value.problems[0].msg.params["next"] == "2025-01-13"
    assert stored(fake, run).state == "publicized" and fake.tables.entries == []


async def test_an_open_objection_holds_the_approval_until_the_committee_resolves_it(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, "publicized")
    during = FixedClock(datetime(2025, 1, 8, tzinfo=UTC))
    first = await objections.record(ACC, run.id, B, "不对", clock=during)
    await objections.record(ACC, run.id, A, "也不对", clock=during)
    with pytest.raises(InputError) as raised:
        await approve(fake, run, clock)
    assert keys(raised) == ["run.open_objections"]
    assert raised.value.problems[0].msg.params["households"] == [A, B] and raised.value.problems[0].msg.params["count"] == 2
    await objections.resolve(COM, first.id, "已核实", clock=clock)
    with pytest.raises(InputError, match="1 unresolved"):
        await approve(fake, run, clock)
    await objections.resolve(COM, fake.tables.objections[1].id, "已核实", clock=clock)
    assert (await approve(fake, run, clock)).changed


@pytest.mark.parametrize("resolution, key", [
    (None, "approval.resolution_required"),
    (replace(GOOD, present=19, votes_for=13), "approval.quorum"),
    (replace(GOOD, present=20, votes_for=10, votes_against=10, abstaining=0), "approval.majority"),
    (replace(GOOD, present=31), "approval.counts"),
    (replace(GOOD, votes_for=16), "approval.votes"),
    (replace(GOOD, body="party"), "approval.body"),
    (replace(GOOD, meeting_date=date(2025, 1, 14)), "approval.future"),
    (replace(GOOD, content_hash="0" * 64), "approval.other_content"),
])
async def test_approval_needs_the_meetings_resolution_meeting_the_rules_about_this_content(
        fake, clock, resolution, key) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, "publicized")
    with pytest.raises(InputError) as raised:
        await approve(fake, run, clock, resolution=resolution)
    assert keys(raised) == [key]
    assert stored(fake, run).state == "publicized" and fake.tables.entries == [] and fake.tables.resolutions == {}
    assert fake.tables.audit == []


async def test_the_quorum_and_the_majority_at_their_boundaries_and_as_settings(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, "publicized")
    with pytest.raises(InputError) as half:  # 20 of 30 present is two thirds: a quorum; 10 of 20 is not more than half
        await approve(fake, run, clock, resolution=replace(GOOD, present=20, votes_for=10, votes_against=9, abstaining=1))
    assert keys(half) == ["approval.majority"]
    stricter = ApprovalRules(quorum=Fraction(3, 4), majority=Fraction(2, 3))
    with pytest.raises(InputError) as quorum:  # 21 of 30 is less than three quarters (23 needed)
        await approve(fake, run, clock, rules=stricter)
    assert keys(quorum) == ["approval.quorum"] and quorum.value.problems[0].msg.params["needed"] == 23
    with pytest.raises(InputError) as majority:  # 15 of 23 is not more than two thirds (16 needed)
        await approve(fake, run, clock, resolution=replace(GOOD, present=23, votes_for=15), rules=stricter)
    assert keys(majority) == ["approval.majority"] and majority.value.problems[0].msg.params["needed"] == 16
    assert fake.tables.resolutions == {}
    outcome = await approve(fake, run, clock, resolution=replace(GOOD, present=20, votes_for=11, votes_against=9,
                                                                 abstaining=0))
    assert outcome.changed and fake.tables.resolutions[run.id]["present"] == 20


async def test_where_the_county_requires_it_the_township_reviews_exactly_this_content_first(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, "publicized")
    with pytest.raises(InputError) as raised:
        await approve(fake, run, clock, rules=REVIEW)
    assert keys(raised) == ["approval.review_required"]
    assert (await approve(fake, add(fake, "publicized", owed=((A, 5),), run_id=600), clock)).changed  # elsewhere: none
    fake.tables.runs[run.id].content_hash = "d" * 64
    await cases.review(TOWN, run.id, filing_number="F-1", clock=clock)  # a review of another content
    fake.tables.runs[run.id].content_hash = HASH
    with pytest.raises(InputError):
        await approve(fake, run, clock, rules=REVIEW)
    await cases.review(TOWN, run.id, filing_number=" F-2 ", note=" 同意 ", clock=clock)
    assert [e for e in events(fake, run) if e[0] == "run.review"][-1] == (
        "run.review", "town", {"decision": fake.tables.decisions[-1].id, "content_hash": HASH, "filing_number": "F-2",
                               "text": "同意"})
    assert (await approve(fake, run, clock, rules=REVIEW)).changed


async def test_a_village_without_a_township_cannot_be_approved_where_review_is_required(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = fake.add_run(OWED, state="publicized", village=("V0002", "二村"), village_id=2, prepared_by="acc",
                       content_hash=HASH, pool_fen=4250, notice_start=date(2025, 1, 6), notice_end=date(2025, 1, 12))
    other = Actor(22, "com2", "监委", "committee", village_id=2, county_id=1)
    with pytest.raises(InputError) as raised:
        await cases.approve(other, run.id, clock, GOOD, REVIEW)
    assert keys(raised) == ["approval.no_township"]


async def test_households_owed_money_without_an_account_stop_the_approval_unless_paid_in_cash(fake, clock) -> None:  # type: ignore[no-untyped-def]
    people = pl.DataFrame({"household_id": [A, B, C], "head_name": ["甲", "乙", "丙"], "id_number": ["1", "2", "3"],
                           "account_no": ["6217000000000001", "", ""], "bank": ["农行", "", ""],
                           "amount_fen": [1000, 2550, 0]})
    run = fake.add_run(people, state="publicized", run_id=700, village_id=1, prepared_by="acc", content_hash=HASH,
                       pool_fen=3550, notice_start=date(2025, 1, 6), notice_end=date(2025, 1, 12))
    assert await cases.without_account(COM, run.id) == [B]  # C is owed nothing
    with pytest.raises(InputError) as raised:
        await approve(fake, run, clock)
    assert keys(raised) == ["run.no_account"] and raised.value.problems[0].msg.params["households"] == [B]
    outcome = await approve(fake, run, clock, cash_without_account=True)
    assert outcome.changed and events(fake, run) == [("run.approve", "com", {"pool_fen": 3550, "cash_without_account": [B]})]


@pytest.mark.parametrize("why, key", [(REVERSED, "run.brought_forward_reversed"),
                                      (RECOVERY_REVERSED, "run.recovery_reversed"),
                                      (EARLIER_REVERSED, "run.earlier_paid_reversed")])
async def test_a_run_flagged_for_correction_cannot_be_approved(fake, clock, why, key) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, "publicized", correction_needed=why)
    with pytest.raises(InputError) as raised:
        await approve(fake, run, clock)
    assert keys(raised) == [key] and fake.tables.entries == []


async def test_a_reversal_is_not_approved_as_a_run(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, "publicized", kind="reversal")
    with pytest.raises(InputError) as raised:
        await approve(fake, run, clock)
    assert keys(raised) == ["approval.not_regular"]


async def test_a_crash_after_the_accrual_is_posted_leaves_the_run_publicized_with_nothing_posted(
        fake, clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, "publicized")

    def crash(name: str) -> None:
        if name == "approve.accrual_posted":
            raise RuntimeError("killed")

    monkeypatch.setattr(runs, "checkpoint", crash)
    with pytest.raises(RuntimeError):
        await approve(fake, run, clock)
    assert stored(fake, run).state == "publicized" and fake.tables.entries == [] and fake.tables.resolutions == {}
    assert fake.tables.audit == [] and fake.rolled_back == 1


# ---------------------------------------------------------------------------------- return


async def test_a_committee_member_returns_a_run_with_a_reason_its_lines_and_notice_dropped(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, "publicized")
    with pytest.raises(InputError) as raised:
        await cases.return_run(COM, run.id, "  ", clock)
    assert keys(raised) == ["approval.reason_required"] and stored(fake, run).state == "publicized"
    back = await cases.return_run(COM, run.id, " 人口数不对 ", clock)
    assert (back.state, back.content_hash, back.lines, back.notice_start, back.notice_end) == ("draft", None, 0, None, None)
    assert fake.tables.lines[run.id] == []
    (decision,) = fake.tables.decisions
    assert (decision.kind, decision.content_hash, decision.text, decision.decided_by) == ("return", HASH, "人口数不对", "com")
    assert events(fake, run) == [("run.return", "com", {"decision": decision.id, "was": "publicized", "content_hash": HASH,
                                                        "reason": "人口数不对"})]
    with pytest.raises(InputError) as again:
        await cases.return_run(COM, run.id, "又不对", clock)
    assert keys(again) == ["run.illegal"]


async def test_a_reversal_is_not_returned(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, "computed", kind="reversal")
    with pytest.raises(InputError) as raised:
        await cases.return_run(COM, run.id, "不对", clock)
    assert keys(raised) == ["approval.not_regular"] and stored(fake, run).state == "computed"


# ---------------------------------------------------------------------------------- compute


def draft_with_registry(fake: FakeStore, tmp_path: Path, *, version: int = 1, **columns: Any) -> Run:
    """A draft run of a real scheme over sample registry files, as compute reads them."""
    files = sample_files(tmp_path / f"reg{version}", households=6, villages=1, seed=3 + version)
    people = pl.read_csv(files.households, infer_schema=False)
    run = fake.add_run(people.with_columns(amount_fen=pl.lit(0)), state="draft", village_id=1, prepared_by="acc",
                       pool_fen=5_000_000, snapshot=people, **columns)
    fake.tables.lines[run.id] = []
    snapshot = run.snapshot
    for kind, path in (("members", files.members), ("posts", files.posts)):
        data = path.read_bytes()
        fake.tables.files[f"{kind}-{version}"] = (f"{kind}.csv", data)
        setattr(snapshot, f"{kind}_file", f"{kind}-{version}")
    snapshot.version = version
    scheme = resolve_scheme("shareholding").scheme
    run.scheme.text, run.scheme.scheme_id = scheme.text, scheme.id
    return run


async def test_compute_writes_the_lines_and_their_hash_once_and_says_so(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = draft_with_registry(fake, tmp_path)
    outcome = await cases.compute(ACC, run.id, clock)
    row = stored(fake, run)
    assert outcome.changed and (row.state, row.computed_at, row.lines) == ("computed", NOW, len(fake.tables.lines[run.id]))
    assert row.content_hash and row.manifest and row.manifest["content_hash"] == row.content_hash
    assert sum(a for _, _, a, _ in fake.tables.lines[run.id]) == 5_000_000
    assert events(fake, run) == [("run.compute", "acc", {"content_hash": row.content_hash, "lines": row.lines,
                                                         "total_fen": 5_000_000})]
    again = await cases.compute(ACC, run.id, clock)
    assert not again.changed and len(fake.tables.audit) == 1


async def test_a_crash_while_computing_leaves_a_draft_without_lines(fake, clock, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    run = draft_with_registry(fake, tmp_path)

    def crash(name: str) -> None:
        if name == "compute.lines_written":
            raise RuntimeError("killed")

    monkeypatch.setattr(runs, "checkpoint", crash)
    with pytest.raises(RuntimeError):
        await cases.compute(ACC, run.id, clock)
    row = stored(fake, run)
    assert (row.state, row.content_hash, fake.tables.lines[run.id], fake.tables.audit) == ("draft", None, [], [])


async def test_a_returned_run_is_recomputed_on_the_newest_registry_version(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    run = draft_with_registry(fake, tmp_path)
    await cases.compute(ACC, run.id, clock)
    first = stored(fake, run).content_hash
    newer = draft_with_registry(fake, tmp_path, version=2, run_id=900)  # the corrected registry, as another import
    await cases.return_run(COM, run.id, "名册有误", clock)
    await cases.compute(ACC, run.id, clock)
    row = stored(fake, run)
    assert row.snapshot.version == 2 and row.snapshot.id == newer.snapshot.id and row.content_hash != first
    plain = draft_with_registry(fake, tmp_path / "plain", run_id=950, village=("V0003", "三村"))
    fake.tables.snapshots.append(replace(newer.snapshot, id=999, village_id=plain.village.id, version=5))
    await cases.compute(ACC, plain.id, clock)
    assert stored(fake, plain).snapshot.version == 1  # never returned: the snapshot it was created on


# ---------------------------------------------------------------------------------- cancel


@pytest.mark.parametrize("state", ["draft", "computed", "publicized"])
async def test_a_run_that_posted_nothing_is_cancelled_with_its_reason(fake, clock, state) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, state)
    outcome = await cases.cancel(ACC, run.id, "名册要重做", clock)
    assert outcome.changed and (stored(fake, run).state, stored(fake, run).closed_at) == ("cancelled", NOW)
    assert events(fake, run) == [("run.cancel", "acc", {"reason": "名册要重做", "was": state})]
    assert not (await cases.cancel(ACC, run.id, "again", clock)).changed and len(fake.tables.audit) == 1


async def test_a_cancelled_reversal_or_correction_gives_up_its_link_so_the_run_can_be_undone_again(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = await posted(fake, clock, "paid")
    first = await cases.reverse(ACC, run.id, "算错了", clock)
    await cases.cancel(ACC, first.id, "冲销有误", clock)
    assert stored(fake, first).reverses_id is None and events(fake, first)[-1] == (
        "run.cancel", "acc", {"reason": "冲销有误", "was": "computed", "reverses": run.id})
    second = await cases.reverse(ACC, run.id, "算错了", clock)  # the store's one-to-one column: free again
    assert second.id != first.id and second.reverses_id == run.id
    correction = add(fake, "draft", run_id=990, replaces=run.id, kind="correction")
    await cases.cancel(ACC, correction.id, "方案选错", clock)
    assert stored(fake, correction).replaces_id is None
    assert events(fake, correction)[-1][2] == {"reason": "方案选错", "was": "draft", "replaces": run.id}


# ---------------------------------------------------------------------------------- reverse


async def test_a_reversal_is_prepared_with_a_reason_and_posts_nothing_until_another_member_approves(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, "paid")
    await fake.ledger.append(run.village, [], run_id=run.id)
    with pytest.raises(InputError) as raised:
        await cases.reverse(ACC, run.id, "  ", clock)
    assert keys(raised) == ["web.form.required"]
    mirror = await cases.reverse(ACC, run.id, " 算错了 ", clock)
    assert (mirror.kind, mirror.state, mirror.pool_fen, mirror.prepared_by, mirror.reverses_id) == (
        "reversal", "computed", -4250, "acc", run.id)
    assert sorted(fake.tables.lines[mirror.id]) == [("household", h, -a, "{}") for h, a in OWED]
    assert mirror.manifest == {"reverses": run.id, "reason": "算错了"} and stored(fake, run).state == "paid"
    assert events(fake, run) == [("run.reverse_prepare", "acc", {"reversal": mirror.id, "reason": "算错了"})]
    assert (await cases.reverse(COM, run.id, "又错了", clock)).id == mirror.id  # preparing twice: the same one
    assert fake.tables.entries == [] and len(fake.tables.audit) == 1
    links = await cases.reversal(AUD, run.id)
    assert (links.reversal, links.reversal_state, links.reverses) == (mirror.id, "computed", None)
    assert (await cases.reversal(AUD, mirror.id)).reverses == run.id


async def posted(fake: FakeStore, clock: FixedClock, state: str = "approved", **columns: Any) -> Run:
    """A run approved through the use case (its return and accrual posted), then moved to ``state``."""
    run = add(fake, "publicized", **columns)
    await approve(fake, run, clock)
    fake.tables.runs[run.id].state = state
    return run


async def test_the_preparer_of_a_reversal_cannot_approve_it_another_committee_member_does(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = await posted(fake, clock, "closed")
    mirror = await cases.reverse(ACC, run.id, "算错了", clock)
    with pytest.raises(Forbidden):
        await cases.approve_reversal(ACC, mirror.id, clock)
    with pytest.raises(InputError) as same:
        await cases.approve_reversal(PREPARER, mirror.id, clock)
    assert keys(same) == ["refusal.reversal_same_person"]
    with pytest.raises(InputError) as below:  # the rule itself says the same
        await runs.approve_reversal(mirror.id, "acc", clock)
    assert keys(below) == ["refusal.reversal_same_person"]
    for who, regular in ((COM, run), (PREPARER, add(fake, "paid", run_id=run.id + 50))):  # whoever prepared it
        with pytest.raises(InputError) as not_one:
            await cases.approve_reversal(who, regular.id, clock)
        assert keys(not_one) == ["refusal.not_a_reversal"]
    page = await cases.blockers(PREPARER, mirror.id, clock, RULES)
    assert page["reversal.approve"].key == "refusal.reversal_same_person"  # type: ignore[union-attr]
    assert (await cases.blockers(COM, mirror.id, clock, RULES))["reversal.approve"] is None
    assert stored(fake, run).state == "closed" and len(fake.tables.entries) == 2
    done = await cases.approve_reversal(COM, mirror.id, clock)
    assert (done.state, done.approved_by, stored(fake, run).state) == ("closed", "com", "reversed")
    assert refs(fake)[2:] == [f"reversal:return:R{run.id}", f"reversal:accrual:R{run.id}"]
    net: dict[str, int] = {}
    for _, _, e in fake.tables.entries:
        for account, fen in e.postings.select("account", "amount_fen").rows():
            net[account] = net.get(account, 0) + fen
    assert set(net.values()) == {0}  # the mirror undoes the run's books
    assert events(fake, run)[-1] == ("run.reverse", "com", {"reversal": mirror.id, "reason": "算错了", "prepared_by": "acc"})
    again = await cases.approve_reversal(PREPARER, mirror.id, clock)  # approved: a no-op, even for its preparer
    assert again.state == "closed" and len(fake.tables.entries) == 4


@pytest.mark.parametrize("state", ["draft", "computed", "publicized", "cancelled"])
async def test_only_a_posted_run_is_reversed(fake, clock, state) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, state)
    with pytest.raises(InputError) as raised:
        await cases.reverse(COM, run.id, "算错了", clock)
    assert keys(raised) == ["run.illegal"] and len(fake.tables.runs) == 1


async def test_a_reversal_flags_the_live_runs_that_counted_on_the_reversed_run(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = await posted(fake, clock, "paid")
    fake.tables.debts.append(Debt(50, 1, run.id, A, "deduction", "collective", "借款", 300))
    drawing = add(fake, "computed", run_id=801, period=2025, brought_forward={"run": run.id, "period": 2024, "accounts": {}})
    capped = add(fake, "publicized", run_id=802, earlier_paid={"runs": [run.id], "lines": []})
    taking = add(fake, "draft", run_id=803, period=2025, recoveries=[[50, A, 300, "借款", "collective"]])
    untouched = add(fake, "computed", run_id=804, period=2025, brought_forward={"run": 9999, "period": 2024, "accounts": {}})
    cancelled = add(fake, "cancelled", run_id=805, earlier_paid={"runs": [run.id], "lines": []})
    mirror = await cases.reverse(ACC, run.id, "算错了", clock)
    await cases.approve_reversal(COM, mirror.id, clock)
    flags = {r: fake.tables.runs[r].correction_needed for r in (801, 802, 803, 804, 805)}
    assert flags == {801: REVERSED, 802: EARLIER_REVERSED, 803: RECOVERY_REVERSED, 804: "", 805: ""}
    assert [(e.object_id, e.detail) for e in fake.tables.audit if e.action == "run.flag_correction"] == [
        (str(r.id), {"reason": why, "source": run.id}) for r, why in
        ((drawing, REVERSED), (capped, EARLIER_REVERSED), (taking, RECOVERY_REVERSED))]
    assert untouched.id and cancelled.id
    with pytest.raises(InputError) as raised:  # the flagged run cannot be approved now
        await approve(fake, capped, clock)
    assert keys(raised) == ["run.earlier_paid_reversed"]


# ------------------------------------------------------------------- the page says the same


async def test_the_run_page_gives_the_same_reason_the_action_refuses_with(fake, clock) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, "publicized")
    await objections.record(ACC, run.id, A, "不对", clock=FixedClock(datetime(2025, 1, 8, tzinfo=UTC)))
    for actor in (PREPARER, COM, ACC):
        shown = (await cases.blockers(actor, run.id, clock, RULES))["run.approve"]
        with pytest.raises((InputError, Forbidden)) as raised:
            await approve(fake, run, clock, actor)
        said = raised.value.problems[0].msg if isinstance(raised.value, InputError) else raised.value.msg
        assert shown == said, actor.username
    assert (await cases.blockers(COM, run.id, clock, RULES))["run.approve"].key == "run.open_objections"  # type: ignore[union-attr]
    await objections.resolve(COM, fake.tables.objections[0].id, "已核实", clock=clock)
    page = await cases.blockers(COM, run.id, clock, RULES)
    assert page["run.approve"] is None and page["run.return"] is None and page["run.compute"].key == "refusal.forbidden"  # type: ignore[union-attr]
    assert (await cases.blockers(COM, run.id, clock, REVIEW))["run.approve"].key == "approval.review_required"  # type: ignore[union-attr]
    assert (await cases.blockers(ACC, run.id, clock, RULES))["run.cancel"] is None


@pytest.mark.parametrize("state", ["approved", "paid", "closed"])
async def test_the_run_page_says_a_posted_run_is_approved_already_even_to_its_preparer(fake, clock, state) -> None:  # type: ignore[no-untyped-def]
    run = add(fake, state, approved_by="com")
    for actor in (COM, PREPARER):
        shown = (await cases.blockers(actor, run.id, clock, RULES))["run.approve"]
        assert shown is not None and shown.key == "run.done", actor.username
        assert shown.text("zh") == f"分配批次 {run.id} 已是“{runs.state_name(state).text('zh')}”，无需再审批"
        assert shown.text("en") == f"run {run.id} is already {state}, so there is no need to approve"
    assert (await cases.blockers(ACC, run.id, clock, RULES))["run.approve"].key == "refusal.forbidden"  # type: ignore[union-attr]
    page = await cases.blockers(ACC, run.id, clock, RULES)
    assert page["run.compute"].key == page["run.publicize"].key == "run.done"  # type: ignore[union-attr]
    if state == "closed":
        assert page["run.close"].text("en") == f"run {run.id} is already closed, so there is no need to close"  # type: ignore[union-attr]


async def test_the_run_page_says_a_cancelled_or_reversed_run_is_done_for_cancelling_and_reversing(fake, clock) -> None:  # type: ignore[no-untyped-def]
    cancelled = add(fake, "cancelled")
    assert (await cases.blockers(ACC, cancelled.id, clock, RULES))["run.cancel"].key == "run.done"  # type: ignore[union-attr]
    reversed_run = add(fake, "reversed")
    add(fake, "closed", kind="reversal", reverses_id=reversed_run.id, run_id=reversed_run.id + 100)
    shown = (await cases.blockers(COM, reversed_run.id, clock, RULES))["run.reverse"]
    assert shown is not None and shown.text("zh") == f"分配批次 {reversed_run.id} 已是“已冲销”，无需再冲销批次"


# ---------------------------------------------------------------------------------- create


FIVE = Actor(31, "acc5", "会计", "accountant", village_id=5, village_code="V0005", county_id=1)


def village_with_registry(fake: FakeStore, tmp_path: Path) -> None:
    """Village V0005 with a registry version of 2024 (sample files), no run yet."""
    from tests.fake_store import Snapshot

    files = sample_files(tmp_path / "reg5", households=6, villages=1, seed=3)
    fake.village("V0005", "五村", village_id=5, township=(7, "T1"))
    stored = {}
    for kind, path in (("households", files.households), ("members", files.members), ("posts", files.posts)):
        stored[kind] = f"{kind}-v5"
        fake.tables.files[stored[kind]] = (f"{kind}.csv", path.read_bytes())
    fake.tables.snapshots.append(Snapshot(55, stored["households"], village_id=5, period=2024,
                                          members_file=stored["members"], posts_file=stored["posts"]))


async def test_a_run_is_created_as_a_draft_once_per_asset_return_while_it_lives(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    village_with_registry(fake, tmp_path)
    with pytest.raises(InputError) as no_return:
        await cases.create(FIVE, "V0005", 2024, "shareholding")
    assert keys(no_return) == ["run.no_return"]
    with pytest.raises(Forbidden):
        await cases.create(replace(FIVE, role="committee"), "V0005", 2024, "shareholding", amount_yuan="50000")
    with pytest.raises(NotAllowed):
        await cases.create(ACC, "V0005", 2024, "shareholding", amount_yuan="50000")
    draft = await cases.create(FIVE, "V0005", 2024, "shareholding", amount_yuan="50000")
    assert (draft.state, draft.kind, draft.pool_fen, draft.prepared_by, draft.snapshot.id) == ("draft", "regular", 5_000_000, "acc5", 55)
    assert [(e.action, e.object_type) for e in fake.tables.audit] == [
        ("return.record", "asset_return"), ("scheme.store", "scheme_version"), ("run.create", "run")]
    with pytest.raises(InputError) as live:
        await cases.create(FIVE, "V0005", 2024, "shareholding")
    assert keys(live) == ["refusal.live_run"] and live.value.problems[0].msg.params["run"] == draft.id
    with pytest.raises(InputError) as other_amount:
        await cases.create(FIVE, "V0005", 2024, "shareholding", amount_yuan="40000")
    assert keys(other_amount) == ["compute.amount_invalid"]
    await cases.cancel(FIVE, draft.id, "重做", clock)
    again = await cases.create(FIVE, "V0005", 2024, "shareholding")  # the return is recorded once, booked again
    assert again.id != draft.id and again.asset_return.id == draft.asset_return.id and len(fake.tables.returns) == 1
    assert len(fake.tables.schemes) == 1  # the scheme text pinned once


async def test_a_correction_replaces_only_a_reversed_run_of_its_own_village(fake, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    village_with_registry(fake, tmp_path)
    elsewhere = add(fake, "reversed", run_id=400)  # V0001's
    with pytest.raises(NotAllowed):
        await cases.create(FIVE, "V0005", 2024, "shareholding", amount_yuan="50000", replaces=elsewhere.id)
    first = await cases.create(FIVE, "V0005", 2024, "shareholding", amount_yuan="50000")
    with pytest.raises(InputError) as live:
        await cases.correct(FIVE, first.id, "shareholding")
    assert keys(live) == ["run.replaces_not_reversed"]
    with pytest.raises(InputError) as created:  # the same below the run page's check
        await cases.create(FIVE, "V0005", 2024, "shareholding", replaces=first.id)
    assert keys(created) == ["run.replaces_not_reversed"]
    fake.tables.runs[first.id].state = "reversed"
    correction = await cases.correct(FIVE, first.id, "shareholding")
    assert (correction.kind, correction.replaces_id, correction.pool_fen) == ("correction", first.id, 5_000_000)
    with pytest.raises(InputError) as twice:
        await cases.correct(FIVE, first.id, "shareholding")
    assert keys(twice) == ["run.correction_exists"]
