"""Content through real HTTP: creators tag active listings of their showcase, sellers only their own; drafts stay
private."""

from __future__ import annotations

from sqlalchemy import select

from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.models import ProductStatus, Variant


def _pid(market: Market, sku: str) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(select(Variant.product_id).where(Variant.sku == sku)) or 0)


def test_creator_publishes_video_with_anchors(server: LiveServer, market: Market) -> None:
    mine, other = market.seller("mine"), market.seller("other")
    p1, p2 = _pid(market, market.product(mine)), _pid(market, market.product(other))
    draft = _pid(market, market.product(other, status=ProductStatus.DRAFT))
    creator = market.user("cr", Role.CREATOR)
    market.affiliate("cr", p1, p2)  # creators tag listings of their affiliate showcase (tests/creators)
    body = {
        "title": "My glow routine",
        "hashtags": ["Skincare", "GRWM"],
        "duration_s": 45,
        "product_ids": [p1, p2],
        "status": "published",
    }
    with server.client(creator) as c:
        r = c.post("/v1/content", json=body)
        assert r.status_code == 201, r.text
        video = r.json()
        assert [a["product_id"] for a in video["anchors"]] == [p1, p2]
        assert video["hashtags"] == ["skincare", "grwm"] and video["published_at"]
        bad = c.post("/v1/content", json={**body, "product_ids": [draft]})
        assert bad.status_code == 422 and bad.json()["product_ids"] == [draft]
        assert c.post("/v1/content", json={**body, "duration_s": None}).status_code == 422
    with server.client(market.user("seller", Role.SELLER, mine)) as c:
        assert c.post("/v1/content", json={**body, "product_ids": [p2]}).status_code == 403
        own = c.post("/v1/content", json={**body, "product_ids": [p1], "status": "draft"})
        assert own.status_code == 201 and own.json()["seller_id"] == mine
        draft_id = own.json()["id"]
    with server.client(market.user("shopper", Role.SHOPPER)) as c:
        assert c.post("/v1/content", json=body).status_code == 403
        assert c.get(f"/v1/content/{video['id']}").status_code == 200
        assert c.get(f"/v1/content/{draft_id}").status_code == 404
        assert c.patch(f"/v1/content/{video['id']}", json={"title": "mine now"}).status_code == 404
    with server.client(creator) as c:
        removed = c.patch(f"/v1/content/{video['id']}", json={"status": "removed"})
        assert removed.status_code == 200 and removed.json()["status"] == "removed"
    with server.client() as c:
        assert c.get(f"/v1/content/{video['id']}").status_code == 404


def test_naive_schedule_time_is_a_clear_422(server: LiveServer, market: Market) -> None:
    with server.client(market.user("host", Role.CREATOR)) as c:
        live = {"kind": "live", "title": "Friday drop", "scheduled_at": "2026-12-01T18:00:00"}
        r = c.post("/v1/content", json=live)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "scheduled_at"
        ok = c.post("/v1/content", json={**live, "scheduled_at": "2026-12-01T18:00:00Z"})
        assert ok.status_code == 201 and ok.json()["live_state"] == "scheduled"
