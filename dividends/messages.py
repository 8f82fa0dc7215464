"""Message catalog of the payout engine's commands and services (zh + en)."""
from __future__ import annotations

from pathlib import Path

import dividends.policy  # noqa: F401  (registers the run-state labels, state.<name>)
from schemes.i18n import load_catalog

load_catalog(Path(__file__).with_name("locale"), "dividends")


