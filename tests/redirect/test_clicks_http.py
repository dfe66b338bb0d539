"""Tracked clicks through real HTTP on SQLite and PostgreSQL: anonymous and known shoppers, taps from
content (creator credit), the /r/ hop with UTM parameters, and what shoppers never see."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from redirect.redirect_world import STORE_URL, click, open_shop, product_id_of, set_store_url
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.modes import SellingMode
from yellowcart.interactions.models import EventType, InteractionEvent
from yellowcart.redirect.models import RedirectClick


def _hop(server: LiveServer, path: str) -> tuple[int, str]:
    with server.client(follow_redirects=False) as c:
        r = c.get(path)
    return r.status_code, r.headers.get("location", r.text)


def test_anonymous_click_hops_to_the_store_with_utm_and_keeps_its_query(server: LiveServer, market: Market) -> None:
    shop = open_shop(server, market, "acme")
    made = click(server, shop.product_id)
    assert made["medium"] == "product_page" and made["url"] == f"{server.base_url}/r/{made['click_id']}"
    status, location = _hop(server, f"/r/{made['click_id']}")
    assert status == 302
    assert location.startswith("https://acme-store.example.com/products/glow-serum?variant=42&ref=a%20b&")
    query = parse_qs(urlsplit(location).query)
    assert query["utm_source"] == ["yellowcart"] and query["utm_medium"] == ["product_page"]
    assert query["utm_campaign"] == [f"product-{shop.product_id}"] and query["yc_click"] == [made["click_id"]]
    with market.db.transaction() as s:
        row = s.get_one(RedirectClick, made["click_id"])
        assert (row.shopper_id, row.seller_id, row.content_id) == (None, shop.seller_id, None)
        assert row.user_agent_hash and len(row.user_agent_hash) == 64 and "test-agent" not in row.user_agent_hash
        assert s.scalar(select(InteractionEvent.id)) is None  # nobody to attribute an interaction to


def test_a_tap_in_a_video_credits_its_creator_and_is_a_shopper_interaction(server: LiveServer, market: Market) -> None:
    shop = open_shop(server, market, "acme")
    creator, shopper = market.user("cr", Role.CREATOR), market.user("ada", Role.SHOPPER)
    market.affiliate("cr", shop.product_id)
    video = {"title": "Glow routine", "duration_s": 30, "product_ids": [shop.product_id], "status": "published"}
    with server.client(creator) as c:
        content_id = c.post("/v1/content", json=video).json()["id"]
        untagged = c.post("/v1/content", json={**video, "product_ids": []}).json()["id"]
    made = click(server, shop.product_id, shopper, content_id=content_id)
    assert made["medium"] == "video"
    _, location = _hop(server, f"/r/{made['click_id']}")
    assert parse_qs(urlsplit(location).query)["utm_campaign"] == [f"content-{content_id}"]
    with market.db.transaction() as s:
        row = s.get_one(RedirectClick, made["click_id"])
        assert (row.creator_user_id, row.shopper_id) == (market.users["cr"], market.users["ada"])
        taps = s.execute(select(InteractionEvent.type, InteractionEvent.user_id, InteractionEvent.content_id)).all()
        assert taps == [(EventType.CART_TAP, market.users["ada"], content_id)]
    with server.client(shopper) as c:
        r = c.post(f"/v1/products/{shop.product_id}/redirect-clicks", json={"content_id": untagged})
        assert r.status_code == 422 and r.json()["code"] == "content_not_tagging_product"
        assert c.post(f"/v1/products/{shop.product_id}/redirect-clicks", json={"source": "video"}).status_code == 422


def test_click_refusals_and_unknown_links(server: LiveServer, market: Market) -> None:
    shop = open_shop(server, market, "acme")
    in_app = market.product(shop.seller_id, mode=SellingMode.SELLER_FULFILLED)
    with server.client() as c:
        r = c.post(f"/v1/products/{product_id_of(market, in_app)}/redirect-clicks", json={})
        assert r.status_code == 409 and r.json()["product_url"] == f"/products/{product_id_of(market, in_app)}"
        assert c.post("/v1/products/999999/redirect-clicks", json={}).status_code == 404
    for path in ("/r/AAAAAAAAAAAAAAAAAAAAAA", "/r/short", "/r/" + "x" * 300):
        status, body = _hop(server, path)
        assert status == 404 and "find that link" in body


def test_a_stored_plain_http_link_is_never_followed(server: LiveServer, market: Market) -> None:
    shop = open_shop(server, market, "acme")
    made = click(server, shop.product_id)
    set_store_url(market, shop.product_id, "http://acme-store.example.com/p")
    status, body = _hop(server, f"/r/{made['click_id']}")
    assert status == 410 and "no longer available" in body
    set_store_url(market, shop.product_id, STORE_URL)
    assert _hop(server, f"/r/{made['click_id']}")[0] == 302


def test_shoppers_see_the_tracked_entry_point_not_the_store_url(server: LiveServer, market: Market) -> None:
    shop = open_shop(server, market, "acme")
    with server.client() as c:
        public = c.get(f"/v1/products/{shop.product_id}").json()
        page = c.get(f"/products/{shop.product_id}").text
    assert public["redirect_url"] is None
    assert public["redirect_click"] == f"/v1/products/{shop.product_id}/redirect-clicks"
    assert "acme-store.example.com" not in page and f'action="/products/{shop.product_id}/store"' in page
    with server.client(shop.staff) as c:
        assert c.get(f"/v1/products/{shop.product_id}").json()["redirect_url"] == STORE_URL  # the seller's own
    with server.client(follow_redirects=False) as c:
        r = c.post(f"/products/{shop.product_id}/store")
        assert r.status_code == 303 and r.headers["location"].startswith("/r/")
        hop = c.get(r.headers["location"])
        assert hop.status_code == 302 and "utm_medium=product_page" in hop.headers["location"]
