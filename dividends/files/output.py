"""Writing a file whole or not at all, and what was written (:class:`FileInfo`)."""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from dividends.hashing import sha256_file


@dataclass(frozen=True)
class FileInfo:
    """A written payout file: where, its SHA-256, how many payment rows and their total."""

    path: Path
    sha256: str
    rows: int
    total_fen: int

    def unchanged(self) -> bool:
        """True when the file on disk still has the bytes that were written.

        Check it before uploading: a CSV opened and saved again in Excel is not the same file
        (long numbers may have lost digits).
        """
        return self.path.is_file() and sha256_file(self.path) == self.sha256


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path next to ``path``; renamed onto ``path`` when the block succeeds and
    removed when it fails, so a reader never sees half a file.

    The file is created readable and writable by its owner only (0600): a bank file holds full
    ID and account numbers.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    temp = Path(tmp)
    try:
        yield temp
        with temp.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def write_atomic(path: Path, write: Callable[[Path], None]) -> str:
    """Run ``write(temp_path)``, move the result onto ``path``; return its SHA-256."""
    with atomic_path(path) as temp:
        write(temp)
        digest = sha256_file(temp)
    return digest
