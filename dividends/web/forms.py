"""Reading form fields and uploads: a wrong value is an :class:`InputError` that names the field."""
from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile

from dividends.web import i18n as _web_messages  # noqa: F401  (registers the web.form.* messages raised here)
from schemes.i18n import Msg
from schemes.problems import InputError, Problem

_SAFE_NAME = re.compile(r"[^0-9A-Za-z._\u4e00-\u9fff-]+")


def bad(key: str, **params: object) -> InputError:
    return InputError([Problem(Msg(f"web.{key}", **params))])


def text(form: Mapping[str, Any], field: str, *, required: bool = True, limit: int = 2000) -> str:
    """The field's text, stripped; refused (naming the field) when required and empty, longer
    than ``limit`` characters (never cut silently) or holding a NUL character (which no
    database column can store: PostgreSQL refuses it).

    >>> text({"reason": " 重做 "}, "reason")
    '重做'
    >>> text({"reason": "x" * 9}, "reason", limit=8)
    Traceback (most recent call last):
    ...
    schemes.problems.InputError: 1 problem(s) found:
      - 'reason' has at most 8 characters
    """
    value = form.get(field)
    value = value.strip() if isinstance(value, str) else ""
    if required and not value:
        raise bad("form.required", field=field)
    no_nul(value, field)
    if len(value) > limit:
        raise bad("form.too_long", field=field, max=limit)
    return value


def no_nul(value: str, field: str) -> str:
    """``value`` unless it holds a NUL character (``\\x00``): then the field's error."""
    if "\x00" in value:
        raise bad("form.nul", field=field)
    return value


def upload(form: Mapping[str, Any], field: str) -> UploadFile:
    """The uploaded file of ``field`` (a file with a name), else the field's error."""
    found = form.get(field)
    if not isinstance(found, UploadFile) or not found.filename:
        raise bad("form.file", field=field)
    return found


def integer(value: object, field: str, *, low: int = 0, high: int = 2**31 - 1) -> int:
    raw = value.strip() if isinstance(value, str) else str(value if value is not None else "")
    if not re.fullmatch(r"-?[0-9]{1,12}", raw) or not low <= int(raw) <= high:
        raise bad("form.int", field=field, found=raw[:40])
    return int(raw)


def day(value: object, field: str) -> date:
    raw = value.strip() if isinstance(value, str) else ""
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise bad("form.date", field=field, found=raw[:40]) from None


def choice(value: object, field: str, choices: Iterable[str]) -> str:
    options = list(choices)
    raw = value.strip() if isinstance(value, str) else ""
    if raw not in options:
        raise bad("form.choice", field=field, expected=options, found=raw[:40])
    return raw


async def save_upload(form: Mapping[str, Any], field: str, directory: Path, *, required: bool = True) -> Path | None:
    """Write an uploaded file under ``directory`` keeping a safe form of its name (the name
    shows in located problems and its suffix tells CSV from XLSX)."""
    upload = form.get(field)
    if not isinstance(upload, UploadFile) or not upload.filename:
        if required:
            raise bad("form.file", field=field)
        return None
    path = directory / field / safe_name(upload.filename, field)
    path.parent.mkdir(parents=True, exist_ok=True)
    await upload.seek(0)

    def copy() -> None:  # from the parser's spooled file to disk, in chunks, off the event loop
        with path.open("wb") as out:
            shutil.copyfileobj(upload.file, out, 1 << 20)

    await asyncio.to_thread(copy)
    return path


#: Longest stored name of an upload, in UTF-8 bytes (file systems allow 255; a name is shown in
#: messages, so it stays short enough to read).
NAME_BYTES = 120


def safe_name(filename: str, fallback: str) -> str:
    """The upload's own name, made safe for a path: no directories, odd characters replaced,
    at most :data:`NAME_BYTES` bytes with its suffix kept (``.xlsx`` tells the reader the format).

    >>> safe_name("../../etc/passwd", "households")
    'passwd'
    >>> len(safe_name("名" * 300 + ".xlsx", "households").encode())
    119
    """
    name = _SAFE_NAME.sub("_", Path(filename.replace("\\", "/")).name).strip("._") or fallback
    if len(name.encode("utf-8")) <= NAME_BYTES:
        return name
    suffix = Path(name).suffix if len(Path(name).suffix) <= 10 else ""
    stem = name[: len(name) - len(suffix)]
    while len((stem + suffix).encode("utf-8")) > NAME_BYTES:
        stem = stem[:-1]
    return (stem.rstrip("._") or fallback) + suffix


def resolution(data: Mapping[str, Any]) -> Any:
    """The villagers' meeting resolution from a form or a JSON body (the same field names):
    ``meeting_date``, ``entitled``, ``present``, ``votes_for``, ``votes_against``,
    ``abstaining``, ``body``, ``content_hash``; None when no field of it was sent (the use-case
    then says a resolution is needed)."""
    from dividends.approval import BODIES, Resolution
    fields = ("meeting_date", "entitled", "present", "votes_for", "votes_against", "abstaining")
    if not any(str(data.get(f) or "").strip() for f in fields):
        return None

    def number(field: str, required: bool = True) -> int:
        value = data.get(field)
        if not required and (value is None or str(value).strip() == ""):
            return 0
        return integer(str(value) if isinstance(value, int) and not isinstance(value, bool) else value, field,
                       high=10**6)

    content = data.get("content_hash")
    return Resolution(day(data.get("meeting_date"), "meeting_date"), entitled=number("entitled"),
                      present=number("present"), votes_for=number("votes_for"),
                      votes_against=number("votes_against", False), abstaining=number("abstaining", False),
                      body=choice(data.get("body") or "representatives", "body", BODIES),
                      content_hash=content.strip()[:64] if isinstance(content, str) else "")
