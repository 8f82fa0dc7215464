"""The one table of money rules: for every action, who may do it, where, in which states, and
whether a second person must agree (maker–checker).

Every use-case (:mod:`dividends.usecases`) calls :func:`allow` before it changes anything, so
the web pages, the JSON API and the command line obey the same rules. The order of the checks
is part of the rule: scope first (outside it the object does not exist for the actor:
:class:`~dividends.refusals.NotAllowed`), then role (:class:`~dividends.refusals.Forbidden`),
then the run's state, then maker–checker (both translated input errors, 409 on the web).

>>> from dividends.actors import Actor, Place
>>> committee = Actor(2, "com1", "com1", "committee", village_id=1, county_id=1)
>>> allow(committee, "run.approve", Place(1, 1), state="publicized", prepared_by="acc1")
>>> allow(committee, "run.approve", Place(2, 1), state="publicized", prepared_by="acc1")
Traceback (most recent call last):
...
dividends.refusals.NotAllowed: run
"""
from __future__ import annotations

from dataclasses import dataclass

from dividends.actors import COUNTY_ROLES, ROLES, Actor, Place, sees
from dividends.refusals import Forbidden, NotAllowed, refuse
from schemes.i18n import Msg, register

ACCOUNTANT, COMMITTEE, AUDITOR, ADMIN, TOWNSHIP = ROLES
RUN_STATES = ("draft", "computed", "publicized", "approved", "paid", "closed", "cancelled", "reversed")
#: run state -> (zh, en): the one table of run-state labels, for pages, messages (``state.<name>``),
#: the command line and exports.
RUN_STATE_LABELS: dict[str, tuple[str, str]] = {
    "draft": ("草稿", "draft"), "computed": ("已计算", "computed"), "publicized": ("公示中", "publicized"),
    "approved": ("已审批", "approved"), "paid": ("已发放", "paid"), "closed": ("已结束", "closed"),
    "cancelled": ("已撤销", "cancelled"), "reversed": ("已冲销", "reversed"),
}
register({f"state.{name}": {"zh": zh, "en": en} for name, (zh, en) in RUN_STATE_LABELS.items()})
POSTED = ("approved", "paid", "closed")
OBJECTION_STATES = ("open", "resolved")  # an open objection holds a run's approval (run.open_objections)
#: objection state -> (zh, en), for pages, messages (``objection.state.<name>``) and exports.
OBJECTION_STATE_LABELS: dict[str, tuple[str, str]] = {"open": ("待处理", "open"), "resolved": ("已处理", "resolved")}
register({f"objection.state.{name}": {"zh": zh, "en": en} for name, (zh, en) in OBJECTION_STATE_LABELS.items()})


@dataclass(frozen=True)
class Rule:
    """``roles`` may do the action on objects in their ``scope`` ("village": a village's object,
    seen by its own people and its county's; "county": county pages; "own": the actor's own
    account). ``states``: the run states the action starts from; ``done``: states in which
    repeating it is a no-op. ``checker``: the actor must not be the object's preparer."""

    roles: frozenset[str]
    scope: str = "village"
    states: tuple[str, ...] | None = None
    done: tuple[str, ...] = ()
    checker: bool = False


def _r(*roles: str, **kw: object) -> Rule:
    return Rule(frozenset(roles), **kw)  # type: ignore[arg-type]


RULES: dict[str, Rule] = {
    "village.read": _r(*ROLES),
    "ledger.read": _r(*ROLES),
    "ledger.checkpoint": _r(AUDITOR, ADMIN),
    "run.pack": _r(ACCOUNTANT, AUDITOR, ADMIN),
    "registry.import": _r(ACCOUNTANT),
    "registry.withdraw": _r(ACCOUNTANT, ADMIN),
    "return.record": _r(ACCOUNTANT),
    "return.correct": _r(ACCOUNTANT),
    "run.create": _r(ACCOUNTANT),
    "run.compute": _r(ACCOUNTANT, states=("draft",), done=("computed", "publicized") + POSTED),
    "run.publicize": _r(ACCOUNTANT, states=("computed",), done=("publicized",) + POSTED),
    "objection.record": _r(ACCOUNTANT, COMMITTEE, states=("publicized",)),
    "objection.resolve": _r(COMMITTEE),
    "run.approve": _r(COMMITTEE, states=("publicized",), done=POSTED, checker=True),
    "run.return": _r(COMMITTEE, states=("computed", "publicized")),
    "run.review": _r(TOWNSHIP, states=("computed", "publicized")),
    "publicity.evidence": _r(ACCOUNTANT, states=("publicized",) + POSTED),
    "publicity.result": _r(ACCOUNTANT, states=("paid", "closed")),
    "run.pay": _r(ACCOUNTANT, states=("approved", "paid")),
    "run.bank_result": _r(ACCOUNTANT, states=("paid",)),
    "payee.correct": _r(ACCOUNTANT, states=("paid",)),
    "payee.approve": _r(COMMITTEE, states=("paid",), checker=True),
    # a household still owed after a failed bank payment, paid in cash against the signed list
    "cash.prepare": _r(ACCOUNTANT, states=("paid",)),
    "cash.approve": _r(COMMITTEE, states=("paid",), checker=True),
    "run.close": _r(ACCOUNTANT, states=("paid",), done=("closed",)),
    "run.cancel": _r(ACCOUNTANT, states=("draft", "computed", "publicized"), done=("cancelled",)),
    "run.reverse": _r(ACCOUNTANT, COMMITTEE, states=POSTED, done=("reversed",)),
    "reversal.approve": _r(COMMITTEE, checker=True),
    "notices.prepare": _r(ACCOUNTANT),
    # a period statement (several runs of the period, one text per household): prepared from a
    # run households have been told of (publicized or later), sent like every notice
    "notices.period": _r(ACCOUNTANT, states=("publicized",) + POSTED),
    "notices.release": _r(ACCOUNTANT),
    "notices.send": _r(ACCOUNTANT),
    "county.read": _r(AUDITOR, ADMIN, scope="county"),
    "users.manage": _r(ADMIN, scope="county"),
    "villages.manage": _r(ADMIN, scope="county"),
    "village.language": _r(ACCOUNTANT, ADMIN),
    "database.backup": _r(ADMIN, scope="county"),
    "database.restore": _r(ADMIN, scope="county"),
    "tokens.own": _r(*ROLES, scope="own"),
}
"""Action -> its rule. The README's table of commands and roles is read from this."""

PERMISSIONS: dict[str, frozenset[str]] = {action: rule.roles for action, rule in RULES.items()}
"""Action -> roles that may do it (in their scope)."""


#: action -> (zh, en): how a refusal names the action (``action.<name>``); every action has one
ACTION_LABELS: dict[str, tuple[str, str]] = {
    "run.compute": ("计算", "compute"), "run.publicize": ("公示", "publicize"), "run.approve": ("审批", "approve"),
    "run.return": ("驳回", "return"), "run.review": ("审核备案", "review"), "run.pay": ("生成银行代发文件", "pay"),
    "run.bank_result": ("导入银行回单", "record the bank result"), "run.close": ("结束批次", "close"),
    "payee.correct": ("更正收款账户", "correct the payee account"), "payee.approve": ("审批收款账户更正", "approve the payee correction"),
    "cash.prepare": ("登记现金发放", "record a cash payment"), "cash.approve": ("审批现金发放", "approve a cash payment"),
    "village.read": ("查看本村", "read the village"), "ledger.read": ("查看账簿", "read the ledger"),
    "ledger.checkpoint": ("记录账簿核验点", "write a ledger checkpoint"), "run.pack": ("下载审计包", "download the audit pack"),
    "registry.import": ("导入名册", "import a registry"), "registry.withdraw": ("撤回名册导入", "withdraw a registry import"),
    "return.record": ("登记资产收益", "record an asset return"), "return.correct": ("更正资产收益", "correct an asset return"),
    "run.create": ("新建分配批次", "create a run"), "objection.record": ("登记异议", "record an objection"),
    "objection.resolve": ("处理异议", "resolve an objection"), "publicity.evidence": ("上传公示证据", "attach publicity evidence"),
    "publicity.result": ("公开分配结果", "publish the result notice"), "run.cancel": ("作废批次", "cancel a run"),
    "run.reverse": ("冲销批次", "reverse a run"), "reversal.approve": ("审批冲销", "approve a reversal"),
    "notices.prepare": ("准备短信", "prepare texts"), "notices.period": ("准备年度汇总短信", "prepare period statements"),
    "notices.release": ("放行短信", "release texts"), "notices.send": ("发送短信", "send texts"),
    "county.read": ("查看全县", "read the county"), "users.manage": ("管理用户", "manage users"),
    "villages.manage": ("管理村", "manage villages"), "village.language": ("设置村的文书语言", "set the village's language"),
    "database.backup": ("备份数据库", "back up the database"), "database.restore": ("恢复数据库", "restore the database"),
    "tokens.own": ("管理自己的 API 令牌", "manage one's own API tokens"),
}
register({f"action.{name}": {"zh": zh, "en": en}
          for name, (zh, en) in {**{a: (a, a) for a in RULES}, **ACTION_LABELS}.items()})


def may(actor: Actor, action: str) -> bool:
    """The role part of the rule alone (pages use it to show or hide a button)."""
    return actor.role in RULES[action].roles


def allow(actor: Actor, action: str, place: Place | None = None, *, state: str | None = None,
          prepared_by: str | None = None, what: object = "run") -> None:
    """Refuse unless ``actor`` may do ``action`` on an object at ``place`` in ``state``.

    Raises :class:`NotAllowed` outside the actor's scope, :class:`Forbidden` for the wrong role,
    an input error ``run.illegal`` for a state the rule does not start from (states where the
    action is already done pass: the transition is then a no-op), and ``run.same_person`` /
    ``policy.reversal_same_person`` when a maker–checker action is tried by its preparer.
    """
    rule = RULES[action]
    if place is not None and not sees(actor, place):
        raise NotAllowed(what)
    if actor.role not in rule.roles:
        raise Forbidden(action, actor.role, tuple(r for r in ROLES if r in rule.roles))
    if rule.scope == "county" and actor.role not in COUNTY_ROLES:  # pragma: no cover - roles say it already
        raise Forbidden(action, actor.role)
    if state is not None and rule.states is not None and state not in rule.states + rule.done:
        raise refuse("run.illegal", run=what, state=Msg(f"state.{state}"), action=Msg(f"action.{action}"),
                     needed=[Msg(f"state.{s}") for s in rule.states])
    if rule.checker and prepared_by is not None and prepared_by == actor.username and state not in rule.done:
        key = {"reversal.approve": "refusal.reversal_same_person",
               "payee.approve": "payee.same_person", "cash.approve": "cash.same_person"}.get(action, "run.same_person")
        raise refuse(key, user=actor.username, run=what)


def require(actor: Actor, action: str) -> None:
    """The role alone, for actions without an object (county pages, user management)."""
    allow(actor, action)


def check_notice_start(start: object, today: object) -> None:
    """A notice period starts no earlier than the day it is published (the app's clock)."""
    if start < today:  # type: ignore[operator]
        raise refuse("refusal.notice_past", start=str(start), today=str(today))
