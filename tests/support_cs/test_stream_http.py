"""The conversation stream over real HTTP (Server-Sent Events) on SQLite (in-process broker) and
PostgreSQL (LISTEN/NOTIFY): a message posted by one participant reaches the other's open stream,
read receipts follow, Last-Event-ID resumes after a reconnect, and only participants may listen."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from support import LiveServer, Market
from support_cs.support_world import make_world, open_conv, say, seller_order


@pytest.fixture
def world(server: LiveServer, market: Market) -> dict[str, Any]:
    return make_world(market)


def sse_events(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """Events from an SSE line stream: {"event", "id", "data"} (comments such as pings skipped)."""
    event: dict[str, Any] = {}
    for line in lines:
        if not line:
            if event:
                yield event
            event = {}
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(": ")
            event[field] = json.loads(value) if field == "data" else value


def until(events: Iterator[dict[str, Any]], match: Any, seconds: float = 15) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    for event in events:
        if match(event):
            return event
        assert time.monotonic() < deadline, "the expected event did not come"
    raise AssertionError("the stream ended")


def test_messages_and_receipts_are_pushed(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    order_id = seller_order(server, market, world)
    with server.client(world["shopper"]) as c:
        cid = open_conv(c, order_id)["id"]
        first = say(c, cid, "hello?")["message"]
    with server.client(world["seller"]) as sc, sc.stream("GET", f"/v1/conversations/{cid}/stream") as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = sse_events(r.iter_lines())
        ready = until(events, lambda e: e.get("event") == "ready")
        assert ready["data"] == {"conversation_id": cid, "after": first["id"]}  # only what is new
        with server.client(world["shopper"]) as c:
            posted = say(c, cid, "Do you ship to Alaska?")["message"]
        got = until(events, lambda e: e.get("event") == "message")
        assert got["id"] == str(posted["id"]) and got["data"]["text"] == "Do you ship to Alaska?"
        assert got["data"]["from_me"] is False and got["data"]["sender_role"] == "shopper"
        with server.client(world["shopper"]) as c:
            answer_id = posted["id"]
            c.post(f"/v1/conversations/{cid}/read", json={"message_id": answer_id})
        with server.client(world["seller2"]) as c:
            reply = say(c, cid, "Yes, we do.")["message"]
        mine = until(events, lambda e: e.get("event") == "message" and e["data"]["id"] == reply["id"])
        assert mine["data"]["sender_role"] == "seller"
        with server.client(world["shopper"]) as c:
            c.post(f"/v1/conversations/{cid}/read", json={"message_id": reply["id"]})
        receipt = until(events, lambda e: e.get("event") == "read" and e["data"]["shopper"] == reply["id"])
        assert receipt["data"]["counterpart"] == reply["id"]  # the writer has read its own message
        with server.client(world["operator"]) as c:
            c.post(f"/v1/conversations/{cid}/escalate", json={"reason": "shipping question"})
        status = until(events, lambda e: e.get("event") == "status" and e["data"]["escalated_at"] is not None)
        assert status["data"]["status"] == "open"
    # A reconnect with Last-Event-ID gets what came after it, oldest first.
    with server.client(world["shopper"]) as c:
        headers = {"Last-Event-ID": str(first["id"])}
        with c.stream("GET", f"/v1/conversations/{cid}/stream", headers=headers) as r:
            events = sse_events(r.iter_lines())
            replayed = [until(events, lambda e: e.get("event") == "message")["data"]["id"] for _ in range(2)]
            assert replayed == [posted["id"], reply["id"]]


def test_only_participants_listen(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    order_id = seller_order(server, market, world)
    with server.client(world["shopper"]) as c:
        cid = open_conv(c, order_id)["id"]
    for who in ("stranger", "other_shopper", "creator"):
        with server.client(world[who]) as c:
            r = c.get(f"/v1/conversations/{cid}/stream")
            assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    with server.client() as c:
        assert c.get(f"/v1/conversations/{cid}/stream").status_code == 401
    with server.client(world["shopper"]) as c:
        assert c.get(f"/v1/conversations/{cid}/stream", headers={"Last-Event-ID": "x"}).status_code == 422
