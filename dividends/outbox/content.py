"""What a notice says: the text records of :mod:`notify.texts` filled from a run's rows.

A run gives the words every household of it shares (village, year, what earned the return,
step labels in both languages, the end of the notice period); each household adds its name,
amount, breakdown, account and payment date. All display strings are picked in the household's
language; amounts stay integer fen.

>>> ctx = RunWords(run_id=1, village="青山村", year=2024, deadline=None,
...                project={"zh": "光伏收益", "en": "PV income"},
...                labels={"zh": {"a": "保底", "b": "分红"}, "en": {"a": "guaranteed", "b": "dividend"}},
...                steps=("a", "b"))
>>> ctx.breakdown('{"b": 300, "a": 100, "c": 0}', "en")
(BreakdownItem(label='guaranteed', fen=100), BreakdownItem(label='dividend', fen=300))
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from dividends.clock import CHINA
from dividends.outbox.messages import phrase
from dividends.store import recoveries as recoveries_store
from notify.privacy import scrub
from notify.texts import (
    BreakdownItem,
    Help,
    ObjectionReceived,
    PaymentConfirmation,
    PaymentFailed,
    Publicity,
    Record,
    Statement,
)
from schemes.i18n import LANGS
from schemes.loader import parse_scheme

DEFAULT_ASSET = "asset"


@dataclass(frozen=True)
class RunWords:
    """The parts of every text of one run, in both languages."""

    run_id: int
    village: str
    year: int
    deadline: date | None
    project: Mapping[str, str]
    labels: Mapping[str, Mapping[str, str]]
    steps: tuple[str, ...]
    office_phone: str = ""
    """The village office's published phone (one-way texts give it instead of asking for a reply)."""
    language: str = "zh"
    """The village's document language: the texts of a household without a language of its own."""
    deducted: Mapping[str, int] = field(default_factory=dict)
    """Household -> what the run's deductions step took from its payout (debts recovered)."""
    owed: Mapping[str, int] = field(default_factory=dict)
    """Household -> what it still owes after the run (its debts left, this run counted)."""

    def breakdown(self, raw: str | Mapping[str, Any] | None, lang: str) -> tuple[BreakdownItem, ...]:
        """Non-zero steps of an allocation line's breakdown (step id -> fen), in scheme order."""
        if raw is None:
            return ()
        values: Mapping[str, Any] = json.loads(raw) if isinstance(raw, str) else raw
        return self._items(values, lang)

    def shown(self, raw: str | Mapping[str, Any] | None, lang: str, amount_fen: int,
              household: str) -> dict[str, Any]:
        """The breakdown fields of a text record for a line paying ``amount_fen``: with a
        deduction, the steps before it (``deducted_fen``, and ``owed_fen`` still owed after the
        run: the template's deduction variant); else the line's breakdown when it adds up to the
        amount (a correction pays a difference: no breakdown).

        >>> w = RunWords(run_id=1, village="v", year=2024, deadline=None, project={"zh": "p"},
        ...              labels={"zh": {"a": "分红", "deductions": "扣款"}}, steps=("a",), owed={"H1": 50})
        >>> w.shown('{"a": 500, "deductions": -200}', "zh", 300, "H1")
        {'breakdown': (BreakdownItem(label='分红', fen=500),), 'deducted_fen': 200, 'owed_fen': 50}
        >>> w.shown('{"a": 500, "deductions": -200}', "zh", 100, "H1")["breakdown"]
        ()
        """
        if raw is None:
            return {"breakdown": ()}
        values: Mapping[str, Any] = json.loads(raw) if isinstance(raw, str) else raw
        deducted = -int(values.get(DEDUCTIONS) or 0)
        if deducted > 0:
            before = self._items({k: v for k, v in values.items() if k != DEDUCTIONS}, lang)
            if sum(i.fen for i in before) == amount_fen + deducted:
                return {"breakdown": before, "deducted_fen": deducted, "owed_fen": int(self.owed.get(household, 0))}
        return {"breakdown": with_breakdown(self._items(values, lang), amount_fen)}

    def _items(self, values: Mapping[str, Any], lang: str) -> tuple[BreakdownItem, ...]:
        labels = self.labels.get(lang, {})
        order = list(self.steps) + sorted(k for k in values if k not in self.steps)
        return tuple(BreakdownItem(labels.get(step, step), int(values[step]))
                     for step in order if int(values.get(step) or 0) != 0)

    def header(self, lang: str) -> dict[str, Any]:
        return {"village": self.village, "year": self.year, "project": self.project[lang],
                "office_phone": self.office_phone}


DEDUCTION_LABEL = {"zh": "扣款", "en": "deduction"}
DEDUCTIONS = "deductions"
"""The breakdown key of what a run's deductions took back (negative)."""


async def run_words(run: Any) -> RunWords:
    """Words of ``run`` (a run of :mod:`dividends.runs` with its village, scheme, asset return and
    notice period loaded)."""
    scheme = parse_scheme(run.scheme.text, file=f"scheme {run.scheme.scheme_id} v{run.scheme.version}")
    labels: dict[str, dict[str, str]] = {lang: {step.id: step.label.text(lang) for step in scheme.steps} for lang in LANGS}
    for lang in LANGS:  # what a deductions file took back (a negative item)
        labels[lang].setdefault("deductions", DEDUCTION_LABEL.get(lang, DEDUCTION_LABEL["en"]))
    asset = (run.asset_return.asset or "").strip()
    project: dict[str, str] = {lang: (asset if asset and asset != DEFAULT_ASSET else phrase("outbox.project.default", lang))
               for lang in LANGS}
    deducted = {h: f for (_, h), f in (await recoveries_store.deducted_by_runs([run.id])).items()}
    owed = await recoveries_store.owed_after(run.village_id, [run.id]) if deducted else {}
    return RunWords(run_id=run.id, village=run.village.name or run.village.code, year=run.period,
                    deadline=run.notice_end, project=project, labels=labels,
                    steps=tuple(step.id for step in scheme.steps),
                    office_phone=(getattr(run.village, "contact_phone", "") or "").strip(),
                    language=getattr(run.village, "language", "") or "zh", deducted=deducted, owed=owed)


@dataclass(frozen=True)
class HouseholdRow:
    household_id: str
    head_name: str
    phone: str
    language: str
    account_no: str
    bank: str
    fallback: str = "zh"  # the village's document language (RunWords.language)

    @property
    def lang(self) -> str:
        """The household's own language column, else its village's document language."""
        if self.language in LANGS:
            return self.language
        return self.fallback if self.fallback in LANGS else "zh"


def with_breakdown(items: tuple[BreakdownItem, ...], amount_fen: int) -> tuple[BreakdownItem, ...]:
    """The breakdown when it adds up to ``amount_fen`` (a correction pays a difference), else none."""
    return items if sum(i.fen for i in items) == amount_fen else ()


def channel(row: HouseholdRow) -> str:
    return row.bank.strip() or phrase("outbox.channel.default", row.lang)


def china_date(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


def publicity(words: RunWords, row: HouseholdRow, amount_fen: int, breakdown: str | None) -> Publicity:
    assert words.deadline is not None
    lang = row.lang
    return Publicity(**words.header(lang), household=row.head_name, amount_fen=amount_fen,
                     **words.shown(breakdown, lang, amount_fen, row.household_id), deadline=words.deadline)


def payment_confirmation(words: RunWords, row: HouseholdRow, amount_fen: int, breakdown: str | None,
                         paid_on: date) -> PaymentConfirmation:
    lang = row.lang
    return PaymentConfirmation(**words.header(lang), household=row.head_name, amount_fen=amount_fen,
                               **words.shown(breakdown, lang, amount_fen, row.household_id),
                               paid_on=paid_on, channel=channel(row), account=row.account_no)


def payment_failed(words: RunWords, row: HouseholdRow, amount_fen: int, reason: str) -> PaymentFailed:
    lang = row.lang
    shown = scrub(reason.strip()) if reason.strip() else phrase("outbox.reason.default", lang)
    return PaymentFailed(**words.header(lang), household=row.head_name, amount_fen=amount_fen,
                         channel=channel(row), account=row.account_no, reason=shown)


def statement(words: RunWords, row: HouseholdRow, *, state: str, amount_fen: int, breakdown: str | None,
              paid_on: date | None, failed: bool) -> Statement:
    """The answer to 查询 for the household's latest run (``state`` is the run's)."""
    lang = row.lang
    common: dict[str, Any] = {**words.header(lang), "household": row.head_name, "amount_fen": amount_fen,
                              **words.shown(breakdown, lang, amount_fen, row.household_id)}
    if state == "publicized":
        return Statement(**common, status="publicity", deadline=words.deadline)
    if paid_on is not None:
        return Statement(**common, status="paid", paid_on=paid_on, channel=channel(row), account=row.account_no)
    return Statement(**common, status="failed" if failed else "approved")


def help_text(village: str) -> Help:
    return Help(village=village)


def objection_received(village: str) -> ObjectionReceived:
    return ObjectionReceived(village=village)


__all__ = [
    "HouseholdRow",
    "Record",
    "RunWords",
    "china_date",
    "help_text",
    "objection_received",
    "payment_confirmation",
    "payment_failed",
    "publicity",
    "run_words",
    "statement",
]
