"""The ledger's reactions to other domains' outbox events, run by the worker after their commit.

When money moves:
- ``payment.captured`` (checkout, on shipment): the sale is recognised. An order cancelled before it
  was captured only had its authorisation voided, so it posts nothing (no ``order.cancelled``
  handler); money captured and then given back arrives as ``payment.refunded``.
- ``payment.refunded`` (checkout.refunds.refund_order): a refund, partial or full, with units when known;
  except a return's refund, posted from ``return.refunded`` (returns), which names the units coming back.
- ``redirect.conversion_attributed`` / ``redirect.conversion_reversed`` (redirect): commission invoiced
  on attributed GMV, or withdrawn.

Idempotent: every entry has a UNIQUE source key derived from the event's subject, so a redelivered
event posts nothing. Entries are booked at the instant the handler runs (never in a closed period).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy.orm import Session

from yellowcart.db import utcnow
from yellowcart.events import EventBus, OutboxEvent
from yellowcart.ledger import redirect, return_labels, service

#: Returns refund with the idempotency key ``return-<id>`` (returns/refunds.py) and announce the refund
#: with its units in ``return.refunded``; the ledger posts those from that event, under the same key.
RETURN_KEY_PREFIX = "return-"
Clock = Callable[[], dt.datetime]
Handler = Callable[[Session, OutboxEvent], None]


def on_payment_captured(clock: Clock) -> Handler:
    def handle(session: Session, event: OutboxEvent) -> None:
        service.post_sale(session, order_id=int(event.payload["order_id"]), posted_at=clock())

    return handle


def on_payment_refunded(clock: Clock) -> Handler:
    def handle(session: Session, event: OutboxEvent) -> None:
        payload = event.payload
        if str(payload["idempotency_key"]).startswith(RETURN_KEY_PREFIX):
            return  # a return's refund: posted from return.refunded, which says which units came back
        lines = payload.get("lines")
        service.post_refund(
            session,
            order_id=int(payload["order_id"]),
            amount_cents=int(payload["amount_cents"]),
            idempotency_key=str(payload["idempotency_key"]),
            lines={int(k): int(v) for k, v in lines.items()} if isinstance(lines, dict) else None,
            posted_at=clock(),
        )

    return handle


def on_return_refunded(clock: Clock) -> Handler:
    def handle(session: Session, event: OutboxEvent) -> None:
        payload = event.payload
        units: dict[int, int] = {}
        for line in payload.get("lines") or []:
            line_id = int(line["order_line_id"])
            units[line_id] = units.get(line_id, 0) + int(line["quantity"])
        service.post_refund(
            session,
            order_id=int(payload["order_id"]),
            amount_cents=int(payload["refund_cents"]),
            idempotency_key=f"{RETURN_KEY_PREFIX}{int(payload['return_id'])}",
            lines=units,
            posted_at=clock(),
        )

    return handle


def on_conversion_attributed(clock: Clock) -> Handler:
    def handle(session: Session, event: OutboxEvent) -> None:
        payload = event.payload
        redirect.post_redirect_commission(
            session,
            conversion_id=int(payload["conversion_id"]),
            seller_id=int(payload["seller_id"]),
            gmv_cents=int(payload["gmv_cents"]),
            commission_cents=int(payload["commission_cents"]),
            posted_at=clock(),
        )

    return handle


def on_conversion_reversed(clock: Clock) -> Handler:
    def handle(session: Session, event: OutboxEvent) -> None:
        payload = event.payload
        redirect.post_redirect_reversal(
            session,
            conversion_id=int(payload["conversion_id"]),
            seller_id=int(payload["seller_id"]),
            commission_cents=int(payload["commission_cents"]),
            reversal_key=str(event.id),
            posted_at=clock(),
        )

    return handle


def register(bus: EventBus, clock: Clock = utcnow) -> None:
    """Subscribe the ledger; ``clock`` books the entries (tests pass a fixed one)."""
    bus.subscribe("payment.captured", on_payment_captured(clock))
    bus.subscribe("payment.refunded", on_payment_refunded(clock))
    bus.subscribe("return.refunded", on_return_refunded(clock))
    bus.subscribe("return.refunded", return_labels.on_return_refunded(clock))  # seller-paid return labels
    bus.subscribe("redirect.conversion_attributed", on_conversion_attributed(clock))
    bus.subscribe("redirect.conversion_reversed", on_conversion_reversed(clock))
