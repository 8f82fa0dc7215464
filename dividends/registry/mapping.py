"""Column mappings: which column an unusual header means, as a value that can be stored.

A county's form may call the share column 股份数目 or the months served 上岗月份. A mapping
file says so, once, for every village of the county (YAML, UTF-8)::

    股份数目: shares            # for whichever file has this header
    households:                 # or for one kind of file only
      入社股金: capital_yuan
    posts:
      上岗月份: months_served

A target is a column's English name or its Chinese header (``股数``). Mapped headers are read
before the built-in names. :meth:`ColumnMapping.to_dict` gives the plain value to store with a
registry version (or per county); :meth:`ColumnMapping.from_dict` reads it back.

>>> m = ColumnMapping.from_dict({"*": {"股份数目": "shares"}})
>>> m.for_kind("households"), m.for_kind("posts")
({'股份数目': 'shares'}, {})
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dividends.registry import messages as _messages  # noqa: F401  (registers the catalog)
from dividends.registry.columns import (
    HOUSEHOLD_COLUMNS,
    MEMBER_COLUMNS,
    POST_COLUMNS,
    RETURN_COLUMNS,
    ColumnSpec,
    normalize_header,
)
from schemes.i18n import Msg, load_catalog
from schemes.problems import InputError, Problem
from schemes.yamldoc import parse

SPECS: dict[str, tuple[ColumnSpec, ...]] = {
    "households": HOUSEHOLD_COLUMNS,
    "members": MEMBER_COLUMNS,
    "posts": POST_COLUMNS,
    "returns": RETURN_COLUMNS,
}
ANY = "*"
MAX_MAPPING_BYTES = 1 << 20

load_catalog(Path(__file__).parents[1] / "locale", "dividends")


def _target(kind: str | None, text: str) -> str | None:
    """The canonical column that ``text`` names (English name or Chinese header)."""
    key = normalize_header(text)
    kinds = [kind] if kind else list(SPECS)
    for k in kinds:
        for column in SPECS[k]:
            if key in (normalize_header(column.name), normalize_header(column.zh)):
                return column.name
    return None


@dataclass(frozen=True)
class ColumnMapping:
    """``entries``: (kind or ``*``, header as written, canonical column)."""

    entries: tuple[tuple[str, str, str], ...] = ()

    def for_kind(self, kind: str) -> dict[str, str]:
        """Header -> column for the files of ``kind`` (entries for ``*`` included)."""
        names = {c.name for c in SPECS[kind]}
        out: dict[str, str] = {}
        for entry_kind, header, column in self.entries:
            if entry_kind in (ANY, kind) and column in names:
                out[header] = column
        return out

    def to_dict(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for kind, header, column in self.entries:
            out.setdefault(kind, {})[header] = column
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, str]]) -> ColumnMapping:
        return cls(
            tuple((kind, header, column) for kind, items in data.items() for header, column in items.items())
        )

    def merged(self, newer: ColumnMapping | None) -> ColumnMapping:
        """This mapping with ``newer``'s entries added; ``newer`` wins for the same header.

        >>> old = ColumnMapping((("*", "股份数目", "shares"), ("posts", "月份", "months_served")))
        >>> old.merged(ColumnMapping((("*", "股份数目", "capital_yuan"),))).to_dict()
        {'posts': {'月份': 'months_served'}, '*': {'股份数目': 'capital_yuan'}}
        """
        if not newer:
            return self
        replaced = {(kind, header) for kind, header, _ in newer.entries}
        return ColumnMapping(tuple(e for e in self.entries if (e[0], e[1]) not in replaced) + newer.entries)

    def __bool__(self) -> bool:
        return bool(self.entries)


def load_mapping(path: Path, name: str | None = None) -> ColumnMapping:
    """Read a mapping file; every problem (with its line) at once in an :class:`InputError`."""
    file = name or str(path)
    try:
        data = Path(path).read_bytes()[: MAX_MAPPING_BYTES + 1]
    except FileNotFoundError:
        raise InputError([Problem(Msg("registry.file_not_found"), file=file)]) from None
    except OSError as exc:
        raise InputError([Problem(Msg("registry.file_unreadable", reason=exc.strerror or str(exc)), file=file)]) from None
    if len(data) > MAX_MAPPING_BYTES:
        raise InputError([Problem(Msg("mapping.too_large"), file=file)])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError([Problem(Msg("registry.encoding"), file=file)]) from None
    doc = parse(text, file)
    entries: list[tuple[str, str, str]] = []
    root: Any = doc.root if doc.root is not None else {}
    if not isinstance(root, dict):
        doc.problem((), "mapping.not_mapping", found=str(root)[:80])
        root = {}
    for key, value in root.items():
        if key in SPECS and isinstance(value, dict):
            items = [(key, str(h), v, (key, h)) for h, v in value.items()]
        else:
            items = [(ANY, str(key), value, (key,))]
        for kind, header, target, where in items:
            column = _target(None if kind == ANY else kind, str(target)) if isinstance(target, str) else None
            if column is None:
                expected = sorted({c.name for spec in ([SPECS[kind]] if kind in SPECS else SPECS.values()) for c in spec})
                doc.problem(where, "mapping.unknown_column", header=header, target=str(target), expected=expected)
                continue
            entries.append((kind, header, column))
    if doc.problems:
        raise InputError(doc.problems)
    return ColumnMapping(tuple(entries))
