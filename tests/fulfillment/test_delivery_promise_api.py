"""Delivery promise and warehouse network settings through real HTTP and the database, on SQLite and
PostgreSQL: given a seller's Newark warehouse holding stock, then shoppers get a promise for their
ZIP (or a clear 422 for ZIPs no one delivers to), operators and the owner seller tune the network, and
booked capacity and observed deliveries change the promise."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.models import Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import Database
from yellowcart.fulfillment import service
from yellowcart.fulfillment.promise import PromiseLevel
from yellowcart.inventory.models import Warehouse

LEVELS = {level.value for level in PromiseLevel}
LA_WAREHOUSE = {
    "code": "PLAT-LA",
    "name": "Platform LA",
    "operator": "platform",
    "line1": "1 Dock St",
    "city": "Los Angeles",
    "state": "CA",
    "zip": "90021",
}


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def _product_id(db: Database, sku: str) -> int:
    with db.transaction() as s:
        return int(s.scalar(select(Variant.product_id).where(Variant.sku == sku)) or 0)


@pytest.fixture
def world(server: LiveServer, market: Market) -> dict[str, Any]:
    acme, other = market.seller("acme"), market.seller("other")
    return {
        "acme_wh": market.warehouse_ids[0],
        "other_wh": market.warehouse_ids[1],
        "sku": market.product(acme, stock=5),
        "redirect_sku": market.product(acme, stock=0, mode=SellingMode.REDIRECT),
        "ops": market.user("ops", Role.OPERATOR),
        "seller": market.user("acme-staff", Role.SELLER, acme),
        "stranger": market.user("other-staff", Role.SELLER, other),
        "shopper": market.user("ada", Role.SHOPPER),
        "other": other,
    }


def test_public_delivery_promise(server: LiveServer, world: dict[str, Any]) -> None:
    with server.client() as c:
        r = c.get("/v1/delivery-promise", params={"sku": world["sku"], "zip": "10118", "qty": 2})
        assert r.status_code == 200, r.text
        body = r.json()
        promise = body["promise"]
        assert body["reason"] is None and body["qty"] == 2 and body["zip"] == "10118"
        assert promise["warehouse_id"] == world["acme_wh"] and promise["level"] in LEVELS
        assert promise["service"] in {"ground", "two_day", "next_day"} and promise["miles"] < 20
        assert promise["delivery_date"] > promise["ship_date"] >= dt.date.today().isoformat()
        assert promise["order_by"].endswith("Z") or "+00:00" in promise["order_by"]

        none = c.get("/v1/delivery-promise", params={"sku": world["sku"], "zip": "10118", "qty": 6}).json()
        assert none["promise"] is None and none["reason"] == "out_of_stock"
        redirect = c.get("/v1/delivery-promise", params={"sku": world["redirect_sku"], "zip": "10118"}).json()
        assert redirect["promise"] is None and redirect["reason"] == "redirect_listing"


def test_zips_nobody_delivers_to_are_clear_errors(server: LiveServer, world: dict[str, Any], market: Market) -> None:
    sku = world["sku"]
    with server.client() as c:
        body = _problem(c.get("/v1/delivery-promise", params={"sku": sku, "zip": "00000"}), 422, "unknown_zip")
        assert body["field"] == "zip"
        _problem(c.get("/v1/delivery-promise", params={"sku": sku, "zip": "09001"}), 422, "military_zip_not_supported")
        _problem(c.get("/v1/delivery-promise", params={"sku": sku, "zip": "1011"}), 422, "validation_error")
        _problem(c.get("/v1/delivery-promise", params={"sku": "NOPE-1", "zip": "10118"}), 404, "not_found")
        assert (
            c.get("/v1/delivery-promise", params={"sku": sku, "zip": "10008"}).json()["promise"]["service"] == "ground"
        )
    with market.db.transaction() as s:
        s.execute(update(Warehouse).values(services=["next_day", "two_day"]))
    with server.client() as c:
        body = _problem(
            c.get("/v1/delivery-promise", params={"sku": sku, "zip": "10008"}), 422, "po_box_not_deliverable"
        )
        assert body["field"] == "zip"


def test_product_page_carries_the_promise(server: LiveServer, world: dict[str, Any], market: Market) -> None:
    product_id = _product_id(market.db, world["sku"])
    with server.client() as c:
        assert c.get(f"/v1/products/{product_id}").json()["delivery_promise"] is None
        page = c.get(f"/v1/products/{product_id}", params={"zip": "60607"}).json()
        assert page["delivery_promise"]["zip"] == "60607"
        assert page["delivery_promise"]["promise"]["warehouse_id"] == world["acme_wh"]
        _problem(c.get(f"/v1/products/{product_id}", params={"zip": "09001"}), 422, "military_zip_not_supported")
        redirect = c.get(f"/v1/products/{_product_id(market.db, world['redirect_sku'])}", params={"zip": "60607"})
        assert redirect.json()["delivery_promise"] == {"zip": "60607", "promise": None, "reason": "redirect_listing"}


def test_network_settings_who_may_change_what(server: LiveServer, world: dict[str, Any]) -> None:
    wh = world["acme_wh"]
    with server.client(world["ops"]) as ops:
        shown = ops.get(f"/v1/warehouses/{wh}").json()
        assert shown["cutoff_local"] == "14:00" and shown["handling_days"] == 1
        assert shown["services"] == ["ground", "two_day", "next_day"] and shown["daily_capacity"] is None
        la = ops.post("/v1/warehouses", json=LA_WAREHOUSE).json()
        assert la["timezone"] == "America/Los_Angeles" and round(la["latitude"]) == 34
        changed = ops.patch(
            f"/v1/warehouses/{la['id']}", json={"cutoff_local": "16:30", "handling_days": 0, "daily_capacity": 500}
        ).json()
        assert (changed["cutoff_local"], changed["handling_days"], changed["daily_capacity"]) == ("16:30", 0, 500)
        bad: dict[str, Any]
        for bad in (
            {"timezone": "Mars/Olympus"},
            {"cutoff_local": "25:00"},
            {"services": ["teleport"]},
            {"services": []},
            {"handling_days": 8},
            {"handling_days": None},
            {"code": "X"},
        ):
            assert ops.patch(f"/v1/warehouses/{wh}", json=bad).status_code == 422, bad
    with server.client(world["seller"]) as seller:
        own = seller.patch(
            f"/v1/warehouses/{wh}", json={"services": ["ground", "same_day"], "timezone": "America/Chicago"}
        )
        assert own.status_code == 200, own.text
        assert own.json()["services"] == ["ground", "same_day"] and own.json()["timezone"] == "America/Chicago"
        assert seller.get(f"/v1/warehouses/{wh}").json()["services"] == ["ground", "same_day"]
        _problem(seller.patch(f"/v1/warehouses/{la['id']}", json={"handling_days": 2}), 403, "forbidden")
        _problem(seller.patch(f"/v1/warehouses/{world['other_wh']}", json={"handling_days": 2}), 404, "not_found")
    with server.client(world["shopper"]) as shopper:
        _problem(shopper.patch(f"/v1/warehouses/{wh}", json={"handling_days": 2}), 403, "forbidden")
    with server.client() as anonymous:
        _problem(anonymous.patch(f"/v1/warehouses/{wh}", json={"handling_days": 2}), 401, "unauthorized")


def test_capacity_zero_means_no_promise(server: LiveServer, world: dict[str, Any]) -> None:
    with server.client(world["ops"]) as ops:
        assert ops.patch(f"/v1/warehouses/{world['acme_wh']}", json={"daily_capacity": 0}).status_code == 200
    with server.client() as c:
        body = c.get("/v1/delivery-promise", params={"sku": world["sku"], "zip": "10118"}).json()
        assert body["promise"] is None and body["reason"] == "no_service"
        po_box = c.get("/v1/delivery-promise", params={"sku": world["sku"], "zip": "10008"})  # ground serves it
        assert po_box.status_code == 200 and po_box.json()["reason"] == "no_service"


TUESDAY_10AM_EST = dt.datetime(2026, 11, 17, 15, 0, tzinfo=dt.UTC)


def test_booked_capacity_pushes_the_pick_day(db: Database, market: Market) -> None:
    seller = market.seller("acme")
    sku = market.product(seller, stock=5)
    wh = market.warehouse_ids[0]
    with db.transaction() as s:
        s.execute(update(Warehouse).values(daily_capacity=2, services=["next_day"]))
        first = service.delivery_promise(s, sku=sku, qty=1, ship_to_zip="10118", now=TUESDAY_10AM_EST)
    assert first is not None
    assert (first.pick_date, first.ship_date, first.delivery_date) == (
        dt.date(2026, 11, 17),
        dt.date(2026, 11, 18),  # one handling day
        dt.date(2026, 11, 19),
    )
    assert first.level is PromiseLevel.TWO_DAY
    with db.transaction() as s:
        assert service.book_capacity(s, warehouse_id=wh, day=first.pick_date) == 1
        assert service.book_capacity(s, warehouse_id=wh, day=first.pick_date) == 2
    with db.transaction() as s:
        later = service.delivery_promise(s, sku=sku, qty=1, ship_to_zip="10118", now=TUESDAY_10AM_EST)
    assert (
        later is not None and later.pick_date == dt.date(2026, 11, 18) and later.delivery_date == dt.date(2026, 11, 20)
    )


def test_observed_deliveries_calibrate_the_lane(db: Database, market: Market) -> None:
    sku = market.product(market.seller("acme"), stock=5)
    with db.transaction() as s:
        s.execute(update(Warehouse).values(services=["ground"], handling_days=0))
        prior = service.delivery_promise(s, sku=sku, qty=1, ship_to_zip="10118", now=TUESDAY_10AM_EST)
    assert prior is not None and prior.transit_days == 2
    shipped = dt.datetime(2026, 11, 2, 20, 0, tzinfo=dt.UTC)  # Monday
    with db.transaction() as s:
        for _ in range(40):  # delivered Friday: four business days, every time
            row = service.record_delivery(
                s,
                origin_zip="07102",
                dest_zip="10118",
                service="ground",
                shipped_at=shipped,
                delivered_at=shipped + dt.timedelta(days=4),
            )
        assert (row.origin_zip3, row.dest_zip3, row.business_days) == ("071", "101", 4)
    with db.transaction() as s:
        calibrated = service.delivery_promise(s, sku=sku, qty=1, ship_to_zip="10118", now=TUESDAY_10AM_EST)
        other_lane = service.delivery_promise(s, sku=sku, qty=1, ship_to_zip="19103", now=TUESDAY_10AM_EST)
    assert calibrated is not None and calibrated.transit_days == 4
    assert calibrated.delivery_date == dt.date(2026, 11, 23)
    # another lane inherits the service's learnt margin (2 days late 95% of the time, shrunk: +1.6 -> +2)
    assert other_lane is not None and other_lane.transit_days == 4
    with db.transaction() as s:
        lanes_only = service.load_transit(s, ["19103"], service.destination("19103"), pooled=False)
        assert lanes_only.pools is None and not lanes_only.observations


def test_cart_promise_splits_only_when_needed(db: Database, market: Market) -> None:
    seller = market.seller("acme")
    both = market.product(seller, stock=[3, 1])  # Newark 3, Austin 1
    austin_only = market.product(seller, stock=[0, 3])
    newark = market.warehouse_ids[0]
    with db.transaction() as s:
        austin = s.scalar(select(Warehouse.id).where(Warehouse.code == f"WH-{seller}-1"))
        cart = service.cart_delivery_promise(
            s, lines=[(both, 1), (austin_only, 1)], ship_to_zip="10118", now=TUESDAY_10AM_EST
        )
        split = service.cart_delivery_promise(
            s, lines=[(both, 2), (austin_only, 1)], ship_to_zip="10118", now=TUESDAY_10AM_EST
        )
    assert cart is not None and cart.single_shipment
    assert cart.lines[both].warehouse_id == cart.lines[austin_only].warehouse_id == austin
    assert split is not None and not split.single_shipment
    assert (split.lines[both].warehouse_id, split.lines[austin_only].warehouse_id) == (newark, austin)
    assert split.delivery_date == max(p.delivery_date for p in split.lines.values())
    with db.transaction() as s:
        s.execute(update(Warehouse).where(Warehouse.id == austin).values(is_active=False))
        assert (
            service.cart_delivery_promise(s, lines=[(austin_only, 1)], ship_to_zip="10118", now=TUESDAY_10AM_EST)
            is None
        )
