"""Return of unsold consigned stock: a seller asks for N units of a full-custody SKU back from a
platform warehouse; an operator approves (or rejects) and ships them with a carrier and tracking.

``requested -> approved -> shipped``, or ``rejected`` / ``cancelled``. Approval takes the units out of
``on_hand`` under the stock row's lock, from available units only: units reserved for orders are
never touched (the stock CHECK ``reserved <= on_hand`` would refuse it anyway). Cancelling an
approved removal puts them back. A seller sees and acts on its own removals only.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog.models import Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.errors import Forbidden, InsufficientStock, InvalidInput, NotFound
from yellowcart.events import emit
from yellowcart.inventory.custody_models import RemovalStatus, StockRemoval
from yellowcart.inventory.custody_rules import REMOVAL_MOVES, check_carrier, check_move
from yellowcart.inventory.models import Stock
from yellowcart.inventory.receiving import MAX_UNITS, platform_warehouse, resolve_skus
from yellowcart.inventory.service import lock_stock

S = RemovalStatus
WHAT = "removal"


def request_removal(
    session: Session,
    *,
    principal: Principal,
    sku: str,
    warehouse_id: int,
    quantity: int,
    note: str | None,
    now: dt.datetime,
) -> StockRemoval:
    """Ask for units back; refused at once when the warehouse does not have that many available."""
    if principal.role is Role.SELLER:
        visible: set[int] | None = {int(principal.seller_id or 0)}
    elif principal.is_operator:
        visible = None
    else:
        raise Forbidden("Only sellers and operators request removals.")
    if not 1 <= quantity <= MAX_UNITS:
        raise InvalidInput(f"quantity is 1..{MAX_UNITS}.", field="quantity")
    warehouse = platform_warehouse(session, warehouse_id)
    variant, product = resolve_skus(session, [(sku, quantity)], mode=SellingMode.FULL_CUSTODY, visible=visible)[sku]
    stock = session.scalar(select(Stock).where(Stock.warehouse_id == warehouse.id, Stock.variant_id == variant.id))
    available = 0 if stock is None else stock.on_hand - stock.reserved
    if quantity > available:
        raise InsufficientStock(
            f"Warehouse {warehouse.id} has {available} unreserved units of {sku}.",
            items=[{"sku": sku, "requested": quantity, "available": available}],
        )
    removal = StockRemoval(
        seller_id=product.seller_id,
        warehouse_id=warehouse.id,
        variant_id=variant.id,
        quantity=quantity,
        status=S.REQUESTED,
        note=note,
        requested_by=principal.user_id,
        created_at=now,
    )
    session.add(removal)
    session.flush()
    return removal


def approve_removal(session: Session, *, principal: Principal, removal_id: int, now: dt.datetime) -> StockRemoval:
    """Take the units out of available stock (409 when orders have reserved them meanwhile)."""
    _require_operator(principal)
    removal = _locked(session, principal, removal_id)
    check_move(WHAT, REMOVAL_MOVES, removal.status, S.APPROVED)
    stock_id = session.scalar(
        select(Stock.id).where(Stock.warehouse_id == removal.warehouse_id, Stock.variant_id == removal.variant_id)
    )
    stock = lock_stock(session, stock_ids=[stock_id] if stock_id else []).get(int(stock_id or 0))
    available = 0 if stock is None else stock.on_hand - stock.reserved
    if stock is None or available < removal.quantity:
        raise InsufficientStock(
            f"Only {available} units are available (not reserved for orders); the removal asks for {removal.quantity}.",
            items=[{"variant_id": removal.variant_id, "requested": removal.quantity, "available": available}],
        )
    stock.on_hand -= removal.quantity
    removal.status, removal.stock_id, removal.decided_by, removal.approved_at = (
        S.APPROVED,
        stock.id,
        principal.user_id,
        now,
    )
    session.flush()
    return removal


def reject_removal(
    session: Session, *, principal: Principal, removal_id: int, reason: str, now: dt.datetime
) -> StockRemoval:
    _require_operator(principal)
    if not reason.strip():
        raise InvalidInput("Give a reason.", field="reason")
    removal = _locked(session, principal, removal_id)
    check_move(WHAT, REMOVAL_MOVES, removal.status, S.REJECTED)
    removal.status, removal.decision_reason, removal.decided_by, removal.closed_at = (
        S.REJECTED, reason.strip(), principal.user_id, now,
    )  # fmt: skip
    session.flush()
    return removal


def ship_removal(
    session: Session,
    *,
    principal: Principal,
    removal_id: int,
    carrier: str,
    tracking_number: str | None,
    now: dt.datetime,
) -> StockRemoval:
    """The set-aside units left for the seller; emits ``stock.removal_shipped``."""
    _require_operator(principal)
    removal = _locked(session, principal, removal_id)
    check_move(WHAT, REMOVAL_MOVES, removal.status, S.SHIPPED)
    removal.carrier, removal.tracking_number = check_carrier(carrier, tracking_number)
    removal.status, removal.shipped_at = S.SHIPPED, now
    session.flush()
    emit(
        session,
        "stock.removal_shipped",
        removal_id=removal.id,
        seller_id=removal.seller_id,
        warehouse_id=removal.warehouse_id,
        variant_id=removal.variant_id,
        quantity=removal.quantity,
    )
    return removal


def cancel_removal(
    session: Session, *, principal: Principal, removal_id: int, reason: str | None, now: dt.datetime
) -> StockRemoval:
    """Withdraw the request; an approved removal's set-aside units go back on sale."""
    removal = _locked(session, principal, removal_id)
    check_move(WHAT, REMOVAL_MOVES, removal.status, S.CANCELLED)
    if removal.status is S.APPROVED and removal.stock_id is not None:
        stock = lock_stock(session, stock_ids=[removal.stock_id])[removal.stock_id]
        stock.on_hand += removal.quantity
    removal.status, removal.decision_reason, removal.closed_at = S.CANCELLED, reason, now
    session.flush()
    return removal


# ---- reading -------------------------------------------------------------------------------------


def list_removals(
    session: Session,
    *,
    principal: Principal,
    status: RemovalStatus | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> list[tuple[StockRemoval, str]]:
    """(removal, sku) newest first: a seller's own, everyone's for operators."""
    query = select(StockRemoval, Variant.sku).join(Variant, Variant.id == StockRemoval.variant_id)
    if principal.role is Role.SELLER:
        query = query.where(StockRemoval.seller_id == principal.seller_id)
    elif not principal.is_operator:
        raise Forbidden("Only sellers and operators see removals.")
    if status is not None:
        query = query.where(StockRemoval.status == status)
    if after_id is not None:
        query = query.where(StockRemoval.id < after_id)
    rows = session.execute(query.order_by(StockRemoval.id.desc()).limit(limit))
    return [(removal, sku) for removal, sku in rows]


def get_removal(session: Session, *, principal: Principal, removal_id: int) -> tuple[StockRemoval, str]:
    removal = _visible(session, principal, removal_id, lock=False)
    return removal, session.get_one(Variant, removal.variant_id).sku


def _require_operator(principal: Principal) -> None:
    if not principal.is_operator:
        raise Forbidden("Removals are approved and shipped by operators.")


def _visible(session: Session, principal: Principal, removal_id: int, *, lock: bool) -> StockRemoval:
    removal = session.get(StockRemoval, removal_id, with_for_update=lock)
    mine = removal is not None and (
        principal.is_operator or (principal.role is Role.SELLER and principal.seller_id == removal.seller_id)
    )
    if removal is None or not mine:
        raise NotFound(f"Removal {removal_id} does not exist.")
    return removal


def _locked(session: Session, principal: Principal, removal_id: int) -> StockRemoval:
    """The removal row, locked before its stock row (the order every writer here uses)."""
    return _visible(session, principal, removal_id, lock=True)
