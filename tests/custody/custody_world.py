"""Helpers for the custody tests: a small market with full-custody, seller-fulfilled and platform-owned
listings, two platform warehouses, callers of every role, and readers of stock and the outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from sqlalchemy import select, update

from shipping.shipping_world import platform_warehouse, stock_at
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.models import ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import Database
from yellowcart.events import OutboxEvent
from yellowcart.fulfillment.carriers.tracking_numbers import ups_check_digit

UPS_BODY = "YC4R21031234567"
VALID_UPS = "1Z" + UPS_BODY + str(ups_check_digit(UPS_BODY))
WRONG_UPS = "1Z" + UPS_BODY + str((ups_check_digit(UPS_BODY) + 1) % 10)
SOON = (dt.date.today() + dt.timedelta(days=5)).isoformat()


def build_world(market: Market) -> dict[str, Any]:
    """acme (full custody), other (a stranger seller), basics (the platform's own store)."""
    acme, other, basics = market.seller("acme"), market.seller("other"), market.seller("basics")
    w: dict[str, Any] = {
        "acme": acme,
        "other": other,
        "basics": basics,
        "acme_wh": market.warehouse_ids[0],
        "ops": market.user("ops", Role.OPERATOR),
        "seller": market.user("acme-staff", Role.SELLER, acme),
        "stranger": market.user("other-staff", Role.SELLER, other),
        "shopper": market.user("ada", Role.SHOPPER),
        "plat": platform_warehouse(market.db, "PLAT-NJ", "Newark", "NJ", "07102"),
        "plat_ca": platform_warehouse(market.db, "PLAT-CA", "Los Angeles", "CA", "90012"),
    }
    draft, active = ProductStatus.DRAFT, ProductStatus.ACTIVE
    w["cons_draft"] = market.product(
        acme, price_cents=2000, stock=0, mode=SellingMode.FULL_CUSTODY, status=draft, priced=False
    )
    w["cons"] = market.product(
        acme, price_cents=2500, stock=0, mode=SellingMode.FULL_CUSTODY, status=active, priced=False
    )
    w["own"] = market.product(acme, price_cents=1500, stock=5)
    w["other_cons"] = market.product(other, price_cents=1800, stock=0, mode=SellingMode.FULL_CUSTODY, priced=False)
    w["basic"] = market.product(basics, price_cents=900, stock=0, mode=SellingMode.PLATFORM_OWNED)
    w["basic2"] = market.product(basics, price_cents=700, stock=0, mode=SellingMode.PLATFORM_OWNED)
    return w


def problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert a problem+json answer with this status (and code)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    if code is not None:
        assert body["code"] == code, body
    return body


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def events(db: Database, topic: str) -> list[dict[str, Any]]:
    with db.transaction() as s:
        return [
            e.payload for e in s.scalars(select(OutboxEvent).where(OutboxEvent.topic == topic).order_by(OutboxEvent.id))
        ]


def variant_of(db: Database, sku: str) -> Variant:
    with db.transaction() as s:
        variant = s.scalars(select(Variant).where(Variant.sku == sku)).one()
        s.expunge(variant)
        return variant


def at(db: Database, sku: str, warehouse_id: int) -> tuple[int, int]:
    """(on_hand, reserved) of a SKU in one warehouse."""
    return stock_at(db, sku, warehouse_id)


def consignment(server: LiveServer, token: str, warehouse_id: int, lines: list[tuple[str, int]], **extra: Any) -> Any:
    body = {
        "warehouse_id": warehouse_id,
        "expected_arrival": SOON,
        "lines": [{"sku": sku, "quantity": qty} for sku, qty in lines],
        **extra,
    }
    with server.client(token) as c:
        return ok(c.post("/v1/inbound-consignments", json=body), 201)


def shipped_consignment(server: LiveServer, w: dict[str, Any], lines: list[tuple[str, int]]) -> Any:
    made = consignment(server, w["seller"], w["plat"], lines)
    with server.client(w["seller"]) as c:
        return ok(
            c.post(f"/v1/inbound-consignments/{made['id']}/ship", json={"carrier": "ups", "tracking_number": VALID_UPS})
        )


def priced(market: Market, sku: str, supply_cents: int = 1200) -> None:
    """As if the price check had accepted a supply price (full custody sells only once priced)."""
    with market.db.transaction() as s:
        s.execute(update(Variant).where(Variant.sku == sku).values(supply_price_cents=supply_cents))
