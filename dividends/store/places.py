"""Villages, counties and the objects a scope check looks up: the queries behind
:mod:`dividends.access` (which decides, from what these return, who may see what), and villages
as people see them on notices and pages (names, committee contact)."""
from __future__ import annotations

from typing import Any

from dividends.store import audit
from dividends.store.models import BootstrapMarker, County, Objection, PayoutBatch, RegistrySnapshot, Run, Township, User, Village
from dividends.store.transactions import IntegrityError, transaction


async def village_by_code(code: str) -> Village | None:
    """The village with this code, its county loaded."""
    return await Village.get_or_none(code=code).prefetch_related("county")


async def county_by_code(code: str) -> County | None:
    return await County.get_or_none(code=code)


async def township_by_code(code: str) -> Township | None:
    """The township with this code, its county loaded."""
    return await Township.get_or_none(code=code).prefetch_related("county")


async def create_township(actor: str, code: str, name: str, county: County) -> Township:
    """The township with this code (created and recorded when new)."""
    async with transaction():
        row, created = await Township.get_or_create(code=code, defaults={"name": name, "county": county})
        if created:
            await audit.record(actor, "township.create", "township", row.id, code=code, county=county.code)
    return row


async def set_village_township(actor: str, village: Village, township: Township) -> None:
    """Put a village under a township (recorded)."""
    async with transaction():
        await Village.filter(id=village.id).update(township_id=township.id)
        await audit.record(actor, "village.township", "village", village.id, village=village, township=township.code)


def villages(*, village_id: int | None = None, county_id: int | None = None, township_id: int | None = None,
             everything: bool = False) -> Any:
    """Villages as a query (to filter further): one village, a township's, a county's, every one, or none."""
    if everything:
        return Village.all()
    if village_id is not None:
        return Village.filter(id=village_id)
    if township_id is not None:
        return Village.filter(township_id=township_id)
    if county_id is not None:
        return Village.filter(county_id=county_id)
    return Village.filter(id=-1)


async def village_of_run(run_id: int) -> Village | None:
    """The village a run belongs to (None: no such run)."""
    run = await Run.get_or_none(id=run_id).only("id", "village_id")
    if run is None:
        return None
    return await Village.get(id=run.village_id)  # type: ignore[attr-defined]


async def snapshot(snapshot_id: int) -> RegistrySnapshot | None:
    return await RegistrySnapshot.get_or_none(id=snapshot_id).prefetch_related("village", "registry_import")


async def objection(run_id: int, objection_id: int) -> Objection | None:
    return await Objection.get_or_none(id=objection_id, run_id=run_id)


async def batch(run_id: int, number: int) -> PayoutBatch | None:
    return await PayoutBatch.get_or_none(run_id=run_id, number=number)


async def create_village(actor: str, code: str, name: str, *, county: str, county_name: str, contact_name: str,
                         contact_phone: str, office_address: str) -> Village | None:
    """A village (and its county if new), recorded; None when the code is taken."""
    async with transaction():
        if await Village.filter(code=code).exists():
            return None
        county_row, _ = await County.get_or_create(code=county, defaults={"name": county_name or county})
        village = await Village.create(code=code, name=name or code, county=county_row, contact_name=contact_name,
                                       contact_phone=contact_phone, office_address=office_address)
        await audit.record(actor, "village.create", "village", village.id, village=village, code=code, county=county)
    return village


# --------------------------------------------------------------------------- users


class BootstrapDone(Exception):
    """The first administrator exists already (or another is being created right now)."""


async def create_user(actor: str, username: str, password_hash: str, role: str, *, village: Village | None,
                      county: County | None, display_name: str, township: Township | None = None,
                      first: bool = False) -> User | None:
    """A new account, recorded; None when the username is taken. ``first``: the first user of an
    empty database, claimed by the one :class:`BootstrapMarker` row in the same transaction
    (raises :class:`BootstrapDone` when it is claimed already or any user exists)."""
    async with transaction():
        if first:
            try:
                async with transaction():
                    await BootstrapMarker.create(name="first_admin", username=username)
            except IntegrityError:
                raise BootstrapDone from None
            if await User.all().exists():
                raise BootstrapDone
        if await User.filter(username=username).exists():
            return None
        user = await User.create(username=username, password_hash=password_hash, role=role, village=village,
                                 county=county, township=township, display_name=display_name)
        await audit.record(actor, "user.create", "user", user.id, village=village, username=username, role=role,
                           county=county.code if county else None)
    return user


async def all_users() -> list[User]:
    """Every account with its village (and that village's county) and county loaded."""
    return list(await User.all().prefetch_related("village__county", "county").order_by("username"))


async def user(user_id: int) -> User | None:
    return await User.get_or_none(id=user_id).prefetch_related("village__county", "county")


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


async def village_language(village_id: int) -> str:
    row = await Village.get_or_none(id=village_id).only("language")
    return row.language if row is not None and row.language else "zh"


async def user_count() -> int:
    return await User.all().count()


async def user_id(username: str) -> int | None:
    row = await User.get_or_none(username=username.strip()[:64]).only("id")
    return None if row is None else row.id
