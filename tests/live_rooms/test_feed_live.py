"""Live rooms in the feed loop (the feed's own tests cover the room's card while on air): watching a
room and tapping its yellow cart are interactions like any other, so the next page of that shopper's
feed follows them."""

from __future__ import annotations

from live_rooms.room_world import product_id
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.db import utcnow


def test_watching_a_room_moves_the_next_page(server: LiveServer, market: Market) -> None:
    sellers = [market.seller(f"s{i}") for i in range(6)]
    beauty = [product_id(market, market.product(sellers[i % 3], category="beauty")) for i in range(6)]
    garden = [
        product_id(market, market.product(sellers[3 + i % 3], category="garden", title="Trowel")) for i in range(6)
    ]
    host = market.user("host", Role.SELLER, seller_id=sellers[3])  # a garden seller live with its own listings
    tagged = [garden[0], garden[3]]
    with server.client(host) as c:
        made = c.post("/v1/content", json={"kind": "live", "title": "Garden live", "product_ids": tagged})
        assert made.status_code == 201, made.text
        room = made.json()
        assert c.patch(f"/v1/content/{room['id']}", json={"live_state": "live"}).status_code == 200
    server.container.feed_signals.invalidate()
    now = utcnow().isoformat()
    events = [  # only the room: the listing behind it is the room's first anchor
        {"client_event_id": "w1", "type": "view", "content_id": room["id"], "watch_ms": 90_000, "occurred_at": now},
        {"client_event_id": "t1", "type": "cart_tap", "content_id": room["id"], "occurred_at": now},
        {
            "client_event_id": "t2",
            "type": "cart_tap",
            "content_id": room["id"],
            "product_id": garden[1],
            "occurred_at": now,
        },
    ]
    with server.client(market.user("ann", Role.SHOPPER)) as c:
        before = [i["product"]["id"] for i in c.get("/v1/feed", params={"limit": 4}).json()["items"]]
        r = c.post("/v1/events", json={"events": events})
        assert r.status_code == 200 and r.json()["accepted"] == 3, r.text
        after = c.get("/v1/feed", params={"limit": 4}).json()["items"]
    top = [i["product"]["id"] for i in after]
    assert set(top) <= set(garden), (top, before)
    assert set(tagged) & set(top)  # what the room sells leads
    assert any(i["why"]["sources"].get("interest") or i["why"]["sources"].get("again") for i in after)
    assert set(beauty)
