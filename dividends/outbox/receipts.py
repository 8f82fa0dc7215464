"""Delivery receipts of the template providers (Aliyun ``SmsReport``, Tencent status callbacks
and pulls, look-ups polled by the worker), applied to notices.

A receipt names its message by the provider's id (``sid``: Aliyun ``BizId``, Tencent
``SerialNo``) and, where the provider carries it, by our correlation key (``notice-42-1``: the
notice and its try). A notice never moves backwards (:func:`notify.status.advances`): a duplicate
receipt, or a late one for a message already final, changes nothing; a receipt for an earlier
try of a notice that has been sent again since is recorded as ignored. A failed delivery is
``undelivered`` with the provider's code (``provider_code``) and description; domestic providers
give no retry advice, so nothing is resent automatically (a person may resend failed notices).
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC
from typing import Literal

from dividends.clock import Clock
from dividends.outbox.callbacks import as_provider
from dividends.outbox.dispatcher import parse_key
from dividends.outbox.fates import DELIVERED, SENDING, SENT, UNDELIVERED
from dividends.store import outbox as store
from notify.senders import Receipt
from notify.status import advances

Result = Literal["applied", "ignored", "unknown"]
POLL_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class ReceiptOutcome:
    result: Result
    notice_id: int | None = None
    status: str | None = None


async def _find(receipt: Receipt) -> store.NoticeState | None:
    if receipt.sid:
        found = await store.notice_by_sid(receipt.sid)
        if found is not None:
            return found
    key = parse_key(receipt.key) if receipt.key else None
    if key is None:
        return None
    found = await store.notice_by_id(key[0])
    if found is None or found.tries != key[1]:
        return None  # an earlier try's message (the notice was sent again since)
    return found


async def apply_receipt(receipt: Receipt, clock: Clock, *, wait_seconds: float = 2.0) -> ReceiptOutcome:
    """Apply one receipt (the push's token or the pull's credentials already checked)."""
    deadline = time.monotonic() + wait_seconds
    for _ in range(5):
        notice = await _find(receipt)
        while (notice is None or notice.status == SENDING) and time.monotonic() < deadline:
            await asyncio.sleep(POLL_SECONDS)  # the dispatcher records SIDs in batches
            notice = await _find(receipt)
        if notice is None:
            return ReceiptOutcome("unknown")
        if notice.status == SENDING or not advances(as_provider(notice.status), receipt.status):
            return ReceiptOutcome("ignored", notice.id, notice.status)
        now = (receipt.at or clock.now()).astimezone(UTC)
        if receipt.status == "delivered":
            changed = await store.change_notice(notice, status=DELIVERED, final_at=now)
            new = DELIVERED
        elif receipt.status in ("failed", "undelivered"):
            reason = (f"{receipt.code}: {receipt.description}" if receipt.description else receipt.code) or "failed"
            changed = await store.change_notice(notice, status=UNDELIVERED, final_at=now,
                                                provider_code=(receipt.code or "")[:64], error_message=reason[:500])
            new = UNDELIVERED
        else:
            return ReceiptOutcome("ignored", notice.id, notice.status)
        if changed:
            return ReceiptOutcome("applied", notice.id, new)
    return ReceiptOutcome("ignored")


__all__ = ["ReceiptOutcome", "SENT", "apply_receipt"]
