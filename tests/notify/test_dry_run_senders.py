from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

from notify.console import ConsoleSender, FileSender, dry_run_sid
from notify.senders import OutgoingSms, Sender

PHONE = "+8613800138000"


async def test_console_sender_prints_a_masked_recipient_and_the_text() -> None:
    stream = io.StringIO()
    async with ConsoleSender(stream) as sender:
        assert isinstance(sender, Sender)
        result = await sender.send(
            OutgoingSms(PHONE, "【青山村】张*明户：分红1,234.50元", reference="N-7")
        )
        assert await sender.find_existing(PHONE, datetime.now(UTC), "x") is None
    out = stream.getvalue()
    assert "+86 138****8000" in out and PHONE not in out
    assert "N-7" in out and "UCS-2, 1 segment)" in out and "分红1,234.50元" in out
    assert (
        result.sid == dry_run_sid("N-7") and result.sid.startswith("SM") and len(result.sid) == 34
    )


async def test_the_same_reference_gives_the_same_sid() -> None:
    sender = ConsoleSender(io.StringIO())
    first = await sender.send(OutgoingSms(PHONE, "a", reference="N-1"))
    again = await sender.send(OutgoingSms(PHONE, "a", reference="N-1"))
    other = await sender.send(OutgoingSms(PHONE, "a", reference="N-2"))
    assert first.sid == again.sid != other.sid


async def test_file_sender_appends_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "out" / "sms.jsonl"
    async with FileSender(path) as sender:
        await sender.send(OutgoingSms(PHONE, "你好" * 40, reference="N-1"))
    async with FileSender(path) as sender:
        await sender.send(OutgoingSms(PHONE, "hello", reference="N-2"))
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(r["reference"], r["to"], r["encoding"], r["segments"]) for r in lines] == [
        ("N-1", "+86 138****8000", "UCS-2", 2),
        ("N-2", "+86 138****8000", "GSM-7", 1),
    ]
    assert lines[0]["body"] == "你好" * 40 and lines[0]["sid"] == dry_run_sid("N-1")
    assert PHONE not in path.read_text(encoding="utf-8")
