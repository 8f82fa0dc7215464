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

from pathlib import Path

from dividends.actors import ROLE_LABELS
from schemes.i18n import Msg, catalog, load_catalog, register
from schemes.problems import InputError, Problem

load_catalog(Path(__file__).with_name("locale"), "dividends")
register({f"role.{role}": {"zh": zh, "en": en} for role, (zh, en) in ROLE_LABELS.items()})


def _label(key: str, fallback: str) -> Msg | str:
    """The registered label (a role, an action) in the reader's language, else the id itself."""
    return Msg(key) if key in catalog() else fallback


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
        # roles and actions by their labels (the policy registers ``action.<name>``)
        return Msg("refusal.forbidden", role=_label(f"role.{self.role}", self.role),
                   action=_label(f"action.{self.action}", self.action),
                   roles=[_label(f"role.{r}", r) for r in self.roles] or "-")


def refuse(key: str, /, **params: object) -> InputError:
    """A rule's refusal as a translated input error (the caller raises it)."""
    return InputError([Problem(Msg(key, **params))])
