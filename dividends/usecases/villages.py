"""Villages: created and described by an administrator of their county (or of every county)."""
from __future__ import annotations

from typing import Any

from dividends import access, villages
from dividends.actors import Actor
from dividends.policy import allow
from dividends.usecases import scope


async def create(actor: Actor, code: str, name: str, *, county: str, county_name: str = "", contact_name: str = "",
                 contact_phone: str = "", office_address: str = "") -> Any:
    """A new village (and its county if new); a county's administrator creates only in its county."""
    allow(actor, "villages.manage")
    return await access.create_village(actor, code, name, county=county, county_name=county_name,
                                       contact_name=contact_name, contact_phone=contact_phone,
                                       office_address=office_address)


async def set_language(actor: Actor, code: str, language: str) -> Any:
    """The language of the village's documents (notices, and the SMS of households without a
    language of their own): ``zh`` or ``en``; the village's accountant or an administrator."""
    place = await scope.village(actor, code)
    allow(actor, "village.language", place, what=code)
    return await villages.set_language(place.village_code, actor.username, language)


async def update(actor: Actor, code: str, *, county_name: str | None = None, **values: str | None) -> Any:
    """Name a village and say how to reach its committee (shown on the public notice)."""
    place = await scope.village(actor, code)
    allow(actor, "villages.manage", place, what=code)
    return await villages.update_village(place.village_code, actor.username, county_name=county_name, **values)
