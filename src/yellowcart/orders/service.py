"""Order use cases: read with ownership, transitions with history, cancellation, expiry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, insert, select, update
from sqlalchemy.orm import Session, selectinload

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.db import utcnow
from yellowcart.errors import Forbidden, NotFound
from yellowcart.events import emit, emit_many
from yellowcart.inventory import service as inventory
from yellowcart.orders.models import Order, OrderHistory
from yellowcart.orders.state import SHIPPED, OrderStatus, check_transition

SYSTEM = "system"


def _visible(query: Select[Order], principal: Principal) -> Select[Order]:
    """Shoppers see their orders, sellers their account's, operators all; others nothing."""
    if principal.role is Role.OPERATOR:
        return query
    if principal.role is Role.SELLER:
        return query.where(Order.seller_id == principal.seller_id)
    if principal.role is Role.SHOPPER:
        return query.where(Order.shopper_id == principal.user_id)
    return query.where(Order.id.is_(None))


def get_order(session: Session, *, principal: Principal, order_id: int, lock: bool = False) -> Order:
    """An order the caller may see; someone else's order is indistinguishable from a missing one."""
    query = _visible(select(Order).where(Order.id == order_id), principal).options(selectinload(Order.lines))
    if lock:
        query = query.with_for_update()
    order = session.scalar(query)
    if order is None:
        raise NotFound(f"Order {order_id} does not exist.")
    return order


def list_orders(
    session: Session,
    *,
    principal: Principal,
    status: OrderStatus | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> Sequence[Order]:
    query = _visible(select(Order), principal).options(selectinload(Order.lines))
    if status is not None:
        query = query.where(Order.status == status)
    if after_id is not None:
        query = query.where(Order.id < after_id)
    return session.scalars(query.order_by(Order.id.desc()).limit(limit)).all()


def history(session: Session, *, principal: Principal, order_id: int) -> Sequence[OrderHistory]:
    get_order(session, principal=principal, order_id=order_id)
    return session.scalars(
        select(OrderHistory).where(OrderHistory.order_id == order_id).order_by(OrderHistory.id)
    ).all()


def record_placed(session: Session, *, order: Order, actor: Principal) -> None:
    """The first history row of an order."""
    session.add(
        OrderHistory(
            order_id=order.id,
            actor_user_id=actor.user_id,
            actor_role=actor.role.value,
            from_status=None,
            to_status=order.status,
            reason="placed",
        )
    )


def transition(
    session: Session,
    *,
    order: Order,
    target: OrderStatus,
    actor: Principal | None,
    reason: str | None = None,
    system: bool = False,
) -> None:
    """Move an order, append its history, and apply the side effects the move implies. ``system``
    allows the platform-only moves (SYSTEM_TRANSITIONS) and is never set from a request."""
    current = order.status
    check_transition(current, target, system=system)
    if target is OrderStatus.CANCELLED:
        inventory.release_reservations(session, order_id=order.id)
        order.cancelled_at = utcnow()
        order.cancel_reason = reason
        order.reservation_expires_at = None
    elif target in SHIPPED and current not in SHIPPED:
        inventory.commit_reservations(session, order_id=order.id)
    order.status = target
    session.add(
        OrderHistory(
            order_id=order.id,
            actor_user_id=actor.user_id if actor else None,
            actor_role=actor.role.value if actor else SYSTEM,
            from_status=current,
            to_status=target,
            reason=reason,
        )
    )
    payload = {"order_id": order.id, "seller_id": order.seller_id, "shopper_id": order.shopper_id}
    if target is OrderStatus.CANCELLED:
        emit(session, "order.cancelled", **payload, reason=reason, was=current.value)
    elif target is OrderStatus.IN_TRANSIT and current not in SHIPPED:
        emit(session, "order.shipped", **payload)
    else:
        emit(session, "order.status_changed", **payload, status=target.value, was=current.value)


@dataclass(frozen=True, slots=True)
class PaidOrder:
    id: int
    seller_id: int
    shopper_id: int
    total_cents: int


def mark_paid(session: Session, *, payment_id: int, now: dt.datetime) -> list[PaidOrder]:
    """UNPAID -> AWAITING_SHIPMENT for every order of an authorised payment, as three set-based
    statements (update, history, events): the checkout hot path. Orders no longer UNPAID are left
    alone, so a repeated call changes nothing."""
    check_transition(OrderStatus.UNPAID, OrderStatus.AWAITING_SHIPMENT)
    rows = session.execute(
        update(Order)
        .where(Order.payment_id == payment_id, Order.status == OrderStatus.UNPAID)
        .values(status=OrderStatus.AWAITING_SHIPMENT, paid_at=now, reservation_expires_at=None)
        .returning(Order.id, Order.seller_id, Order.shopper_id, Order.total_cents)
        .execution_options(synchronize_session=False)
    ).all()
    paid = [PaidOrder(*row) for row in rows]
    if paid:
        session.execute(
            insert(OrderHistory),
            [
                {
                    "order_id": p.id,
                    "at": now,
                    "actor_user_id": None,
                    "actor_role": SYSTEM,
                    "from_status": OrderStatus.UNPAID,
                    "to_status": OrderStatus.AWAITING_SHIPMENT,
                    "reason": "paid",
                }
                for p in paid
            ],
        )
        emit_many(
            session,
            "order.paid",
            [
                {"order_id": p.id, "seller_id": p.seller_id, "shopper_id": p.shopper_id, "total_cents": p.total_cents}
                for p in paid
            ],
        )
    return paid


#: A shopper may cancel on their own until the seller has printed a label.
SHOPPER_CANCELLABLE = frozenset({OrderStatus.UNPAID, OrderStatus.ON_HOLD, OrderStatus.AWAITING_SHIPMENT})


def cancel_order(session: Session, *, principal: Principal, order_id: int, reason: str) -> Order:
    """Cancel before shipment: stock goes back, the authorisation is voided (after commit)."""
    order = get_order(session, principal=principal, order_id=order_id, lock=True)
    check_transition(order.status, OrderStatus.CANCELLED)  # shipped or closed: a structured 409
    if principal.role is Role.SHOPPER and order.status not in SHOPPER_CANCELLABLE:
        raise Forbidden(
            "This order is already being prepared; ask the seller to cancel it.", status_now=order.status.value
        )
    transition(session, order=order, target=OrderStatus.CANCELLED, actor=principal, reason=reason)
    return order


#: Transitions a seller may request by hand until fulfillment drives them from shipments.
SELLER_MOVES = frozenset({OrderStatus.PARTIALLY_SHIPPING, OrderStatus.AWAITING_COLLECTION, OrderStatus.IN_TRANSIT})


def move_order(
    session: Session, *, principal: Principal, order_id: int, target: OrderStatus, reason: str | None
) -> Order:
    """Seller or operator moves an order along; shoppers never move orders directly."""
    if principal.role not in (Role.SELLER, Role.OPERATOR):
        raise Forbidden("Only the seller or an operator can move an order.")
    if principal.role is Role.SELLER and target not in SELLER_MOVES:
        raise Forbidden(f"A seller cannot set {target.value}; it follows from carrier events or operators.")
    if target is OrderStatus.CANCELLED:
        return cancel_order(session, principal=principal, order_id=order_id, reason=reason or "cancelled")
    order = get_order(session, principal=principal, order_id=order_id, lock=True)
    transition(session, order=order, target=target, actor=principal, reason=reason)
    return order


def expire_unpaid(session: Session, *, now: dt.datetime, limit: int = 200) -> list[int]:
    """Cancel UNPAID orders whose reservation TTL passed; their stock goes back on sale."""
    query = (
        select(Order)
        .where(Order.status == OrderStatus.UNPAID, Order.reservation_expires_at < now)
        .order_by(Order.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    expired = list(session.scalars(query))
    for order in expired:
        transition(session, order=order, target=OrderStatus.CANCELLED, actor=None, reason="reservation_expired")
    return [order.id for order in expired]
