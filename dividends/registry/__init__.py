"""Reading and validating the household registry and the returns file.

Canonical frames (exact dtypes):

* households: ``household_id, village_id, head_name, id_number`` (String, ``X`` upper case),
  ``phone`` (String: an 11-digit mobile, a landline with its ``0`` such as ``01065529988``,
  or ``""``; see :mod:`notify.phones`), ``members`` (Int64 >= 1), ``able_members``
  (Int64, 0..members), ``status`` (``poor|exited|monitored|non_poor``), ``shares`` (Int64 >= 0),
  ``capital_fen`` (Int64 >= 0), ``account_no`` (digits or ``""``), ``bank`` (String or ``""``),
  ``language`` (``zh|en``); sorted by (village_id, household_id).
* persons: ``household_id, name`` (String), ``birth_date`` (Date), ``able_to_work``,
  ``student`` (Boolean); sorted by (household_id, name, birth_date).
* posts: ``household_id, person_name, post_type, grade`` (String), ``months_served``
  (Int64, 0..12); sorted by (household_id, person_name, post_type).
* returns: ``village_id`` (String), ``amount_fen`` (Int64 >= 0); sorted by village_id.
"""

from __future__ import annotations

from dividends.registry.columns import (
    HOUSEHOLD_COLUMNS,
    MEMBER_COLUMNS,
    POST_COLUMNS,
    RETURN_COLUMNS,
    ColumnSpec,
)
from dividends.registry.reading import Table, read_table
from dividends.registry.registry import Registry, read_registry, read_returns

__all__ = [
    "HOUSEHOLD_COLUMNS",
    "MEMBER_COLUMNS",
    "POST_COLUMNS",
    "RETURN_COLUMNS",
    "ColumnSpec",
    "Registry",
    "Table",
    "read_registry",
    "read_returns",
    "read_table",
]
