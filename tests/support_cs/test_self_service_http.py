"""Self-service answers over real HTTP on SQLite and PostgreSQL: questions about where the order is,
when it arrives and how to return it are answered from the order's own data (tracking, promised date,
return eligibility) before a person is asked; such answers do not start the first-response clock;
"talk to a person", cancellations and anything unrecognised do."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from support import LiveServer, Market
from support_cs.support_world import make_world, open_conv, say, seller_order, ship_and_deliver


@pytest.fixture
def world(server: LiveServer, market: Market) -> dict[str, Any]:
    return make_world(market)


def _day(iso: str) -> str:
    return dt.date.fromisoformat(iso).strftime("%A, %B %d, %Y").replace(" 0", " ")


def test_answers_come_from_the_orders_data(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    order_id = seller_order(server, market, world)
    with server.client(world["shopper"]) as c:
        cid = open_conv(c, order_id)["id"]
        tracking = c.get(f"/v1/orders/{order_id}/tracking").json()
        [package] = tracking["shipments"]
        posted = say(c, cid, "Where is my order?")
        answer = posted["auto_answer"]
        assert posted["message"]["intent"] == "where_is_my_order"
        assert answer["sender_role"] == "system" and answer["auto_answer"] is True
        assert f"Package {package['id']}: being prepared at the warehouse" in answer["text"]
        assert answer["card"] == {"type": "shipment", "id": package["id"]}
        when = say(c, cid, "When will it arrive?")["auto_answer"]
        assert when["card"] == {"type": "order", "id": order_id}
        assert f"was promised for {_day(tracking['promised_delivery_date'])}" in when["text"]
        assert "has not left the warehouse yet" in when["text"]
        if tracking["estimated_delivery_date"]:
            assert f"The current estimate is {_day(tracking['estimated_delivery_date'])}" in when["text"]
        early = say(c, cid, "How do I return this?")["auto_answer"]
        assert "cannot be returned right now: not delivered yet" in early["text"]
        assert "you have 30 days to return it" in early["text"]
        state = c.get(f"/v1/conversations/{cid}").json()
        assert state["needs_human_at"] is None and state["unread"] == 0  # answered: nobody was called in
    with server.client(world["seller"]) as c:
        assert c.get("/v1/conversations", params={"awaiting_response": "true"}).json()["items"] == []

    ship_and_deliver(server, market, world, order_id, deliver_it=True)
    with server.client(world["shopper"]) as c:
        shipped = c.get(f"/v1/orders/{order_id}/tracking").json()["shipments"][0]
        where = say(c, cid, "has my package shipped yet?")["auto_answer"]
        assert shipped["tracking_number"] in where["text"] and "delivered" in where["text"].lower()
        assert "Last scan:" in where["text"]
        arrived = say(c, cid, "when does it arrive")["auto_answer"]
        delivered_on = _day(shipped["delivered_at"][:10])
        assert f"was delivered on {delivered_on}" in arrived["text"]
        eligibility = c.get(f"/v1/orders/{order_id}/return-eligibility").json()["lines"][0]
        back = say(c, cid, "Can I send it back?")["auto_answer"]
        assert f"You can return {eligibility['returnable_quantity']} x {eligibility['title']}" in back["text"]
        assert back["card"] == {"type": "order", "id": order_id}
        assert c.get(f"/v1/conversations/{cid}").json()["needs_human_at"] is None
        line = {"order_line_id": eligibility["order_line_id"], "quantity": 1}
        ret = c.post(f"/v1/orders/{order_id}/returns", json={"lines": [line], "reason": "damaged"})
        assert ret.status_code == 201, ret.text
        carded = say(c, cid, "Sent you the return", card={"type": "return", "id": ret.json()["id"]})
        assert carded["message"]["card"] == {"type": "return", "id": ret.json()["id"]}
        under_way = say(c, cid, "how do I return it?")["auto_answer"]
        assert f"Your return {ret.json()['id']} for this order is already under way" in under_way["text"]
        assert under_way["card"] == {"type": "return", "id": ret.json()["id"]}


def test_people_are_asked_when_the_matcher_cannot_help(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    order_id = seller_order(server, market, world)
    with server.client(world["shopper"]) as c:
        cid = open_conv(c, order_id)["id"]
        cancel = say(c, cid, "Please cancel my order")
        assert cancel["message"]["intent"] == "cancel" and cancel["auto_answer"] is None
        clock = cancel["conversation"]
        assert clock["needs_human_at"] is not None
        due = dt.datetime.fromisoformat(clock["first_response_due_at"]) - dt.datetime.fromisoformat(
            clock["needs_human_at"]
        )
        assert due == dt.timedelta(hours=12)  # YC_SUPPORT_FIRST_RESPONSE_HOURS
        # A person was asked: from now on the questions go to them, not to the matcher.
        later = say(c, cid, "Where is my order?")
        assert later["auto_answer"] is None and later["message"]["intent"] == "where_is_my_order"
        assert later["conversation"]["needs_human_at"] == clock["needs_human_at"]  # the clock started once
    other = seller_order(server, market, world)
    with server.client(world["shopper"]) as c:
        cid2 = open_conv(c, other)["id"]
        person = say(c, cid2, "where is my package? I want to talk to a person")
        assert person["auto_answer"] is None and person["conversation"]["needs_human_at"] is not None
    third = seller_order(server, market, world)
    with server.client(world["shopper"]) as c:
        cid3 = open_conv(c, third)["id"]
        flagged = say(c, cid3, "Where is my order?", ask_person=True)
        assert flagged["auto_answer"] is None and flagged["conversation"]["needs_human_at"] is not None
    with server.client(world["seller"]) as c:
        waiting = c.get("/v1/conversations", params={"awaiting_response": "true"}).json()["items"]
        assert sorted(x["id"] for x in waiting) == sorted([cid, cid2, cid3])
        say(c, cid, "Cancelled: you will not be charged.")
        waiting = c.get("/v1/conversations", params={"awaiting_response": "true"}).json()["items"]
        assert sorted(x["id"] for x in waiting) == sorted([cid2, cid3])
