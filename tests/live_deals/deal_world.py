"""A small live-deal world built through the real API: a seller hosting a live room on air with one of
its listings tagged, shoppers, and helpers to read the deal's and the SKU's state from the database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select

from support import ADDRESS, LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.models import Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.events import dispatch_pending
from yellowcart.inventory.models import Reservation, ReservationStatus
from yellowcart.live.deal_models import DealShopper, LiveDeal


@dataclass
class Room:
    id: int
    host: str  # the host seller's token
    seller_id: int
    sku: str
    product_id: int


def product_id(market: Market, sku: str) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(select(Variant.product_id).where(Variant.sku == sku)) or 0)


def live_room(
    server: LiveServer,
    market: Market,
    *,
    stock: int | list[int] = 30,
    price_cents: int = 2000,
    name: str = "host",
    on_air: bool = True,
    mode: SellingMode = SellingMode.SELLER_FULFILLED,
) -> Room:
    seller_id = market.seller(f"{name}-shop")
    host = market.user(name, Role.SELLER, seller_id=seller_id)
    sku = market.product(seller_id, stock=stock, price_cents=price_cents, mode=mode)
    pid = product_id(market, sku)
    with server.client(host) as c:
        made = c.post("/v1/content", json={"kind": "live", "title": "Deals live", "product_ids": [pid]})
        assert made.status_code == 201, made.text
        room_id = int(made.json()["id"])
        if on_air:
            assert c.patch(f"/v1/content/{room_id}", json={"live_state": "live"}).status_code == 200
    return Room(room_id, host, seller_id, sku, pid)


def deal_body(room: Room, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"sku": room.sku, "price_cents": 1500, "quantity": 20, "duration_seconds": 600}
    body.update(over)
    return body


def running_deal(server: LiveServer, room: Room, **over: Any) -> dict[str, Any]:
    """A deal created and started by the host."""
    with server.client(room.host) as c:
        made = c.post(f"/v1/live-rooms/{room.id}/deals", json=deal_body(room, **over))
        assert made.status_code == 201, made.text
        started = c.post(f"/v1/live-rooms/{room.id}/deals/{made.json()['id']}/start")
        assert started.status_code == 200, started.text
        return dict(started.json())


def buy(
    server: LiveServer,
    token: str,
    room: Room,
    deal_id: int | None,
    *,
    quantity: int = 1,
    room_id: int | None = None,
    payment_method: str = "tok_visa",
) -> httpx.Response:
    item: dict[str, Any] = {"sku": room.sku, "quantity": quantity}
    if deal_id is not None:
        item.update(deal_id=deal_id, room_id=room_id or room.id)
    body = {"items": [item], "shipping_address": ADDRESS, "payment_method": payment_method}
    with server.client(token) as c:
        return c.post("/v1/checkout", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})


def deal_row(market: Market, deal_id: int) -> LiveDeal:
    with market.db.transaction() as s:
        deal = s.get(LiveDeal, deal_id)
        assert deal is not None
        return deal


def shopper_units(market: Market, deal_id: int, user_id: int) -> int:
    with market.db.transaction() as s:
        row = s.get(DealShopper, (deal_id, user_id))
        return 0 if row is None else row.units


def active_reserved(market: Market) -> int:
    """Units of every active reservation (orders, holds, set-asides): must equal stock.reserved."""
    with market.db.transaction() as s:
        return int(
            s.scalar(
                select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
                    Reservation.status == ReservationStatus.ACTIVE
                )
            )
            or 0
        )


def drain_outbox(server: LiveServer) -> None:
    """What the worker does in the background: deliver events to handlers until none is left."""
    while dispatch_pending(server.container.db, server.container.bus):
        pass
