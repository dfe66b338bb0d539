"""The recap as one server-rendered SVG (pure: no I/O, no JavaScript, no fonts or files to fetch).

Three parts: the headline figures, viewers per minute as an area chart with its peak marked, and the
top products as bars of their GMV (with units and cart taps). A few dozen lines of SVG do this; a
charting dependency would not be worth its weight.
"""

from __future__ import annotations

from html import escape

from yellowcart.live.room_schemas import RecapOut
from yellowcart.money import format_usd

WIDTH = 720
PLOT_X, PLOT_W = 56, 640
AREA_TOP, AREA_H = 96, 180
BARS_TOP, BAR_H, BAR_GAP = 320, 22, 10
INK, MUTED, YELLOW, LINE = "#16161a", "#6b6b76", "#ffd21f", "#e0b400"


def _text(
    x: float, y: float, body: str, *, size: int = 12, fill: str = INK, anchor: str = "start", weight: str = "normal"
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" text-anchor="{anchor}" '
        f'font-weight="{weight}">{escape(body)}</text>'
    )


def _nice_max(value: int) -> int:
    """The axis top: 1, 2 or 5 times a power of ten at or above ``value``."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if value <= m * step:
                return m * step
        step *= 10


def _headline(r: RecapOut) -> list[str]:
    conversion = "n/a" if r.conversion_per_mille is None else f"{r.conversion_per_mille:g}‰"
    figures = [
        ("viewers", f"{r.unique_viewers:,}"),
        ("peak", f"{r.peak_viewers:,}"),
        ("cart taps", f"{r.cart_taps:,}"),
        ("orders", f"{r.orders:,}"),
        ("GMV", format_usd(r.gmv_cents)),
        ("conversion", conversion),
    ]
    parts = [_text(16, 26, f"Recap · {r.title}", size=16, weight="bold")]
    for i, (label, value) in enumerate(figures):
        x = 16 + i * 116
        parts.append(_text(x, 52, value, size=15, weight="bold"))
        parts.append(_text(x, 68, label, size=11, fill=MUTED))
    return parts


def _area(r: RecapOut) -> list[str]:
    points = r.viewers_per_minute
    top = _nice_max(max((p.viewers for p in points), default=0) or 1)
    base = AREA_TOP + AREA_H
    parts = [
        _text(16, AREA_TOP - 10, "Viewers per minute", size=12, weight="bold"),
        f'<line x1="{PLOT_X}" y1="{base}" x2="{PLOT_X + PLOT_W}" y2="{base}" stroke="{MUTED}"/>',
        _text(PLOT_X - 6, AREA_TOP + 4, f"{top:,}", size=10, fill=MUTED, anchor="end"),
        _text(PLOT_X - 6, AREA_TOP + AREA_H, "0", size=10, fill=MUTED, anchor="end"),
    ]
    if not points:
        return [*parts, _text(PLOT_X + PLOT_W / 2, AREA_TOP + AREA_H / 2, "no viewers", fill=MUTED, anchor="middle")]
    step = PLOT_W / max(len(points) - 1, 1)
    xy = [(PLOT_X + i * step, AREA_TOP + AREA_H - AREA_H * p.viewers / top) for i, p in enumerate(points)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    parts.append(
        f'<polygon points="{xy[0][0]:.1f},{base} {line} {xy[-1][0]:.1f},{base}" fill="{YELLOW}" opacity=".6"/>'
    )
    parts.append(f'<polyline points="{line}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    peak = max(range(len(points)), key=lambda i: points[i].viewers)
    px, py = xy[peak]
    parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{INK}"/>')
    parts.append(_text(px, py - 8, f"peak {points[peak].viewers:,}", size=10, anchor="middle"))
    parts.append(_text(PLOT_X, base + 16, points[0].minute.strftime("%H:%M UTC"), size=10, fill=MUTED))
    parts.append(
        _text(PLOT_X + PLOT_W, base + 16, points[-1].minute.strftime("%H:%M UTC"), size=10, fill=MUTED, anchor="end")
    )
    return parts


def _bars(r: RecapOut) -> list[str]:
    parts = [_text(16, BARS_TOP - 10, "Top products (GMV)", size=12, weight="bold")]
    if not r.top_products:
        return [*parts, _text(16, BARS_TOP + 16, "nothing tapped or sold", fill=MUTED)]
    top = max(p.gmv_cents for p in r.top_products) or 1
    for i, p in enumerate(r.top_products):
        y = BARS_TOP + i * (BAR_H + BAR_GAP)
        width = max(2.0, 360 * p.gmv_cents / top) if p.gmv_cents else 0.0
        parts.append(_text(16, y + 15, p.title[:28], size=11))
        parts.append(
            f'<rect x="220" y="{y}" width="{width:.1f}" height="{BAR_H}" rx="3" fill="{YELLOW}" stroke="{LINE}"/>'
        )
        detail = f"{format_usd(p.gmv_cents)} · {p.units:,} units · {p.cart_taps:,} taps"
        parts.append(_text(226 + width, y + 15, detail, size=11, fill=MUTED))
    return parts


def render(recap: RecapOut) -> str:
    """The recap chart as a standalone SVG document."""
    height = BARS_TOP + max(len(recap.top_products), 1) * (BAR_H + BAR_GAP) + 16
    body = "".join([*_headline(recap), *_area(recap), *_bars(recap)])
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" role="img" '
        f'aria-label="Recap of {escape(recap.title)}"><rect width="100%" height="100%" fill="#fff"/>{body}</svg>'
    )
