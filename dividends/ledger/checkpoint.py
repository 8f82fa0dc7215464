"""Checkpoints: the villages' chain heads, signed, kept outside the database.

The chain head stored next to the entries (``ledger_head``) detects a deleted or edited entry,
but whoever can rewrite the entries can rewrite the head too. A checkpoint is a copy of every
village's head at one moment, signed with HMAC-SHA256 under a key the county keeps
(``LEDGER_CHECKPOINT_KEY``; the village's database never holds it). The county downloads and
keeps the file; later, :func:`anchored` checks that each village's chain still holds, at the
checkpoint's seq, the entry with the checkpoint's hash. A chain that grew since is fine; a
chain rewritten at or before the checkpoint (entries and head together) is not.

The file is JSON::

    {"format": "dividends.ledger-checkpoint/1", "created_at": "...", "heads":
     {"V1": {"seq": 12, "hash": "..."}, ...}, "signature": "<hex HMAC-SHA256 of the body>"}

where the body is the same object without ``signature``, serialised with sorted keys, no
spaces, ASCII only.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dividends.ledger.checks import LedgerError
from dividends.ledger.entries import Entry
from dividends.ledger.hashes import ChainHead
from schemes.i18n import Msg

FORMAT = "dividends.ledger-checkpoint/1"


class CheckpointError(ValueError):
    """The checkpoint file cannot be trusted or read (bad JSON, wrong format, bad signature)."""

    def __init__(self, msg: Msg) -> None:
        self.msg = msg
        super().__init__(msg.text("en"))

    def text(self, lang: str | None = None) -> str:
        return self.msg.text(lang)


@dataclass(frozen=True)
class Checkpoint:
    created_at: str
    heads: dict[str, ChainHead]


def _body_bytes(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _sign(body: Mapping[str, Any], key: str) -> str:
    return hmac.new(key.encode("utf-8"), _body_bytes(body), hashlib.sha256).hexdigest()


def write(heads: Mapping[str, ChainHead], key: str, created_at: datetime) -> bytes:
    """The signed checkpoint file's bytes (villages in sorted order)."""
    body = {"format": FORMAT, "created_at": created_at.isoformat(),
            "heads": {v: {"seq": h.seq, "hash": h.hash} for v, h in sorted(heads.items())}}
    return json.dumps({**body, "signature": _sign(body, key)}, indent=2, sort_keys=True,
                      ensure_ascii=False).encode("utf-8") + b"\n"


def read(data: bytes, key: str, name: str) -> Checkpoint:
    """The checkpoint in ``data`` after checking its format and signature (``name`` is how
    messages name the file)."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise CheckpointError(Msg("ledger.checkpoint.unreadable", file=name, detail=str(exc)[:200])) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise CheckpointError(Msg("ledger.checkpoint.format", file=name, found=found, expected=FORMAT))
    signature = doc.pop("signature", None)
    if not isinstance(signature, str) or not hmac.compare_digest(signature, _sign(doc, key)):
        raise CheckpointError(Msg("ledger.checkpoint.signature", file=name))
    heads: dict[str, ChainHead] = {}
    raw = doc.get("heads")
    if not isinstance(raw, dict):
        raise CheckpointError(Msg("ledger.checkpoint.unreadable", file=name, detail="'heads' is not an object"))
    for village, head in raw.items():
        if not (isinstance(head, dict) and isinstance(head.get("seq"), int) and isinstance(head.get("hash"), str)):
            raise CheckpointError(Msg("ledger.checkpoint.unreadable", file=name, detail=f"head of {village}"))
        heads[village] = ChainHead(head["seq"], head["hash"])
    return Checkpoint(str(doc.get("created_at", "")), heads)


def anchored(village_id: str, entries: Sequence[Entry], anchor: ChainHead) -> list[LedgerError]:
    """The village's chain still holds, at the anchor's seq, the entry with the anchor's hash
    (entries appended since are fine; the other checks of :func:`verify` check their links)."""
    at = next((e for e in entries if e.seq == anchor.seq), None)
    if at is None:
        return [LedgerError(village_id, anchor.seq, "checkpoint", Msg(
            "ledger.checkpoint.missing", village=village_id, seq=anchor.seq,
            found_seq=entries[-1].seq if entries else 0))]
    if at.hash != anchor.hash:
        return [LedgerError(village_id, anchor.seq, "checkpoint", Msg(
            "ledger.checkpoint.differs", village=village_id, seq=anchor.seq,
            found=at.hash[:12], expected=anchor.hash[:12]))]
    return []


def verify_against(entries_by_village: Mapping[str, Sequence[Entry]], checkpoint: Checkpoint) -> list[LedgerError]:
    """Every village of the checkpoint still holds its checkpointed entry."""
    return [error for village, anchor in sorted(checkpoint.heads.items())
            for error in anchored(village, entries_by_village.get(village, ()), anchor)]
