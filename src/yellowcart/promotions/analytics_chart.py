"""A promotion's analytics as one server-rendered SVG (pure: no I/O, no JavaScript, nothing to fetch),
in the style of the live recap chart (``live.recap_chart``).

Three parts: the headline figures, daily in-scope GMV of orders with and without the promotion as two
lines, and GMV per shopper of the exposed and the held-out groups as bars with the lift and its 95%
interval (or why there is none).
"""

from __future__ import annotations

from html import escape

from yellowcart.live.recap_chart import INK, LINE, MUTED, YELLOW, _nice_max, _text
from yellowcart.money import format_usd
from yellowcart.promotions.analytics_schemas import LiftState, PromotionAnalyticsOut

WIDTH = 720
PLOT_X, PLOT_W = 64, 632
LINES_TOP, LINES_H = 110, 170
BARS_TOP, BAR_H, BAR_GAP = 340, 22, 10
GREY = "#9a9aa6"


def _headline(a: PromotionAnalyticsOut) -> list[str]:
    lift = a.lift
    incremental = format_usd(lift.incremental_gmv_cents) if lift.incremental_gmv_cents is not None else "n/a"
    average = format_usd(a.average_discount_cents) if a.average_discount_cents is not None else "n/a"
    figures = [
        ("redemptions", f"{a.redemptions.used:,}"),
        ("orders", f"{a.orders:,}"),
        ("GMV", format_usd(a.gmv_cents)),
        ("discount cost", format_usd(a.discount.total_cents)),
        ("avg discount", average),
        ("incremental GMV", incremental),
    ]
    parts = [_text(16, 26, f"Promotion · {a.name}", size=16, weight="bold")]
    for i, (label, value) in enumerate(figures):
        x = 16 + i * 116
        parts.append(_text(x, 52, value, size=15, weight="bold"))
        parts.append(_text(x, 68, label, size=11, fill=MUTED))
    funded = (
        f"funded: seller {format_usd(a.discount.seller_funded_cents)}, "
        f"platform {format_usd(a.discount.platform_funded_cents)}"
    )
    parts.append(_text(16, 86, funded, size=11, fill=MUTED))
    return parts


def _polyline(values: list[int], top: int, colour: str, *, width: float = 2) -> str:
    step = PLOT_W / max(len(values) - 1, 1)
    base = LINES_TOP + LINES_H
    points = " ".join(f"{PLOT_X + i * step:.1f},{base - LINES_H * v / top:.1f}" for i, v in enumerate(values))
    return f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="{width}"/>'


def _daily(a: PromotionAnalyticsOut) -> list[str]:
    base = LINES_TOP + LINES_H
    with_ = [d.with_promotion_cents for d in a.daily]
    without = [d.without_promotion_cents for d in a.daily]
    top = _nice_max(max([*with_, *without], default=0) or 1)
    parts = [
        _text(16, LINES_TOP - 12, "Daily in-scope GMV", size=12, weight="bold"),
        _text(PLOT_X + PLOT_W - 190, LINES_TOP - 12, "— with it", size=11, fill=LINE),
        _text(PLOT_X + PLOT_W - 100, LINES_TOP - 12, "— without", size=11, fill=GREY),
        f'<line x1="{PLOT_X}" y1="{base}" x2="{PLOT_X + PLOT_W}" y2="{base}" stroke="{MUTED}"/>',
        _text(PLOT_X - 6, LINES_TOP + 4, format_usd(top), size=10, fill=MUTED, anchor="end"),
        _text(PLOT_X - 6, base, "$0", size=10, fill=MUTED, anchor="end"),
    ]
    if not a.daily:
        return [*parts, _text(PLOT_X + PLOT_W / 2, LINES_TOP + LINES_H / 2, "no days yet", fill=MUTED, anchor="middle")]
    parts += [_polyline(without, top, GREY), _polyline(with_, top, LINE, width=2.5)]
    parts.append(_text(PLOT_X, base + 16, a.daily[0].day.isoformat(), size=10, fill=MUTED))
    parts.append(_text(PLOT_X + PLOT_W, base + 16, a.daily[-1].day.isoformat(), size=10, fill=MUTED, anchor="end"))
    return parts


def _groups(a: PromotionAnalyticsOut) -> list[str]:
    lift = a.lift
    parts = [_text(16, BARS_TOP - 12, "GMV per shopper in scope: exposed vs held out", size=12, weight="bold")]
    rows = [
        (f"exposed ({lift.exposed_shoppers:,})", lift.exposed_gmv_per_shopper_cents, YELLOW),
        (f"held out ({lift.held_out_shoppers:,})", lift.held_out_gmv_per_shopper_cents, "#e6e6ea"),
    ]
    top = max((v or 0.0 for _, v, _ in rows), default=0.0) or 1.0
    for i, (label, value, fill) in enumerate(rows):
        y = BARS_TOP + i * (BAR_H + BAR_GAP)
        width = max(2.0, 360 * (value or 0.0) / top) if value else 0.0
        parts.append(_text(16, y + 15, label, size=11))
        parts.append(
            f'<rect x="180" y="{y}" width="{width:.1f}" height="{BAR_H}" rx="3" fill="{fill}" stroke="{LINE}"/>'
        )
        shown = "n/a" if value is None else format_usd(round(value))
        parts.append(_text(186 + width, y + 15, shown, size=11, fill=MUTED))
    y = BARS_TOP + 2 * (BAR_H + BAR_GAP) + 14
    parts.append(_text(16, y, _lift_sentence(a), size=12, fill=INK if lift.state is LiftState.ESTIMATED else MUTED))
    return parts


def _lift_sentence(a: PromotionAnalyticsOut) -> str:
    lift = a.lift
    if lift.state is LiftState.NO_HOLDOUT:
        return "No hold-out group: this promotion's lift cannot be measured."
    if lift.state is LiftState.NOT_ENOUGH_HELD_OUT:
        return f"Not enough held-out shoppers yet ({lift.held_out_shoppers} of {lift.min_held_out} needed)."
    low, high = lift.lift_low_cents or 0.0, lift.lift_high_cents or 0.0
    return (
        f"Lift {format_usd(round(lift.lift_per_shopper_cents or 0.0))} per shopper "
        f"(95%: {format_usd(round(low))} to {format_usd(round(high))}), "
        f"incremental GMV {format_usd(lift.incremental_gmv_cents or 0)}"
    )


def render(analytics: PromotionAnalyticsOut) -> str:
    """The promotion's chart as a standalone SVG document."""
    height = BARS_TOP + 2 * (BAR_H + BAR_GAP) + 32
    body = "".join([*_headline(analytics), *_daily(analytics), *_groups(analytics)])
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" role="img" '
        f'aria-label="Analytics of promotion {escape(analytics.name)}"><rect width="100%" height="100%" '
        f'fill="#fff"/>{body}</svg>'
    )
