"""What a registry's files lacked, kept so that a scheme's needs can be checked later.

A registry version records, per file kind, which files were given, which optional columns were
absent (their values are defaults, not data: a missing 股数 column reads as 0 shares) and the
headers nothing recognised, with the columns they may have meant. The facts are a plain value
(:meth:`RegistryFacts.to_dict` / :meth:`RegistryFacts.from_dict`) that the store keeps with the
registry version, so that ``run create`` can check a scheme against a stored version as
``compute`` does against files.

>>> facts = RegistryFacts(kinds=("households",), absent={"households": ("shares",)})
>>> RegistryFacts.from_dict(facts.to_dict()) == facts
True
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dividends.registry.reading import Table


@dataclass(frozen=True)
class RegistryFacts:
    """``kinds``: the files read (households, members, posts); ``absent``: kind -> optional
    columns the file lacked; ``unknown``: kind -> its unrecognised headers as shown to a user
    (with suggestions: ``股份数目 (→ 股数 shares?)``)."""

    kinds: tuple[str, ...] = ()
    absent: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unknown: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    files: Mapping[str, str] = field(default_factory=dict)
    kept: Mapping[str, int] = field(default_factory=dict)  # kind -> the version its roster was kept from

    @classmethod
    def of(cls, tables: Mapping[str, Table]) -> RegistryFacts:
        return cls(
            kinds=tuple(tables),
            absent={k: t.absent for k, t in tables.items() if t.absent},
            unknown={k: t.unknown_text() for k, t in tables.items() if t.unknown},
            files={k: t.file for k, t in tables.items()},
        )

    def keeping(self, kind: str, previous: RegistryFacts, version: int) -> RegistryFacts:
        """These facts with the roster of ``kind`` kept from ``previous`` (version ``version``):
        what that roster's own file lacked still holds."""
        def pick(mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> dict[str, Any]:
            out = {k: v for k, v in mine.items() if k != kind}
            if kind in theirs:
                out[kind] = theirs[kind]
            return out
        return RegistryFacts(
            kinds=tuple(dict.fromkeys((*self.kinds, kind))),
            absent=pick(self.absent, previous.absent), unknown=pick(self.unknown, previous.unknown),
            files=pick(self.files, previous.files), kept={**self.kept, kind: version},
        )

    def lacks(self, kind: str, column: str) -> bool:
        """True when the file of ``kind`` was read without ``column`` (or was not given)."""
        return kind not in self.kinds or column in self.absent.get(kind, ())

    def to_dict(self) -> dict[str, Any]:
        return {
            "kinds": list(self.kinds),
            "absent": {k: list(v) for k, v in sorted(self.absent.items())},
            "unknown": {k: list(v) for k, v in sorted(self.unknown.items())},
            "files": dict(sorted(self.files.items())),
            "kept": dict(sorted(self.kept.items())),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RegistryFacts:
        return cls(
            kinds=tuple(data.get("kinds", ())),
            absent={k: tuple(v) for k, v in dict(data.get("absent", {})).items()},
            unknown={k: tuple(v) for k, v in dict(data.get("unknown", {})).items()},
            files=dict(data.get("files", {})),
            kept={k: int(v) for k, v in dict(data.get("kept", {})).items()},
        )
