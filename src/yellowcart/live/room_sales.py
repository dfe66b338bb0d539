"""What the room sold: its running deals and the orders placed through them. Read-only views over the
deals' tables (live/deal_models.py, which the deals own and write)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from yellowcart.live.deal_models import DealPurchase, DealStatus, LiveDeal, PurchaseStatus
from yellowcart.live.room_schemas import RoomDealOut, RoomOrdersOut


def running_deals(session: Session, *, room_id: int, now: dt.datetime) -> list[RoomDealOut]:
    """Deals running in the room now, oldest first; ``seconds_left`` reaches 0 at ``ends_at`` and the
    deals' job ends them right after (that end is pushed to viewers as well)."""
    rows = session.scalars(
        select(LiveDeal).where(LiveDeal.room_id == room_id, LiveDeal.status == DealStatus.RUNNING).order_by(LiveDeal.id)
    )
    return [
        RoomDealOut(
            deal_id=d.id,
            product_id=d.product_id,
            sku=d.sku,
            price_cents=d.price_cents,
            was_cents=d.was_cents,
            quantity=d.quantity,
            remaining=d.remaining,
            per_shopper_limit=d.per_shopper_limit,
            status=d.status.value,
            starts_at=d.started_at or d.starts_at,
            ends_at=d.ends_at,
            seconds_left=max(0, int((d.ends_at - now).total_seconds())),
        )
        for d in rows
    ]


def _placed(room_id: int) -> ColumnElement[bool]:
    return and_(DealPurchase.room_id == room_id, DealPurchase.status == PurchaseStatus.PLACED)


def room_orders(session: Session, *, room_id: int) -> RoomOrdersOut:
    """Orders placed through the room's deals and not cancelled; GMV is what those lines cost."""
    count, units, gmv = session.execute(
        select(
            func.count(func.distinct(DealPurchase.order_id)),
            func.coalesce(func.sum(DealPurchase.quantity), 0),
            func.coalesce(func.sum(DealPurchase.quantity * DealPurchase.unit_price_cents), 0),
        ).where(_placed(room_id))
    ).one()
    return RoomOrdersOut(count=int(count), units=int(units), gmv_cents=int(gmv))


@dataclass(frozen=True, slots=True)
class ProductSales:
    product_id: int
    orders: int
    units: int
    gmv_cents: int


def sales_by_product(session: Session, *, room_id: int) -> list[ProductSales]:
    rows = session.execute(
        select(
            LiveDeal.product_id,
            func.count(func.distinct(DealPurchase.order_id)),
            func.sum(DealPurchase.quantity),
            func.sum(DealPurchase.quantity * DealPurchase.unit_price_cents),
        )
        .join(LiveDeal, LiveDeal.id == DealPurchase.deal_id)
        .where(_placed(room_id))
        .group_by(LiveDeal.product_id)
    )
    return [ProductSales(int(p), int(o), int(u), int(g)) for p, o, u, g in rows]


def rooms_of_order(session: Session, *, order_id: int) -> set[int]:
    """The rooms whose deals an order bought through."""
    rooms = select(DealPurchase.room_id).where(DealPurchase.order_id == order_id, DealPurchase.room_id.is_not(None))
    return {int(r) for r in session.scalars(rooms.distinct()) if r is not None}
