"""Content-addressed file storage in the database (snapshots, scheme texts, bank files)."""
from __future__ import annotations

from dividends.hashing import sha256_bytes
from dividends.store.models import StoredFile


async def put_file(name: str, data: bytes) -> str:
    """Store bytes once; returns their sha256 (the same bytes again store nothing new)."""
    digest = sha256_bytes(data)
    if not await StoredFile.filter(sha256=digest).exists():
        await StoredFile.create(sha256=digest, name=name, size=len(data), data=data)
    return digest


async def get_file(digest: str) -> bytes:
    row = await StoredFile.get(sha256=digest)
    return bytes(row.data)


async def file_name(digest: str) -> str:
    row = await StoredFile.get(sha256=digest).only("sha256", "name")
    return row.name
