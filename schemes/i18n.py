"""Messages in the user's language (Chinese or English).

Every user-facing message has a key and parameters; each package registers a catalog of
``key -> {"zh": template, "en": template}``. Choosing the language: an explicit argument, else
``DIVIDENDS_LANG``, else the locale (``LC_ALL``/``LC_MESSAGES``/``LANG`` starting with ``zh``),
else English.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

_CATALOG: dict[str, dict[str, str]] = {}


def register(catalog: Mapping[str, Mapping[str, str]]) -> None:
    """Add message templates; a key registered twice with other text is a programming error."""
    for key, texts in catalog.items():
        if set(texts) != set(LANGS):
            raise ValueError(f"message {key!r} needs exactly the languages {LANGS}")
        if key in _CATALOG and _CATALOG[key] != dict(texts):
            raise ValueError(f"message {key!r} registered twice with different text")
        _CATALOG[key] = dict(texts)


def current_language(explicit: str | None = None) -> Lang:
    for value in (explicit, os.environ.get("DIVIDENDS_LANG")):
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


@dataclass(frozen=True)
class Msg:
    """A message not yet rendered: ``Msg("scheme.unknown_key", key="x")``."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __init__(self, key: str, /, **params: Any) -> None:
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "params", params)

    def text(self, lang: str | None = None) -> str:
        lang = current_language(lang)
        templates = _CATALOG.get(self.key)
        if templates is None:
            raise KeyError(f"no message registered for {self.key!r}")
        params = {k: _render_param(v, lang) for k, v in self.params.items()}
        return templates[lang].format(**params)

    def __str__(self) -> str:
        return self.text()


def _render_param(value: Any, lang: str) -> Any:
    if isinstance(value, Msg):
        return value.text(lang)
    if isinstance(value, (list, tuple)):
        sep = "、" if lang == "zh" else ", "
        return sep.join(str(_render_param(v, lang)) for v in value)
    return value


def t(key: str, lang: str | None = None, /, **params: Any) -> str:
    """Render one message now."""
    return Msg(key, **params).text(lang)
