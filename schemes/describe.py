"""Plain-language description of a scheme, step by step, for review by a county officer.

Used by ``dividends schemes show``, the web app's scheme preview and its version diff. Each
step becomes one sentence in the reader's language, with the source notes of its numbers.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from schemes.filters import All, AnyOf, Compare, Filter, Flag, HasMember, IsIn, Not
from schemes.i18n import Msg, current_language, register
from schemes.model import (
    EXTRA_COLUMNS, POOL, REMAINING, Basis, Cap, CarveOut, ClaimGroup, MinimumGuarantee, PerUnit, PostSubsidy, ProRata, Rate, Remainder,
    Scheme, ShareClasses, Shortfall, Take, Weight,
)
from schemes.money import format_percent, format_yuan
from schemes.statuses import LABELS

register({
    "d.take.amount": {"zh": "{amount} 元", "en": "{amount} yuan"},
    "d.take.pool": {"zh": "可分配金额的 {percent}", "en": "{percent} of the distributable amount"},
    "d.take.remaining": {"zh": "剩余金额的 {percent}", "en": "{percent} of what remains"},
    "d.carve_out": {"zh": "{take} 记入账户“{to}”", "en": "{take} to the account '{to}'"},
    "d.per_unit": {"zh": "向{who}按{rate}支付", "en": "pay {rate} to {who}"},
    "d.pro_rata": {"zh": "{take} 在{who}之间按{weight}分配", "en": "split {take} among {who} by {weight}"},
    "d.share_classes": {"zh": "{take} 分为 {count} 类股份：{classes}", "en": "cut {take} into {count} share classes: {classes}"},
    "d.class.account": {"zh": "{label} {percent} 留给“{to}”", "en": "{label} {percent} kept by '{to}'"},
    "d.class.split": {"zh": "{label} {percent} 在{who}之间按{weight}分配", "en": "{label} {percent} split among {who} by {weight}"},
    "d.post_subsidy": {"zh": "向{who}支付公益岗位补贴：等级年补贴 {grades}，按服务月数/12 折算",
                       "en": "pay {who} public-welfare post subsidies: yearly {grades} by grade, times months served / 12"},
    "d.guarantee": {"zh": "保证{who}所得不低于{floor}{counts}，不足部分依次从 {sources} 补足",
                    "en": "guarantee {who} at least {floor}{counts}, topped up from {sources} in that order"},
    "d.counts": {"zh": "（计入：{steps}）", "en": " (counting {steps})"},
    "d.cap": {"zh": "{who}所得以{limit}为上限{counts}，超出部分记入 {to}", "en": "cap {who} at {limit}{counts}; the excess goes to {to}"},
    "d.remainder": {"zh": "余下全部记入账户“{to}”", "en": "everything left to the account '{to}'"},
    "d.group.pro_rate": {"zh": "；与{others}同属“{group}”：资金不足时各项按同一比例削减（可得金额 ÷ 各项合计，精确到分）",
                         "en": "; settled together with {others} as '{group}': if short, every claim is cut by the same exact factor (what is available divided by all the claims)"},
    "d.group.priority": {"zh": "；与{others}同属“{group}”：资金不足时按顺序兑现：{order}（同一层按比例削减）",
                         "en": "; settled together with {others} as '{group}': if short, paid in the order {order} (claims of one level cut pro rata)"},
    "d.group.refuse": {"zh": "；与{others}同属“{group}”：资金不足以兑现全部各项时拒绝计算",
                       "en": "; settled together with {others} as '{group}': if they cannot all be paid, refuse to compute"},
    "d.prorate": {"zh": "，按当年符合条件的月数折算（变动{effect}起生效）",
                  "en": ", for the months of the year each unit was eligible (changes take effect {effect})"},
    "d.effect.next_month": {"zh": "次月", "en": "from the month after"},
    "d.effect.same_month": {"zh": "当月", "en": "in their own month"},
    "d.cap.period": {"zh": "（按本年度各批次合计，含此前各批次已付）", "en": " (over the household's total for the period, earlier runs included)"},
    "d.brought_forward.pool": {"zh": "上期结转的金额并入本期可分配金额（单列一行）",
                               "en": "money brought forward from the last period joins the distributable amount (its own line)"},
    "d.brought_forward.account": {"zh": "上期结转的金额全部记入账户“{to}”",
                                  "en": "money brought forward from the last period goes whole to the account '{to}'"},
    "d.deductions": {"zh": "扣款（欠款、多付追回）在分配后从农户所得中扣回，记入{creditors}；{protected}；扣不完的结转到下次",
                     "en": "deductions (debts, overpayments to recover) are taken from a household's total after the split and go to {creditors}; {protected}; what cannot be recovered is carried forward"},
    "d.deductions.protected": {"zh": "每户至少保留{floor}", "en": "each household keeps at least {floor}"},
    "d.deductions.unprotected": {"zh": "扣至零为止", "en": "never below zero"},
    "d.column.brought_forward": {"zh": "上期结转", "en": "brought forward"},
    "d.column.deductions": {"zh": "扣款", "en": "deductions"},
    "d.any_account": {"zh": "任一账户", "en": "any of the scheme's accounts"},
    "d.remaining": {"zh": "剩余金额", "en": "what remains"},
    "d.rate.amount": {"zh": "每{unit} {amount} 元", "en": "{amount} yuan per {unit}"},
    "d.rate.percent": {"zh": "入股金额的 {percent}", "en": "{percent} of capital"},
    "d.weight.persons": {"zh": "符合（{filter}）的人数", "en": "members with {filter}"},
    "d.weight.bonus": {"zh": "（加送：{bonus}）", "en": " (extra: {bonus})"},
    "d.weight.multiplier": {"zh": "（系数：{multiplier}）", "en": " (weights: {multiplier})"},
    "d.shortfall.pro_rate": {"zh": "；资金不足时按比例削减", "en": "; if short, cut pro rata"},
    "d.shortfall.refuse": {"zh": "；资金不足时拒绝计算", "en": "; if short, refuse to compute"},
    "d.shortfall.priority": {"zh": "；资金不足时按顺序优先：{groups}，其余最后", "en": "; if short, pay in order: {groups}, then the rest"},
    "d.who.all": {"zh": "所有农户", "en": "every household"},
    "d.who.filter": {"zh": "{filter}的农户", "en": "households where {filter}"},
    "d.and": {"zh": "且", "en": " and "},
    "d.or": {"zh": "或", "en": " or "},
    "d.not": {"zh": "非（{inner}）", "en": "not ({inner})"},
    "d.in": {"zh": "{field}为{values}", "en": "{field} is {values}"},
    "d.not_in": {"zh": "{field}不为{values}", "en": "{field} is not {values}"},
    "d.flag.true": {"zh": "{field}", "en": "{field}"},
    "d.flag.false": {"zh": "非{field}", "en": "not {field}"},
    "d.compare": {"zh": "{field}{op}{value}", "en": "{field} {op} {value}"},
    "d.has_member": {"zh": "有成员满足（{inner}）", "en": "some member has {inner}"},
})

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
            grades = ", ".join(f"{g}: {format_yuan(f)}" for g, f in s.grades.items())
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
        return ", ".join(f"{self.pick(_STATUS[k])} {_decimal(v)}" for k, v in items if v)

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
