"""Helpers for the customer service tests: a small market, orders bought over HTTP (seller-fulfilled,
full custody), shipped and delivered through signed carrier scans, and conversations opened on them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from sqlalchemy import update

from returns.returns_world import deliver
from shipping.shipping_world import buy, drain, platform_warehouse, put_stock
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import utcnow
from yellowcart.support.models import Conversation


def make_world(market: Market) -> dict[str, Any]:
    acme = market.seller("acme")
    zed = market.seller("zed")
    return {
        "acme": acme,
        "zed": zed,
        "shopper": market.user("ada", Role.SHOPPER),
        "other_shopper": market.user("bob", Role.SHOPPER),
        "seller": market.user("acme-staff", Role.SELLER, acme),
        "seller2": market.user("acme-staff-2", Role.SELLER, acme),
        "stranger": market.user("zed-staff", Role.SELLER, zed),
        "operator": market.user("ops", Role.OPERATOR),
        "creator": market.user("cara", Role.CREATOR),
    }


def seller_order(server: LiveServer, market: Market, world: dict[str, Any]) -> int:
    """A paid seller-fulfilled order of acme's, allocated to acme's own warehouse (not shipped)."""
    sku = market.product(world["acme"], stock=10)
    order = buy(server, world["shopper"], [(sku, 1)])["orders"][0]
    drain(server)
    return int(order["id"])


def ship_and_deliver(
    server: LiveServer, market: Market, world: dict[str, Any], order_id: int, *, deliver_it: bool
) -> int:
    """The seller ships with a platform label; the carrier scans it (and delivers it). The shipment id."""
    with server.client(world["seller"]) as c:
        found = c.get("/v1/shipments", params={"status": "allocated"}).json()["items"]
        [shipment] = [s for s in found if s["order_id"] == order_id]
        assert c.post(f"/v1/shipments/{shipment['id']}/label").status_code == 200
        assert c.post(f"/v1/shipments/{shipment['id']}/ship", json={}).status_code == 200
    if deliver_it:
        deliver(server, market, order_id, utcnow() - dt.timedelta(days=1))
    return int(shipment["id"])


def platform_order(server: LiveServer, market: Market, world: dict[str, Any]) -> int:
    """A paid full-custody order: the platform holds and ships the goods."""
    sku = market.product(world["acme"], stock=0, mode=SellingMode.FULL_CUSTODY)
    wid = platform_warehouse(market.db, f"PLAT-{sku}", "Newark", "NJ", "07102")
    put_stock(market.db, sku, wid, 10)
    order = buy(server, world["shopper"], [(sku, 1)])["orders"][0]
    drain(server)
    return int(order["id"])


def open_conv(c: httpx.Client, order_id: int, counterpart: str | None = None) -> dict[str, Any]:
    body = {"counterpart": counterpart} if counterpart else {}
    r = c.post(f"/v1/orders/{order_id}/conversations", json=body)
    assert r.status_code in (200, 201), r.text
    return r.json()  # type: ignore[no-any-return]


def say(c: httpx.Client, conv_id: int, text: str = "", **extra: Any) -> dict[str, Any]:
    r = c.post(f"/v1/conversations/{conv_id}/messages", json={"text": text, **extra})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def backdate_clock(market: Market, conv_id: int, asked: dt.datetime, hours: int = 12) -> None:
    """Pretend the shopper's question needing a person came at ``asked``."""
    with market.db.transaction() as s:
        s.execute(
            update(Conversation)
            .where(Conversation.id == conv_id)
            .values(needs_human_at=asked, first_response_due_at=asked + dt.timedelta(hours=hours))
        )
