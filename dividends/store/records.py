"""Plain records the use-cases see (no ORM row crosses the store boundary through these)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dividends.actors import Place


@dataclass(frozen=True)
class RunFacts:
    """What the rules need to know about a run: where it lives, its state, who prepared it."""

    id: int
    place: Place
    period: int
    kind: str
    state: str
    prepared_by: str
    approved_by: str | None
    asset_return_id: int
    reverses_id: int | None
    replaces_id: int | None
    notice_start: date | None
    notice_end: date | None


@dataclass(frozen=True)
class ObjectionFacts:
    id: int
    run_id: int
    status: str
