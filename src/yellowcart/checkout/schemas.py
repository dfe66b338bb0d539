"""Cart and checkout API shapes. Validation happens here, at the edge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field, model_validator

from yellowcart.checkout.address import ShippingAddress
from yellowcart.checkout.models import Payment, PaymentStatus
from yellowcart.db import MAX_ID
from yellowcart.orders.models import Order
from yellowcart.orders.schemas import OrderOut
from yellowcart.orders.state import OrderStatus

SKU = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")


class CheckoutItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = SKU
    quantity: int = Field(ge=1, le=999)
    deal_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="Buy at a live deal's price (with the room it runs in)"
    )
    room_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="The live room the shopper buys from (required with deal_id)"
    )

    @model_validator(mode="after")
    def _deal_in_room(self) -> CheckoutItem:
        if (self.deal_id is None) != (self.room_id is None):
            raise ValueError("deal_id and room_id go together: a deal is only valid inside its room")
        return self


class CheckoutRequest(BaseModel):
    """Check out a cart, or buy items directly ("buy now" from the yellow cart)."""

    model_config = ConfigDict(extra="forbid")

    cart_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    items: list[CheckoutItem] | None = Field(default=None, min_length=1, max_length=100)
    shipping_address: ShippingAddress | None = None
    payment_method: str = Field(
        min_length=4,
        max_length=120,
        pattern=r"^(tok|pm)_[A-Za-z0-9_]+$",
        description="A card token from the payment provider, e.g. tok_visa.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> CheckoutRequest:
        if (self.cart_id is None) == (self.items is None):
            raise ValueError("give exactly one of cart_id or items")
        deals = [i for i in self.items or [] if i.deal_id is not None]
        if len({i.deal_id for i in deals}) < len(deals):
            raise ValueError("one item per deal")
        if {i.sku for i in deals} & {i.sku for i in self.items or [] if i.deal_id is None}:
            raise ValueError("a SKU bought through a deal cannot also be bought at the normal price in one checkout")
        return self


class PaymentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: PaymentStatus
    amount_cents: int
    provider: str


class DealLineOut(BaseModel):
    """A line bought at a live deal's price: ``unit_price_cents`` (charged, taxed) and ``was_cents``."""

    sku: str
    deal_id: int
    room_id: int
    quantity: int
    unit_price_cents: int
    was_cents: int


class CheckoutResponse(BaseModel):
    payment: PaymentOut
    orders: list[OrderOut]
    total_cents: int
    deals: list[DealLineOut] = Field(default_factory=list, description="Lines bought through live deals")


def paid_response(
    payment_id: int,
    amount_cents: int,
    provider: str,
    orders: Sequence[Order],
    paid_at: dt.datetime,
    deals: Sequence[DealLineOut] = (),
) -> CheckoutResponse:
    """The answer for a payment just authorised, from the orders as placed (no read-back)."""
    paid = {"status": OrderStatus.AWAITING_SHIPMENT, "paid_at": paid_at, "reservation_expires_at": None}
    return CheckoutResponse(
        payment=PaymentOut(
            id=payment_id, status=PaymentStatus.AUTHORIZED, amount_cents=amount_cents, provider=provider
        ),
        orders=[OrderOut.model_validate(o).model_copy(update=paid) for o in orders],
        total_cents=amount_cents,
        deals=list(deals),
    )


def checkout_response(payment: Payment, orders: Sequence[Order], deals: Sequence[DealLineOut] = ()) -> CheckoutResponse:
    return CheckoutResponse(
        payment=PaymentOut.model_validate(payment),
        orders=[OrderOut.model_validate(o) for o in orders],
        total_cents=payment.amount_cents,
        deals=list(deals),
    )


class CartLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = SKU
    quantity: int = Field(ge=0, le=999, description="0 removes the line")


class CartLineOut(BaseModel):
    sku: str
    title: str
    quantity: int
    unit_price_cents: int
    line_subtotal_cents: int
    line_tax_cents: int
    available: int


class CartTotals(BaseModel):
    subtotal_cents: int
    shipping_cents: int
    tax_cents: int
    total_cents: int
    tax_rate: str
    tax_note: str = "State base rate; local rates are not yet applied."


class CartDeliveryOut(BaseModel):
    """The delivery promise for the whole cart to its ship-to ZIP (the slowest line decides)."""

    zip: str
    level: str = Field(description="same_day, next_day, two_day or standard")
    delivery_date: dt.date
    single_shipment: bool = Field(description="False when the cart ships from several warehouses")


class CartOut(BaseModel):
    id: int
    status: str
    ship_to: ShippingAddress | None
    lines: list[CartLineOut]
    totals: CartTotals | None
    delivery: CartDeliveryOut | None = Field(
        default=None, description="Null without an address, or when no promise can be made (redirect, stock, ZIP)"
    )
