"""Shipments after allocation: labels from the carrier, the seller's own tracking numbers, marking
shipped, the order status that follows its shipments, tracking events from carrier webhooks, and the
shopper's tracking view. Services never commit; carrier calls happen outside transactions (the API
reads, calls the carrier, then writes) except in the outbox label handler (see ``handlers.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.errors import Conflict, Forbidden, InvalidInput, NotFound
from yellowcart.events import emit
from yellowcart.fulfillment import calendar
from yellowcart.fulfillment.carriers.base import (
    Address,
    Carrier,
    Label,
    LabelRequest,
    Parcel,
    TrackingEvent,
    TrackingState,
    TrackingStatus,
)
from yellowcart.fulfillment.carriers.tracking import fold_events, new_events
from yellowcart.fulfillment.carriers.tracking_numbers import validate_tracking_number
from yellowcart.fulfillment.models import Shipment, ShipmentEvent, ShipmentStatus
from yellowcart.fulfillment.service import record_delivery
from yellowcart.inventory.models import Warehouse, WarehouseOperator
from yellowcart.orders import service as orders
from yellowcart.orders.models import Order
from yellowcart.orders.state import OrderStatus

S = ShipmentStatus
#: The carrier has the parcel (or the seller says its own carrier does).
HANDED = frozenset(
    {S.SHIPPED, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED, S.EXCEPTION, S.RETURNED_TO_SENDER, S.LOST}
)
#: Packed and labelled, or further.
READY = HANDED | {S.AWAITING_COLLECTION}
_FROM_TRACKING = {
    TrackingStatus.LABEL_CREATED: None,
    TrackingStatus.ACCEPTED: S.IN_TRANSIT,
    TrackingStatus.IN_TRANSIT: S.IN_TRANSIT,
    TrackingStatus.OUT_FOR_DELIVERY: S.OUT_FOR_DELIVERY,
    TrackingStatus.DELIVERED: S.DELIVERED,
    TrackingStatus.EXCEPTION: S.EXCEPTION,
    TrackingStatus.RETURNED_TO_SENDER: S.RETURNED_TO_SENDER,
    TrackingStatus.LOST: S.LOST,
}


# ---- who sees which shipment -----------------------------------------------------------------------


def _visible(query: Select[Shipment], principal: Principal) -> Select[Shipment]:
    """Operators see all shipments; a seller those its own warehouses ship; nobody else any."""
    if principal.is_operator:
        return query
    if principal.role is Role.SELLER:
        mine = select(Warehouse.id).where(Warehouse.seller_id == principal.seller_id)
        return query.where(Shipment.warehouse_id.in_(mine))
    return query.where(Shipment.id.is_(None))


def get_shipment(session: Session, *, principal: Principal, shipment_id: int, lock: bool = False) -> Shipment:
    query = _visible(select(Shipment).where(Shipment.id == shipment_id), principal)
    shipment = session.scalar(query.with_for_update() if lock else query)
    if shipment is None:
        raise NotFound(f"Shipment {shipment_id} does not exist.")
    return shipment


def list_shipments(
    session: Session, *, principal: Principal, status: ShipmentStatus | None, after_id: int | None, limit: int
) -> Sequence[Shipment]:
    """The caller's shipments, newest first (``status=allocated``: what is still to ship)."""
    if principal.role not in (Role.SELLER, Role.OPERATOR):
        raise Forbidden("Shipments are listed for sellers and operators.")
    query = _visible(select(Shipment), principal)
    if status is not None:
        query = query.where(Shipment.status == status)
    if after_id is not None:
        query = query.where(Shipment.id < after_id)
    return session.scalars(query.order_by(Shipment.id.desc()).limit(limit)).all()


# ---- labels ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LabelJob:
    """What a carrier needs to sell a label, read in one transaction and bought outside it."""

    shipment_id: int
    service: str
    request: LabelRequest


def label_job(session: Session, shipment: Shipment) -> LabelJob:
    if shipment.status is not S.ALLOCATED or shipment.tracking_number:
        raise Conflict("This shipment already has a label or tracking number.", field="status")
    order = session.get(Order, shipment.order_id)
    warehouse = session.get(Warehouse, shipment.warehouse_id)
    if order is None or warehouse is None:
        raise NotFound(f"Shipment {shipment.id} has no order or warehouse.")
    request = LabelRequest(
        reference=f"shp-{shipment.id}",
        parcel=Parcel(weight_grams=max(shipment.weight_grams, 1)),
        from_address=warehouse_address(warehouse),
        to_address=shopper_address(order),
    )
    return LabelJob(shipment.id, shipment.service, request)


def warehouse_address(warehouse: Warehouse, *, name: str | None = None) -> Address:
    return Address(
        name=name or warehouse.name, street1=warehouse.line1, city=warehouse.city, state=warehouse.state,
        zip=warehouse.zip, residential=False,
    )  # fmt: skip


def shopper_address(order: Order) -> Address:
    """The order's ship-to as a carrier address (validated by ``Address``)."""
    to = order.ship_to
    return Address(
        name=str(to.get("name") or "Customer"),
        street1=str(to.get("line1") or ""),
        street2=str(to.get("line2") or ""),
        city=str(to.get("city") or ""),
        state=str(to.get("state") or ""),
        zip=str(to.get("zip") or ""),
    )


def buy_label(carrier: Carrier, job: LabelJob) -> Label:
    """The carrier's rate for the shipment's service (else its cheapest), bought. Network I/O: call
    it outside a transaction. The reference makes a retry return the same label."""
    rates = carrier.rates(job.request.parcel, job.request.from_address, job.request.to_address)
    if not rates:
        raise Conflict("The carrier offers no rate for this parcel.", field="service")
    rate = next((r for r in rates if r.service == job.service), rates[0])
    return carrier.buy_label(job.request, rate)


def record_label(session: Session, *, shipment_id: int, label: Label) -> Shipment | None:
    """Store a bought label once (a racing duplicate finds the label already there)."""
    shipment = session.scalar(select(Shipment).where(Shipment.id == shipment_id).with_for_update())
    if shipment is None or shipment.status is not S.ALLOCATED or shipment.tracking_number:
        return shipment
    shipment.carrier, shipment.provider = label.carrier, label.provider
    shipment.tracking_number, shipment.label_ref = label.tracking_number, label.label_url
    shipment.label_cost_cents, shipment.status = label.cost_cents, S.LABEL_CREATED
    emit(session, "shipment.label_created", shipment_id=shipment.id, order_id=shipment.order_id)
    return shipment


# ---- the seller ships -------------------------------------------------------------------------------


def _seller_ships(principal: Principal, shipment: Shipment) -> None:
    if principal.is_operator:
        return
    if shipment.fulfilled_by != WarehouseOperator.SELLER.value:
        raise Forbidden("The platform ships this shipment.")


def mark_shipped(
    session: Session,
    *,
    principal: Principal,
    shipment_id: int,
    carrier: str | None,
    tracking_number: str | None,
    now: dt.datetime,
) -> Shipment:
    """The seller hands a package over: with the platform's label it awaits the carrier's pickup scan;
    with its own carrier and (validated) tracking number it counts as shipped. The order follows."""
    shipment = get_shipment(session, principal=principal, shipment_id=shipment_id, lock=True)
    _seller_ships(principal, shipment)
    if shipment.status not in (S.ALLOCATED, S.LABEL_CREATED):
        raise Conflict(f"Shipment {shipment.id} is already {shipment.status.value}.", field="status")
    if tracking_number is not None or carrier is not None:
        if not (tracking_number and carrier):
            raise InvalidInput("Give both carrier and tracking_number.", field="tracking_number")
        if shipment.provider:
            raise Conflict("This shipment has a platform label; ship it with that label.", field="tracking_number")
        shipment.tracking_number = validate_tracking_number(carrier, tracking_number)
        shipment.carrier, shipment.provider = carrier, None
    if not shipment.tracking_number:
        raise InvalidInput("Buy a label or give your carrier and tracking number.", field="tracking_number")
    shipment.status = S.AWAITING_COLLECTION if shipment.provider else S.SHIPPED
    shipment.shipped_at = now
    emit(session, "shipment.shipped", shipment_id=shipment.id, order_id=shipment.order_id)
    sync_order(session, order_id=shipment.order_id, actor=principal)
    return shipment


#: ``cancel_reason`` of a lost package whose lines were refunded: it no longer holds its order back.
LOST_REFUNDED = "lost; refunded"


def own_tracking(session: Session, *, shipment_id: int) -> tuple[str, str] | None:
    """(tracking number, carrier) of a package the seller shipped with its own carrier, still in the
    carrier's hands: the platform's carrier adapter can be asked to follow it (EasyPost trackers)."""
    row = session.execute(
        select(Shipment.tracking_number, Shipment.carrier).where(
            Shipment.id == shipment_id, Shipment.provider.is_(None), Shipment.status == S.SHIPPED
        )
    ).first()
    if row is None or not row[0] or not row[1]:
        return None
    return str(row[0]), str(row[1])


def order_target(
    current: OrderStatus, statuses: Sequence[ShipmentStatus], *, settled_lost: int = 0
) -> list[OrderStatus]:
    """The moves an order makes to follow its live shipments (pure): all delivered -> DELIVERED; all
    handed to carriers -> IN_TRANSIT; all packed -> AWAITING_COLLECTION; some -> PARTIALLY_SHIPPING.
    ``statuses`` leaves out lost packages already refunded (``settled_lost`` counts them): when
    nothing else is left, an order in transit is cancelled (it was refunded in full)."""
    live = [s for s in statuses if s is not S.CANCELLED]
    if not live:
        return [OrderStatus.CANCELLED] if settled_lost and current is OrderStatus.IN_TRANSIT else []
    early = {OrderStatus.AWAITING_SHIPMENT, OrderStatus.PARTIALLY_SHIPPING, OrderStatus.AWAITING_COLLECTION}
    if all(s is S.DELIVERED for s in live):
        if current is OrderStatus.IN_TRANSIT:
            return [OrderStatus.DELIVERED]
        return [OrderStatus.IN_TRANSIT, OrderStatus.DELIVERED] if current in early else []
    if all(s in HANDED for s in live):
        return [OrderStatus.IN_TRANSIT] if current in early else []
    if all(s in READY for s in live):
        return [OrderStatus.AWAITING_COLLECTION] if current in early - {OrderStatus.AWAITING_COLLECTION} else []
    if any(s in READY for s in live) and current is OrderStatus.AWAITING_SHIPMENT:
        return [OrderStatus.PARTIALLY_SHIPPING]
    return []


def sync_order(session: Session, *, order_id: int, actor: Principal | None) -> Order | None:
    """Move the order along its shipments (the first move into IN_TRANSIT commits its stock)."""
    order = session.scalar(select(Order).where(Order.id == order_id).with_for_update())
    if order is None:
        return None
    rows = session.execute(select(Shipment.status, Shipment.cancel_reason).where(Shipment.order_id == order_id)).all()
    settled = sum(1 for status, why in rows if status is S.LOST and why == LOST_REFUNDED)
    statuses = [status for status, why in rows if not (status is S.LOST and why == LOST_REFUNDED)]
    for target in order_target(order.status, statuses, settled_lost=settled):
        lost = target is OrderStatus.CANCELLED  # only order_target's lost-and-refunded case cancels
        reason = "lost_in_transit" if lost else "shipments"
        orders.transition(session, order=order, target=target, actor=actor, reason=reason, system=lost)
    return order


# ---- tracking ----------------------------------------------------------------------------------------


def _as_event(row: ShipmentEvent, tracking_number: str) -> TrackingEvent:
    return TrackingEvent(
        tracking_number=tracking_number,
        status=TrackingStatus(row.status),
        occurred_at=row.occurred_at,
        event_id=row.event_id,
        description=row.description,
        location=row.location,
    )


def _estimate(shipment: Shipment, handed_at: dt.datetime | None, status: TrackingStatus) -> dt.date | None:
    """The current estimate: the allocation's date, pushed by as many business days as the hand-over
    was late against ``ship_by``; an exception adds a business day; lost parcels have none."""
    if status is TrackingStatus.LOST:
        return None
    estimate = shipment.estimated_date
    if estimate is None:
        return None
    if handed_at is not None and handed_at.date() > shipment.ship_by:
        estimate = calendar.add_business_days(
            estimate, calendar.business_days_between(shipment.ship_by, handed_at.date())
        )
    if status is TrackingStatus.EXCEPTION:
        estimate = calendar.add_business_days(estimate, 1)
    return estimate


def ingest_events(session: Session, *, provider: str, events: Sequence[TrackingEvent], now: dt.datetime) -> int:
    """Store carrier events (each once per shipment), re-fold each touched shipment by event time and
    move it and its order. Unknown tracking numbers are ignored (not ours). Returns events stored."""
    stored = 0
    for number in sorted({e.tracking_number for e in events}):
        shipment = session.scalar(
            select(Shipment)
            .where(Shipment.tracking_number == number, Shipment.status != S.CANCELLED)
            .order_by(Shipment.id)
            .limit(1)
            .with_for_update()
        )
        if shipment is None:
            continue
        known = [_as_event(r, number) for r in _event_rows(session, shipment.id)]
        fresh = new_events(known, [e for e in events if e.tracking_number == number])
        for e in fresh:
            session.add(
                ShipmentEvent(
                    shipment_id=shipment.id,
                    event_id=e.event_id[:128],
                    status=e.status.value,
                    occurred_at=e.occurred_at,
                    description=e.description[:300],
                    location=(e.location or None) and str(e.location)[:200],
                )
            )
        stored += len(fresh)
        if fresh:
            session.flush()
            _apply(session, shipment, fold_events(known + fresh))
    return stored


def _event_rows(session: Session, shipment_id: int) -> Sequence[ShipmentEvent]:
    return session.scalars(
        select(ShipmentEvent)
        .where(ShipmentEvent.shipment_id == shipment_id)
        .order_by(ShipmentEvent.occurred_at, ShipmentEvent.id)
    ).all()


def _apply(session: Session, shipment: Shipment, state: TrackingState) -> None:
    target = _FROM_TRACKING[state.status]
    scans = [e for e in state.events if _FROM_TRACKING[e.status] is not None]
    handed_at = scans[0].occurred_at if scans else None
    if handed_at is not None and shipment.shipped_at is None:
        shipment.shipped_at = handed_at
    was_delivered = shipment.status is S.DELIVERED
    if target is not None:
        shipment.status = target
    shipment.estimated_date = (
        state.delivered_at.date() if state.delivered_at else _estimate(shipment, handed_at, state.status)
    )
    if state.delivered_at is not None and not was_delivered:
        shipment.delivered_at = state.delivered_at
        _calibrate(session, shipment, state.delivered_at)
        emit(session, "shipment.delivered", shipment_id=shipment.id, order_id=shipment.order_id)
    sync_order(session, order_id=shipment.order_id, actor=None)


def _calibrate(session: Session, shipment: Shipment, delivered_at: dt.datetime) -> None:
    """A delivered parcel is one observation of its lane (the transit model learns from it)."""
    warehouse = session.get(Warehouse, shipment.warehouse_id)
    order = session.get(Order, shipment.order_id)
    if warehouse is None or order is None or shipment.shipped_at is None:
        return
    record_delivery(
        session,
        origin_zip=warehouse.zip,
        dest_zip=str(order.ship_to.get("zip", ""))[:5],
        service=shipment.service,
        shipped_at=min(shipment.shipped_at, delivered_at),
        delivered_at=delivered_at,
    )


@dataclass(frozen=True, slots=True)
class Tracked:
    shipment: Shipment
    events: Sequence[ShipmentEvent]


def order_tracking(session: Session, *, principal: Principal, order_id: int) -> tuple[Order, list[Tracked]]:
    """An order's shipments with their timelines, for whoever may see the order (else 404)."""
    order = orders.get_order(session, principal=principal, order_id=order_id)
    shipments = session.scalars(select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id)).all()
    return order, [Tracked(s, _event_rows(session, s.id)) for s in shipments]
