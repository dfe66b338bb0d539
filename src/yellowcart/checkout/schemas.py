"""Cart and checkout API shapes. Validation happens here, at the edge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from yellowcart.checkout.address import ShippingAddress
from yellowcart.checkout.models import Payment, PaymentStatus
from yellowcart.db import MAX_ID
from yellowcart.orders.models import Order
from yellowcart.orders.schemas import OrderOut
from yellowcart.orders.state import OrderStatus

SKU = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")
CouponCode = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^\s*[A-Za-z0-9_\-]{1,32}\s*$")]


class CheckoutItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = SKU
    quantity: int = Field(ge=1, le=999)
    deal_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="Buy at a deal's price: a live deal (with the room it runs in) or a flash deal (no room)",
    )
    room_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="The live room the shopper buys from (live deals only)"
    )

    @model_validator(mode="after")
    def _deal_in_room(self) -> CheckoutItem:
        if self.room_id is not None and self.deal_id is None:
            raise ValueError("room_id only goes with a live deal's deal_id")
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
    coupon_codes: list[CouponCode] | None = Field(
        default=None,
        max_length=5,
        description="Coupon codes to apply (a cart checkout uses the cart's codes when this is absent)",
    )
    expected_total_cents: int | None = Field(
        default=None,
        ge=0,
        le=10**11,
        description="The total the shopper was shown; if the price is now different the checkout is refused "
        "with 409 price_changed (a cart checkout compares with the cart's last shown total by default)",
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
    room_id: int | None = Field(description="The live room; null for a flash deal")
    quantity: int
    unit_price_cents: int
    was_cents: int


class DiscountOut(BaseModel):
    """One line of the price explanation: ``amount_cents`` off a line's goods (``sku``), off an order's
    shipping (``kind`` shipping) or a flash deal's price below the list price (``kind`` deal)."""

    model_config = ConfigDict(from_attributes=True)

    order_id: int | None = None
    sku: str | None = None
    promotion_id: int
    kind: str
    label: str
    amount_cents: int


class CheckoutResponse(BaseModel):
    payment: PaymentOut
    orders: list[OrderOut]
    total_cents: int
    deals: list[DealLineOut] = Field(default_factory=list, description="Lines bought through live deals")
    discounts: list[DiscountOut] = Field(default_factory=list, description="Promotions applied, line by line")


def paid_response(
    payment_id: int,
    amount_cents: int,
    provider: str,
    orders: Sequence[Order],
    paid_at: dt.datetime,
    deals: Sequence[DealLineOut] = (),
    discounts: Sequence[DiscountOut] = (),
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
        discounts=list(discounts),
    )


def checkout_response(
    payment: Payment,
    orders: Sequence[Order],
    deals: Sequence[DealLineOut] = (),
    discounts: Sequence[DiscountOut] = (),
) -> CheckoutResponse:
    return CheckoutResponse(
        payment=PaymentOut.model_validate(payment),
        orders=[OrderOut.model_validate(o) for o in orders],
        total_cents=payment.amount_cents,
        deals=list(deals),
        discounts=list(discounts),
    )


class CartLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = SKU
    quantity: int = Field(ge=0, le=999, description="0 removes the line")


class PriceLineOut(BaseModel):
    promotion_id: int
    label: str
    amount_cents: int


class CartLineOut(BaseModel):
    sku: str
    title: str
    quantity: int
    unit_price_cents: int
    line_subtotal_cents: int
    line_discount_cents: int = Field(default=0, description="Promotions off this line's goods")
    line_tax_cents: int = Field(description="Tax on the discounted goods")
    available: int
    discounts: list[PriceLineOut] = Field(default_factory=list)
    explain: str = Field(default="", description='e.g. "was $48.00, -$4.00 coupon SPRING, -$2.40 bundle: ..."')


class CartTotals(BaseModel):
    subtotal_cents: int
    discount_cents: int = 0
    shipping_cents: int = Field(description="Shipping to pay, after any free-shipping promotion")
    shipping_waived_cents: int = 0
    tax_cents: int
    total_cents: int
    tax_rate: str
    tax_note: str = "State base rate on the discounted goods; local rates are not yet applied."


class CouponStatusOut(BaseModel):
    """A code in the cart: applied, or why not (``reason``: min_spend, no_eligible_lines, outbid, budget,
    or a coupon problem code such as coupon_expired)."""

    code: str
    applied: bool
    promotion_id: int | None = None
    reason: str | None = None
    short_cents: int = Field(default=0, description="How much more to spend for a min-spend coupon to apply")


class PromotionHintOut(BaseModel):
    """A promotion close to applying: "add $6.00 for free shipping over $35.00"."""

    promotion_id: int
    label: str
    reason: str
    short_cents: int


class CouponIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: CouponCode


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
    coupons: list[CouponStatusOut] = Field(default_factory=list)
    hints: list[PromotionHintOut] = Field(default_factory=list)
