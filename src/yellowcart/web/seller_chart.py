"""The seller centre's GMV-over-time chart as one server-rendered SVG (pure: no I/O, no JavaScript), in the
style of the live recap chart (``live.recap_chart``): weekly GMV as bars with the axis top and the weeks'
first days under them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from yellowcart.live.recap_chart import LINE, MUTED, YELLOW, _nice_max, _text
from yellowcart.money import format_usd

WIDTH, HEIGHT = 640, 220
PLOT_X, PLOT_Y, PLOT_W, PLOT_H = 64, 24, 560, 150


def render(weeks: Sequence[tuple[dt.date, int]]) -> str:
    """``weeks``: (first day, GMV in cents), oldest first. An inline SVG element (role img, labelled)."""
    top = _nice_max(max((v for _, v in weeks), default=0) or 1)
    base = PLOT_Y + PLOT_H
    parts = [
        f'<line x1="{PLOT_X}" y1="{base}" x2="{PLOT_X + PLOT_W}" y2="{base}" stroke="{MUTED}"/>',
        _text(PLOT_X - 6, PLOT_Y + 4, format_usd(top), size=10, fill=MUTED, anchor="end"),
        _text(PLOT_X - 6, base, "$0", size=10, fill=MUTED, anchor="end"),
    ]
    slot = PLOT_W / max(len(weeks), 1)
    for i, (day, cents) in enumerate(weeks):
        height = PLOT_H * cents / top
        x = PLOT_X + i * slot + slot * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{base - height:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}" rx="3" '
            f'fill="{YELLOW}" stroke="{LINE}"><title>week of {day:%b %d}: {format_usd(cents)}</title></rect>'
        )
        parts.append(_text(x + slot * 0.35, base + 16, f"{day:%b %d}", size=10, fill=MUTED, anchor="middle"))
    total = sum(v for _, v in weeks)
    label = f"GMV per week over the last {len(weeks)} weeks, {format_usd(total)} in all"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="100%" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" role="img" aria-label="{label}">'
        + "".join(parts)
        + "</svg>"
    )
