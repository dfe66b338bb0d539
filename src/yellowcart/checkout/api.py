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
from yellowcart.checkout import explain, idempotency, service, tax
from yellowcart.checkout.address import ShippingAddress
from yellowcart.checkout.flow import Outcome
from yellowcart.checkout.models import Cart, CartStatus, TaxRate
from yellowcart.checkout.schemas import (
    CartDeliveryOut,
    CartLineIn,
    CartLineOut,
    CartOut,
    CartTotals,
    CheckoutRequest,
    CheckoutResponse,
    CouponIn,
    CouponStatusOut,
    PromotionHintOut,
)
from yellowcart.db import utcnow
from yellowcart.errors import DomainError, InvalidInput
from yellowcart.fulfillment import service as fulfillment
from yellowcart.http import App, Caller, Db, PathId, problem, problems, require
from yellowcart.inventory import service as inventory
from yellowcart.promotions import offers

router = APIRouter(prefix="/v1", tags=["checkout"])
CartId = PathId
PROBLEMS = problems()


def cart_out(session: Session, cart: Cart, app: App) -> CartOut:
    items = service.cart_items(cart, session)
    address = ShippingAddress.model_validate(cart.ship_to) if cart.ship_to else None
    codes = list(cart.coupon_codes or [])
    if not items:
        coupons = [CouponStatusOut(code=c, applied=False, reason="empty_cart") for c in codes]
        return CartOut(id=cart.id, status=cart.status.value, ship_to=address, lines=[], totals=None, coupons=coupons)
    lines = service.resolve_lines(session, items=items)
    now = utcnow()
    promotions = service.promotions_for(
        session,
        shopper_id=cart.shopper_id,
        lines=lines,
        codes=codes,
        policy=app.checkout.policy,
        now=now,
        strict_codes=False,
    )
    found = promotions.discounts
    quote = service.quote_lines(
        session, lines=lines, state=address.state if address else None, policy=app.checkout.policy, discounts=found
    )
    available = inventory.available_by_variant(session, [ln.variant_id for ln in lines])
    out_lines = []
    for order in quote.orders:
        for pl in order.lines:
            parts = explain.line_discounts(found, pl.line.variant_id)
            out_lines.append(
                CartLineOut(
                    sku=pl.line.sku,
                    title=pl.line.title,
                    quantity=pl.line.quantity,
                    unit_price_cents=pl.line.unit_price_cents,
                    line_subtotal_cents=pl.subtotal_cents,
                    line_discount_cents=pl.discount_cents,
                    line_tax_cents=pl.tax_cents,
                    available=available[pl.line.variant_id],
                    discounts=parts,
                    explain=explain.sentence(pl, parts),
                )
            )
    totals = CartTotals(
        subtotal_cents=quote.subtotal_cents,
        discount_cents=quote.discount_cents,
        shipping_cents=quote.shipping_cents,
        shipping_waived_cents=quote.shipping_waived_cents,
        tax_cents=quote.tax_cents,
        total_cents=quote.total_cents,
        tax_rate=str(quote.tax_rate),
    )
    if cart.status is CartStatus.ACTIVE and cart.quoted_total_cents != quote.total_cents:
        cart.quoted_total_cents = quote.total_cents  # what checkout will hold the shopper to
        cart.quoted_discounts = [d.model_dump() for d in explain.of_quote(quote, found)]
    delivery = None
    if address is not None:
        promise = fulfillment.promise_or_none(session, lines=items, ship_to_zip=address.zip, now=now)
        if promise is not None:
            delivery = CartDeliveryOut(
                zip=address.zip,
                level=promise.level.value,
                delivery_date=promise.delivery_date,
                single_shipment=promise.single_shipment,
            )
    return CartOut(
        id=cart.id,
        status=cart.status.value,
        ship_to=address,
        lines=out_lines,
        totals=totals,
        delivery=delivery,
        coupons=_coupon_statuses(session, cart, codes, promotions, now),
        hints=[
            PromotionHintOut(promotion_id=s.promotion_id, label=s.label, reason=s.reason, short_cents=s.short_cents)
            for s in found.skipped
            if s.reason == "min_spend" and s.promotion_id not in promotions.available.codes
        ],
    )


def _coupon_statuses(
    session: Session, cart: Cart, codes: list[str], promotions: service.Promotions, now: dt.datetime
) -> list[CouponStatusOut]:
    """Each code in the cart: applied, skipped by the engine (and why), or no longer usable (and why)."""
    by_code = {code: pid for pid, code in promotions.available.codes.items()}
    applied = promotions.discounts.applied()
    skipped = {s.promotion_id: s for s in promotions.discounts.skipped}
    out = []
    for code in codes:
        pid = by_code.get(code)
        if pid is None:
            try:
                offers.check_code(session, code=code, shopper_id=cart.shopper_id, now=now)
                reason = "held_out"
            except DomainError as err:
                reason = err.code
            out.append(CouponStatusOut(code=code, applied=False, reason=reason))
        elif pid in applied:
            out.append(CouponStatusOut(code=code, applied=True, promotion_id=pid))
        else:
            why = skipped.get(pid)
            out.append(
                CouponStatusOut(
                    code=code,
                    applied=False,
                    promotion_id=pid,
                    reason=why.reason if why else "no_eligible_lines",
                    short_cents=why.short_cents if why else 0,
                )
            )
    return out


@router.post("/carts", response_model=CartOut, responses=PROBLEMS, summary="Get (or open) my active cart")
def open_cart(db: Db, app: App, who: Caller) -> CartOut:
    with db.transaction() as session:
        return cart_out(session, service.active_cart(session, principal=who), app)


@router.get("/carts/{cart_id}", response_model=CartOut, responses=PROBLEMS)
def get_cart(cart_id: CartId, db: Db, app: App, who: Caller) -> CartOut:
    with db.transaction() as session:
        return cart_out(session, service.get_cart(session, principal=who, cart_id=cart_id), app)


@router.put(
    "/carts/{cart_id}/lines", response_model=CartOut, responses=PROBLEMS, summary="Add, change or remove a line"
)
def set_line(cart_id: CartId, body: CartLineIn, db: Db, app: App, who: Caller) -> CartOut:
    with db.transaction() as session:
        cart = service.set_cart_line(session, principal=who, cart_id=cart_id, sku=body.sku, quantity=body.quantity)
        return cart_out(session, cart, app)


@router.post(
    "/carts/{cart_id}/coupons",
    response_model=CartOut,
    responses=problems(s404="Unknown code", s409="Code expired, used up or not yours"),
    summary="Apply a coupon code to my cart",
)
def add_coupon(cart_id: CartId, body: CouponIn, db: Db, app: App, who: Caller) -> CartOut:
    """The code is checked now (unknown, another shopper's, expired, used up: a 4xx and the cart is
    unchanged); whether it applies to the cart's lines the cart's ``coupons`` say."""
    with db.transaction() as session:
        cart = service.open_cart(session, principal=who, cart_id=cart_id)
        code = offers.normalise_code(body.code)
        offers.check_code(session, code=code, shopper_id=who.user_id, now=utcnow())
        codes = list(cart.coupon_codes or [])
        if code not in codes:
            if len(codes) >= 5:
                raise InvalidInput("At most 5 coupon codes per cart.", field="code")
            cart.coupon_codes = [*codes, code]
        return cart_out(session, cart, app)


@router.delete("/carts/{cart_id}/coupons/{code}", response_model=CartOut, responses=PROBLEMS)
def remove_coupon(
    cart_id: CartId, code: Annotated[str, PathParam(min_length=1, max_length=32)], db: Db, app: App, who: Caller
) -> CartOut:
    with db.transaction() as session:
        cart = service.open_cart(session, principal=who, cart_id=cart_id)
        cart.coupon_codes = [c for c in cart.coupon_codes or [] if c != offers.normalise_code(code)]
        return cart_out(session, cart, app)


@router.put("/carts/{cart_id}/address", response_model=CartOut, responses=PROBLEMS)
def set_address(cart_id: CartId, body: ShippingAddress, db: Db, app: App, who: Caller) -> CartOut:
    with db.transaction() as session:
        return cart_out(session, service.set_cart_address(session, principal=who, cart_id=cart_id, address=body), app)


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
