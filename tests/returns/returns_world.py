"""Delivered orders to return: bought over HTTP, shipped, and delivered by signed carrier scans at
chosen instants (the return window runs from delivery)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from shipping.shipping_world import buy, drain, platform_warehouse, put_stock
from sla.sla_world import scan, shipments_of
from support import LiveServer, Market
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import utcnow
from yellowcart.orders.models import Order


def deliver(server: LiveServer, market: Market, order_id: int, at: dt.datetime) -> None:
    for n, shipment in enumerate(shipments_of(market, order_id)):
        assert shipment.tracking_number, "ship it first"
        scan(server, shipment.tracking_number, "accepted", at - dt.timedelta(days=2), eid=f"a{n}")
        scan(server, shipment.tracking_number, "delivered", at, eid=f"d{n}")


def platform_delivered(
    server: LiveServer,
    market: Market,
    world: dict[str, Any],
    *,
    qty: int = 2,
    price_cents: int = 4999,
    category: str = "electronics",
    delivered_at: dt.datetime | None = None,
) -> tuple[int, str, int]:
    """A full-custody order of ``qty`` units shipped by a platform warehouse and delivered."""
    sku = market.product(
        world["acme"], stock=0, mode=SellingMode.FULL_CUSTODY, price_cents=price_cents, category=category
    )
    wid = platform_warehouse(market.db, f"PLAT-{sku}", "Newark", "NJ", "07102")
    put_stock(market.db, sku, wid, 10)
    order = buy(server, world["shopper"], [(sku, qty)])["orders"][0]
    drain(server)  # allocated, label bought
    deliver(server, market, int(order["id"]), delivered_at or utcnow() - dt.timedelta(days=2))
    return int(order["id"]), sku, wid


def seller_delivered(
    server: LiveServer, market: Market, world: dict[str, Any], *, qty: int = 1, price_cents: int = 4999
) -> tuple[int, str]:
    """A seller-fulfilled order, shipped with a platform label by the seller and delivered."""
    sku = market.product(world["acme"], stock=10, price_cents=price_cents)
    order = buy(server, world["shopper"], [(sku, qty)])["orders"][0]
    drain(server)
    with server.client(world["seller"]) as c:
        [shipment] = c.get("/v1/shipments", params={"status": "allocated"}).json()["items"]
        assert c.post(f"/v1/shipments/{shipment['id']}/label").status_code == 200
        assert c.post(f"/v1/shipments/{shipment['id']}/ship", json={}).status_code == 200
    deliver(server, market, int(order["id"]), utcnow() - dt.timedelta(days=1))
    return int(order["id"]), sku


def line_ids(market: Market, order_id: int) -> list[int]:
    with market.db.transaction() as s:
        order = s.scalar(select(Order).where(Order.id == order_id))
        assert order is not None
        return [ln.id for ln in order.lines]
