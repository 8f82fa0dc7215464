"""The SMS channel: texts, segment counts, senders and webhook checks. Knows nothing of runs."""
from __future__ import annotations
