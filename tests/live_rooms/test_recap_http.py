"""The host's recap against a hand-built room history: viewers per minute from visits (one person on
two visits is one viewer), cart taps from the interaction log, orders and GMV from the room's deal
sales, conversion per mille, top products; as JSON and as a server-rendered SVG chart."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from live_rooms.room_world import buy_deal, room_on_air, start_deal
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.db import utcnow
from yellowcart.interactions.models import EventType, InteractionEvent
from yellowcart.live.room_models import RoomRun, RoomVisit


def _history(market: Market, room_id: int, products: list[int], t0: dt.datetime) -> None:
    ann, bob = market.users["ann"], market.users["bob"]

    def at(minutes: int, seconds: int = 0) -> dt.datetime:
        return t0 + dt.timedelta(minutes=minutes, seconds=seconds)

    visits = [  # (user, session, joined, last seen, left)
        (ann, "s-ann-tab-1-xxxxxxxx", at(0, 30), at(3, 10), at(3, 10)),
        (None, "s-anon-1-xxxxxxxxxxx", at(1), at(1, 20), at(1, 20)),
        (ann, "s-ann-tab-2-xxxxxxxx", at(5), at(6), at(6)),  # ann again: still one viewer
        (None, "s-anon-2-xxxxxxxxxxx", at(2, 59), at(4), None),  # tab closed, not swept yet
    ]
    taps = [(ann, products[0]), (ann, products[0]), (bob, products[0]), (bob, products[1])]
    with market.db.transaction() as s:
        s.add(RoomRun(content_id=room_id, started_at=t0, ended_at=at(10)))
        for user, key, joined, seen, left in visits:
            s.add(
                RoomVisit(
                    content_id=room_id, session_key=key, user_id=user, joined_at=joined, last_seen_at=seen, left_at=left
                )
            )
        for i, (user, product) in enumerate(taps):
            s.add(
                InteractionEvent(
                    user_id=user,
                    client_event_id=f"tap-{i}",
                    type=EventType.CART_TAP,
                    content_id=room_id,
                    product_id=product,
                    occurred_at=at(2),
                )
            )
        # a tap elsewhere (no room) is not the room's
        s.add(
            InteractionEvent(
                user_id=bob, client_event_id="tap-x", type=EventType.CART_TAP, product_id=products[1], occurred_at=at(2)
            )
        )


def test_recap_numbers_and_chart(server: LiveServer, market: Market) -> None:
    room = room_on_air(server, market, products=2)
    deal = start_deal(server, room, quantity=10, price_cents=600)
    ann, bob = market.user("ann", Role.SHOPPER), market.user("bob", Role.SHOPPER)
    assert buy_deal(server, ann, room, deal, quantity=2).status_code == 201
    assert buy_deal(server, bob, room, deal, quantity=1).status_code == 201
    t0 = (utcnow() - dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    _history(market, room.id, room.products, t0)
    with server.client(room.host) as host:
        r = host.get(f"/v1/live-rooms/{room.id}/recap")
        assert r.status_code == 200, r.text
        recap = r.json()
        chart = host.get(f"/v1/live-rooms/{room.id}/recap.svg")
    per_minute = [m["viewers"] for m in recap["viewers_per_minute"]]
    assert per_minute == [1, 2, 2, 2, 1, 1, 1, 0, 0, 0, 0]
    assert dt.datetime.fromisoformat(recap["viewers_per_minute"][0]["minute"]) == t0
    assert (recap["unique_viewers"], recap["peak_viewers"]) == (3, 2)
    assert recap["watch_seconds"] == 160 + 20 + 60 + 61
    assert (recap["cart_taps"], recap["orders"], recap["units"], recap["gmv_cents"]) == (4, 2, 3, 1800)
    assert recap["conversion_per_mille"] == round(1000 * 2 / 3, 3)
    top = [(p["product_id"], p["orders"], p["units"], p["gmv_cents"], p["cart_taps"]) for p in recap["top_products"]]
    assert top == [(room.products[0], 2, 3, 1800, 3), (room.products[1], 0, 0, 0, 1)]
    assert chart.status_code == 200 and chart.headers["content-type"].startswith("image/svg+xml")
    svg = ET.fromstring(chart.text)  # well-formed XML, no script, text escaped
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "Recap · Friday drop" in texts and "peak 2" in texts and "$18.00" in texts
    assert not list(svg.iter("{http://www.w3.org/2000/svg}script"))


def test_only_the_host_and_operators_see_the_recap(server: LiveServer, market: Market) -> None:
    room = room_on_air(server, market, products=1)
    with server.client() as anon:
        assert anon.get(f"/v1/live-rooms/{room.id}/recap").status_code == 401
    with server.client(market.user("nosy", Role.CREATOR)) as c:
        assert c.get(f"/v1/live-rooms/{room.id}/recap").status_code == 404
        assert c.get(f"/v1/live-rooms/{room.id}/recap.svg").status_code == 404
    with server.client(market.user("op", Role.OPERATOR)) as c:
        recap = c.get(f"/v1/live-rooms/{room.id}/recap").json()
    assert recap["unique_viewers"] == 0 and recap["conversion_per_mille"] is None and recap["top_products"] == []
