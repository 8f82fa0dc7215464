"""Dry-run senders: nothing leaves the machine.

- :class:`ConsoleSender` prints each text to a stream, recipient masked.
- :class:`FileSender` appends one JSON object per text to a file (recipient masked too).

SIDs are derived from the notice ``reference`` (``SM`` + 32 hex of its SHA-256), so a dry run is
reproducible. Neither posts status callbacks; both answer ``find_existing`` with ``None``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from notify.privacy import mask_phone
from notify.segments import count_segments
from notify.senders import BaseSender, OutgoingSms, SendResult, check_outgoing


def dry_run_sid(reference: str) -> str:
    """``SM`` + the first 32 hex digits of SHA-256(reference)."""
    return "SM" + hashlib.sha256(reference.encode("utf-8")).hexdigest()[:32]


class ConsoleSender(BaseSender):
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    async def send(self, sms: OutgoingSms) -> SendResult:
        check_outgoing(sms)
        info = count_segments(sms.body)
        stream = self._stream or sys.stdout
        stream.write(
            f"[sms dry run] {sms.reference or '-'} → {mask_phone(sms.to)} "
            f"({info.encoding}, {info.segments} segment{'s' if info.segments > 1 else ''})\n"
            f"{sms.body}\n"
        )
        stream.flush()
        return SendResult(dry_run_sid(sms.reference or sms.body), "queued", info.segments)

    async def find_existing(
        self, to: str, since: datetime, body: str, *, key: str = ""
    ) -> SendResult | None:
        return None


class FileSender(BaseSender):
    """Append ``{"sid", "reference", "to", "body", "encoding", "segments", "created_at"}`` lines
    (``to`` masked) to ``path``; the parent directory is created on first send."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._file: TextIO | None = None

    async def send(self, sms: OutgoingSms) -> SendResult:
        check_outgoing(sms)
        info = count_segments(sms.body)
        sid = dry_run_sid(sms.reference or sms.body)
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")
        record = {
            "sid": sid,
            "reference": sms.reference,
            "to": mask_phone(sms.to),
            "body": sms.body,
            "encoding": info.encoding,
            "segments": info.segments,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()
        return SendResult(sid, "queued", info.segments)

    async def find_existing(
        self, to: str, since: datetime, body: str, *, key: str = ""
    ) -> SendResult | None:
        return None

    async def aclose(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            file.close()
