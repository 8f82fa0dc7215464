"""The payout engine: registry, computation runs, ledger, payout files, storage and web."""
from __future__ import annotations

__version__ = "0.1.0"
