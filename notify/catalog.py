"""Templates as data: the logical SMS templates (``catalog.yaml``), each provider's codes for them,
and the checks every message passes before it is sent.

- :data:`CATALOG` — the product's templates: per id a notice kind, the zh/en text with ``${name}``
  variables, whether it asks for a reply (and its one-way twin), and the typed parameters.
- :class:`Channel` — what one deployment sends through: the provider, the signature (one per
  deployment: the county or township office), whether replies come back, the village office's
  landline for one-way texts.
- :class:`ProviderTemplates` — the deployment's mapping file (``SMS_TEMPLATES_FILE``): per provider
  and template the provider's code and approval state.
- :func:`fill` — a template, a language and parameter values in; the text with its signature,
  segments counted as that provider counts them, or a :class:`TemplateError` that says which
  parameter is wrong and why (type, length, a URL, a full number), in both languages.

>>> t = CATALOG.template("help")
>>> t.variables("zh"), t.reply, CATALOG.for_channel("publicity", two_way=False).id
(('village',), True, 'publicity_oneway')
>>> tencent_text(CATALOG.template("objection_closed").text["zh"])[:13]
'{1}：目前没有处于公示期'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

from notify.privacy import find_unmasked_number
from notify.segments import SegmentInfo, count_segments
from schemes.i18n import LANGS, Msg, load_catalog, register

ParamType = Literal["text", "name", "year", "yuan", "yuan_whole", "fen_part", "date", "account", "landline"]
ApprovalState = Literal["approved", "pending", "rejected", "not_registered"]
APPROVAL_STATES: tuple[str, ...] = get_args(ApprovalState)
CATALOG_FILE = Path(__file__).with_name("catalog.yaml")

_VARIABLE = re.compile(r"\$\{([A-Za-z][A-Za-z0-9_]{0,24})\}")
#: A web address in any common spelling (domestic templates forbid links in variables, and the
#: product sends none at all).
_URL = re.compile(
    r"(?i)(https?://|www\.|\b[a-z0-9-]+\.(?:com|cn|net|org|gov|top|xyz|cc|io|me|info)\b|"
    r"\b(?:t|dwz|url)\.cn/)"
)
#: The village office: a fixed line with its area code (0539-8123456), a 400 number or a 95 number
#: (domestic templates accept these and no mobile numbers).
_LANDLINE = re.compile(r"^(0[0-9]{2,3}-?[0-9]{7,8}|400-?[0-9]{3}-?[0-9]{4}|95[0-9]{3,6})$")

load_catalog(Path(__file__).with_name("locale"), "notify")


class TemplateError(ValueError):
    """A message that must not be sent as it is: which template, which parameter, and why."""

    def __init__(self, msg: Msg) -> None:
        self.msg = msg
        super().__init__(msg.text("en"))

    def text(self, lang: str | None = None) -> str:
        return self.msg.text(lang)


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: ParamType
    max: int | None
    example: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Template:
    id: str
    kind: str
    reply: bool
    oneway: str | None
    text: Mapping[str, str]

    def variables(self, lang: str) -> tuple[str, ...]:
        """The variables of the ``lang`` text in order of first appearance (Tencent's {1}, {2}…)."""
        return tuple(dict.fromkeys(_VARIABLE.findall(self.text[lang])))


@dataclass(frozen=True)
class Catalog:
    version: int
    params: Mapping[str, Param]
    templates: Mapping[str, Template]

    def template(self, template_id: str) -> Template:
        try:
            return self.templates[template_id]
        except KeyError:
            raise TemplateError(
                Msg("sms.template.unknown", template=template_id, choices=sorted(self.templates))
            ) from None

    def for_channel(self, template_id: str, *, two_way: bool, provider: str = "", split: bool = False) -> Template:
        """The template to send: ``template_id``, or its one-way twin when replies cannot come back;
        with ``split`` (a provider whose variables cannot hold ``1,234.50``) its split-amount
        variant (:data:`SPLIT`)."""
        template = self._for_channel(template_id, two_way=two_way, provider=provider)
        return self.templates.get(template.id + SPLIT, template) if split else template

    def _for_channel(self, template_id: str, *, two_way: bool, provider: str = "") -> Template:
        template = self.template(template_id)
        if two_way or not template.reply:
            return template
        if template.oneway is None:
            raise TemplateError(
                Msg("sms.template.no_oneway", template=template_id, provider=provider_label(provider))
            )
        return self.template(template.oneway)


SPLIT = "_split"
"""Suffix of a template's split-amount variant, made for every template that shows ``${amount}``:
the same text with the amount as two variables, yuan without a thousands separator and the two
fen digits (``${amount_yuan}.${amount_fen}``), so a provider with short variables (Tencent Cloud: 6
characters) can carry any amount below 1,000,000 yuan (``1,234.50`` is 8 characters). Each is a
template of its own to register with that provider (``publicity_split``...)."""
SPLIT_AMOUNT = "${amount_yuan}.${amount_fen}"
"""How ``${amount}`` reads in a split variant (every other yuan variable of it likewise:
``${deducted_yuan}.${deducted_fen}``)."""
SPLIT_BELOW = len("999,999.99")
"""A provider whose variables are shorter than this gets the split variants."""


def load_catalog(path: Path = CATALOG_FILE) -> Catalog:
    """Read and check a catalog file: every variable a declared parameter, both languages present,
    one-way twins that exist and ask for no reply."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    params = {
        name: Param(name, spec["type"], spec.get("max"), dict(spec.get("example") or {}))
        for name, spec in data["params"].items()
    }
    for p in params.values():
        if p.type not in get_args(ParamType):
            raise ValueError(f"{path}: parameter {p.name} has unknown type {p.type!r}")
    templates: dict[str, Template] = {}
    for tid, spec in data["templates"].items():
        text = {lang: str(spec["text"][lang]) for lang in LANGS}
        templates[tid] = Template(tid, spec["kind"], bool(spec.get("reply")), spec.get("oneway"), text)
        for lang in LANGS:
            unknown = set(_VARIABLE.findall(text[lang])) - set(params)
            if unknown:
                raise ValueError(f"{path}: template {tid} ({lang}) uses undeclared {sorted(unknown)}")
    for t in templates.values():
        if t.oneway is not None:
            twin = templates.get(t.oneway)
            if twin is None or twin.reply:
                raise ValueError(f"{path}: the one-way twin {t.oneway!r} of {t.id} is missing or asks for a reply")
    yuan = [p.name for p in params.values() if p.type == "yuan"]
    for t in list(templates.values()):  # the split-amount variants (see SPLIT)
        shown = [name for name in yuan if any("${%s}" % name in t.text[lang] for lang in LANGS)]
        if "amount" in shown:
            oneway = t.oneway + SPLIT if t.oneway else None
            text = {lang: split_amounts(t.text[lang], shown) for lang in LANGS}
            for lang in LANGS:
                unknown = set(_VARIABLE.findall(text[lang])) - set(params)
                if unknown:
                    raise ValueError(f"{path}: the split variant of {t.id} ({lang}) uses undeclared {sorted(unknown)}")
            templates[t.id + SPLIT] = Template(t.id + SPLIT, t.kind, t.reply, oneway, text)
    return Catalog(int(data["version"]), params, templates)


def split_amounts(text: str, names: Sequence[str] = ("amount",)) -> str:
    """``text`` with each yuan variable of ``names`` as yuan and fen (:data:`SPLIT`).

    >>> split_amounts("扣还${deducted}元，实发${amount}元", ["amount", "deducted"])
    '扣还${deducted_yuan}.${deducted_fen}元，实发${amount_yuan}.${amount_fen}元'
    """
    for name in names:
        text = text.replace("${%s}" % name, "${%s_yuan}.${%s_fen}" % (name, name))
    return text


DEDUCTION = "_deduction"
"""Suffix of a template's variant for a payout a run deducted a debt from: ``${gross}`` before
the deduction, ``${deducted}``, and ``${amount}`` paid (``publicity_deduction``...)."""
OWED = "_owed"
"""Added to :data:`DEDUCTION` when something is still owed after the run (``${owed}``)."""
#: The templates that carry a payout breakdown: each has both deduction variants (and their
#: one-way twins), registered with every template provider like the others.
BREAKDOWN_TEMPLATES = ("publicity", "publicity_oneway", "payment_confirmation", "payment_confirmation_oneway",
                       "statement_publicity", "statement_approved", "statement_paid", "statement_failed",
                       "period_statement", "period_statement_oneway")


def deduction_variant(template_id: str, deducted_fen: int, owed_fen: int) -> str:
    """The template a payout is told with: ``template_id`` when nothing was deducted, else its
    deduction variant, with what is still owed when anything is.

    >>> deduction_variant("publicity", 0, 500), deduction_variant("publicity", 300, 0)
    ('publicity', 'publicity_deduction')
    >>> deduction_variant("statement_paid", 300, 500)
    'statement_paid_deduction_owed'
    """
    if deducted_fen <= 0:
        return template_id
    return template_id + DEDUCTION + (OWED if owed_fen > 0 else "")


CATALOG = load_catalog()


# ----------------------------------------------------------------------------- providers


@dataclass(frozen=True, slots=True)
class ProviderProfile:
    """What a provider can do, as its documentation states.

    ``templated``: only pre-approved templates are sent (variables checked against
    ``param_max``); ``two_way``: replies reach us; ``domestic_segments``: counted 70/67 whatever
    the characters (mainland providers), else GSM-7/UCS-2; ``daily_limit``: messages one number
    may get a day with the same signature and template (``None``: no documented limit).
    """

    name: str
    templated: bool
    two_way: bool
    domestic_segments: bool
    param_max: int | None
    daily_limit: int | None


#: Documented defaults (settings may override two_way, param_max and daily_limit). Twilio carries
#: no replies from mainland China (SMS.md); Aliyun: variables of at most 35 characters, 50
#: notification texts a number a day per template; Tencent Cloud: 6 characters a variable for
#: non-verification texts, 10 texts a number a day (its default frequency limit).
PROFILES: dict[str, ProviderProfile] = {
    "twilio": ProviderProfile("twilio", False, False, False, None, None),
    "aliyun": ProviderProfile("aliyun", True, True, True, 35, 50),
    "tencent": ProviderProfile("tencent", True, True, True, 6, 10),
    "console": ProviderProfile("console", False, True, False, None, None),
    "file": ProviderProfile("file", False, True, False, None, None),
}

#: Each provider as people read it (pages, the notices page's samples): (Chinese, English).
PROVIDER_LABELS: dict[str, tuple[str, str]] = {
    "twilio": ("Twilio 国际短信", "Twilio"),
    "aliyun": ("阿里云短信", "Aliyun SMS"),
    "tencent": ("腾讯云短信", "Tencent Cloud SMS"),
    "console": ("控制台（测试用，不真正发送）", "console (testing: nothing is sent)"),
    "file": ("文件（测试用，不真正发送）", "file (testing: nothing is sent)"),
}
register({f"sms.provider.{p}": {"zh": zh, "en": en} for p, (zh, en) in PROVIDER_LABELS.items()})


def provider_label(provider: str | None) -> Msg | str:
    """A provider for a message: its label in the reader's language ("-" when none)."""
    return Msg(f"sms.provider.{provider}") if provider in PROVIDER_LABELS else (provider or "-")


@dataclass(frozen=True, slots=True)
class Channel:
    """How one deployment sends: through which provider, signed by whom, two-way or not."""

    provider: str = "console"
    signature: str | None = None
    two_way: bool = True
    param_max: int | None = None
    daily_limit: int | None = None

    @classmethod
    def of(
        cls,
        provider: str,
        signature: str | None = None,
        *,
        two_way: bool | None = None,
        param_max: int | None = None,
        daily_limit: int | None = None,
    ) -> Channel:
        profile = PROFILES[provider]
        if signature is not None:
            check_signature(signature)
        return cls(
            provider,
            signature,
            profile.two_way if two_way is None else two_way,
            param_max if param_max is not None else profile.param_max,
            daily_limit if daily_limit is not None else profile.daily_limit,
        )

    @property
    def profile(self) -> ProviderProfile:
        return PROFILES[self.provider]

    @property
    def splits_amount(self) -> bool:
        """Amounts go as yuan and fen in two variables (:data:`SPLIT`): variables too short for
        ``999,999.99``."""
        return self.profile.templated and self.param_max is not None and self.param_max < SPLIT_BELOW

    def segments(self, body: str) -> SegmentInfo:
        """Segments as the provider bills them (the signature is part of ``body``)."""
        if not self.profile.domestic_segments:
            return count_segments(body)
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in body)
        return SegmentInfo("UCS-2", units, 1 if units <= 70 else -(-units // 67))


def check_signature(signature: str) -> None:
    if not 2 <= len(signature) <= 20 or any(c in signature for c in "【】[]"):
        raise TemplateError(Msg("sms.template.signature", signature=signature))


# ----------------------------------------------------------------------------- mapping file


@dataclass(frozen=True, slots=True)
class Registration:
    code: str
    state: ApprovalState


@dataclass(frozen=True)
class ProviderTemplates:
    """A deployment's mapping file: per provider, template and language, the code and its state.

    ::

        aliyun:
          publicity:   {zh: {code: SMS_460000001, state: approved}}
        tencent:
          publicity:   {zh: {code: "1900001", state: pending}}
    """

    source: str = "SMS_TEMPLATES_FILE"
    entries: Mapping[tuple[str, str, str], Registration] = field(default_factory=dict)

    def registration(self, provider: str, template_id: str, lang: str) -> Registration:
        found = self.entries.get((provider, template_id, lang))
        return found if found is not None else Registration("", "not_registered")

    def require(self, provider: str, template: Template, lang: str) -> Registration:
        """The approved registration, or a :class:`TemplateError` naming what to do."""
        reg = self.registration(provider, template.id, lang)
        if reg.state != "approved":
            raise TemplateError(
                Msg(
                    "sms.template.not_approved",
                    template=template.id,
                    lang=lang,
                    provider=provider_label(provider),
                    state=Msg(f"sms.template.state.{reg.state}"),
                    file=self.source,
                )
            )
        return reg

    def by_code(self, provider: str) -> dict[str, tuple[str, str]]:
        """code -> (template id, lang) of one provider (the fakes use it)."""
        return {r.code: (t, lang) for (p, t, lang), r in self.entries.items() if p == provider}


def load_provider_templates(path: Path) -> ProviderTemplates:
    """Read a mapping file; a wrong entry is a :class:`TemplateError` naming the file and key."""

    def bad(detail: str) -> TemplateError:
        return TemplateError(Msg("sms.template.file", file=str(path), detail=detail))

    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise bad(type(exc).__name__) from None
    if not isinstance(data, dict):
        raise bad("expected a mapping of providers")
    entries: dict[tuple[str, str, str], Registration] = {}
    for provider, templates in data.items():
        if provider not in ("aliyun", "tencent"):
            raise bad(f"unknown provider {provider!r} (aliyun, tencent)")
        for tid, langs in (templates or {}).items():
            if tid not in CATALOG.templates:
                raise bad(f"{provider}.{tid}: no such template")
            for lang, reg in (langs or {}).items():
                where = f"{provider}.{tid}.{lang}"
                if lang not in LANGS or not isinstance(reg, dict):
                    raise bad(f"{where}: expected zh/en with code and state")
                code, state = str(reg.get("code") or ""), reg.get("state", "approved")
                if not code or state not in APPROVAL_STATES:
                    raise bad(f"{where}: needs a code and a state of {APPROVAL_STATES}")
                entries[(provider, tid, lang)] = Registration(code, state)
    return ProviderTemplates(str(path), entries)


# ----------------------------------------------------------------------------- filling


@dataclass(frozen=True, slots=True)
class Filled:
    """A checked message: the template, its parameter values, and the text as the phone shows it
    (``body``, signature included) with its segments."""

    template: str
    lang: str
    params: Mapping[str, str]
    body: str
    info: SegmentInfo


def substitute(text: str, params: Mapping[str, str]) -> str:
    return _VARIABLE.sub(lambda m: params[m.group(1)], text)


def tencent_text(text: str) -> str:
    """The text as registered with Tencent Cloud: variables numbered ``{1}``, ``{2}``…"""
    order = list(dict.fromkeys(_VARIABLE.findall(text)))
    return _VARIABLE.sub(lambda m: "{%d}" % (order.index(m.group(1)) + 1), text)


def fill(template: Template, lang: str, params: Mapping[str, str], channel: Channel) -> Filled:
    """Check ``params`` against ``template`` and the channel, and give the text to send."""
    wanted = template.variables(lang)
    for name in wanted:
        if name not in params:
            raise TemplateError(Msg("sms.template.param_missing", template=template.id, param=name))
    for name in params:
        if name not in wanted:
            raise TemplateError(Msg("sms.template.param_unexpected", template=template.id, param=name))
    limit = channel.param_max if channel.profile.templated else None
    for name in wanted:
        _check_value(template.id, CATALOG.params[name], str(params[name]), limit, channel.provider)
    text = substitute(template.text[lang], params)
    shown = substitute(
        template.text[lang], {n: ("" if CATALOG.params[n].type == "landline" else v) for n, v in params.items()}
    )
    leaked = find_unmasked_number(shown)
    if leaked is not None:
        raise TemplateError(
            Msg("sms.template.param_number", template=template.id, param="-",
                digits=sum(c.isdigit() for c in leaked))
        )
    body = (f"【{channel.signature}】" if channel.signature else "") + text
    return Filled(template.id, lang, dict(params), body, channel.segments(body))


def _check_value(template: str, param: Param, value: str, provider_max: int | None, provider: str) -> None:
    if not value.strip():
        raise TemplateError(Msg("sms.template.param_empty", template=template, param=param.name))
    url = _URL.search(value)
    if url:
        raise TemplateError(
            Msg("sms.template.param_url", template=template, param=param.name, found=url.group(0))
        )
    if param.type == "landline" and not _LANDLINE.match(value.replace(" ", "")):
        raise TemplateError(Msg("sms.template.param_landline", template=template, param=param.name, value=value))
    if param.type != "landline":
        leaked = find_unmasked_number(value)
        if leaked is not None:
            raise TemplateError(
                Msg("sms.template.param_number", template=template, param=param.name,
                    digits=sum(c.isdigit() for c in leaked))
            )
    limits = [m for m in (param.max, provider_max) if m is not None]
    if provider_max is not None and limits and len(value) > min(limits):
        raise TemplateError(
            Msg("sms.template.param_long", template=template, param=param.name, value=value,
                length=len(value), provider=provider_label(provider), max=min(limits))
        )


def body_has_url(body: str) -> str | None:
    """The first web address in a whole text, if any (free-text providers get the same rule)."""
    m = _URL.search(body)
    return m.group(0) if m else None
