"""Runs, their allocation lines, asset returns, pinned scheme versions and objections (the only
place with their ORM queries; the transition rules stay in dividends/runs.py)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from dividends.store.bulk import insert_rows
from dividends.store.models import (
    AllocationLine, AssetReturn, Household, Objection, Run, SchemeVersion, Village,
)

LINE_COLUMNS = ["run_id", "recipient_kind", "recipient_id", "amount_fen", "breakdown"]


# ------------------------------------------------------------------------------ runs


async def run_by_id(run_id: int) -> Run | None:
    return await Run.get_or_none(id=run_id).prefetch_related("village", "scheme", "snapshot", "asset_return")


async def move_state(run_id: int, sources: Sequence[str], target: str, **values: object) -> int:
    """Set ``target`` (and ``values``) on the run if it is in one of ``sources``: the number of
    rows changed (0 or 1), the conditional update that makes a transition happen once."""
    return await Run.filter(id=run_id, state__in=list(sources)).update(state=target, **values)


async def create_run(**fields: object) -> Run:
    return await Run.create(**fields)


async def live_runs_of_return(asset_return_id: int, not_live: Sequence[str]) -> list[Run]:
    return list(await Run.filter(asset_return_id=asset_return_id, kind__not="reversal",
                                 state__not_in=list(not_live)).order_by("id"))


async def pending_reversal_of(run_id: int) -> Run | None:
    return await Run.filter(reverses_id=run_id, kind="reversal", state__in=["computed", "closed"]).first()


async def correction_of(run_id: int) -> Run | None:
    """The correction run replacing the reversed run ``run_id`` (not a cancelled one)."""
    return await Run.filter(replaces_id=run_id, state__not="cancelled").order_by("-id").first()


# ---------------------------------------------------------------------------- lines


async def insert_lines(rows: Sequence[Sequence[object]]) -> None:
    """Allocation lines as (run_id, recipient_kind, recipient_id, amount_fen, breakdown)."""
    await insert_rows(AllocationLine._meta.db_table, LINE_COLUMNS, rows)


async def line_rows(run_id: int) -> list[tuple[str, str, int, object]]:
    """(recipient_kind, recipient_id, amount_fen, breakdown), by kind and recipient."""
    return await AllocationLine.filter(run_id=run_id).order_by("recipient_kind", "recipient_id").values_list(
        "recipient_kind", "recipient_id", "amount_fen", "breakdown")


# ---------------------------------------------------------------- villages, returns


async def village_by_code(code: str) -> Village | None:
    return await Village.get_or_none(code=code)


async def get_or_create_return(village: Village, period: int, asset: str,
                               defaults: dict[str, object]) -> tuple[AssetReturn, bool]:
    return await AssetReturn.get_or_create(village=village, period=period, asset=asset, defaults=defaults)


async def return_for_update(village: Village, period: int, asset: str) -> AssetReturn | None:
    return await AssetReturn.select_for_update().get_or_none(village=village, period=period, asset=asset)


async def lock_return(asset_return_id: int) -> AssetReturn:
    return await AssetReturn.select_for_update().get(id=asset_return_id)


async def save_return_amount(row: AssetReturn, amount_fen: int) -> None:
    row.amount_fen = amount_fen
    await row.save(update_fields=["amount_fen"])


async def returns_of_village(village_code: str) -> list[AssetReturn]:
    return list(await AssetReturn.filter(village__code=village_code).order_by("-period", "asset"))


async def returns_of_period(village: Village, period: int, asset: str | None) -> list[AssetReturn]:
    return list(await AssetReturn.filter(village=village, period=period, **({"asset": asset} if asset else {})))


# -------------------------------------------------------------------------- schemes


async def scheme_version(scheme_id: str, version: object) -> SchemeVersion | None:
    return await SchemeVersion.get_or_none(scheme_id=scheme_id, version=version)


async def create_scheme_version(**fields: object) -> SchemeVersion:
    return await SchemeVersion.create(**fields)


# ---------------------------------------------------------------- households, objections


async def household_in_snapshot(snapshot_id: int, household_id: str) -> bool:
    return await Household.filter(snapshot_id=snapshot_id, household_id=household_id).exists()


async def objection_by_sid(message_sid: str) -> Objection | None:
    return await Objection.get_or_none(message_sid=message_sid)


async def objection_by_id(objection_id: int) -> Objection | None:
    return await Objection.get_or_none(id=objection_id).prefetch_related("run__village")


async def create_objection(**fields: object) -> Objection:
    return await Objection.create(**fields)


async def resolve_open_objection(objection_id: int, resolution: str, actor: str, at: datetime) -> None:
    await Objection.filter(id=objection_id, status="open").update(
        status="resolved", resolution=resolution, resolved_by=actor, resolved_at=at)


async def open_objections(run: Run) -> list[str]:
    """Households with an open objection on the run, in household order (repeats kept)."""
    return list(await Objection.filter(run=run, status="open").order_by("household_id")
                .values_list("household_id", flat=True))
