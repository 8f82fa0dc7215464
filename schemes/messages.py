"""Message catalog of the schemes package (scheme files and computation), zh + en."""
from __future__ import annotations

from pathlib import Path

from schemes.i18n import load_catalog

load_catalog(Path(__file__).with_name("locale"), "schemes")
