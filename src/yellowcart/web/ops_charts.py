"""The operations console's charts as server-rendered SVG (pure: no I/O, no JavaScript), in the style of
the live recap chart (``live.recap_chart``): a daily line (GMV) and a histogram (delivery times).

Each chart carries a ``<title>`` and ``role="img"`` with an ``aria-label`` summing it up; the page shows
the same numbers as text next to it for screen readers and for copying.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

from yellowcart.live.recap_chart import LINE, MUTED, YELLOW, _nice_max, _text
from yellowcart.money import format_usd

WIDTH, HEIGHT = 640, 220
PLOT_X, PLOT_TOP, PLOT_W, PLOT_H = 64, 20, 560, 160


def _frame(label: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-label="{escape(label)}" class="ops-chart"><title>{escape(label)}</title>{"".join(body)}</svg>'
    )


def daily_gmv(days: Sequence[tuple[dt.date, int]]) -> str:
    """GMV per day as a line over the window (every day present, zero days included)."""
    total = sum(v for _, v in days)
    label = f"GMV per day, {len(days)} days, {format_usd(total)} in all"
    base = PLOT_TOP + PLOT_H
    top = _nice_max(max((v for _, v in days), default=0) or 1)
    parts = [
        f'<line x1="{PLOT_X}" y1="{base}" x2="{PLOT_X + PLOT_W}" y2="{base}" stroke="{MUTED}"/>',
        _text(PLOT_X - 6, PLOT_TOP + 4, format_usd(top), size=10, fill=MUTED, anchor="end"),
        _text(PLOT_X - 6, base, "$0", size=10, fill=MUTED, anchor="end"),
    ]
    if not days:
        return _frame(label, [*parts, _text(PLOT_X + PLOT_W / 2, PLOT_TOP + PLOT_H / 2, "no days", anchor="middle")])
    step = PLOT_W / max(len(days) - 1, 1)
    points = [(PLOT_X + i * step, base - PLOT_H * v / top) for i, (_, v) in enumerate(days)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    area = f"{PLOT_X:.1f},{base} {line} {points[-1][0]:.1f},{base}"
    parts += [
        f'<polygon points="{area}" fill="{YELLOW}" opacity=".35"/>',
        f'<polyline points="{line}" fill="none" stroke="{LINE}" stroke-width="2.5"/>',
        _text(PLOT_X, base + 18, days[0][0].isoformat(), size=10, fill=MUTED),
        _text(PLOT_X + PLOT_W, base + 18, days[-1][0].isoformat(), size=10, fill=MUTED, anchor="end"),
    ]
    return _frame(label, parts)


def histogram(buckets: Sequence[tuple[str, int]], *, what: str) -> str:
    """Counts per bucket as bars, each labelled with its count."""
    total = sum(n for _, n in buckets)
    label = f"{what}: " + ", ".join(f"{name} {n}" for name, n in buckets)
    base = PLOT_TOP + PLOT_H
    top = _nice_max(max((n for _, n in buckets), default=0) or 1)
    parts = [f'<line x1="{PLOT_X}" y1="{base}" x2="{PLOT_X + PLOT_W}" y2="{base}" stroke="{MUTED}"/>']
    if not total:
        parts.append(_text(PLOT_X + PLOT_W / 2, PLOT_TOP + PLOT_H / 2, "nothing delivered yet", anchor="middle"))
    slot = PLOT_W / max(len(buckets), 1)
    for i, (name, n) in enumerate(buckets):
        h = PLOT_H * n / top
        x = PLOT_X + i * slot + slot * 0.15
        parts.append(f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{LINE}"/>')
        parts.append(_text(x + slot * 0.35, base - h - 4, f"{n:,}", size=10, anchor="middle"))
        parts.append(_text(x + slot * 0.35, base + 16, name, size=10, fill=MUTED, anchor="middle"))
    return _frame(label, parts)
