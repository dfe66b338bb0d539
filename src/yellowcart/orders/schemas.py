"""Order API shapes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from yellowcart.orders.state import OrderStatus


class OrderLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sku: str
    title: str
    selling_mode: str
    quantity: int
    unit_price_cents: int
    line_subtotal_cents: int
    line_discount_cents: int = 0  # promotions off the goods (the order's discounts say which)
    line_tax_cents: int
    line_shipping_cents: int


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: OrderStatus
    shopper_id: int
    seller_id: int
    payment_id: int | None
    currency: str
    subtotal_cents: int
    shipping_cents: int
    discount_cents: int
    tax_cents: int
    total_cents: int
    tax_rate: str
    ship_to: dict[str, Any]
    placed_at: dt.datetime
    paid_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    cancel_reason: str | None
    reservation_expires_at: dt.datetime | None
    promised_delivery_date: dt.date | None = Field(default=None, description="Delivery promised at checkout")
    promise_level: str | None = Field(default=None, description="same_day, next_day, two_day or standard")
    promise_service: str | None = None
    promise_warehouse_id: int | None = Field(default=None, description="Null when the promise was a split")
    lines: list[OrderLineOut]


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None


class HistoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: dt.datetime
    actor_user_id: int | None
    actor_role: str
    from_status: OrderStatus | None
    to_status: OrderStatus
    reason: str | None


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="cancelled_by_request", min_length=1, max_length=300)


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: OrderStatus
    reason: str | None = Field(default=None, max_length=300)
