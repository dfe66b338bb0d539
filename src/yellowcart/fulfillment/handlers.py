"""Fulfilment reactions to domain events, run by the outbox worker after the change committed.

``order.paid`` allocates the order (idempotent: an order with shipments is left alone, so a
redelivered event allocates once). ``shipment.allocated`` buys the label of a platform-shipped package.
Known limit, as for payment captures: the carrier is called inside the worker's transaction (holding
the shipment row); the reference ``shp-<id>`` makes a retried purchase return the same label.
``order.cancelled`` cancels the packages that have not left their warehouse and frees their day.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.db import utcnow
from yellowcart.events import EventBus, OutboxEvent, emit
from yellowcart.fulfillment import allocate, shipping
from yellowcart.fulfillment.carriers.base import Carrier
from yellowcart.fulfillment.models import Shipment, ShipmentStatus
from yellowcart.fulfillment.service import book_capacity
from yellowcart.inventory.models import WarehouseOperator

log = structlog.get_logger(__name__)


def on_order_paid(session: Session, event: OutboxEvent) -> None:
    order_id = int(event.payload["order_id"])
    try:
        with session.begin_nested():
            allocate.allocate_order(session, order_id=order_id, now=utcnow())
    except allocate.NoAllocation as err:  # permanent until stock moves: tell operators, do not retry
        log.warning("allocation.failed", order_id=order_id, detail=err.detail)
        emit(session, "order.allocation_failed", order_id=order_id, detail=err.detail)


def on_shipment_allocated(carrier: Carrier) -> Callable[[Session, OutboxEvent], None]:
    def handle(session: Session, event: OutboxEvent) -> None:
        if event.payload.get("fulfilled_by") != WarehouseOperator.PLATFORM.value:
            return  # the seller buys its label or enters its own tracking number
        shipment = session.get(Shipment, int(event.payload["shipment_id"]))
        if shipment is None or shipment.status is not ShipmentStatus.ALLOCATED or shipment.tracking_number:
            return
        label = shipping.buy_label(carrier, shipping.label_job(session, shipment))
        shipping.record_label(session, shipment_id=shipment.id, label=label)

    return handle


def on_order_cancelled(session: Session, event: OutboxEvent) -> None:
    rows = session.scalars(
        select(Shipment)
        .where(Shipment.order_id == int(event.payload["order_id"]), Shipment.status.in_(allocate.MOVABLE))
        .with_for_update()
    ).all()
    for shipment in rows:
        shipment.status, shipment.cancel_reason = ShipmentStatus.CANCELLED, "order_cancelled"
        book_capacity(session, warehouse_id=shipment.warehouse_id, day=shipment.pick_date, orders=-1)


def register(bus: EventBus, carrier: Carrier) -> None:
    bus.subscribe("order.paid", on_order_paid)
    bus.subscribe("shipment.allocated", on_shipment_allocated(carrier))
    bus.subscribe("order.cancelled", on_order_cancelled)
