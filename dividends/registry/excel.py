"""What Excel does to long numbers, and how to say so in the user's words.

Excel keeps 15 significant digits of a number: an ID number or account number typed into a
cell that is not formatted as text loses its last digits (``371321198001011234`` becomes
``371321198001011000``) and is shown in scientific notation (``3.71321E+17``).

>>> excel_shows("371321198001011234")
'3.71321E+17'
>>> excel_shows("6.22848E+18"), excel_shows("13800138000"), excel_shows("H001")
('6.22848E+18', '13800138000', 'H001')
"""
from __future__ import annotations

import decimal
import re
import unicodedata

from dividends.files.safe import FORMULA_START  # noqa: F401  (re-exported: one definition)

_NUMBER = re.compile(r"^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?\Z")
GENERAL_DIGITS = 11
"""Excel's General format shows a whole number of up to 11 digits as it is."""

INVISIBLE = "[\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]"
"""Zero-width, soft-hyphen and bidirectional control characters: invisible in a cell, but they
make two ids that look the same differ (or an id display reversed)."""


def excel_shows(text: str) -> str:
    """The cell as Excel's General format shows a number: whole numbers of more than 11 digits
    in scientific notation with 6 significant digits (rounded half up); anything else as is."""
    if not _NUMBER.match(text):
        return text
    value = decimal.Decimal(text)
    if value == value.to_integral_value() and value < 10**GENERAL_DIGITS:
        return str(int(value))
    if value < 10**GENERAL_DIGITS:
        return text
    with decimal.localcontext() as context:
        context.rounding = decimal.ROUND_HALF_UP
        mantissa, exponent = f"{value:.5E}".split("E")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}E+{int(exponent):02d}"


def describe_character(char: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``: a character named so that a person can find it."""
    return f"U+{ord(char):04X} {unicodedata.name(char, 'UNNAMED CHARACTER')}"
