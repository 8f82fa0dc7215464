"""Masking names, phone numbers and account numbers for texts, logs and pages.

No SMS text, log line or error message of this package carries a full phone, ID or account
number: texts show a name as ``张*明``, an account as ``尾号1234`` and a phone as
``+86 138****8000``.

>>> mask_name("张三明"), mask_name("张三"), mask_name("欧阳小明"), mask_name("Li Ming")
('张*明', '张*', '欧阳*明', 'Li M.')
>>> mask_account("6222 0212 3456 7891 234", "zh"), mask_account("6222021234567891234", "en")
('尾号1234', 'ending 1234')
>>> mask_phone("+8613800138000")
'+86 138****8000'
"""

from __future__ import annotations

import re

from notify import phones

_DIGIT = re.compile(r"\d")
_NON_DIGIT = re.compile(r"\D")
#: Eight or more digits in a row (single spaces allowed between them): a phone, ID or account.
_LONG_NUMBER = re.compile(r"\d(?: ?\d){7,}")
#: A phone-like token inside free text (an error message from the API, say).
_PHONE_LIKE = re.compile(r"\+?\d[\d ]{5,}\d")


#: Compound (two-character) surnames common enough to appear in a village registry. A name
#: starting with one of these keeps both characters: ``欧阳小明`` -> ``欧阳*明`` (keeping only
#: the first character would give ``欧**明``, which hides half of the family name).
COMPOUND_SURNAMES: frozenset[str] = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 端木 西门 南宫 独孤 "
    "呼延 百里 东郭 拓跋 第五 左丘 钟离 赫连 濮阳 申屠 澹台 公冶 太史 闻人 万俟 鲜于 闾丘 司空 "
    "南门 东门 公羊 梁丘 羊舌 微生 乐正 单于 仲孙 颛孙 漆雕 巫马 段干 子车 亓官".split()
)


def mask_name(name: str) -> str:
    """Keep the surname and the last character of a name and hide the rest.

    Two characters keep the first (``张三`` → ``张*``); one character gets a star after it; a
    common compound surname stays whole (``欧阳小明`` → ``欧阳*明``, ``欧阳明`` → ``欧阳*``); a
    name written in words (``Li Ming``) keeps the first word and the initials of the others.
    The SMS texts and the public notice both use this, so a household sees one masked form.
    """
    name = name.strip()
    if not name:
        raise ValueError("a household name is required")
    if len(name) >= 3 and " " not in name and name[:2] in COMPOUND_SURNAMES:
        return name[:2] + mask_name("_" + name[2:])[1:]
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
        country = phones.country_code(text) or digits[:2]
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


def mask_id_number(id_number: str) -> str:
    """First six and last four characters kept: ``110105********002X`` (region code and the
    sequence with its check character; the birth date is hidden).

    Shorter texts (a malformed number) keep at most their last two characters, so a mistake in
    the registry never puts a full number on the board.
    """
    text = "".join(id_number.split()).upper()
    if len(text) >= 15:
        return text[:6] + "*" * (len(text) - 10) + text[-4:]
    if len(text) <= 2:
        return "*" * len(text) or "*"
    return "*" * (len(text) - 2) + text[-2:]
