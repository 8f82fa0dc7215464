"""Charts as server-side SVG: no script, no CDN, no floats (money is integer fen, and every
coordinate is an integer computed with floor division).

>>> bar_length(12_345, 100_000, 400)
49
"""
from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from schemes.money import format_yuan

FONT = 'font-family="sans-serif" font-size="12"'


def bar_length(value: int, largest: int, full: int) -> int:
    """``value`` on a scale where ``largest`` is ``full`` pixels (never negative)."""
    if largest <= 0 or value <= 0:
        return 0
    return max(1, value * full // largest)


def bar_chart(items: Sequence[tuple[str, int]], *, title: str, width: int = 720, label_width: int = 160,
              row: int = 20) -> Markup:
    """Horizontal bars, one per ``(label, fen)``, the amount written after each bar."""
    value_width = 110
    full = width - label_width - value_width
    largest = max((v for _, v in items), default=0)
    height = row * len(items) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" class="chart"><title>{escape(title)}</title>']
    for i, (label, value) in enumerate(items):
        y = i * row + 5
        length = bar_length(value, largest, full)
        parts.append(f'<text x="{label_width - 6}" y="{y + row - 6}" text-anchor="end" {FONT}>{escape(label)}</text>'
                     f'<rect x="{label_width}" y="{y + 2}" width="{length}" height="{row - 6}" class="bar"/>'
                     f'<text x="{label_width + length + 4}" y="{y + row - 6}" {FONT}>{format_yuan(value)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def histogram(bins: Sequence[tuple[int, int, int]], *, title: str, width: int = 720, height: int = 240) -> Markup:
    """Vertical bars for ``(low_fen, high_fen, count)`` bins, the count above each bar and the
    bins' lower bounds (yuan) below."""
    left, bottom, top = 40, 40, 20
    plot_h = height - bottom - top
    n = max(1, len(bins))
    step = (width - left - 10) // n
    largest = max((c for _, _, c in bins), default=0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" class="chart"><title>{escape(title)}</title>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" class="axis"/>']
    for i, (low, _high, count) in enumerate(bins):
        h = bar_length(count, largest, plot_h)
        x = left + i * step
        parts.append(f'<rect x="{x + 1}" y="{top + plot_h - h}" width="{max(1, step - 2)}" height="{h}" class="bar">'
                     f'<title>{format_yuan(low)}–{format_yuan(_high)}: {count}</title></rect>')
        if count:
            parts.append(f'<text x="{x + step // 2}" y="{top + plot_h - h - 3}" text-anchor="middle" {FONT}>{count}</text>')
        if i % max(1, n // 10) == 0:
            parts.append(f'<text x="{x}" y="{top + plot_h + 16}" {FONT}>{format_yuan(low).removesuffix(".00")}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
