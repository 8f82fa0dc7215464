"""schemes/money.py's exact rules on their own: the split's arithmetic width, the Python-integer
fallback, the yuan grammar's edges, formatting and the exact-number bounds."""
from __future__ import annotations
