"""Returning unsold consigned stock through real HTTP on SQLite and PostgreSQL: the seller asks for
units back, operators approve (units leave available stock only, never what orders reserved), ship
with a carrier, or reject; a cancelled approval puts the units back."""

from __future__ import annotations

from typing import Any

import pytest

from custody.custody_world import VALID_UPS, at, build_world, events, ok, priced, problem, variant_of
from shipping.shipping_world import buy, put_stock
from support import LiveServer, Market


@pytest.fixture
def w(server: LiveServer, market: Market) -> dict[str, Any]:
    world = build_world(market)
    put_stock(market.db, world["cons"], world["plat"], 8)  # consigned units on the platform's shelves
    return world


def _request(server: LiveServer, token: str, w: dict[str, Any], quantity: int) -> Any:
    with server.client(token) as c:
        return c.post("/v1/stock-removals", json={"sku": w["cons"], "warehouse_id": w["plat"], "quantity": quantity})


def test_removal_takes_only_unreserved_units(server: LiveServer, market: Market, w: dict[str, Any]) -> None:
    sku, plat = w["cons"], w["plat"]
    priced(market, sku)
    buy(server, w["shopper"], [(sku, 3)])
    assert at(market.db, sku, plat) == (8, 3)
    short = problem(_request(server, w["seller"], w, 6), 409, "insufficient_stock")
    assert short["items"] == [{"sku": sku, "requested": 6, "available": 5}]
    first = ok(_request(server, w["seller"], w, 4), 201)
    assert (first["status"], first["quantity"], first["seller_id"]) == ("requested", 4, w["acme"])
    buy(server, w["shopper"], [(sku, 2)])  # shoppers keep buying meanwhile: 3 left unreserved
    with server.client(w["ops"]) as c:
        problem(c.post(f"/v1/stock-removals/{first['id']}/approve"), 409, "insufficient_stock")
        assert at(market.db, sku, plat) == (8, 5)  # nothing taken
        rejected = ok(c.post(f"/v1/stock-removals/{first['id']}/reject", json={"reason": "orders came in"}))
        assert (rejected["status"], rejected["decision_reason"]) == ("rejected", "orders came in")
    second = ok(_request(server, w["seller"], w, 3), 201)
    with server.client(w["seller"]) as c:
        problem(c.post(f"/v1/stock-removals/{second['id']}/approve"), 403)
    with server.client(w["ops"]) as c:
        approved = ok(c.post(f"/v1/stock-removals/{second['id']}/approve"))
        assert approved["status"] == "approved"
        assert at(market.db, sku, plat) == (5, 5)  # the reserved units stay for their orders
        problem(c.post(f"/v1/stock-removals/{second['id']}/ship", json={"carrier": "ups", "tracking_number": "1Z1"}),
                422, "invalid_tracking_number")  # fmt: skip
        body = {"carrier": "ups", "tracking_number": VALID_UPS}
        shipped = ok(c.post(f"/v1/stock-removals/{second['id']}/ship", json=body))
        assert (shipped["status"], shipped["tracking_number"]) == ("shipped", VALID_UPS)
        problem(c.post(f"/v1/stock-removals/{second['id']}/cancel", json={}), 409, "invalid_transition")
    assert at(market.db, sku, plat) == (5, 5)
    assert events(market.db, "stock.removal_shipped") == [
        {"removal_id": second["id"], "seller_id": w["acme"], "warehouse_id": plat,
         "variant_id": variant_of(market.db, sku).id, "quantity": 3}
    ]  # fmt: skip
    problem(_request(server, w["seller"], w, 1), 409, "insufficient_stock")


def test_cancelling_an_approved_removal_puts_units_back(server: LiveServer, market: Market, w: dict[str, Any]) -> None:
    rid = ok(_request(server, w["seller"], w, 5), 201)["id"]
    with server.client(w["ops"]) as c:
        ok(c.post(f"/v1/stock-removals/{rid}/approve"))
    assert at(market.db, w["cons"], w["plat"]) == (3, 0)
    with server.client(w["seller"]) as c:
        cancelled = ok(c.post(f"/v1/stock-removals/{rid}/cancel", json={"reason": "selling well after all"}))
        assert cancelled["status"] == "cancelled"
    assert at(market.db, w["cons"], w["plat"]) == (8, 0)
    with server.client(w["ops"]) as c:
        problem(c.post(f"/v1/stock-removals/{rid}/approve"), 409, "invalid_transition")


def test_who_may_ask_for_and_see_removals(server: LiveServer, market: Market, w: dict[str, Any]) -> None:
    rid = ok(_request(server, w["seller"], w, 2), 201)["id"]
    with server.client(w["stranger"]) as c:
        problem(c.get(f"/v1/stock-removals/{rid}"), 404)
        problem(c.post(f"/v1/stock-removals/{rid}/cancel", json={}), 404)
        assert ok(c.get("/v1/stock-removals"))["items"] == []
    problem(_request(server, w["stranger"], w, 1), 404, "not_found")  # not its SKU
    problem(_request(server, w["shopper"], w, 1), 403)
    with server.client(w["seller"]) as c:
        body = {"sku": w["cons"], "warehouse_id": w["acme_wh"], "quantity": 1}
        problem(c.post("/v1/stock-removals", json=body), 422, "wrong_warehouse")
        body = {"sku": w["own"], "warehouse_id": w["plat"], "quantity": 1}
        problem(c.post("/v1/stock-removals", json=body), 422, "wrong_selling_mode")
        assert [r["id"] for r in ok(c.get("/v1/stock-removals", params={"status": "requested"}))["items"]] == [rid]
    with server.client(w["ops"]) as c:
        assert ok(c.get(f"/v1/stock-removals/{rid}"))["sku"] == w["cons"]
        problem(c.post(f"/v1/stock-removals/{rid}/reject", json={}), 422)
