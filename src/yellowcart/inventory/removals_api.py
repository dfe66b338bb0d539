"""Removal endpoints: a seller asks for unsold consigned units back; operators approve and ship them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.db import utcnow
from yellowcart.http import Db, PathId, decode_cursor, next_cursor, problems, require
from yellowcart.inventory import removals
from yellowcart.inventory.custody_models import RemovalStatus, StockRemoval
from yellowcart.inventory.custody_schemas import (
    ReasonIn,
    RemovalIn,
    RemovalOut,
    RemovalPage,
    RemovalShipIn,
    RequiredReasonIn,
)

router = APIRouter(tags=["custody"])
PROBLEMS = problems(
    s403="Not allowed for this role",
    s404="Unknown removal, warehouse or SKU (or another seller's)",
    s409="Not in a state for this, or not enough unreserved stock",
    s422="Invalid input",
)
Manager = Annotated[Principal, require(Role.SELLER, Role.OPERATOR)]
Operator = Annotated[Principal, require(Role.OPERATOR)]


def removal_out(removal: StockRemoval, sku: str) -> RemovalOut:
    r = removal
    return RemovalOut(
        id=r.id, sku=sku, variant_id=r.variant_id, seller_id=r.seller_id, warehouse_id=r.warehouse_id,
        quantity=r.quantity, status=r.status, note=r.note, decision_reason=r.decision_reason, carrier=r.carrier,
        tracking_number=r.tracking_number, created_at=r.created_at, approved_at=r.approved_at,
        shipped_at=r.shipped_at, closed_at=r.closed_at,
    )  # fmt: skip


@router.post(
    "/v1/stock-removals",
    response_model=RemovalOut,
    status_code=201,
    responses=PROBLEMS,
    summary="Ask for unsold full-custody units back from a platform warehouse",
)
def request(body: RemovalIn, db: Db, who: Manager) -> RemovalOut:
    with db.transaction() as session:
        made = removals.request_removal(
            session, principal=who, sku=body.sku, warehouse_id=body.warehouse_id, quantity=body.quantity,
            note=body.note, now=utcnow(),
        )  # fmt: skip
        return removal_out(*removals.get_removal(session, principal=who, removal_id=made.id))


@router.get(
    "/v1/stock-removals",
    response_model=RemovalPage,
    responses=PROBLEMS,
    summary="Removals, newest first (a seller's own; operators all)",
)
def list_all(
    db: Db,
    who: Manager,
    status: RemovalStatus | None = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> RemovalPage:
    with db.transaction() as session:
        rows = removals.list_removals(
            session, principal=who, status=status, after_id=decode_cursor(cursor), limit=limit + 1
        )
        items = [removal_out(r, sku) for r, sku in rows[:limit]]
    return RemovalPage(items=items, next_cursor=next_cursor(items, len(rows) > limit))


@router.get("/v1/stock-removals/{removal_id}", response_model=RemovalOut, responses=PROBLEMS, summary="One removal")
def get_one(removal_id: PathId, db: Db, who: Manager) -> RemovalOut:
    with db.transaction() as session:
        return removal_out(*removals.get_removal(session, principal=who, removal_id=removal_id))


@router.post(
    "/v1/stock-removals/{removal_id}/approve",
    response_model=RemovalOut,
    responses=PROBLEMS,
    summary="Approve: the units leave available stock (never reserved units) (operators)",
)
def approve(removal_id: PathId, db: Db, who: Operator) -> RemovalOut:
    with db.transaction() as session:
        removals.approve_removal(session, principal=who, removal_id=removal_id, now=utcnow())
        return removal_out(*removals.get_removal(session, principal=who, removal_id=removal_id))


@router.post(
    "/v1/stock-removals/{removal_id}/reject",
    response_model=RemovalOut,
    responses=PROBLEMS,
    summary="Reject with a reason (operators)",
)
def reject(removal_id: PathId, body: RequiredReasonIn, db: Db, who: Operator) -> RemovalOut:
    with db.transaction() as session:
        removals.reject_removal(session, principal=who, removal_id=removal_id, reason=body.reason, now=utcnow())
        return removal_out(*removals.get_removal(session, principal=who, removal_id=removal_id))


@router.post(
    "/v1/stock-removals/{removal_id}/ship",
    response_model=RemovalOut,
    responses=PROBLEMS,
    summary="The removal shipment left, with carrier and tracking (operators)",
)
def ship(removal_id: PathId, body: RemovalShipIn, db: Db, who: Operator) -> RemovalOut:
    with db.transaction() as session:
        removals.ship_removal(
            session, principal=who, removal_id=removal_id, carrier=body.carrier,
            tracking_number=body.tracking_number, now=utcnow(),
        )  # fmt: skip
        return removal_out(*removals.get_removal(session, principal=who, removal_id=removal_id))


@router.post(
    "/v1/stock-removals/{removal_id}/cancel",
    response_model=RemovalOut,
    responses=PROBLEMS,
    summary="Cancel before shipping; approved units go back on sale",
)
def cancel(removal_id: PathId, body: ReasonIn, db: Db, who: Manager) -> RemovalOut:
    with db.transaction() as session:
        removals.cancel_removal(session, principal=who, removal_id=removal_id, reason=body.reason, now=utcnow())
        return removal_out(*removals.get_removal(session, principal=who, removal_id=removal_id))
