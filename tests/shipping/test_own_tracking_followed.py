"""A seller who ships with its own carrier and tracking number: the platform's carrier adapter
(EasyPost, on a recorded Tracker response, no network) is asked to follow the number, and the scans it
returns move the package and the order, exactly as a label bought through the platform would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import responses

from shipping.shipping_world import buy, drain
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.fulfillment.carriers.easypost_adapter import EasyPostCarrier

FIXTURES = Path(__file__).parents[1] / "carriers" / "fixtures" / "easypost"
USPS = "9400100105442285876350"  # the recorded tracker's number (USPS, delivered)


@pytest.fixture
def world(server: LiveServer, market: Market) -> dict[str, Any]:
    acme = market.seller("acme")
    return {
        "acme": acme,
        "shopper": market.user("ada", Role.SHOPPER),
        "seller": market.user("acme-staff", Role.SELLER, acme),
    }


def _ship_own(server: LiveServer, market: Market, world: dict[str, Any]) -> tuple[int, int, Any]:
    sku = market.product(world["acme"], stock=3)
    order = buy(server, world["shopper"], [(sku, 1)])["orders"][0]
    drain(server)
    with server.client(world["seller"]) as c:
        [shipment] = c.get("/v1/shipments", params={"status": "allocated"}).json()["items"]
        r = c.post(f"/v1/shipments/{shipment['id']}/ship", json={"carrier": "usps", "tracking_number": USPS})
    return int(order["id"]), int(shipment["id"]), r


def test_own_usps_number_is_followed_through_easypost(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    server.container.carrier = EasyPostCarrier("EZTKtest", webhook_secret="whsec", timeout_seconds=5)
    recorded = json.loads((FIXTURES / "tracker_created.json").read_text())
    with responses.RequestsMock(assert_all_requests_are_fired=True) as api:
        api.add("POST", "https://api.easypost.com/v2/trackers", json=recorded["body"], status=recorded["status_code"])
        order_id, shipment_id, r = _ship_own(server, market, world)
        sent = json.loads(api.calls[0].request.body)
    assert r.status_code == 200, r.text
    assert sent == {"tracker": {"tracking_code": USPS, "carrier": "USPS"}}
    assert r.json()["status"] == "delivered"  # the recorded journey ends delivered
    with server.client(world["shopper"]) as c:
        tracking = c.get(f"/v1/orders/{order_id}/tracking").json()
        assert c.get(f"/v1/orders/{order_id}").json()["status"] == "DELIVERED"
    [package] = tracking["shipments"]
    assert package["id"] == shipment_id and len(package["events"]) >= 5


def test_a_number_the_adapter_cannot_follow_stays_shipped(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    # The simulated carrier knows only its own labels: nothing to follow, the package is simply shipped.
    order_id, _, r = _ship_own(server, market, world)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "shipped"
    with server.client(world["shopper"]) as c:
        assert c.get(f"/v1/orders/{order_id}").json()["status"] == "IN_TRANSIT"
