"""Page texts in Chinese (the default) and English, and the choice of language per request.

``?lang=en`` (or ``zh``) on any page switches the language and keeps it in the session; without
a choice the site's ``DIVIDENDS_LANG`` applies. Every text of the pages is a message of the
gettext catalogs ``dividends/locale/<lang>/LC_MESSAGES/dividends.po`` with the context
``web.<key>`` (msgid = the English text); templates name them through ``jinja2.ext.i18n``
(``{% trans "web.<key>" %}English{% endtrans %}`` or ``pgettext("web.<key>", "English", **params)``),
Python through :func:`t` (``t(lang, "<key>", **params)``).
"""
from __future__ import annotations

from pathlib import Path

from starlette.requests import Request

from dividends.actors import ROLE_LABELS
from dividends.policy import OBJECTION_STATE_LABELS, RUN_STATE_LABELS
from dividends.registry.columns import FIELD_LABELS
from schemes.i18n import LANGS, LANGUAGE_LABELS, Msg, load_catalog
from schemes.statuses import LABELS
from notify.catalog import PROVIDER_LABELS

STATE_NAMES = RUN_STATE_LABELS  # defined once, beside the states (dividends/policy.py)
ROLE_NAMES = ROLE_LABELS  # defined once, beside the roles (dividends/actors.py)
OBJECTION_NAMES = OBJECTION_STATE_LABELS  # beside the objection states (dividends/policy.py)
LANGUAGE_NAMES = LANGUAGE_LABELS  # beside the languages (schemes/i18n.py)
FIELD_NAMES = FIELD_LABELS  # beside the registry columns (dividends/registry/columns.py)
STATUS_NAMES = LABELS  # the household statuses, defined once (schemes/statuses.py)
PROVIDER_NAMES = PROVIDER_LABELS  # the SMS providers, beside their profiles (notify/catalog.py)

load_catalog(Path(__file__).parents[1] / "locale", "dividends")  # the page texts: msgctxt "web.<key>"


def language(request: Request) -> str:
    """The page language: ``?lang=`` (remembered in the session), else the session's, else the
    site's default."""
    asked = request.query_params.get("lang")
    session = request.scope.get("session")
    if asked in LANGS:
        if session is not None and session.get("lang") != asked:
            session["lang"] = asked
        return asked
    if session is not None and session.get("lang") in LANGS:
        return str(session["lang"])
    return str(request.app.state.settings.lang)


def t(lang: str, key: str, /, **params: object) -> str:
    return Msg(f"web.{key}", **params).text(lang)


def field_value(field: str, value: object, lang: str) -> str:
    """A registry field's value as people read it: statuses and languages by their label."""
    if value is None:
        return ""
    if field == "status":
        return named(STATUS_NAMES, str(value), lang)
    if field == "language":
        return named(LANGUAGE_NAMES, str(value), lang)
    return str(value)


def named(table: dict[str, tuple[str, str]], value: str | None, lang: str) -> str:
    if value is None:
        return ""
    pair = table.get(value)
    return (pair[0] if lang == "zh" else pair[1]) if pair else value
