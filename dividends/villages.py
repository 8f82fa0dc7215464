"""Village and county details people see on notices and pages (names, committee contact)."""
from __future__ import annotations

from dividends.runs import refuse
from dividends.store import audit
from dividends.store.models import County, Village
from dividends.store.transactions import transaction

FIELDS = ("name", "contact_name", "contact_phone", "office_address")


async def update_village(code: str, actor: str, *, county_name: str | None = None, **values: str | None) -> Village:
    """Set a village's name and how to reach its committee (and its county's name)."""
    village = await Village.get_or_none(code=code).prefetch_related("county")
    if village is None:
        raise refuse("run.village_unknown", village=code)
    changes = {k: v.strip() for k, v in values.items() if k in FIELDS and v is not None}
    async with transaction():
        if changes:
            await Village.filter(id=village.id).update(**changes)
        if county_name:
            await County.filter(id=village.county.id).update(name=county_name.strip())  # type: ignore[attr-defined]
            changes["county_name"] = county_name.strip()
        if changes:
            await audit.record(actor, "village.update", "village", code, village=village, **changes)
    return await Village.get(code=code)
