"""The chart of accounts of a village, with Beancount-valid names.

Per village ``V`` (every id passed through :func:`component`)::

    Assets:Bank:V                     the bank account the payout is paid from
    Income:AssetReturn:V              the asset's return (PV power, tourism, dividends...)
    Expenses:DistributablePool:V      the pool a run appropriates
    Liabilities:Payable:V:H           owed to household H (accrued at approval, paid by the bank)
    Assets:Receivable:V:H             owed by household H (a debt recorded, recovered from its payouts)
    Equity:Collective:V:A             the collective and its funds (collective, carry_over, ...)

Beancount accepts an account component that starts with an upper-case letter or a digit and
goes on with letters, digits and ``-``. Registry and scheme ids do not always look like that
(``carry_over``, ``h.001``, ``张家村``), so :func:`component` maps any id to a valid component:

- an id that already is a valid component and holds no ``--`` is kept as it is:
  ``V0001-00001 -> V0001-00001``;
- any other id is made readable (an ASCII lower-case first letter is upper-cased, a first
  character that may not start a component gets an ``X`` in front, every character that is
  neither a letter nor a digit becomes ``-``, runs of ``-`` collapse), and ``--`` and the first
  16 hex digits of the SHA-256 of the id are appended:

  >>> component("carry_over")
  'Carry-over--2ef4e1b7268205fb'
  >>> component("张家村")
  'X张家村--877ff21ba1a7d896'

The readable part never contains ``--`` and kept ids never contain it either, so a kept id and
a rewritten one never collide; two rewritten ids collide only if their 64-bit hash prefixes do
(odds about 3e-8 for a million ids that share one readable part). Letters of any script are kept
because Beancount allows them after the first character, which keeps Chinese ids readable.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata

import polars as pl

ROOTS = ("Assets", "Liabilities", "Equity", "Income", "Expenses")
HASH_DIGITS = 16
MARK = "--"

# An ASCII id kept unchanged: a valid component without "--" (one regex, used by polars too).
_ASCII_KEPT = r"^[A-Z0-9](?:[A-Za-z0-9]|-[A-Za-z0-9])*-?$"
_ASCII_KEPT_RE = re.compile(_ASCII_KEPT)
_ASCII_OTHER_RE = re.compile(r"[^A-Za-z0-9]+")
_ASCII_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def _letter_or_digit(char: str) -> bool:
    """Beancount's ``[\\p{L}\\p{Nd}]``."""
    category = unicodedata.category(char)
    return category[0] == "L" or category == "Nd"


def is_valid_component(text: str) -> bool:
    """Whether Beancount accepts ``text`` as a component after the root
    (``[\\p{Lu}\\p{Nd}][\\p{L}\\p{Nd}-]*``)."""
    if not text or unicodedata.category(text[0]) not in ("Lu", "Nd"):
        return False
    return all(c == "-" or _letter_or_digit(c) for c in text[1:])


def _kept(text: str) -> bool:
    if _ASCII_KEPT_RE.fullmatch(text):  # fullmatch: "$" alone would accept "A\n"
        return True
    if MARK in text or text.isascii():
        return False
    # Non-ASCII ids: keep only when the first character is an ASCII capital or digit, so the
    # rule does not depend on how a Unicode version classes an unusual first letter.
    return bool(text) and text[0] in _ASCII_START and is_valid_component(text)


def component(text: str) -> str:
    """A Beancount-valid account component for any id; injective and deterministic.

    >>> component("V0001"), component("h.001"), component("Welfare fund")
    ('V0001', 'H-001--391412d9a0f74f86', 'Welfare-fund--dd0ee5706f550556')
    """
    if _kept(text):
        return text
    if text.isascii():
        readable = _ASCII_OTHER_RE.sub("-", text).strip("-")
    else:
        readable = re.sub(r"-+", "-", "".join(c if _letter_or_digit(c) else "-" for c in text)).strip("-")
    if readable and "a" <= readable[0] <= "z":
        readable = readable[0].upper() + readable[1:]
    if not readable or readable[0] not in _ASCII_START:
        readable = "X" + readable
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_DIGITS]
    return f"{readable}{MARK}{digest}"


def component_series(ids: pl.Series) -> pl.Series:
    """:func:`component` over a series; maps only the distinct ids that need rewriting."""
    ids = ids.cast(pl.String)
    kept = ids.str.contains(_ASCII_KEPT)
    if kept.all():
        return ids
    todo = ids.filter(~kept).unique()
    mapping = pl.DataFrame({"_id": todo, "_c": [component(t) for t in todo.to_list()]},
                           schema={"_id": pl.String, "_c": pl.String})
    out = pl.DataFrame({"_id": ids}).join(mapping, on="_id", how="left", maintain_order="left")
    return out.select(pl.coalesce("_c", "_id"))["_c"].alias(ids.name)


# ------------------------------------------------------------------ the chart of one village

def bank(village_id: str) -> str:
    return f"Assets:Bank:{component(village_id)}"


def asset_income(village_id: str) -> str:
    return f"Income:AssetReturn:{component(village_id)}"


def distributable_pool(village_id: str) -> str:
    return f"Expenses:DistributablePool:{component(village_id)}"


def payable(village_id: str, household_id: str) -> str:
    return f"Liabilities:Payable:{component(village_id)}:{component(household_id)}"


def receivable(village_id: str, household_id: str) -> str:
    return f"Assets:Receivable:{component(village_id)}:{component(household_id)}"


def receivables(village_id: str, household_ids: pl.Series) -> pl.Series:
    """``Assets:Receivable:V:H`` for many households at once."""
    prefix = f"Assets:Receivable:{component(village_id)}:"
    return (prefix + component_series(household_ids)).alias("account")


def collective(village_id: str, account: str) -> str:
    return f"Equity:Collective:{component(village_id)}:{component(account)}"


def payables(village_id: str, household_ids: pl.Series) -> pl.Series:
    """``Liabilities:Payable:V:H`` for many households at once (no Python loop for valid ids)."""
    prefix = f"Liabilities:Payable:{component(village_id)}:"
    return (prefix + component_series(household_ids)).alias("account")


def collectives(village_id: str, accounts: pl.Series) -> pl.Series:
    prefix = f"Equity:Collective:{component(village_id)}:"
    return (prefix + component_series(accounts)).alias("account")


def is_valid_account(name: str) -> bool:
    """A name Beancount accepts: a known root and at least one valid component after it."""
    parts = name.split(":")
    return len(parts) >= 2 and parts[0] in ROOTS and all(is_valid_component(p) for p in parts[1:])


def invalid_accounts(accounts: pl.Series) -> list[str]:
    """The distinct names in ``accounts`` that Beancount would reject (checked per distinct name
    only when the fast ASCII check fails)."""
    roots = "|".join(ROOTS)
    fast = accounts.str.contains(rf"^(?:{roots})(?::[A-Z0-9][A-Za-z0-9\-]*)+$")
    suspects = accounts.filter(~fast | fast.is_null()).unique().sort()
    return [a for a in suspects.to_list() if a is None or not is_valid_account(a)]
