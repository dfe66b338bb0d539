"""Platform purchase orders through real HTTP on SQLite and PostgreSQL: operators buy stock for the
platform's own listings, receive it with the consignments' receiving code, and the unit costs reach
the outbox for the ledger."""

from __future__ import annotations

from typing import Any

import pytest

from custody.custody_world import SOON, at, build_world, events, ok, problem, variant_of
from support import LiveServer, Market


@pytest.fixture
def w(server: LiveServer, market: Market) -> dict[str, Any]:
    return build_world(market)


def _po(w: dict[str, Any], **change: Any) -> dict[str, Any]:
    return {
        "supplier_name": "Acme Wholesale",
        "supplier_contact": "orders@wholesale.example",
        "warehouse_id": w["plat"],
        "expected_arrival": SOON,
        "lines": [
            {"sku": w["basic"], "quantity": 20, "unit_cost_cents": 450},
            {"sku": w["basic2"], "quantity": 10, "unit_cost_cents": 300},
        ],
        **change,
    }


def test_purchase_order_from_draft_to_received(server: LiveServer, market: Market, w: dict[str, Any]) -> None:
    a, b = w["basic"], w["basic2"]
    with server.client(w["ops"]) as c:
        po = ok(c.post("/v1/purchase-orders", json=_po(w)), 201)
        pid = po["id"]
        assert (po["status"], po["total_cost_cents"]) == ("draft", 20 * 450 + 10 * 300)
        count = {"lines": [{"sku": a, "received": 20}]}
        problem(c.post(f"/v1/purchase-orders/{pid}/receipts", json=count), 409, "invalid_transition")
        assert ok(c.post(f"/v1/purchase-orders/{pid}/order"))["status"] == "ordered"
        problem(c.post(f"/v1/purchase-orders/{pid}/order"), 409, "invalid_transition")
        receiving = ok(c.post(f"/v1/purchase-orders/{pid}/receipts", json=count))
        assert receiving["status"] == "receiving" and at(market.db, a, w["plat"]) == (20, 0)
        ok(c.post(f"/v1/purchase-orders/{pid}/receipts", json=count))  # replay: nothing added
        assert at(market.db, a, w["plat"]) == (20, 0)
        done = ok(c.post(f"/v1/purchase-orders/{pid}/close", json={"reason": "supplier out of stock"}))
        assert done["status"] == "received"
        assert [(ln["sku"], ln["received"], ln["short"], ln["unit_cost_cents"]) for ln in done["lines"]] == [
            (a, 20, 0, 450), (b, 0, 10, 300),
        ]  # fmt: skip
        problem(c.post(f"/v1/purchase-orders/{pid}/cancel", json={}), 409, "invalid_transition")
    assert events(market.db, "purchasing.received") == [
        {"purchase_order_id": pid, "lines": [
            {"variant_id": variant_of(market.db, a).id, "quantity": 20, "unit_cost_cents": 450},
            {"variant_id": variant_of(market.db, b).id, "quantity": 0, "unit_cost_cents": 300},
        ]}
    ]  # fmt: skip


def test_purchase_orders_are_for_operators_and_platform_owned_listings(
    server: LiveServer, market: Market, w: dict[str, Any]
) -> None:
    for token in (w["seller"], w["shopper"]):
        with server.client(token) as c:
            problem(c.post("/v1/purchase-orders", json=_po(w)), 403)
            problem(c.get("/v1/purchase-orders"), 403)
    with server.client(w["ops"]) as c:
        consigned = [{"sku": w["cons"], "quantity": 1, "unit_cost_cents": 100}]
        problem(c.post("/v1/purchase-orders", json=_po(w, lines=consigned)), 422, "wrong_selling_mode")
        problem(c.post("/v1/purchase-orders", json=_po(w, warehouse_id=w["acme_wh"])), 422, "wrong_warehouse")
        negative = [{"sku": w["basic"], "quantity": 1, "unit_cost_cents": -1}]
        problem(c.post("/v1/purchase-orders", json=_po(w, lines=negative)), 422, "validation_error")
        first = ok(c.post("/v1/purchase-orders", json=_po(w)), 201)["id"]
        second = ok(c.post("/v1/purchase-orders", json=_po(w, supplier_name="Other Supplier")), 201)["id"]
        ok(c.post(f"/v1/purchase-orders/{second}/order"))
        assert (
            ok(c.post(f"/v1/purchase-orders/{second}/cancel", json={"reason": "price changed"}))["status"]
            == "cancelled"
        )
        listed = ok(c.get("/v1/purchase-orders", params={"status": "draft"}))["items"]
        assert [p["id"] for p in listed] == [first]
        problem(c.get("/v1/purchase-orders/99999"), 404)
