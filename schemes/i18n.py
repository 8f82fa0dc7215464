"""Messages in the user's language (Chinese or English).

Every user-facing message has a stable key and parameters. The texts live in gettext message
catalogs (``<package>/locale/<lang>/LC_MESSAGES/<domain>.po``, one entry per message:
``msgctxt`` = the key, ``msgid`` = the English text, ``msgstr`` = the text in that language),
which a module announces with :func:`load_catalog`; they are read through Babel
(``babel.support.Translations``) the first time a message is rendered. ``make install``
compiles the ``.po`` files; a ``.mo`` that is missing or older than its ``.po`` is compiled
when it is loaded. :func:`register` still adds a catalog written in code
(``key -> {"zh": template, "en": template}``) for modules not yet moved to ``.po`` files.

Choosing the language: an explicit argument, else ``DIVIDENDS_LANG``, else the locale
(``LC_ALL``/``LC_MESSAGES``/``LANG`` starting with ``zh``), else English.
"""
from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from babel.support import Translations

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
#: language -> (zh, en): how pages, the registry and exports name a language (a household's SMS language)
LANGUAGE_LABELS: dict[str, tuple[str, str]] = {"zh": ("中文", "Chinese"), "en": ("英文", "English")}

_CATALOG: dict[str, dict[str, str]] = {}
_PENDING: list[tuple[Path, str]] = []  # catalogs announced, not read yet
_LOADED: set[tuple[Path, str]] = set()


def register(catalog: Mapping[str, Mapping[str, str]]) -> None:
    """Add message templates; a key registered twice with other text is a programming error."""
    for key, texts in catalog.items():
        if set(texts) != set(LANGS):
            raise ValueError(f"message {key!r} needs exactly the languages {LANGS}")
        if key in _CATALOG and _CATALOG[key] != dict(texts):
            raise ValueError(f"message {key!r} registered twice with different text")
        _CATALOG[key] = dict(texts)


def load_catalog(locale_dir: str | Path, domain: str) -> None:
    """Announce the gettext catalogs ``locale_dir/<lang>/LC_MESSAGES/<domain>.po`` (one per
    language of :data:`LANGS`); their messages are read the first time any message is needed."""
    entry = (Path(locale_dir), domain)
    if entry not in _LOADED and entry not in _PENDING:
        _PENDING.append(entry)


def catalog() -> Mapping[str, Mapping[str, str]]:
    """Every known message, ``key -> {lang: template}`` (reads the announced catalogs). Thread
    safe: a thread asking while another reads a catalog waits for it (it would otherwise find
    the catalog taken off the pending list and its messages not yet registered)."""
    if _PENDING:
        with _READING:
            while _PENDING:
                locale_dir, domain = _PENDING[0]
                texts: dict[str, dict[str, str]] = {}
                for lang in LANGS:
                    for key, _english, text in catalog_entries(compiled_catalog(locale_dir, domain, lang)):
                        texts.setdefault(key, {})[lang] = text
                register(texts)
                _LOADED.add((locale_dir, domain))
                _PENDING.pop(0)
    return _CATALOG


_READING = threading.RLock()


def translations(locale_dir: Path, domain: str, lang: str) -> Translations:
    """The compiled catalog of one language; compiles the ``.po`` when its ``.mo`` is missing or
    older (written beside it, or kept in memory when the package directory is read-only)."""
    from babel.support import Translations
    po = locale_dir / lang / "LC_MESSAGES" / f"{domain}.po"
    mo = po.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        data = compile_po(po)
        try:
            temp = mo.with_name(f".{mo.name}.{os.getpid()}")
            temp.write_bytes(data)
            os.replace(temp, mo)  # whole or not at all: other processes may be reading it
        except OSError:
            return Translations(io.BytesIO(data), domain=domain)
    with mo.open("rb") as fp:
        return Translations(fp, domain=domain)


def compiled_catalog(locale_dir: Path, domain: str, lang: str) -> dict[Any, str]:
    """The messages of one language as gettext reads a ``.mo`` (``"context\x04msgid"`` -> text):
    the standard library's reader when the ``.mo`` is up to date, so rendering a message does not
    import Babel (0.1 s of every command); :func:`translations` (Babel) compiles a stale one."""
    po = locale_dir / lang / "LC_MESSAGES" / f"{domain}.po"
    mo = po.with_suffix(".mo")
    try:
        fresh = mo.stat().st_mtime >= po.stat().st_mtime
    except OSError:
        fresh = False
    if not fresh:
        return dict(translations(locale_dir, domain, lang)._catalog)
    import gettext
    with mo.open("rb") as fp:
        return dict(gettext.GNUTranslations(fp)._catalog)  # type: ignore[attr-defined]


def compile_po(po: Path) -> bytes:
    """The ``.mo`` bytes of one ``.po`` file (what ``pybabel compile`` writes)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    with po.open("rb") as fp:
        parsed = read_po(fp)
    out = io.BytesIO()
    write_mo(out, parsed)
    return out.getvalue()


def entries(compiled: Translations) -> Iterator[tuple[str, str, str]]:
    """``(key, English msgid, text)`` of every message with a context in a compiled catalog."""
    return catalog_entries(compiled._catalog)


def catalog_entries(messages: Mapping[Any, str]) -> Iterator[tuple[str, str, str]]:
    """:func:`entries` of a catalog's messages (``"context\x04msgid"`` -> text)."""
    for raw, text in messages.items():  # gettext stores "context\x04msgid"
        if isinstance(raw, str) and "\x04" in raw:
            key, english = raw.split("\x04", 1)
            yield key, english, text


def gettext_callables(lang: str | None = None) -> dict[str, Any]:
    """``gettext``, ``ngettext``, ``pgettext`` and ``npgettext`` in one language, over the same
    catalogs as :class:`Msg`, for templates using ``jinja2.ext.i18n``: ``{% trans "key" %}English
    text{% endtrans %}`` or ``{{ pgettext("key", "English {name}", name=x) }}`` (msgctxt = the
    key; keyword arguments fill the text's ``{placeholders}`` as :class:`Msg` does) renders the
    key's text in ``lang``; a text without a key is looked up by its English msgid (left in English
    when no message has it)."""
    language = current_language(lang)

    def filled(text: str, params: Mapping[str, Any]) -> str:
        return text.format(**{k: _render_param(v, language) for k, v in params.items()}) if params else text

    def pgettext(context: str, message: str, /, **params: Any) -> str:
        templates = catalog().get(context)
        return filled(templates[language], params) if templates is not None else gettext(message, **params)

    def npgettext(context: str, singular: str, plural: str, n: int, /, **params: Any) -> str:
        return pgettext(context, singular if n == 1 else plural, **params)

    def gettext(message: str, /, **params: Any) -> str:
        found = {texts[language] for texts in catalog().values() if texts["en"] == message}
        return filled(found.pop() if len(found) == 1 else message, params)

    def ngettext(singular: str, plural: str, n: int, /, **params: Any) -> str:
        return gettext(singular if n == 1 else plural, **params)

    return {"gettext": gettext, "_": gettext, "ngettext": ngettext, "pgettext": pgettext, "npgettext": npgettext}


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
        templates = _CATALOG.get(self.key) or catalog().get(self.key)
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
