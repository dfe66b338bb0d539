"""The room stream over real HTTP (SSE): a snapshot first, then only what changed (a pin, a viewer, a
deal event), pings, Last-Event-ID resumption, the end of the room; on both backends (in-process
broker on SQLite, LISTEN/NOTIFY on PostgreSQL)."""

from __future__ import annotations

import dataclasses
import secrets

from sqlalchemy import update

from live_rooms.room_world import Room, Sse, buy_deal, drain, room_on_air, sse_client, start_deal
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.events import emit
from yellowcart.live.deal_models import LiveDeal


def _open(server: LiveServer, room: Room, **params: str):  # type: ignore[no-untyped-def]
    client = sse_client(server)
    return client, client.stream("GET", f"/v1/live-rooms/{room.id}/stream", params=params)


def test_snapshot_then_pin_update_then_end(server: LiveServer, market: Market) -> None:
    room = room_on_air(server, market, products=2)
    session = secrets.token_urlsafe(16)
    client, stream = _open(server, room, session=session)
    with client, stream as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        sse = Sse(response)
        first = sse.next()
        assert first["event"] == "snapshot" and first["data"]["live_state"] == "live"
        assert [p["product_id"] for p in first["data"]["products"]] == room.products
        assert first["data"]["pinned_product_id"] is None
        sse.until(lambda s: s["viewers"] == 1)  # the stream joined the room with its session
        with server.client(room.host) as host:
            assert host.patch(f"/v1/content/{room.id}", json={"pinned_product_id": room.products[1]}).status_code == 200
        state = sse.until(lambda s: s["pinned_product_id"] == room.products[1])
        update = sse.events[-1]
        assert update["event"] == "update" and "ts" in update["data"] and "title" not in update["data"]
        assert [p["pinned"] for p in state["products"]] == [False, True]
        with server.client(room.host) as host:
            assert host.patch(f"/v1/content/{room.id}", json={"live_state": "ended"}).status_code == 200
        sse.until(lambda s: s["live_state"] == "ended")
        assert sse.state["pinned_product_id"] is None
        try:  # the room is over: the server ends the stream
            sse.next()
            raise AssertionError("the stream went on after the room ended")
        except EOFError:
            pass
    client2, again = _open(server, room)
    with client2, again as response:  # a reconnect after the end: told to stop (EventSource obeys 204)
        pass
    with sse_client(server) as c:
        r = c.get(f"/v1/live-rooms/{room.id}/stream", headers={"Last-Event-ID": first["id"]})
        assert r.status_code == 204


def test_deal_sales_reach_viewers(server: LiveServer, market: Market) -> None:
    server.container.live.config = dataclasses.replace(server.container.live.config, heartbeat_seconds=60)
    room = room_on_air(server, market, products=2)
    deal = start_deal(server, room, quantity=5, price_cents=600)
    shopper = market.user("ann", Role.SHOPPER)
    client, stream = _open(server, room)
    with client, stream as response:
        sse = Sse(response)
        snap = sse.next()["data"]
        assert [(d["deal_id"], d["remaining"], d["price_cents"]) for d in snap["deals"]] == [(deal, 5, 600)]
        assert [p["deal_id"] for p in snap["products"]] == [deal, None]
        assert snap["orders"] == {"count": 0, "units": 0, "gmv_cents": 0}
        assert buy_deal(server, shopper, room, deal, quantity=2).status_code == 201
        # no outbox worker here: the sale is told right after the order's commit (the sales watch)
        state = sse.until(lambda s: s["orders"]["count"] == 1)
        assert state["deals"][0]["remaining"] == 3 and state["orders"] == {"count": 1, "units": 2, "gmv_cents": 1200}
        update = sse.events[-1]["data"]
        assert set(update) <= {"deals", "orders", "products", "viewers", "ts", "server_time"}  # no product list churn
        assert "products" not in update
        with server.client() as anon:  # the product list: the deal's price and what is left of it
            items = anon.get(f"/v1/live-rooms/{room.id}/products").json()["items"]
        assert [(i["deal_id"], i["deal_price_cents"], i["deal_remaining"], i["price_cents"]) for i in items] == [
            (deal, 600, 3, 1000),
            (None, None, None, 2000),
        ]
        with server.client(room.host) as host:
            assert host.post(f"/v1/live-rooms/{room.id}/deals/{deal}/end").status_code == 200
        sse.until(lambda s: s["deals"] == [] and s["products"][0]["deal_id"] is None)


def test_outbox_events_reach_viewers(server: LiveServer, market: Market) -> None:
    """A change only an outbox event announces (here: a deal's units changed behind the hub's back)
    reaches viewers once the worker delivers the event; heartbeats are slowed so only the event can."""
    server.container.live.config = dataclasses.replace(server.container.live.config, heartbeat_seconds=60)
    room = room_on_air(server, market, products=1)
    deal = start_deal(server, room, quantity=5, price_cents=600)
    client, stream = _open(server, room)
    with client, stream as response:
        sse = Sse(response)
        assert sse.next()["data"]["deals"][0]["remaining"] == 5
        with server.container.db.transaction() as s:
            s.execute(update(LiveDeal).where(LiveDeal.id == deal).values(remaining=4))
            emit(s, "live.deal_sold", deal_id=deal, room_id=room.id, remaining=4, quantity=1)
        drain(server)  # the handler publishes after the worker's commit
        assert sse.until(lambda s: s["deals"][0]["remaining"] == 4)["orders"]["count"] == 0


def test_pings_keep_the_stream_open(server: LiveServer, market: Market) -> None:
    room = room_on_air(server, market, products=1)
    client, stream = _open(server, room)
    with client, stream as response:
        sse = Sse(response)
        sse.next()
        while sse.pings < 2:  # every heartbeat (1 s here) also re-reads the room: lost hints heal
            sse.next()
        assert sse.state["live_state"] == "live"


def test_last_event_id_resumes_on_the_same_process(server: LiveServer, market: Market) -> None:
    room = room_on_air(server, market, products=2)
    client, stream = _open(server, room)
    with client, stream as response:
        sse = Sse(response)
        snap = sse.next()
        with server.client(room.host) as host:
            host.patch(f"/v1/content/{room.id}", json={"pinned_product_id": room.products[0]})
        sse.until(lambda s: s["pinned_product_id"] == room.products[0])
        with server.client(room.host) as host:
            host.patch(f"/v1/content/{room.id}", json={"pinned_product_id": room.products[1]})
        sse.until(lambda s: s["pinned_product_id"] == room.products[1])
        # a second viewer resumes after the snapshot: it gets the two updates, no snapshot
        client2, resumed = sse_client(server), None
        with (
            client2,
            client2.stream("GET", f"/v1/live-rooms/{room.id}/stream", headers={"Last-Event-ID": snap["id"]}) as again,
        ):
            replay = Sse(again)
            replay.state = dict(snap["data"])
            got = [replay.next(), replay.next()]
            assert [e["event"] for e in got] == ["update", "update"]
            assert replay.state["pinned_product_id"] == room.products[1]
            assert resumed is None
        with (
            sse_client(server) as c3,
            c3.stream("GET", f"/v1/live-rooms/{room.id}/stream", headers={"Last-Event-ID": "elsewhere.3"}) as other,
        ):
            assert Sse(other).next()["event"] == "snapshot"  # an id from another process: a fresh snapshot


def test_stream_refuses_unknown_drafts_and_bad_sessions(server: LiveServer, market: Market) -> None:
    draft = room_on_air(server, market, products=1, live=False, host="drafter")  # scheduled, still a draft
    with sse_client(server) as c:
        assert c.get("/v1/live-rooms/999999/stream").status_code == 404
        r = c.get(f"/v1/live-rooms/{draft.id}/stream")
        assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
        assert c.get(f"/v1/live-rooms/{draft.id}/stream", params={"session": "short"}).status_code == 422
    with server.client(market.user("maker", Role.CREATOR)) as c:
        video = c.post("/v1/content", json={"title": "v", "duration_s": 10, "status": "published"}).json()
        assert c.get(f"/v1/live-rooms/{video['id']}").status_code == 404  # a video is not a room
