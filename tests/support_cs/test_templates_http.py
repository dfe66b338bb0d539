"""Sellers' templates and quick replies over real HTTP on SQLite and PostgreSQL: each seller its own,
placeholders checked when saved and filled from the conversation's order when sent."""

from __future__ import annotations

from typing import Any

import pytest

from support import LiveServer, Market
from support_cs.support_world import make_world, open_conv, say, seller_order, ship_and_deliver


@pytest.fixture
def world(server: LiveServer, market: Market) -> dict[str, Any]:
    return make_world(market)


def test_templates_crud_and_ownership(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    body = {"title": "Shipped", "body": "Hi {shopper_name}, order {order_id} ships with {carrier}: {tracking_url}"}
    with server.client(world["seller"]) as c:
        made = c.post("/v1/support/templates", json=body)
        assert made.status_code == 201, made.text
        tid = made.json()["id"]
        assert made.json()["kind"] == "template" and made.json()["seller_id"] == world["acme"]
        quick = {
            "kind": "quick_reply",
            "title": "Thanks",
            "body": "Thanks for your order {order_id}!",
            "shortcut": "ty",
        }
        assert c.post("/v1/support/templates", json=quick).status_code == 201
        assert c.post("/v1/support/templates", json=body).status_code == 409  # same title
        for bad, field in (
            ({"title": "x", "body": "Hi {nmae}"}, "body"),
            ({"title": "x", "body": "a { b"}, "body"),
            ({"title": "x", "body": "ok", "shortcut": "sh"}, "shortcut"),  # only quick replies
            ({"title": "x", "body": "ok", "kind": "quick_reply", "shortcut": "Not Ok"}, "shortcut"),
            ({"title": "x", "body": ""}, "body"),
        ):
            r = c.post("/v1/support/templates", json=bad)
            assert r.status_code == 422 and field in r.text, (bad, r.text)
        listed = c.get("/v1/support/templates").json()
        assert [t["title"] for t in listed["items"]] == ["Thanks", "Shipped"]  # quick replies first
        assert "tracking_url" in listed["placeholders"]
        quick_only = c.get("/v1/support/templates", params={"kind": "quick_reply"}).json()["items"]
        assert [t["title"] for t in quick_only] == ["Thanks"]
        changed = c.put(f"/v1/support/templates/{tid}", json={**body, "body": "Order {order_id}: {order_status}"})
        assert changed.status_code == 200 and changed.json()["body"] == "Order {order_id}: {order_status}"
    with server.client(world["stranger"]) as c:
        assert c.get(f"/v1/support/templates/{tid}").status_code == 404
        assert c.put(f"/v1/support/templates/{tid}", json=body).status_code == 404
        assert c.delete(f"/v1/support/templates/{tid}").status_code == 404
        assert c.get("/v1/support/templates").json()["items"] == []
        assert c.get("/v1/support/templates", params={"seller_id": world["acme"]}).status_code == 404
    with server.client(world["shopper"]) as c:
        assert c.get("/v1/support/templates").status_code == 403
    with server.client(world["operator"]) as c:
        assert c.get("/v1/support/templates").status_code == 422  # operators say whose
        assert len(c.get("/v1/support/templates", params={"seller_id": world["acme"]}).json()["items"]) == 2
    with server.client(world["seller2"]) as c:  # a colleague shares the seller's templates
        assert c.delete(f"/v1/support/templates/{tid}").status_code == 204
        assert c.get(f"/v1/support/templates/{tid}").status_code == 404


def test_sending_a_template_fills_it_from_the_order(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    order_id = seller_order(server, market, world)
    ship_and_deliver(server, market, world, order_id, deliver_it=False)
    with server.client(world["shopper"]) as c:
        cid = open_conv(c, order_id)["id"]
        say(c, cid, "hello?")
        tracking = c.get(f"/v1/orders/{order_id}/tracking").json()["shipments"][0]
    text = "Hi {shopper_name}, order {order_id} is with {carrier}: {tracking_url} (promised {promised_date}) {{ok}}"
    with server.client(world["seller"]) as c:
        tid = c.post("/v1/support/templates", json={"title": "Where", "body": text}).json()["id"]
        sent = say(c, cid, template_id=tid)["message"]
        number = tracking["tracking_number"]
        assert sent["text"].startswith(f"Hi ada, order {order_id} is with {tracking['carrier'].upper()}: https://")
        assert number in sent["text"] and sent["text"].endswith(f"(promised {tracking['promised_date']}) {{ok}}")
        assert c.post(f"/v1/conversations/{cid}/messages", json={"text": "x", "template_id": tid}).status_code == 422
    with server.client(world["stranger"]) as c:
        zed_tid = c.post("/v1/support/templates", json={"title": "Mine", "body": "hi"}).json()["id"]
    with server.client(world["seller"]) as c:
        r = c.post(f"/v1/conversations/{cid}/messages", json={"template_id": zed_tid})
        assert r.status_code == 404  # another seller's template does not exist for this one
