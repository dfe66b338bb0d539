"""Stock use cases: availability, settling reservations (release on cancel, commit on shipment),
counted stock, warehouses. Taking stock for a checkout is in ``inventory.holds``. Settling touches stock
rows in primary-key order so two transactions never deadlock on each other's SKUs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog import service as catalog
from yellowcart.catalog.models import Product, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import flush_guarded, id_in, utcnow
from yellowcart.errors import Conflict, Forbidden, InsufficientStock, InvalidInput, NotFound
from yellowcart.geo import ZipInfo, lookup_zip
from yellowcart.inventory.models import Reservation, ReservationStatus, Stock, Warehouse, WarehouseOperator
from yellowcart.sellers.models import Seller


def available_by_variant(session: Session, variant_ids: Sequence[int]) -> dict[int, int]:
    """Available units per variant over active warehouses."""
    rows = session.execute(
        select(Stock.variant_id, Stock.on_hand - Stock.reserved)
        .join(Warehouse, Warehouse.id == Stock.warehouse_id)
        .where(id_in(session, Stock.variant_id, variant_ids), Warehouse.is_active.is_(True))
    )
    totals: dict[int, int] = dict.fromkeys(variant_ids, 0)
    for variant_id, available in rows:
        totals[variant_id] += max(available, 0)
    return totals


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


# ---- warehouses and stock through the API: who may see and touch what ---------------------------


class WarehouseCodeTaken(Conflict):
    code, title = "warehouse_code_taken", "Warehouse code already in use"


class UnknownZip(InvalidInput):
    code, title = "unknown_zip", "Unknown ZIP"


class ZipStateMismatch(InvalidInput):
    code, title = "zip_state_mismatch", "ZIP is in another state"


class WrongWarehouse(InvalidInput):
    code, title = "wrong_warehouse", "This listing is not stocked in this warehouse"


@dataclass(frozen=True, slots=True)
class NewWarehouse:
    code: str
    name: str
    operator: WarehouseOperator | None
    seller_id: int | None
    line1: str
    city: str
    state: str
    zip: str


def _visible_warehouses(principal: Principal) -> Select[Warehouse]:
    """Operators see every warehouse; a seller the platform's and its own; anyone else none."""
    query = select(Warehouse)
    if principal.is_operator:
        return query
    if principal.role is Role.SELLER:
        return query.where(
            or_(Warehouse.operator == WarehouseOperator.PLATFORM, Warehouse.seller_id == principal.seller_id)
        )
    return query.where(Warehouse.id.is_(None))


def list_warehouses(
    session: Session, *, principal: Principal, after_id: int | None = None, limit: int = 100
) -> Sequence[Warehouse]:
    query = _visible_warehouses(principal)
    if after_id is not None:
        query = query.where(Warehouse.id < after_id)
    return session.scalars(query.order_by(Warehouse.id.desc()).limit(limit)).all()


def visible_warehouse(session: Session, *, principal: Principal, warehouse_id: int) -> Warehouse:
    """A warehouse the caller may see; another seller's reads as missing."""
    warehouse = session.scalar(_visible_warehouses(principal).where(Warehouse.id == warehouse_id))
    if warehouse is None:
        raise NotFound(f"Warehouse {warehouse_id} does not exist.")
    return warehouse


def _warehouse_owner(
    session: Session, principal: Principal, spec: NewWarehouse
) -> tuple[WarehouseOperator, int | None]:
    """Sellers open warehouses for themselves only; operators open platform or any seller's."""
    if principal.role is Role.SELLER:
        if spec.operator is WarehouseOperator.PLATFORM:
            raise Forbidden("Only operators open platform warehouses.", field="operator")
        if spec.seller_id is not None and spec.seller_id != principal.seller_id:
            raise Forbidden("Sellers open warehouses for their own account only.", field="seller_id")
        return WarehouseOperator.SELLER, principal.seller_id
    if not principal.is_operator:
        raise Forbidden("Only sellers and operators open warehouses.")
    operator = spec.operator or (WarehouseOperator.SELLER if spec.seller_id else WarehouseOperator.PLATFORM)
    if operator is WarehouseOperator.PLATFORM and spec.seller_id is not None:
        raise InvalidInput("A platform warehouse belongs to no seller; drop seller_id.", field="seller_id")
    if operator is WarehouseOperator.SELLER and spec.seller_id is None:
        raise InvalidInput("A seller warehouse needs seller_id.", field="seller_id")
    if spec.seller_id is not None and session.get(Seller, spec.seller_id) is None:
        raise InvalidInput(f"Seller {spec.seller_id} does not exist.", field="seller_id")
    return operator, spec.seller_id


def _check_address(spec: NewWarehouse) -> ZipInfo:
    place = lookup_zip(spec.zip)
    if place is None:
        raise UnknownZip(f"ZIP {spec.zip} does not exist.", field="zip")
    if place.state != spec.state:
        raise ZipStateMismatch(
            f"ZIP {spec.zip} is in {place.state}, not {spec.state}.", field="zip", zip_state=place.state
        )
    return place


def create_warehouse(session: Session, *, principal: Principal, spec: NewWarehouse) -> Warehouse:
    """Open a warehouse at a real US address (the ZIP must exist and lie in the state)."""
    operator, seller_id = _warehouse_owner(session, principal, spec)
    place = _check_address(spec)
    taken = WarehouseCodeTaken(f"Warehouse code {spec.code!r} is taken.", field="code")
    if session.scalar(select(Warehouse.id).where(Warehouse.code == spec.code)) is not None:
        raise taken
    warehouse = Warehouse(
        code=spec.code,
        name=spec.name,
        operator=operator,
        seller_id=seller_id,
        line1=spec.line1,
        city=spec.city,
        state=spec.state,
        zip=spec.zip,
        is_active=True,
        timezone=place.timezone or None,
        latitude=place.lat,
        longitude=place.lon,
    )
    flush_guarded(session, lambda: session.add(warehouse), lambda: taken)
    return warehouse


def sku_stock(
    session: Session, *, principal: Principal, sku: str
) -> tuple[Variant, Product, list[tuple[Stock, Warehouse]]]:
    """Per-warehouse stock of a SKU whose product the caller manages."""
    variant, product = catalog.owned_variant(session, principal=principal, sku=sku)
    return variant, product, stock_for_variant(session, variant_id=variant.id)


def _check_stocking(principal: Principal, product: Product, warehouse: Warehouse) -> None:
    """Seller-fulfilled stock sits in the seller's own warehouses; consigned and platform-owned stock
    in platform warehouses, counted by operators; redirect listings are stocked by the seller's store."""
    mode = product.selling_mode
    if warehouse.operator is WarehouseOperator.PLATFORM and not principal.is_operator:
        raise Forbidden("Only operators count stock in platform warehouses.", field="warehouse_id")
    if mode is SellingMode.REDIRECT:
        raise WrongWarehouse("Redirect listings are stocked by the seller's own store.", field="warehouse_id")
    if warehouse.operator is WarehouseOperator.PLATFORM and mode is SellingMode.SELLER_FULFILLED:
        raise WrongWarehouse("Seller-fulfilled listings ship from the seller's warehouses.", field="warehouse_id")
    if warehouse.operator is WarehouseOperator.SELLER:
        if mode is not SellingMode.SELLER_FULFILLED:
            raise WrongWarehouse(f"{mode.value} listings are held in platform warehouses.", field="warehouse_id")
        if warehouse.seller_id != product.seller_id:
            raise WrongWarehouse("That warehouse belongs to another seller.", field="warehouse_id")


def set_sku_on_hand(
    session: Session, *, principal: Principal, sku: str, warehouse_id: int, on_hand: int
) -> tuple[Variant, Stock, Warehouse]:
    """Set a counted quantity, checking ownership of the SKU and of the warehouse first."""
    variant, product = catalog.owned_variant(session, principal=principal, sku=sku)
    warehouse = visible_warehouse(session, principal=principal, warehouse_id=warehouse_id)
    _check_stocking(principal, product, warehouse)
    stock = set_on_hand(session, warehouse_id=warehouse.id, variant_id=variant.id, on_hand=on_hand)
    return variant, stock, warehouse


# ---- allocation: where an order's reserved units are held ----------------------------------------


def order_reservations(session: Session, *, order_id: int) -> list[Reservation]:
    """The order's active reservations (what allocation may move between warehouses)."""
    return list(
        session.scalars(
            select(Reservation)
            .where(Reservation.order_id == order_id, Reservation.status == ReservationStatus.ACTIVE)
            .order_by(Reservation.stock_id, Reservation.id)
        )
    )


def lock_stock(session: Session, *, stock_ids: Sequence[int]) -> dict[int, Stock]:
    """Lock stock rows in ascending id order (every writer does, so two never deadlock)."""
    if not stock_ids:
        return {}
    rows = session.scalars(
        select(Stock).where(Stock.id.in_(sorted(set(stock_ids)))).order_by(Stock.id).with_for_update()
    ).all()
    return {row.id: row for row in rows}


def place_reservations(session: Session, *, order_id: int, placements: dict[int, list[tuple[int, int]]]) -> None:
    """Hold each given order line's units on the stock rows chosen by allocation: ``placements`` maps
    an order line id to ``(stock_id, quantity)`` pairs. Lines not given are left alone; a line already
    held where it should be is not touched. Stock rows change in ascending id order; a row that cannot
    take the units (counted stock wrong) raises InsufficientStock and the caller's transaction rolls back."""
    current = [r for r in order_reservations(session, order_id=order_id) if r.order_line_id in placements]
    held: dict[int, set[tuple[int, int]]] = {}
    for r in current:
        held.setdefault(int(r.order_line_id or 0), set()).add((r.stock_id, r.quantity))
    moving = {line: spots for line, spots in placements.items() if set(spots) != held.get(line, set())}
    if not moving:
        return
    delta: dict[int, int] = {}
    variant_of: dict[int, int] = {}
    for r in current:
        if r.order_line_id in moving:
            delta[r.stock_id] = delta.get(r.stock_id, 0) - r.quantity
            variant_of[int(r.order_line_id or 0)] = r.variant_id
    for spots in moving.values():
        for stock_id, qty in spots:
            delta[stock_id] = delta.get(stock_id, 0) + qty
    rows = lock_stock(session, stock_ids=list(delta))
    short = [sid for sid, d in delta.items() if d > 0 and rows[sid].on_hand - rows[sid].reserved < d]
    if short:
        raise InsufficientStock("Stock moved while allocating; retry.", stock_ids=sorted(short))
    for stock_id in sorted(delta):
        if delta[stock_id]:
            rows[stock_id].reserved += delta[stock_id]
            rows[stock_id].updated_at = utcnow()
    now = utcnow()
    for r in current:
        if r.order_line_id in moving:
            r.status, r.settled_at = ReservationStatus.RELEASED, now
    for line_id, spots in moving.items():
        for stock_id, qty in spots:
            session.add(
                Reservation(
                    order_id=order_id,
                    order_line_id=line_id,
                    stock_id=stock_id,
                    variant_id=variant_of.get(line_id, rows[stock_id].variant_id),
                    quantity=qty,
                )
            )
    session.flush()
