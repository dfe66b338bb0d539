"""Live rooms through real HTTP: on air once, pin one anchored listing at a time, end once; the feed shows
a room while it is on air, opening the room on the pinned listing's card."""

from __future__ import annotations

from sqlalchemy import select, update

from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.models import Variant
from yellowcart.inventory.models import Stock


def _pid(market: Market, sku: str) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(select(Variant.product_id).where(Variant.sku == sku)) or 0)


def test_live_room_lifecycle_and_pins(server: LiveServer, market: Market) -> None:
    seller = market.seller("s")
    a, b, c_ = (_pid(market, market.product(seller)) for _ in range(3))
    host = market.user("host", Role.CREATOR)
    market.affiliate("host", a, b)  # a creator tags listings of its affiliate showcase
    with server.client(host) as c:
        room = c.post(
            "/v1/content", json={"kind": "live", "title": "Drop", "product_ids": [a, b], "scheduled_at": None}
        ).json()
        rid = room["id"]
        assert room["live_state"] == "scheduled" and room["status"] == "draft"
        early = c.patch(f"/v1/content/{rid}", json={"pinned_product_id": a})
        assert early.status_code == 409  # not on air yet
        on = c.patch(f"/v1/content/{rid}", json={"live_state": "live", "pinned_product_id": a})
        assert on.status_code == 200, on.text
        assert on.json()["status"] == "published" and on.json()["pinned_product_id"] == a
        assert c.patch(f"/v1/content/{rid}", json={"pinned_product_id": c_}).status_code == 422  # not anchored
        assert c.patch(f"/v1/content/{rid}", json={"pinned_product_id": b}).json()["pinned_product_id"] == b
        assert c.patch(f"/v1/content/{rid}", json={"pinned_product_id": None}).json()["pinned_product_id"] is None
        ended = c.patch(f"/v1/content/{rid}", json={"live_state": "ended"}).json()
        assert ended["live_state"] == "ended" and ended["pinned_product_id"] is None
        back = c.patch(f"/v1/content/{rid}", json={"live_state": "live"})
        assert back.status_code == 409 and back.headers["content-type"].startswith("application/problem+json")
        video = c.post("/v1/content", json={"title": "v", "duration_s": 10, "product_ids": [a]}).json()
        assert c.patch(f"/v1/content/{video['id']}", json={"live_state": "live"}).status_code == 422
    with server.client(market.user("other", Role.CREATOR)) as c:
        assert c.patch(f"/v1/content/{rid}", json={"live_state": "live"}).status_code == 404


def test_feed_shows_a_room_while_on_air(server: LiveServer, market: Market) -> None:
    sellers = [market.seller(f"s{i}") for i in range(4)]
    plain = [_pid(market, market.product(sellers[i % 4])) for i in range(12)]
    pinned = _pid(market, market.product(sellers[0], title="Live deal"))
    host = market.user("host", Role.CREATOR)
    market.affiliate("host", pinned)
    with server.client(host) as c:
        room = c.post("/v1/content", json={"kind": "live", "title": "Deals now", "product_ids": [pinned]}).json()
        c.patch(f"/v1/content/{room['id']}", json={"live_state": "live", "pinned_product_id": pinned})
    server.container.feed_signals.invalidate()  # what a refresh period (10 s) does by itself
    with server.client() as anon:
        items = {i["product"]["id"]: i for i in anon.get("/v1/feed", params={"limit": 20}).json()["items"]}
    assert pinned in items and items[pinned]["kind"] == "live"
    assert items[pinned]["content"]["id"] == room["id"] and items[pinned]["why"]["sources"]["live"] == 1.0
    assert plain  # the rest of the catalogue fills the page
    with market.db.transaction() as s:  # sold out while on air: never shown, even before a refresh
        variant = s.scalar(select(Variant.id).where(Variant.product_id == pinned))
        s.execute(update(Stock).where(Stock.variant_id == variant).values(on_hand=0, reserved=0))
    with server.client() as anon:
        ids = [i["product"]["id"] for i in anon.get("/v1/feed", params={"limit": 20}).json()["items"]]
    assert pinned not in ids
    with server.client(host) as c:
        c.patch(f"/v1/content/{room['id']}", json={"live_state": "ended"})
    with market.db.transaction() as s:
        s.execute(update(Stock).where(Stock.variant_id == variant).values(on_hand=5))
    server.container.feed_signals.invalidate()
    with server.client() as anon:
        items = {i["product"]["id"]: i for i in anon.get("/v1/feed", params={"limit": 20}).json()["items"]}
    assert "live" not in items[pinned]["why"]["sources"]  # off air: an ordinary card again
    assert items[pinned]["kind"] == "product" and items[pinned]["content"] is None
