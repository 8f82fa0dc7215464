"""SHA-256 of files, bytes and frames (canonical CSV), for manifests and audit packs."""
from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import polars as pl

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def copy_hashed(source: Path, target: Path) -> str:
    """Copy ``source`` to ``target`` byte for byte and return its SHA-256, reading it once."""
    digest = hashlib.sha256()
    with source.open("rb") as inp, target.open("wb") as out:
        while chunk := inp.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def frame_csv(frame: pl.DataFrame) -> bytes:
    """The one CSV form this project writes for machine files: UTF-8, ``\\n``, header, no index."""
    buffer = io.BytesIO()
    frame.write_csv(buffer, line_terminator="\n")
    return buffer.getvalue()


def sha256_frame(frame: pl.DataFrame) -> str:
    """A hash of a frame's content independent of how it was read (canonical CSV bytes)."""
    return sha256_bytes(frame_csv(frame))


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
