"""Seller shipping, signed tracking webhooks and the shopper's tracking view through real HTTP, on
SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from shipping.shipping_world import WEBHOOK_SECRET, buy, drain, platform_warehouse, put_stock
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.modes import SellingMode
from yellowcart.fulfillment.carriers import webhooks
from yellowcart.fulfillment.carriers.tracking_numbers import ups_check_digit
from yellowcart.fulfillment.models import ShipmentEvent, TransitObservation

UPS_BODY = "YC4R21031234567"
VALID_UPS = "1Z" + UPS_BODY + str(ups_check_digit(UPS_BODY))
T0 = dt.datetime(2030, 1, 7, 15, 0, tzinfo=dt.UTC)


def _hook(
    tracking: str, events: list[tuple[str, str, dt.datetime]], secret: str = WEBHOOK_SECRET
) -> tuple[bytes, dict[str, str]]:
    payload = {
        "tracking_number": tracking,
        "carrier": "ups",
        "events": [
            {
                "id": eid,
                "status": status,
                "occurred_at": at.isoformat(),
                "description": status,
                "location": "Newark, NJ",
            }
            for eid, status, at in events
        ],
    }
    body = json.dumps(payload).encode()
    return body, {webhooks.SIGNATURE_HEADER: webhooks.sign(body, secret), "Content-Type": "application/json"}


@pytest.fixture
def world(server: LiveServer, market: Market) -> dict[str, Any]:
    acme = market.seller("acme")
    return {
        "acme": acme,
        "shopper": market.user("ada", Role.SHOPPER),
        "other": market.user("bob", Role.SHOPPER),
        "seller": market.user("acme-staff", Role.SELLER, acme),
        "stranger": market.user("zed-staff", Role.SELLER, market.seller("zed")),
    }


def _events(market: Market) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(ShipmentEvent)) or 0)


def test_seller_ships_partially_then_fully(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    a = market.product(world["acme"], stock=[4, 0])
    b = market.product(world["acme"], stock=[0, 4])
    order = buy(server, world["shopper"], [(a, 1), (b, 1)])["orders"][0]
    drain(server)
    with server.client(world["seller"]) as c:
        first, second = sorted(
            c.get("/v1/shipments", params={"status": "allocated"}).json()["items"], key=lambda s: s["id"]
        )
        bad = c.post(f"/v1/shipments/{first['id']}/ship", json={"carrier": "ups", "tracking_number": "1Z123"})
        assert bad.status_code == 422 and bad.json()["code"] == "invalid_tracking_number"
        assert c.get(f"/v1/shipments/{first['id']}").json()["status"] == "allocated"  # nothing changed
        assert c.post(f"/v1/shipments/{first['id']}/ship", json={}).status_code == 422  # no label, no tracking
        ok = c.post(f"/v1/shipments/{first['id']}/ship", json={"carrier": "ups", "tracking_number": VALID_UPS})
        assert ok.status_code == 200, ok.text
        assert ok.json()["status"] == "shipped" and ok.json()["tracking_number"] == VALID_UPS
        assert c.get(f"/v1/orders/{order['id']}").json()["status"] == "PARTIALLY_SHIPPING"
        labelled = c.post(f"/v1/shipments/{second['id']}/label")
        assert labelled.status_code == 200, labelled.text
        assert labelled.json()["status"] == "label_created" and labelled.json()["provider"] == "simulated"
        assert c.post(f"/v1/shipments/{second['id']}/label").status_code == 409
        shipped = c.post(f"/v1/shipments/{second['id']}/ship", json={})
        assert shipped.json()["status"] == "awaiting_collection"
        assert c.get(f"/v1/orders/{order['id']}").json()["status"] == "AWAITING_COLLECTION"
        tracking = shipped.json()["tracking_number"]
    body, headers = _hook(tracking, [("e1", "accepted", T0)])
    with server.client() as c:
        assert c.post("/v1/carriers/simulated/webhooks", content=body, headers=headers).json()["stored"] == 1
    with server.client(world["seller"]) as c:
        assert c.get(f"/v1/orders/{order['id']}").json()["status"] == "IN_TRANSIT"
    with server.client(world["stranger"]) as c:
        assert c.get(f"/v1/shipments/{first['id']}").status_code == 404
        assert c.post(f"/v1/shipments/{first['id']}/ship", json={}).status_code == 404


def _platform_order(server: LiveServer, market: Market, world: dict[str, Any]) -> tuple[dict[str, Any], str]:
    sku = market.product(world["acme"], stock=0, mode=SellingMode.FULL_CUSTODY)
    put_stock(market.db, sku, platform_warehouse(market.db, "PLAT-NJ", "Newark", "NJ", "07102"), 5)
    order = buy(server, world["shopper"], [(sku, 1)])["orders"][0]
    drain(server)
    with server.client(world["shopper"]) as c:
        [shipment] = c.get(f"/v1/orders/{order['id']}/tracking").json()["shipments"]
    return order, shipment["tracking_number"]


def test_webhook_signature_is_checked_before_anything_is_stored(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    _, tracking = _platform_order(server, market, world)
    body, headers = _hook(tracking, [("e1", "accepted", T0)], secret="wrong")
    with server.client() as c:
        r = c.post("/v1/carriers/simulated/webhooks", content=body, headers=headers)
        assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "invalid_webhook_signature"
        assert c.post("/v1/carriers/simulated/webhooks", content=body).status_code == 401
        assert c.post("/v1/carriers/nobody/webhooks", content=body, headers=headers).status_code == 404
    assert _events(market) == 0


def test_out_of_order_and_duplicate_events_then_delivered(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    order, tracking = _platform_order(server, market, world)
    hour = dt.timedelta(hours=1)
    later = _hook(tracking, [("e2", "in_transit", T0 + 5 * hour)])
    earlier = _hook(tracking, [("e1", "accepted", T0), ("e2", "in_transit", T0 + 5 * hour)])
    with server.client() as c:
        for body, headers in (later, earlier, earlier):  # out of order, then a duplicate
            assert c.post("/v1/carriers/simulated/webhooks", content=body, headers=headers).status_code == 200
    assert _events(market) == 2
    with server.client(world["shopper"]) as c:
        view = c.get(f"/v1/orders/{order['id']}/tracking").json()
        assert view["order_status"] == "IN_TRANSIT"
        assert [e["status"] for e in view["shipments"][0]["events"]] == ["accepted", "in_transit"]
    delivered = _hook(tracking, [("e3", "delivered", T0 + 30 * hour), ("e4", "in_transit", T0 + 40 * hour)])
    with server.client() as c:
        assert c.post("/v1/carriers/simulated/webhooks", content=delivered[0], headers=delivered[1]).json() == {
            "received": 2,
            "stored": 2,
        }
    with server.client(world["shopper"]) as c:
        view = c.get(f"/v1/orders/{order['id']}/tracking").json()
        shipment = view["shipments"][0]
        assert view["order_status"] == "DELIVERED" and shipment["status"] == "delivered"  # a late scan changes nothing
        assert shipment["estimated_date"] == (T0 + 30 * hour).date().isoformat()
        assert view["promised_delivery_date"] == order["promised_delivery_date"]
    with market.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(TransitObservation)) == 1  # calibration


def test_tracking_view_is_for_the_owner(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    order, _ = _platform_order(server, market, world)
    with server.client(world["shopper"]) as c:
        view = c.get(f"/v1/orders/{order['id']}/tracking").json()
        assert view["promised_delivery_date"] and view["estimated_delivery_date"]
        assert view["shipments"][0]["promised_date"] and view["shipments"][0]["events"] == []
    with server.client(world["other"]) as c:
        assert c.get(f"/v1/orders/{order['id']}/tracking").status_code == 404
    with server.client() as c:
        assert c.get(f"/v1/orders/{order['id']}/tracking").status_code == 401
    with server.client(world["stranger"]) as c:
        assert c.get(f"/v1/orders/{order['id']}/tracking").status_code == 404
