"""Server-side interactions from domain events: a paid order is a purchase of each of its products."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.catalog.models import Variant
from yellowcart.events import EventBus, OutboxEvent
from yellowcart.interactions.models import EventType
from yellowcart.interactions.service import record_server_event
from yellowcart.orders.models import Order, OrderLine


def on_order_paid(session: Session, event: OutboxEvent) -> None:
    order = session.get(Order, int(event.payload["order_id"]))
    if order is None:
        return
    rows = session.execute(
        select(Variant.product_id)
        .join(OrderLine, OrderLine.variant_id == Variant.id)
        .where(OrderLine.order_id == order.id)
    ).scalars()
    for product_id in sorted(set(rows)):
        record_server_event(
            session,
            user_id=order.shopper_id,
            client_event_id=f"purchase-{order.id}-{product_id}",
            type=EventType.PURCHASE,
            product_id=product_id,
            at=order.paid_at,
        )


def register(bus: EventBus) -> None:
    bus.subscribe("order.paid", on_order_paid)
