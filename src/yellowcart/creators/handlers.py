"""The creators domain's reactions to other domains' outbox events (run by the worker after their commit):

- ``order.paid`` (orders): attribute the order's lines to the creator of the shopper's last content touch;
- ``order.status_changed`` to COMPLETED (orders): the attributed lines earn their commission (ledger);
- ``return.refunded`` (returns): returned units take their share of the commission back;
- ``redirect.conversion_attributed`` / ``_reversed`` (redirect): a store order from a creator's click
  earns the creator the listing's rate on its GMV, and gives it back with the store's refunds.

Every step is idempotent (UNIQUE attribution per line and store order, one return record per
(line, return), one ledger entry per source key), so a redelivered event changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy.orm import Session

from yellowcart.creators import attribution, commissions
from yellowcart.creators.rules import DEFAULT_WINDOW
from yellowcart.db import utcnow
from yellowcart.events import EventBus, OutboxEvent
from yellowcart.orders.state import OrderStatus

Clock = Callable[[], dt.datetime]
Handler = Callable[[Session, OutboxEvent], None]


def on_order_paid(window: dt.timedelta, clock: Clock) -> Handler:
    def handle(session: Session, event: OutboxEvent) -> None:
        attribution.attribute_orders(session, order_ids=[int(event.payload["order_id"])], window=window, now=clock())

    return handle


def on_status_changed(clock: Clock) -> Handler:
    def handle(session: Session, event: OutboxEvent) -> None:
        if event.payload.get("status") == OrderStatus.COMPLETED.value:
            commissions.accrue_order(session, order_id=int(event.payload["order_id"]), posted_at=clock())

    return handle


def on_return_refunded(clock: Clock) -> Handler:
    def handle(session: Session, event: OutboxEvent) -> None:
        payload = event.payload
        units: dict[int, int] = {}
        for line in payload.get("lines") or []:
            line_id = int(line["order_line_id"])
            units[line_id] = units.get(line_id, 0) + int(line["quantity"])
        return_id = int(payload["return_id"])
        commissions.reverse_return(
            session, lines=units, reference=f"return-{return_id}", return_id=return_id, posted_at=clock()
        )

    return handle


def on_conversion_attributed(clock: Clock) -> Handler:
    def handle(session: Session, event: OutboxEvent) -> None:
        conversion_id = int(event.payload["conversion_id"])
        now = clock()
        if attribution.attribute_conversion(session, conversion_id=conversion_id, now=now) is not None:
            key = f"creator:conversion:{conversion_id}:accrued"
            commissions.settle_conversion(session, conversion_id=conversion_id, key=key, posted_at=now)

    return handle


def on_conversion_reversed(clock: Clock) -> Handler:
    def handle(session: Session, event: OutboxEvent) -> None:
        conversion_id = int(event.payload["conversion_id"])
        key = f"creator:conversion:{conversion_id}:reversed:{event.id}"
        commissions.settle_conversion(session, conversion_id=conversion_id, key=key, posted_at=clock())

    return handle


def register(bus: EventBus, *, window: dt.timedelta = DEFAULT_WINDOW, clock: Clock = utcnow) -> None:
    """Subscribe the creators domain; ``window`` is the attribution window, ``clock`` books ledger entries."""
    bus.subscribe("order.paid", on_order_paid(window, clock))
    bus.subscribe("order.status_changed", on_status_changed(clock))
    bus.subscribe("return.refunded", on_return_refunded(clock))
    bus.subscribe("redirect.conversion_attributed", on_conversion_attributed(clock))
    bus.subscribe("redirect.conversion_reversed", on_conversion_reversed(clock))
