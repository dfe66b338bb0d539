"""Warehouses and stock through real HTTP on SQLite and PostgreSQL: given sellers with their own
warehouses and a platform warehouse, then each caller sees and stocks only what is theirs, addresses are
real US addresses, and stock never drops below what open orders hold."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.inventory.models import Stock, Warehouse

PLATFORM_WH = {
    "code": "PLAT-NJ",
    "name": "Platform NJ",
    "operator": "platform",
    "line1": "100 Dock Rd",
    "city": "Edison",
    "state": "NJ",
    "zip": "08817",
}


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def _warehouse_count(market: Market) -> int:
    with market.db.transaction() as s:
        return s.scalar(select(func.count(Warehouse.id))) or 0


@pytest.fixture
def world(server: LiveServer, market: Market) -> dict[str, Any]:
    """acme and other (each with a seller warehouse), a platform warehouse, and acme's products in
    seller-fulfilled, full-custody and redirect modes."""
    acme, other = market.seller("acme"), market.seller("other")
    w: dict[str, Any] = {
        "acme": acme,
        "other": other,
        "acme_wh": market.warehouse_ids[0],
        "other_wh": market.warehouse_ids[1],
        "ops": market.user("ops", Role.OPERATOR),
        "seller": market.user("acme-staff", Role.SELLER, acme),
        "stranger": market.user("other-staff", Role.SELLER, other),
        "shopper": market.user("ada", Role.SHOPPER),
        "creator": market.user("cat", Role.CREATOR),
    }
    with server.client(w["ops"]) as c:
        r = c.post("/v1/warehouses", json=PLATFORM_WH)
        assert r.status_code == 201, r.text
        w["platform_wh"] = r.json()["id"]
        c.post("/v1/categories", json={"slug": "home", "name": "Home"}).raise_for_status()
    with server.client(w["seller"]) as c:
        for sku, mode, extra in [
            ("OWN-1", "seller_fulfilled", {}),
            ("CONS-1", "full_custody", {}),
            ("LINK-1", "redirect", {"redirect_url": "https://acme.example.com/mug"}),
        ]:
            body = {
                "title": f"Mug {sku}",
                "category": "home",
                "status": "active",
                "selling_mode": mode,
                "variants": [{"sku": sku, "price_cents": 1500}],
                **extra,
            }
            r = c.post("/v1/products", json=body)
            assert r.status_code == 201, r.text
            w[sku] = r.json()["id"]
    return w


def _put(client: httpx.Client, sku: str, warehouse_id: int, on_hand: int) -> httpx.Response:
    return client.put(f"/v1/inventory/{sku}/warehouses/{warehouse_id}", json={"on_hand": on_hand})


def test_warehouse_lists_follow_the_caller(server: LiveServer, world: dict[str, Any]) -> None:
    with server.client(world["ops"]) as c:
        everything = {w["id"] for w in c.get("/v1/warehouses").json()["items"]}
    assert everything == {world["acme_wh"], world["other_wh"], world["platform_wh"]}
    with server.client(world["seller"]) as c:
        mine = c.get("/v1/warehouses").json()["items"]
        assert {w["id"] for w in mine} == {world["acme_wh"], world["platform_wh"]}
        assert c.get(f"/v1/warehouses/{world['platform_wh']}").json()["operator"] == "platform"
        _problem(c.get(f"/v1/warehouses/{world['other_wh']}"), 404, "not_found")
    for role in ("shopper", "creator"):
        with server.client(world[role]) as c:
            _problem(c.get("/v1/warehouses"), 403, "forbidden")
    with server.client() as c:
        _problem(c.get("/v1/warehouses"), 401, "unauthorized")


def test_seller_opens_only_its_own_warehouses(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    body = {
        "code": "ACME-TX",
        "name": "Austin",
        "line1": "1 Congress Ave",
        "city": "Austin",
        "state": "tx",
        "zip": "78701",
    }
    before = _warehouse_count(market)
    with server.client(world["seller"]) as c:
        _problem(c.post("/v1/warehouses", json={**body, "operator": "platform"}), 403, "forbidden")
        _problem(c.post("/v1/warehouses", json={**body, "seller_id": world["other"]}), 403, "forbidden")
        assert _warehouse_count(market) == before
        r = c.post("/v1/warehouses", json=body)
        assert r.status_code == 201, r.text
        assert (r.json()["operator"], r.json()["seller_id"], r.json()["state"]) == ("seller", world["acme"], "TX")
        _problem(c.post("/v1/warehouses", json=body), 409, "warehouse_code_taken")
    for role in ("shopper", "creator"):
        with server.client(world[role]) as c:
            _problem(c.post("/v1/warehouses", json={**body, "code": "X-1"}), 403, "forbidden")


def test_operator_opens_platform_and_seller_warehouses(server: LiveServer, world: dict[str, Any]) -> None:
    base = {"name": "Reno", "line1": "1 Dock St", "city": "Reno", "state": "NV", "zip": "89501"}
    with server.client(world["ops"]) as c:
        platform = c.post("/v1/warehouses", json={**base, "code": "PLAT-NV"}).json()
        assert (platform["operator"], platform["seller_id"]) == ("platform", None)
        sellers = c.post("/v1/warehouses", json={**base, "code": "OTHER-NV", "seller_id": world["other"]}).json()
        assert (sellers["operator"], sellers["seller_id"]) == ("seller", world["other"])
        _problem(c.post("/v1/warehouses", json={**base, "code": "X-1", "operator": "seller"}), 422, "invalid_input")
        bad_owner = {**base, "code": "X-2", "operator": "platform", "seller_id": world["other"]}
        _problem(c.post("/v1/warehouses", json=bad_owner), 422, "invalid_input")
        _problem(c.post("/v1/warehouses", json={**base, "code": "X-3", "seller_id": 999_999}), 422, "invalid_input")


@pytest.mark.parametrize(
    ("address", "code", "field"),
    [
        ({"state": "NY", "zip": "07102"}, "zip_state_mismatch", "zip"),  # Newark is in NJ
        ({"state": "NJ", "zip": "00000"}, "unknown_zip", "zip"),
        ({"state": "NJ", "zip": "0710"}, "validation_error", "zip"),
        ({"state": "XX", "zip": "07102"}, "validation_error", "state"),
    ],
)
def test_warehouse_address_must_be_a_real_us_place(
    server: LiveServer, market: Market, world: dict[str, Any], address: dict[str, str], code: str, field: str
) -> None:
    before = _warehouse_count(market)
    body = {"code": "ACME-2", "name": "Second", "line1": "2 Broad St", "city": "Newark", **address}
    with server.client(world["seller"]) as c:
        problem = _problem(c.post("/v1/warehouses", json=body), 422, code)
    fields = [e["field"] for e in problem.get("errors", [])] or [problem.get("field")]
    assert field in fields, problem
    assert _warehouse_count(market) == before


def test_seller_stocks_its_own_warehouse_and_sees_it(server: LiveServer, world: dict[str, Any]) -> None:
    with server.client(world["seller"]) as c:
        r = _put(c, "OWN-1", world["acme_wh"], 12)
        assert r.status_code == 200, r.text
        assert (r.json()["on_hand"], r.json()["reserved"], r.json()["available"]) == (12, 0, 12)
        stock = c.get("/v1/inventory/OWN-1").json()
        assert (stock["on_hand"], stock["available"], stock["selling_mode"]) == (12, 12, "seller_fulfilled")
        assert [(w["warehouse_id"], w["on_hand"]) for w in stock["warehouses"]] == [(world["acme_wh"], 12)]
        assert _put(c, "OWN-1", world["acme_wh"], 7).json()["on_hand"] == 7  # a recount replaces, not adds
    with server.client() as c:
        product = c.get(f"/v1/products/{world['OWN-1']}").json()
    assert product["variants"][0]["available"] == 7
    with server.client(world["ops"]) as c:
        assert c.get("/v1/inventory/OWN-1").json()["on_hand"] == 7


def test_stock_of_someone_elses_sku_reads_as_missing(server: LiveServer, world: dict[str, Any]) -> None:
    with server.client(world["stranger"]) as c:
        _problem(c.get("/v1/inventory/OWN-1"), 404, "not_found")
        _problem(_put(c, "OWN-1", world["other_wh"], 5), 404, "not_found")
        _problem(c.get("/v1/inventory/NO-SUCH-SKU"), 404, "not_found")
    with server.client(world["seller"]) as c:
        _problem(_put(c, "OWN-1", world["other_wh"], 5), 404, "not_found")  # other seller's warehouse
        _problem(_put(c, "OWN-1", 999_999, 5), 404, "not_found")
    for role in ("shopper", "creator"):
        with server.client(world[role]) as c:
            _problem(c.get("/v1/inventory/OWN-1"), 403, "forbidden")
            _problem(_put(c, "OWN-1", world["acme_wh"], 5), 403, "forbidden")
    with server.client() as c:
        _problem(c.get("/v1/inventory/OWN-1"), 401, "unauthorized")


def test_platform_warehouses_are_stocked_by_operators_only(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    with server.client(world["seller"]) as c:
        _problem(_put(c, "CONS-1", world["platform_wh"], 5), 403, "forbidden")
        _problem(_put(c, "OWN-1", world["platform_wh"], 5), 403, "forbidden")
        _problem(_put(c, "CONS-1", world["acme_wh"], 5), 422, "wrong_warehouse")  # consigned stock
        _problem(_put(c, "LINK-1", world["acme_wh"], 5), 422, "wrong_warehouse")  # the seller's store holds it
    assert market.stock("CONS-1") == (0, 0)
    with server.client(world["ops"]) as c:
        r = _put(c, "CONS-1", world["platform_wh"], 40)
        assert r.status_code == 200, r.text
        _problem(_put(c, "OWN-1", world["platform_wh"], 5), 422, "wrong_warehouse")
        _problem(_put(c, "OWN-1", world["other_wh"], 5), 422, "wrong_warehouse")  # not the product's seller
        assert _put(c, "OWN-1", world["acme_wh"], 3).status_code == 200
    with server.client(world["seller"]) as c:
        consigned = c.get("/v1/inventory/CONS-1").json()
    assert [(w["warehouse_id"], w["operator"], w["on_hand"]) for w in consigned["warehouses"]] == [
        (world["platform_wh"], "platform", 40)
    ]


def test_stock_cannot_drop_below_reserved(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    with server.client(world["seller"]) as c:
        _put(c, "OWN-1", world["acme_wh"], 10).raise_for_status()
    with market.db.transaction() as s:  # open orders hold 4 units
        s.execute(update(Stock).where(Stock.warehouse_id == world["acme_wh"]).values(reserved=4))
    with server.client(world["seller"]) as c:
        body = _problem(_put(c, "OWN-1", world["acme_wh"], 3), 422, "invalid_input")
        assert (body["field"], body["reserved"]) == ("on_hand", 4)
        assert market.stock("OWN-1") == (10, 4)
        _problem(_put(c, "OWN-1", world["acme_wh"], -1), 422, "validation_error")
        r = _put(c, "OWN-1", world["acme_wh"], 4)
        assert r.status_code == 200, r.text
        assert (r.json()["on_hand"], r.json()["reserved"], r.json()["available"]) == (4, 4, 0)
    assert market.stock("OWN-1") == (4, 4)
