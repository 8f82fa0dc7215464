"""Tencent Cloud SMS callbacks (status reports and replies) as :class:`~notify.senders.Receipt`
and :class:`~notify.senders.Reply`.

No SDK here (the web app parses pushes without loading the provider's SDK). The pushes are
unsigned: the webhook checks the secret token in its URL first.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from notify.senders import Receipt, Reply
from notify.template_sender import CHINA

#: Answer the provider expects to a push (anything else makes it push again).
PUSH_ANSWER = {"result": 0, "errmsg": "OK"}


def moment(text: str | None) -> datetime | None:
    try:
        return datetime.strptime(text or "", "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA)
    except ValueError:
        return None


def parse_report(body: bytes) -> list[Receipt]:
    """The status callback: ``[{"sid", "report_status", "errmsg", "mobile", "nationcode", ...}]``."""
    data = json.loads(body)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ValueError("expected a JSON array of status reports")
    out = []
    for item in data:
        if not isinstance(item, dict) or not item.get("sid") or not item.get("report_status"):
            raise ValueError("a status report needs sid and report_status")
        ok = item["report_status"] == "SUCCESS"
        out.append(Receipt("tencent", str(item["sid"]), "", f"+{item.get('nationcode') or 86}{item.get('mobile') or ''}",
                           "delivered" if ok else "failed", None if ok else str(item.get("errmsg") or "FAIL"),
                           str(item.get("description") or "")[:200], moment(item.get("user_receive_time"))))
    return out


def parse_replies(body: bytes) -> list[Reply]:
    """The reply callback: ``{"mobile", "nationcode", "text", "time", "sign", "extend"}``."""
    data = json.loads(body)
    items = data if isinstance(data, list) else [data]
    out = []
    for item in items:
        if not isinstance(item, dict) or not item.get("mobile") or "text" not in item:
            raise ValueError("a reply needs mobile and text")
        phone = f"+{item.get('nationcode') or 86}{item['mobile']}"
        at = item.get("time")
        out.append(Reply("tencent", f"tencent-up:{phone}:{at}", phone, str(item["text"]),
                         datetime.fromtimestamp(int(at), UTC) if str(at or "").isascii() and str(at or "").isdigit() else None))
    return out
