"""Village and county details people see on notices and pages (names, committee contact)."""
from __future__ import annotations

from typing import Any

from dividends.runs import refuse
from dividends.store import places
from schemes.i18n import Msg
from schemes.problems import InputError, Problem

FIELDS = ("name", "contact_name", "contact_phone", "office_address")
#: how many characters each field keeps (the columns' lengths)
FIELD_LIMITS = {"name": 128, "contact_name": 64, "contact_phone": 32, "office_address": 255}
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


def _field_problem(field: str, value: str) -> Msg | None:
    """Why ``value`` cannot be the village's ``field`` (None: it can): a village keeps a name;
    no column stores a NUL character or more than its length."""
    if field == "name" and not value:
        return Msg("web.form.required", field=field)
    if "\x00" in value:
        return Msg("web.form.nul", field=field)
    if len(value) > FIELD_LIMITS[field]:
        return Msg("web.form.too_long", field=field, max=FIELD_LIMITS[field])
    return None


async def update_village(code: str, actor: str, *, county_name: str | None = None, **values: str | None) -> Any:
    """Set a village's name and how to reach its committee (and its county's name). The rules
    (who may) are checked by :func:`dividends.usecases.villages.update`."""
    changes = {k: v.strip() for k, v in values.items() if k in FIELDS and v is not None}
    problems = [Problem(msg) for msg in (_field_problem(k, v) for k, v in changes.items()) if msg is not None]
    if problems:  # what the columns can hold, said before anything is written
        raise InputError(problems)
    village = await places.update_village(code, actor, changes, county_name.strip() if county_name else None)
    if village is None:
        raise refuse("run.village_unknown", village=code)
    return village
