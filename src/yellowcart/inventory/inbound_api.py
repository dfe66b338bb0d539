"""Inbound consignment endpoints: sellers notify and ship full-custody stock, warehouse staff
(operators) receive it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.db import MAX_ID, utcnow
from yellowcart.http import Db, PathId, decode_cursor, next_cursor, problems, require
from yellowcart.inventory import inbound
from yellowcart.inventory.custody_models import ConsignmentStatus
from yellowcart.inventory.custody_schemas import (
    ConsignmentIn,
    ConsignmentOut,
    ConsignmentPage,
    LineOut,
    ReasonIn,
    ReceiptIn,
    RequiredReasonIn,
    ShipIn,
)

router = APIRouter(tags=["custody"])
PROBLEMS = problems(
    s403="Not allowed for this role",
    s404="Unknown consignment, warehouse or SKU (or another seller's)",
    s409="Not in a state for this, or a line already received with other counts",
    s422="Invalid input (counts that do not add up, not a platform warehouse, not full custody...)",
)
Manager = Annotated[Principal, require(Role.SELLER, Role.OPERATOR)]
Operator = Annotated[Principal, require(Role.OPERATOR)]
IdFilter = Annotated[int | None, Query(ge=1, le=MAX_ID)]


def consignment_out(view: inbound.ConsignmentView) -> ConsignmentOut:
    c = view.consignment
    return ConsignmentOut(
        id=c.id,
        seller_id=c.seller_id,
        warehouse_id=c.warehouse_id,
        status=c.status,
        expected_arrival=c.expected_arrival,
        carrier=c.carrier,
        tracking_number=c.tracking_number,
        note=c.note,
        cancel_reason=c.cancel_reason,
        created_at=c.created_at,
        shipped_at=c.shipped_at,
        receiving_at=c.receiving_at,
        closed_at=c.closed_at,
        lines=[LineOut.of(line, view.receipts.get(line.line_id)) for line in view.lines],
    )


@router.post(
    "/v1/inbound-consignments",
    response_model=ConsignmentOut,
    status_code=201,
    responses=PROBLEMS,
    summary="File an advance shipping notice of full-custody stock to a platform warehouse (draft)",
)
def create(body: ConsignmentIn, db: Db, who: Manager) -> ConsignmentOut:
    spec = inbound.NewConsignment(
        warehouse_id=body.warehouse_id,
        expected_arrival=body.expected_arrival,
        lines=[(line.sku, line.quantity) for line in body.lines],
        seller_id=body.seller_id,
        carrier=body.carrier,
        tracking_number=body.tracking_number,
        note=body.note,
    )
    with db.transaction() as session:
        made = inbound.create_consignment(session, principal=who, spec=spec, now=utcnow())
        return consignment_out(inbound.get_consignment(session, principal=who, consignment_id=made.id))


@router.get(
    "/v1/inbound-consignments",
    response_model=ConsignmentPage,
    responses=PROBLEMS,
    summary="Consignments, newest first (a seller's own; operators all)",
)
def list_all(
    db: Db,
    who: Manager,
    status: ConsignmentStatus | None = None,
    warehouse_id: IdFilter = None,
    seller_id: IdFilter = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ConsignmentPage:
    with db.transaction() as session:
        rows = inbound.list_consignments(
            session, principal=who, status=status, warehouse_id=warehouse_id, seller_id=seller_id,
            after_id=decode_cursor(cursor), limit=limit + 1,
        )  # fmt: skip
        items = [consignment_out(v) for v in rows[:limit]]
    return ConsignmentPage(items=items, next_cursor=next_cursor(items, len(rows) > limit))


@router.get(
    "/v1/inbound-consignments/{consignment_id}",
    response_model=ConsignmentOut,
    responses=PROBLEMS,
    summary="One consignment with each line's count",
)
def get_one(consignment_id: PathId, db: Db, who: Manager) -> ConsignmentOut:
    with db.transaction() as session:
        return consignment_out(inbound.get_consignment(session, principal=who, consignment_id=consignment_id))


@router.post(
    "/v1/inbound-consignments/{consignment_id}/ship",
    response_model=ConsignmentOut,
    responses=PROBLEMS,
    summary="The goods left the seller (draft -> shipped), with carrier and tracking",
)
def ship(consignment_id: PathId, body: ShipIn, db: Db, who: Manager) -> ConsignmentOut:
    with db.transaction() as session:
        inbound.ship_consignment(
            session, principal=who, consignment_id=consignment_id, carrier=body.carrier,
            tracking_number=body.tracking_number, now=utcnow(),
        )  # fmt: skip
        return consignment_out(inbound.get_consignment(session, principal=who, consignment_id=consignment_id))


@router.post(
    "/v1/inbound-consignments/{consignment_id}/cancel",
    response_model=ConsignmentOut,
    responses=PROBLEMS,
    summary="Cancel before receiving starts",
)
def cancel(consignment_id: PathId, body: ReasonIn, db: Db, who: Manager) -> ConsignmentOut:
    with db.transaction() as session:
        inbound.cancel_consignment(
            session, principal=who, consignment_id=consignment_id, reason=body.reason, now=utcnow()
        )
        return consignment_out(inbound.get_consignment(session, principal=who, consignment_id=consignment_id))


@router.post(
    "/v1/inbound-consignments/{consignment_id}/receipts",
    response_model=ConsignmentOut,
    responses=PROBLEMS,
    summary="Count lines: good units become sellable at once; a repeated count is a no-op (operators)",
)
def receive(consignment_id: PathId, body: ReceiptIn, db: Db, who: Operator) -> ConsignmentOut:
    with db.transaction() as session:
        view = inbound.receive_consignment(
            session, principal=who, consignment_id=consignment_id, counts=body.counts(), now=utcnow()
        )
        return consignment_out(view)


@router.post(
    "/v1/inbound-consignments/{consignment_id}/close",
    response_model=ConsignmentOut,
    responses=PROBLEMS,
    summary="Finish receiving: lines not counted are recorded as short (operators)",
)
def close(consignment_id: PathId, body: RequiredReasonIn, db: Db, who: Operator) -> ConsignmentOut:
    with db.transaction() as session:
        view = inbound.close_consignment(
            session, principal=who, consignment_id=consignment_id, reason=body.reason, now=utcnow()
        )
        return consignment_out(view)
