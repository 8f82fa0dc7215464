"""The status vocabulary: the words county forms use for a household's status, as data.

The shipped file (``data/statuses.yaml``) maps the categories of current forms to the four
statuses of :mod:`schemes.statuses` (脱贫不稳定户 / 边缘易致贫户 / 突发严重困难户 -> monitored,
已脱贫户 -> exited, ...). A county adds words with a file of the same shape; words that need a
decision (低保户, 五保户/特困: social-assistance categories, not poverty statuses) are refused
with a message that says how to map them, until the county's file maps them.

>>> vocabulary = Vocabulary.shipped()
>>> vocabulary.words["边缘易致贫户"], vocabulary.words["已脱贫户"], "低保户" in vocabulary.decide
('monitored', 'exited', True)
"""
from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from dividends.registry import messages as _messages  # noqa: F401  (registers the catalog)
from schemes.i18n import Msg
from schemes.problems import InputError, Problem
from schemes.statuses import STATUS_NAMES
from schemes.yamldoc import parse
from schemes.yamlread import DocumentReader

SHIPPED = Path(__file__).with_name("data") / "statuses.yaml"


def normalize_word(text: str) -> str:
    """No spaces (full-width ones too), lower case: ``" 脱贫 户 "`` -> ``脱贫户``."""
    return re.sub(r"[\s\u3000]+", "", text).lower()


@dataclass(frozen=True)
class Vocabulary:
    """``words``: normalised word -> status; ``decide``: word -> what kind of category it is."""

    words: Mapping[str, str]
    decide: Mapping[str, str]

    @classmethod
    def shipped(cls) -> Vocabulary:
        return _shipped()

    def extended(self, path: Path, name: str | None = None) -> Vocabulary:
        """This vocabulary with a county's file added (its words win over ``decide``)."""
        extra = _read(path, name or str(path))
        words = {**self.words, **extra.words}
        decide = {k: v for k, v in {**self.decide, **extra.decide}.items() if k not in extra.words}
        return Vocabulary(words, decide)

    def parse(self, text: pl.Expr) -> pl.Expr:
        """Status cells -> the four statuses (null for a word not in the vocabulary)."""
        return normalize_word_expr(text).replace_strict(
            dict(self.words), default=None, return_dtype=pl.String
        )

    def needs_decision(self, text: pl.Expr) -> pl.Expr:
        """True for cells holding a word of the ``decide`` list."""
        return normalize_word_expr(text).is_in(list(self.decide))

    def listing(self) -> dict[str, list[str]]:
        """Status -> its words (for messages and the README)."""
        out: dict[str, list[str]] = {s: [] for s in STATUS_NAMES}
        for word, status in self.words.items():
            out[status].append(word)
        return out


def normalize_word_expr(text: pl.Expr) -> pl.Expr:
    return text.str.replace_all(r"[\s\u3000]+", "").str.to_lowercase()


@functools.cache
def _shipped() -> Vocabulary:
    return _read(SHIPPED, SHIPPED.name)


def _read(path: Path, name: str) -> Vocabulary:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise InputError([Problem(Msg("registry.file_unreadable", reason=reason), file=name)]) from None
    doc = parse(text, name)
    reader = DocumentReader(doc)
    words: dict[str, str] = {}
    decide: dict[str, str] = {}
    root = reader.mapping(doc.root if doc.root is not None else {}, (), ("statuses", "decide"))
    if root is not None:
        statuses = root.get("statuses") or {}
        checked = reader.mapping(statuses, ("statuses",), STATUS_NAMES)
        for status, items in (checked or {}).items():
            if status not in STATUS_NAMES:
                continue
            values = items if isinstance(items, list) else [items]
            for i, word in enumerate(values):
                value = reader.text(word, ("statuses", status, i))
                if value is not None:
                    words[normalize_word(value)] = status
        for word, what in (root.get("decide") or {}).items() if isinstance(root.get("decide"), dict) else ():
            decide[normalize_word(str(word))] = str(what or word)
    if doc.problems:
        raise InputError(doc.problems)
    return Vocabulary(words, decide)
