"""Masking names, phone numbers and account numbers for texts, logs and pages.

No SMS text, log line or error message of this package carries a full phone, ID or account
number: texts show a name as ``张*明``, an account as ``尾号1234`` and a phone as
``+86 138****8000``.

>>> mask_name("张三明"), mask_name("张三"), mask_name("欧阳小明"), mask_name("Li Ming")
('张*明', '张*', '欧**明', 'Li M.')
>>> mask_account("6222 0212 3456 7891 234", "zh"), mask_account("6222021234567891234", "en")
('尾号1234', 'ending 1234')
>>> mask_phone("+8613800138000")
'+86 138****8000'
"""

from __future__ import annotations

import re

_DIGIT = re.compile(r"\d")
_NON_DIGIT = re.compile(r"\D")
#: Eight or more digits in a row (single spaces allowed between them): a phone, ID or account.
_LONG_NUMBER = re.compile(r"\d(?: ?\d){7,}")
#: A phone-like token inside free text (an error message from the API, say).
_PHONE_LIKE = re.compile(r"\+?\d[\d ]{5,}\d")


def mask_name(name: str) -> str:
    """Keep the first and last character of a name and hide the rest.

    Two characters keep the first (``张三`` → ``张*``); one character gets a star after it; a
    name written in words (``Li Ming``) keeps the first word and the initials of the others.
    """
    name = name.strip()
    if not name:
        raise ValueError("a household name is required")
    words = name.split()
    if len(words) > 1:
        return " ".join([words[0], *(w[0] + "." for w in words[1:])])
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_account(account: str, lang: str = "zh") -> str:
    """``尾号1234`` (zh) or ``ending 1234`` (en): the last four digits of an account number."""
    digits = _NON_DIGIT.sub("", account)
    if len(digits) < 4:
        raise ValueError("an account number needs at least four digits")
    tail = digits[-4:]
    return f"尾号{tail}" if lang == "zh" else f"ending {tail}"


def mask_phone(phone: str) -> str:
    """``+8613800138000`` → ``+86 138****8000``: country code, first three and last four digits.

    Short national numbers keep only their last two digits.
    """
    text = phone.strip()
    digits = _NON_DIGIT.sub("", text)
    if not digits:
        return "***"
    country = ""
    national = digits
    if text.startswith("+"):
        country = next((cc for cc in ("86", "1") if digits.startswith(cc)), digits[:2])
        national = digits[len(country) :]
    if len(national) >= 10:
        masked = national[:3] + "*" * (len(national) - 7) + national[-4:]
    elif len(national) >= 7:
        masked = "*" * (len(national) - 4) + national[-4:]
    else:
        masked = "*" * max(len(national) - 2, 1) + national[-2:]
    return f"+{country} {masked}" if country else masked


def find_unmasked_number(text: str) -> str | None:
    """The first run of eight or more digits in ``text`` (a full phone, ID or account), if any."""
    m = _LONG_NUMBER.search(text)
    return m.group(0) if m else None


def scrub(text: str) -> str:
    """Mask every phone-like number in free text, e.g. an error message quoting the recipient."""

    def _mask(m: re.Match[str]) -> str:
        token = m.group(0)
        return mask_phone(token) if len(_DIGIT.findall(token)) >= 7 else token

    return _PHONE_LIKE.sub(_mask, text)
