"""The public notice (公示) of a run: one printable HTML page per village, Chinese or English.

:class:`NoticeData` carries full names and ID numbers (as the registry holds them); the page
shows them masked (``张*明``, ``110105********002X``), always: masking happens here, not in the
caller. The page refuses to render if it would still show an 18-character ID number, or a mobile
number other than the committee's published contact number.

The page is self-contained: inline CSS, no script, no external font, image or link, so it prints
the same from any browser offline. A4 (landscape when the list has more than one step column),
the table header repeats on every printed page, a row never breaks across pages, the totals row
is printed once at the end.

Texts that differ by language (scheme title, step labels, ...) are :class:`~schemes.model.Label`
values or plain ``str`` (the same in both languages). Every fixed text comes from the message
catalog in :mod:`dividends.files.messages`.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

import dividends.files.messages  # noqa: F401  (registers the message catalog)
from dividends.files.masking import mask_id_number, mask_person_name
from dividends.files.output import FileInfo, write_atomic
from notify import phones
from notify.inbound import REPLY_KEYWORDS
from schemes import statuses
from schemes.describe import describe
from schemes.i18n import Lang, Msg, gettext_callables
from schemes.model import Label, Scheme
from schemes.money import format_yuan
from schemes.problems import InputError, Problem

__all__ = [
    "NoticeAccount", "NoticeData", "NoticeHousehold", "NoticeStep", "Objection", "Text", "check_notice",
    "notice_steps", "render_notice", "scheme_paragraph", "write_notice",
]

Text = str | Label
"""A display text: the same in both languages (``str``) or one per language (``Label``)."""

TEMPLATES = Path(__file__).with_name("templates")
LANDSCAPE_AFTER = 1
"""More step columns than this and the page turns to landscape (a portrait A4 page holds the
list with one amount column at a notice-board type size, not with more)."""

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December")


@dataclass(frozen=True)
class NoticeStep:
    """A scheme step that may pay households: a breakdown column (``label``) of the list."""

    id: str
    label: Text
    deducts: bool = False
    """A column that takes money from households (deductions): its amounts are negative, and no
    household's total may be."""


@dataclass(frozen=True)
class NoticeHousehold:
    household_id: str
    head_name: str
    """Full name: the notice masks it."""
    id_number: str
    """Full ID number: the notice masks it."""
    status: str
    """``poor``, ``exited``, ``monitored`` or ``non_poor``; shown in words."""
    members: int
    amounts: Mapping[str, int]
    """Step id -> fen. Steps not listed pay 0."""

    @property
    def total_fen(self) -> int:
        return sum(self.amounts.values())


@dataclass(frozen=True)
class NoticeAccount:
    """A village account the run pays: collective, a fund, carry-over."""

    id: str
    label: Text
    amount_fen: int


@dataclass(frozen=True)
class Objection:
    """How to object. The contact phone is the committee's published number and is shown in
    full (it is there to be called); never put a household's number here."""

    contact_name: Text
    contact_phone: str
    address: Text
    hours: Text | None = None
    by_sms: bool = True
    """Households got the publicity SMS and may reply ``异议+原因`` to it."""


@dataclass(frozen=True)
class NoticeData:
    village_name: Text
    county: Text
    period: int
    scheme_title: Text
    description: Text
    """One plain paragraph on how the return is split (see :func:`scheme_paragraph`)."""
    asset: Text
    """What earned the return: ``村级光伏扶贫电站（300 千瓦）``."""
    return_fen: int
    """The period's return; households plus accounts must add up to it (plus what is brought
    forward) exactly."""
    publicity_start: date
    publicity_end: date
    """Last day to object (inclusive)."""
    posted_on: date
    objection: Objection
    steps: tuple[NoticeStep, ...]
    households: tuple[NoticeHousehold, ...]
    accounts: tuple[NoticeAccount, ...] = ()
    run_id: str = ""
    content_hash: str = ""
    """The run's content hash; the notice shows its first 12 characters as a check code."""
    committee: Text | None = None
    """Who posts the notice; default: ``{village}村民委员会``."""
    brought_forward_fen: int = 0
    still_owed: tuple[tuple[str, int], ...] = ()
    """(household, fen) each household still owes the collective once this run is posted (its
    recorded debts minus what posted runs and this run recover); listed under the totals."""
    """Last period's carry-over joining the pool (its own line among the facts)."""
    brought_forward_period: int | None = None
    signatures: tuple[Text, ...] | None = None
    """Signature lines (roles); default: party secretary, committee director, supervision
    committee, accountant."""


def scheme_paragraph(scheme: Scheme) -> Label:
    """A scheme's steps as one paragraph per language, from :func:`schemes.describe.describe`:
    ``（1）公益岗位补贴：……。（2）直接收益：……。``"""
    texts = {}
    for lang, end, fmt in (("zh", "。", "（{i}）{label}：{sentence}"), ("en", ".", "({i}) {label}: {sentence}")):
        parts = [fmt.format(i=d.index, label=d.label, sentence=d.sentence) + end for d in describe(scheme, lang)]
        texts[lang] = ("" if lang == "zh" else " ").join(parts)
    return Label(texts["zh"], texts["en"])


def notice_steps(scheme: Scheme) -> tuple[NoticeStep, ...]:
    """Every step of a scheme as a breakdown column; those that pay no household are dropped
    when the notice is rendered."""
    return tuple(NoticeStep(step.id, step.label) for step in scheme.steps)


def check_notice(data: NoticeData) -> list[Problem]:
    """Everything that would make the notice wrong or not add up, as problems."""
    problems: list[Problem] = []
    if data.publicity_start > data.publicity_end:
        problems.append(Problem(Msg("files.notice.bad_period", start=data.publicity_start.isoformat(),
                                    end=data.publicity_end.isoformat())))
    step_ids = {s.id for s in data.steps}
    deducting = {s.id for s in data.steps if s.deducts}
    seen: set[str] = set()
    for h in data.households:
        if h.household_id in seen:
            problems.append(Problem(Msg("files.notice.duplicate_household", household=h.household_id)))
        seen.add(h.household_id)
        for step, fen in h.amounts.items():
            if step not in step_ids:
                problems.append(Problem(Msg("files.notice.unknown_step", household=h.household_id, step=step)))
            if fen < 0 and step not in deducting:
                problems.append(Problem(Msg("files.notice.negative", what=h.household_id, found=format_yuan(fen))))
        if h.total_fen < 0:
            problems.append(Problem(Msg("files.notice.negative", what=h.household_id, found=format_yuan(h.total_fen))))
    for a in data.accounts:
        if a.amount_fen < 0:
            problems.append(Problem(Msg("files.notice.negative", what=a.id, found=format_yuan(a.amount_fen))))
    households = sum(h.total_fen for h in data.households)
    accounts = sum(a.amount_fen for a in data.accounts)
    if households + accounts != data.return_fen + data.brought_forward_fen:
        problems.append(Problem(Msg("files.notice.totals_differ", households=format_yuan(households),
                                    accounts=format_yuan(accounts), sum=format_yuan(households + accounts),
                                    expected=format_yuan(data.return_fen + data.brought_forward_fen))))
    return problems


def render_notice(data: NoticeData, lang: str = "zh") -> str:
    """The notice as one HTML document (UTF-8 text, ``\\n`` line ends, ends with a newline).

    Raises :class:`InputError` if the data do not add up (households + accounts must equal the
    return, to the fen) or if the page would show an unmasked ID or mobile number.
    """
    language: Lang = "zh" if lang.lower().startswith("zh") else "en"
    problems = check_notice(data)
    if problems:
        raise InputError(problems)
    html = _ENVIRONMENT.get_template("notice.html").render(_context(data, language))
    _refuse_unmasked(html, data)
    return html


# --------------------------------------------------------------------------- view model


def _context(data: NoticeData, lang: Lang) -> dict[str, Any]:
    def pick(text: Text | None) -> str:
        if text is None:
            return ""
        return text if isinstance(text, str) else text.text(lang)

    def t(key: str, **params: Any) -> str:
        return Msg(key, **params).text(lang)

    def day(d: date) -> str:
        return f"{d.year}年{d.month}月{d.day}日" if lang == "zh" else f"{d.day} {_EN_MONTHS[d.month - 1]} {d.year}"

    households = sorted(data.households, key=lambda h: h.household_id)
    steps = [s for s in data.steps if any(h.amounts.get(s.id, 0) for h in households)]
    rows = [{
        "seq": i,
        "household_id": h.household_id,
        "head": mask_person_name(h.head_name),
        "id_number": mask_id_number(h.id_number),
        "status": statuses.label(h.status, lang) if h.status in statuses.STATUS_NAMES else h.status,
        "members": h.members,
        "amounts": [format_yuan(h.amounts.get(s.id, 0)) for s in steps],
        "total": format_yuan(h.total_fen),
    } for i, h in enumerate(households, start=1)]
    households_fen = sum(h.total_fen for h in households)
    names = {h.household_id: h.head_name for h in households}
    accounts_fen = sum(a.amount_fen for a in data.accounts)
    village = pick(data.village_name)
    scheme = pick(data.scheme_title)
    end = day(data.publicity_end)
    o = data.objection
    keyword = REPLY_KEYWORDS[lang]["objection"]
    ways = []
    if o.by_sms:
        ways.append(t("files.notice.object.sms", keyword=keyword))
    ways.append(t("files.notice.object.phone", name=pick(o.contact_name), phone=o.contact_phone))
    ways.append(t("files.notice.object.visit", address=pick(o.address),
                  hours=t("files.notice.object.hours", hours=pick(o.hours)) if o.hours else ""))
    committee = pick(data.committee) if data.committee else t("files.notice.committee", village=village)
    roles = data.signatures if data.signatures is not None else tuple(
        Label(Msg(k).text("zh"), Msg(k).text("en")) for k in
        ("files.notice.sign.secretary", "files.notice.sign.director", "files.notice.sign.supervisor", "files.notice.sign.accountant"))
    short_hash = data.content_hash[:12]
    return {
        **gettext_callables(lang),
        "lang": lang,
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "t": t,
        "orientation": "landscape" if len(steps) > LANDSCAPE_AFTER else "portrait",
        "place": t("files.notice.place", county=pick(data.county), village=village) if pick(data.county) else village,
        "title": t("files.notice.title", village=village, period=data.period, scheme=scheme),
        "intro": t("files.notice.intro", scheme=scheme, asset=pick(data.asset), period=data.period,
                   amount=format_yuan(data.return_fen)),
        "description": pick(data.description),
        "facts": [
            (t("files.notice.fact.asset"), pick(data.asset), False),
            (t("files.notice.fact.return", period=data.period), t("files.notice.yuan", amount=format_yuan(data.return_fen)), False),
            *([(t("files.notice.fact.brought_forward", period=data.brought_forward_period or data.period - 1),
                t("files.notice.yuan", amount=format_yuan(data.brought_forward_fen)), False)]
              if data.brought_forward_fen else []),
            (t("files.notice.fact.households"), t("files.notice.fact.households_value", count=len(rows), amount=format_yuan(households_fen)), False),
            (t("files.notice.fact.accounts"), t("files.notice.yuan", amount=format_yuan(accounts_fen)), False),
            (t("files.notice.fact.period"), t("files.notice.fact.period_value", start=day(data.publicity_start), end=end,
                                        days=(data.publicity_end - data.publicity_start).days + 1), False),
            (t("files.notice.fact.deadline"), t("files.notice.fact.deadline_value", end=end), True),
        ],
        "step_headers": [t("files.notice.col.step", label=pick(s.label)) for s in steps],
        "rows": rows,
        "totals": {
            "members": sum(h.members for h in households),
            "amounts": [format_yuan(sum(h.amounts.get(s.id, 0) for h in households)) for s in steps],
            "total": format_yuan(households_fen),
        },
        "accounts": [{"label": pick(a.label), "amount": format_yuan(a.amount_fen)} for a in data.accounts],
        "accounts_total": format_yuan(accounts_fen),
        "check_line": (t("files.notice.check_line_brought_forward", households=format_yuan(households_fen),
                         accounts=format_yuan(accounts_fen), total=format_yuan(data.return_fen + data.brought_forward_fen),
                         period=data.period, amount=format_yuan(data.return_fen),
                         carried=format_yuan(data.brought_forward_fen),
                         from_period=data.brought_forward_period or data.period - 1)
                       if data.brought_forward_fen else
                       t("files.notice.check_line", households=format_yuan(households_fen), accounts=format_yuan(accounts_fen),
                         total=format_yuan(data.return_fen), period=data.period)),
        "still_owed": [{"household_id": hid, "head": mask_person_name(names.get(hid, "")), "amount": format_yuan(fen)}
                       for hid, fen in sorted(data.still_owed) if fen > 0],
        "object_intro": t("files.notice.object.intro", end=end),
        "ways": ways,
        "seal": t("files.notice.seal", committee=committee),
        "roles": [pick(r) for r in roles],
        "posted": t("files.notice.posted", date=day(data.posted_on)),
        "reference": (t("files.notice.reference_hash", run=data.run_id, hash=short_hash) if short_hash
                      else t("files.notice.reference", run=data.run_id)) if data.run_id else "",
    }


def _refuse_unmasked(html: str, data: NoticeData) -> None:
    """Refuse a page that shows an 18-character ID number, a mobile number other than the
    committee's contact number, or any household's ID number as given. Household ids (which may
    be long digit strings) and the contact number are published on purpose and not scanned."""
    text = html.replace(data.objection.contact_phone, " ")
    for h in data.households:
        text = text.replace(f">{h.household_id}<", "><")
    kinds = []
    if _ID_NUMBER.search(text) or any(
        len(n) >= 8 and n in text.upper() for n in ("".join(h.id_number.split()).upper() for h in data.households)
    ):
        kinds.append("ID")
    if phones.contains_mobile(text):
        kinds.append("phone")
    if kinds:
        raise InputError([Problem(Msg("files.notice.unmasked", kind=", ".join(kinds)))])


def write_notice(data: NoticeData, path: Path, lang: str = "zh") -> FileInfo:
    """Render the notice and write it to ``path`` (UTF-8) whole or not at all.

    ``rows`` is the number of households listed and ``total_fen`` what they receive together.
    """
    html = render_notice(data, lang)
    target = Path(path)
    digest = write_atomic(target, lambda temp: temp.write_bytes(html.encode("utf-8")))
    return FileInfo(target, digest, len(data.households), sum(h.total_fen for h in data.households))


def _make_environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        extensions=["jinja2.ext.i18n"],  # {% trans "key" %}English{% endtrans %}: the .po catalogs
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


_ENVIRONMENT = _make_environment()
