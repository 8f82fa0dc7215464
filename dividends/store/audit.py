"""Audit events: who did what, when. Written in the same transaction as the change."""
from __future__ import annotations

from typing import Any

from dividends.store.models import AuditEvent, Village


async def record(actor: str, action: str, object_type: str, object_id: object, *,
                 village: Village | None = None, **detail: Any) -> None:
    await AuditEvent.create(actor=actor, action=action, object_type=object_type, object_id=str(object_id),
                            village=village, detail=detail)


async def events(object_type: str, object_id: object) -> list[AuditEvent]:
    return await AuditEvent.filter(object_type=object_type, object_id=str(object_id)).order_by("id")
