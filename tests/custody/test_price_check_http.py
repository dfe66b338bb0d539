"""The full-custody price check through real HTTP on SQLite and PostgreSQL: a seller offers a supply
price, operators accept (with a retail price and the minimum margin), reject or counter, the seller
answers; accepted prices land on the variant, put the draft product on sale, reach the outbox, and
are what an order line snapshots at checkout."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from custody.custody_world import build_world, events, ok, problem, variant_of
from shipping.shipping_world import buy, put_stock
from support import LiveServer, Market
from yellowcart.catalog.custody_rules import lowest_price_for_margin
from yellowcart.catalog.models import Variant
from yellowcart.orders.models import OrderLine

MIN_MARGIN = 1500  # the Settings default


@pytest.fixture
def w(server: LiveServer, market: Market) -> dict[str, Any]:
    return build_world(market)


def _offer(server: LiveServer, token: str, sku: str, supply: int, **extra: Any) -> Any:
    with server.client(token) as c:
        return ok(c.post("/v1/supply-offers", json={"sku": sku, "supply_price_cents": supply, **extra}), 201)


def _product_status(server: LiveServer, token: str, sku: str) -> str:
    with server.client(token) as c:
        found = ok(c.get("/v1/products", params={"status": "active", "q": ""}))
    return "active" if any(v["sku"] == sku for p in found["items"] for v in p["variants"]) else "not active"


def test_offer_then_accept_prices_the_variant_and_opens_the_listing(
    server: LiveServer, market: Market, w: dict[str, Any]
) -> None:
    sku = w["cons_draft"]
    offer = _offer(server, w["seller"], sku, 1000, samples=3, note="two colours")
    assert (offer["status"], offer["samples"], offer["seller_id"]) == ("open", 3, w["acme"])
    assert offer["min_price_cents"] == lowest_price_for_margin(supply_cents=1000, min_margin_bps=MIN_MARGIN)
    oid = offer["id"]
    with server.client(w["ops"]) as c:
        queue = ok(c.get("/v1/supply-offers", params={"status": "open"}))["items"]
        assert [o["id"] for o in queue] == [oid]
        thin = problem(c.post(f"/v1/supply-offers/{oid}/accept", json={"price_cents": 1100}), 422, "margin_too_low")
        assert thin["margin_bps"] == (1100 - 1000) * 10_000 // 1100 and thin["min_margin_bps"] == MIN_MARGIN
        problem(c.post(f"/v1/supply-offers/{oid}/accept", json={"price_cents": 900}), 422, "price_below_supply")
        problem(
            c.post(f"/v1/supply-offers/{oid}/accept", json={"price_cents": 1100, "override_margin": True}),
            422,
            "override_needs_reason",
        )
        assert variant_of(market.db, sku).supply_price_cents is None  # refusals changed nothing
        assert _product_status(server, w["shopper"], sku) == "not active"
        done = ok(c.post(f"/v1/supply-offers/{oid}/accept", json={"price_cents": 2400}))
        assert (done["status"], done["accepted_supply_cents"], done["price_cents"]) == ("accepted", 1000, 2400)
        assert [d["action"] for d in done["decisions"]] == ["offered", "accepted"]
        assert done["decisions"][1]["actor_role"] == "operator" and done["decisions"][1]["margin_bps"] == 5833
        problem(c.post(f"/v1/supply-offers/{oid}/accept", json={"price_cents": 2400}), 409, "invalid_transition")
    variant = variant_of(market.db, sku)
    assert (variant.supply_price_cents, variant.price_cents) == (1000, 2400)
    assert _product_status(server, w["shopper"], sku) == "active"
    assert events(market.db, "custody.supply_price_accepted") == [
        {"variant_id": variant.id, "supply_price_cents": 1000, "price_cents": 2400}
    ]
    # the platform sells it: the order line keeps the supply price the seller is owed per unit
    put_stock(market.db, sku, w["plat"], 5)
    order = buy(server, w["shopper"], [(sku, 2)])["orders"][0]
    with market.db.transaction() as s:
        line = s.scalars(select(OrderLine).where(OrderLine.order_id == order["id"])).one()
        assert (line.supply_price_cents, line.unit_price_cents, line.quantity) == (1000, 2400, 2)


def test_new_offer_supersedes_and_counter_offers_are_answered_by_the_seller(
    server: LiveServer, market: Market, w: dict[str, Any]
) -> None:
    sku = w["cons"]
    first = _offer(server, w["seller"], sku, 1200)
    second = _offer(server, w["seller"], sku, 1100, note="better price")
    with server.client(w["seller"]) as c:
        old = ok(c.get(f"/v1/supply-offers/{first['id']}"))
        assert old["status"] == "superseded" and [d["action"] for d in old["decisions"]] == ["offered", "superseded"]
        mine = ok(c.get("/v1/supply-offers", params={"sku": sku}))["items"]
        assert [(o["id"], o["status"]) for o in mine] == [(second["id"], "open"), (first["id"], "superseded")]
    oid = second["id"]
    with server.client(w["ops"]) as c:
        body = {"supply_price_cents": 1000, "price_cents": 1800, "reason": "market price is lower"}
        countered = ok(c.post(f"/v1/supply-offers/{oid}/counter", json=body))
        assert (countered["status"], countered["counter_supply_cents"], countered["price_cents"]) == (
            "countered",
            1000,
            1800,
        )
        problem(c.post(f"/v1/supply-offers/{oid}/accept", json={"price_cents": 1800}), 409, "invalid_transition")
        problem(c.post(f"/v1/supply-offers/{oid}/counter/accept", json={}), 403, "forbidden")  # the seller answers
    with server.client(w["stranger"]) as c:
        problem(c.post(f"/v1/supply-offers/{oid}/counter/accept", json={}), 404, "not_found")
    with server.client(w["seller"]) as c:
        declined = ok(c.post(f"/v1/supply-offers/{oid}/counter/decline", json={"reason": "below my cost"}))
        assert declined["status"] == "declined"
    assert variant_of(market.db, sku).supply_price_cents is None
    third = _offer(server, w["seller"], sku, 1150)
    with server.client(w["ops"]) as c:
        ok(c.post(f"/v1/supply-offers/{third['id']}/counter", json={"supply_price_cents": 1050, "price_cents": 1900}))
    with server.client(w["seller"]) as c:
        accepted = ok(c.post(f"/v1/supply-offers/{third['id']}/counter/accept", json={}))
        assert (accepted["status"], accepted["accepted_supply_cents"]) == ("accepted", 1050)
        assert [d["action"] for d in accepted["decisions"]] == ["offered", "countered", "counter_accepted"]
    variant = variant_of(market.db, sku)
    assert (variant.supply_price_cents, variant.price_cents) == (1050, 1900)


def test_override_needs_a_reason_and_rejections_keep_theirs(
    server: LiveServer, market: Market, w: dict[str, Any]
) -> None:
    thin = _offer(server, w["seller"], w["cons"], 2000)
    other = _offer(server, w["seller"], w["cons_draft"], 1500)
    with server.client(w["ops"]) as c:
        body = {"price_cents": 2100, "override_margin": True, "reason": "launch price for two weeks"}
        done = ok(c.post(f"/v1/supply-offers/{thin['id']}/accept", json=body))
        decision = done["decisions"][-1]
        assert decision["margin_override"] is True and decision["reason"] == "launch price for two weeks"
        problem(c.post(f"/v1/supply-offers/{other['id']}/reject", json={}), 422, "validation_error")
        rejected = ok(c.post(f"/v1/supply-offers/{other['id']}/reject", json={"reason": "samples failed QC"}))
        assert rejected["status"] == "rejected" and rejected["decisions"][-1]["reason"] == "samples failed QC"
    assert variant_of(market.db, w["cons_draft"]).supply_price_cents is None


def test_who_may_offer_and_see_offers(server: LiveServer, market: Market, w: dict[str, Any]) -> None:
    acme_offer = _offer(server, w["seller"], w["cons"], 1000)
    with server.client() as c:
        problem(c.post("/v1/supply-offers", json={"sku": w["cons"], "supply_price_cents": 900}), 401)
    with server.client(w["shopper"]) as c:
        problem(c.post("/v1/supply-offers", json={"sku": w["cons"], "supply_price_cents": 900}), 403, "forbidden")
        problem(c.get("/v1/supply-offers"), 403)
    with server.client(w["stranger"]) as c:
        problem(c.post("/v1/supply-offers", json={"sku": w["cons"], "supply_price_cents": 900}), 404, "not_found")
        problem(c.get(f"/v1/supply-offers/{acme_offer['id']}"), 404, "not_found")
        assert ok(c.get("/v1/supply-offers", params={"seller_id": w["acme"]}))["items"] == []
    with server.client(w["seller"]) as c:
        problem(c.post("/v1/supply-offers", json={"sku": w["own"], "supply_price_cents": 900}), 422, "not_full_custody")
        problem(c.post("/v1/supply-offers", json={"sku": w["cons"], "supply_price_cents": 0}), 422, "validation_error")
        problem(c.post(f"/v1/supply-offers/{acme_offer['id']}/accept", json={"price_cents": 5000}), 403)
        problem(c.post(f"/v1/supply-offers/{acme_offer['id']}/reject", json={"reason": "x"}), 403)
    on_behalf = _offer(server, w["ops"], w["other_cons"], 700)
    assert on_behalf["seller_id"] == w["other"]
    with server.client(w["stranger"]) as c:
        assert [o["id"] for o in ok(c.get("/v1/supply-offers"))["items"]] == [on_behalf["id"]]
    with server.client(w["ops"]) as c:
        page = ok(c.get("/v1/supply-offers", params={"limit": 1}))
        assert len(page["items"]) == 1 and page["next_cursor"]
        rest = ok(c.get("/v1/supply-offers", params={"limit": 1, "cursor": page["next_cursor"]}))
        assert [o["id"] for o in page["items"] + rest["items"]] == [on_behalf["id"], acme_offer["id"]]
        problem(c.get("/v1/supply-offers/99999"), 404)


def test_a_product_goes_on_sale_only_when_every_active_variant_is_priced(
    server: LiveServer, market: Market, w: dict[str, Any]
) -> None:
    sku = w["cons_draft"]
    with market.db.transaction() as s:
        product_id = s.scalar(select(Variant.product_id).where(Variant.sku == sku))
    with server.client(w["seller"]) as c:
        ok(c.put(f"/v1/products/{product_id}/variants/{sku}-L", json={"price_cents": 2200}), 201)
    small = _offer(server, w["seller"], sku, 1000)
    large = _offer(server, w["seller"], f"{sku}-L", 1100)
    with server.client(w["ops"]) as c:
        ok(c.post(f"/v1/supply-offers/{small['id']}/accept", json={"price_cents": 2000}))
        assert _product_status(server, w["shopper"], sku) == "not active"  # the large size awaits its check
        ok(c.post(f"/v1/supply-offers/{large['id']}/accept", json={"price_cents": 2200}))
    assert _product_status(server, w["shopper"], sku) == "active"
