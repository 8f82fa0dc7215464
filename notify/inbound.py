"""What a household's reply asks for: opt out, opt in, its statement, an objection, or help.

The body is normalised first (NFKC: full-width ``ＴＤ`` and ``：`` become ``TD`` and ``:``;
Latin letters upper-cased; surrounding spaces and punctuation dropped). Then, in this order:

=============  ==========================================================================
opt_out        starts with 退订; or is exactly TD or one of Twilio's STOP words
               (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, and OPTOUT, REVOKE)
opt_in         exactly START, YES, UNSTOP (Twilio's START words), 订阅 or 恢复订阅
statement      starts with 查询; or is exactly CX or STATEMENT
objection      starts with 异议, or with YY, OBJ, OBJECT or OBJECTION as a word;
               ``text`` is what follows, separators (space : + - ， etc.) stripped
help           anything else (HELP, INFO, 帮助, an empty body, a question…)
=============  ==========================================================================

>>> parse_inbound(" ＴＤ。")
Intent(kind='opt_out', text='')
>>> parse_inbound("异议：我家人口数不对")
Intent(kind='objection', text='我家人口数不对')
>>> parse_inbound("obj wrong head count")
Intent(kind='objection', text='wrong head count')
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

IntentKind = Literal["opt_out", "opt_in", "statement", "objection", "help"]

#: Twilio's own opt-out and opt-in words (Twilio acts on them before our webhook sees them).
TWILIO_STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
)
TWILIO_START_WORDS = frozenset({"START", "YES", "UNSTOP"})

OPT_OUT_PREFIXES = ("退订",)
OPT_OUT_WORDS = TWILIO_STOP_WORDS | {"TD"}
OPT_IN_WORDS = TWILIO_START_WORDS | {"订阅", "恢复订阅"}
STATEMENT_PREFIXES = ("查询",)
STATEMENT_WORDS = frozenset({"CX", "STATEMENT"})
OBJECTION_PREFIXES = ("异议",)
OBJECTION_WORDS = ("OBJECTION", "OBJECT", "OBJ", "YY")  # longest first

#: The keywords the texts tell a household to reply with, per language.
REPLY_KEYWORDS: dict[str, dict[str, str]] = {
    "zh": {"statement": "查询", "objection": "异议", "opt_out": "TD"},
    "en": {"statement": "STATEMENT", "objection": "OBJ", "opt_out": "STOP"},
}

_EDGE_JUNK = " \t\r\n.,;:!?'\"()[]<>+-_~*#/\\|。，、；：！？“”‘’（）【】《》…—·"
_SEPARATORS = re.compile(r"^[\s:;,.+\-_=~*#/|。，、；：！？（）()【】\[\]“”\"'…—·]+")


@dataclass(frozen=True, slots=True)
class Intent:
    kind: IntentKind
    text: str = ""


def normalise(body: str) -> str:
    """NFKC, upper-case Latin letters, collapse inner whitespace, strip edge punctuation."""
    text = unicodedata.normalize("NFKC", body or "")
    text = " ".join(text.split()).upper()
    return text.strip(_EDGE_JUNK)


def parse_inbound(body: str) -> Intent:
    """Classify a household's reply (see the module docstring for the table)."""
    text = normalise(body)
    compact = text.replace(" ", "")
    if compact.startswith(OPT_OUT_PREFIXES) or compact in OPT_OUT_WORDS:
        return Intent("opt_out")
    if compact in OPT_IN_WORDS:
        return Intent("opt_in")
    if compact.startswith(STATEMENT_PREFIXES) or compact in STATEMENT_WORDS:
        return Intent("statement")
    reason = _after_objection_keyword(body, text)
    if reason is not None:
        return Intent("objection", reason)
    return Intent("help")


def _after_objection_keyword(body: str, text: str) -> str | None:
    for prefix in OBJECTION_PREFIXES:
        if text.startswith(prefix):
            return _reason(body, prefix)
    for word in OBJECTION_WORDS:
        if text.startswith(word):
            rest = text[len(word) :]
            if not rest or not (rest[0].isascii() and rest[0].isalnum()):
                return _reason(body, word)
    return None


def _reason(body: str, keyword: str) -> str:
    """The household's own words after the keyword, keeping their case and width."""
    original = unicodedata.normalize("NFKC", body).strip().lstrip(_EDGE_JUNK)
    rest = original[len(keyword) :]
    return _SEPARATORS.sub("", rest).strip()
