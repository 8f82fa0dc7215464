"""Refusals of the money rules, in the reader's language, the same words on every entry point.

Two kinds are not input errors:

- :class:`NotAllowed` — not found, or outside the actor's scope: the same answer for both (a 404
  on the web, exit 5 on the command line), so a user who changes an id learns nothing about
  another village;
- :class:`Forbidden` — in scope, but not the actor's role to do (a 403, exit 5).

Everything else the policy refuses (a state that does not allow the action, the preparer
approving their own run, a notice period in the past) is an :class:`~schemes.problems.InputError`
with a translated, located message (a 409 or 400 on the web, exit 2 on the command line).
"""
from __future__ import annotations

from schemes.i18n import Msg, register
from schemes.problems import InputError, Problem

register({
    "refusal.forbidden": {"zh": "角色“{role}”不能执行“{action}”（可以执行的角色：{roles}）",
                         "en": "the role '{role}' may not {action} (roles that may: {roles})"},
    "refusal.not_found": {"zh": "没有找到，或不在您的管辖范围内：{what}", "en": "not found, or not in your scope: {what}"},
    "refusal.reversal_same_person": {
        "zh": "{user} 发起了冲销 {run}，不能由本人审批；请由本村另一位村务监督委员会成员审批",
        "en": "{user} prepared the reversal {run} and may not approve it; another committee member of the village must",
    },
    "refusal.live_run": {
        "zh": "{village} 村 {period} 年的收益“{asset}”已有未作废的分配批次 {run}（{state}）；同一笔收益只能有一个正常批次，"
              "如需更正，请先冲销该批次，再创建替代批次 {run} 的更正批次",
        "en": "the return '{asset}' of {village} for {period} already has the live run {run} ({state}); one regular run per "
              "return: to correct it, reverse that run and create a correction that replaces run {run}",
    },
    "refusal.notice_past": {
        "zh": "公示期不能早于公示当天开始：开始日期 {start} 早于今天 {today}",
        "en": "a notice period cannot start before the day it is published: {start} is before today, {today}",
    },
    "refusal.reversal_pending": {
        "zh": "分配批次 {run} 已有待审批的冲销 {reversal}", "en": "run {run} already has the reversal {reversal} awaiting approval",
    },
    "refusal.not_a_reversal": {"zh": "分配批次 {run} 不是待审批的冲销", "en": "run {run} is not a reversal awaiting approval"},
})


class NotAllowed(Exception):
    """Not found, or outside the actor's scope: the same answer for both (a 404)."""

    def __init__(self, what: object = "") -> None:
        super().__init__(what)
        self.what = what

    @property
    def msg(self) -> Msg:
        return Msg("refusal.not_found", what=str(self.what)[:64])


class Forbidden(Exception):
    """The actor may see this but not do ``action`` (a 403)."""

    def __init__(self, action: str, role: str = "", roles: tuple[str, ...] = ()) -> None:
        super().__init__(action)
        self.action = action
        self.role = role
        self.roles = roles

    @property
    def msg(self) -> Msg:
        return Msg("refusal.forbidden", role=self.role, action=self.action, roles=", ".join(self.roles) or "-")


def refuse(key: str, /, **params: object) -> InputError:
    """A rule's refusal as a translated input error (the caller raises it)."""
    return InputError([Problem(Msg(key, **params))])
