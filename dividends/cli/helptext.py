"""``--help`` in words people read: typer 0.29 labels every option with its Python type
(``--lang <str>``, ``--help <bool>``). A flag gets no label; a value option gets its metavar
when the command gives one, its choices, else its own name in capitals (``--period PERIOD``),
as click and argparse write it; an argument's name already says what it is.

Installed once by :mod:`dividends.cli` (before any command is built)."""
from __future__ import annotations

from typing import Any

import click
from typer import core


def _option_label(self: core.TyperOption, ctx: click.Context) -> str | None:
    if self.metavar is not None:
        return self.metavar
    if self.is_flag or self.count:
        return None
    desc = self.type_descriptor
    if desc.is_choice:
        label = "|".join(str(getattr(c, "value", c)) for c in desc.choices or ())
    else:
        label = (self.name or "value").upper()
    return label + ("..." if self.nargs != 1 or self.multiple or desc.is_list else "")


def _argument_label(self: Any, ctx: click.Context) -> str | None:
    desc = self.type_descriptor
    if desc.is_choice:
        return "|".join(str(getattr(c, "value", c)) for c in desc.choices or ())
    return None


def install() -> None:
    core.TyperOption.display_type_rich = _option_label  # type: ignore[method-assign]
    core.TyperArgument.display_type_rich = _argument_label  # type: ignore[method-assign]
