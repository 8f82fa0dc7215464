"""Message catalog of the payout files and the public notice (zh + en).

Every fixed text of the notice template is here too, so a Chinese and an English notice say
the same things.
"""
from __future__ import annotations

from pathlib import Path

import schemes.messages  # noqa: F401  (yaml.* and file.* messages used by the format loader)
from schemes.i18n import load_catalog

load_catalog(Path(__file__).parents[1] / "locale", "dividends")
