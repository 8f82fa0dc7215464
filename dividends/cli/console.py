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


LABEL_WIDTH = 12  # the narrowest a label column gets before the table is drawn wider than the terminal


class FigureTable(Table):
    """A table whose figures (the right-aligned columns: amounts, counts) are never cut: in a
    narrow or piped terminal the other columns fold and the figures' headers wrap; when even
    that cannot fit, the table is drawn wider than the terminal (lines wrap, digits stay)."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.__rich_measure__(console, options).maximum <= options.max_width:
            yield from super().__rich_console__(console, options)  # it fits as it is
            return
        widths, floors = [], []
        for column in self.columns:
            column.overflow, column.no_wrap = "fold", False
            cells = [cell_len(_plain(cell)) for cell in column._cells]
            header = _plain(column.header)
            widths.append(max([cell_len(header), *cells]))
            if column.justify == "right":  # a figure: its widest value, its header's longest word
                words = [len(w) for w in header.split() if w.isascii()]
                wide = [2] if not header.isascii() else []  # a Chinese header wraps by character, never to nothing
                floors.append(max([1, *cells, *words, *wide]))
            else:  # a label: its longest word, up to LABEL_WIDTH
                words = [cell_len(w) for cell in [column.header, *column._cells] for w in _plain(cell).split()]
                floors.append(min(LABEL_WIDTH, max([1, *words])))
        frame = self._extra_width + sum(self._get_padding_width(i) for i in range(len(self.columns)))
        excess = sum(widths) + frame - options.max_width
        for kind in ("left", "right"):  # labels give up room first, then the figures' headers
            while excess > 0:
                shrinkable = [i for i, c in enumerate(self.columns) if (c.justify == "right") == (kind == "right")
                              and widths[i] > floors[i]]
                if not shrinkable:
                    break
                widest = max(shrinkable, key=lambda i: widths[i])
                widths[widest] -= 1
                excess -= 1
        for column, width in zip(self.columns, widths):
            column.width = width
        if excess > 0:  # even at their floors: draw it wider than the terminal, digits whole
            options = options.update_width(sum(widths) + frame)
        yield from super().__rich_console__(console, options)


def _plain(cell: object) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


def table(*columns: str, title: str | None = None, text: tuple[int, ...] = (0,)) -> Table:
    """A :class:`FigureTable`: the columns at the positions ``text`` hold words (left, they fold
    first), the others figures (right, never cut)."""
    t = FigureTable(title=title, title_justify="left", header_style="bold")
    for i, column in enumerate(columns):
        t.add_column(column, justify="left" if i in text else "right")
    return t


@contextlib.contextmanager
def progress(enabled: bool = True) -> Iterator[Progress]:
    """A progress bar on stderr; invisible when stderr is not a terminal."""
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=err, transient=True, disable=not (enabled and err.is_terminal))
    with bar:
        yield bar
