"""The ledger's messages, in Chinese and English.

Every message names the village and the entry (``#seq``), says what was expected and what was
found, and, where it helps, what probably happened (an edited, deleted or reordered entry).
"""
from __future__ import annotations

from pathlib import Path

from schemes.i18n import load_catalog

load_catalog(Path(__file__).parents[1] / "locale", "dividends")
