"""Live room API shapes: the room's state (what viewers see), viewer sessions, the recap."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from yellowcart.content.models import LiveState


class RoomDealOut(BaseModel):
    """A live-only deal of the room: the countdown runs to ``ends_at`` (``seconds_left`` at ``server_time``)."""

    deal_id: int
    product_id: int
    sku: str
    price_cents: int
    was_cents: int
    quantity: int
    remaining: int
    per_shopper_limit: int | None
    status: str
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    seconds_left: int | None


class RoomProductOut(BaseModel):
    """One listing of the room's yellow cart, in the host's order."""

    product_id: int
    position: int
    title: str
    price_cents: int | None = Field(description="The lowest active variant's price; None: no active variant")
    selling_mode: str
    in_stock: bool
    pinned: bool
    deal_id: int | None = Field(default=None, description="The deal running on it now (see `deals`)")
    deal_price_cents: int | None = None
    deal_remaining: int | None = Field(
        default=None, description="Units left in the deal (the product list endpoint; the stream sends `deals`)"
    )


class RoomOrdersOut(BaseModel):
    """Orders placed in the room (through its deals) and not cancelled."""

    count: int = 0
    units: int = 0
    gmv_cents: int = 0


class RoomStateOut(BaseModel):
    """Everything a viewer's screen shows; the stream sends it whole first, then only changed keys."""

    room_id: int
    title: str
    host_user_id: int
    live_state: LiveState | None
    viewers: int = Field(description="Viewer sessions with a heartbeat within the timeout")
    pinned_product_id: int | None
    products: list[RoomProductOut]
    deals: list[RoomDealOut] = Field(description="Deals running now (their countdown and remaining units)")
    orders: RoomOrdersOut
    server_time: dt.datetime


class ProductList(BaseModel):
    items: list[RoomProductOut]


class ViewerOut(BaseModel):
    session: str = Field(description="The viewer session (send it back on heartbeats, the stream and leave)")
    viewers: int
    heartbeat_seconds: int = Field(description="Send a heartbeat (PUT again) at least this often")
    timeout_seconds: int = Field(description="Without a heartbeat for this long the viewer has left")


class MinuteOut(BaseModel):
    minute: dt.datetime
    viewers: int


class TopProductOut(BaseModel):
    product_id: int
    title: str
    cart_taps: int
    orders: int
    units: int
    gmv_cents: int


class RecapOut(BaseModel):
    """The host's look back at a room: audience, taps, orders, GMV, conversion, best sellers."""

    room_id: int
    title: str
    live_state: LiveState | None
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    unique_viewers: int
    peak_viewers: int
    watch_seconds: int
    viewers_per_minute: list[MinuteOut]
    cart_taps: int
    orders: int
    units: int
    gmv_cents: int
    conversion_per_mille: float | None = Field(description="Orders per 1,000 unique viewers")
    top_products: list[TopProductOut]
