"""The access rules' details the table test (test_policy_table.py) does not look at: what a
refusal carries (the action, the role, the roles that may; the state and the states needed), the
scope of a county-less administrator and of an unknown role, maker–checker in every case, the
notice start at its boundary, and the role-only helpers."""
from __future__ import annotations

from datetime import date

import pytest

from dividends.actors import Actor, Place, sees
from dividends.policy import RULES, Rule, _r, allow, check_notice_start, may, require
from dividends.refusals import Forbidden, NotAllowed
from schemes.i18n import Msg
from schemes.problems import InputError

ACC = Actor(1, "acc1", "acc1", "accountant", village_id=1, county_id=1)
COM = Actor(2, "com1", "com1", "committee", village_id=1, county_id=1)
AUD = Actor(3, "aud1", "aud1", "auditor", county_id=1)
ADM = Actor(4, "adm1", "adm1", "admin", county_id=1)
ROOT = Actor(5, "root", "root", "admin")  # no county: every county
TWP = Actor(6, "twp1", "twp1", "township", county_id=1, township_id=10)
HERE = Place(1, 1, "V1", township_id=10)


def refusal(*args: object, **kw: object) -> BaseException:
    with pytest.raises((NotAllowed, Forbidden, InputError)) as caught:
        allow(*args, **kw)  # type: ignore[arg-type]
    return caught.value


# --------------------------------------------------------------------------- scope

def test_the_roles_in_village_township_and_county() -> None:
    assert (ACC.in_village, ACC.in_township, ACC.in_county) == (True, False, False)
    assert (COM.in_village, COM.in_township, COM.in_county) == (True, False, False)
    assert (TWP.in_village, TWP.in_township, TWP.in_county) == (False, True, False)
    assert (AUD.in_village, AUD.in_township, AUD.in_county) == (False, False, True)
    assert (ADM.in_village, ADM.in_township, ADM.in_county) == (False, False, True)


def test_a_village_role_sees_its_village_only_whatever_the_county() -> None:
    assert sees(ACC, Place(1, 1))
    assert sees(ACC, Place(1, 2))  # the village id decides, not the county
    assert not sees(ACC, Place(2, 1))


def test_a_county_role_sees_its_county_and_an_admin_without_county_every_county() -> None:
    assert sees(AUD, Place(9, 1)) and not sees(AUD, Place(1, 2)) and not sees(AUD, Place(1, None))
    assert sees(ROOT, Place(1, 1)) and sees(ROOT, Place(2, 7)) and sees(ROOT, Place(3, None))
    allow(ROOT, "village.read", Place(8, 8))


def test_a_township_reviewer_without_township_sees_nothing() -> None:
    lost = Actor(7, "t0", "t0", "township", county_id=1)
    assert not sees(lost, Place(1, 1, township_id=None))
    assert not sees(lost, Place(1, 1, township_id=10))
    assert sees(TWP, Place(5, 2, township_id=10))  # the township decides, not the county
    assert not sees(TWP, Place(1, 1, township_id=11))


def test_an_unknown_role_sees_nothing_and_may_nothing() -> None:
    stranger = Actor(8, "x", "x", "visitor", village_id=1, county_id=1, township_id=10)
    assert not sees(stranger, HERE)
    assert not stranger.may("village.read") and not may(stranger, "tokens.own")


def test_outside_the_scope_the_object_is_not_found_before_the_role_is_looked_at() -> None:
    error = refusal(AUD, "run.approve", Place(1, 2), state="publicized", what="run R7")
    assert isinstance(error, NotAllowed) and error.what == "run R7"
    assert isinstance(refusal(ACC, "run.pay", Place(2, 1)), NotAllowed)
    assert refusal(ACC, "run.pay", Place(2, 1)).what == "run"  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- role

def test_a_forbidden_refusal_names_the_action_the_role_and_the_roles_that_may_in_order() -> None:
    error = refusal(AUD, "run.reverse", HERE, state="approved")
    assert isinstance(error, Forbidden)
    assert (error.action, error.role, error.roles) == ("run.reverse", "auditor", ("accountant", "committee"))
    assert error.args == ("run.reverse",)
    error = refusal(COM, "registry.withdraw", HERE)
    assert isinstance(error, Forbidden) and error.roles == ("accountant", "admin")
    assert refusal(ACC, "users.manage").roles == ("admin",)  # type: ignore[attr-defined]


def test_the_role_comes_before_the_state() -> None:
    assert isinstance(refusal(AUD, "run.pay", HERE, state="draft"), Forbidden)


def test_may_and_require_look_at_the_role_alone() -> None:
    assert may(ACC, "run.pay") and ACC.may("run.pay") and not may(COM, "run.pay")
    assert may(ADM, "users.manage") and not may(AUD, "users.manage")
    require(ADM, "users.manage")
    require(AUD, "county.read")
    with pytest.raises(Forbidden) as caught:
        require(ACC, "county.read")
    assert (caught.value.action, caught.value.role, caught.value.roles) == ("county.read", "accountant", ("auditor", "admin"))
    for action, rule in RULES.items():
        for actor in (ACC, COM, AUD, ADM, TWP):
            assert may(actor, action) == (actor.role in rule.roles) == actor.may(action)


# --------------------------------------------------------------------------- state

def test_a_state_the_action_does_not_start_from_is_refused_naming_both() -> None:
    error = refusal(ACC, "run.pay", HERE, state="publicized", what="R2025-1")
    assert isinstance(error, InputError)
    [problem] = error.problems
    assert problem.msg.key == "run.illegal"
    assert problem.msg.params == {"run": "R2025-1", "state": Msg("state.publicized"),
                                  "action": Msg("action.run.pay"),
                                  "needed": [Msg("state.approved"), Msg("state.paid")]}


def test_a_done_state_passes_and_no_state_passes() -> None:
    allow(ACC, "run.close", HERE, state="closed")
    allow(ACC, "run.compute", HERE, state="paid")
    allow(ACC, "run.pay", HERE)  # no state given: the state is not checked
    allow(ACC, "registry.import", HERE, state="cancelled")  # an action without states


# --------------------------------------------------------------------------- maker–checker

def test_the_preparer_may_not_check_their_own_work_with_the_key_of_each_action() -> None:
    cases = [("run.approve", "publicized", "run.same_person"),
             ("payee.approve", "paid", "payee.same_person"),
             ("cash.approve", "paid", "cash.same_person"),
             ("reversal.approve", None, "refusal.reversal_same_person")]
    for action, state, key in cases:
        error = refusal(COM, action, HERE, state=state, prepared_by="com1", what="R9")
        assert isinstance(error, InputError), action
        [problem] = error.problems
        assert (problem.msg.key, problem.msg.params) == (key, {"user": "com1", "run": "R9"})


def test_another_person_no_preparer_or_a_done_state_passes_the_checker() -> None:
    allow(COM, "run.approve", HERE, state="publicized", prepared_by="acc1")
    allow(COM, "run.approve", HERE, state="publicized", prepared_by=None)
    allow(COM, "run.approve", HERE, state="paid", prepared_by="com1")  # already approved: a no-op
    allow(COM, "payee.approve", HERE, state="paid", prepared_by="acc1")


def test_an_action_without_checker_lets_the_preparer_act() -> None:
    allow(ACC, "run.publicize", HERE, state="computed", prepared_by="acc1")
    allow(COM, "run.return", HERE, state="publicized", prepared_by="com1")


# --------------------------------------------------------------------------- notice start

def test_a_notice_may_start_today_but_not_yesterday() -> None:
    check_notice_start(date(2025, 3, 1), date(2025, 3, 1))
    check_notice_start(date(2025, 3, 2), date(2025, 3, 1))
    with pytest.raises(InputError) as caught:
        check_notice_start(date(2025, 2, 28), date(2025, 3, 1))
    [problem] = caught.value.problems
    assert (problem.msg.key, problem.msg.params) == ("refusal.notice_past", {"start": "2025-02-28", "today": "2025-03-01"})


def test_a_rule_is_written_as_its_roles_and_options() -> None:
    assert _r("accountant", "committee", states=("draft",), checker=True) == Rule(
        frozenset({"accountant", "committee"}), states=("draft",), checker=True)
    assert _r("admin", scope="county") == Rule(frozenset({"admin"}), scope="county")
    assert _r() == Rule(frozenset())


def test_a_county_rule_refuses_a_village_role_even_if_a_rule_were_to_list_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scope guard behind the roles: a county page rule mistakenly naming a village role
    still refuses it (the table test checks no rule does)."""
    monkeypatch.setitem(RULES, "county.test", Rule(frozenset({"accountant", "admin"}), scope="county"))
    with pytest.raises(Forbidden) as caught:
        allow(ACC, "county.test")
    assert (caught.value.action, caught.value.role, caught.value.roles) == ("county.test", "accountant", ())
    allow(ADM, "county.test")
    monkeypatch.setitem(RULES, "village.test", Rule(frozenset({"accountant"}), scope="village"))
    allow(ACC, "village.test")
