"""How large an input file may be, per kind of file, and the limits inside a file.

The readers enforce these while they read (a file's size before reading it, a workbook's
inflated size while inflating it, lines, cells, columns and rows as they come), so the
command line and the web upload paths refuse the same files with the same words.

=================================  =============  ==============================================
setting                            default        what it bounds
=================================  =============  ==============================================
``MAX_REGISTRY_FILE_MB``           64             a households, members, posts or returns file
``MAX_BANK_RESULT_FILE_MB``        16             a bank's result file
``MAX_AUDIT_PACK_FILE_MB``         512            an audit pack (zip) given to ``verify``
``MAX_INFLATED_MB``                256            a workbook's or pack's content once unzipped
``MAX_CELL_CHARS``                 1000           one cell
``MAX_COLUMNS``                    200            columns of one sheet or CSV
``MAX_ROWS``                       5000000        rows of one sheet or CSV
``MAX_LINE_CHARS``                 65536          one line of a CSV file (bytes)
=================================  =============  ==============================================

>>> Limits.from_env({"MAX_REGISTRY_FILE_MB": "8"}).file_bytes("registry")
8388608
"""

from __future__ import annotations

from pathlib import Path

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from schemes.i18n import Msg, load_catalog
from schemes.problems import InputError, Problem

FileKind = Literal["registry", "bank_result", "audit_pack"]
MB = 1 << 20

load_catalog(Path(__file__).parents[1] / "locale", "dividends")

@dataclass(frozen=True)
class Limits:
    """The limits in force (bytes, characters and counts)."""

    registry_bytes: int = 64 * MB
    bank_result_bytes: int = 16 * MB
    audit_pack_bytes: int = 512 * MB
    inflated_bytes: int = 256 * MB
    cell_chars: int = 1000
    columns: int = 200
    rows: int = 5_000_000
    line_bytes: int = 65536

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Limits:
        if env is None:
            from dividends.settings import read_environment
            env = read_environment()

        def number(name: str, default: int) -> int:
            text = env.get(name, "").strip()
            if not text:
                return default
            if not (text.isascii() and text.isdigit()) or int(text) < 1:
                raise InputError([Problem(Msg("limits.setting", name=name, value=text))])
            return int(text)

        return cls(
            registry_bytes=number("MAX_REGISTRY_FILE_MB", 64) * MB,
            bank_result_bytes=number("MAX_BANK_RESULT_FILE_MB", 16) * MB,
            audit_pack_bytes=number("MAX_AUDIT_PACK_FILE_MB", 512) * MB,
            inflated_bytes=number("MAX_INFLATED_MB", 256) * MB,
            cell_chars=number("MAX_CELL_CHARS", 1000),
            columns=number("MAX_COLUMNS", 200),
            rows=number("MAX_ROWS", 5_000_000),
            line_bytes=number("MAX_LINE_CHARS", 65536),
        )

    def file_bytes(self, kind: FileKind) -> int:
        return {
            "registry": self.registry_bytes,
            "bank_result": self.bank_result_bytes,
            "audit_pack": self.audit_pack_bytes,
        }[kind]

    def too_large(self, kind: FileKind, size: int) -> Msg | None:
        """The message for a file of ``size`` bytes of this kind, or None when it may be read."""
        limit = self.file_bytes(kind)
        if size <= limit:
            return None
        return Msg(
            "limits.file_too_large",
            kind=Msg(f"limits.kind.{kind}"),
            limit=limit // MB,
            size=f"{size // MB}.{size % MB * 10 // MB}",
        )


def current_limits() -> Limits:
    """The limits from the environment (read each time: tests and the server may change them)."""
    return Limits.from_env()
