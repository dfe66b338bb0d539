"""Inbound consignments through real HTTP on SQLite and PostgreSQL: a seller files and ships an ASN of
full-custody stock to a platform warehouse; operators count each line (received, damaged, short,
declared surplus); good units are sellable at once, a repeated count adds nothing, a different one is
refused; only the seller's own consignments are visible to it."""

from __future__ import annotations

from typing import Any

import pytest

from custody.custody_world import (
    SOON,
    VALID_UPS,
    WRONG_UPS,
    at,
    build_world,
    consignment,
    events,
    ok,
    problem,
    shipped_consignment,
    variant_of,
)
from support import LiveServer, Market


@pytest.fixture
def w(server: LiveServer, market: Market) -> dict[str, Any]:
    return build_world(market)


def _receive(server: LiveServer, token: str, cid: int, *lines: dict[str, Any]) -> Any:
    with server.client(token) as c:
        return c.post(f"/v1/inbound-consignments/{cid}/receipts", json={"lines": list(lines)})


def test_asn_from_draft_to_received(server: LiveServer, market: Market, w: dict[str, Any]) -> None:
    a, b = w["cons"], w["cons_draft"]
    made = consignment(server, w["seller"], w["plat"], [(a, 10), (b, 5)], note="pallet 1 of 1")
    cid = made["id"]
    assert (made["status"], made["seller_id"], made["warehouse_id"]) == ("draft", w["acme"], w["plat"])
    assert [(ln["sku"], ln["expected"], ln["received"]) for ln in made["lines"]] == [(a, 10, None), (b, 5, None)]
    problem(_receive(server, w["ops"], cid, {"sku": a, "received": 10}), 409, "invalid_transition")
    with server.client(w["seller"]) as c:
        problem(c.post(f"/v1/inbound-consignments/{cid}/ship", json={"carrier": "ups", "tracking_number": WRONG_UPS}),
                422, "invalid_tracking_number")  # fmt: skip
        shipped = ok(
            c.post(f"/v1/inbound-consignments/{cid}/ship", json={"carrier": "ups", "tracking_number": VALID_UPS})
        )
        assert (shipped["status"], shipped["tracking_number"]) == ("shipped", VALID_UPS)
    problem(_receive(server, w["seller"], cid, {"sku": a, "received": 10}), 403, "forbidden")
    first = ok(_receive(server, w["ops"], cid, {"sku": a, "received": 8, "damaged": 1, "short": 1}))
    assert first["status"] == "receiving"
    assert at(market.db, a, w["plat"]) == (8, 0)  # good units only, and sellable now
    again = ok(_receive(server, w["ops"], cid, {"sku": a, "received": 8, "damaged": 1, "short": 1}))
    assert again["lines"] == first["lines"] and at(market.db, a, w["plat"]) == (8, 0)  # a replay adds nothing
    clash = problem(_receive(server, w["ops"], cid, {"sku": a, "received": 9, "short": 1}), 409, "already_received")
    assert (clash["received"], clash["damaged"]) == (8, 1)
    problem(_receive(server, w["ops"], cid, {"sku": b, "received": 4}), 422, "counts_do_not_add_up")
    problem(_receive(server, w["ops"], cid, {"sku": b, "received": 6}), 422, "over_receipt_not_declared")
    problem(_receive(server, w["ops"], cid, {"sku": w["own"], "received": 1, "short": 0}), 422, "unknown_line")
    with server.client(w["seller"]) as c:
        problem(c.post(f"/v1/inbound-consignments/{cid}/cancel", json={}), 409, "invalid_transition")
    done = ok(_receive(server, w["ops"], cid, {"sku": b, "received": 6, "over_receipt": True}))
    assert done["status"] == "received" and done["closed_at"]
    assert [(ln["received"], ln["damaged"], ln["short"], ln["surplus"]) for ln in done["lines"]] == [
        (8, 1, 1, 0), (6, 0, 0, 1),
    ]  # fmt: skip
    assert at(market.db, b, w["plat"]) == (6, 0)
    va, vb = variant_of(market.db, a).id, variant_of(market.db, b).id
    assert events(market.db, "inbound.received") == [
        {
            "consignment_id": cid, "seller_id": w["acme"], "warehouse_id": w["plat"],
            "lines": [
                {"variant_id": va, "sku": a, "expected": 10, "received": 8, "damaged": 1, "short": 1, "surplus": 0},
                {"variant_id": vb, "sku": b, "expected": 5, "received": 6, "damaged": 0, "short": 0, "surplus": 1},
            ],
        }
    ]  # fmt: skip
    ok(_receive(server, w["ops"], cid, {"sku": b, "received": 6, "over_receipt": True}))  # replay after the end
    assert len(events(market.db, "inbound.received")) == 1 and at(market.db, b, w["plat"]) == (6, 0)
    with server.client(w["seller"]) as c:
        assert ok(c.get(f"/v1/inbound-consignments/{cid}"))["lines"] == done["lines"]


def test_who_may_file_and_see_consignments(server: LiveServer, market: Market, w: dict[str, Any]) -> None:
    mine = consignment(server, w["seller"], w["plat"], [(w["cons"], 3)])
    base = {"warehouse_id": w["plat"], "expected_arrival": SOON, "lines": [{"sku": w["cons"], "quantity": 1}]}
    with server.client(w["seller"]) as c:
        problem(c.post("/v1/inbound-consignments", json={**base, "warehouse_id": w["acme_wh"]}), 422, "wrong_warehouse")
        problem(c.post("/v1/inbound-consignments", json={**base, "warehouse_id": 99999}), 404)
        own_line = [{"sku": w["own"], "quantity": 1}]
        problem(c.post("/v1/inbound-consignments", json={**base, "lines": own_line}), 422, "wrong_selling_mode")
        theirs = [{"sku": w["other_cons"], "quantity": 1}]
        problem(c.post("/v1/inbound-consignments", json={**base, "lines": theirs}), 404, "not_found")
        twice = [{"sku": w["cons"], "quantity": 1}, {"sku": w["cons"], "quantity": 2}]
        problem(c.post("/v1/inbound-consignments", json={**base, "lines": twice}), 422, "validation_error")
        problem(c.post("/v1/inbound-consignments", json={**base, "expected_arrival": "2001-01-01"}), 422)
        problem(c.post("/v1/inbound-consignments", json={**base, "seller_id": w["other"]}), 403)
    with server.client(w["stranger"]) as c:
        problem(c.get(f"/v1/inbound-consignments/{mine['id']}"), 404)
        problem(c.post(f"/v1/inbound-consignments/{mine['id']}/ship", json={}), 404)
        assert ok(c.get("/v1/inbound-consignments"))["items"] == []
    with server.client(w["shopper"]) as c:
        problem(c.get("/v1/inbound-consignments"), 403)
    with server.client(w["ops"]) as c:
        for_acme = ok(c.post("/v1/inbound-consignments", json={**base, "warehouse_id": w["plat_ca"]}), 201)
        assert for_acme["seller_id"] == w["acme"]  # an operator files for the SKUs' seller
        mixed = [{"sku": w["cons"], "quantity": 1}, {"sku": w["other_cons"], "quantity": 1}]
        problem(c.post("/v1/inbound-consignments", json={**base, "lines": mixed}), 422, "invalid_input")
        listed = ok(c.get("/v1/inbound-consignments", params={"warehouse_id": w["plat_ca"]}))["items"]
        assert [x["id"] for x in listed] == [for_acme["id"]]
    with server.client(w["seller"]) as c:
        assert [x["id"] for x in ok(c.get("/v1/inbound-consignments"))["items"]] == [for_acme["id"], mine["id"]]


def test_cancel_a_draft_and_close_a_partly_received_consignment(
    server: LiveServer, market: Market, w: dict[str, Any]
) -> None:
    draft = consignment(server, w["seller"], w["plat"], [(w["cons"], 3)])
    with server.client(w["seller"]) as c:
        cancelled = ok(c.post(f"/v1/inbound-consignments/{draft['id']}/cancel", json={"reason": "wrong SKU"}))
        assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "wrong SKU")
        problem(c.post(f"/v1/inbound-consignments/{draft['id']}/ship", json={}), 409, "invalid_transition")
    cid = shipped_consignment(server, w, [(w["cons"], 4), (w["cons_draft"], 2)])["id"]
    ok(_receive(server, w["ops"], cid, {"sku": w["cons"], "received": 4}))
    with server.client(w["ops"]) as c:
        problem(c.post(f"/v1/inbound-consignments/{cid}/close", json={}), 422, "validation_error")
        closed = ok(c.post(f"/v1/inbound-consignments/{cid}/close", json={"reason": "second carton lost"}))
    assert closed["status"] == "received"
    assert [(ln["received"], ln["short"]) for ln in closed["lines"]] == [(4, 0), (0, 2)]
    assert at(market.db, w["cons"], w["plat"]) == (4, 0) and at(market.db, w["cons_draft"], w["plat"]) == (0, 0)
    assert [e["consignment_id"] for e in events(market.db, "inbound.received")] == [cid]
