"""Helpers for the redirect tests: a seller with a redirect listing and a connected Shopify store,
Shopify-shaped order and refund payloads, signed webhook deliveries, reading back what was stored."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select

from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.models import Product, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.events import OutboxEvent
from yellowcart.redirect.models import Conversion, StoreWebhookEvent
from yellowcart.redirect.rules import cents, shopify_signature

SECRET = "shpss_0123456789abcdef0123"
STORE_URL = "https://acme-store.example.com/products/glow-serum?variant=42&ref=a%20b"


@dataclass
class Shop:
    """A seller with one redirect listing and its connected store."""

    seller_id: int
    product_id: int
    sku: str
    connection_id: int
    staff: str  # the seller's token
    domain: str


def product_id_of(market: Market, sku: str) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(select(Variant.product_id).where(Variant.sku == sku)) or 0)


def set_store_url(market: Market, product_id: int, url: str) -> None:
    with market.db.transaction() as s:
        s.get_one(Product, product_id).redirect_url = url


def open_shop(server: LiveServer, market: Market, name: str, price_cents: int = 2500) -> Shop:
    seller_id = market.seller(name)
    sku = market.product(seller_id, mode=SellingMode.REDIRECT, stock=0, price_cents=price_cents)
    product_id = product_id_of(market, sku)
    set_store_url(market, product_id, STORE_URL)
    staff = market.user(f"{name}-staff", Role.SELLER, seller_id)
    domain = f"{name}-shop.myshopify.com"
    with server.client(staff) as c:
        r = c.post(f"/v1/sellers/{seller_id}/store-connections", json={"shop_domain": domain, "webhook_secret": SECRET})
    assert r.status_code == 201, r.text
    return Shop(seller_id, product_id, sku, int(r.json()["id"]), staff, domain)


def click(server: LiveServer, product_id: int, token: str | None = None, **body: Any) -> dict[str, Any]:
    with server.client(token) as c:
        r = c.post(f"/v1/products/{product_id}/redirect-clicks", json=body, headers={"User-Agent": "test-agent/1"})
    assert r.status_code == 201, r.text
    return dict(r.json())


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def line(sku: str, price_cents: int, quantity: int = 1, discount_cents: int = 0) -> dict[str, Any]:
    allocations = [{"amount": money(discount_cents), "discount_application_index": 0}] if discount_cents else []
    return {
        "id": uuid.uuid4().int % 10**12,
        "sku": sku,
        "price": money(price_cents),
        "quantity": quantity,
        "total_discount": money(discount_cents),
        "discount_allocations": allocations,
    }


def order(
    order_id: int,
    lines: list[dict[str, Any]],
    *,
    click_id: str | None = None,
    at: dt.datetime | None = None,
    currency: str = "USD",
    via: str = "landing_site",
) -> dict[str, Any]:
    """A Shopify orders/create payload; the click id rides where ``via`` says."""
    subtotal = sum(cents(i["price"]) * i["quantity"] - cents(i["total_discount"]) for i in lines)
    body: dict[str, Any] = {
        "id": order_id,
        "name": f"#{order_id}",
        "created_at": (at or dt.datetime.now(dt.UTC)).isoformat(),
        "currency": currency,
        "subtotal_price": money(subtotal),
        "total_tax": "1.23",
        "total_price": money(subtotal + 123 + 599),
        "landing_site": "/products/glow-serum?variant=42",
        "landing_site_ref": None,
        "note_attributes": [],
        "line_items": lines,
    }
    if click_id and via == "landing_site":
        body["landing_site"] = f"/products/glow-serum?variant=42&utm_source=yellowcart&yc_click={click_id}"
    elif click_id and via == "note":
        body["note_attributes"] = [{"name": "gift", "value": "no"}, {"name": "yc_click", "value": click_id}]
    return body


def refund(refund_id: int, order_id: int, refunded: list[tuple[str, int, int]]) -> dict[str, Any]:
    """A refunds/create payload: (sku, quantity, subtotal cents) per refunded line; subtotal as a JSON number."""
    return {
        "id": refund_id,
        "order_id": order_id,
        "refund_line_items": [
            {"id": i, "quantity": q, "subtotal": float(money(cents)), "line_item": {"sku": sku, "price": "0.00"}}
            for i, (sku, q, cents) in enumerate(refunded, 1)
        ],
    }


def deliver(
    server: LiveServer,
    connection_id: int,
    payload: dict[str, Any] | bytes,
    *,
    topic: str = "orders/create",
    event_id: str | None = None,
    secret: str = SECRET,
    signature: str | None = None,
    client: httpx.Client | None = None,
) -> httpx.Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": "acme-shop.myshopify.com",
        "X-Shopify-Event-Id": event_id or uuid.uuid4().hex,
    }
    if signature != "":
        headers["X-Shopify-Hmac-Sha256"] = signature or shopify_signature(body, secret)
    if client is not None:
        return client.post(f"/v1/stores/shopify/{connection_id}/webhooks", content=body, headers=headers)
    with server.client() as c:
        return c.post(f"/v1/stores/shopify/{connection_id}/webhooks", content=body, headers=headers)


def conversions(market: Market) -> list[Conversion]:
    with market.db.transaction() as s:
        rows = list(s.scalars(select(Conversion).order_by(Conversion.id)))
        s.expunge_all()
        return rows


def deliveries(market: Market) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(StoreWebhookEvent)) or 0)


def events(market: Market, topic: str) -> list[dict[str, Any]]:
    with market.db.transaction() as s:
        rows = s.scalars(select(OutboxEvent.payload).where(OutboxEvent.topic == topic).order_by(OutboxEvent.id))
        return [dict(p) for p in rows]
