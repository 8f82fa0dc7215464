"""Aliyun SMS pushes (``SmsReport`` receipts, ``SmsUp`` replies) as :class:`~notify.senders.Receipt`
and :class:`~notify.senders.Reply`.

No SDK here (the web app parses pushes without loading the provider's SDK). The pushes are
unsigned: the webhook checks the secret token in its URL first.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from notify.senders import Receipt, Reply
from notify.template_sender import CHINA

#: Answer the provider expects to a push (anything else makes it push again).
PUSH_ANSWER = {"code": 0, "msg": "成功"}


def moment(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA)
    except (TypeError, ValueError):
        return None


def _items(body: bytes) -> list[dict[str, Any]]:
    data = json.loads(body)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(i, dict) for i in data):
        raise ValueError("expected a JSON array of objects")
    return data


def parse_report(body: bytes) -> list[Receipt]:
    """An ``SmsReport`` push: ``[{"biz_id", "out_id", "success", "err_code", "phone_number", ...}]``.

    Raises ``ValueError`` for anything that is not such an array.
    """
    out = []
    for item in _items(body):
        if not item.get("biz_id") and not item.get("out_id"):
            raise ValueError("a report needs biz_id or out_id")
        success = item.get("success") in (True, "true", "True", 1)
        code = str(item.get("err_code") or "") or None
        out.append(Receipt("aliyun", str(item.get("biz_id") or ""), str(item.get("out_id") or ""),
                           "+86" + str(item.get("phone_number") or ""), "delivered" if success else "failed",
                           code, str(item.get("err_msg") or "")[:200], moment(str(item.get("report_time") or ""))))
    return out


def parse_replies(body: bytes) -> list[Reply]:
    """An ``SmsUp`` push: ``[{"phone_number", "content", "send_time", "sequence_id", ...}]``."""
    out = []
    for item in _items(body):
        phone, text = str(item.get("phone_number") or ""), item.get("content")
        if not phone or text is None:
            raise ValueError("a reply needs phone_number and content")
        sid = f"aliyun-up:{item.get('sequence_id') or ''}:{phone[-4:]}:{item.get('send_time') or ''}"
        out.append(Reply("aliyun", sid, "+86" + phone.removeprefix("+86"), str(text),
                         moment(str(item.get("send_time") or ""))))
    return out
