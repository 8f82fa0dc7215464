"""Typed readers over a located YAML document: each returns the value, or None after recording
a problem that names the key path and line (so a whole file's problems are reported at once).

Subclass :class:`DocumentReader` for a file format (schemes, bank formats)."""
from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

import schemes.messages  # noqa: F401  (registers the yaml.* messages)
from schemes.filters import _show
from schemes.model import Label
from schemes.yamldoc import Document, Path


class DocumentReader:
    def __init__(self, doc: Document) -> None:
        self.doc = doc

    def problem(self, path: Path, key: str, /, **params: Any) -> None:
        self.doc.problem(path, key, **params)

    def mapping(self, value: Any, path: Path, allowed: Iterable[str], required: Iterable[str] = ()) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.problem(path, "yaml.need_mapping", found=_show(value))
            return None
        allowed = tuple(allowed)
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                self.problem(path + (key,), "yaml.unknown_key", name=key, expected=list(allowed),
                             hint=f" ({close[0]}?)" if close else "")
        for key in required:
            if key not in value or value[key] is None:
                self.problem(path + (key,), "yaml.missing_key", name=key)
        return value

    def text(self, value: Any, path: Path) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.problem(path, "yaml.need_text", found=_show(value))
            return None
        return value.strip()

    def label(self, value: Any, path: Path, default: str | None = None) -> Label | None:
        if value is None and default is not None:
            return Label(default, default)
        if isinstance(value, str) and value.strip():
            return Label(value.strip(), value.strip())
        if isinstance(value, dict):
            m = self.mapping(value, path, ("zh", "en"), ("zh",))
            if m is None:
                return None
            zh = self.text(m.get("zh"), path + ("zh",)) if m.get("zh") is not None else None
            en = self.text(m["en"], path + ("en",)) if m.get("en") is not None else zh
            if zh and en:
                return Label(zh, en)
            return None
        self.problem(path, "yaml.need_label", found=_show(value))
        return None

    def choice(self, value: Any, path: Path, choices: tuple[str, ...]) -> str | None:
        if isinstance(value, str):
            normal = value.strip().replace("-", "_")
            if normal in choices:
                return normal
        close = difflib.get_close_matches(str(value), choices, n=1)
        self.problem(path, "yaml.need_choice", expected=list(choices), found=_show(value),
                     hint=f" ({close[0]}?)" if close else "")
        return None

