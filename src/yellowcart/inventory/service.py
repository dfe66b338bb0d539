"""Stock use cases. The reservation is a conditional UPDATE (``available >= qty``) so the database,
not a read-then-write in Python, decides who gets the last unit; rows are touched in primary-key order
so two checkouts never deadlock on each other's SKUs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yellowcart.db import utcnow
from yellowcart.errors import InsufficientStock, InvalidInput, NotFound
from yellowcart.events import emit
from yellowcart.inventory.models import Reservation, ReservationStatus, Stock, Warehouse


@dataclass(frozen=True, slots=True)
class LineToReserve:
    order_id: int
    order_line_id: int
    variant_id: int
    sku: str
    quantity: int


def available_by_variant(session: Session, variant_ids: Sequence[int]) -> dict[int, int]:
    """Available units per variant over active warehouses."""
    rows = session.execute(
        select(Stock.variant_id, Stock.on_hand - Stock.reserved)
        .join(Warehouse, Warehouse.id == Stock.warehouse_id)
        .where(Stock.variant_id.in_(variant_ids), Warehouse.is_active.is_(True))
    )
    totals: dict[int, int] = dict.fromkeys(variant_ids, 0)
    for variant_id, available in rows:
        totals[variant_id] += max(available, 0)
    return totals


def reserve_stock(session: Session, *, lines: Sequence[LineToReserve], low_stock_threshold: int = 5) -> None:
    """Reserve every line or none (the caller's transaction rolls back on InsufficientStock)."""
    short: list[dict[str, object]] = []
    for line in sorted(lines, key=lambda item: item.variant_id):
        missing = _reserve_line(session, line, low_stock_threshold)
        if missing:
            short.append({"sku": line.sku, "requested": line.quantity, "available": line.quantity - missing})
    if short:
        skus = ", ".join(str(item["sku"]) for item in short)
        raise InsufficientStock(f"Not enough stock for {skus}.", items=short)


def _candidates(session: Session, variant_id: int) -> list[tuple[int, int]]:
    rows = session.execute(
        select(Stock.id, Stock.on_hand - Stock.reserved)
        .join(Warehouse, Warehouse.id == Stock.warehouse_id)
        .where(Stock.variant_id == variant_id, Warehouse.is_active.is_(True), Stock.on_hand > Stock.reserved)
        .order_by((Stock.on_hand - Stock.reserved).desc(), Stock.id)
    )
    return [(stock_id, available) for stock_id, available in rows]


def _reserve_line(session: Session, line: LineToReserve, threshold: int) -> int:
    """Reserve from the fullest warehouse first, splitting if one cannot fill it; return units missing."""
    remaining = line.quantity
    for stock_id, seen_available in _candidates(session, line.variant_id):
        take = min(remaining, seen_available)
        left = session.execute(
            update(Stock)
            .where(Stock.id == stock_id, Stock.on_hand - Stock.reserved >= take)
            .values(reserved=Stock.reserved + take, updated_at=utcnow())
            .returning(Stock.on_hand - Stock.reserved)
        ).scalar_one_or_none()
        if left is None:
            continue  # someone took it since we looked; try the next warehouse
        session.add(
            Reservation(
                order_id=line.order_id, order_line_id=line.order_line_id, stock_id=stock_id, quantity=take
            )
        )
        if left <= threshold < left + take:
            emit(session, "stock.low", stock_id=stock_id, variant_id=line.variant_id, available=left)
        remaining -= take
        if remaining == 0:
            break
    return remaining


def _settle(session: Session, order_id: int, status: ReservationStatus) -> int:
    """Release or commit an order's active reservations, in stock-id order; returns units moved."""
    reservations = session.scalars(
        select(Reservation)
        .where(Reservation.order_id == order_id, Reservation.status == ReservationStatus.ACTIVE)
        .order_by(Reservation.stock_id, Reservation.id)
    ).all()
    moved = 0
    for reservation in reservations:
        values: dict[str, object] = {"reserved": Stock.reserved - reservation.quantity, "updated_at": utcnow()}
        if status is ReservationStatus.COMMITTED:
            values["on_hand"] = Stock.on_hand - reservation.quantity
        session.execute(update(Stock).where(Stock.id == reservation.stock_id).values(**values))
        reservation.status = status
        reservation.settled_at = utcnow()
        moved += reservation.quantity
    return moved


def release_reservations(session: Session, *, order_id: int) -> int:
    """Give an order's held units back to available (cancel, expiry)."""
    return _settle(session, order_id, ReservationStatus.RELEASED)


def commit_reservations(session: Session, *, order_id: int) -> int:
    """The parcel left: held units leave on-hand for good."""
    return _settle(session, order_id, ReservationStatus.COMMITTED)


def set_on_hand(session: Session, *, warehouse_id: int, variant_id: int, on_hand: int) -> Stock:
    """Set the counted on-hand quantity; refuses to drop below what is already reserved."""
    if on_hand < 0:
        raise InvalidInput("on_hand must be zero or more.", field="on_hand")
    stock = session.scalar(
        select(Stock).where(Stock.warehouse_id == warehouse_id, Stock.variant_id == variant_id).with_for_update()
    )
    if stock is None:
        stock = Stock(warehouse_id=warehouse_id, variant_id=variant_id, on_hand=0, reserved=0)
        session.add(stock)
    if on_hand < stock.reserved:
        raise InvalidInput(
            f"on_hand {on_hand} is below the {stock.reserved} units reserved for open orders.",
            field="on_hand",
            reserved=stock.reserved,
        )
    stock.on_hand = on_hand
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent first insert of the same row
        raise InvalidInput("Stock row changed concurrently; retry.", field="on_hand") from exc
    return stock


def get_warehouse(session: Session, warehouse_id: int) -> Warehouse:
    warehouse = session.get(Warehouse, warehouse_id)
    if warehouse is None:
        raise NotFound(f"Warehouse {warehouse_id} does not exist.")
    return warehouse


def stock_for_variant(session: Session, *, variant_id: int) -> list[tuple[Stock, Warehouse]]:
    rows = session.execute(
        select(Stock, Warehouse)
        .join(Warehouse, Warehouse.id == Stock.warehouse_id)
        .where(Stock.variant_id == variant_id)
        .order_by(Warehouse.id)
    )
    return [(stock, warehouse) for stock, warehouse in rows]
