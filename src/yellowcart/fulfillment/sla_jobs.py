"""SLA detection jobs: late dispatch (notify, then auto-cancel at 7 business days), late delivery
(notify the shopper), lost parcels (reship, else refund). Each detection is one ``sla_incidents`` row,
UNIQUE (kind, shipment): a rerun, or a second worker racing this one, records and does nothing new.

Detection reads candidates (pure rules in ``sla``); each action runs in its own transaction so one
failing shipment does not hold up the others, and re-checks what it read under the row locks (the
order row first, then the shipment, as allocation locks them). The incident is inserted first, in a
savepoint: a duplicate ends the action before it has done anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import structlog
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yellowcart.checkout.payments import PaymentProvider
from yellowcart.checkout.refunds import refund_order
from yellowcart.db import Database
from yellowcart.errors import InsufficientStock
from yellowcart.events import emit
from yellowcart.fulfillment import allocate, shipping, sla
from yellowcart.fulfillment.carriers.base import TrackingStatus
from yellowcart.fulfillment.geo import place_of
from yellowcart.fulfillment.models import (
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
    SlaAction,
    SlaIncident,
    SlaKind,
    SlaNotification,
)
from yellowcart.fulfillment.service import FALLBACK_TZ
from yellowcart.inventory import service as inventory
from yellowcart.inventory.models import Warehouse, WarehouseOperator
from yellowcart.orders import service as orders
from yellowcart.orders.models import Order
from yellowcart.orders.state import OrderStatus

log = structlog.get_logger(__name__)
S = ShipmentStatus
#: Nothing handed to a carrier yet (a seller's "shipped" or a carrier scan ends this).
UNDISPATCHED = frozenset({S.ALLOCATED, S.LABEL_CREATED})
#: With the carrier and not finished: a parcel that can go missing.
IN_CARRIER_HANDS = frozenset({S.SHIPPED, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.EXCEPTION, S.LOST})
HANDED = IN_CARRIER_HANDS | {S.DELIVERED, S.RETURNED_TO_SENDER}
#: Orders whose packages may still be waiting to be dispatched.
AWAITING = (OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPING)
AUTO_CANCEL_REASON = "sla_auto_cancel"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SlaConfig:
    lost_after_days: int = sla.LOST_AFTER_DAYS
    auto_cancel_business_days: int = sla.AUTO_CANCEL_BUSINESS_DAYS


@dataclass
class SlaRun:
    """Shipment ids acted on, per kind (empty on a rerun)."""

    late_dispatch: list[int] = field(default_factory=list)
    auto_cancelled: list[int] = field(default_factory=list)
    late_delivery: list[int] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)

    def total(self) -> int:
        return len(self.late_dispatch) + len(self.auto_cancelled) + len(self.late_delivery) + len(self.lost)


def warehouse_tz(warehouse: Warehouse) -> str:
    place = place_of(warehouse.zip)
    return warehouse.timezone or (place.timezone if place and place.timezone else FALLBACK_TZ)


def shopper_tz(order: Order) -> str:
    place = place_of(str(order.ship_to.get("zip", ""))[:5])
    return place.timezone if place and place.timezone else FALLBACK_TZ


def dispatch_start(order: Order, shipment: Shipment) -> dt.datetime:
    """The clock starts at payment; a package created later (re-allocated, reshipped) starts its own."""
    return max(order.paid_at or order.placed_at, shipment.created_at)


def shipment_deadline(order: Order, shipment: Shipment, warehouse: Warehouse) -> dt.date:
    return sla.dispatch_deadline(
        dispatch_start(order, shipment),
        cutoff_minutes=warehouse.cutoff_minutes,
        timezone=warehouse_tz(warehouse),
        handling_days=warehouse.handling_days,
    )


def _not_recorded(kind: SlaKind) -> object:
    return ~exists().where(SlaIncident.shipment_id == Shipment.id, SlaIncident.kind == kind)


# ---- recording ---------------------------------------------------------------------------------------


def _record(
    session: Session,
    *,
    kind: SlaKind,
    order: Order,
    shipment: Shipment,
    fault: str,
    action: SlaAction,
    now: dt.datetime,
    detail: str = "",
) -> SlaIncident | None:
    """Insert the incident in a savepoint; None when it already exists (a rerun or a racing worker)."""
    incident = SlaIncident(
        kind=kind,
        order_id=order.id,
        shipment_id=shipment.id,
        seller_id=order.seller_id,
        fault=fault,
        detected_at=now,
        action=action,
        detail=detail[:300],
    )
    try:
        with session.begin_nested():
            session.add(incident)
            session.flush()
    except IntegrityError:
        return None
    emit(
        session,
        f"sla.{kind.value}",
        incident_id=incident.id,
        order_id=order.id,
        shipment_id=shipment.id,
        seller_id=order.seller_id,
        action=action.value,
    )
    return incident


def _notify(session: Session, incident: SlaIncident, recipient: str, order: Order, message: str) -> None:
    session.add(
        SlaNotification(
            incident_id=incident.id,
            recipient=recipient,
            seller_id=order.seller_id if recipient == "seller" else None,
            user_id=order.shopper_id if recipient == "shopper" else None,
            message=message[:300],
        )
    )


def _fault_of(shipment: Shipment) -> str:
    return "platform" if shipment.fulfilled_by == WarehouseOperator.PLATFORM.value else "seller"


def _lock(session: Session, order_id: int, shipment_id: int) -> tuple[Order, Shipment] | None:
    order = allocate.lock_order(session, order_id)
    shipment = session.scalar(select(Shipment).where(Shipment.id == shipment_id).with_for_update())
    return (order, shipment) if order is not None and shipment is not None else None


# ---- late dispatch and auto-cancel -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Undispatched:
    order_id: int
    shipment_id: int
    late: bool
    cancel_due: bool
    deadline: dt.date


def find_undispatched(session: Session, *, now: dt.datetime, config: SlaConfig) -> list[Undispatched]:
    """Packages of paid orders not yet handed over, with whether they are late / due for cancel."""
    rows = session.execute(
        select(Order, Shipment, Warehouse)
        .join(Shipment, Shipment.order_id == Order.id)
        .join(Warehouse, Warehouse.id == Shipment.warehouse_id)
        .where(Shipment.status.in_(UNDISPATCHED), Order.status.in_(AWAITING))
        .order_by(Shipment.id)
    ).all()
    recorded = _recorded(session, [shipment.id for _, shipment, _ in rows])
    found = []
    for order, shipment, warehouse in rows:
        tz = warehouse_tz(warehouse)
        deadline = shipment_deadline(order, shipment, warehouse)
        late = sla.dispatched_late(deadline, now=now, shipped_at=None, timezone=tz)
        due = sla.auto_cancel_due(
            dispatch_start(order, shipment), now=now, timezone=tz, business_days=config.auto_cancel_business_days
        )
        late = late and (SlaKind.LATE_DISPATCH, shipment.id) not in recorded
        due = due and (SlaKind.AUTO_CANCEL, shipment.id) not in recorded
        if late or due:
            found.append(Undispatched(order.id, shipment.id, late, due, deadline))
    return found


def _recorded(session: Session, shipment_ids: list[int]) -> set[tuple[SlaKind, int]]:
    if not shipment_ids:
        return set()
    rows = session.execute(
        select(SlaIncident.kind, SlaIncident.shipment_id).where(SlaIncident.shipment_id.in_(shipment_ids))
    ).all()
    return {(kind, sid) for kind, sid in rows}


def flag_late_dispatch(session: Session, *, found: Undispatched, now: dt.datetime) -> bool:
    locked = _lock(session, found.order_id, found.shipment_id)
    if locked is None or locked[1].status not in UNDISPATCHED:
        return False
    order, shipment = locked
    fault = _fault_of(shipment)
    action = SlaAction.NOTIFIED_SELLER if fault == "seller" else SlaAction.NOTIFIED_OPERATOR
    incident = _record(
        session,
        kind=SlaKind.LATE_DISPATCH,
        order=order,
        shipment=shipment,
        fault=fault,
        action=action,
        now=now,
        detail=f"due {found.deadline.isoformat()}",
    )
    if incident is None:
        return False
    message = f"Order {order.id}: package {shipment.id} was due to ship by {found.deadline.isoformat()}."
    _notify(session, incident, "seller" if fault == "seller" else "operator", order, message)
    return True


def auto_cancel(session: Session, *, found: Undispatched, now: dt.datetime) -> bool:
    """Cancel the order through the order state machine (stock released; ``order.cancelled`` voids the
    authorisation and cancels its packages after commit). An order with another package already on
    its way cannot be cancelled: the incident is recorded as flagged for operators instead."""
    locked = _lock(session, found.order_id, found.shipment_id)
    if locked is None or locked[1].status not in UNDISPATCHED:
        return False
    order, shipment = locked
    cancellable = order.status is OrderStatus.AWAITING_SHIPMENT
    incident = _record(
        session,
        kind=SlaKind.AUTO_CANCEL,
        order=order,
        shipment=shipment,
        fault=_fault_of(shipment),
        action=SlaAction.CANCELLED if cancellable else SlaAction.FLAGGED,
        now=now,
        detail="not dispatched within the auto-cancel window",
    )
    if incident is None:
        return False
    if cancellable:
        orders.transition(session, order=order, target=OrderStatus.CANCELLED, actor=None, reason=AUTO_CANCEL_REASON)
        _notify(
            session, incident, "shopper", order, f"Order {order.id} was not shipped in time: cancelled, not charged."
        )
        _notify(session, incident, "seller", order, f"Order {order.id} was cancelled: not shipped in time.")
    else:
        _notify(session, incident, "operator", order, f"Order {order.id}: package {shipment.id} never shipped.")
    return True


# ---- late delivery -----------------------------------------------------------------------------------


def find_late_deliveries(session: Session, *, now: dt.datetime) -> list[tuple[int, int]]:
    """(order id, shipment id) of live packages past their promised date in the shopper's zone."""
    rows = session.execute(
        select(Order, Shipment)
        .join(Shipment, Shipment.order_id == Order.id)
        .where(
            Shipment.status != S.CANCELLED,
            Shipment.promised_date.is_not(None),
            Shipment.promised_date < now.astimezone(dt.UTC).date(),  # US dates never run ahead of UTC's
            _not_recorded(SlaKind.LATE_DELIVERY),  # type: ignore[arg-type]
        )
        .order_by(Shipment.id)
    ).all()
    return [
        (order.id, shipment.id)
        for order, shipment in rows
        if shipment.promised_date is not None
        and sla.delivered_late(
            shipment.promised_date, now=now, delivered_at=shipment.delivered_at, timezone=shopper_tz(order)
        )
    ]


def flag_late_delivery(session: Session, *, order_id: int, shipment_id: int, now: dt.datetime) -> bool:
    locked = _lock(session, order_id, shipment_id)
    if locked is None:
        return False
    order, shipment = locked
    on_time_handover = shipment.shipped_at is not None and shipment.shipped_at.date() <= shipment.ship_by
    incident = _record(
        session,
        kind=SlaKind.LATE_DELIVERY,
        order=order,
        shipment=shipment,
        fault="carrier" if on_time_handover else _fault_of(shipment),
        action=SlaAction.NOTIFIED_SHOPPER,
        now=now,
        detail=f"promised {shipment.promised_date}",
    )
    if incident is None:
        return False
    _notify(session, incident, "shopper", order, f"Your order {order.id} is running late; sorry.")
    return True


# ---- lost parcels ------------------------------------------------------------------------------------


def find_lost(session: Session, *, now: dt.datetime, config: SlaConfig) -> list[tuple[int, int]]:
    """Packages with the carrier whose last scan (else hand-over) is ``lost_after_days`` old, or that
    the carrier declared lost. A seller's own carrier with no scan feed is left out: silence there
    says nothing."""
    scan = (ShipmentEvent.shipment_id == Shipment.id) & (ShipmentEvent.status != TrackingStatus.LABEL_CREATED.value)
    last_scan = select(func.max(ShipmentEvent.occurred_at)).where(scan).correlate(Shipment).scalar_subquery()
    rows = session.execute(
        select(Shipment.order_id, Shipment.id, Shipment.status, Shipment.shipped_at, last_scan)
        .join(Order, Order.id == Shipment.order_id)
        .where(
            Shipment.status.in_(IN_CARRIER_HANDS),
            Shipment.shipped_at.is_not(None),
            Shipment.provider.is_not(None) | exists().where(scan),
            _not_recorded(SlaKind.LOST_PARCEL),  # type: ignore[arg-type]
        )
        .order_by(Shipment.id)
    ).all()
    return [
        (order_id, shipment_id)
        for order_id, shipment_id, status, shipped_at, scanned in rows
        if status is S.LOST
        or sla.presumed_lost(scanned or shipped_at or now, now=now, after_days=config.lost_after_days)
    ]


def _refund_amount(order: Order, shipment: Shipment, live: int) -> int:
    """The whole order when this was its only package; else the lost units' share of each line."""
    if live <= 1:
        return order.total_cents
    by_line = {ln.id: ln for ln in order.lines}
    total = 0
    for sl in shipment.lines:
        ln = by_line[sl.order_line_id]
        paid = ln.line_subtotal_cents - ln.line_discount_cents + ln.line_tax_cents + ln.line_shipping_cents
        total += paid * sl.quantity // ln.quantity  # what was paid for the lost units, net of promotions
    return total


def handle_lost(
    session: Session, *, order_id: int, shipment_id: int, provider: PaymentProvider, now: dt.datetime
) -> bool:
    """Mark lost; reship the same lines when stock allows, else refund them (once: the refund's
    idempotency key is the shipment's)."""
    locked = _lock(session, order_id, shipment_id)
    if locked is None or locked[1].status not in IN_CARRIER_HANDS:
        return False
    order, shipment = locked
    incident = _record(
        session, kind=SlaKind.LOST_PARCEL, order=order, shipment=shipment, fault="carrier",
        action=SlaAction.RESHIPPED, now=now,
    )  # fmt: skip
    if incident is None:
        return False
    shipment.status, shipment.estimated_date = S.LOST, None
    live = session.scalar(select(func.count()).where(Shipment.order_id == order.id, Shipment.status != S.CANCELLED))
    try:
        with session.begin_nested():
            created = allocate.reship_lines(
                session,
                order=order,
                quantities={sl.order_line_id: sl.quantity for sl in shipment.lines},
                reason="reship_lost",
                now=now,
            )
        incident.new_shipment_id = created[0].id
        # The replacement now stands for the lost package: the order follows the replacement.
        shipment.status, shipment.cancel_reason = S.CANCELLED, f"lost; reshipped as {created[0].id}"
        _notify(session, incident, "shopper", order, f"Your order {order.id} was lost in transit; we sent it again.")
    except (allocate.NoAllocation, InsufficientStock):
        incident.action = SlaAction.REFUNDED
        incident.refund_cents = refund_order(
            session,
            provider=provider,
            order_id=order.id,
            amount_cents=_refund_amount(order, shipment, int(live or 0)),
            idempotency_key=f"refund-lost-{shipment.id}",
        )
        shipment.cancel_reason = shipping.LOST_REFUNDED
        session.flush()
        # Refunded: the package no longer holds the order; the order follows what is left (or is cancelled).
        shipping.sync_order(session, order_id=order.id, actor=None)
        _notify(session, incident, "shopper", order, f"Your order {order.id} was lost in transit; refunded.")
    return True


def settle_reships(session: Session) -> int:
    """A replacement that has left its warehouse commits its units (the order already went through
    its first shipped move, which is where stock is normally committed). Returns units committed."""
    order_ids = session.scalars(
        select(SlaIncident.order_id)
        .join(Shipment, Shipment.id == SlaIncident.new_shipment_id)
        .where(SlaIncident.kind == SlaKind.LOST_PARCEL, Shipment.status.in_(HANDED))
        .distinct()
    ).all()
    return sum(inventory.commit_reservations(session, order_id=oid) for oid in sorted(order_ids))


# ---- the runner --------------------------------------------------------------------------------------


def _each(
    db: Database, items: Sequence[T], act: Callable[[Session, T], bool], key: Callable[[T], int], into: list[int]
) -> None:
    for item in items:
        try:
            with db.transaction() as session:
                if act(session, item):
                    into.append(key(item))
        except Exception as exc:  # one bad shipment must not stop the job; the next run retries it
            log.warning("sla.action_failed", shipment_id=key(item), error=f"{type(exc).__name__}: {exc}")


def _second(pair: tuple[int, int]) -> int:
    return pair[1]


def run_sla_jobs(db: Database, *, provider: PaymentProvider, now: dt.datetime, config: SlaConfig) -> SlaRun:
    """Every SLA detection once, in order: late dispatch, auto-cancel, lost parcels, late delivery."""
    run = SlaRun()
    with db.transaction() as session:
        undispatched = find_undispatched(session, now=now, config=config)

    def shipment_of(u: Undispatched) -> int:
        return u.shipment_id

    late = [u for u in undispatched if u.late]
    _each(db, late, lambda s, u: flag_late_dispatch(s, found=u, now=now), shipment_of, run.late_dispatch)
    due = [u for u in undispatched if u.cancel_due]
    _each(db, due, lambda s, u: auto_cancel(s, found=u, now=now), shipment_of, run.auto_cancelled)
    with db.transaction() as session:
        lost = find_lost(session, now=now, config=config)
    _each(
        db,
        lost,
        lambda s, x: handle_lost(s, order_id=x[0], shipment_id=x[1], provider=provider, now=now),
        _second,
        run.lost,
    )
    with db.transaction() as session:
        settle_reships(session)
        overdue = find_late_deliveries(session, now=now)
    _each(
        db,
        overdue,
        lambda s, x: flag_late_delivery(s, order_id=x[0], shipment_id=x[1], now=now),
        _second,
        run.late_delivery,
    )
    return run
