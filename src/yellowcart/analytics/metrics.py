"""Seller metrics as plain data: the ratios and how per-mode figures add up. Pure, no I/O.

Ratios are computed from counts at the end (never averaged), so a seller's total and the operator's
platform row are exact whatever the mix of modes.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class Figures:
    """What one seller did in one selling mode (or in total) over a window."""

    gmv_cents: int = 0  # goods sold (closed loop: paid orders not cancelled; redirect: attributed GMV)
    orders: int = 0
    units_sold: int = 0
    units_refunded: int = 0  # of the units sold in the window, refunded so far
    impressions: int = 0  # feed impressions of the seller's listings (directly or via tagged content)
    platform_net_cents: int = 0  # the platform's net revenue from the ledger (commission, fees, margin...)
    seller_net_cents: int = 0  # what the seller earned per the ledger (before payouts)

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def conversion_per_mille(self) -> float | None:
        """Orders per 1,000 impressions; None without impressions."""
        return round(1000 * self.orders / self.impressions, 3) if self.impressions else None

    @property
    def return_rate(self) -> float | None:
        """Refunded units / sold units (returns will refine this with return reasons)."""
        return round(self.units_refunded / self.units_sold, 4) if self.units_sold else None

    @property
    def net_margin_bps(self) -> int | None:
        """The platform's net revenue per GMV, in basis points; None without GMV."""
        return round(10_000 * self.platform_net_cents / self.gmv_cents) if self.gmv_cents else None


def total(parts: Iterable[Figures]) -> Figures:
    out = Figures()
    for part in parts:
        out = out + part
    return out


class SortKey(enum.StrEnum):
    GMV = "gmv_cents"
    ORDERS = "orders"
    CONVERSION = "conversion_per_mille"
    RETURN_RATE = "return_rate"
    NET_MARGIN = "net_margin_cents"
    NET_MARGIN_BPS = "net_margin_bps"
    IMPRESSIONS = "impressions"


def sort_value(figures: Figures, key: SortKey) -> float:
    """A comparable number for ``key``; a ratio without a denominator sorts as the lowest."""
    value: float | None = {
        SortKey.GMV: figures.gmv_cents,
        SortKey.ORDERS: figures.orders,
        SortKey.CONVERSION: figures.conversion_per_mille,
        SortKey.RETURN_RATE: figures.return_rate,
        SortKey.NET_MARGIN: figures.platform_net_cents,
        SortKey.NET_MARGIN_BPS: figures.net_margin_bps,
        SortKey.IMPRESSIONS: figures.impressions,
    }[key]
    return float("-inf") if value is None else float(value)
