"""Problems found in user input, with where they are and what was expected.

Validation code collects :class:`Problem` values and returns them (it does not raise on the
first one), so a user sees every problem in one pass. :class:`InputError` carries them to the
edge (CLI, web), which renders them in the user's language.
"""
from __future__ import annotations

from pathlib import Path

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from schemes.i18n import Msg, current_language, load_catalog

load_catalog(Path(__file__).with_name("locale"), "schemes")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, and where.

    ``row`` is the row number a spreadsheet shows (the header is row 1); ``line`` is a text
    line (YAML); ``key`` is a dotted key path such as ``steps[2].percent``.
    """

    msg: Msg
    file: str | None = None
    line: int | None = None
    row: int | None = None
    column: str | None = None
    key: str | None = None

    def where(self, lang: str | None = None) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(Msg("loc.file", file=self.file).text(lang))
        if self.line is not None:
            parts.append(Msg("loc.line", line=self.line).text(lang))
        if self.row is not None:
            parts.append(Msg("loc.row", row=self.row).text(lang))
        if self.column:
            parts.append(Msg("loc.column", column=self.column).text(lang))
        if self.key:
            parts.append(Msg("loc.key", key=self.key).text(lang))
        sep = "，" if current_language(lang) == "zh" else ", "
        return sep.join(parts)

    def text(self, lang: str | None = None) -> str:
        where = self.where(lang)
        what = self.msg.text(lang)
        return f"{where}: {what}" if where else what

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file or "", self.line or 0, self.row or 0, self.column or "", self.key or "")


class InputError(Exception):
    """Bad input: one or more problems, none of which may be ignored silently."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("InputError needs at least one problem")
        super().__init__(self.text("en"))

    def text(self, lang: str | None = None, limit: int = 200) -> str:
        return render_problems(self.problems, lang, limit)


def render_problems(problems: Sequence[Problem], lang: str | None = None, limit: int = 200) -> str:
    lines = [Msg("problems.header", count=len(problems)).text(lang)]
    lines += ["  - " + p.text(lang) for p in problems[:limit]]
    if len(problems) > limit:
        lines.append("  " + Msg("problems.more", count=len(problems) - limit).text(lang))
    return "\n".join(lines)
