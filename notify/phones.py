"""Phone numbers of mainland China, one rule for the registry, the notice and the SMS channel.

The rule is `phonenumbers`' (Google's libphonenumber metadata): a number is a mobile, a
fixed line (landline) or not a phone number of region CN. The registry keeps a mobile as its
11 national digits and a landline as its national digits with the trunk ``0``
(``01012345678``); the SMS channel speaks E.164 (``+8613800138000``) and only to mobiles.

Single values go through :func:`parse`. Whole registry columns go through
:func:`phone_columns`, which uses the same metadata's national-number patterns as polars
regular expressions, so a million rows never make a million Python calls.

>>> to_e164("13800138000"), to_e164(" 138 0013 8000 "), to_e164(""), to_e164("010-12345678")
('+8613800138000', '+8613800138000', None, None)
>>> national("+8613800138000"), national("+15005550006")
('13800138000', None)
>>> parse("010-6552 9988").kind, parse("+86 138-1234-5678").digits, parse("12345").kind
('landline', '13812345678', 'invalid')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import polars as pl

REGION = "CN"
COUNTRY = "+86"
TRUNK = "0"

PhoneKind = Literal["mobile", "landline", "invalid"]

_SEPARATORS = r"[\s\-()（）.]"
_PREFIX = r"(?:(?:\+86|0086|86)0?|0)?"


@dataclass(frozen=True)
class Phone:
    """A phone cell as the registry keeps it: ``digits`` is ``""`` when ``kind`` is invalid."""

    kind: PhoneKind
    digits: str

    @property
    def e164(self) -> str | None:
        return to_e164(self.digits) if self.kind == "mobile" else None


#: region CN's national-number patterns in phonenumbers' metadata (mobile, fixed line), kept here
#: so reading a registry does not import phonenumbers (0.1 s); tests/notify/test_phones.py holds
#: them equal to the installed metadata, so an update of phonenumbers fails that test first
MOBILE_NATIONAL = '1(?:610\\d|740[0-5])\\d{6}|1(?:[38]\\d|4[57]|[59][0-35-9]|6[25-7]|7[0-35-8])\\d{8}'
FIXED_LINE_NATIONAL = (
    '(?:10(?:[02-79]\\d\\d|[18](?:0[1-9]|[1-9]\\d))|2(?:[02-57-9]\\d{3}|1(?:[18](?:0[1-9]|[1-9]\\d)'
    '|[2-79]\\d\\d))|9(?:78|94)\\d\\d)\\d{5}|(?:43[35]|754|851)\\d{7,8}|(?:10|2[0-57-9])(?:1(?:00'
    '|23)\\d\\d|95\\d{3,4})|(?:43[35]|754|851)(?:1(?:00\\d|23)\\d|95\\d{3,4})|9(?:78|94)(?:100\\d\\d'
    '|95\\d{3,4})|(?:3(?:11|7[179])|4(?:[15]1|3[12])|5(?:1\\d|2[37]|3[12]|51|7[13-79]|9[15])|7(?:[39]1'
    '|5[57]|6[09])|8(?:71|98))(?:[02-8]\\d{7}|1(?:0(?:0\\d\\d(?:\\d{3})?|[1-9]\\d{5})|[13-9]\\d{6}'
    '|2(?:[0-24-9]\\d{5}|3\\d(?:\\d{4})?))|9(?:[0-46-9]\\d{6}|5\\d{3}(?:\\d(?:\\d{2})?)?))'
    '|(?:3(?:1[02-9]|35|49|5\\d|7[02-6]|9[1-68])|4(?:1[25-9]|2[179]|3[46-9]|5[2-9]|6[47-9]|7\\d|8[23])'
    '|5(?:3[03-9]|4[36]|5[02-9]|6[1-46]|7[028]|80|9[2-46-9])|6(?:3[1-35]|6[0238]|9[12])|7(?:01|[17]\\d'
    '|2[248]|3[04-9]|4[3-6]|5[0-3689]|6[2368]|9[02-9])|8(?:1[236-8]|2[5-7]|3\\d|5[4-9]|7[02-9]|8[36-8]'
    '|9[1-7])|9(?:0[1-3689]|1[1-79]|3\\d|4[13]|5[1-5]|7[0-79]|9[0-35-9]))(?:[02-8]\\d{6}'
    '|1(?:0(?:0\\d\\d(?:\\d{2})?|[1-9]\\d{4})|[13-9]\\d{5}|2(?:[0-24-9]\\d{4}|3\\d(?:\\d{3})?))'
    '|9(?:[0-46-9]\\d{5}|5\\d{3,5}))'
)


def _patterns() -> tuple[str, str]:
    """(mobile, fixed line) national-number patterns of region CN (phonenumbers' metadata)."""
    return MOBILE_NATIONAL, FIXED_LINE_NATIONAL


def metadata_patterns() -> tuple[str, str]:
    """The same two patterns read from the installed phonenumbers metadata."""
    import phonenumbers

    metadata = phonenumbers.PhoneMetadata.metadata_for_region(REGION)
    assert metadata is not None and metadata.mobile and metadata.fixed_line
    return (
        metadata.mobile.national_number_pattern or "",
        metadata.fixed_line.national_number_pattern or "",
    )


def mobile_pattern() -> str:
    """Anchored regex for a mobile number, with an optional +86/0086/86/0 prefix (group 1 = the
    11 national digits)."""
    return rf"^{_PREFIX}({_patterns()[0]})$"


def landline_pattern() -> str:
    """Anchored regex for a landline with its trunk 0 (or a +86 prefix instead); group 1 = the
    national significant number (without the 0)."""
    return rf"^(?:(?:\+86|0086){TRUNK}?|{TRUNK})({_patterns()[1]})$"


_MOBILE = re.compile(mobile_pattern().replace("$", r"\Z"))


def parse(text: str | None) -> Phone:
    """One phone cell: a mobile, a landline, or invalid (an empty cell is invalid too)."""
    raw = re.sub(_SEPARATORS, "", text or "")
    if not raw:
        return Phone("invalid", "")
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, REGION)
    except phonenumbers.NumberParseException:
        return Phone("invalid", "")
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return Phone("invalid", "")
    national_number = str(number.national_number)
    kind = phonenumbers.number_type(number)
    if kind == phonenumbers.PhoneNumberType.MOBILE:
        return Phone("mobile", national_number)
    if kind in (
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ) and raw.startswith(("+86", "0086", TRUNK)):  # without its 0 it may be a mobile short of a digit
        return Phone("landline", TRUNK + national_number)
    return Phone("invalid", "")


def is_mobile(text: str | None) -> bool:
    return parse(text).kind == "mobile"


def to_e164(registry_phone: str | None) -> str | None:
    """``+86`` and the national number of a mobile, or ``None`` (a landline, nothing, garbage)."""
    match = _MOBILE.match(re.sub(_SEPARATORS, "", registry_phone or ""))
    return COUNTRY + match.group(1) if match else None


def national(e164: str | None) -> str | None:
    """The 11-digit national mobile of a ``+86`` number (as the registry holds it), else None."""
    text = (e164 or "").strip()
    if not text.startswith(COUNTRY):
        return None
    match = _MOBILE.match(text)
    return match.group(1) if match else None


def country_code(text: str) -> str | None:
    """The country calling code of an international ``+`` number (``"86"``, ``"1"``), else None."""
    import phonenumbers

    try:
        number = phonenumbers.parse(text.strip(), None)
    except phonenumbers.NumberParseException:
        return None
    return str(number.country_code) if number.country_code else None


def contains_mobile(text: str) -> bool:
    """True when free text holds a whole mainland mobile number (not part of a longer number)."""
    return re.search(rf"(?<!\d)(?:{_patterns()[0]})(?!\d)", text) is not None


# --------------------------------------------------------------------------- polars


def phone_columns(text: pl.Series) -> pl.DataFrame:
    """A column of phone cells (null = empty) -> ``phone`` (String: the kept digits, null where
    the cell is not a phone number of region CN) and ``kind`` (``mobile``/``landline``, null).

    Separators (spaces, dashes, brackets, dots) are dropped first, on the rows that have them.
    """
    s = text
    if s.str.contains(_SEPARATORS).any():
        s = s.str.replace_all(_SEPARATORS, "")
    # a match of 11 characters has no prefix: it is its own group (a match test is ~7x cheaper
    # than extracting the group); the prefixed few are extracted
    matches = s.str.contains(mobile_pattern()).fill_null(False)
    plain = matches & (s.str.len_bytes() == 11)
    if plain.sum() == s.len() - s.null_count():  # every cell a plain mobile: the column itself
        mobile = s
    else:
        mobile = pl.select(pl.when(plain).then(s)).to_series().alias(s.name)
    prefixed = (matches & ~plain).arg_true()
    if prefixed.len():
        mobile = mobile.scatter(prefixed, s.gather(prefixed).str.extract(mobile_pattern(), 1))
    others = (mobile.is_null() & s.is_not_null()).arg_true()  # few rows: the long pattern runs on them only
    if not others.len():  # every phone a mobile (or empty): no landline column to build
        return mobile.to_frame("phone").select(
            "phone", pl.when(pl.col("phone").is_not_null()).then(pl.lit("mobile")).alias("kind")
        )
    landline = pl.repeat(None, s.len(), dtype=pl.String, eager=True).alias("landline")
    if others.len():
        landline = landline.scatter(others, s.gather(others).str.extract(landline_pattern(), 1))
    frame = pl.DataFrame({"mobile": mobile, "landline": landline})
    return frame.select(
        pl.coalesce(pl.col("mobile"), TRUNK + pl.col("landline")).alias("phone"),
        pl.when(pl.col("mobile").is_not_null())
        .then(pl.lit("mobile"))
        .when(pl.col("landline").is_not_null())
        .then(pl.lit("landline"))
        .alias("kind"),
    )
