"""Payment side effects of order events, run by the outbox worker after the order's commit.

Known limit: the provider is called inside the worker's transaction (holding the payment row), so a
slow provider slows the outbox batch; it never touches the checkout path.

Idempotent: each provider call uses a key derived from the order, and the payment row records what
was already done, so a redelivered event changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.checkout.models import Payment, PaymentStatus
from yellowcart.checkout.payments import PaymentProvider
from yellowcart.events import EventBus, OutboxEvent, emit
from yellowcart.orders.models import Order
from yellowcart.orders.state import PRE_SHIPMENT


def _payment_for(session: Session, order_id: int) -> tuple[Order, Payment] | None:
    order = session.get(Order, order_id)
    if order is None or order.payment_id is None:
        return None
    payment = session.scalar(select(Payment).where(Payment.id == order.payment_id).with_for_update())
    return (order, payment) if payment is not None else None


def _release_remainder(session: Session, provider: PaymentProvider, payment: Payment) -> None:
    """Once no order of the payment can still ship, give back what will never be captured: a full
    void when nothing was captured, else a void of the uncaptured rest (Stripe: cancel after a
    partial multicapture releases the remainder)."""
    statuses = session.scalars(select(Order.status).where(Order.payment_id == payment.id)).all()
    if any(status in PRE_SHIPMENT for status in statuses) or not payment.provider_ref:
        return
    uncaptured = payment.amount_cents - payment.captured_cents
    if uncaptured <= 0 or payment.voided_cents >= uncaptured:
        return
    provider.void(provider_ref=payment.provider_ref, idempotency_key=f"void-{payment.id}")
    payment.voided_cents = uncaptured
    if payment.captured_cents == 0:
        payment.status = PaymentStatus.VOIDED


def on_order_cancelled(provider: PaymentProvider) -> Callable[[Session, OutboxEvent], None]:
    def handle(session: Session, event: OutboxEvent) -> None:
        found = _payment_for(session, int(event.payload["order_id"]))
        if found is None:
            return
        _order, payment = found
        if payment.status is PaymentStatus.PENDING:
            # Never authorised (timeout, then expiry): nothing was held on the card.
            payment.status = PaymentStatus.VOIDED
            return
        if payment.status in (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED):
            _release_remainder(session, provider, payment)

    return handle


def on_order_shipped(provider: PaymentProvider) -> Callable[[Session, OutboxEvent], None]:
    def handle(session: Session, event: OutboxEvent) -> None:
        found = _payment_for(session, int(event.payload["order_id"]))
        if found is None:
            return
        order, payment = found
        if payment.provider_ref is None or payment.status not in (PaymentStatus.AUTHORIZED, PaymentStatus.CAPTURED):
            return
        provider.capture(
            provider_ref=payment.provider_ref, amount_cents=order.total_cents, idempotency_key=f"capture-{order.id}"
        )
        payment.captured_cents = min(payment.amount_cents, payment.captured_cents + order.total_cents)
        payment.status = PaymentStatus.CAPTURED
        emit(session, "payment.captured", order_id=order.id, payment_id=payment.id, amount_cents=order.total_cents)
        _release_remainder(session, provider, payment)

    return handle


def register(bus: EventBus, provider: PaymentProvider) -> None:
    bus.subscribe("order.cancelled", on_order_cancelled(provider))
    bus.subscribe("order.shipped", on_order_shipped(provider))
