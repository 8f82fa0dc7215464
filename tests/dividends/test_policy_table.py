"""Role × scope × state for every use-case (issue 8, items 1 and 3), table-driven.

Two tables, written here independently of :data:`dividends.policy.RULES`, so a change of the
rules shows up as a failing cell:

- the pure cross-product of every action × role × (in scope, out of scope) × run state through
  :func:`dividends.policy.allow` (no database; a few milliseconds);
- a lifecycle on the database where, at each step, the step's use-case is first called by every
  user in every scope who must be refused (not found outside the scope, forbidden for the wrong
  role, the wrong state, the preparer as checker) and nothing changes; then the right person
  does it. Reversals and corrections go through the same maker–checker.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from dividends import access
from dividends.actors import ROLES, Actor, Place
from dividends.approval import Resolution
from dividends.clock import FixedClock
from dividends.policy import RULES, RUN_STATES, allow
from dividends.refusals import Forbidden, NotAllowed
from dividends.store import facts
from dividends.usecases import objections, payments, reading, returns, runs, tokens, users, villages
from schemes.problems import InputError
from tests.dbsupport import clean_db, database_url, db  # noqa: F401  (fixtures)
from tests.dividends.support import sample_files
from tests.dividends.test_runs import bank_result
from tests.people import Person, person

ACC, COM, AUD, ADM, TWP = "accountant", "committee", "auditor", "admin", "township"
EVERYONE = {ACC, COM, AUD, ADM, TWP}

WHO: dict[str, set[str]] = {
    "village.read": EVERYONE, "ledger.read": EVERYONE, "ledger.checkpoint": {AUD, ADM}, "run.pack": {ACC, AUD, ADM},
    "registry.import": {ACC}, "registry.withdraw": {ACC, ADM}, "return.record": {ACC}, "return.correct": {ACC}, "run.create": {ACC},
    "run.compute": {ACC}, "run.publicize": {ACC}, "objection.record": {ACC, COM}, "objection.resolve": {COM},
    "run.approve": {COM}, "run.return": {COM}, "run.review": {TWP}, "publicity.evidence": {ACC},
    "publicity.result": {ACC}, "run.pay": {ACC}, "run.bank_result": {ACC}, "run.close": {ACC}, "payee.correct": {ACC}, "payee.approve": {COM},
    "cash.prepare": {ACC}, "cash.approve": {COM}, "run.cancel": {ACC},
    "run.reverse": {ACC, COM}, "reversal.approve": {COM}, "notices.prepare": {ACC}, "notices.release": {ACC},
    "notices.send": {ACC}, "notices.period": {ACC}, "county.read": {AUD, ADM}, "users.manage": {ADM}, "villages.manage": {ADM},
    "village.language": {ACC, ADM}, "database.backup": {ADM}, "database.restore": {ADM}, "tokens.own": EVERYONE,
}
"""Action -> the roles that may do it (in their scope). Every action of the policy has a row
(:func:`test_the_table_names_every_action_of_the_policy`)."""

GOOD = Resolution(date(2025, 1, 13), entitled=30, present=21, votes_for=15, votes_against=4, abstaining=2)
"""A resolution that meets the default rules (approval needs one)."""

POSTED = {"approved", "paid", "closed"}
ANY_STATE = None
STARTS: dict[str, set[str] | None] = {
    "village.read": ANY_STATE, "ledger.read": ANY_STATE, "ledger.checkpoint": ANY_STATE, "run.pack": ANY_STATE,
    "registry.import": ANY_STATE, "registry.withdraw": ANY_STATE, "return.record": ANY_STATE, "return.correct": ANY_STATE,
    "run.create": ANY_STATE,
    "run.compute": {"draft"} | {"computed", "publicized"} | POSTED,  # done states: a no-op
    "run.publicize": {"computed", "publicized"} | POSTED,
    "objection.record": {"publicized"},
    "objection.resolve": ANY_STATE,
    "run.approve": {"publicized"} | POSTED,
    "run.return": {"computed", "publicized"},
    "run.review": {"computed", "publicized"},
    "publicity.evidence": {"publicized"} | POSTED,
    "publicity.result": {"paid", "closed"},
    "run.pay": {"approved", "paid"},
    "run.bank_result": {"paid"},
    "run.close": {"paid", "closed"},
    "payee.correct": {"paid"},
    "payee.approve": {"paid"},
    "cash.prepare": {"paid"},
    "cash.approve": {"paid"},
    "run.cancel": {"draft", "computed", "publicized", "cancelled"},
    "run.reverse": POSTED | {"reversed"},
    "notices.period": {"publicized"} | POSTED,
    "reversal.approve": ANY_STATE, "notices.prepare": ANY_STATE, "notices.release": ANY_STATE,
    "notices.send": ANY_STATE, "county.read": ANY_STATE, "users.manage": ANY_STATE, "villages.manage": ANY_STATE,
    "village.language": ANY_STATE, "tokens.own": ANY_STATE, "database.backup": ANY_STATE, "database.restore": ANY_STATE,
}
"""Action -> the run states it may be tried in (anything else: ``run.illegal``); ``None``: the
action does not depend on a run's state."""


def _actor(role: str) -> Actor:
    village = 1 if role in (ACC, COM) else None
    township = 10 if role == TWP else None
    return Actor(7, f"{role}-x", "x", role, village_id=village, county_id=1, township_id=township)


def test_the_table_names_every_action_of_the_policy() -> None:
    """Adding an action to the policy without a row here (or a row without an action) fails."""
    assert set(WHO) == set(RULES), set(WHO) ^ set(RULES)
    assert set(STARTS) == set(RULES), set(STARTS) ^ set(RULES)
    assert set().union(*WHO.values()) == set(ROLES)  # every role is in the cross-product


@pytest.mark.parametrize("action", sorted(RULES))
def test_every_action_role_scope_and_state(action: str) -> None:
    here, elsewhere = Place(1, 1, "V1", township_id=10), Place(2, 2, "V2", township_id=20)
    for role in ROLES:
        for place, inside in ((here, True), (elsewhere, False)):
            for state in (*RUN_STATES, None):
                actor = _actor(role)
                try:
                    allow(actor, action, place, state=state, prepared_by="someone-else")
                    verdict = "allowed"
                except NotAllowed:
                    verdict = "not found"
                except Forbidden:
                    verdict = "forbidden"
                except InputError as error:
                    verdict = error.problems[0].msg.key
                starts = STARTS[action]
                if not inside:
                    expected = "not found"
                elif role not in WHO[action]:
                    expected = "forbidden"
                elif state is not None and starts is not None and state not in starts:
                    expected = "run.illegal"
                else:
                    expected = "allowed"
                assert verdict == expected, (action, role, inside, state)


def test_a_township_reviewer_sees_its_township_only() -> None:
    reviewer = _actor(TWP)
    allow(reviewer, "run.review", Place(1, 1, "V1", township_id=10), state="publicized")
    with pytest.raises(NotAllowed):
        allow(reviewer, "run.review", Place(3, 1, "V3", township_id=11), state="publicized")  # same county
    with pytest.raises(NotAllowed):
        allow(Actor(8, "t0", "t0", TWP, county_id=1), "village.read", Place(1, 1, "V1", township_id=None))
    with pytest.raises(Forbidden):
        allow(reviewer, "run.approve", Place(1, 1, "V1", township_id=10), state="publicized")


def test_maker_checker_refuses_the_preparer_and_only_the_preparer() -> None:
    committee = Actor(2, "com1", "com1", COM, village_id=1, county_id=1)
    with pytest.raises(InputError) as refused:
        allow(committee, "run.approve", Place(1, 1), state="publicized", prepared_by="com1")
    assert refused.value.problems[0].msg.key == "run.same_person"
    with pytest.raises(InputError) as refused:
        allow(committee, "reversal.approve", Place(1, 1), prepared_by="com1")
    assert refused.value.problems[0].msg.key == "refusal.reversal_same_person"
    allow(committee, "reversal.approve", Place(1, 1), prepared_by="com2")
    allow(committee, "run.approve", Place(1, 1), state="approved", prepared_by="com1")  # done: a no-op


# --------------------------------------------------------------------------- on the database


def verdict_of(error: BaseException | None) -> str:
    if error is None:
        return "allowed"
    if isinstance(error, NotAllowed):
        return "not found"
    if isinstance(error, Forbidden):
        return "forbidden"
    assert isinstance(error, InputError), error
    return error.problems[0].msg.key


async def outcome(call) -> str:  # type: ignore[no-untyped-def]
    try:
        await call
    except (NotAllowed, Forbidden, InputError) as error:
        return verdict_of(error)
    return "allowed"


class World:
    """Two villages of one county (V0001, V0002) and one of another county (V9001); per
    village an accountant and committee members; the county's auditor and administrator; an
    auditor of the other county."""

    people: dict[str, Person]

    def expected(self, who: str, action: str, village: str | None = "V0001") -> str:
        p = self.people[who]
        if village is None:  # no village object (county pages, user management): the role alone
            return "allowed" if p.role in WHO[action] else "forbidden"
        seen = {"acc1": {"V0001"}, "com1": {"V0001"}, "com2": {"V0001"}, "acc2": {"V0002"}, "com3": {"V0002"},
                "aud": {"V0001", "V0002"}, "adm": {"V0001", "V0002"}, "aud9": {"V9001"}}[who]
        if village not in seen:
            return "not found"
        return "allowed" if p.role in WHO[action] else "forbidden"


async def world(tmp: Path, no_account: tuple[str, ...] = ()) -> World:
    """Users of every role over two villages of 16 households; ``no_account``: households whose
    bank account number the registry leaves empty."""
    from dividends.imports import import_registry
    files = sample_files(tmp / "reg", households=16, villages=2, seed=5)
    if no_account:
        frame = pl.read_csv(files.households, infer_schema=False)
        frame.with_columns(pl.when(pl.col("household_id").is_in(no_account)).then(pl.lit(""))
                           .otherwise(pl.col("account_no")).alias("account_no")).write_csv(files.households)
    await import_registry(files.households, period=2024, actor="setup", posts=files.posts, members=files.members,
                          reference_date=date(2025, 1, 1))
    w = World()
    w.people = {
        "acc1": await person("acc1", ACC, village="V0001"), "com1": await person("com1", COM, village="V0001"),
        "com2": await person("com2", COM, village="V0001"), "acc2": await person("acc2", ACC, village="V0002"),
        "com3": await person("com3", COM, village="V0002"), "aud": await person("aud", AUD, county="default"),
        "adm": await person("adm", ADM, county="default"),
    }
    await person("acc9", ACC, village="V9001", county="C9")
    w.people["aud9"] = await person("aud9", AUD, county="C9")
    return w


async def tried(w: World, action: str, call, *, village: str | None = "V0001", skip: tuple[str, ...] = ()) -> None:  # type: ignore[no-untyped-def]
    """Every user but those allowed (and ``skip``) is refused with the expected answer."""
    for who, p in w.people.items():
        expected = w.expected(who, action, village)
        if expected == "allowed" or who in skip:
            continue
        got = await outcome(call(p.actor))
        assert got == expected, (action, who, got)


async def state_of(run_id: int) -> str:
    found = await facts.run_facts(run_id)
    assert found is not None
    return found.state


@pytest.mark.db
async def test_every_use_case_by_role_scope_state_and_maker_checker(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = await world(tmp_path)
    p = w.people
    clock = FixedClock(datetime(2025, 1, 6, 2, 0, tzinfo=UTC))
    files = sample_files(tmp_path / "again", households=16, villages=2, seed=5)

    await tried(w, "registry.import", lambda a: access_import(a, files.households, files))
    await tried(w, "return.record", lambda a: returns.record(a, "V0001", 2023, "100"))
    await tried(w, "run.create", lambda a: runs.create(a, "V0001", 2024, "shareholding", amount_yuan="80000"))
    run = await runs.create(p["acc1"].actor, "V0001", 2024, "shareholding", amount_yuan="80000")
    again = await outcome(runs.create(p["acc1"].actor, "V0001", 2024, "shareholding"))
    assert again == "refusal.live_run"  # one live regular run per asset return

    # draft: only compute and cancel start here
    for wrong in (runs.publicize(p["acc1"].actor, run.id, clock=clock), runs.approve(p["com1"].actor, run.id, clock),
                  payments.pay(p["acc1"].actor, run.id, clock=clock)):
        assert await outcome(wrong) == "run.illegal"
    await tried(w, "run.compute", lambda a: runs.compute(a, run.id, clock))
    await runs.compute(p["acc1"].actor, run.id, clock)
    await tried(w, "run.publicize", lambda a: runs.publicize(a, run.id, clock=clock))
    assert await outcome(runs.publicize(p["acc1"].actor, run.id, date(2025, 1, 5), clock=clock)) == "refusal.notice_past"
    await runs.publicize(p["acc1"].actor, run.id, clock=clock)
    assert await state_of(run.id) == "publicized"

    from dividends.runs import lines_frame
    hh = (await lines_frame(run.id)).filter(recipient_kind="household")["recipient_id"][0]
    await tried(w, "objection.record", lambda a: objections.record(a, run.id, hh, "t", clock=clock))
    objection = await objections.record(p["com1"].actor, run.id, hh, "少算一个月", clock=clock)
    await tried(w, "objection.resolve", lambda a: objections.resolve(a, objection.id, "ok", clock=clock))
    await objections.resolve(p["com2"].actor, objection.id, "核对无误", clock=clock)

    clock.advance(days=7)
    await tried(w, "run.approve", lambda a: runs.approve(a, run.id, clock, GOOD))
    assert await state_of(run.id) == "publicized"  # the refusals changed nothing
    await runs.approve(p["com1"].actor, run.id, clock, GOOD)
    assert await outcome(runs.cancel(p["acc1"].actor, run.id, "late", clock)) == "run.illegal"

    await tried(w, "run.pay", lambda a: payments.pay(a, run.id, clock=clock))
    batch = (await payments.pay(p["acc1"].actor, run.id, clock=clock)).batch
    from dividends.store.listing import payout_household_ids
    result = bank_result(tmp_path / "result.csv", [(h, "成功") for h in await payout_household_ids(run.id, batch.number)])
    await tried(w, "run.bank_result", lambda a: payments.bank_result(a, run.id, result, clock=clock))
    await payments.bank_result(p["acc1"].actor, run.id, result, clock=clock)
    await tried(w, "run.close", lambda a: payments.close(a, run.id, clock=clock))
    await payments.close(p["acc1"].actor, run.id, clock=clock)

    # reading: every role in scope; the audit pack only to the accountant, auditors, admins
    await tried(w, "village.read", lambda a: reading.run_details(a, run.id))
    await tried(w, "run.pack", lambda a: reading.audit_pack(a, run.id))
    for who in ("acc1", "aud", "adm"):
        assert (await reading.audit_pack(p[who].actor, run.id))[:2] == b"PK"

    # reversal: prepared by one, approved by another committee member of the village
    await tried(w, "run.reverse", lambda a: runs.reverse(a, run.id, "wrong registry", clock))
    mirror = await runs.reverse(p["com1"].actor, run.id, "wrong registry", clock)
    assert await state_of(run.id) == "closed"  # nothing posted before the second person agrees
    assert await outcome(runs.approve_reversal(p["com1"].actor, mirror.id, clock)) == "refusal.reversal_same_person"
    await tried(w, "reversal.approve", lambda a: runs.approve_reversal(a, mirror.id, clock), skip=("com1",))
    await runs.approve_reversal(p["com2"].actor, mirror.id, clock)
    assert await state_of(run.id) == "reversed"

    # a correction replaces the reversed run and is publicized again before approval
    correction = await runs.create(p["acc1"].actor, "V0001", 2024, "shareholding", replaces=run.id)
    assert correction.kind == "correction"
    await runs.compute(p["acc1"].actor, correction.id, clock)
    assert await outcome(runs.approve(p["com2"].actor, correction.id, clock)) == "run.illegal"  # not publicized
    await runs.publicize(p["acc1"].actor, correction.id, clock=clock)
    clock.advance(days=7)
    await tried(w, "run.approve", lambda a: runs.approve(a, correction.id, clock, GOOD))
    await runs.approve(p["com2"].actor, correction.id, clock, GOOD)
    assert await state_of(correction.id) == "approved"
    elsewhere = await outcome(runs.create(p["acc2"].actor, "V0002", 2024, "shareholding", replaces=run.id))
    assert elsewhere == "not found"  # a correction replaces a run of its own village only


async def access_import(actor: Actor, households: Path, files) -> object:  # type: ignore[no-untyped-def]
    from dividends.usecases import registry
    return await registry.import_registry(actor, "V0001", households, period=2024, posts=files.posts,
                                          members=files.members, reference_date=date(2025, 1, 1))


@pytest.mark.db
async def test_users_villages_and_tokens_by_role_and_scope(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = await world(tmp_path)
    p = w.people
    await tried(w, "users.manage", lambda a: users.create(a, "new1", "a long password", ACC, village="V0001"),
                village=None)
    # outside the admin's county a village is unknown, a user not found
    assert await outcome(users.create(p["adm"].actor, "new9", "a long password", ACC, village="V9001")) == \
        "access.unknown_village"
    await users.create(p["adm"].actor, "new1", "a long password", ACC, village="V0001")
    aud9 = p["aud9"].actor
    assert await outcome(users.set_active(p["adm"].actor, aud9.user_id, False)) == "not found"
    assert await outcome(users.set_active(p["adm"].actor, p["adm"].actor.user_id, False)) == "forbidden"
    assert await outcome(users.set_password(p["acc1"].actor, "com1", "another long one")) == "forbidden"
    await users.set_password(p["acc1"].actor, "acc1", "another long one")  # one's own
    assert await access.verify_login("acc1", "another long one", "tests") is not None
    assert await outcome(users.bootstrap_admin("root2", "a long password")) == "users.bootstrap_done"

    await tried(w, "villages.manage", lambda a: villages.update(a, "V0001", contact_phone="0539-9"))
    assert await outcome(villages.update(p["adm"].actor, "V9001", contact_phone="0539-9")) == "not found"
    assert (await villages.update(p["adm"].actor, "V0001", contact_phone="0539-9")).contact_phone == "0539-9"
    await tried(w, "village.language", lambda a: villages.set_language(a, "V0001", "en"))
    assert await outcome(villages.create(p["acc1"].actor, "V7", "七村", county="default")) == "forbidden"

    secret = await tokens.create(p["acc1"].actor, "office")
    assert (await access.actor_for_token(secret)).username == "acc1"  # type: ignore[union-attr]
    mine = await tokens.mine(p["acc1"].actor)
    assert await outcome(tokens.revoke(p["acc2"].actor, mine[0].id)) == "not found"  # another user's token
    await tokens.revoke(p["acc1"].actor, mine[0].id)
    assert await access.actor_for_token(secret) is None


@pytest.mark.db
async def test_the_ledgers_each_role_reads_are_those_of_its_scope(clean_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    w = await world(tmp_path)
    p = w.people
    for who, seen in (("acc1", ["V0001"]), ("aud", ["V0001", "V0002"]), ("aud9", ["V9001"])):
        from dividends.store.listing import village_codes
        assert await village_codes(p[who].actor) == seen, who
        entries, _ = await reading.ledgers(p[who].actor)
        assert set(entries) <= set(seen), who  # villages without entries are left out
    assert await outcome(reading.ledgers(p["acc1"].actor, ["V0002"])) == "not found"
    listed = await reading.list_runs(p["acc2"].actor)
    assert listed == []


WEB_ONLY = {"county.read": "the county pages", "notices.release": "releasing held notices on the run page",
            "return.correct": "the returns page and the API", "payee.correct": "the run page",
            "payee.approve": "the run page"}
"""Actions no CLI command does (so the README's table of commands does not name them)."""


def test_the_readmes_command_table_names_every_action_with_its_roles() -> None:
    import re
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = readme.index("| command | role (in its scope) | action in `dividends/policy.py` |")
    rows = []
    for line in readme[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    named: set[str] = set()
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        named |= set(re.findall(r"`([a-z]+\.[a-z_]+)`", cells[2]))
        for action in re.findall(r"`([a-z]+\.[a-z_]+)`", cells[2]):
            for role in WHO[action]:  # the roles the policy names are in the role column
                assert role in cells[1] or cells[1].startswith("every role"), (action, role, cells[1])
    listed = {a for a in named if a in RULES}
    # `run.create` … `run.cancel` stands for the accountant's run transitions
    listed |= {"run.compute", "run.publicize", "run.pay", "run.bank_result", "run.close"} if "run.create" in named else set()
    assert named <= set(RULES), named - set(RULES)
    assert set(RULES) - set(WEB_ONLY) <= listed, set(RULES) - set(WEB_ONLY) - listed
