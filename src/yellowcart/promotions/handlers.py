"""Promotions listen to orders: a cancelled order gives back what it took from budgets and limits."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yellowcart.db import utcnow
from yellowcart.events import EventBus, OutboxEvent
from yellowcart.promotions import redeem


def on_order_cancelled(session: Session, event: OutboxEvent) -> None:
    redeem.release(session, order_id=int(event.payload["order_id"]), now=utcnow())


def register(bus: EventBus) -> None:
    bus.subscribe("order.cancelled", on_order_cancelled)
