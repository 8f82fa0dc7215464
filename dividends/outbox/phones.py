"""Phone numbers of the outbox, through ``phonenumbers``: the registry keeps 11-digit national
mobiles, the SMS channel speaks E.164. Only mainland mobile numbers receive texts (a landline or
a foreign number in the registry gets a ``no_phone`` notice).

``phonenumbers`` parses what people write (spaces, dashes, ``+86``, ``0086``, full-width digits);
a mainland mobile is then any 11-digit national number of the 13x–19x ranges. The library's
finer "assigned range" check is not applied: carriers open new ranges every year, and a number
the registry accepted must not silently lose its text because the library's copy of the plan
is older.

(The registry's own phone module will be the one rule for the registry, the notice and the
outbox; until it lands this module applies the same library.)

>>> to_e164("13800138000"), to_e164(" 138 0013 8000 "), to_e164(""), to_e164("010-1234567")
('+8613800138000', '+8613800138000', None, None)
>>> to_e164("+86 138-0013-8000"), to_e164("008613800138000"), to_e164("12345678901")
('+8613800138000', '+8613800138000', None)
>>> national("+8613800138000"), national("+15005550006")
('13800138000', None)
"""
from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

COUNTRY = "+86"
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


@lru_cache(maxsize=65_536)
def _mainland_mobile(text: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, "CN")
    except NumberParseException:
        return None
    if number.country_code != 86 or not _MOBILE.match(str(number.national_number)):
        return None
    return number


def to_e164(registry_phone: str) -> str | None:
    """``+86`` and the national number, or ``None`` when it is not a mainland mobile number."""
    text = (registry_phone or "").strip()
    if text.startswith("0086"):
        text = "+" + text[2:]
    number = _mainland_mobile(text) if text else None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164) if number is not None else None


def national(e164: str) -> str | None:
    """The 11-digit national mobile of a ``+86`` number (as the registry holds it), else ``None``."""
    text = (e164 or "").strip()
    if not text.startswith(COUNTRY):
        return None
    number = _mainland_mobile(text)
    return str(number.national_number) if number is not None else None
