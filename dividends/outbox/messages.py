"""Messages of the SMS outbox, its webhooks and the ``dividends notify`` command (zh + en)."""
from __future__ import annotations

from pathlib import Path

from schemes.i18n import Msg, load_catalog
from schemes.problems import InputError, Problem

load_catalog(Path(__file__).parents[1] / "locale", "dividends")


def phrase(key: str, lang: str, /, **params: object) -> str:
    return Msg(key, **params).text(lang)


def refuse(key: str, /, **params: object) -> InputError:
    return InputError([Problem(Msg(key, **params))])
