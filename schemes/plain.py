"""A scheme's steps in the words of the villagers it pays: who gets money, how much, and what
happens when there is not enough — no filter notation, no "weights".

:func:`schemes.describe.describe` stays the reviewer's precise wording (county officers, the
version diff, ``schemes show``); this is what the scheme chooser shows first.

>>> from schemes.presets import load_preset
>>> plain_steps(load_preset("five-share-classes"), "zh")[1].splitlines()[3]
'老人股占 10%：家里每有一位 80 岁及以上的老人，就分一份'
>>> plain_steps(load_preset("golden-chicken"), "en")[0]
'Registered poor households: 1,000.00 yuan for each person in the household. If the money is not enough, everyone gets the same share less.'
"""
from __future__ import annotations

import re

from schemes.describe import _Describer
from schemes.filters import All, Compare, Filter, Flag, IsIn, Not
from schemes.i18n import current_language, register
from schemes.model import (
    Basis, Cap, CarveOut, MinimumGuarantee, PerUnit, PostSubsidy, ProRata, Remainder, Scheme, ShareClasses, Shortfall, Take,
    Weight,
)
from schemes.money import format_percent, format_yuan

register({
    "p.carve_out": {"zh": "拿出{take}，记入“{to}”", "en": "{take} is set aside for '{to}'"},
    "p.take.amount": {"zh": "{amount} 元", "en": "{amount} yuan"},
    "p.take.pool": {"zh": "今年收益的 {percent}", "en": "{percent} of this year's income"},
    "p.take.remaining": {"zh": "剩下的钱的 {percent}", "en": "{percent} of what is left"},
    "p.take.all_remaining": {"zh": "剩下的钱", "en": "what is left"},
    "p.per_unit": {"zh": "{who}：{rate}", "en": "{who}: {rate}"},
    "p.rate.amount": {"zh": "{per}发 {amount} 元", "en": "{amount} yuan {per}"},
    "p.rate.percent": {"zh": "按入股金额的 {percent} 发", "en": "{percent} of the money they put in"},
    "p.limit.per": {"zh": "{per} {amount} 元", "en": "{amount} yuan {per}"},
    "p.floor.percent": {"zh": "入股金额的 {percent}", "en": "{percent} of the money they put in"},
    "p.pro_rata": {"zh": "{take}分给{who}：{how}", "en": "{take} is shared among {who}: {how}"},
    "p.post_subsidy": {"zh": "{who}中在公益岗位上干活的人：按岗位等级每年 {low} 至 {high} 元，干几个月算几个月",
                       "en": "people of {who} working a public-welfare post: {low} to {high} yuan a year by the post's grade, for the months actually worked"},
    "p.share_classes": {"zh": "{take}分成 {count} 份：", "en": "{take} is cut into {count} parts:"},
    "p.class.account": {"zh": "{label}占 {percent}：留给“{to}”", "en": "{label}, {percent}: kept for '{to}'"},
    "p.class.split": {"zh": "{label}占 {percent}：{how}", "en": "{label}, {percent}: {how}"},
    "p.guarantee": {"zh": "{who}每户至少拿到{floor}；不够的部分由{sources}补上",
                    "en": "{who}: at least {floor} each; what is missing is topped up from {sources}"},
    "p.cap": {"zh": "{who}每户最多拿{limit}，多出的记入{to}", "en": "{who}: at most {limit} each; anything above goes to {to}"},
    "p.remainder": {"zh": "最后剩下的钱记入“{to}”", "en": "Whatever is left at the end goes to '{to}'"},
    "p.short.pro_rate": {"zh": "钱不够时，大家按同一比例少拿。", "en": "If the money is not enough, everyone gets the same share less."},
    "p.short.refuse": {"zh": "钱不够时不分，先查明原因。", "en": "If the money is not enough, nothing is paid until the cause is found."},
    "p.short.priority": {"zh": "钱不够时先保证{first}，其余的后拿。", "en": "If the money is not enough, {first} are paid first, the others after."},
    "p.how.household": {"zh": "每户一样多", "en": "every household the same"},
    "p.how.person": {"zh": "按家里人口分，每人一份", "en": "one part for each person in the household"},
    "p.how.able_person": {"zh": "家里每有一位有劳动能力的人，就分一份", "en": "one part for each member able to work"},
    "p.how.unable_person": {"zh": "家里每有一位没有劳动能力的人，就分一份", "en": "one part for each member unable to work"},
    "p.how.share": {"zh": "按每户的股数分，股多的多分", "en": "by the shares each household holds, more shares more money"},
    "p.how.capital": {"zh": "按每户入股的钱分，入得多的多分", "en": "by the money each household put in"},
    "p.how.post": {"zh": "家里每有一个公益岗位，就分一份", "en": "one part for each public-welfare post in the household"},
    "p.how.persons": {"zh": "家里每有一位{whom}，就分一份", "en": "one part for each {whom} in the household"},
    "p.bonus": {"zh": "；{statuses}每户多算 {extra}", "en": "; {statuses} households count {extra} more"},
    "p.multiplier": {"zh": "；{status}按 {factor} 倍算", "en": "; {status} count {factor} times"},
    "p.per.household": {"zh": "每户", "en": "per household"},
    "p.per.person": {"zh": "家里每人", "en": "for each person in the household"},
    "p.per.able_person": {"zh": "家里每位有劳动能力的人", "en": "for each member able to work"},
    "p.per.unable_person": {"zh": "家里每位没有劳动能力的人", "en": "for each member unable to work"},
    "p.per.share": {"zh": "每股", "en": "per share"},
    "p.per.post": {"zh": "每个公益岗位", "en": "per public-welfare post"},
    "p.per.persons": {"zh": "家里每位{whom}", "en": "for each {whom} in the household"},
    "p.who.all": {"zh": "所有农户", "en": "every household"},
    "p.who.households": {"zh": "农户", "en": "households"},
    "p.who.all_of": {"zh": "所有农户", "en": "all households"},
    "p.who.statuses": {"zh": "{statuses}", "en": "{statuses} households"},
    "p.who.shareholders": {"zh": "入股的农户", "en": "households holding shares"},
    "p.who.invested": {"zh": "入了股金的农户", "en": "households that put money in"},
    "p.who.filter": {"zh": "符合条件（{filter}）的农户", "en": "households where {filter}"},
    "p.whom.age": {"zh": "{age} 岁及以上的老人", "en": "member aged {age} or over"},
    "p.whom.student": {"zh": "在校学生", "en": "student"},
    "p.whom.able": {"zh": "有劳动能力的人", "en": "member able to work"},
    "p.whom.unable": {"zh": "没有劳动能力的人", "en": "member unable to work"},
    "p.whom.filter": {"zh": "符合条件（{filter}）的人", "en": "member with {filter}"},
    "p.has.unable_members": {"zh": "家中有无劳动能力成员的{who}", "en": "{who} with a member unable to work"},
    "p.has.able_members": {"zh": "家中有劳动力的{who}", "en": "{who} with a member able to work"},
    "p.has.post_count": {"zh": "家中有人在公益岗位上的{who}", "en": "{who} with a public-welfare post"},
    "p.has.shares": {"zh": "入股的{who}", "en": "{who} holding shares"},
    "p.op.gte": {"zh": "{field}不少于 {value}", "en": "{field} at least {value}"},
    "p.op.gt": {"zh": "{field}多于 {value}", "en": "{field} more than {value}"},
    "p.op.lte": {"zh": "{field}不超过 {value}", "en": "{field} at most {value}"},
    "p.op.lt": {"zh": "{field}少于 {value}", "en": "{field} less than {value}"},
    "p.op.eq": {"zh": "{field}为 {value}", "en": "{field} is {value}"},
    "p.op.ne": {"zh": "{field}不为 {value}", "en": "{field} is not {value}"},
    "p.and": {"zh": "、", "en": ", "},
    "p.and_last": {"zh": "和", "en": " and "},
})

_HAS = ("unable_members", "able_members", "post_count", "shares")
_PER_KINDS = ("household", "person", "able_person", "unable_person", "share", "post")


def plain_steps(scheme: Scheme, lang: str | None = None) -> list[str]:
    """One plain sentence (or a few lines, for share classes) per step, in ``lang``."""
    plain = _Plain(scheme, current_language(lang))
    return [plain.sentence(plain.step(step)) for step in scheme.steps]


class _Plain(_Describer):
    def step(self, s: object) -> str:  # noqa: C901 - one branch per step kind
        if isinstance(s, CarveOut):
            return self.t("p.carve_out", take=self.take(s.take), to=self.account(s.to)) + self.end()
        if isinstance(s, PerUnit):
            return self.t("p.per_unit", who=self.who(s.eligible, capital=s.rate.percent is not None), rate=self.rate(s.rate)) \
                + self.end() + self.short(s.shortfall)
        if isinstance(s, ProRata):
            return self.t("p.pro_rata", take=self.take(s.take), who=self.who(s.eligible, lower=True), how=self.how(s.weight)) \
                + self.end() + self.short(s.shortfall)
        if isinstance(s, ShareClasses):
            lines = [self.t("p.share_classes", take=self.take(s.take), count=len(s.classes))]
            for c in s.classes:
                label, pct = c.label.text(self.lang), format_percent(c.percent)
                if c.to:
                    lines.append(self.t("p.class.account", label=label, percent=pct, to=self.account(c.to)))
                else:
                    assert c.weight is not None
                    how = self.how(c.weight)
                    if c.eligible is not None:
                        how = self.who(c.eligible) + ("：" if self.zh else ": ") + how
                    lines.append(self.t("p.class.split", label=label, percent=pct, how=how))
            return "\n".join(lines) + "\n" + self.short(s.shortfall).strip()
        if isinstance(s, PostSubsidy):
            values = sorted(s.grades.values())
            return self.t("p.post_subsidy", who=self.who(s.eligible, lower=True), low=format_yuan(values[0]),
                          high=format_yuan(values[-1])) + self.end() + self.short(s.shortfall)
        if isinstance(s, MinimumGuarantee):
            return self.t("p.guarantee", who=self.who(s.eligible), floor=self.floor(s.floor),
                          sources=self.list(self.account(x) for x in s.funded_by)) + self.end() + self.short(s.shortfall)
        if isinstance(s, Cap):
            return self.t("p.cap", who=self.who(s.eligible), limit=self.floor(s.limit), to=self.account(s.excess_to)) + self.end()
        assert isinstance(s, Remainder)
        return self.t("p.remainder", to=self.account(s.to)) + self.end()

    def end(self) -> str:
        return "。" if self.zh else "."

    def sentence(self, text: str) -> str:
        """English sentences start with a capital; Chinese digits after a word get a space."""
        if self.zh:
            text = re.sub(r"(?<=[\u4e00-\u9fff])(?=[0-9])|(?<=%)(?=[\u4e00-\u9fff])", " ", text)
        return "\n".join(line[:1].upper() + line[1:] for line in text.split("\n"))

    def short(self, s: Shortfall) -> str:
        sep = "" if self.zh else " "
        if s.policy == "priority":
            return sep + self.t("p.short.priority", first=self.list(self.status_group(f) for f in s.priority))
        return sep + self.t(f"p.short.{s.policy}")

    def status_group(self, f: Filter) -> str:
        statuses = _statuses(f)
        return self.list(self.pick(_status_label(v)) for v in statuses) if statuses else self.filter(f)

    def list(self, items: object) -> str:
        words = list(items)  # type: ignore[call-overload]
        if len(words) <= 1:
            return "".join(words)
        return self.t("p.and").join(words[:-1]) + self.t("p.and_last") + words[-1]

    def take(self, take: Take) -> str:
        if take.amount_fen is not None:
            return self.t("p.take.amount", amount=format_yuan(take.amount_fen))
        assert take.percent is not None
        if take.of != "pool" and format_percent(take.percent) == "100%":
            return self.t("p.take.all_remaining")
        return self.t("p.take.pool" if take.of == "pool" else "p.take.remaining", percent=format_percent(take.percent))

    def floor(self, rate: object) -> str:
        percent = getattr(rate, "percent", None)
        if percent is not None:
            return self.t("p.floor.percent", percent=format_percent(percent))
        basis: Basis = rate.basis  # type: ignore[attr-defined]
        amount = format_yuan(rate.amount_fen)  # type: ignore[attr-defined]
        if basis.kind == "household":
            return self.t("p.take.amount", amount=amount)
        return self.t("p.limit.per", per=self.per(basis), amount=amount)

    def rate(self, rate: object) -> str:
        percent = getattr(rate, "percent", None)
        if percent is not None:
            return self.t("p.rate.percent", percent=format_percent(percent))
        basis: Basis = rate.basis  # type: ignore[attr-defined]
        return self.t("p.rate.amount", per=self.per(basis), amount=format_yuan(rate.amount_fen))  # type: ignore[attr-defined]

    def per(self, basis: Basis) -> str:
        if basis.kind == "persons" and basis.persons is not None:
            return self.t("p.per.persons", whom=self.whom(basis.persons))
        if basis.kind in _PER_KINDS:
            return self.t(f"p.per.{basis.kind}")
        return self.unit(basis)

    def how(self, w: Weight) -> str:
        if w.basis.kind == "persons" and w.basis.persons is not None:
            text = self.t("p.how.persons", whom=self.whom(w.basis.persons))
        else:
            text = self.t(f"p.how.{w.basis.kind}")
        if w.bonus:
            for extra, statuses in _grouped(w.bonus):
                text += self.t("p.bonus", statuses=self.list(self.pick(_status_label(s)) for s in statuses),
                               extra=self._units(extra, w.basis.kind))
        if w.multiplier:
            for factor, statuses in _grouped(w.multiplier):
                text += self.t("p.multiplier", status=self.list(self.pick(_status_label(s)) for s in statuses), factor=factor)
        return text

    def _units(self, extra: str, kind: str) -> str:
        zh, en = {"share": (" 股", " share"), "person": (" 人", " person")}.get(kind, (" 份", " part"))
        return extra + (zh if self.zh else en + ("" if extra == "1" else "s"))

    def who(self, f: Filter | None, *, capital: bool = False, lower: bool = False) -> str:
        if f is None:
            return self.t("p.who.all_of" if lower else "p.who.all")
        statuses = _statuses(f)
        if statuses:
            return self.t("p.who.statuses", statuses=self.list(self.pick(_status_label(v)) for v in statuses))
        if isinstance(f, Compare) and f.op in ("gt", "gte") and f.value <= (0 if f.op == "gt" else 1):
            if f.field in _HAS and f.field != "shares":
                return self.t(f"p.has.{f.field}", who=self.t("p.who.households"))
            if f.field == "shares":
                return self.t("p.who.shareholders")
            if f.field == "capital_fen":
                return self.t("p.who.invested")
        if isinstance(f, All):
            parts = [p for p in f.items if not _statuses(p)]
            status_part = next((p for p in f.items if _statuses(p)), None)
            if status_part is not None and len(parts) == 1 and isinstance(parts[0], Compare):
                part = parts[0]
                if part.field in _HAS and part.op in ("gt", "gte") and part.value <= (0 if part.op == "gt" else 1):
                    return self.t(f"p.has.{part.field}", who=self.who(status_part))
                return self.who(status_part) + ("（" + self.filter(part) + "）" if self.zh else f" ({self.filter(part)})")
        return self.t("p.who.filter", filter=self.filter(f))

    def filter(self, f: Filter) -> str:
        """As the reviewer's wording, with comparisons in words (不少于, at least) instead of ≥."""
        if isinstance(f, Compare):
            from schemes.describe import _FIELDS
            field = self.pick(_FIELDS.get(f.field, (f.field, f.field)))
            value = format_yuan(f.value) if f.field == "capital_fen" else str(f.value)
            return self.t(f"p.op.{f.op}", field=field, value=value)
        return super().filter(f)

    def whom(self, f: Filter) -> str:
        if isinstance(f, Compare) and f.field == "age" and f.op in ("gte", "gt"):
            return self.t("p.whom.age", age=f.value if f.op == "gte" else f.value + 1)
        if isinstance(f, Flag) and f.field == "student" and f.value:
            return self.t("p.whom.student")
        if isinstance(f, Flag) and f.field == "able_to_work":
            return self.t("p.whom.able" if f.value else "p.whom.unable")
        return self.t("p.whom.filter", filter=self.filter(f))


def _statuses(f: Filter) -> tuple[str, ...]:
    """The statuses a filter keeps, when it is only a status list (``status in [...]``)."""
    if isinstance(f, IsIn) and f.field == "status" and not f.negate:
        return f.values
    if isinstance(f, Not):
        return ()
    return ()


def _status_label(name: str) -> tuple[str, str]:
    from schemes.statuses import LABELS
    return LABELS.get(name, (name, name))


def _grouped(values: object) -> list[tuple[str, list[str]]]:
    """``{status: number}`` grouped by number, zeros left out: ``[("2", ["poor"]), ...]``."""
    from schemes.describe import _decimal
    out: dict[str, list[str]] = {}
    for status, value in values.items():  # type: ignore[attr-defined]
        if value:
            out.setdefault(_decimal(value), []).append(status)
    return list(out.items())
