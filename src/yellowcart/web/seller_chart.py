"""The seller centre's charts as server-rendered SVG (pure: no I/O, no JavaScript), in the style of the live
recap chart (``live.recap_chart``): weekly GMV as bars (the home page and /seller/numbers), the return rate
and the late dispatch rate per week as bars (the latter with its 4% bar drawn as a dashed line), and
conversion per mille by product and by selling mode as horizontal bars.

Each chart is ``role="img"`` with an ``aria-label`` summing it up, a ``<title>`` and a ``<desc>`` listing
every value; the page shows the same numbers in a table beside it, for screen readers and for copying.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from yellowcart.analytics.metrics import Figures
from yellowcart.analytics.trends import ProductConversion, WeekFigures
from yellowcart.catalog.modes import SellingMode
from yellowcart.fulfillment import sla
from yellowcart.live.recap_chart import LINE, MUTED, YELLOW, _nice_max, _text
from yellowcart.money import format_usd

WIDTH, HEIGHT = 640, 220
PLOT_X, PLOT_Y, PLOT_W, PLOT_H = 64, 24, 560, 150
BAR_X, BAR_W, BAR_H, BAR_GAP = 236, 300, 18, 8  # horizontal bars: names left of BAR_X, values after the bar
RED = "#c0392b"  # a week above its bar
NAME_CHARS = 36


def _svg(label: str, desc: str, height: int, parts: Sequence[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="100%" viewBox="0 0 {WIDTH} {height}" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" role="img" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title><desc>{escape(desc)}</desc>'
        + "".join(parts)
        + "</svg>"
    )


def _percent(rate: float) -> str:
    return f"{100 * rate:.1f}%"


def _columns(
    weeks: Sequence[tuple[dt.date, float | None]],
    top: float,
    shown: Callable[[float], str],
    fill: Callable[[float], str],
) -> list[str]:
    """One bar per week on the shared plot (0 to ``top``), its value as a tooltip; None: "n/a", no bar."""
    base = PLOT_Y + PLOT_H
    slot = PLOT_W / max(len(weeks), 1)
    parts = [f'<line x1="{PLOT_X}" y1="{base}" x2="{PLOT_X + PLOT_W}" y2="{base}" stroke="{MUTED}"/>']
    for i, (day, value) in enumerate(weeks):
        x = PLOT_X + i * slot + slot * 0.15
        middle = x + slot * 0.35
        if value is None:
            parts.append(_text(middle, base - 4, "n/a", size=10, fill=MUTED, anchor="middle"))
        else:
            height = PLOT_H * min(value, top) / top
            parts.append(
                f'<rect x="{x:.1f}" y="{base - height:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}" rx="3" '
                f'fill="{fill(value)}" stroke="{LINE}"><title>week of {day:%b %d}: {shown(value)}</title></rect>'
            )
        parts.append(_text(middle, base + 16, f"{day:%b %d}", size=10, fill=MUTED, anchor="middle"))
    return parts


def render(weeks: Sequence[tuple[dt.date, int]]) -> str:
    """``weeks``: (first day, GMV in cents), oldest first. An inline SVG element (role img, labelled)."""
    top = _nice_max(max((v for _, v in weeks), default=0) or 1)
    parts = [
        _text(PLOT_X - 6, PLOT_Y + 4, format_usd(top), size=10, fill=MUTED, anchor="end"),
        _text(PLOT_X - 6, PLOT_Y + PLOT_H, "$0", size=10, fill=MUTED, anchor="end"),
        *_columns([(d, float(v)) for d, v in weeks], top, lambda v: format_usd(int(v)), lambda _: YELLOW),
    ]
    total = sum(v for _, v in weeks)
    label = f"GMV per week over the last {len(weeks)} weeks, {format_usd(total)} in all"
    desc = "; ".join(f"week of {day:%b %d}: {format_usd(cents)}" for day, cents in weeks)
    return _svg(label, desc, HEIGHT, parts)


def weekly_rate(weeks: Sequence[tuple[dt.date, float | None]], *, what: str, bar: float | None = None) -> str:
    """A rate per week as bars (None: nothing measured that week). ``bar``, a limit such as late dispatch's
    4%, is drawn as a dashed line, and a week above it in red."""
    measured = [v for _, v in weeks if v is not None]
    top = _nice_max(max(1, round(1000 * max([*measured, bar or 0.0])))) / 1000  # 1%, 2%, 5%, 10%, 20%...

    def above(value: float) -> bool:
        return bar is not None and value > bar

    parts = [
        _text(PLOT_X - 6, PLOT_Y + 4, _percent(top), size=10, fill=MUTED, anchor="end"),
        _text(PLOT_X - 6, PLOT_Y + PLOT_H, "0%", size=10, fill=MUTED, anchor="end"),
        *_columns(weeks, top, _percent, lambda v: RED if above(v) else YELLOW),
    ]
    label = f"{what} per week over the last {len(weeks)} weeks"
    if bar is not None:
        y = PLOT_Y + PLOT_H - PLOT_H * bar / top
        parts.append(
            f'<line class="bar-line" x1="{PLOT_X}" y1="{y:.1f}" x2="{PLOT_X + PLOT_W}" y2="{y:.1f}" stroke="{RED}" '
            f'stroke-width="1.5" stroke-dasharray="6 4"><title>the bar: at most {_percent(bar)}</title></line>'
        )
        parts.append(_text(PLOT_X + PLOT_W, y - 4, f"bar {_percent(bar)}", size=10, fill=RED, anchor="end"))
        over = sum(1 for v in measured if above(v))
        label += f", bar at most {_percent(bar)}: {over} of {len(measured)} measured weeks above it"
    desc = "; ".join(f"week of {d:%b %d}: {'n/a' if v is None else _percent(v)}" for d, v in weeks)
    return _svg(label, desc, HEIGHT, parts)


def horizontal_bars(rows: Sequence[tuple[str, float]], *, what: str, empty: str) -> str:
    """Named values as horizontal bars, largest on top as given (conversion per mille by product or mode)."""
    top = max((v for _, v in rows), default=0.0) or 1.0
    height = PLOT_Y + max(len(rows), 1) * (BAR_H + BAR_GAP) + 8
    parts: list[str] = []
    if not rows:
        parts.append(_text(16, PLOT_Y + BAR_H, empty, size=12, fill=MUTED))
    for i, (name, value) in enumerate(rows):
        y = PLOT_Y + i * (BAR_H + BAR_GAP)
        width = max(2.0, BAR_W * value / top) if value else 0.0
        short = name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…"
        parts.append(_text(BAR_X - 8, y + 13, short, size=11, anchor="end"))
        parts.append(
            f'<rect x="{BAR_X}" y="{y}" width="{width:.1f}" height="{BAR_H}" rx="3" fill="{YELLOW}" '
            f'stroke="{LINE}"><title>{escape(name)}: {value:g}‰</title></rect>'
        )
        parts.append(_text(BAR_X + width + 6, y + 13, f"{value:.1f}‰", size=11, fill=MUTED))
    label = f"{what}: " + (", ".join(f"{name} {value:.1f}‰" for name, value in rows) if rows else empty)
    return _svg(label, label, height, parts)


@dataclass(frozen=True, slots=True)
class NumbersCharts:
    """The charts of /seller/numbers, as markup (built from numbers and escaped text only)."""

    gmv: Markup
    by_product: Markup
    by_mode: Markup
    return_rate: Markup
    late_dispatch: Markup


def numbers_charts(
    weeks: Sequence[WeekFigures], products: Sequence[ProductConversion], modes: Mapping[SellingMode, Figures]
) -> NumbersCharts:
    by_mode = [
        (mode.value.replace("_", " "), f.conversion_per_mille)
        for mode, f in sorted(modes.items(), key=lambda kv: -(kv[1].conversion_per_mille or 0.0))
        if f.conversion_per_mille is not None
    ]
    late = [(w.start, w.late_dispatch.value) for w in weeks]
    return NumbersCharts(
        gmv=Markup(render([(w.start, w.gmv_cents) for w in weeks])),
        by_product=Markup(
            horizontal_bars(
                [(p.title, p.conversion_per_mille or 0.0) for p in products],
                what="Orders per 1,000 impressions, top products",
                empty="No product has enough impressions yet",
            )
        ),
        by_mode=Markup(
            horizontal_bars(by_mode, what="Orders per 1,000 impressions by selling mode", empty="No impressions yet")
        ),
        return_rate=Markup(weekly_rate([(w.start, w.return_rate) for w in weeks], what="Return rate")),
        late_dispatch=Markup(weekly_rate(late, what="Late dispatch rate", bar=sla.LATE_DISPATCH.per_mille / 1000)),
    )
