"""Seller trends for the seller centre's charts: weekly series over the last weeks (GMV, return rate, late
dispatch rate) and conversion per mille by product. Grouped queries with the weeks bucketed by a CASE in
SQL, never a query per week. The definitions are the analytics service's (:mod:`.service`) and seller
health's (:mod:`yellowcart.fulfillment.health`), so a chart and the figures beside it agree:

* GMV: closed-loop goods paid (net of discounts) of orders not cancelled, by payment time, plus redirect
  GMV attributed less reversed, by booking time.
* Return rate: of the closed-loop units paid in a week, the share the ledger's refunds returned so far (a
  cohort by week of payment, as the service counts ``units_refunded``).
* Late dispatch: the packages the seller's own warehouses ship, created in the week, judged as seller
  health judges them (handed over after the deadline day, still waiting after it, or cancelled by the SLA
  job for not shipping); a package not due yet says nothing either way. (Health's rule restated per week,
  with its deadline and calendar functions; the numbers page's test checks that the two agree.)
* Conversion by product: orders per 1,000 feed impressions of the product (of its own card, or of content
  tagging it), ranked among the products with enough impressions for the ratio to mean something. The
  window's impressions are read once for the ranking and the service's per-mode figures
  (:func:`seller_numbers`, :mod:`.impressions`).

Weeks are the seven-day spans ending at ``now`` (the last one ends now), oldest first.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from yellowcart.analytics.impressions import SellerImpressions, seller_impressions
from yellowcart.analytics.service import SellerFigures, Window, attributions, seller_analytics
from yellowcart.auth.service import Principal
from yellowcart.catalog.models import Product, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.fulfillment import health, sla
from yellowcart.ledger.balances import require_seller_access
from yellowcart.ledger.chart import Component, EntryKind
from yellowcart.ledger.models import LedgerEntry, LedgerPosting
from yellowcart.orders.models import Order, OrderLine
from yellowcart.orders.state import OrderStatus
from yellowcart.redirect.models import Conversion

DEFAULT_WEEKS = 8
TOP_PRODUCTS = 10
#: Below this many impressions in the window a product's conversion is mostly noise (one order in 20
#: impressions reads as 50 per mille): such products are left out of the ranking.
MIN_IMPRESSIONS = 100


@dataclass(frozen=True, slots=True)
class Weeks:
    """Seven-day spans ending at ``until``, oldest first."""

    starts: tuple[dt.datetime, ...]
    until: dt.datetime

    @classmethod
    def ending(cls, now: dt.datetime, count: int = DEFAULT_WEEKS) -> Weeks:
        if count < 1:
            raise ValueError("at least one week")
        return cls(tuple(now - dt.timedelta(weeks=n) for n in range(count, 0, -1)), now)

    @property
    def since(self) -> dt.datetime:
        return self.starts[0]

    def bucket(self, column: Any) -> Any:
        """A SQL expression: the index of the week ``column`` falls in (-1 before the first)."""
        whens = [(column >= self.starts[i], i) for i in range(len(self.starts) - 1, -1, -1)]
        return case(*whens, else_=-1).label("week")

    def index(self, at: dt.datetime) -> int | None:
        """The week ``at`` falls in, or None outside them."""
        if not self.since <= at < self.until:
            return None
        return bisect_right(self.starts, at) - 1


@dataclass(frozen=True, slots=True)
class WeekFigures:
    start: dt.date
    gmv_cents: int
    units_sold: int
    units_refunded: int  # of the units paid in the week, refunded so far
    late_dispatch: sla.Rate  # of the seller's own packages created in the week

    @property
    def return_rate(self) -> float | None:
        """Refunded units / sold units; None without sales (as ``metrics.Figures.return_rate``)."""
        return round(self.units_refunded / self.units_sold, 4) if self.units_sold else None


@dataclass(frozen=True, slots=True)
class ProductConversion:
    product_id: int
    title: str
    mode: SellingMode
    impressions: int
    orders: int

    @property
    def conversion_per_mille(self) -> float | None:
        """Orders per 1,000 impressions; None without impressions."""
        return round(1000 * self.orders / self.impressions, 3) if self.impressions else None


# ---- weekly series ---------------------------------------------------------------------------------------


def _summed(session: Session, query: Any, weeks: Weeks) -> list[int]:
    totals = [0] * len(weeks.starts)
    for n, value in session.execute(query):
        if 0 <= n < len(totals):
            totals[n] += int(value or 0)
    return totals


def weekly_gmv(session: Session, *, seller_id: int, weeks: Weeks) -> list[int]:
    """GMV per week in cents: two grouped queries (closed loop by payment, redirect by booking)."""
    week = weeks.bucket(Order.paid_at)
    closed_loop = (
        select(week, func.sum(OrderLine.line_subtotal_cents - OrderLine.line_discount_cents))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.seller_id == seller_id, Order.status != OrderStatus.CANCELLED)
        .where(Order.paid_at >= weeks.since, Order.paid_at < weeks.until)
        .group_by(week)
    )
    booked = weeks.bucket(LedgerEntry.posted_at)
    redirect = (
        select(booked, func.sum(LedgerEntry.gmv_cents))
        .where(LedgerEntry.seller_id == seller_id)
        .where(LedgerEntry.posted_at >= weeks.since, LedgerEntry.posted_at < weeks.until)
        .where(LedgerEntry.kind.in_((EntryKind.REDIRECT_COMMISSION, EntryKind.REDIRECT_REVERSAL)))
        .group_by(booked)
    )
    first, second = _summed(session, closed_loop, weeks), _summed(session, redirect, weeks)
    return [a + b for a, b in zip(first, second, strict=True)]


def _weekly_units(session: Session, seller_id: int, weeks: Weeks) -> tuple[list[int], list[int]]:
    """Closed-loop units paid per week, and how many of them the ledger's refunds returned."""
    paid = (Order.seller_id == seller_id, Order.status != OrderStatus.CANCELLED)
    in_weeks = (Order.paid_at >= weeks.since, Order.paid_at < weeks.until)
    week = weeks.bucket(Order.paid_at)
    sold = (
        select(week, func.sum(OrderLine.quantity))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(*paid, *in_weeks)
        .group_by(week)
    )
    p = LedgerPosting
    refunded = (
        select(week, -func.sum(p.units))
        .join(Order, Order.id == p.order_id)
        .where(p.component == Component.GOODS, p.units < 0, *paid, *in_weeks)
        .group_by(week)
    )
    return _summed(session, sold, weeks), _summed(session, refunded, weeks)


def _weekly_late_dispatch(session: Session, seller_id: int, weeks: Weeks, now: dt.datetime) -> list[sla.Rate]:
    """Late and judged packages per week of creation, by seller health's own rule
    (:func:`fulfillment.health.dispatch_judgements`)."""
    late, total = [0] * len(weeks.starts), [0] * len(weeks.starts)
    for created_at, is_late in health.dispatch_judgements(session, seller_id, weeks.since, now, weeks.until):
        n = weeks.index(created_at)
        if n is not None:
            late[n], total[n] = late[n] + is_late, total[n] + 1
    return [sla.Rate(a, b, sla.LATE_DISPATCH) for a, b in zip(late, total, strict=True)]


def seller_weeks(
    session: Session, *, principal: Principal, seller_id: int, now: dt.datetime, count: int = DEFAULT_WEEKS
) -> list[WeekFigures]:
    """The seller's weekly series (the seller itself or operators), oldest week first."""
    require_seller_access(session, principal=principal, seller_id=seller_id)
    weeks = Weeks.ending(now, count)
    gmv = weekly_gmv(session, seller_id=seller_id, weeks=weeks)
    sold, refunded = _weekly_units(session, seller_id, weeks)
    late = _weekly_late_dispatch(session, seller_id, weeks, now)
    return [
        WeekFigures(start.date(), g, s, r, rate)
        for start, g, s, r, rate in zip(weeks.starts, gmv, sold, refunded, late, strict=True)
    ]


# ---- conversion by product -------------------------------------------------------------------------------


def _orders(session: Session, seller_id: int, w: Window) -> Counter[int]:
    """Orders per product: closed-loop orders paid in the window (not cancelled) with a line of it, and
    store orders attributed to its redirect link in the window (not fully reversed)."""
    closed_loop = (
        select(Variant.product_id, func.count(distinct(Order.id)))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(Variant, Variant.id == OrderLine.variant_id)
        .where(Order.seller_id == seller_id, Order.status != OrderStatus.CANCELLED)
        .where(Order.paid_at >= w.since, Order.paid_at < w.until)
        .group_by(Variant.product_id)
    )
    attributed = attributions().where(LedgerEntry.seller_id == seller_id).subquery()
    c = attributed.c
    redirect = (
        select(Conversion.product_id, func.count())
        .select_from(attributed)
        .join(Conversion, Conversion.id == c.conversion_id)
        .where(c.at >= w.since, c.at < w.until, c.gmv + c.reversed_gmv > 0, Conversion.product_id.is_not(None))
        .group_by(Conversion.product_id)
    )
    counts: Counter[int] = Counter()
    for query in (closed_loop, redirect):
        for product_id, n in session.execute(query):
            if product_id is not None:
                counts[product_id] += int(n)
    return counts


def _ranked(rows: Sequence[ProductConversion], limit: int, min_impressions: int) -> list[ProductConversion]:
    """Best conversion first (more orders, then the older product, on a tie)."""
    eligible = [r for r in rows if r.impressions >= max(1, min_impressions)]
    eligible.sort(key=lambda r: (-(r.conversion_per_mille or 0.0), -r.orders, r.product_id))
    return eligible[:limit]


def _top_products(
    session: Session, seen: SellerImpressions, window: Window, limit: int, min_impressions: int
) -> list[ProductConversion]:
    shown = seen.by_product()
    candidates = sorted(pid for pid, n in shown.items() if n >= max(1, min_impressions))
    if not candidates:
        return []
    ordered = _orders(session, seen.seller_id, window)
    products = session.execute(
        select(Product.id, Product.title, Product.selling_mode).where(Product.id.in_(candidates))
    ).all()
    rows = [ProductConversion(pid, title, mode, shown[pid], ordered.get(pid, 0)) for pid, title, mode in products]
    return _ranked(rows, limit, min_impressions)


def product_conversion(
    session: Session,
    *,
    principal: Principal,
    seller_id: int,
    window: Window,
    limit: int = TOP_PRODUCTS,
    min_impressions: int = MIN_IMPRESSIONS,
) -> list[ProductConversion]:
    """The seller's best-converting products in the window (the seller itself or operators)."""
    require_seller_access(session, principal=principal, seller_id=seller_id)
    seen = seller_impressions(session, seller_id=seller_id, since=window.since, until=window.until)
    return _top_products(session, seen, window, limit, min_impressions)


@dataclass(frozen=True, slots=True)
class Numbers:
    """A seller's figures per selling mode and its best-converting products, over one window."""

    figures: SellerFigures
    products: list[ProductConversion]


def seller_numbers(
    session: Session,
    *,
    principal: Principal,
    seller_id: int,
    window: Window,
    limit: int = TOP_PRODUCTS,
    min_impressions: int = MIN_IMPRESSIONS,
) -> Numbers:
    """The analytics service's per-mode figures and the product ranking, reading the window's impressions
    once for both (the seller itself or operators)."""
    require_seller_access(session, principal=principal, seller_id=seller_id)
    seen = seller_impressions(session, seller_id=seller_id, since=window.since, until=window.until)
    figures = seller_analytics(session, principal=principal, seller_id=seller_id, window=window, impressions=seen)
    return Numbers(figures, _top_products(session, seen, window, limit, min_impressions))
