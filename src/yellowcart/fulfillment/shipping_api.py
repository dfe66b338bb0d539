"""Shipment endpoints: sellers ship (label or own tracking), operators re-allocate, carriers post
tracking webhooks, shoppers follow their order."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.bootstrap import Container
from yellowcart.db import utcnow
from yellowcart.errors import Conflict, Forbidden, NotFound
from yellowcart.fulfillment import allocate, shipping
from yellowcart.fulfillment.carriers.base import Carrier
from yellowcart.fulfillment.carriers.errors import CarrierError
from yellowcart.fulfillment.models import Shipment, ShipmentStatus
from yellowcart.fulfillment.shipping_schemas import (
    OrderTrackingOut,
    ReallocateIn,
    ShipIn,
    ShipmentOut,
    ShipmentPage,
    ShipmentTrackingOut,
    TrackingEventOut,
    WebhookAck,
)
from yellowcart.http import App, Caller, Db, PathId, decode_cursor, next_cursor, problems, require

router = APIRouter(tags=["fulfillment"])
PROBLEMS = problems(s404="Unknown shipment or order", s409="Shipment not in a state for this", s422="Invalid input")
Manager = Annotated[Principal, require(Role.SELLER, Role.OPERATOR)]
MAX_WEBHOOK_EVENTS = 500
log = structlog.get_logger(__name__)


@router.get("/v1/shipments", response_model=ShipmentPage, responses=PROBLEMS, summary="Shipments I ship, newest first")
def list_shipments(
    db: Db,
    who: Manager,
    status: ShipmentStatus | None = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ShipmentPage:
    """``status=allocated``: the orders still to ship (a seller sees its own warehouses' only)."""
    with db.transaction() as session:
        rows = shipping.list_shipments(
            session, principal=who, status=status, after_id=decode_cursor(cursor), limit=limit + 1
        )
        items = [ShipmentOut.model_validate(s) for s in rows[:limit]]
    return ShipmentPage(items=items, next_cursor=next_cursor(items, len(rows) > limit))


@router.get("/v1/shipments/{shipment_id}", response_model=ShipmentOut, responses=PROBLEMS)
def get_shipment(shipment_id: PathId, db: Db, who: Manager) -> ShipmentOut:
    with db.transaction() as session:
        return ShipmentOut.model_validate(shipping.get_shipment(session, principal=who, shipment_id=shipment_id))


@router.post(
    "/v1/shipments/{shipment_id}/label",
    response_model=ShipmentOut,
    responses=problems(s404="Unknown shipment", s409="Already labelled", s502="Carrier error"),
    summary="Buy the label through the platform's carrier",
)
def buy_label(shipment_id: PathId, app: App, who: Manager) -> ShipmentOut:
    """Read (one transaction), buy from the carrier (none), record (another): no lock waits on I/O."""
    with app.db.transaction() as session:
        shipment = shipping.get_shipment(session, principal=who, shipment_id=shipment_id)
        job = shipping.label_job(session, shipment)
    if app.carrier is None:
        raise Conflict("No carrier is configured.")
    label = shipping.buy_label(app.carrier, job)
    with app.db.transaction() as session:
        recorded = shipping.record_label(session, shipment_id=shipment_id, label=label)
        if recorded is None:
            raise NotFound(f"Shipment {shipment_id} does not exist.")
        return ShipmentOut.model_validate(recorded)


@router.post(
    "/v1/shipments/{shipment_id}/ship",
    response_model=ShipmentOut,
    responses=PROBLEMS,
    summary="Mark shipped (with the platform label, or the seller's own carrier and tracking number)",
)
def ship(shipment_id: PathId, body: ShipIn, app: App, who: Manager) -> ShipmentOut:
    """With its own carrier, the platform's carrier adapter is then asked to follow the number (after
    the commit, no lock held): scans known so far are stored now, later ones come by webhook."""
    with app.db.transaction() as session:
        shipment = shipping.mark_shipped(
            session,
            principal=who,
            shipment_id=shipment_id,
            carrier=body.carrier,
            tracking_number=body.tracking_number,
            now=utcnow(),
        )
        out = ShipmentOut.model_validate(shipment)
        own = shipping.own_tracking(session, shipment_id=shipment_id) if body.tracking_number else None
    if own is None or app.carrier is None or follow_own_tracking(app, app.carrier, shipment_id, own) == 0:
        return out
    with app.db.transaction() as session:
        return ShipmentOut.model_validate(shipping.get_shipment(session, principal=who, shipment_id=shipment_id))


def follow_own_tracking(app: Container, carrier: Carrier, shipment_id: int, own: tuple[str, str]) -> int:
    """Events stored. Best effort: a carrier the adapter cannot follow (the simulated one knows only
    its own labels) leaves the package as shipped, with no scan feed, as before."""
    number, code = own
    try:
        events = carrier.track(number, carrier=code)
    except CarrierError as err:
        log.info("tracking.not_followed", shipment_id=shipment_id, carrier=code, code=err.code)
        return 0
    with app.db.transaction() as session:
        return shipping.ingest_events(session, provider=carrier.name, events=events, now=utcnow())


@router.post(
    "/v1/shipments/{shipment_id}/reallocate",
    response_model=list[ShipmentOut],
    responses=problems(s404="Unknown shipment", s409="Already shipped, or no other warehouse can ship"),
    summary="The warehouse cannot ship: move the package to another warehouse (or split it)",
)
def reallocate(shipment_id: PathId, body: ReallocateIn, db: Db, who: Manager) -> list[ShipmentOut]:
    with db.transaction() as session:
        shipment = shipping.get_shipment(session, principal=who, shipment_id=shipment_id)
        if not who.is_operator and shipment.fulfilled_by != "seller":
            raise Forbidden("Only operators re-allocate platform shipments.")
        created = allocate.reallocate_shipment(session, shipment_id=shipment_id, reason=body.reason, now=utcnow())
        return [ShipmentOut.model_validate(s) for s in created]


def _ingest(app: Container, provider: str, body: bytes, headers: dict[str, str]) -> WebhookAck:
    carrier = app.carriers.get(provider)
    if carrier is None:
        raise NotFound(f"No carrier {provider!r} is configured.")
    events = carrier.parse_webhook(body, headers)[:MAX_WEBHOOK_EVENTS]  # verifies the signature first
    with app.db.transaction() as session:
        stored = shipping.ingest_events(session, provider=provider, events=events, now=utcnow())
    return WebhookAck(received=len(events), stored=stored)


@router.post(
    "/v1/carriers/{provider}/webhooks",
    response_model=WebhookAck,
    responses=problems(s401="Signature missing or wrong", s404="Unknown provider", s422="Payload not understood"),
    summary="Carrier tracking webhook (HMAC-SHA256 signed raw body, X-Hmac-Signature)",
)
async def carrier_webhook(
    provider: Annotated[str, PathParam(pattern=r"^[a-z_]{2,32}$")], request: Request, app: App
) -> WebhookAck:
    body = await request.body()
    return await run_in_threadpool(_ingest, app, provider, body, dict(request.headers))


def _tracking_out(tracked: shipping.Tracked) -> ShipmentTrackingOut:
    s: Shipment = tracked.shipment
    return ShipmentTrackingOut(
        id=s.id,
        status=s.status,
        carrier=s.carrier,
        service=s.service,
        tracking_number=s.tracking_number,
        promised_date=s.promised_date,
        estimated_date=s.estimated_date,
        shipped_at=s.shipped_at,
        delivered_at=s.delivered_at,
        events=[TrackingEventOut.model_validate(e) for e in tracked.events],
    )


@router.get(
    "/v1/orders/{order_id}/tracking",
    response_model=OrderTrackingOut,
    responses=problems(s404="Unknown order (or not yours)"),
    summary="Where my order is: shipments, their timelines, the promised date and the current estimate",
    tags=["orders"],
)
def order_tracking(order_id: PathId, db: Db, who: Caller) -> OrderTrackingOut:
    with db.transaction() as session:
        order, tracked = shipping.order_tracking(session, principal=who, order_id=order_id)
        live = [t.shipment.estimated_date for t in tracked if t.shipment.status is not ShipmentStatus.CANCELLED]
        estimates = [d for d in live if d is not None]
        return OrderTrackingOut(
            order_id=order.id,
            order_status=order.status.value,
            promised_delivery_date=order.promised_delivery_date,
            estimated_delivery_date=max(estimates) if estimates and len(estimates) == len(live) else None,
            shipments=[_tracking_out(t) for t in tracked],
        )
