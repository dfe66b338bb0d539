"""Shipment, tracking and webhook API shapes."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from yellowcart.fulfillment.carriers.tracking_numbers import CARRIERS
from yellowcart.fulfillment.models import ShipmentStatus


class ShipmentLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    order_line_id: int
    quantity: int


class ShipmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: int
    warehouse_id: int
    fulfilled_by: str = Field(description="platform or seller: who packs and ships it")
    status: ShipmentStatus
    service: str
    carrier: str | None
    provider: str | None = Field(description="The platform carrier adapter that sold the label; null: own carrier")
    tracking_number: str | None
    label_ref: str | None = Field(description="Where to print the label (platform labels)")
    label_cost_cents: int | None
    weight_grams: int
    pick_date: dt.date
    ship_by: dt.date
    promised_date: dt.date | None
    estimated_date: dt.date | None = Field(description="Current estimate (moves with tracking events)")
    shipped_at: dt.datetime | None
    delivered_at: dt.datetime | None
    cancel_reason: str | None
    lines: list[ShipmentLineOut]


class ShipmentPage(BaseModel):
    items: list[ShipmentOut]
    next_cursor: str | None


class ShipIn(BaseModel):
    """Mark shipped; with the seller's own carrier give ``carrier`` and ``tracking_number``."""

    model_config = ConfigDict(extra="forbid")

    carrier: str | None = Field(default=None, description=f"One of {', '.join(CARRIERS)}")
    tracking_number: str | None = Field(default=None, min_length=1, max_length=64)


class ReallocateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Literal["stock_count_wrong", "capacity_exceeded"]


class TrackingEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    status: str
    occurred_at: dt.datetime
    description: str
    location: str | None


class ShipmentTrackingOut(BaseModel):
    id: int
    status: ShipmentStatus
    carrier: str | None
    service: str
    tracking_number: str | None
    promised_date: dt.date | None
    estimated_date: dt.date | None
    shipped_at: dt.datetime | None
    delivered_at: dt.datetime | None
    events: list[TrackingEventOut] = Field(description="The timeline, oldest first (by event time)")


class OrderTrackingOut(BaseModel):
    order_id: int
    order_status: str
    promised_delivery_date: dt.date | None
    estimated_delivery_date: dt.date | None = Field(description="The latest estimate over live shipments")
    shipments: list[ShipmentTrackingOut]


class WebhookAck(BaseModel):
    received: int
    stored: int
