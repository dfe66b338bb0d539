"""Seller analytics: a handful of grouped queries over orders, the interaction log and the ledger,
merged per (seller, selling mode). Never a loop over orders in Python.

Windows are [since, until). Closed-loop figures count orders *paid* in the window (not cancelled);
their refunded units count whenever the refund came (a cohort: of what sold in the window, how much
came back). Redirect figures are the attributions booked in the window. Net margins are the ledger's
postings booked in the window on the platform's revenue and cost accounts (a full-custody sale earns
retail - supply; platform-owned stock's purchase cost is not in the ledger, so its margin is revenue
less refunds). Refunds beyond an order's money (the ledger's ``excess``) carry no mode and are left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVarTuple

from sqlalchemy import Select, distinct, func, select
from sqlalchemy.orm import Session

from yellowcart.analytics.impressions import SellerImpressions, seller_impressions
from yellowcart.analytics.metrics import Figures, SortKey, sort_value, total
from yellowcart.auth.service import Principal
from yellowcart.catalog.models import Product
from yellowcart.catalog.modes import SellingMode
from yellowcart.content.models import Anchor
from yellowcart.interactions.models import EventType, InteractionEvent
from yellowcart.ledger.balances import require_operator, require_seller_access
from yellowcart.ledger.chart import PROFIT_AND_LOSS, SELLER_ACCOUNTS, Component, EntryKind
from yellowcart.ledger.models import LedgerEntry, LedgerPosting
from yellowcart.orders.models import Order, OrderLine
from yellowcart.orders.state import OrderStatus
from yellowcart.sellers.models import Seller

Ts = TypeVarTuple("Ts")
Key = tuple[int, SellingMode]
Rows = dict[Key, Figures]
Found = Iterator[tuple[int | None, SellingMode | None, Figures]]


@dataclass(frozen=True, slots=True)
class Window:
    since: dt.datetime
    until: dt.datetime


@dataclass(frozen=True, slots=True)
class SellerFigures:
    seller_id: int
    name: str
    modes: dict[SellingMode, Figures]

    @property
    def total(self) -> Figures:
        return total(self.modes.values())


def _merge(rows: Rows, found: Found) -> None:
    for seller_id, mode, figures in found:
        if seller_id is not None and mode is not None:
            rows[(seller_id, mode)] = rows.get((seller_id, mode), Figures()) + figures


def _scoped(query: Select[*Ts], column: Any, seller_id: int | None) -> Select[*Ts]:
    return query if seller_id is None else query.where(column == seller_id)


def _sales(session: Session, w: Window, seller_id: int | None) -> Found:
    """GMV (goods paid: net of promotions' discounts, without shipping or tax), orders and units of
    closed-loop orders paid in the window and not cancelled."""
    query = (
        select(
            Order.seller_id,
            OrderLine.selling_mode,
            func.sum(OrderLine.line_subtotal_cents - OrderLine.line_discount_cents),  # goods paid
            func.count(distinct(Order.id)),
            func.sum(OrderLine.quantity),
        )
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.paid_at >= w.since, Order.paid_at < w.until, Order.status != OrderStatus.CANCELLED)
        .group_by(Order.seller_id, OrderLine.selling_mode)
    )
    for sid, mode, gmv, orders, units in session.execute(_scoped(query, Order.seller_id, seller_id)):
        yield sid, mode, Figures(gmv_cents=int(gmv or 0), orders=int(orders), units_sold=int(units or 0))


def _refunded_units(session: Session, w: Window, seller_id: int | None) -> Found:
    """Units the ledger's refunds returned, of orders paid in the window."""
    p = LedgerPosting
    query = (
        select(Order.seller_id, p.selling_mode, -func.sum(p.units))
        .join(Order, Order.id == p.order_id)
        .where(p.component == Component.GOODS, p.units < 0)
        .where(Order.paid_at >= w.since, Order.paid_at < w.until, Order.status != OrderStatus.CANCELLED)
        .group_by(Order.seller_id, p.selling_mode)
    )
    for sid, mode, units in session.execute(_scoped(query, Order.seller_id, seller_id)):
        yield sid, mode, Figures(units_refunded=int(units or 0))


def _impressions(session: Session, w: Window, seller_id: int | None, seen: SellerImpressions | None = None) -> Found:
    """Feed impressions of the seller's listings: of a card showing the listing itself, or of content
    tagging it (counted once per seller and mode whose listings the content tags). One seller's are read
    in one pass (``impressions``; ``seen``: already read by the caller), every seller's in two queries."""
    if seller_id is not None:
        if seen is None:
            seen = seller_impressions(session, seller_id=seller_id, since=w.since, until=w.until)
        elif (seen.seller_id, seen.since, seen.until) != (seller_id, w.since, w.until):
            raise ValueError("the impressions were read for another seller or window")
        for mode, n in seen.by_mode().items():
            yield seller_id, mode, Figures(impressions=n)
        return
    e = InteractionEvent
    shown = (e.type == EventType.IMPRESSION, e.occurred_at >= w.since, e.occurred_at < w.until)
    per_content = (
        select(e.content_id.label("content_id"), func.count().label("n"))
        .where(*shown, e.content_id.is_not(None), e.product_id.is_(None))
        .group_by(e.content_id)
        .subquery()
    )
    tagged = (
        select(Anchor.content_id, Product.seller_id, Product.selling_mode)
        .join(Product, Product.id == Anchor.product_id)
        .distinct()
        .subquery()
    )
    via_content = (
        select(tagged.c.seller_id, tagged.c.selling_mode, func.sum(per_content.c.n))
        .join(tagged, tagged.c.content_id == per_content.c.content_id)
        .group_by(tagged.c.seller_id, tagged.c.selling_mode)
    )
    direct = (
        select(Product.seller_id, Product.selling_mode, func.count())
        .join(e, e.product_id == Product.id)
        .where(*shown)
        .group_by(Product.seller_id, Product.selling_mode)
    )
    for query in (via_content, direct):
        for sid, mode, n in session.execute(query):
            yield sid, mode, Figures(impressions=int(n or 0))


def _ledger(session: Session, w: Window, seller_id: int | None) -> Found:
    """The platform's net revenue and the seller's earnings booked in the window (payouts and netting
    move money the seller already earned, so they are left out)."""
    p = LedgerPosting
    platform = func.sum(p.amount_cents).filter(p.account.in_(PROFIT_AND_LOSS))
    seller = func.sum(p.amount_cents).filter(
        p.account.in_(SELLER_ACCOUNTS), p.component.not_in((Component.PAYOUT, Component.NETTING))
    )
    query = (
        select(p.seller_id, p.selling_mode, platform, seller)
        .where(p.posted_at >= w.since, p.posted_at < w.until, p.selling_mode.is_not(None))
        .group_by(p.seller_id, p.selling_mode)
    )
    for sid, mode, platform_sum, seller_sum in session.execute(_scoped(query, p.seller_id, seller_id)):
        yield sid, mode, Figures(platform_net_cents=-int(platform_sum or 0), seller_net_cents=-int(seller_sum or 0))


def attributions() -> Select[int | None, int | None, int | None, int | None, dt.datetime]:
    """Per attributed store order (the redirect domain's conversion): seller, conversion id, attributed GMV,
    GMV reversed since (negative) and when it was first booked."""
    e, attributed = LedgerEntry, LedgerEntry.kind == EntryKind.REDIRECT_COMMISSION
    return (
        select(
            e.seller_id.label("seller_id"),
            e.conversion_id.label("conversion_id"),
            func.sum(e.gmv_cents).filter(attributed).label("gmv"),
            func.coalesce(func.sum(e.gmv_cents).filter(~attributed), 0).label("reversed_gmv"),
            func.min(e.posted_at).filter(attributed).label("at"),
        )
        .where(e.kind.in_((EntryKind.REDIRECT_COMMISSION, EntryKind.REDIRECT_REVERSAL)))
        .group_by(e.seller_id, e.conversion_id)
    )


def _redirects(session: Session, w: Window, seller_id: int | None) -> Found:
    """Store orders attributed in the window and not fully reversed since (a cancelled store order is
    reversed in full), with their attributed GMV: like closed-loop orders not cancelled."""
    c = attributions().subquery().c
    query = (
        select(c.seller_id, func.sum(c.gmv), func.count())
        .where(c.at >= w.since, c.at < w.until, c.gmv + c.reversed_gmv > 0)
        .group_by(c.seller_id)
    )
    for sid, gmv, orders in session.execute(_scoped(query, c.seller_id, seller_id)):
        yield sid, SellingMode.REDIRECT, Figures(gmv_cents=int(gmv or 0), orders=int(orders))


SOURCES: tuple[Callable[[Session, Window, int | None], Found], ...] = (
    _sales,
    _refunded_units,
    _ledger,
    _redirects,
)


def figures(
    session: Session, *, window: Window, seller_id: int | None = None, impressions: SellerImpressions | None = None
) -> Rows:
    """Every (seller, mode) with anything in the window: six or seven grouped queries in all.
    ``impressions``: the seller's for this window, when the caller has read them already."""
    rows: Rows = {}
    for source in SOURCES:
        _merge(rows, source(session, window, seller_id))
    _merge(rows, _impressions(session, window, seller_id, impressions))
    return rows


def _by_seller(session: Session, rows: Rows) -> list[SellerFigures]:
    ids = sorted({sid for sid, _ in rows})
    names = dict(session.execute(select(Seller.id, Seller.name).where(Seller.id.in_(ids))).all()) if ids else {}
    out = {sid: SellerFigures(sid, names.get(sid, ""), {}) for sid in ids}
    for (sid, mode), fig in sorted(rows.items()):
        out[sid].modes[mode] = fig
    return list(out.values())


def seller_analytics(
    session: Session,
    *,
    principal: Principal,
    seller_id: int,
    window: Window,
    impressions: SellerImpressions | None = None,
) -> SellerFigures:
    """One seller's figures per mode (the seller itself or operators)."""
    require_seller_access(session, principal=principal, seller_id=seller_id)
    found = _by_seller(session, figures(session, window=window, seller_id=seller_id, impressions=impressions))
    if found:
        return found[0]
    name = session.scalar(select(Seller.name).where(Seller.id == seller_id)) or ""
    return SellerFigures(seller_id, name, {})


def all_sellers(
    session: Session,
    *,
    principal: Principal,
    window: Window,
    sort: SortKey,
    descending: bool,
    mode: SellingMode | None = None,
) -> Sequence[SellerFigures]:
    """Every seller with activity in the window, sorted by a figure of their total (or of one mode)."""
    require_operator(principal)
    sellers = _by_seller(session, figures(session, window=window))
    if mode is not None:
        sellers = [replace(s, modes={mode: s.modes[mode]}) for s in sellers if mode in s.modes]
    ordered = sorted(sellers, key=lambda s: s.seller_id)
    return sorted(ordered, key=lambda s: sort_value(s.total, sort), reverse=descending)
