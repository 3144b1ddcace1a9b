"""Small charts as inline SVG, drawn on the server: no script, no library, nothing fetched.

The Content-Security-Policy forbids inline styles, so shapes carry classes that
``static/style.css`` colours.  Every chart is ``role="img"`` with a ``<title>`` (its
accessible name) and each bar its own ``<title>`` with the numbers in words; the pages
show the same numbers in a table too.  Every text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 480
HEIGHT = 150
AXIS = 18  # room under the bars for the labels
TOP = 6


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its value, an optional reference drawn behind it (capacity, p90)."""

    label: str  # under the bar; "" for none
    value: float
    reference: float | None
    text: str  # the bar's title: its numbers in words


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bars_svg(title: str, bars: Sequence[Bar], over_class: bool = False) -> Markup:
    """A bar chart; ``over_class`` marks bars above their reference (throughput over capacity)."""
    top = max([1.0, *(b.value for b in bars), *(b.reference or 0 for b in bars)])
    plot = HEIGHT - AXIS - TOP
    step = WIDTH / max(1, len(bars))
    width = step * 0.7
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line class="axis" x1="0" y1="{HEIGHT - AXIS}" x2="{WIDTH}" y2="{HEIGHT - AXIS}"/>',
    ]
    for i, bar in enumerate(bars):
        x = i * step + (step - width) / 2
        parts.append(f"<g><title>{escape(bar.text)}</title>")
        if bar.reference:
            h = plot * bar.reference / top
            parts.append(f'<rect class="ref" x="{_num(x)}" y="{_num(HEIGHT - AXIS - h)}" '
                         f'width="{_num(width)}" height="{_num(h)}"/>')  # fmt: skip
        if bar.value:
            h = plot * bar.value / top
            over = over_class and bar.reference is not None and bar.value > bar.reference
            parts.append(f'<rect class="{"over" if over else "bar"}" x="{_num(x + width * 0.2)}" '
                         f'y="{_num(HEIGHT - AXIS - h)}" width="{_num(width * 0.6)}" '
                         f'height="{_num(h)}"/>')  # fmt: skip
        parts.append("</g>")
        if bar.label:
            parts.append(f'<text x="{_num(x + width / 2)}" y="{HEIGHT - 4}" '
                         f'text-anchor="middle">{escape(bar.label)}</text>')  # fmt: skip
    parts.append(f'<text class="scale" x="2" y="{TOP + 10}">{escape(_num(top))}</text></svg>')
    return Markup("".join(parts))  # noqa: S704 (every text above is escaped)


def sparkline_svg(title: str, values: Sequence[float]) -> Markup:
    """A line of ``values`` (oldest first) in a small box; empty box when there are none."""
    width, height = 120, 28
    parts = [
        f'<svg class="spark" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    if values:
        low, high = min(values), max(values)
        span = (high - low) or 1.0
        dx = width / max(1, len(values) - 1)
        points = " ".join(
            f"{_num(i * dx)},{_num(height - 2 - (v - low) / span * (height - 4))}"
            for i, v in enumerate(values)
        )
        if len(values) == 1:
            points += f" {width},{_num(height - 2)}"
        parts.append(f'<polyline points="{points}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above is escaped)
