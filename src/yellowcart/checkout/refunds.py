"""Refunds of captured money (after shipment; before it, cancellation voids the authorisation instead).

Known limit, as for captures: the provider is called inside the caller's transaction (holding the
payment row). Safe to retry: the caller passes an idempotency key derived from what is refunded (one
lost shipment, say), so the provider refunds once however often the transaction is replayed, and the
payment row only changes when the transaction commits.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.checkout.models import Payment, PaymentStatus
from yellowcart.checkout.payments import PaymentProvider
from yellowcart.events import emit
from yellowcart.orders.models import Order


def refund_order(
    session: Session,
    *,
    provider: PaymentProvider,
    order_id: int,
    amount_cents: int,
    idempotency_key: str,
    lines: Mapping[int, int] | None = None,
) -> int:
    """Refund up to ``amount_cents`` of what the order's payment captured and has not refunded yet;
    returns the cents refunded (0 when nothing was captured). ``lines`` (order line id -> units coming
    back), when known, tells the ledger which units were returned (a full-custody seller's supply
    payable is reversed for them); without it a refund of everything left returns every unit and a
    partial one returns none."""
    order = session.get(Order, order_id)
    if order is None or order.payment_id is None:
        return 0
    payment = session.scalar(select(Payment).where(Payment.id == order.payment_id).with_for_update())
    if payment is None or payment.provider_ref is None:
        return 0
    amount = min(amount_cents, payment.captured_cents - payment.refunded_cents)
    if amount <= 0:
        return 0
    provider.refund(provider_ref=payment.provider_ref, amount_cents=amount, idempotency_key=idempotency_key)
    payment.refunded_cents += amount
    payment.status = (
        PaymentStatus.REFUNDED if payment.refunded_cents == payment.captured_cents else PaymentStatus.PARTIALLY_REFUNDED
    )
    units = {str(line_id): qty for line_id, qty in lines.items()} if lines is not None else None
    emit(
        session,
        "payment.refunded",
        order_id=order_id,
        amount_cents=amount,
        idempotency_key=idempotency_key,
        lines=units,
    )
    return amount
