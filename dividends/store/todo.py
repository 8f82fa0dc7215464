"""The counts behind a person's to-do list: runs by state and notice end, failed payments and
failed texts, per village."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from dividends.store.queries import fetch


@dataclass(frozen=True)
class Scope:
    """Whose villages: one village, one township's, some counties, or every village (an admin of none)."""

    village_id: int | None = None
    county_ids: tuple[int, ...] | None = None
    township_id: int | None = None

    def sql(self) -> tuple[str, list[Any]]:
        if self.village_id is not None:
            return "v.id = ?", [self.village_id]
        if self.township_id is not None:
            return "v.township_id = ?", [self.township_id]
        if self.county_ids is None:
            return "1 = 1", []
        if not self.county_ids:
            return "1 = 0", []
        return "v.county_id IN (" + ", ".join("?" for _ in self.county_ids) + ")", list(self.county_ids)


async def publicized_runs(scope: Scope) -> list[dict[str, Any]]:
    """Runs in their notice period or past it (still waiting for approval)."""
    where, params = scope.sql()
    return await fetch("SELECT r.id, r.period, r.notice_end, r.prepared_by, v.code, v.name FROM run r "
                       f"JOIN village v ON v.id = r.village_id WHERE r.state = 'publicized' AND {where} "
                       "ORDER BY r.notice_end, r.id", *params)


async def plans_to_review(scope: Scope) -> list[dict[str, Any]]:
    """Computed or publicized regular runs (a plan the township reviews and files)."""
    where, params = scope.sql()
    return await fetch("SELECT r.id, r.period, r.content_hash, v.code, v.name FROM run r "
                       "JOIN village v ON v.id = r.village_id WHERE r.state IN ('computed', 'publicized') "
                       f"AND r.kind <> 'reversal' AND {where} ORDER BY r.id", *params)


async def failed_payments(scope: Scope) -> list[dict[str, Any]]:
    """Per run: households whose latest payout item failed (not paid since, not re-issued)."""
    where, params = scope.sql()
    return await fetch(
        "SELECT r.id, r.period, v.code, v.name, COUNT(*) AS n FROM payout_item p JOIN run r ON r.id = p.run_id "
        f"JOIN village v ON v.id = r.village_id WHERE p.status = 'failed' AND r.state IN ('paid', 'approved') AND {where} "
        "AND NOT EXISTS (SELECT 1 FROM payout_item q WHERE q.run_id = p.run_id AND q.household_id = p.household_id "
        "AND q.id > p.id) GROUP BY r.id, r.period, v.code, v.name ORDER BY r.id", *params)


async def failed_texts(scope: Scope) -> list[dict[str, Any]]:
    """Per run: texts that finally failed or were not delivered, with no later attempt."""
    where, params = scope.sql()
    return await fetch(
        "SELECT r.id, r.period, v.code, v.name, COUNT(*) AS n FROM notice n JOIN run r ON r.id = n.run_id "
        f"JOIN village v ON v.id = r.village_id WHERE n.status IN ('failed', 'undelivered') AND {where} "
        "AND NOT EXISTS (SELECT 1 FROM notice m WHERE m.run_id = n.run_id AND m.household_id = n.household_id "
        "AND m.kind = n.kind AND m.attempt > n.attempt) GROUP BY r.id, r.period, v.code, v.name ORDER BY r.id", *params)


def as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
