"""Village and county details people see on notices and pages (names, committee contact)."""
from __future__ import annotations

from typing import Any

from dividends.runs import refuse
from dividends.store import places

FIELDS = ("name", "contact_name", "contact_phone", "office_address")
LANGUAGES = ("zh", "en")


async def set_language(code: str, actor: str, language: str) -> Any:
    """Set the language of a village's documents (audited as a village update)."""
    value = language.strip().lower()
    if value not in LANGUAGES:
        raise refuse("village.language_invalid", found=language, allowed=" | ".join(LANGUAGES))
    village = await places.update_village(code, actor, {"language": value}, None)
    if village is None:
        raise refuse("run.village_unknown", village=code)
    return village


async def document_language(village_id: int) -> str:
    """The language a village's documents are written in (``zh`` unless set otherwise)."""
    return await places.village_language(village_id)


async def update_village(code: str, actor: str, *, county_name: str | None = None, **values: str | None) -> Any:
    """Set a village's name and how to reach its committee (and its county's name). The rules
    (who may) are checked by :func:`dividends.usecases.villages.update`."""
    changes = {k: v.strip() for k, v in values.items() if k in FIELDS and v is not None}
    village = await places.update_village(code, actor, changes, county_name.strip() if county_name else None)
    if village is None:
        raise refuse("run.village_unknown", village=code)
    return village
