"""SMS texts per notice kind, in Chinese (default) or English, with their segment count.

One plain record per kind holds what a text says; :func:`render` turns it into the parameters
of a logical template of :mod:`notify.catalog` (picking the variant: nothing to pay, a statement's
status, the one-way twin when the channel carries no replies) and fills it for the
:class:`~notify.catalog.Channel` (signature included, segments counted as that provider counts
them). Records carry full names and account numbers: the parameters mask them (``张*明``,
``尾号1234``), and a text that still holds a run of eight or more digits (a phone, ID or account
number) is refused.

Every display string in a record (village, project, breakdown labels, channel, reason) is in
the household's language: the caller picks them. Amounts are integer fen.

Kinds and their records:

- ``publicity`` (:class:`Publicity`): the list is posted: proposed amount, breakdown, the end
  of the publicity period and how to object by reply;
- ``payment_confirmation`` (:class:`PaymentConfirmation`): paid: amount, breakdown, date,
  channel and masked account;
- ``payment_failed`` (:class:`PaymentFailed`): the bank refused the payment, and why;
- ``statement`` (:class:`Statement`): the answer to 查询 / CX / STATEMENT;
- ``period_statement`` (:class:`PeriodStatement`): one household's total for a period over all
  its runs (several assets), one item per asset: keyed by (period, household), not by run;
- ``help`` (:class:`Help`): the answer to any other reply;
- ``objection_received`` (:class:`ObjectionReceived`): the answer to 异议….

A payout a run deducted a debt from (``deducted_fen``; ``owed_fen`` what is left to recover) is
told with the template's ``_deduction`` / ``_deduction_owed`` variant: the amount before the
deduction with its breakdown, what was deducted, what is paid (and what is still owed).

A breakdown longer than three items keeps the first two and sums the rest as 其他 / other,
so a text stays within two UCS-2 segments in Chinese for a typical household.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, Literal, NamedTuple, cast

from notify.catalog import CATALOG, Channel, TemplateError, deduction_variant, fill
from notify.privacy import mask_account, mask_name
from notify.segments import SegmentInfo
from schemes.i18n import LANGS
from schemes.money import format_yuan

NoticeKind = Literal[
    "publicity", "payment_confirmation", "payment_failed", "statement", "period_statement", "help",
    "objection_received"
]
StatementStatus = Literal["publicity", "approved", "paid", "failed"]

DEFAULT_MAX_SEGMENTS = 3
MAX_BREAKDOWN_ITEMS = 3
OTHER_LABEL: dict[str, str] = {"zh": "其他", "en": "other"}
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class BreakdownItem(NamedTuple):
    """One line of a short breakdown: ``("岗位补贴", 96000)``."""

    label: str
    fen: int


#: A rendered text holds a full phone, ID or account number (or another parameter is wrong).
UnmaskedNumberError = TemplateError


def _require_fen(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int number of fen, got {type(value).__name__}")


@dataclass(frozen=True, kw_only=True)
class _Household:
    village: str
    """Village name as the household reads it: ``青山村`` / ``Qingshan Village``."""
    household: str
    """The household head's full name; texts show it masked (``张*明``)."""
    year: int
    project: str
    """What earned the return: ``光伏收益`` / ``PV income``."""
    amount_fen: int
    office_phone: str = ""
    """The village office's landline: one-way texts give it instead of asking for a reply."""

    def __post_init__(self) -> None:
        _require_fen("amount_fen", self.amount_fen)


@dataclass(frozen=True, kw_only=True)
class _WithBreakdown(_Household):
    breakdown: Sequence[BreakdownItem] = ()
    """``[(label, fen), ...]`` summing to ``amount_fen`` plus ``deducted_fen`` (the payout before
    the deduction), or empty for no breakdown."""
    deducted_fen: int = 0
    """What the run deducted from the payout for a debt (``amount_fen`` is what is paid): the
    text is the template's ``_deduction`` variant (:func:`notify.catalog.deduction_variant`)."""
    owed_fen: int = 0
    """What the household still owes after the run (shown with a deduction only:
    ``_deduction_owed``)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_fen("deducted_fen", self.deducted_fen)
        _require_fen("owed_fen", self.owed_fen)
        if self.deducted_fen < 0 or self.owed_fen < 0:
            raise ValueError("deducted_fen and owed_fen are never negative")
        items = tuple(BreakdownItem(str(label), fen) for label, fen in self.breakdown)
        for item in items:
            _require_fen(f"breakdown[{item.label!r}]", item.fen)
        total = sum(i.fen for i in items)
        if items and total != self.amount_fen + self.deducted_fen:
            raise ValueError(f"breakdown sums to {total} fen but amount_fen is {self.amount_fen}"
                             + (f" plus {self.deducted_fen} deducted" if self.deducted_fen else ""))
        object.__setattr__(self, "breakdown", items)

    @property
    def gross_fen(self) -> int:
        """The payout before the deduction."""
        return self.amount_fen + self.deducted_fen


@dataclass(frozen=True, kw_only=True)
class Publicity(_WithBreakdown):
    deadline: date
    """Last day of the publicity period: objections by reply until then."""


@dataclass(frozen=True, kw_only=True)
class PaymentConfirmation(_WithBreakdown):
    paid_on: date
    channel: str
    """Payment channel as the household knows it: ``惠农一卡通`` / ``Huinong card``."""
    account: str
    """Account number, full or partial: texts show its last four digits only."""


@dataclass(frozen=True, kw_only=True)
class PaymentFailed(_Household):
    channel: str
    account: str
    reason: str
    """Short reason in the household's language: ``账户已销户`` / ``account closed``."""


@dataclass(frozen=True, kw_only=True)
class Statement(_WithBreakdown):
    """A reply to 查询: ``deadline`` is needed in publicity; ``paid_on``, ``channel`` and
    ``account`` once paid."""

    status: StatementStatus
    deadline: date | None = None
    paid_on: date | None = None
    channel: str | None = None
    account: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.status == "publicity" and self.deadline is None:
            raise TypeError("a statement in publicity needs its deadline")
        if self.status == "paid" and not (self.paid_on and self.channel and self.account):
            raise TypeError("a paid statement needs paid_on, channel and account")


@dataclass(frozen=True, kw_only=True)
class PeriodStatement(_WithBreakdown):
    """A household's period over every run (asset) of it: ``breakdown`` has one item per asset
    (``("光伏收益", 96000)``), ``amount_fen`` their total; ``project`` names them together
    (``各项收益`` / ``all returns``)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.breakdown:
            raise TypeError("a period statement needs one breakdown item per run (asset)")


@dataclass(frozen=True, kw_only=True)
class Help:
    village: str


@dataclass(frozen=True, kw_only=True)
class ObjectionReceived:
    village: str


RECORDS: dict[str, type] = {
    "publicity": Publicity,
    "payment_confirmation": PaymentConfirmation,
    "payment_failed": PaymentFailed,
    "statement": Statement,
    "period_statement": PeriodStatement,
    "help": Help,
    "objection_received": ObjectionReceived,
}
Record = Publicity | PaymentConfirmation | PaymentFailed | Statement | PeriodStatement | Help | ObjectionReceived


@dataclass(frozen=True, slots=True)
class RenderedText:
    kind: str
    lang: str
    body: str
    info: SegmentInfo
    over_limit: bool
    template: str = ""
    params: Mapping[str, str] | None = None


DEFAULT_CHANNEL = Channel()


def _zh_date(d: date) -> str:
    return f"{d.month}月{d.day}日"


def _en_date(d: date) -> str:
    return f"{d.day} {_EN_MONTHS[d.month - 1]}"


def _date(d: date, lang: str) -> str:
    return _zh_date(d) if lang == "zh" else _en_date(d)


def _short_breakdown(items: Sequence[BreakdownItem], lang: str, keep: int = MAX_BREAKDOWN_ITEMS) -> tuple[BreakdownItem, ...]:
    if len(items) <= keep:
        return tuple(items)
    head = items[: keep - 1]
    rest = sum(i.fen for i in items[keep - 1 :])
    return (*head, BreakdownItem(OTHER_LABEL[lang], rest))


def _breakdown_text(items: Sequence[BreakdownItem], lang: str) -> str:
    if lang == "zh":
        return "，".join(f"{i.label}{format_yuan(i.fen)}元" for i in items)
    return ", ".join(f"{i.label} {format_yuan(i.fen)}" for i in items)


def breakdown_param(record: _WithBreakdown, lang: str, max_chars: int | None) -> str:
    """The breakdown as one parameter: at most three items (the rest summed as 其他), fewer when
    the provider's variable limit needs it, and the project alone when nothing else fits (a
    provider refuses an empty variable)."""
    items = tuple(record.breakdown) or (BreakdownItem(record.project, record.gross_fen),)
    for keep in range(min(MAX_BREAKDOWN_ITEMS, len(items)), 0, -1):
        text = _breakdown_text(_short_breakdown(items, lang, keep), lang)
        if max_chars is None or len(text) <= max_chars:
            return text
    return record.project


def _coerce(kind: str, context: Record | Mapping[str, Any]) -> Record:
    try:
        cls = RECORDS[kind]
    except KeyError:
        raise ValueError(
            f"unknown notice kind {kind!r}; expected one of {sorted(RECORDS)}"
        ) from None
    if isinstance(context, cls):
        return cast(Record, context)
    if isinstance(context, Mapping):
        return cast(Record, cls(**context))
    raise TypeError(f"{kind} needs a {cls.__name__} or a mapping, got {type(context).__name__}")


def template_and_params(kind: str, lang: str, record: Record, channel: Channel) -> tuple[str, dict[str, str]]:
    """The logical template a record is told with, and every parameter a variant may use."""
    template_id, params = _template_and_params(kind, lang, record, channel)
    if isinstance(record, _WithBreakdown) and record.deducted_fen:
        params.update(_yuan("gross", record.gross_fen), **_yuan("deducted", record.deducted_fen),
                      **_yuan("owed", record.owed_fen))
        template_id = deduction_variant(template_id, record.deducted_fen, record.owed_fen)
    return template_id, params


def _yuan(name: str, fen: int) -> dict[str, str]:
    """A yuan parameter and its split twins (``amount``, ``amount_yuan``, ``amount_fen``)."""
    return {name: format_yuan(fen), f"{name}_yuan": str(fen // 100), f"{name}_fen": f"{fen % 100:02d}"}


def _template_and_params(kind: str, lang: str, record: Record, channel: Channel) -> tuple[str, dict[str, str]]:
    params: dict[str, str] = {"village": record.village}
    if isinstance(record, _Household):
        params.update(household=mask_name(record.household), year=str(record.year), project=record.project,
                      **_yuan("amount", record.amount_fen))
        if record.office_phone:
            params["office_phone"] = record.office_phone
    if isinstance(record, _WithBreakdown):
        limit = channel.param_max if channel.profile.templated else None
        params["breakdown"] = breakdown_param(record, lang, limit)
    if isinstance(record, PaymentConfirmation | PaymentFailed) or (
            isinstance(record, Statement) and record.status == "paid"):
        params.update(channel=record.channel or "", account=mask_account(record.account or "", lang))
    if isinstance(record, Publicity):
        params["deadline"] = _date(record.deadline, lang)
        return ("publicity" if record.amount_fen or record.deducted_fen else "publicity_nothing"), params
    if isinstance(record, PaymentConfirmation):
        params["paid_on"] = _date(record.paid_on, lang)
        return "payment_confirmation", params
    if isinstance(record, PaymentFailed):
        params["reason"] = record.reason
        return "payment_failed", params
    if isinstance(record, Statement):
        if record.deadline is not None and record.status == "publicity":
            params["deadline"] = _date(record.deadline, lang)
        if record.paid_on is not None and record.status == "paid":
            params["paid_on"] = _date(record.paid_on, lang)
        return f"statement_{record.status}", params
    if isinstance(record, PeriodStatement):
        return "period_statement", params
    return kind, params


def render(
    kind: str,
    lang: str,
    context: Record | Mapping[str, Any],
    *,
    max_segments: int = DEFAULT_MAX_SEGMENTS,
    channel: Channel = DEFAULT_CHANNEL,
) -> RenderedText:
    """Render one notice text for ``channel`` and count its segments.

    ``context`` is the kind's record or a mapping of its fields. ``over_limit`` is true when the
    text needs more than ``max_segments`` segments. Raises :class:`~notify.catalog.TemplateError`
    when a parameter is wrong for the channel (too long, a URL, a full number, no office landline
    for a one-way text).
    """
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGS}")
    record = _coerce(kind, context)
    template_id, params = template_and_params(kind, lang, record, channel)
    template = CATALOG.for_channel(template_id, two_way=channel.two_way, provider=channel.provider,
                                   split=channel.splits_amount)
    wanted = template.variables(lang)
    filled = fill(template, lang, {k: v for k, v in params.items() if k in wanted}, channel)
    return RenderedText(kind, lang, filled.body, filled.info, filled.info.segments > max_segments,
                        template.id, filled.params)


def render_reply(template_id: str, lang: str, village: str, channel: Channel = DEFAULT_CHANNEL) -> RenderedText:
    """A reply to a household's text (opt-out confirmation, objection closed...): village only."""
    template = CATALOG.template(template_id)
    filled = fill(template, lang, {"village": village}, channel)
    return RenderedText(template.kind, lang, filled.body, filled.info, False, template.id, filled.params)


def example_params(template_id: str, lang: str) -> dict[str, str]:
    """The catalog's example values for a template's variables, formatted as a text shows them."""
    template = CATALOG.template(template_id)
    out: dict[str, str] = {}
    for name in template.variables(lang):
        param = CATALOG.params[name]
        raw = param.example.get(lang) or param.example.get("zh") or name
        if param.type == "yuan":
            out[name] = format_yuan(int(raw))
        elif param.type == "yuan_whole":
            out[name] = str(int(raw) // 100)
        elif param.type == "fen_part":
            out[name] = f"{int(raw) % 100:02d}"
        elif param.type == "date":
            out[name] = _date(date.fromisoformat(raw), lang)
        elif param.type == "name":
            out[name] = mask_name(raw)
        elif param.type == "account":
            out[name] = mask_account(raw, lang)
        else:
            out[name] = raw
    return out


def render_example(template_id: str, lang: str, channel: Channel = DEFAULT_CHANNEL) -> RenderedText:
    """A template filled with its example values for ``channel`` (``dividends notify templates``)."""
    template = CATALOG.template(template_id)
    filled = fill(template, lang, example_params(template_id, lang), channel)
    return RenderedText(template.kind, lang, filled.body, filled.info, False, template.id, filled.params)
