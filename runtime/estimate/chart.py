"""Monthly cost against daily volume: a terminal chart and an SVG, without plotting libraries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

DAYS_PER_MONTH = 30
MARKS = "*o+x#@%&"
COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f")


@dataclass(frozen=True)
class Series:
    """One pattern's line: dollars per request, so monthly cost = usd x volume x 30."""

    label: str
    """Legend text."""
    usd_per_request: float
    """Expected dollars per request."""

    def monthly(self, volume: float) -> float:
        """Dollars per month at `volume` requests a day."""
        return self.usd_per_request * volume * DAYS_PER_MONTH


def x_range(volume: int) -> float:
    """The volume axis runs from 0 to twice the given volume (at least 10 requests a day)."""
    return float(max(10, 2 * volume))


def text_chart(series: Sequence[Series], volume: int, *, width: int = 48, height: int = 10) -> str:
    """A small character plot of monthly dollars (y) against requests per day (x)."""
    top_x = x_range(volume)
    top_y = max((s.monthly(top_x) for s in series), default=0.0) or 1.0
    grid = [[" "] * width for _ in range(height)]
    for mark, s in zip(MARKS, series, strict=False):
        for col in range(width):
            y = s.monthly(top_x * (col + 1) / width) / top_y
            row = height - 1 - min(height - 1, int(y * (height - 1) + 0.5))
            if grid[row][col] == " ":
                grid[row][col] = mark
    here = min(width - 1, int(volume / top_x * width))
    lines = [f"monthly $ (top: {money(top_y)})"]
    lines += ["|" + "".join(r) for r in grid]
    lines.append("+" + "-" * here + "^" + "-" * (width - here - 1))
    lines.append(f"0{'requests/day':^{width - 8}}{int(top_x):>7}  (^ = {volume}/day)")
    lines += [
        f"  {m} {s.label}: {money(s.monthly(volume))}/month"
        for m, s in zip(MARKS, series, strict=False)
    ]
    return "\n".join(lines)


# Sans-serif at 12px averages under 7px a character; the legend is sized from it so it fits.
CHAR_PX = 7.0


def svg_chart(series: Sequence[Series], volume: int, *, title: str = "Monthly cost") -> str:
    """The same chart as a standalone SVG document; the legend fits whatever the labels."""
    marker = f"dashed line: {volume:,} requests/day"
    labels = [f"{s.label}: {money(s.monthly(volume))}/mo" for s in series]
    legend_px = 30 + CHAR_PX * max(len(t) for t in [marker, *labels]) + 12
    pw, left, top, bottom = 370, 80, 40, 50
    w = int(left + pw + legend_px)
    h = max(400, top + 14 + 18 * (len(series) + 1) + bottom)
    ph = h - top - bottom
    top_x = x_range(volume)
    top_y = max((s.monthly(top_x) for s in series), default=0.0) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">',
        f'<rect width="{w}" height="{h}" fill="white"/>',
        f'<text x="{left}" y="24" font-size="15">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="black"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="black"/>',
    ]
    for i in range(5):
        fx, fy = i / 4, i / 4
        x, y = left + fx * pw, top + ph - fy * ph
        parts.append(
            f'<text x="{x:.1f}" y="{top + ph + 18}" text-anchor="middle">{int(top_x * fx)}</text>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(money(top_y * fy))}</text>"
        )
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#eee"/>'
        )
    vx = left + volume / top_x * pw
    parts.append(
        f'<line x1="{vx:.1f}" y1="{top}" x2="{vx:.1f}" y2="{top + ph}" '
        'stroke="#999" stroke-dasharray="4 3"/>'
    )
    parts.append(
        f'<text x="{left + pw / 2}" y="{h - 12}" text-anchor="middle">requests per day</text>'
    )
    for i, s in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        y_end = top + ph - s.monthly(top_x) / top_y * ph
        parts.append(
            f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{y_end:.1f}" '
            f'stroke="{colour}" stroke-width="{3 if i == 0 else 1.5}"/>'
        )
        ly = top + 14 + i * 18
        parts.append(
            f'<rect x="{left + pw + 12}" y="{ly - 9}" width="12" height="3" fill="{colour}"/>'
        )
        parts.append(f'<text x="{left + pw + 30}" y="{ly - 4}">{escape(labels[i])}</text>')
    ly = top + 14 + len(series) * 18
    parts.append(
        f'<line x1="{left + pw + 12}" y1="{ly - 8}" x2="{left + pw + 24}" y2="{ly - 8}" '
        'stroke="#999" stroke-dasharray="4 3"/>'
    )
    parts.append(f'<text x="{left + pw + 30}" y="{ly - 4}">{escape(marker)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def money(x: float) -> str:
    """Dollars, with as many decimals as a small amount needs."""
    if x >= 100:
        return f"${x:,.0f}"
    if x >= 1:
        return f"${x:,.2f}"
    if x == 0:
        return "$0"
    return f"${x:.2g}" if x < 0.001 else f"${x:.4f}"
