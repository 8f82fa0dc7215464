"""Villages and counties as people see them on notices and pages (names, committee contact)."""
from __future__ import annotations

from dividends.store import audit
from dividends.store.models import County, User, Village
from dividends.store.transactions import transaction


async def update_village(code: str, actor: str, changes: dict[str, str], county_name: str | None) -> Village | None:
    """Set a village's fields and its county's name, with an audit event; None when unknown."""
    village = await Village.get_or_none(code=code).prefetch_related("county")
    if village is None:
        return None
    async with transaction():
        if changes:
            await Village.filter(id=village.id).update(**changes)
        if county_name:
            await County.filter(id=village.county.id).update(name=county_name)  # type: ignore[attr-defined]
            changes = {**changes, "county_name": county_name}
        if changes:
            await audit.record(actor, "village.update", "village", code, village=village, **changes)
    return await Village.get(code=code)


async def user_count() -> int:
    return await User.all().count()


async def user_id(username: str) -> int | None:
    row = await User.get_or_none(username=username.strip()[:64]).only("id")
    return None if row is None else row.id
