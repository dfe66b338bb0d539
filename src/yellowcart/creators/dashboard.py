"""A creator's dashboard: per video and live room, views and cart taps (the interaction log), attributed
orders and GMV (attributions), and commission accrued and reversed (the ledger), with totals.

Everything is "what happened in the window": interactions by when they occurred, orders by when they
were placed (cancelled ones left out), commission by when the ledger booked it. Four grouped queries,
whatever the number of videos; the interaction count scans the window's events (the log has no index
on content: a daily rollup is the next step at scale).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from yellowcart.auth.service import Principal
from yellowcart.content.models import Content, ContentKind, ContentStatus
from yellowcart.creators import programme
from yellowcart.creators.models import Attribution
from yellowcart.interactions.models import EventType, InteractionEvent
from yellowcart.ledger.chart import Account
from yellowcart.ledger.models import LedgerEntry, LedgerPosting
from yellowcart.orders.models import Order
from yellowcart.orders.state import OrderStatus

MAX_DAYS = 366


@dataclass(slots=True)
class Figures:
    views: int = 0
    cart_taps: int = 0
    orders: int = 0
    gmv_cents: int = 0
    commission_accrued_cents: int = 0
    commission_reversed_cents: int = 0

    def add(self, other: Figures) -> None:
        for name in Figures.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True, slots=True)
class ContentFigures:
    content_id: int
    kind: ContentKind
    title: str
    status: ContentStatus
    figures: Figures


@dataclass(frozen=True, slots=True)
class Dashboard:
    creator_id: int
    start: dt.datetime
    end: dt.datetime
    items: list[ContentFigures]
    totals: Figures = field(default_factory=Figures)


def dashboard(
    session: Session, *, principal: Principal, creator_id: int, start: dt.datetime, end: dt.datetime
) -> Dashboard:
    """The creator's content performance between ``start`` (inclusive) and ``end`` (exclusive)."""
    programme.require_creator_access(session, principal=principal, creator_id=creator_id)
    contents = session.execute(
        select(Content.id, Content.kind, Content.title, Content.status)
        .where(Content.owner_user_id == creator_id, Content.seller_id.is_(None))
        .order_by(Content.id.desc())
    ).all()
    figures: dict[int, Figures] = {cid: Figures() for cid, *_ in contents}
    for found in (
        _interactions(session, creator_id, start, end),
        _orders(session, creator_id, start, end),
        _commission(session, creator_id, start, end),
    ):
        for content_id, part in found.items():
            figures.setdefault(content_id, Figures()).add(part)
    items = [ContentFigures(cid, kind, title, status, figures[cid]) for cid, kind, title, status in contents]
    totals = Figures()
    for f in figures.values():
        totals.add(f)
    return Dashboard(creator_id, start, end, items, totals)


def _interactions(session: Session, creator_id: int, start: dt.datetime, end: dt.datetime) -> dict[int, Figures]:
    e = InteractionEvent
    views = func.sum(case((e.type == EventType.VIEW, 1), else_=0))
    taps = func.sum(case((e.type == EventType.CART_TAP, 1), else_=0))
    rows = session.execute(
        select(e.content_id, views, taps)
        .select_from(e)
        .join(Content, Content.id == e.content_id)
        .where(
            Content.owner_user_id == creator_id,
            e.type.in_((EventType.VIEW, EventType.CART_TAP)),
            e.occurred_at >= start,
            e.occurred_at < end,
        )
        .group_by(e.content_id)
    )
    return {cid: Figures(views=int(v or 0), cart_taps=int(t or 0)) for cid, v, t in rows if cid is not None}


def _orders(session: Session, creator_id: int, start: dt.datetime, end: dt.datetime) -> dict[int, Figures]:
    """Attributed orders (each order once per content; each store order once) and their GMV."""
    a = Attribution
    orders = func.count(func.distinct(a.order_id)) + func.count(a.conversion_id)
    rows = session.execute(
        select(a.content_id, orders, func.sum(a.base_cents))
        .select_from(a)
        .outerjoin(Order, Order.id == a.order_id)
        .where(
            a.creator_id == creator_id,
            a.ordered_at >= start,
            a.ordered_at < end,
            or_(Order.id.is_(None), Order.status != OrderStatus.CANCELLED),
        )
        .group_by(a.content_id)
    )
    return {cid: Figures(orders=int(n or 0), gmv_cents=int(gmv or 0)) for cid, n, gmv in rows}


def _commission(session: Session, creator_id: int, start: dt.datetime, end: dt.datetime) -> dict[int, Figures]:
    """Credits to the creator's payable (accrued) and debits (reversed) booked in the window, per content:
    order lines through their line, store orders through their entry's conversion."""
    p, a = LedgerPosting, Attribution
    accrued = func.sum(case((p.amount_cents < 0, -p.amount_cents), else_=0))
    reversed_ = func.sum(case((p.amount_cents > 0, p.amount_cents), else_=0))
    scope = (
        p.account == Account.CREATOR_PAYABLE,
        p.creator_id == creator_id,
        p.posted_at >= start,
        p.posted_at < end,
    )
    by_line = (
        select(a.content_id, accrued, reversed_)
        .select_from(p)
        .join(a, a.order_line_id == p.order_line_id)
        .where(*scope)
    )
    by_conversion = (
        select(a.content_id, accrued, reversed_)
        .select_from(p)
        .join(LedgerEntry, LedgerEntry.id == p.entry_id)
        .join(a, a.conversion_id == LedgerEntry.conversion_id)
        .where(*scope)
    )
    out: dict[int, Figures] = {}
    for query in (by_line, by_conversion):
        for cid, acc, rev in session.execute(query.group_by(a.content_id)):
            part = Figures(commission_accrued_cents=int(acc or 0), commission_reversed_cents=int(rev or 0))
            out.setdefault(cid, Figures()).add(part)
    return out
