"""Phone numbers: the registry keeps 11-digit national mobiles, the SMS channel speaks E.164.

>>> to_e164("13800138000"), to_e164(" 138 0013 8000 "), to_e164(""), to_e164("010-1234567")
('+8613800138000', '+8613800138000', None, None)
>>> national("+8613800138000"), national("+15005550006")
('13800138000', None)
"""
from __future__ import annotations

import re

COUNTRY = "+86"
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def to_e164(registry_phone: str) -> str | None:
    """``+86`` and the national number, or ``None`` when it is not a mainland mobile number."""
    digits = re.sub(r"[\s-]", "", registry_phone or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return COUNTRY + digits if _MOBILE.match(digits) else None


def national(e164: str) -> str | None:
    """The 11-digit national mobile of a ``+86`` number (as the registry holds it), else ``None``."""
    text = (e164 or "").strip()
    if text.startswith(COUNTRY) and _MOBILE.match(text[3:]):
        return text[3:]
    return None
