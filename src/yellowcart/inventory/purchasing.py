"""Platform purchase orders: the platform buys stock for its own (platform-owned) listings.

``draft -> ordered -> receiving -> received``, or ``cancelled`` before receiving starts. Operators
only. Receiving is the consignments' code (``inventory.receiving``): good units go on the shelves in
the same transaction, each line is counted once. The unit cost is recorded per line and, when the
order is fully received, ``purchasing.received`` carries it (the ledger may book cost of goods).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.service import Principal
from yellowcart.catalog.modes import SellingMode
from yellowcart.errors import Forbidden, InvalidInput, NotFound
from yellowcart.events import emit
from yellowcart.inventory.custody_models import PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus, StockReceipt
from yellowcart.inventory.custody_rules import PURCHASE_ORDER_MOVES, RECEIVABLE_PURCHASE_ORDER, Count, check_move
from yellowcart.inventory.receiving import (
    DocumentLine,
    ReceiptKind,
    document_lines,
    platform_warehouse,
    receipts_for,
    receive_lines,
    resolve_skus,
    short_counts,
)

S = PurchaseOrderStatus
WHAT = "purchase order"
MAX_UNIT_COST_CENTS = 10_000_000


@dataclass(frozen=True, slots=True)
class NewPurchaseOrder:
    supplier_name: str
    warehouse_id: int
    lines: Sequence[tuple[str, int, int]]  # (sku, quantity, unit cost in cents)
    supplier_contact: str | None = None
    expected_arrival: dt.date | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class PurchaseOrderView:
    order: PurchaseOrder
    lines: list[DocumentLine]
    unit_costs: dict[int, int]  # by line id
    receipts: dict[int, StockReceipt]  # by line id


def create_purchase_order(
    session: Session, *, principal: Principal, spec: NewPurchaseOrder, now: dt.datetime
) -> PurchaseOrder:
    """A draft order to a supplier for platform-owned SKUs, delivered to a platform warehouse."""
    _require_operator(principal)
    if not spec.supplier_name.strip():
        raise InvalidInput("Name the supplier.", field="supplier_name")
    if any(not 0 <= cost <= MAX_UNIT_COST_CENTS for _, _, cost in spec.lines):
        raise InvalidInput(f"Unit costs are 0..{MAX_UNIT_COST_CENTS} cents.", field="lines")
    warehouse = platform_warehouse(session, spec.warehouse_id)
    found = resolve_skus(
        session, [(sku, qty) for sku, qty, _ in spec.lines], mode=SellingMode.PLATFORM_OWNED, visible=None
    )
    order = PurchaseOrder(
        supplier_name=spec.supplier_name.strip(),
        supplier_contact=spec.supplier_contact,
        warehouse_id=warehouse.id,
        status=S.DRAFT,
        expected_arrival=spec.expected_arrival,
        note=spec.note,
        created_by=principal.user_id,
        created_at=now,
        lines=[
            PurchaseOrderLine(variant_id=found[sku][0].id, quantity=qty, unit_cost_cents=cost)
            for sku, qty, cost in spec.lines
        ],
    )
    session.add(order)
    session.flush()
    return order


def place_purchase_order(session: Session, *, principal: Principal, order_id: int, now: dt.datetime) -> PurchaseOrder:
    """Sent to the supplier: the lines are now a commitment."""
    order = _locked(session, principal, order_id)
    check_move(WHAT, PURCHASE_ORDER_MOVES, order.status, S.ORDERED)
    order.status, order.ordered_at = S.ORDERED, now
    session.flush()
    return order


def cancel_purchase_order(
    session: Session, *, principal: Principal, order_id: int, reason: str | None, now: dt.datetime
) -> PurchaseOrder:
    order = _locked(session, principal, order_id)
    check_move(WHAT, PURCHASE_ORDER_MOVES, order.status, S.CANCELLED)
    order.status, order.cancel_reason, order.closed_at = S.CANCELLED, reason, now
    session.flush()
    return order


def receive_purchase_order(
    session: Session, *, principal: Principal, order_id: int, counts: Mapping[str, Count], now: dt.datetime
) -> PurchaseOrderView:
    """Count lines (by SKU): good units are in stock when this returns; replays add nothing."""
    order = _locked(session, principal, order_id)
    if order.status not in RECEIVABLE_PURCHASE_ORDER:
        check_move(WHAT, PURCHASE_ORDER_MOVES, order.status, S.RECEIVING)
    view = _view(session, order)
    receipts = receive_lines(
        session, principal=principal, kind=ReceiptKind.PURCHASE, warehouse_id=order.warehouse_id,
        lines=view.lines, counts=counts, now=now,
    )  # fmt: skip
    return _advance(session, view, receipts, now)


def close_purchase_order(
    session: Session, *, principal: Principal, order_id: int, reason: str, now: dt.datetime
) -> PurchaseOrderView:
    """Finish receiving: lines not counted yet are recorded as entirely short."""
    if not reason.strip():
        raise InvalidInput("Say why the purchase order is closed.", field="reason")
    order = _locked(session, principal, order_id)
    check_move(WHAT, PURCHASE_ORDER_MOVES, order.status, S.RECEIVED)
    view = _view(session, order)
    receipts = receive_lines(
        session, principal=principal, kind=ReceiptKind.PURCHASE, warehouse_id=order.warehouse_id,
        lines=view.lines, counts=short_counts(view.lines, view.receipts), now=now,
    )  # fmt: skip
    order.note = f"{order.note or ''}\nclosed: {reason.strip()}".strip()[:500]
    return _advance(session, view, receipts, now)


def _advance(
    session: Session, view: PurchaseOrderView, receipts: dict[int, StockReceipt], now: dt.datetime
) -> PurchaseOrderView:
    """ordered -> receiving on the first count; -> received (and the event) once every line is counted."""
    order = view.order
    if receipts and order.status is S.ORDERED:
        order.status, order.receiving_at = S.RECEIVING, now
    if order.status is S.RECEIVING and all(line.line_id in receipts for line in view.lines):
        order.status, order.closed_at = S.RECEIVED, now
        lines = [
            {"variant_id": ln.variant_id, "quantity": receipts[ln.line_id].received,
             "unit_cost_cents": view.unit_costs[ln.line_id]}
            for ln in view.lines
        ]  # fmt: skip
        emit(session, "purchasing.received", purchase_order_id=order.id, lines=lines)
    session.flush()
    return PurchaseOrderView(order, view.lines, view.unit_costs, receipts)


# ---- reading -------------------------------------------------------------------------------------


def list_purchase_orders(
    session: Session,
    *,
    principal: Principal,
    status: PurchaseOrderStatus | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> list[PurchaseOrderView]:
    _require_operator(principal)
    query = select(PurchaseOrder)
    if status is not None:
        query = query.where(PurchaseOrder.status == status)
    if after_id is not None:
        query = query.where(PurchaseOrder.id < after_id)
    return [_view(session, o) for o in session.scalars(query.order_by(PurchaseOrder.id.desc()).limit(limit))]


def get_purchase_order(session: Session, *, principal: Principal, order_id: int) -> PurchaseOrderView:
    _require_operator(principal)
    order = session.get(PurchaseOrder, order_id)
    if order is None:
        raise NotFound(f"Purchase order {order_id} does not exist.")
    return _view(session, order)


def _view(session: Session, order: PurchaseOrder) -> PurchaseOrderView:
    rows = session.execute(
        select(
            PurchaseOrderLine.id,
            PurchaseOrderLine.variant_id,
            PurchaseOrderLine.quantity,
            PurchaseOrderLine.unit_cost_cents,
        )
        .where(PurchaseOrderLine.purchase_order_id == order.id)
        .order_by(PurchaseOrderLine.id)
    ).all()
    lines = document_lines(session, [(int(r[0]), int(r[1]), int(r[2])) for r in rows])
    costs = {int(r[0]): int(r[3]) for r in rows}
    return PurchaseOrderView(
        order, lines, costs, receipts_for(session, ReceiptKind.PURCHASE, [r.line_id for r in lines])
    )


def _require_operator(principal: Principal) -> None:
    if not principal.is_operator:
        raise Forbidden("Purchase orders are the platform's (operators).")


def _locked(session: Session, principal: Principal, order_id: int) -> PurchaseOrder:
    """The order row, locked: whoever changes it (or counts its lines) goes one at a time."""
    _require_operator(principal)
    order = session.get(PurchaseOrder, order_id, with_for_update=True)
    if order is None:
        raise NotFound(f"Purchase order {order_id} does not exist.")
    return order
