"""The money side of a return: the refund (idempotent, to the original payment, partial by line), the
outbox event the ledger posts from, and the order's move to (partially) returned."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yellowcart.auth.service import Principal
from yellowcart.checkout.payments import PaymentProvider
from yellowcart.checkout.refunds import refund_order
from yellowcart.events import emit
from yellowcart.orders import service as orders
from yellowcart.orders.models import Order, OrderLine
from yellowcart.orders.state import OrderStatus, can_transition
from yellowcart.returns.facts import OrderContext
from yellowcart.returns.models import ReturnLine, ReturnRequest
from yellowcart.returns.policy import Payer, RefundParts, refund_parts
from yellowcart.returns.state import ReturnStatus


def refunded_units(session: Session, *, order_id: int, excluding: int) -> dict[int, int]:
    """Units of each line refunded by the order's other completed returns."""
    rows = session.execute(
        select(ReturnLine.order_line_id, func.sum(ReturnLine.quantity))
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .where(
            ReturnRequest.order_id == order_id,
            ReturnRequest.status == ReturnStatus.COMPLETED,
            ReturnRequest.id != excluding,
        )
        .group_by(ReturnLine.order_line_id)
    ).all()
    return {line_id: int(q or 0) for line_id, q in rows}


def quote(session: Session, ret: ReturnRequest, ctx: OrderContext, *, label_cents: int) -> dict[int, RefundParts]:
    """Each line's refund parts; the label (when the shopper pays it) is deducted from the first line."""
    before = refunded_units(session, order_id=ret.order_id, excluding=ret.id)
    parts: dict[int, RefundParts] = {}
    label_left = label_cents
    for rl in ret.lines:
        lc = ctx.lines[rl.order_line_id]
        p = refund_parts(
            lc.money(),
            already_refunded_units=before.get(rl.order_line_id, 0),
            units=rl.quantity,
            reason=ret.reason,
            policy=lc.policy,
            label_cents=label_left,
        )
        label_left -= p.return_label_cents
        parts[rl.order_line_id] = p
    return parts


def refund(
    session: Session, *, ret: ReturnRequest, ctx: OrderContext, provider: PaymentProvider, now: dt.datetime
) -> int:
    """Refund the return once (the provider key is the return's) and complete it; returns the cents."""
    label = ret.label_cost_cents if ret.label_payer is Payer.SHOPPER else 0
    parts = quote(session, ret, ctx, label_cents=label)
    for rl in ret.lines:
        rl.refund_cents = parts[rl.order_line_id].total_cents
    wanted = sum(p.total_cents for p in parts.values())
    paid = refund_order(
        session,
        provider=provider,
        order_id=ret.order_id,
        amount_cents=wanted,
        idempotency_key=f"return-{ret.id}",
        lines={rl.order_line_id: rl.quantity for rl in ret.lines},
    )
    ret.refund_cents = paid
    ret.refund_tax_cents = min(sum(p.tax_cents for p in parts.values()), paid)
    ret.restocking_fee_cents = sum(p.restocking_fee_cents for p in parts.values())
    ret.label_deducted_cents = sum(p.return_label_cents for p in parts.values())
    ret.refunded_at = now
    emit(
        session,
        "return.refunded",
        return_id=ret.id,
        order_id=ret.order_id,
        seller_id=ret.seller_id,
        reason=ret.reason.value,
        refund_cents=paid,
        label_payer=ret.label_payer.value,
        label_cost_cents=ret.label_cost_cents,
        returnless=ret.returnless,
        lines=[
            {
                "order_line_id": rl.order_line_id,
                "quantity": rl.quantity,
                "refund_cents": rl.refund_cents,
                "tax_cents": parts[rl.order_line_id].tax_cents,
                "selling_mode": ctx.lines[rl.order_line_id].line.selling_mode.value,
            }
            for rl in ret.lines
        ],
    )
    return paid


def follow_order(session: Session, *, order: Order, actor: Principal | None) -> None:
    """The order becomes partially returned, or returned once every unit bought was refunded by a return.
    An order still partly in transit (a split) keeps its status until its last parcel arrives."""
    bought = session.scalar(select(func.sum(OrderLine.quantity)).where(OrderLine.order_id == order.id)) or 0
    back = sum(refunded_units(session, order_id=order.id, excluding=0).values())
    target = OrderStatus.RETURNED if back >= bought else OrderStatus.PARTIALLY_RETURNED
    if back and order.status is not target and can_transition(order.status, target):
        orders.transition(session, order=order, target=target, actor=actor, reason="returns")
