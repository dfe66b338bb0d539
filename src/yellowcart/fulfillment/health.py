"""Seller health over a rolling window (30 days by default), computed from shipments, orders and SLA
incidents, with breaches flagged against the seed market's thresholds (``sla``), and customer
service's first-response rate (``support.stats``: answered within the SLA, at least 90%).

Only what the seller controls counts: late dispatch, valid tracking and on-time delivery are measured
on the packages the seller's own warehouses ship (platform-shipped packages are the platform's), and a
cancellation is the seller's fault when the seller cancelled or the SLA job did (not shipped in time).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.errors import Forbidden, NotFound
from yellowcart.fulfillment import sla
from yellowcart.fulfillment.carriers.base import TrackingStatus
from yellowcart.fulfillment.carriers.tracking_numbers import check_tracking_number
from yellowcart.fulfillment.models import Shipment, ShipmentEvent, ShipmentStatus, SlaIncident, SlaKind
from yellowcart.fulfillment.sla_jobs import AUTO_CANCEL_REASON, shipment_deadline, shopper_tz, warehouse_tz
from yellowcart.inventory.models import Warehouse, WarehouseOperator
from yellowcart.orders.models import Order, OrderHistory
from yellowcart.orders.state import OrderStatus
from yellowcart.sellers.models import Seller
from yellowcart.support import stats as support_stats

DEFAULT_WINDOW_DAYS = 30
S = ShipmentStatus


@dataclass(frozen=True, slots=True)
class SellerHealth:
    seller_id: int
    since: dt.datetime
    until: dt.datetime
    late_dispatch: sla.Rate
    seller_fault_cancellation: sla.Rate
    valid_tracking: sla.Rate
    on_time_delivery: sla.Rate
    first_response: sla.Rate  # customer service: first answers within the SLA (support.stats)

    def rates(self) -> dict[str, sla.Rate]:
        return {
            "late_dispatch": self.late_dispatch,
            "seller_fault_cancellation": self.seller_fault_cancellation,
            "valid_tracking": self.valid_tracking,
            "on_time_delivery": self.on_time_delivery,
            "first_response": self.first_response,
        }

    @property
    def breaches(self) -> list[str]:
        return [name for name, rate in self.rates().items() if rate.breached]


def _own_shipments(seller_id: int) -> Select[Order, Shipment, Warehouse]:
    return (
        select(Order, Shipment, Warehouse)
        .join(Shipment, Shipment.order_id == Order.id)
        .join(Warehouse, Warehouse.id == Shipment.warehouse_id)
        .where(Order.seller_id == seller_id, Shipment.fulfilled_by == WarehouseOperator.SELLER.value)
    )


def dispatch_judgements(
    session: Session, seller_id: int, since: dt.datetime, now: dt.datetime, until: dt.datetime | None = None
) -> Iterator[tuple[dt.datetime, bool]]:
    """Each of the seller's own packages created in ``[since, until)`` that can be judged by ``now``, with
    its creation time and whether it was late: handed over after the deadline day, still waiting after it,
    or cancelled by the SLA job for not shipping. A package not due yet says nothing either way. Seller
    health's rate and the seller centre's weekly chart both count these."""
    query = _own_shipments(seller_id).where(Shipment.created_at >= since)
    if until is not None:
        query = query.where(Shipment.created_at < until)
    rows = session.execute(query).all()
    flagged = set(
        session.scalars(
            select(SlaIncident.shipment_id).where(
                SlaIncident.seller_id == seller_id, SlaIncident.kind == SlaKind.LATE_DISPATCH
            )
        )
    )
    for order, shipment, warehouse in rows:
        if shipment.status is S.CANCELLED and shipment.shipped_at is None:
            if shipment.id in flagged:
                yield shipment.created_at, True
            continue
        deadline = shipment_deadline(order, shipment, warehouse)
        tz = warehouse_tz(warehouse)
        is_late = sla.dispatched_late(deadline, now=now, shipped_at=shipment.shipped_at, timezone=tz)
        if shipment.shipped_at is None and not is_late:
            continue  # not due yet
        yield shipment.created_at, is_late


def _late_dispatch(session: Session, seller_id: int, since: dt.datetime, now: dt.datetime) -> sla.Rate:
    judged = [late for _, late in dispatch_judgements(session, seller_id, since, now)]
    return sla.Rate(sum(judged), len(judged), sla.LATE_DISPATCH)


def _cancellations(session: Session, seller_id: int, since: dt.datetime) -> sla.Rate:
    paid = session.execute(
        select(Order.id, Order.status, Order.cancel_reason).where(Order.seller_id == seller_id, Order.paid_at >= since)
    ).all()
    cancelled = [oid for oid, status, _ in paid if status is OrderStatus.CANCELLED]
    by_seller = set(
        session.scalars(
            select(OrderHistory.order_id).where(
                OrderHistory.order_id.in_(cancelled),
                OrderHistory.to_status == OrderStatus.CANCELLED,
                OrderHistory.actor_role == Role.SELLER.value,
            )
        )
        if cancelled
        else []
    )
    fault = sum(
        1
        for oid, status, reason in paid
        if status is OrderStatus.CANCELLED and (reason == AUTO_CANCEL_REASON or oid in by_seller)
    )
    return sla.Rate(fault, len(paid), sla.SELLER_FAULT_CANCELLATION)


def _valid_tracking(session: Session, seller_id: int, since: dt.datetime) -> sla.Rate:
    """Packages handed over in the window: valid when the number passes its carrier's check digit and
    the carrier scanned the parcel at least once."""
    rows = session.execute(_own_shipments(seller_id).where(Shipment.shipped_at >= since)).all()
    ids = [shipment.id for _, shipment, _ in rows]
    scanned = set(
        session.scalars(
            select(ShipmentEvent.shipment_id).where(
                ShipmentEvent.shipment_id.in_(ids), ShipmentEvent.status != TrackingStatus.LABEL_CREATED.value
            )
        )
        if ids
        else []
    )
    valid = 0
    for _, shipment, _ in rows:
        number, carrier = shipment.tracking_number, shipment.carrier
        if shipment.id in scanned and number and carrier and check_tracking_number(carrier, number).valid:
            valid += 1
    return sla.Rate(valid, len(rows), sla.VALID_TRACKING)


def _on_time(session: Session, seller_id: int, since: dt.datetime, now: dt.datetime) -> sla.Rate:
    """Packages promised for a day in the window that is over: on time when delivered by that day
    (shopper's zone). A lost package counts as late; one cancelled before leaving does not count."""
    rows = session.execute(
        _own_shipments(seller_id).where(Shipment.promised_date >= since.date(), Shipment.promised_date < now.date())
    ).all()
    on_time = total = 0
    for order, shipment, _ in rows:
        if shipment.status is S.CANCELLED and shipment.shipped_at is None:
            continue
        assert shipment.promised_date is not None
        tz = shopper_tz(order)
        if shipment.delivered_at is None and not sla.delivered_late(
            shipment.promised_date, now=now, delivered_at=None, timezone=tz
        ):
            continue  # still the promised day where the shopper is
        total += 1
        on_time += (
            not sla.delivered_late(shipment.promised_date, now=now, delivered_at=shipment.delivered_at, timezone=tz)
            and shipment.delivered_at is not None
        )
    return sla.Rate(on_time, total, sla.ON_TIME_DELIVERY)


def seller_health(
    session: Session, *, seller_id: int, now: dt.datetime, window_days: int = DEFAULT_WINDOW_DAYS
) -> SellerHealth:
    since = now - dt.timedelta(days=window_days)
    return SellerHealth(
        seller_id=seller_id,
        since=since,
        until=now,
        late_dispatch=_late_dispatch(session, seller_id, since, now),
        seller_fault_cancellation=_cancellations(session, seller_id, since),
        valid_tracking=_valid_tracking(session, seller_id, since),
        on_time_delivery=_on_time(session, seller_id, since, now),
        first_response=support_stats.first_response_rate(session, seller_id=seller_id, since=since, now=now),
    )


def get_seller_health(
    session: Session, *, principal: Principal, seller_id: int, now: dt.datetime, window_days: int
) -> SellerHealth:
    """The seller itself or an operator; another seller's health reads as missing."""
    if principal.role not in (Role.SELLER, Role.OPERATOR):
        raise Forbidden("Seller health is for the seller and operators.")
    if (principal.role is Role.SELLER and principal.seller_id != seller_id) or session.get(Seller, seller_id) is None:
        raise NotFound(f"Seller {seller_id} does not exist.")
    return seller_health(session, seller_id=seller_id, now=now, window_days=window_days)


def all_seller_health(
    session: Session, *, principal: Principal, now: dt.datetime, window_days: int, breached_only: bool
) -> Sequence[SellerHealth]:
    """Every seller with orders paid in the window (operators), breaching ones only on request."""
    if not principal.is_operator:
        raise Forbidden("Seller health across sellers is for operators.")
    since = now - dt.timedelta(days=window_days)
    ids = session.scalars(
        select(Order.seller_id).where(Order.paid_at >= since).distinct().order_by(Order.seller_id)
    ).all()
    found = [seller_health(session, seller_id=sid, now=now, window_days=window_days) for sid in ids]
    return [h for h in found if h.breaches] if breached_only else found
