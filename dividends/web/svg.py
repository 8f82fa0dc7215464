"""Charts as server-side SVG: no script, no CDN, no floats (money is integer fen, and every
coordinate is an integer computed with floor division).

Charts carry a ``viewBox`` and no fixed size: the stylesheet scales them to their container,
and they are drawn narrow (400 units) with large type so that text stays legible on a 390 px
phone screen.

>>> bar_length(12_345, 100_000, 400)
49
"""
from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from schemes.money import format_yuan

WIDTH = 400
FONT = 'font-family="sans-serif" font-size="14"'
SMALL = 'font-family="sans-serif" font-size="12"'


def bar_length(value: int, largest: int, full: int) -> int:
    """``value`` on a scale where ``largest`` is ``full`` pixels (never negative)."""
    if largest <= 0 or value <= 0:
        return 0
    return max(1, value * full // largest)


def _open(width: int, height: int, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
            f'preserveAspectRatio="xMinYMin meet" class="chart"><title>{escape(title)}</title>')


def bar_chart(items: Sequence[tuple[str, int]], *, title: str, width: int = WIDTH, row: int = 40,
              unit: str = "") -> Markup:
    """Horizontal bars, one per ``(label, fen)``: the label above its bar, the amount (yuan)
    after it; ``unit`` names the amounts' unit in a line under the chart."""
    value_width = 120
    full = width - value_width
    largest = max((v for _, v in items), default=0)
    height = row * len(items) + (28 if unit else 8)
    parts = [_open(width, height, title)]
    for i, (label, value) in enumerate(items):
        y = i * row
        length = bar_length(value, largest, full)
        parts.append(f'<text x="0" y="{y + 15}" {FONT}>{escape(label)}</text>'
                     f'<rect x="0" y="{y + 20}" width="{length}" height="14" class="bar"/>'
                     f'<text x="{length + 4}" y="{y + 33}" {FONT}>{format_yuan(value)}</text>')
    if unit:
        parts.append(f'<text x="0" y="{height - 6}" {SMALL} class="unit">{escape(unit)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def histogram(bins: Sequence[tuple[int, int, int]], *, title: str, width: int = WIDTH, height: int = 240,
              x_unit: str = "", y_unit: str = "", zero_label: str = "0") -> Markup:
    """Vertical bars for ``(low_fen, high_fen, count)`` bins, the count above each bar and the
    bins' lower bounds (yuan) below; ``x_unit`` and ``y_unit`` label the axes. A bin with
    ``low == high == 0`` holds the households that get nothing and is labelled ``zero_label``;
    the last bin, when it is wider than the others, is labelled "≥ its lower bound"."""
    left, bottom, top = 8, 52, 22
    plot_h = height - bottom - top
    n = max(1, len(bins))
    step = (width - left - 8) // n
    largest = max((c for _, _, c in bins), default=0)
    parts = [_open(width, height, title),
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}" class="axis"/>']
    if y_unit:
        parts.append(f'<text x="{left}" y="12" {SMALL} class="unit">{escape(y_unit)}</text>')
    every = max(1, -(-n // 5))
    regular = next((h - lo for lo, h, _ in bins[:-1] if not lo == h == 0), None)  # the bins' common width
    for i, (low, high, count) in enumerate(bins):
        h = bar_length(count, largest, plot_h)
        x = left + i * step
        parts.append(f'<rect x="{x + 1}" y="{top + plot_h - h}" width="{max(1, step - 2)}" height="{h}" class="bar">'
                     f'<title>{format_yuan(low)}–{format_yuan(high)}: {count}</title></rect>')
        if count:
            parts.append(f'<text x="{x + step // 2}" y="{top + plot_h - h - 3}" text-anchor="middle" {SMALL}>{count}</text>')
        zero = low == high == 0
        wider = i == n - 1 and regular is not None and high - low != regular
        text = escape(zero_label) if zero else ("≥" if wider else "") + format_yuan(low).removesuffix(".00")
        if zero or wider or i % every == 0:
            parts.append(f'<text x="{x}" y="{top + plot_h + 16}" {SMALL}>{text}</text>')
    if x_unit:
        parts.append(f'<text x="{left}" y="{height - 6}" {SMALL} class="unit">{escape(x_unit)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
