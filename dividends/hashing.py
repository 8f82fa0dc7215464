"""SHA-256 of files, bytes and frames (canonical CSV), for manifests and audit packs."""
from __future__ import annotations

import hashlib
import io
import json
import mmap
import os
import shutil
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
    """Copy ``source`` to ``target`` byte for byte and return the SHA-256 of what was written.

    The copy is made by the kernel (``sendfile``/``copy_file_range``: no bytes through Python)
    and the copy is hashed from its mapped pages, so a source changing meanwhile cannot make
    the digest disagree with the copy."""
    shutil.copyfile(source, target)
    with target.open("rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return hashlib.sha256().hexdigest()
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return hashlib.sha256(mapped).hexdigest()


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
