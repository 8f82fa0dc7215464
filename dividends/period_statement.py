"""A household's period across its runs (issue 10, item 5: several assets, one household).

A village may pay a period's returns in several runs (a PV station, a tourism cooperative...).
The period statement is one text per (period, household) over all the village's runs of that
period whose amounts households have been told (publicized or later, regular and correction):
the total and one item per run, named by its asset (``光伏收益1,234.50元，乡村旅游1,000.00元``).
It is the ``period_statement`` kind of :mod:`notify.texts`, filled through the provider
templates (``period_statement`` / ``period_statement_oneway`` in ``notify/catalog.yaml``, each
registered with Aliyun and Tencent Cloud like the other kinds): parameters checked for the
channel, segments counted as the provider counts them.

When runs are paid together, :func:`combined_rows` gives the combined notice: one line per
household, a column per run and the total.

Rules:

- a household none of whose runs pays it anything (every line 0) gets no statement, unless a run
  took a debt from its payout;
- a run's deductions (debts recovered from the payout) add up over the period: each run's item
  is its payout before the deduction, the text says what was deducted in all, what is paid and
  what is still owed after the period's runs (the ``_deduction`` / ``_deduction_owed`` variants);
- a household's name, phone, language and account come from the newest run's registry snapshot
  that lists it;
- a correction run's lines count as they are (a cancelled or reversed run does not count).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dividends.outbox import content
from dividends.outbox.messages import phrase
from dividends.store import period as store
from dividends.store import recoveries as recoveries_store
from notify.catalog import Channel, TemplateError
from notify.texts import DEFAULT_CHANNEL, BreakdownItem, PeriodStatement, RenderedText, render
from schemes.i18n import LANGS, register

register({
    "outbox.project.period": {"zh": "各项收益", "en": "all returns"},
})

KIND = "period_statement"


@dataclass(frozen=True)
class PeriodLine:
    """One household's period: what each run paid it (run id -> fen, runs in order)."""

    period: int
    row: content.HouseholdRow
    paid: tuple[tuple[int, int], ...]
    deducted: tuple[tuple[int, int], ...] = ()
    """What each run took from the household's payout for its debts (run id -> fen)."""
    owed_fen: int = 0
    """What the household still owes once every run of the statement counts."""

    @property
    def key(self) -> tuple[int, str]:
        """What a period statement is keyed by: (period, household), not a run."""
        return (self.period, self.row.household_id)

    @property
    def total_fen(self) -> int:
        return sum(f for _, f in self.paid)

    @property
    def deducted_fen(self) -> int:
        return sum(f for _, f in self.deducted)

    def before_deductions(self) -> tuple[tuple[int, int], ...]:
        """Each run's payout before its deduction (run id -> fen), runs that paid or took something."""
        paid, taken = dict(self.paid), dict(self.deducted)
        return tuple((r, paid.get(r, 0) + taken.get(r, 0)) for r in sorted(paid.keys() | taken.keys())
                     if paid.get(r, 0) + taken.get(r, 0))


@dataclass(frozen=True)
class Period:
    village: str
    period: int
    runs: tuple[Any, ...]
    words: dict[int, content.RunWords]
    lines: tuple[PeriodLine, ...]

    def project(self, run_id: int, lang: str) -> str:
        return self.words[run_id].project[lang]


async def period_of(village_code: str, period: int, run_ids: Sequence[int] | None = None) -> Period:
    """The village's told runs of ``period`` (or ``run_ids`` among them) and each household's line."""
    runs = await store.told_runs(village_code, period, run_ids)
    words = {r.id: await content.run_words(r) for r in runs}
    paid: dict[str, dict[int, int]] = {}
    for run_id, household, fen in await store.household_amounts([r.id for r in runs]):
        mine = paid.setdefault(household, {})
        mine[run_id] = mine.get(run_id, 0) + fen
    deducted: dict[str, dict[int, int]] = {}
    for (run_id, household), fen in (await recoveries_store.deducted_by_runs([r.id for r in runs])).items():
        deducted.setdefault(household, {})[run_id] = fen
    owed = await recoveries_store.owed_after(runs[0].village_id, [r.id for r in runs]) if deducted else {}
    wanted = sorted(h for h, by_run in paid.items() if any(by_run.values()) or deducted.get(h))
    rows: dict[str, content.HouseholdRow] = {}
    for run in reversed(runs):  # newest snapshot first
        missing = [h for h in wanted if h not in rows]
        if not missing:
            break
        for r in await store.households_of(run.snapshot.id, missing):
            rows[r[0]] = content.HouseholdRow(*r)
    order = [r.id for r in runs]
    lines = tuple(PeriodLine(period, rows[h], tuple((i, paid[h][i]) for i in order if paid[h].get(i)),
                             tuple((i, deducted[h][i]) for i in order if deducted.get(h, {}).get(i)), owed.get(h, 0))
                  for h in wanted if h in rows)
    name = runs[-1].village.name or village_code if runs else village_code
    return Period(name, period, tuple(runs), words, lines)


def record(p: Period, line: PeriodLine) -> PeriodStatement:
    """The household's period statement in its language."""
    lang = line.row.lang
    items = line.before_deductions()
    head = p.words[items[0][0]].header(lang)
    return PeriodStatement(**{**head, "project": phrase("outbox.project.period", lang)}, household=line.row.head_name,
                           amount_fen=line.total_fen, deducted_fen=line.deducted_fen, owed_fen=line.owed_fen,
                           breakdown=tuple(BreakdownItem(p.project(run_id, lang), fen) for run_id, fen in items))


@dataclass(frozen=True)
class Statement:
    key: tuple[int, str]
    phone: str
    text: RenderedText | None
    error: str = ""


def statements(p: Period, channel: Channel = DEFAULT_CHANNEL, max_segments: int = 3) -> list[Statement]:
    """Every household's period statement rendered for ``channel`` (a text that cannot be
    rendered for it carries the reason instead)."""
    out: list[Statement] = []
    for line in p.lines:
        try:
            text = render(KIND, line.row.lang, record(p, line), channel=channel, max_segments=max_segments)
        except (TemplateError, TypeError, ValueError) as exc:
            out.append(Statement(line.key, line.row.phone, None, str(exc)))
            continue
        out.append(Statement(line.key, line.row.phone, text))
    return out


def combined_rows(p: Period, lang: str = "zh") -> tuple[list[str], list[list[object]]]:
    """The combined notice of runs paid together: a header (household, name, one column per
    run named by its asset and number, total) and one row per household (fen)."""
    assert lang in LANGS
    header = ["household_id", "head_name", *(f"{p.project(r.id, lang)} #{r.id}" for r in p.runs), "total_fen"]
    rows: list[list[object]] = []
    for line in p.lines:
        paid = dict(line.paid)
        rows.append([line.row.household_id, line.row.head_name, *(paid.get(r.id, 0) for r in p.runs), line.total_fen])
    return header, rows
