"""Conversations over real HTTP on SQLite and PostgreSQL: who may open and read them (participants
only, everyone else 404), messages with masking, cards and images, read receipts and unread counts,
operators joining, escalating and closing, paging."""

from __future__ import annotations

from typing import Any

import pytest

from support import LiveServer, Market
from support_cs.support_world import make_world, open_conv, platform_order, say, seller_order, ship_and_deliver


@pytest.fixture
def world(server: LiveServer, market: Market) -> dict[str, Any]:
    return make_world(market)


def test_participants_only(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    order_id = seller_order(server, market, world)
    with server.client(world["shopper"]) as c:
        r = c.post(f"/v1/orders/{order_id}/conversations", json={})
        assert r.status_code == 201, r.text
        conv = r.json()
        assert conv["counterpart"] == "seller" and conv["status"] == "open" and conv["order_id"] == order_id
        again = c.post(f"/v1/orders/{order_id}/conversations", json={})
        assert again.status_code == 200 and again.json()["id"] == conv["id"]  # one per (order, counterpart)
        say(c, conv["id"], "Is this serum safe for sensitive skin?")
    cid = conv["id"]
    paths = [f"/v1/conversations/{cid}", f"/v1/conversations/{cid}/messages", f"/v1/conversations/{cid}/events"]
    for who in ("other_shopper", "stranger", "creator"):
        with server.client(world[who]) as c:
            for path in paths:
                r = c.get(path)
                assert r.status_code == 404, (who, path, r.text)
                assert r.headers["content-type"].startswith("application/problem+json")
            assert c.post(f"/v1/conversations/{cid}/messages", json={"text": "hi"}).status_code == 404
            assert c.post(f"/v1/conversations/{cid}/read", json={"message_id": 1}).status_code == 404
            assert c.post(f"/v1/conversations/{cid}/close").status_code == 404
            assert c.get("/v1/conversations").json()["items"] == []
        with server.client(world[who]) as c:  # nor can they open one on somebody else's order
            assert c.post(f"/v1/orders/{order_id}/conversations", json={}).status_code == 404
    with server.client() as c:
        assert c.get(f"/v1/conversations/{cid}").status_code == 401
        assert c.get("/v1/conversations").status_code == 401
    for who in ("seller", "seller2", "operator"):
        with server.client(world[who]) as c:
            assert c.get(f"/v1/conversations/{cid}").status_code == 200, who
            texts = [m["text"] for m in c.get(f"/v1/conversations/{cid}/messages").json()["items"]]
            assert texts == ["Is this serum safe for sensitive skin?"]
    with server.client(world["operator"]) as c:  # operators may join any, but do not open them
        assert c.get("/v1/conversations", params={"order_id": order_id}).json()["items"][0]["id"] == cid


def test_messages_masked_carded_read_and_counted(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    order_id = seller_order(server, market, world)
    shipment_id = ship_and_deliver(server, market, world, order_id, deliver_it=False)
    other_order = seller_order(server, market, world)
    with server.client(world["shopper"]) as c:
        cid = open_conv(c, order_id)["id"]
        first = say(c, cid, "My card is 4242 4242 4242 4242, call me on (212) 555-0100. This is crap.")
        msg = first["message"]
        assert msg["text"] == "My card is [card number removed], call me on [phone number removed]. This is c***."
        assert msg["masked"] == ["card_number", "phone", "profanity"] and msg["from_me"] is True
        assert first["auto_answer"] is None and first["conversation"]["needs_human_at"] is not None
        carded = say(c, cid, "", card={"type": "shipment", "id": shipment_id}, images=["https://img.example/a.jpg"])
        assert carded["message"]["card"] == {"type": "shipment", "id": shipment_id}
        assert carded["message"]["images"] == ["https://img.example/a.jpg"]
        other_shipment = c.get(f"/v1/orders/{other_order}/tracking").json()["shipments"][0]["id"]
        for bad in (
            {"text": "x", "card": {"type": "shipment", "id": other_shipment}},  # another order's package
            {"text": "x", "card": {"type": "order", "id": other_order}},
            {"text": "x", "card": {"type": "return", "id": 999}},
            {"text": "   "},
            {"text": "x" * 2001},
            {"text": "2125550100 " * 180},  # 1,980 characters, but over 2,000 once the numbers are masked
            {"text": "x", "images": ["http://insecure.example/a.jpg"]},
            {"text": "x", "unknown": 1},
            {"text": "x", "template_id": 1},  # templates are sellers'
        ):
            r = c.post(f"/v1/conversations/{cid}/messages", json=bad)
            assert r.status_code in (403, 422), (bad, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
        assert len(c.get(f"/v1/conversations/{cid}/messages").json()["items"]) == 2  # nothing stored
    with server.client(world["seller"]) as c:
        mine = c.get("/v1/conversations").json()["items"]
        assert [(x["id"], x["unread"]) for x in mine] == [(cid, 2)]
        answer = say(c, cid, "Sorry! Email me at help@acme.example or +44 20 7946 0958.")
        assert answer["message"]["text"] == "Sorry! Email me at [email removed] or [phone number removed]."
        state = answer["conversation"]
        assert state["first_response_at"] is not None and state["unread"] == 0
        r = c.post(f"/v1/conversations/{cid}/read", json={"message_id": carded["message"]["id"]})
        assert r.json()["read"]["counterpart"] == answer["message"]["id"]  # receipts never move back
    with server.client(world["seller2"]) as c:  # a colleague has not read anything yet
        assert c.get(f"/v1/conversations/{cid}").json()["unread"] == 2
    with server.client(world["shopper"]) as c:
        view = c.get(f"/v1/conversations/{cid}").json()
        assert view["unread"] == 1 and view["read"]["counterpart"] == answer["message"]["id"]
        r = c.post(f"/v1/conversations/{cid}/read", json={"message_id": answer["message"]["id"]})
        assert (
            r.status_code == 200 and r.json()["unread"] == 0 and r.json()["read"]["shopper"] == answer["message"]["id"]
        )
        bad = c.post(f"/v1/conversations/{cid}/read", json={"message_id": 999999})
        assert bad.status_code == 422 and bad.json()["field"] == "message_id"
        page = c.get(f"/v1/conversations/{cid}/messages", params={"limit": 2}).json()
        assert [m["id"] for m in page["items"]] == [answer["message"]["id"], carded["message"]["id"]]
        older = c.get(f"/v1/conversations/{cid}/messages", params={"cursor": page["next_cursor"]}).json()
        assert [m["id"] for m in older["items"]] == [msg["id"]] and older["next_cursor"] is None
        after = c.get(f"/v1/conversations/{cid}/messages", params={"after": msg["id"]}).json()["items"]
        assert [m["id"] for m in after] == [carded["message"]["id"], answer["message"]["id"]]
        assert c.get(f"/v1/conversations/{cid}/messages", params={"cursor": "bogus"}).status_code == 422


def test_platform_goods_are_answered_by_operators(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    order_id = platform_order(server, market, world)
    with server.client(world["seller"]) as c:  # the consignor does not answer for the platform
        assert c.post(f"/v1/orders/{order_id}/conversations", json={}).status_code == 403
    with server.client(world["shopper"]) as c:
        bad = c.post(f"/v1/orders/{order_id}/conversations", json={"counterpart": "seller"})
        assert bad.status_code == 422 and bad.json()["allowed"] == ["platform"]
        conv = open_conv(c, order_id)
        assert conv["counterpart"] == "platform"
        say(c, conv["id"], "The bottle arrived broken")
    cid = conv["id"]
    with server.client(world["seller"]) as c:
        assert c.get(f"/v1/conversations/{cid}").status_code == 404
        assert c.get("/v1/conversations").json()["items"] == []
    with server.client(world["operator"]) as c:
        queue = c.get("/v1/conversations", params={"awaiting_response": "true", "counterpart": "platform"}).json()
        assert [x["id"] for x in queue["items"]] == [cid]
        reply = say(c, cid, "So sorry: we will send a new one.")
        assert reply["conversation"]["first_response_at"] is not None
        texts = [m["text"] for m in c.get(f"/v1/conversations/{cid}/messages").json()["items"]]
        assert texts[1] == "A yellowcart support agent joined the conversation."  # recorded, and shown
        kinds = [e["kind"] for e in c.get(f"/v1/conversations/{cid}/events").json()]
        assert kinds == ["opened", "joined"]
        assert c.get("/v1/conversations", params={"awaiting_response": "true"}).json()["items"] == []


def test_join_escalate_close_reopen(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    order_id = seller_order(server, market, world)
    with server.client(world["shopper"]) as c:
        cid = open_conv(c, order_id)["id"]
        say(c, cid, "I was charged twice")
        assert c.post(f"/v1/conversations/{cid}/join").status_code == 403
        assert c.post(f"/v1/conversations/{cid}/escalate", json={"reason": "x"}).status_code == 403
    with server.client(world["seller"]) as c:
        assert c.post(f"/v1/conversations/{cid}/escalate", json={"reason": "x"}).status_code == 403
    with server.client(world["operator"]) as c:
        assert c.post(f"/v1/conversations/{cid}/escalate", json={"reason": ""}).status_code == 422
        joined = c.post(f"/v1/conversations/{cid}/join")
        assert joined.status_code == 200 and joined.json()["escalated_at"] is None
        assert c.post(f"/v1/conversations/{cid}/join").status_code == 200  # again: nothing new
        r = c.post(f"/v1/conversations/{cid}/escalate", json={"reason": "payment issue: platform handles"})
        assert r.status_code == 200 and r.json()["escalated_at"] is not None
        c.post(f"/v1/conversations/{cid}/escalate", json={"reason": "again"})
        escalated = c.get("/v1/conversations", params={"escalated": "true"}).json()["items"]
        assert [x["id"] for x in escalated] == [cid]
        events = c.get(f"/v1/conversations/{cid}/events").json()
        assert [(e["kind"], e["actor_role"]) for e in events] == [
            ("opened", "shopper"), ("joined", "operator"), ("escalated", "operator"),
        ]  # fmt: skip
        assert events[2]["note"] == "payment issue: platform handles"
    with server.client(world["seller"]) as c:  # the seller still sees its conversation
        assert c.get(f"/v1/conversations/{cid}").json()["escalated_at"] is not None
    with server.client(world["shopper"]) as c:
        closed = c.post(f"/v1/conversations/{cid}/close").json()
        assert closed["status"] == "closed" and closed["resolved_by"] == "shopper"
        assert c.post(f"/v1/conversations/{cid}/close").json()["resolved_at"] == closed["resolved_at"]
        assert c.get("/v1/conversations", params={"status": "closed"}).json()["items"][0]["id"] == cid
        reopened = say(c, cid, "Actually, one more thing")["conversation"]
        assert reopened["status"] == "open" and reopened["resolved_at"] is None
        kinds = [e["kind"] for e in c.get(f"/v1/conversations/{cid}/events").json()]
        assert kinds[-2:] == ["closed", "reopened"]
