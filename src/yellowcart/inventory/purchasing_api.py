"""Purchase order endpoints (operators): the platform buys stock for its own listings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.db import utcnow
from yellowcart.http import Db, PathId, decode_cursor, next_cursor, problems, require
from yellowcart.inventory import purchasing
from yellowcart.inventory.custody_models import PurchaseOrderStatus
from yellowcart.inventory.custody_schemas import (
    LineOut,
    PurchaseLineOut,
    PurchaseOrderIn,
    PurchaseOrderOut,
    PurchaseOrderPage,
    ReasonIn,
    ReceiptIn,
    RequiredReasonIn,
)

router = APIRouter(tags=["custody"])
PROBLEMS = problems(
    s403="Operators only",
    s404="Unknown purchase order, warehouse or SKU",
    s409="Not in a state for this, or a line already received with other counts",
    s422="Invalid input (not platform-owned, not a platform warehouse, counts that do not add up...)",
)
Operator = Annotated[Principal, require(Role.OPERATOR)]


def purchase_order_out(view: purchasing.PurchaseOrderView) -> PurchaseOrderOut:
    o = view.order
    lines = [
        PurchaseLineOut(
            **LineOut.of(line, view.receipts.get(line.line_id)).model_dump(),
            unit_cost_cents=view.unit_costs[line.line_id],
        )
        for line in view.lines
    ]
    return PurchaseOrderOut(
        id=o.id, supplier_name=o.supplier_name, supplier_contact=o.supplier_contact, warehouse_id=o.warehouse_id,
        status=o.status, expected_arrival=o.expected_arrival, note=o.note, cancel_reason=o.cancel_reason,
        created_at=o.created_at, ordered_at=o.ordered_at, receiving_at=o.receiving_at, closed_at=o.closed_at,
        total_cost_cents=sum(line.expected * line.unit_cost_cents for line in lines), lines=lines,
    )  # fmt: skip


@router.post(
    "/v1/purchase-orders",
    response_model=PurchaseOrderOut,
    status_code=201,
    responses=PROBLEMS,
    summary="Draft a purchase order for platform-owned SKUs to a platform warehouse",
)
def create(body: PurchaseOrderIn, db: Db, who: Operator) -> PurchaseOrderOut:
    spec = purchasing.NewPurchaseOrder(
        supplier_name=body.supplier_name,
        supplier_contact=body.supplier_contact,
        warehouse_id=body.warehouse_id,
        expected_arrival=body.expected_arrival,
        lines=[(line.sku, line.quantity, line.unit_cost_cents) for line in body.lines],
        note=body.note,
    )
    with db.transaction() as session:
        made = purchasing.create_purchase_order(session, principal=who, spec=spec, now=utcnow())
        return purchase_order_out(purchasing.get_purchase_order(session, principal=who, order_id=made.id))


@router.get("/v1/purchase-orders", response_model=PurchaseOrderPage, responses=PROBLEMS, summary="Newest first")
def list_all(
    db: Db,
    who: Operator,
    status: PurchaseOrderStatus | None = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> PurchaseOrderPage:
    with db.transaction() as session:
        rows = purchasing.list_purchase_orders(
            session, principal=who, status=status, after_id=decode_cursor(cursor), limit=limit + 1
        )
        items = [purchase_order_out(v) for v in rows[:limit]]
    return PurchaseOrderPage(items=items, next_cursor=next_cursor(items, len(rows) > limit))


@router.get("/v1/purchase-orders/{order_id}", response_model=PurchaseOrderOut, responses=PROBLEMS, summary="One")
def get_one(order_id: PathId, db: Db, who: Operator) -> PurchaseOrderOut:
    with db.transaction() as session:
        return purchase_order_out(purchasing.get_purchase_order(session, principal=who, order_id=order_id))


@router.post(
    "/v1/purchase-orders/{order_id}/order",
    response_model=PurchaseOrderOut,
    responses=PROBLEMS,
    summary="Send to the supplier (draft -> ordered)",
)
def place(order_id: PathId, db: Db, who: Operator) -> PurchaseOrderOut:
    with db.transaction() as session:
        purchasing.place_purchase_order(session, principal=who, order_id=order_id, now=utcnow())
        return purchase_order_out(purchasing.get_purchase_order(session, principal=who, order_id=order_id))


@router.post(
    "/v1/purchase-orders/{order_id}/cancel",
    response_model=PurchaseOrderOut,
    responses=PROBLEMS,
    summary="Cancel before receiving starts",
)
def cancel(order_id: PathId, body: ReasonIn, db: Db, who: Operator) -> PurchaseOrderOut:
    with db.transaction() as session:
        purchasing.cancel_purchase_order(session, principal=who, order_id=order_id, reason=body.reason, now=utcnow())
        return purchase_order_out(purchasing.get_purchase_order(session, principal=who, order_id=order_id))


@router.post(
    "/v1/purchase-orders/{order_id}/receipts",
    response_model=PurchaseOrderOut,
    responses=PROBLEMS,
    summary="Count lines: good units become sellable at once; a repeated count is a no-op",
)
def receive(order_id: PathId, body: ReceiptIn, db: Db, who: Operator) -> PurchaseOrderOut:
    with db.transaction() as session:
        view = purchasing.receive_purchase_order(
            session, principal=who, order_id=order_id, counts=body.counts(), now=utcnow()
        )
        return purchase_order_out(view)


@router.post(
    "/v1/purchase-orders/{order_id}/close",
    response_model=PurchaseOrderOut,
    responses=PROBLEMS,
    summary="Finish receiving: lines not counted are recorded as short",
)
def close(order_id: PathId, body: RequiredReasonIn, db: Db, who: Operator) -> PurchaseOrderOut:
    with db.transaction() as session:
        view = purchasing.close_purchase_order(
            session, principal=who, order_id=order_id, reason=body.reason, now=utcnow()
        )
        return purchase_order_out(view)
