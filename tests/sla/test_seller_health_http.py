"""Seller health through real HTTP on SQLite and PostgreSQL: the numbers after a late, auto-cancelled
order and a shipped one with a scanned, valid tracking number; who may read them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from shipping.shipping_world import drain
from sla.sla_world import T0, scan, seller_order
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.fulfillment.carriers.tracking_numbers import ups_check_digit

UPS_BODY = "YC4R21031234567"
VALID_UPS = "1Z" + UPS_BODY + str(ups_check_digit(UPS_BODY))


@pytest.fixture
def world(server: LiveServer, market: Market) -> dict[str, Any]:
    acme = market.seller("acme")
    zed = market.seller("zed")
    return {
        "acme": acme,
        "zed": zed,
        "shopper": market.user("ada", Role.SHOPPER),
        "seller": market.user("acme-staff", Role.SELLER, acme),
        "stranger": market.user("zed-staff", Role.SELLER, zed),
        "operator": market.user("ops", Role.OPERATOR),
    }


def test_health_numbers_breaches_and_authz(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    shipped_id, _ = seller_order(server, market, world)
    seller_order(server, market, world)  # never ships: auto-cancelled
    with server.client(world["seller"]) as c:
        sid = c.get("/v1/shipments", params={"status": "allocated"}).json()["items"]
        first = min(s["id"] for s in sid if s["order_id"] == shipped_id)
        r = c.post(f"/v1/shipments/{first}/ship", json={"carrier": "ups", "tracking_number": VALID_UPS})
        assert r.status_code == 200, r.text
    scan(server, VALID_UPS, "accepted", T0)
    server.container.run_sla_jobs(dt.datetime(2030, 1, 16, 12, tzinfo=dt.UTC))
    drain(server)
    acme = world["acme"]
    with server.client(world["seller"]) as c:
        r = c.get(f"/v1/sellers/{acme}/health")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["late_dispatch"]["count"] == 1 and body["late_dispatch"]["total"] == 2
        assert body["seller_fault_cancellation"] | {"rate": None} == {
            "count": 1, "total": 2, "rate": None, "threshold": 0.025, "at_most": True, "breached": True,
        }  # fmt: skip
        assert body["valid_tracking"]["count"] == 1 and body["valid_tracking"]["total"] == 1
        assert body["valid_tracking"]["breached"] is False
        assert set(body["breaches"]) == {"late_dispatch", "seller_fault_cancellation"}
        assert c.get(f"/v1/sellers/{world['zed']}/health").status_code == 404  # not yours: missing
        assert c.get("/v1/operator/seller-health").status_code == 403
    with server.client(world["stranger"]) as c:
        assert c.get(f"/v1/sellers/{acme}/health").status_code == 404
    with server.client(world["shopper"]) as c:
        assert c.get(f"/v1/sellers/{acme}/health").status_code == 403
    with server.client() as c:
        assert c.get(f"/v1/sellers/{acme}/health").status_code == 401
    with server.client(world["operator"]) as c:
        assert c.get(f"/v1/sellers/{acme}/health").json()["breaches"] == body["breaches"]
        assert c.get("/v1/sellers/99999/health").status_code == 404
        everyone = c.get("/v1/operator/seller-health").json()["items"]
        assert [h["seller_id"] for h in everyone] == [acme]
        breached = c.get("/v1/operator/seller-health", params={"breached": "true"}).json()["items"]
        assert [h["seller_id"] for h in breached] == [acme]
        assert c.get("/v1/operator/seller-health", params={"window_days": 0}).status_code == 422


def test_each_caller_reads_only_its_own_notifications(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    order_id, _ = seller_order(server, market, world)
    server.container.run_sla_jobs(T0 + dt.timedelta(days=3))  # late dispatch: the seller is told
    server.container.run_sla_jobs(T0 + dt.timedelta(days=12))  # auto-cancelled: the shopper is told
    with server.client(world["seller"]) as c:
        mine = c.get("/v1/notifications").json()["items"]
    assert [n["kind"] for n in mine] and {n["order_id"] for n in mine} == {order_id}
    assert "late_dispatch" in {n["kind"] for n in mine}
    with server.client(world["shopper"]) as c:
        page = c.get("/v1/notifications", params={"limit": 1}).json()
    assert [n["kind"] for n in page["items"]] == ["auto_cancel"] and page["items"][0]["order_id"] == order_id
    for who in ("stranger", "operator"):
        with server.client(world[who]) as c:
            assert c.get("/v1/notifications").json()["items"] == []
    with server.client() as c:
        assert c.get("/v1/notifications").status_code == 401
