"""GET /v1/feed through real HTTP: interest moves the very next page, nothing unsellable, hidden or
already seen appears, pages stay diverse, a new listing is in the feed at once."""

from __future__ import annotations

from sqlalchemy import select

from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.models import ProductStatus, Variant
from yellowcart.db import utcnow


def _pid(market: Market, sku: str) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(select(Variant.product_id).where(Variant.sku == sku)) or 0)


def _events(c, *rows: tuple[str, int]) -> None:  # type: ignore[no-untyped-def]
    now = utcnow().isoformat()
    body = [
        {
            "client_event_id": f"t-{i}-{kind}-{pid}",
            "type": kind,
            "product_id": pid,
            "occurred_at": now,
            **({"watch_ms": 5000} if kind == "view" else {}),
        }
        for i, (kind, pid) in enumerate(rows)
    ]
    r = c.post("/v1/events", json={"events": body})
    assert r.status_code == 200 and not r.json()["rejected"], r.text


def _feed(c, **params):  # type: ignore[no-untyped-def]
    r = c.get("/v1/feed", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_tap_changes_the_next_page(server: LiveServer, market: Market) -> None:
    sellers = [market.seller(f"s{i}") for i in range(6)]
    beauty = [_pid(market, market.product(sellers[i % 3], category="beauty")) for i in range(6)]
    garden = [_pid(market, market.product(sellers[3 + i % 3], category="garden", title="Trowel")) for i in range(6)]
    shopper = market.user("ann", Role.SHOPPER)
    server.container.feed_signals.invalidate()
    with server.client(shopper) as c:
        before = _feed(c, limit=4)
        _events(c, ("view", garden[0]), ("like", garden[0]), ("cart_tap", garden[1]))
        after = _feed(c, limit=4)
    top = [item["product"]["id"] for item in after["items"]]
    assert set(top) <= set(garden), (top, before)
    assert after["items"][0]["why"]["sources"].get("interest") == 1.0
    assert set(beauty)  # the other category is still there for later pages


def test_never_unsellable_hidden_or_repeated(server: LiveServer, market: Market) -> None:
    sellers = [market.seller(f"s{i}") for i in range(5)]
    ok = [_pid(market, market.product(sellers[i % 5])) for i in range(10)]
    empty = _pid(market, market.product(sellers[0], stock=0))
    draft = _pid(market, market.product(sellers[1], status=ProductStatus.DRAFT))
    redirect = _pid(market, market.product(sellers[2], stock=0, mode="redirect"))  # type: ignore[arg-type]
    few = _pid(market, market.product(sellers[3], stock=3))
    shopper = market.user("bo", Role.SHOPPER)
    states: dict[int, str] = {}
    with server.client(shopper) as c:
        _events(c, ("hide", ok[0]))
        seen: list[int] = []
        cursor = None
        for _ in range(6):
            page = _feed(c, limit=3, **({"cursor": cursor} if cursor else {}))
            ids = [i["product"]["id"] for i in page["items"]]
            states |= {i["product"]["id"]: i["product"]["stock_state"] for i in page["items"]}
            per_seller = [i["product"]["seller_id"] for i in page["items"]]
            assert all(per_seller.count(s) <= 2 for s in per_seller)
            seen += ids
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert c.get("/v1/feed", params={"cursor": "garbage!"}).status_code == 422
    assert len(seen) == len(set(seen))
    assert empty not in seen and draft not in seen and ok[0] not in seen
    assert redirect in seen  # the seller's store holds the stock
    assert states[redirect] == "seller_store" and states[few] == "low_stock" and states[ok[1]] == "in_stock"
    assert set(ok[1:]) <= set(seen)


def test_anonymous_trending_and_new_listing_at_once(server: LiveServer, market: Market) -> None:
    seller_ids = [market.seller(f"s{i}") for i in range(4)]
    quiet = _pid(market, market.product(seller_ids[0]))
    hot = _pid(market, market.product(seller_ids[1]))
    with server.client(market.user("fan", Role.SHOPPER)) as c:
        _events(c, *[("add_to_cart", hot)] * 1, ("like", hot), ("view", hot))
    server.container.feed_signals.invalidate()
    with server.client() as c:
        page = _feed(c, limit=10)
        ids = [i["product"]["id"] for i in page["items"]]
        assert ids.index(hot) < ids.index(quiet)
        assert page["items"][0]["why"]["sources"].get("trending") == 1.0
        brand_new = _pid(market, market.product(seller_ids[2], title="Just listed"))
        server.container.feed_signals.invalidate()  # what a refresh period (10 s) does by itself
        again = [i for i in _feed(c, limit=10)["items"] if i["product"]["id"] == brand_new]
    assert again and again[0]["why"]["sources"].get("new") == 1.0


def test_followed_creator_content_reaches_the_feed(server: LiveServer, market: Market) -> None:
    sellers = [market.seller(f"s{i}") for i in range(4)]
    usual = [_pid(market, market.product(sellers[i % 2], category="beauty")) for i in range(8)]
    control = _pid(market, market.product(sellers[2], category="garden", title="Plain trowel"))
    tagged = _pid(market, market.product(sellers[3], category="garden", title="Creator pick"))
    creator = market.user("cr", Role.CREATOR)
    market.affiliate("cr", tagged)
    with server.client(creator) as c:
        video = {"title": "Garden haul", "duration_s": 30, "product_ids": [tagged], "status": "published"}
        assert c.post("/v1/content", json=video).status_code == 201
    shopper = market.user("fan", Role.SHOPPER)
    with server.client(shopper) as c:
        _events(c, ("like", usual[0]))
        before = {i["product"]["id"]: i for i in _feed(c, limit=20)["items"]}
        follow = {
            "client_event_id": "f1",
            "type": "follow",
            "target_user_id": market.users["cr"],
            "occurred_at": utcnow().isoformat(),
        }
        assert c.post("/v1/events", json={"events": [follow]}).json()["accepted"] == 1
        after = [i["product"]["id"] for i in _feed(c, limit=20)["items"]]
        picked = {i["product"]["id"]: i for i in _feed(c, limit=20)["items"]}
    assert "followed" not in before[tagged]["why"]["sources"]
    assert picked[tagged]["why"]["sources"]["followed"] == 1.0
    assert after.index(tagged) < after.index(control)  # following the creator lifts what they tag
    assert picked[tagged]["kind"] == "video"  # shown through the creator's video


def test_hostile_cursor_is_refused_without_inflating(server: LiveServer, market: Market) -> None:
    import base64
    import zlib

    bomb = base64.urlsafe_b64encode(zlib.compress(b"[" + b"1," * 1_000_000 + b"1]", 9)).decode().rstrip("=")
    assert len(bomb) < 4096  # fits the query parameter limit, inflates to 2 MB
    with server.client() as c:
        r = c.get("/v1/feed", params={"cursor": bomb})
        assert r.status_code == 422 and r.json()["field"] == "cursor"
