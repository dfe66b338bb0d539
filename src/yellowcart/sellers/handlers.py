"""Onboarding reactions to order events: the platform GMV of an undecided application follows its
seller's orders. ``order.paid`` and ``order.cancelled`` recompute that one day (idempotent: the day is
recomputed from the orders, so a redelivered event changes nothing) and re-evaluate."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.db import utcnow
from yellowcart.events import EventBus, OutboxEvent
from yellowcart.orders.models import Order
from yellowcart.sellers import assessment, gmv
from yellowcart.sellers.lifecycle import OPEN
from yellowcart.sellers.models import SellerApplication


def on_order_money_moved(session: Session, event: OutboxEvent) -> None:
    order = session.get(Order, int(event.payload["order_id"]))
    if order is None or order.paid_at is None:
        return  # never paid: it was never in anyone's GMV
    application = session.scalar(
        select(SellerApplication)
        .where(SellerApplication.seller_id == order.seller_id, SellerApplication.status.in_(OPEN))
        .with_for_update()
    )
    if application is None:
        return
    day = order.paid_at.astimezone(dt.UTC).date()
    gmv.refresh_platform(session, application=application, first=day, last=day)
    assessment.reevaluate(session, application=application, now=utcnow())


def register(bus: EventBus) -> None:
    bus.subscribe("order.paid", on_order_money_moved)
    bus.subscribe("order.cancelled", on_order_money_moved)
