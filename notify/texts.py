"""SMS texts per notice kind, in Chinese (default) or English, with their segment count.

One plain record per kind holds what a text says; :func:`render` turns it into a
:class:`RenderedText` through ``templates/{lang}/{kind}.txt.j2``. Records carry full names and
account numbers: the templates mask them (``张*明``, ``尾号1234``), and :func:`render` refuses a
text that still holds a run of eight or more digits (a phone, ID or account number).

Every display string in a record (village, project, breakdown labels, channel, reason) is in
the household's language: the caller picks them. Amounts are integer fen.

Kinds and their records:

- ``publicity`` (:class:`Publicity`): the list is posted: proposed amount, breakdown, the end
  of the publicity period and how to object by reply;
- ``payment_confirmation`` (:class:`PaymentConfirmation`): paid: amount, breakdown, date,
  channel and masked account;
- ``payment_failed`` (:class:`PaymentFailed`): the bank refused the payment, and why;
- ``statement`` (:class:`Statement`): the answer to 查询 / CX / STATEMENT;
- ``help`` (:class:`Help`): the answer to any other reply;
- ``objection_received`` (:class:`ObjectionReceived`): the answer to 异议….

A breakdown longer than three items keeps the first two and sums the rest as 其他 / other,
so a text stays within two UCS-2 segments in Chinese for a typical household.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any, Literal, NamedTuple, cast

import jinja2

from notify.inbound import REPLY_KEYWORDS
from notify.privacy import find_unmasked_number, mask_account, mask_name
from notify.segments import SegmentInfo, count_segments
from schemes.i18n import LANGS
from schemes.money import format_yuan

NoticeKind = Literal[
    "publicity", "payment_confirmation", "payment_failed", "statement", "help", "objection_received"
]
StatementStatus = Literal["publicity", "approved", "paid", "failed"]

TEMPLATES_DIR = Path(__file__).parent / "templates"
DEFAULT_MAX_SEGMENTS = 3
MAX_BREAKDOWN_ITEMS = 3
OTHER_LABEL: dict[str, str] = {"zh": "其他", "en": "other"}
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class BreakdownItem(NamedTuple):
    """One line of a short breakdown: ``("岗位补贴", 96000)``."""

    label: str
    fen: int


class UnmaskedNumberError(ValueError):
    """A rendered text holds a full phone, ID or account number."""


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

    def __post_init__(self) -> None:
        _require_fen("amount_fen", self.amount_fen)


@dataclass(frozen=True, kw_only=True)
class _WithBreakdown(_Household):
    breakdown: Sequence[BreakdownItem] = ()
    """``[(label, fen), ...]`` summing to ``amount_fen``, or empty for no breakdown."""

    def __post_init__(self) -> None:
        super().__post_init__()
        items = tuple(BreakdownItem(str(label), fen) for label, fen in self.breakdown)
        for item in items:
            _require_fen(f"breakdown[{item.label!r}]", item.fen)
        total = sum(i.fen for i in items)
        if items and total != self.amount_fen:
            raise ValueError(f"breakdown sums to {total} fen but amount_fen is {self.amount_fen}")
        object.__setattr__(self, "breakdown", items)


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
    "help": Help,
    "objection_received": ObjectionReceived,
}
Record = Publicity | PaymentConfirmation | PaymentFailed | Statement | Help | ObjectionReceived


@dataclass(frozen=True, slots=True)
class RenderedText:
    kind: str
    lang: str
    body: str
    info: SegmentInfo
    over_limit: bool


def _zh_date(d: date) -> str:
    return f"{d.month}月{d.day}日"


def _en_date(d: date) -> str:
    return f"{d.day} {_EN_MONTHS[d.month - 1]}"


@jinja2.pass_context
def _account_tail(ctx: jinja2.runtime.Context, account: str) -> str:
    return mask_account(account, ctx["lang"])


def _make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
    )
    env.filters["yuan"] = format_yuan
    env.filters["mask_name"] = mask_name
    env.filters["zh_date"] = _zh_date
    env.filters["en_date"] = _en_date
    env.filters["account_tail"] = _account_tail
    return env


ENVIRONMENT = _make_environment()


def _short_breakdown(items: Sequence[BreakdownItem], lang: str) -> tuple[BreakdownItem, ...]:
    if len(items) <= MAX_BREAKDOWN_ITEMS:
        return tuple(items)
    head = items[: MAX_BREAKDOWN_ITEMS - 1]
    rest = sum(i.fen for i in items[MAX_BREAKDOWN_ITEMS - 1 :])
    return (*head, BreakdownItem(OTHER_LABEL[lang], rest))


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


def render(
    kind: str,
    lang: str,
    context: Record | Mapping[str, Any],
    *,
    max_segments: int = DEFAULT_MAX_SEGMENTS,
) -> RenderedText:
    """Render one notice text and count its segments.

    ``context`` is the kind's record or a mapping of its fields. ``over_limit`` is true when the
    text needs more than ``max_segments`` segments. Raises :class:`UnmaskedNumberError` when the
    text would show eight or more digits in a row.
    """
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGS}")
    record = _coerce(kind, context)
    values: dict[str, Any] = {f.name: getattr(record, f.name) for f in fields(record)}
    if "breakdown" in values:
        values["breakdown"] = _short_breakdown(values["breakdown"], lang)
    values["kw"] = REPLY_KEYWORDS[lang]
    values["lang"] = lang
    body = ENVIRONMENT.get_template(f"{lang}/{kind}.txt.j2").render(values).strip()
    leaked = find_unmasked_number(body)
    if leaked is not None:
        raise UnmaskedNumberError(
            f"the {lang} {kind} text holds a run of {sum(c.isdigit() for c in leaked)} digits; "
            "pass names and numbers through the record fields that mask them"
        )
    info = count_segments(body)
    return RenderedText(kind, lang, body, info, info.segments > max_segments)
