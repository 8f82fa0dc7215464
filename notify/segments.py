"""How many SMS segments a text costs: GSM-7 or UCS-2, and the estimated price in fen.

A text that uses only the GSM 03.38 basic alphabet (and its extension table, whose characters
``^{}\\[~]|€`` and form feed take two units each: an escape plus the character) is sent as
GSM-7: up to 160 units in one segment, else 153 units per part. Any other character (all
Chinese text, an emoji, a curly quote) makes the whole message UCS-2: 70 units in one segment,
else 67 per part, where a character outside the Basic Multilingual Plane takes two units (a
surrogate pair).

A character is never split across two parts (an escape pair or a surrogate pair stays in one
part), so a long text is packed part by part rather than divided by 153 or 67.

>>> count_segments("Hello")
SegmentInfo(encoding='GSM-7', units=5, segments=1)
>>> count_segments("你好" * 36)
SegmentInfo(encoding='UCS-2', units=72, segments=2)
>>> estimate_cost_fen(3, 30)
90
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

#: (single-segment limit, per-part limit) in units.
LIMITS: dict[Encoding, tuple[int, int]] = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    encoding: Encoding
    units: int
    segments: int


GSM7_ALL = GSM7_BASIC | GSM7_EXTENSION


def _pack(units: list[int], single: int, per_part: int) -> int:
    """Parts needed when no character may be split across two parts."""
    if sum(units) <= single:
        return 1
    parts, used = 1, 0
    for u in units:
        if used + u > per_part:
            parts += 1
            used = 0
        used += u
    return parts


def _one_unit_each(length: int, single: int, per_part: int) -> int:
    return 1 if length <= single else -(-length // per_part)


def count_segments(text: str) -> SegmentInfo:
    """Encoding, units and segments of ``text`` as a carrier counts them.

    An empty text is one GSM-7 segment of zero units (Twilio refuses an empty body anyway).
    """
    chars = set(text)
    if chars <= GSM7_BASIC:
        return SegmentInfo("GSM-7", len(text), _one_unit_each(len(text), *LIMITS["GSM-7"]))
    if chars <= GSM7_ALL:
        units = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        return SegmentInfo("GSM-7", sum(units), _pack(units, *LIMITS["GSM-7"]))
    if max(text) <= "\uffff":
        return SegmentInfo("UCS-2", len(text), _one_unit_each(len(text), *LIMITS["UCS-2"]))
    units = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return SegmentInfo("UCS-2", sum(units), _pack(units, *LIMITS["UCS-2"]))


def estimate_cost_fen(segments: int, price_per_segment_fen: int) -> int:
    """Estimated price of ``segments`` segments, in integer fen."""
    if segments < 0 or price_per_segment_fen < 0:
        raise ValueError("segments and price must not be negative")
    return segments * price_per_segment_fen


@dataclass(frozen=True, slots=True)
class SendEstimate:
    """What a batch of texts will cost, shown before anything is sent."""

    messages: int
    segments: int
    cost_fen: int
    gsm7_messages: int
    ucs2_messages: int
    over_limit: int
    max_segments: int

    @property
    def ok(self) -> bool:
        return self.over_limit == 0


def estimate_batch(
    infos: Iterable[SegmentInfo], *, price_per_segment_fen: int, max_segments: int
) -> SendEstimate:
    """Totals for a batch: messages, segments, cost in fen, and how many exceed ``max_segments``."""
    messages = segments = gsm = over = 0
    for info in infos:
        messages += 1
        segments += info.segments
        gsm += info.encoding == "GSM-7"
        over += info.segments > max_segments
    return SendEstimate(
        messages=messages,
        segments=segments,
        cost_fen=estimate_cost_fen(segments, price_per_segment_fen),
        gsm7_messages=gsm,
        ucs2_messages=messages - gsm,
        over_limit=over,
        max_segments=max_segments,
    )
