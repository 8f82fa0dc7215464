"""Terminal output shared by the commands: problems, money, tables, progress."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from schemes.i18n import Msg, current_language
from schemes.money import format_yuan
from schemes.problems import Problem, render_problems

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def say(key: str, /, **params: object) -> None:
    out.print(Msg(key, **params).text(), markup=False)


def text(key: str, /, **params: object) -> str:
    return Msg(key, **params).text()


def yuan(fen: int) -> str:
    return format_yuan(int(fen))


def show_problems(problems: tuple[Problem, ...] | list[Problem], limit: int = 200) -> None:
    err.print(render_problems(list(problems), current_language(), limit), style="red", markup=False, highlight=False)


def table(*columns: str, title: str | None = None) -> Table:
    t = Table(title=title, title_justify="left", header_style="bold")
    for i, column in enumerate(columns):
        t.add_column(column, justify="left" if i == 0 else "right", no_wrap=i == 0)
    return t


@contextlib.contextmanager
def progress(enabled: bool = True) -> Iterator[Progress]:
    """A progress bar on stderr; invisible when stderr is not a terminal."""
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=err, transient=True, disable=not (enabled and err.is_terminal))
    with bar:
        yield bar
