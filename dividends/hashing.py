"""SHA-256 of files, bytes and frames (canonical CSV), for manifests and audit packs."""
from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # frames are only handed in: the copies (dividends.staging) need no polars
    import polars as pl

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def copy_hashed(source: Path, target: Path) -> str:
    """Copy ``source`` to ``target`` byte for byte and return the SHA-256 of what was written.

    The copy is made by the kernel (``sendfile``/``copy_file_range``: no bytes through Python)
    and the copy is then read back and hashed (so a source changing meanwhile cannot make the
    digest disagree with the copy) through one small buffer, without the GIL: on a thread, it
    runs beside the computation without adding the file's size to the process's memory."""
    shutil.copyfile(source, target)
    with target.open("rb", buffering=0) as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def frame_csv(frame: pl.DataFrame) -> bytes:
    """The one CSV form this project writes for machine files: UTF-8, ``\\n``, header, no index."""
    buffer = io.BytesIO()
    frame.write_csv(buffer, line_terminator="\n")
    return buffer.getvalue()


HASH_ROWS = 100_000
"""Rows rendered at a time by :func:`sha256_frame`."""


def sha256_frame(frame: pl.DataFrame, rows: int = HASH_ROWS) -> str:
    """A hash of a frame's content independent of how it was read: the SHA-256 of its
    canonical CSV bytes (:func:`frame_csv`), rendered ``rows`` lines at a time so that the whole
    CSV text of a large frame is never held (the same bytes, so the same digest as hashing
    ``frame_csv(frame)``: hashes of stored runs do not change)."""
    digest = hashlib.sha256()
    buffer = io.BytesIO()
    for start in range(0, max(frame.height, 1), rows):
        # each slice is written over the last from the start, into the memory it already has
        # (truncating would free it, and every slice would grow a fresh buffer: new pages);
        # only the bytes this slice wrote are hashed
        buffer.seek(0)
        frame.slice(start, rows).write_csv(buffer, include_header=start == 0, line_terminator="\n")
        with buffer.getbuffer() as written, written[:buffer.tell()] as part:
            digest.update(part)
    return digest.hexdigest()


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
