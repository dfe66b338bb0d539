"""Allocation use cases: on order paid, choose the warehouse(s) (``allocation.plan_allocation``), move
the order's reservations there, book capacity and create the shipments; re-allocate a shipment whose
warehouse cannot ship. Services never commit: the caller (the outbox worker, an API call) owns the
transaction.

Order of locks, always the same: the order row, then stock rows in ascending id (``lock_stock``), then
capacity rows. Two allocations touching the same SKUs queue instead of deadlocking.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from yellowcart.catalog.models import Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.errors import Conflict
from yellowcart.events import emit
from yellowcart.fulfillment import service as network
from yellowcart.fulfillment.allocation import Pick, Plan, Site, Want, plan_allocation
from yellowcart.fulfillment.geo import Place, place_of
from yellowcart.fulfillment.models import Shipment, ShipmentLine, ShipmentStatus
from yellowcart.fulfillment.service import book_capacity, warehouse_node
from yellowcart.inventory import service as inventory
from yellowcart.inventory.models import Stock, Warehouse, WarehouseOperator
from yellowcart.orders.models import Order, OrderLine
from yellowcart.orders.state import OrderStatus

log = structlog.get_logger(__name__)
#: Units with no recorded weight are shipped as if they weighed this (a one-pound parcel).
DEFAULT_UNIT_GRAMS = 450
#: Re-plans after a concurrent allocation filled a warehouse's day between our read and our booking.
CAPACITY_RETRIES = 3
#: Shipments whose warehouse has not handed anything to a carrier yet: they may still move.
MOVABLE = frozenset({ShipmentStatus.ALLOCATED, ShipmentStatus.LABEL_CREATED})


class NoAllocation(Conflict):
    code, title = "no_allocation", "No warehouse can ship these items"


def lock_order(session: Session, order_id: int) -> Order | None:
    return session.scalar(
        select(Order).where(Order.id == order_id).options(selectinload(Order.lines)).with_for_update()
    )


def _eligible(line: OrderLine, order: Order, warehouse: Warehouse) -> bool:
    """Seller-fulfilled lines ship from the seller's own warehouses, the rest from the platform's."""
    if line.selling_mode is SellingMode.SELLER_FULFILLED:
        return warehouse.operator is WarehouseOperator.SELLER and warehouse.seller_id == order.seller_id
    return warehouse.operator is WarehouseOperator.PLATFORM


def _wants(session: Session, lines: Sequence[OrderLine], qty: dict[int, int] | None = None) -> list[Want]:
    grams = dict(
        session.execute(
            select(Variant.id, Variant.weight_grams).where(Variant.id.in_([ln.variant_id for ln in lines]))
        ).all()
    )
    return [
        Want(
            ln.id,
            ln.variant_id,
            qty[ln.id] if qty else ln.quantity,
            int(grams.get(ln.variant_id) or 0) or DEFAULT_UNIT_GRAMS,
        )
        for ln in lines
    ]


def _sites(
    session: Session,
    order: Order,
    lines: Sequence[OrderLine],
    own: dict[int, int],
    exclude: Iterable[int],
    now: dt.datetime,
) -> list[Site]:
    """Warehouses that may ship these lines, stock rows locked in id order; ``own`` is what this
    order already holds per stock row (it counts as available to the order itself)."""
    variant_ids = sorted({ln.variant_id for ln in lines})
    rows = inventory.lock_stock(
        session,
        stock_ids=list(session.scalars(select(Stock.id).where(Stock.variant_id.in_(variant_ids)))),
    )
    warehouses = {
        w.id: w
        for w in session.scalars(select(Warehouse).where(Warehouse.id.in_({r.warehouse_id for r in rows.values()})))
    }
    skip = set(exclude)
    booked = network.booked_capacity(session, warehouses, now.astimezone(dt.UTC).date())
    by_warehouse: dict[int, dict[int, tuple[int, int]]] = {}
    for stock in rows.values():
        wh = warehouses[stock.warehouse_id]
        if (
            wh.id in skip
            or not wh.is_active
            or not any(_eligible(ln, order, wh) and ln.variant_id == stock.variant_id for ln in lines)
        ):
            continue
        available = stock.on_hand - stock.reserved + own.get(stock.id, 0)
        by_warehouse.setdefault(wh.id, {})[stock.variant_id] = (stock.id, max(available, 0))
    return [
        Site(warehouse_node(warehouses[wid], booked.get(wid)), stock) for wid, stock in sorted(by_warehouse.items())
    ]


def _own_held(session: Session, order_id: int, line_ids: set[int]) -> dict[int, int]:
    own: dict[int, int] = {}
    for r in inventory.order_reservations(session, order_id=order_id):
        if r.order_line_id in line_ids:
            own[r.stock_id] = own.get(r.stock_id, 0) + r.quantity
    return own


def _book(session: Session, plan: Plan, nodes: dict[int, int | None]) -> int | None:
    """Book every pick's day; on a day that is over capacity (a concurrent booking won), undo ours and
    return that warehouse id so the caller re-plans."""
    booked: list[Pick] = []
    for pick in plan.picks:
        wid, day = pick.promise.warehouse_id, pick.promise.pick_date
        total = book_capacity(session, warehouse_id=wid, day=day)
        booked.append(pick)
        capacity = nodes.get(wid)
        if capacity is not None and total > capacity:
            for done in booked:
                book_capacity(session, warehouse_id=done.promise.warehouse_id, day=done.promise.pick_date, orders=-1)
            return wid
    return None


def _plan_and_book(
    session: Session,
    order: Order,
    lines: Sequence[OrderLine],
    qty: dict[int, int] | None,
    dest: Place,
    now: dt.datetime,
    exclude: Iterable[int] = (),
) -> Plan:
    own = _own_held(session, order.id, {ln.id for ln in lines}) if qty is None else {}
    wants = _wants(session, lines, qty)
    for _ in range(CAPACITY_RETRIES):
        sites = _sites(session, order, lines, own, exclude, now)
        transit = network.load_transit(session, (s.node.zip for s in sites), dest)
        plan = plan_allocation(wants, sites, dest, now, transit, order.promised_delivery_date)
        if plan is None:
            raise NoAllocation(f"No warehouse can ship order {order.id}.", order_id=order.id)
        full = _book(session, plan, {s.node.warehouse_id: s.node.daily_capacity for s in sites})
        if full is None:
            return plan
        log.info("allocation.capacity_race", order_id=order.id, warehouse_id=full)
    raise NoAllocation(f"Warehouses filled up while allocating order {order.id}; retry.", order_id=order.id)


def _create_shipments(
    session: Session, order: Order, plan: Plan, reason: str, keep: Sequence[Shipment] = ()
) -> list[Shipment]:
    """Shipments for the plan; reservations follow them (``keep``: the order's other live shipments,
    whose units of a shared line stay where they are)."""
    placements: dict[int, list[tuple[int, int]]] = {}
    planned = {line_id for pick in plan.picks for line_id, _, _ in pick.lines}
    for other in keep:
        for sl in other.lines:
            if sl.order_line_id in planned:
                placements.setdefault(sl.order_line_id, []).append((sl.stock_id, sl.quantity))
    for pick in plan.picks:
        for line_id, stock_id, qty in pick.lines:
            placements.setdefault(line_id, []).append((stock_id, qty))
    inventory.place_reservations(session, order_id=order.id, placements=placements)
    operators = dict(
        session.execute(
            select(Warehouse.id, Warehouse.operator).where(
                Warehouse.id.in_([p.promise.warehouse_id for p in plan.picks])
            )
        ).all()
    )
    shipments = []
    for pick in plan.picks:
        p = pick.promise
        shipment = Shipment(
            order_id=order.id,
            warehouse_id=p.warehouse_id,
            fulfilled_by=operators[p.warehouse_id].value,
            status=ShipmentStatus.ALLOCATED,
            service=p.service,
            weight_grams=pick.weight_grams,
            pick_date=p.pick_date,
            ship_by=p.ship_date,
            promised_date=order.promised_delivery_date or p.delivery_date,
            estimated_date=p.delivery_date,
            lines=[ShipmentLine(order_line_id=lid, stock_id=sid, quantity=q) for lid, sid, q in pick.lines],
        )
        session.add(shipment)
        shipments.append(shipment)
    session.flush()
    for s in shipments:
        emit(
            session,
            "shipment.allocated",
            shipment_id=s.id,
            order_id=order.id,
            fulfilled_by=s.fulfilled_by,
            reason=reason,
        )
    return shipments


def destination_of(order: Order) -> Place | None:
    return place_of(str(order.ship_to.get("zip", ""))[:5])


def allocate_order(session: Session, *, order_id: int, now: dt.datetime) -> list[Shipment]:
    """Allocate a paid order once: an order that already has shipments (a redelivered event) or that
    is no longer awaiting shipment (cancelled meanwhile) is left alone."""
    order = lock_order(session, order_id)
    if order is None or order.status is not OrderStatus.AWAITING_SHIPMENT:
        return []
    if session.scalar(select(Shipment.id).where(Shipment.order_id == order.id).limit(1)) is not None:
        return []
    dest = destination_of(order)
    if dest is None:
        log.warning("allocation.unknown_destination", order_id=order.id)
        return []
    plan = _plan_and_book(session, order, order.lines, None, dest, now)
    shipments = _create_shipments(session, order, plan, "paid")
    emit(
        session,
        "order.allocated",
        order_id=order.id,
        seller_id=order.seller_id,
        shipment_ids=[s.id for s in shipments],
        split=len(shipments) > 1,
    )
    return shipments


def reallocate_shipment(session: Session, *, shipment_id: int, reason: str, now: dt.datetime) -> list[Shipment]:
    """The shipment's warehouse cannot ship (stock count wrong, capacity exceeded): cancel it, give its
    day back, and allocate its lines elsewhere (another warehouse, or a split). Raises NoAllocation,
    changing nothing, when no other warehouse can ship them."""
    found = session.get(Shipment, shipment_id)
    if found is None:
        raise NoAllocation(f"Shipment {shipment_id} does not exist.")
    order = lock_order(session, found.order_id)
    shipment = session.scalar(select(Shipment).where(Shipment.id == shipment_id).with_for_update())
    if order is None or shipment is None or shipment.status not in MOVABLE:
        raise Conflict("Only a shipment that has not left its warehouse can be re-allocated.", field="status")
    qty = {sl.order_line_id: sl.quantity for sl in shipment.lines}
    lines = [ln for ln in order.lines if ln.id in qty]
    dest = destination_of(order)
    if dest is None:
        raise NoAllocation(f"Order {order.id} has no deliverable address.")
    book_capacity(session, warehouse_id=shipment.warehouse_id, day=shipment.pick_date, orders=-1)
    plan = _plan_and_book(session, order, lines, qty, dest, now, exclude=[shipment.warehouse_id])
    shipment.status, shipment.cancel_reason = ShipmentStatus.CANCELLED, reason[:200]
    others = session.scalars(
        select(Shipment).where(
            Shipment.order_id == order.id, Shipment.id != shipment.id, Shipment.status != ShipmentStatus.CANCELLED
        )
    ).all()
    created = _create_shipments(session, order, plan, reason, keep=others)
    emit(
        session,
        "shipment.reallocated",
        shipment_id=shipment.id,
        order_id=order.id,
        reason=reason,
        to=[s.id for s in created],
    )
    return created


def reship_lines(
    session: Session, *, order: Order, quantities: dict[int, int], reason: str, now: dt.datetime
) -> list[Shipment]:
    """Ship these order lines (order line id -> units) again, as new shipments from wherever stock
    allows (a lost parcel). The order must be locked by the caller. The units are reserved anew (the
    lost ones were committed when they left). Raises NoAllocation or InsufficientStock, changing
    nothing the caller cannot roll back, when no warehouse can ship them."""
    lines = [ln for ln in order.lines if ln.id in quantities]
    dest = destination_of(order)
    if dest is None or not lines:
        raise NoAllocation(f"Order {order.id} has no deliverable address.", order_id=order.id)
    plan = _plan_and_book(session, order, lines, quantities, dest, now)
    return _create_shipments(session, order, plan, reason)
