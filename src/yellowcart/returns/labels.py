"""Return labels: bought from the platform's carrier, from the shopper's address back to the warehouse
that shipped the item. Read (one transaction), buy (no transaction), record (another), like outbound
labels, so no row lock waits on the carrier."""

from __future__ import annotations

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.db import Database
from yellowcart.errors import Conflict, Forbidden, NotFound
from yellowcart.fulfillment.carriers.base import Carrier, Label, LabelRequest, Parcel
from yellowcart.fulfillment.carriers.errors import CarrierError
from yellowcart.fulfillment.shipping import LabelJob, buy_label, shopper_address, warehouse_address
from yellowcart.inventory.models import Warehouse
from yellowcart.orders.models import Order
from yellowcart.returns.models import ReturnRequest
from yellowcart.returns.service import get_return
from yellowcart.returns.state import ReturnStatus

SERVICE = "ground"
GRAMS_PER_UNIT = 500
log = structlog.get_logger(__name__)  # no per-unit weight on order lines: a planning weight per unit returned


def label_job(session: Session, *, principal: Principal, return_id: int) -> LabelJob:
    ret = get_return(session, principal=principal, return_id=return_id)
    if principal.role is not Role.SHOPPER and not principal.is_operator:
        raise Forbidden("The shopper (or an operator) gets the return label.")
    return job_for(session, ret)


def job_for(session: Session, ret: ReturnRequest) -> LabelJob:
    if ret.status is not ReturnStatus.AWAITING_BUYER_SHIP or ret.tracking_number:
        raise Conflict(f"Return {ret.id} needs no label now ({ret.status.value}).", field="status")
    order = session.get(Order, ret.order_id)
    warehouse = session.get(Warehouse, ret.warehouse_id) if ret.warehouse_id else None
    if order is None or warehouse is None:
        raise NotFound(f"Return {ret.id} has no warehouse to go back to.")
    request = LabelRequest(
        reference=f"rma-{ret.id}",
        parcel=Parcel(weight_grams=GRAMS_PER_UNIT * sum(rl.quantity for rl in ret.lines)),
        from_address=shopper_address(order),
        to_address=warehouse_address(warehouse, name=f"Returns - {warehouse.name}"),
    )
    return LabelJob(ret.id, SERVICE, request)


def issue_label(db: Database, carrier: Carrier, *, return_id: int) -> bool:
    """Buy an approved return's label on the platform's behalf (after a seller's or the job's approval),
    outside any transaction. Best effort: False when it needs none or the carrier fails (the shopper
    can ask again with POST /v1/returns/{id}/label)."""
    try:
        with db.transaction() as session:
            ret = session.get(ReturnRequest, return_id)
            if ret is None:
                return False
            job = job_for(session, ret)
        label = buy_label(carrier, job)
    except (Conflict, NotFound, CarrierError) as err:
        log.info("return_label_not_issued", return_id=return_id, error=type(err).__name__)
        return False
    with db.transaction() as session:
        record_label(session, return_id=return_id, label=label)
    return True


def record_label(session: Session, *, return_id: int, label: Label) -> ReturnRequest | None:
    """Store the label once (a racing duplicate finds it there: the carrier returned the same one)."""
    ret = session.scalar(select(ReturnRequest).where(ReturnRequest.id == return_id).with_for_update())
    if ret is None or ret.tracking_number or ret.status is not ReturnStatus.AWAITING_BUYER_SHIP:
        return ret
    ret.tracking_number, ret.label_carrier, ret.label_provider = label.tracking_number, label.carrier, label.provider
    ret.label_ref, ret.label_cost_cents = label.label_url, label.cost_cents
    return ret
