"""Terminal output shared by the commands: problems, money, tables, progress."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

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


class FigureTable(Table):
    """A table whose figures (the right-aligned columns: amounts, counts) are never cut: in a
    narrow or piped terminal the other columns fold and the figures' headers wrap; when even
    that cannot fit, the table is drawn wider than the terminal (lines wrap, digits stay)."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        figures = [c for c in self.columns if c.justify == "right"]
        widest = {id(c): max((cell_len(_plain(cell)) for cell in c._cells), default=1) for c in figures}
        for column in self.columns:
            column.overflow = "fold"
            column.no_wrap = False
        for column in figures:
            column.width = max(widest[id(column)], min(cell_len(_plain(column.header)), 6))
        others = len(self.columns) - len(figures)
        needed = sum(c.width or 0 for c in figures) + others * 4 + self._extra_width \
            + sum(self._get_padding_width(i) for i in range(len(self.columns)))
        if needed > options.max_width:
            options = options.update_width(needed)
        yield from super().__rich_console__(console, options)


def _plain(cell: object) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


def table(*columns: str, title: str | None = None) -> Table:
    t = FigureTable(title=title, title_justify="left", header_style="bold")
    for i, column in enumerate(columns):
        t.add_column(column, justify="left" if i == 0 else "right")
    return t


@contextlib.contextmanager
def progress(enabled: bool = True) -> Iterator[Progress]:
    """A progress bar on stderr; invisible when stderr is not a terminal."""
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=err, transient=True, disable=not (enabled and err.is_terminal))
    with bar:
        yield bar
