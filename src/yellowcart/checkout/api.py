"""Cart, checkout and tax-rate endpoints. Thin: parse, authorise, call the service, shape the reply."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Header, Response
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.checkout import idempotency, service, tax
from yellowcart.checkout.address import ShippingAddress
from yellowcart.checkout.flow import Outcome
from yellowcart.checkout.models import Cart, TaxRate
from yellowcart.checkout.schemas import (
    CartDeliveryOut,
    CartLineIn,
    CartLineOut,
    CartOut,
    CartTotals,
    CheckoutRequest,
    CheckoutResponse,
)
from yellowcart.db import utcnow
from yellowcart.fulfillment import service as fulfillment
from yellowcart.http import App, Caller, Db, PathId, problem, problems, require
from yellowcart.inventory import service as inventory

router = APIRouter(prefix="/v1", tags=["checkout"])
CartId = PathId
PROBLEMS = problems()


def _cart_out(session: Session, cart: Cart, app: App) -> CartOut:
    items = service.cart_items(cart, session)
    address = ShippingAddress.model_validate(cart.ship_to) if cart.ship_to else None
    if not items:
        return CartOut(id=cart.id, status=cart.status.value, ship_to=address, lines=[], totals=None)
    lines = service.resolve_lines(session, items=items)
    quote = service.quote_lines(
        session, lines=lines, state=address.state if address else None, policy=app.checkout.policy
    )
    available = inventory.available_by_variant(session, [ln.variant_id for ln in lines])
    out_lines = [
        CartLineOut(
            sku=pl.line.sku,
            title=pl.line.title,
            quantity=pl.line.quantity,
            unit_price_cents=pl.line.unit_price_cents,
            line_subtotal_cents=pl.subtotal_cents,
            line_tax_cents=pl.tax_cents,
            available=available[pl.line.variant_id],
        )
        for order in quote.orders
        for pl in order.lines
    ]
    totals = CartTotals(
        subtotal_cents=quote.subtotal_cents,
        shipping_cents=quote.shipping_cents,
        tax_cents=quote.tax_cents,
        total_cents=quote.total_cents,
        tax_rate=str(quote.tax_rate),
    )
    delivery = None
    if address is not None:
        promise = fulfillment.promise_or_none(session, lines=items, ship_to_zip=address.zip, now=utcnow())
        if promise is not None:
            delivery = CartDeliveryOut(
                zip=address.zip,
                level=promise.level.value,
                delivery_date=promise.delivery_date,
                single_shipment=promise.single_shipment,
            )
    return CartOut(
        id=cart.id, status=cart.status.value, ship_to=address, lines=out_lines, totals=totals, delivery=delivery
    )


@router.post("/carts", response_model=CartOut, responses=PROBLEMS, summary="Get (or open) my active cart")
def open_cart(db: Db, app: App, who: Caller) -> CartOut:
    with db.transaction() as session:
        return _cart_out(session, service.active_cart(session, principal=who), app)


@router.get("/carts/{cart_id}", response_model=CartOut, responses=PROBLEMS)
def get_cart(cart_id: CartId, db: Db, app: App, who: Caller) -> CartOut:
    with db.transaction() as session:
        return _cart_out(session, service.get_cart(session, principal=who, cart_id=cart_id), app)


@router.put(
    "/carts/{cart_id}/lines", response_model=CartOut, responses=PROBLEMS, summary="Add, change or remove a line"
)
def set_line(cart_id: CartId, body: CartLineIn, db: Db, app: App, who: Caller) -> CartOut:
    with db.transaction() as session:
        cart = service.set_cart_line(session, principal=who, cart_id=cart_id, sku=body.sku, quantity=body.quantity)
        return _cart_out(session, cart, app)


@router.put("/carts/{cart_id}/address", response_model=CartOut, responses=PROBLEMS)
def set_address(cart_id: CartId, body: ShippingAddress, db: Db, app: App, who: Caller) -> CartOut:
    with db.transaction() as session:
        return _cart_out(session, service.set_cart_address(session, principal=who, cart_id=cart_id, address=body), app)


@router.post(
    "/checkout",
    response_model=CheckoutResponse,
    status_code=201,
    responses=problems(s402="Card declined", s503="Payment provider timeout"),
    summary="Place and pay for orders (one per seller)",
)
def checkout(
    body: CheckoutRequest,
    app: App,
    who: Caller,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)] = None,
) -> Response:
    """Reserve stock, create the orders and authorise the payment. Safe to retry with the same key."""
    key = idempotency.validate_key(idempotency_key)
    return _reply(app.checkout.checkout(principal=who, key=key, request=body))


@router.post(
    "/orders/{order_id}/pay",
    response_model=CheckoutResponse,
    status_code=201,
    responses=problems(s402="Card declined", s409="Order not payable", s503="Payment provider timeout"),
    summary="Retry the payment of an unpaid order",
    tags=["orders"],
)
def pay_order(
    order_id: PathId,
    app: App,
    who: Caller,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)] = None,
) -> Response:
    """After a 503 from checkout: ask the provider again for the same payment (never charged twice)."""
    key = idempotency.validate_key(idempotency_key)
    return _reply(app.checkout.pay_order(principal=who, key=key, order_id=order_id))


def _reply(outcome: Outcome) -> Response:
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else {}
    if outcome.status >= 400:
        return problem(outcome.status, outcome.body, headers)
    return JSONResponse(outcome.body, status_code=outcome.status, headers=headers)


class TaxRateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    state: str
    rate: str
    effective_date: dt.date
    source: str


class TaxRateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate: str = Field(pattern=r"^0(\.\d{1,6})?$", description="Fraction, e.g. 0.0625 for 6.25%")
    effective_date: dt.date
    source: str = Field(min_length=3, max_length=200)


def _rate_out(row: TaxRate) -> TaxRateOut:
    return TaxRateOut(
        state=row.state, rate=format(row.rate.normalize(), "f"), effective_date=row.effective_date, source=row.source
    )


@router.get("/tax-rates", response_model=list[TaxRateOut], tags=["tax"], summary="State base sales-tax rates")
def list_tax_rates(db: Db) -> list[TaxRateOut]:
    with db.transaction() as session:
        return [_rate_out(r) for r in tax.list_rates(session)]


@router.put("/tax-rates/{state}", response_model=TaxRateOut, tags=["tax"], responses=PROBLEMS)
def put_tax_rate(
    state: Annotated[str, PathParam(min_length=2, max_length=2)],
    body: TaxRateIn,
    db: Db,
    who: Principal = require(Role.OPERATOR),
) -> TaxRateOut:
    with db.transaction() as session:
        row = tax.set_rate(session, state=state, rate=body.rate, effective_date=body.effective_date, source=body.source)
        return _rate_out(row)
