"""``dividends import template``: blank registry templates to fill in."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from dividends.cli.console import say
from dividends.files.output import write_atomic
from dividends.registry.template import CSV_KINDS, KINDS, template_file
from schemes.i18n import Msg, current_language
from schemes.problems import InputError, Problem


def template(
    out_dir: Annotated[Path, typer.Option("--out", help="directory to write the template into")] = Path("."),
    fmt: Annotated[str, typer.Option("--format", help="xlsx (one workbook) or csv (one file per kind)")] = "xlsx",
    kind: Annotated[Optional[str], typer.Option(
        "--kind", help="one kind's CSV template: households, members, posts or events")] = None,
) -> None:
    """Write a blank households/members/posts template (XLSX with instructions, or CSV files),
    or one kind's CSV (``--kind events``: household and member events within the period)."""
    if fmt not in ("xlsx", "csv"):
        raise InputError([Problem(Msg("template.bad_format", found=fmt))])
    if kind is not None and kind not in CSV_KINDS:
        raise InputError([Problem(Msg("template.bad_kind", found=kind, kinds=list(CSV_KINDS)))])
    lang = current_language()
    if kind is not None:
        files = [template_file(kind, lang)]  # type: ignore[arg-type]
    else:
        files = [template_file("workbook", lang)] if fmt == "xlsx" else [template_file(k, lang) for k in KINDS]
    for file in files:
        path = out_dir / file.name
        write_atomic(path, lambda temp, data=file.data: temp.write_bytes(data))
        say("template.written", file=str(path))
