"""A command group that imports a command's module only when that command runs.

``dividends --help`` lists every command from a table of names, modules and one-line helps
(:data:`dividends.cli.COMMANDS`) without importing any of them; ``dividends run approve 7``
imports :mod:`dividends.cli.running` (and through it the ORM) and nothing else. So the ORM, the
web layer and polars load only in the commands that use them (issue 13).
"""
from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import click
import typer
from typer.core import TyperGroup


@dataclass(frozen=True)
class Lazy:
    """One top-level command: ``module:attribute`` is a ``typer.Typer`` (a group of commands)
    or a function (one command); ``help`` is the line ``--help`` shows for it."""

    target: str
    help: str

    def load(self, name: str) -> click.Command:
        module, _, attribute = self.target.partition(":")
        obj = getattr(importlib.import_module(module), attribute)
        if isinstance(obj, typer.Typer):
            command = typer.main.get_command(obj)
        else:
            single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
            single.command(name=name)(obj)
            command = typer.main.get_command(single)
        command.name = name
        return command


class _Placeholder(click.Command):
    """What a not-yet-imported command looks like in ``--help`` and typo suggestions."""

    def __init__(self, name: str, lazy: Lazy) -> None:
        super().__init__(name, help=lazy.help, short_help=lazy.help)
        self.lazy = lazy


class LazyGroup(TyperGroup):
    """A typer group whose ``table`` commands are imported when resolved, not when listed."""

    table: Mapping[str, Lazy] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, lazy in self.table.items():
            self.commands.setdefault(name, _Placeholder(name, lazy))

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None and isinstance(command, _Placeholder):
            command = command.lazy.load(name)
            self.commands[name] = command
        return name, command, rest


def lazy_group(table: Mapping[str, Lazy]) -> type[LazyGroup]:
    """A :class:`LazyGroup` class over ``table`` (``typer.Typer(cls=...)`` takes a class)."""
    return type("LazyRoot", (LazyGroup,), {"table": table})
