"""Plain-language description of a scheme, step by step, for review by a county officer.

Used by ``dividends schemes show``, the web app's scheme preview and its version diff. Each
step becomes one sentence in the reader's language, with the source notes of its numbers.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from schemes.filters import All, AnyOf, Compare, Filter, Flag, HasMember, IsIn, Not
from schemes.i18n import Msg, current_language, load_catalog
from schemes.model import (
    EXTRA_COLUMNS, POOL, REMAINING, Basis, Cap, CarveOut, ClaimGroup, MinimumGuarantee, PerUnit, PostSubsidy, ProRata, Rate, Remainder,
    Scheme, ShareClasses, Shortfall, Take, Weight,
)
from schemes.money import format_percent, format_yuan
from schemes.statuses import LABELS

load_catalog(Path(__file__).with_name("locale"), "schemes")

_UNITS = {
    "household": ("户", "household"), "person": ("人", "person"), "able_person": ("有劳动能力的人", "person able to work"),
    "unable_person": ("无劳动能力的人", "person unable to work"), "share": ("股", "share"), "capital": ("元入股金额", "yuan of capital"),
    "post": ("个岗位", "post"), "persons": ("符合条件的人", "matching person"),
}
_WEIGHTS = {
    "household": ("户数", "households"), "person": ("人数", "members"), "able_person": ("有劳动能力人数", "members able to work"),
    "unable_person": ("无劳动能力人数", "members unable to work"), "share": ("股数", "shares"), "capital": ("入股金额", "capital"),
    "post": ("岗位数", "posts"),
}
_FIELDS = {
    "status": ("户类别", "status"), "village_id": ("村", "village"), "household_id": ("户", "household"),
    "members": ("人口数", "members"), "able_members": ("有劳动能力人数", "members able to work"),
    "unable_members": ("无劳动能力人数", "members unable to work"), "shares": ("股数", "shares"),
    "capital_fen": ("入股金额", "capital"), "post_count": ("岗位数", "posts"), "age": ("年龄", "age"),
    "able_to_work": ("有劳动能力", "able to work"), "student": ("在校学生", "student"),
    "post_type": ("岗位类型", "post type"), "grade": ("等级", "grade"), "months_served": ("服务月数", "months served"),
}
_STATUS = LABELS
_OPS = {"eq": ("=", "="), "ne": ("≠", "≠"), "gt": (">", ">"), "gte": ("≥", "≥"), "lt": ("<", "<"), "lte": ("≤", "≤")}


@dataclass(frozen=True)
class StepDescription:
    index: int
    id: str
    kind: str
    label: str
    sentence: str
    sources: tuple[tuple[str, str], ...]  # (key path, source note)


def describe(scheme: Scheme, lang: str | None = None) -> list[StepDescription]:
    lang = current_language(lang)
    d = _Describer(scheme, lang)
    out = []
    for i, step in enumerate(scheme.steps):
        prefix = (step.key or f"steps[{i}]") + "."
        sources = tuple((k, v) for k, v in scheme.notes.items() if k.startswith(prefix))
        out.append(StepDescription(i + 1, step.id, step.kind, step.label.text(lang), d.step(step), sources))
    return out


def column_labels(scheme: Scheme, lang: str | None = None) -> dict[str, str]:
    """Every fen column a computation may have (the steps, ``brought_forward``, ``deductions``)
    -> its label in ``lang``: for tables, notices and SMS breakdowns.

    >>> from schemes.presets import load_preset
    >>> column_labels(load_preset("golden-chicken"), "zh")["deductions"]
    '扣款'
    """
    lang = current_language(lang)
    labels = {s.id: s.label.text(lang) for s in scheme.steps}
    labels.update({c: Msg(f"d.column.{c}").text(lang) for c in EXTRA_COLUMNS})
    return labels


def describe_rules(scheme: Scheme, lang: str | None = None) -> list[str]:
    """The scheme's rules outside its steps, one sentence each: money brought forward (when the
    scheme says where it goes) and deductions (when it names a protected minimum or creditors).

    >>> from schemes.presets import load_preset
    >>> describe_rules(load_preset("golden-chicken"), "en")
    ['money brought forward from the last period joins the distributable amount (its own line)']
    """
    lang = current_language(lang)
    d = _Describer(scheme, lang)
    out = []
    if scheme.brought_forward_to == POOL:
        out.append(d.t("d.brought_forward.pool"))
    else:
        out.append(d.t("d.brought_forward.account", to=d.account(scheme.brought_forward_to)))
    rule = scheme.deductions
    if rule.protected is not None or rule.creditors:
        creditors = ", ".join(d.account(c) for c in rule.creditors) if rule.creditors else d.t("d.any_account")
        protected = (d.t("d.deductions.protected", floor=d.rate(rule.protected)) if rule.protected is not None
                     else d.t("d.deductions.unprotected"))
        out.append(d.t("d.deductions", creditors=creditors, protected=protected))
    return out


class _Describer:
    def __init__(self, scheme: Scheme, lang: str) -> None:
        self.scheme = scheme
        self.lang = lang
        self.zh = lang == "zh"

    def t(self, key: str, **params: object) -> str:
        return Msg(key, **params).text(self.lang)

    def pick(self, pair: tuple[str, str]) -> str:
        return pair[0] if self.zh else pair[1]

    def account(self, name: str) -> str:
        if name == REMAINING:
            return self.t("d.remaining")
        return self.scheme.accounts[name].label.text(self.lang)

    def step(self, s: object) -> str:
        text = self._step(s)
        if isinstance(s, PerUnit) and s.prorate is not None:
            text = text.replace(self.shortfall(s.shortfall), "") + self.t("d.prorate", effect=self.t(f"d.effect.{s.prorate.effect}"))
            text += self.shortfall(s.shortfall)
        group = getattr(s, "group", None)
        if group is not None:
            shortfall = self.shortfall(s.shortfall)  # type: ignore[attr-defined]
            if shortfall and text.endswith(shortfall):
                text = text[: -len(shortfall)]
            text += self.group(self.scheme.groups[group], s.id)  # type: ignore[attr-defined]
        return text

    def group(self, g: ClaimGroup, step_id: str) -> str:
        label = {c: self.scheme.step(c).label.text(self.lang) for c in g.claims}
        joiner = "、" if self.zh else ", "
        others = joiner.join(f"“{label[c]}”" if self.zh else f"'{label[c]}'" for c in g.claims if c != step_id)
        order = (" → ").join(joiner.join(label[c] for c in level) for level in g.levels)
        return self.t(f"d.group.{g.policy}", others=others, group=g.label.text(self.lang), order=order)

    def _step(self, s: object) -> str:
        if isinstance(s, CarveOut):
            return self.t("d.carve_out", take=self.take(s.take), to=self.account(s.to)) + self.shortfall(s.shortfall)
        if isinstance(s, PerUnit):
            return self.t("d.per_unit", who=self.who(s.eligible), rate=self.rate(s.rate)) + self.shortfall(s.shortfall)
        if isinstance(s, ProRata):
            return self.t("d.pro_rata", take=self.take(s.take), who=self.who(s.eligible), weight=self.weight(s.weight)) + self.shortfall(s.shortfall)
        if isinstance(s, ShareClasses):
            parts = []
            for c in s.classes:
                label, pct = c.label.text(self.lang), format_percent(c.percent)
                if c.to:
                    parts.append(self.t("d.class.account", label=label, percent=pct, to=self.account(c.to)))
                else:
                    assert c.weight is not None
                    parts.append(self.t("d.class.split", label=label, percent=pct, who=self.who(c.eligible), weight=self.weight(c.weight)))
            sep = "；" if self.zh else "; "
            return self.t("d.share_classes", take=self.take(s.take), count=len(s.classes), classes=sep.join(parts)) + self.shortfall(s.shortfall)
        if isinstance(s, PostSubsidy):
            grades = self.grades(s.grades)
            return self.t("d.post_subsidy", who=self.who(s.eligible), grades=grades) + self.shortfall(s.shortfall)
        if isinstance(s, MinimumGuarantee):
            return self.t("d.guarantee", who=self.who(s.eligible), floor=self.rate(s.floor), counts=self.counts(s.counts),
                          sources=", ".join(self.account(x) for x in s.funded_by)) + self.shortfall(s.shortfall)
        if isinstance(s, Cap):
            return self.t("d.cap", who=self.who(s.eligible), limit=self.rate(s.limit), counts=self.counts(s.counts)
                          + (self.t("d.cap.period") if s.over == "period" else ""), to=self.account(s.excess_to))
        assert isinstance(s, Remainder)
        return self.t("d.remainder", to=self.account(s.to))

    def counts(self, counts: tuple[str, ...] | None) -> str:
        if not counts:
            return ""
        return self.t("d.counts", steps=", ".join(self.scheme.step(c).label.text(self.lang) for c in counts))

    def take(self, take: Take) -> str:
        if take.amount_fen is not None:
            return self.t("d.take.amount", amount=format_yuan(take.amount_fen))
        assert take.percent is not None
        return self.t("d.take.pool" if take.of == "pool" else "d.take.remaining", percent=format_percent(take.percent))

    def unit(self, basis: Basis) -> str:
        text = self.pick(_UNITS[basis.kind])
        if basis.kind == "persons" and basis.persons is not None:
            text += f" ({self.filter(basis.persons)})"
        return text

    def rate(self, rate: Rate) -> str:
        if rate.percent is not None:
            return self.t("d.rate.percent", percent=format_percent(rate.percent))
        assert rate.amount_fen is not None
        return self.t("d.rate.amount", amount=format_yuan(rate.amount_fen), unit=self.unit(rate.basis))

    def weight(self, w: Weight) -> str:
        if w.basis.kind == "persons" and w.basis.persons is not None:
            text = self.t("d.weight.persons", filter=self.filter(w.basis.persons))
        else:
            text = self.pick(_WEIGHTS[w.basis.kind])
        if w.bonus:
            text += self.t("d.weight.bonus", bonus=self.by_status(w.bonus))
        if w.multiplier:
            text += self.t("d.weight.multiplier", multiplier=self.by_status(w.multiplier))
        return text

    def by_status(self, values: dict[str, Fraction] | object) -> str:
        items = values.items()  # type: ignore[attr-defined]
        return ("、" if self.zh else ", ").join(f"{self.pick(_STATUS[k])} {_decimal(v)}" for k, v in items if v)

    def grades(self, grades: Mapping[str, int]) -> str:
        """A post subsidy's yearly amount per grade as a villager reads it on the notice:
        ``1 级 360.00 元、2 级 560.00 元`` / ``grade 1: 360.00 yuan, grade 2: 560.00 yuan`` (a grade
        named in words keeps its name: ``保洁 360.00 元``)."""
        numbered = {g: re.fullmatch(r"[0-9]+", g) is not None for g in grades}
        if self.zh:
            return "、".join(f"{g} 级 {format_yuan(f)} 元" if numbered[g] else f"{g} {format_yuan(f)} 元"
                            for g, f in grades.items())
        return ", ".join(f"grade {g}: {format_yuan(f)} yuan" if numbered[g] else f"{g}: {format_yuan(f)} yuan"
                         for g, f in grades.items())

    def shortfall(self, s: Shortfall) -> str:
        if s.policy == "priority":
            return self.t("d.shortfall.priority", groups=", ".join(self.filter(f) for f in s.priority))
        return self.t(f"d.shortfall.{s.policy}")

    def who(self, f: Filter | None) -> str:
        return self.t("d.who.all") if f is None else self.t("d.who.filter", filter=self.filter(f))

    def filter(self, f: Filter) -> str:
        if isinstance(f, All):
            return self.t("d.and").join(self.filter(i) for i in f.items)
        if isinstance(f, AnyOf):
            return "(" + self.t("d.or").join(self.filter(i) for i in f.items) + ")"
        if isinstance(f, Not):
            return self.t("d.not", inner=self.filter(f.item))
        if isinstance(f, HasMember):
            return self.t("d.has_member", inner=self.filter(f.persons))
        field = self.pick(_FIELDS.get(f.field, (f.field, f.field)))
        if isinstance(f, IsIn):
            values = [self.pick(_STATUS[v]) if v in _STATUS else v for v in f.values]
            joiner = "、" if self.zh else " or "
            return self.t("d.not_in" if f.negate else "d.in", field=field, values=joiner.join(values))
        if isinstance(f, Flag):
            return self.t("d.flag.true" if f.value else "d.flag.false", field=field)
        assert isinstance(f, Compare)
        value = format_yuan(f.value) if f.field == "capital_fen" else str(f.value)
        return self.t("d.compare", field=field, op=self.pick(_OPS[f.op]), value=value)


def _decimal(value: Fraction) -> str:
    return format_percent(value / 100).rstrip("%")
