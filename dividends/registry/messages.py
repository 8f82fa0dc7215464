"""The registry readers' messages, in Chinese and English.

Each message says what was expected and what was found; where (file, row, column) is carried by
the :class:`~schemes.problems.Problem` that holds the message.
"""

from __future__ import annotations

from pathlib import Path

from schemes.i18n import load_catalog

load_catalog(Path(__file__).parents[1] / "locale", "dividends")
