"""Products through real HTTP on SQLite and PostgreSQL: given sellers and categories, when sellers and
operators create and edit products, then ownership, visibility and validation hold and a refused
request writes nothing."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.models import Product, Variant
from yellowcart.sellers.models import SellerStatus


def _categories(server: LiveServer, market: Market) -> str:
    """Operator token; categories beauty > skin-care and home exist."""
    ops = market.user("ops", Role.OPERATOR)
    with server.client(ops) as c:
        c.post("/v1/categories", json={"slug": "beauty", "name": "Beauty"}).raise_for_status()
        c.post("/v1/categories", json={"slug": "skin-care", "name": "Skin care", "parent": "beauty"}).raise_for_status()
        c.post("/v1/categories", json={"slug": "home", "name": "Home"}).raise_for_status()
    return ops


def _body(sku: str = "SER-1", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Hydrating serum",
        "description": "Hyaluronic acid serum for dry skin",
        "brand": "Glow",
        "category": "skin-care",
        "status": "active",
        "media": [{"type": "image", "url": "https://cdn.example.com/serum.jpg"}],
        "variants": [
            {
                "sku": sku,
                "options": {"size": "30ml"},
                "price_cents": 1999,
                "compare_at_cents": 2499,
                "weight_grams": 120,
            }
        ],
    }
    body.update(overrides)
    return body


def _counts(market: Market) -> tuple[int, int]:
    with market.db.transaction() as s:
        return s.scalar(select(func.count(Product.id))) or 0, s.scalar(select(func.count(Variant.id))) or 0


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def test_seller_creates_product_for_its_own_account(server: LiveServer, market: Market) -> None:
    _categories(server, market)
    acme = market.seller("acme")
    seller = market.user("acme-staff", Role.SELLER, acme)
    with server.client(seller) as c:
        r = c.post("/v1/products", json=_body())
    assert r.status_code == 201, r.text
    product = r.json()
    assert product["seller"] == {"id": acme, "name": "acme"}
    assert product["selling_mode"] == "seller_fulfilled"  # the seller's default
    assert product["redirect_url"] is None
    assert product["category"]["path"] == "beauty/skin-care/"
    assert product["media"] == [{"type": "image", "url": "https://cdn.example.com/serum.jpg", "alt": None}]
    (variant,) = product["variants"]
    assert variant == {
        "sku": "SER-1",
        "options": {"size": "30ml"},
        "price_cents": 1999,
        "compare_at_cents": 2499,
        "weight_grams": 120,
        "is_active": True,
        "available": 0,
    }
    with server.client() as anonymous:
        public = anonymous.get(f"/v1/products/{product['id']}")
    assert public.status_code == 200
    assert public.json()["title"] == "Hydrating serum"


def test_seller_cannot_create_for_another_seller_but_operator_can(server: LiveServer, market: Market) -> None:
    ops = _categories(server, market)
    acme, other = market.seller("acme"), market.seller("other")
    seller = market.user("acme-staff", Role.SELLER, acme)
    before = _counts(market)
    with server.client(seller) as c:
        _problem(c.post("/v1/products", json=_body(seller_id=other)), 403, "forbidden")
    assert _counts(market) == before
    with server.client(ops) as c:
        _problem(c.post("/v1/products", json=_body()), 422, "invalid_input")
        r = c.post("/v1/products", json=_body(seller_id=other))
        assert r.status_code == 201, r.text
        assert r.json()["seller"]["id"] == other
        _problem(c.post("/v1/products", json=_body("SER-9", seller_id=999_999)), 422, "unknown_seller")


def test_drafts_are_visible_only_to_their_seller_and_operators(server: LiveServer, market: Market) -> None:
    ops = _categories(server, market)
    acme, other = market.seller("acme"), market.seller("other")
    owner = market.user("acme-staff", Role.SELLER, acme)
    stranger = market.user("other-staff", Role.SELLER, other)
    shopper = market.user("ada", Role.SHOPPER)
    with server.client(owner) as c:
        draft = c.post("/v1/products", json=_body(status="draft")).json()
    path = f"/v1/products/{draft['id']}"
    for token in (None, shopper, stranger):
        with server.client(token) as c:
            _problem(c.get(path), 404, "not_found")
            assert c.get("/v1/products").json()["items"] == []
    for token in (owner, ops):
        with server.client(token) as c:
            assert c.get(path).status_code == 200
            listed = c.get("/v1/products", params={"status": "draft"}).json()["items"]
            assert [p["id"] for p in listed] == [draft["id"]]
    with server.client(stranger) as c:
        assert c.get("/v1/products", params={"status": "draft"}).json()["items"] == []
    with server.client(shopper) as c:
        _problem(c.get("/v1/products", params={"status": "draft"}), 403, "forbidden")
    with server.client() as c:
        _problem(c.get("/v1/products", params={"status": "draft"}), 401, "unauthorized")


def test_seller_cannot_touch_another_sellers_product(server: LiveServer, market: Market) -> None:
    _categories(server, market)
    acme, other = market.seller("acme"), market.seller("other")
    owner = market.user("acme-staff", Role.SELLER, acme)
    stranger = market.user("other-staff", Role.SELLER, other)
    with server.client(owner) as c:
        product = c.post("/v1/products", json=_body()).json()
    pid = product["id"]
    with server.client(stranger) as c:
        _problem(c.patch(f"/v1/products/{pid}", json={"title": "Mine now"}), 404, "not_found")
        _problem(c.put(f"/v1/products/{pid}/variants/SER-1", json={"price_cents": 1}), 404, "not_found")
        _problem(c.put(f"/v1/products/{pid}/variants/NEW-1", json={"price_cents": 1}), 404, "not_found")
        # the same answer as for a product that does not exist at all
        _problem(c.patch("/v1/products/999999", json={"title": "x"}), 404, "not_found")
    with server.client() as c:
        after = c.get(f"/v1/products/{pid}").json()
    assert after["title"] == "Hydrating serum"
    assert after["variants"][0]["price_cents"] == 1999
    assert [v["sku"] for v in after["variants"]] == ["SER-1"]


def test_suspension_is_for_operators_only(server: LiveServer, market: Market) -> None:
    ops = _categories(server, market)
    acme = market.seller("acme")
    owner = market.user("acme-staff", Role.SELLER, acme)
    with server.client(owner) as c:
        pid = c.post("/v1/products", json=_body()).json()["id"]
        _problem(c.patch(f"/v1/products/{pid}", json={"status": "suspended"}), 403, "status_not_allowed")
        r = c.patch(f"/v1/products/{pid}", json={"title": "Serum v2", "brand": None})
        assert r.status_code == 200, r.text
        assert (r.json()["title"], r.json()["brand"]) == ("Serum v2", None)
    with server.client(ops) as c:
        assert c.patch(f"/v1/products/{pid}", json={"status": "suspended"}).json()["status"] == "suspended"
    with server.client(owner) as c:
        _problem(c.patch(f"/v1/products/{pid}", json={"status": "active"}), 403, "status_not_allowed")
        assert c.patch(f"/v1/products/{pid}", json={"description": "still editable"}).status_code == 200
    with server.client() as c:
        _problem(c.get(f"/v1/products/{pid}"), 404, "not_found")


def test_duplicate_sku_is_409_and_writes_nothing(server: LiveServer, market: Market) -> None:
    _categories(server, market)
    acme, other = market.seller("acme"), market.seller("other")
    owner = market.user("acme-staff", Role.SELLER, acme)
    stranger = market.user("other-staff", Role.SELLER, other)
    with server.client(owner) as c:
        first = c.post("/v1/products", json=_body("SER-1")).json()
    before = _counts(market)
    variants = [{"sku": "NEW-1", "price_cents": 500}, {"sku": "SER-1", "price_cents": 700}]
    with server.client(stranger) as c:
        body = _problem(c.post("/v1/products", json=_body(variants=variants)), 409, "sku_taken")
        assert body["skus"] == ["SER-1"]
        second = c.post("/v1/products", json=_body("OTHER-1")).json()
        put = c.put(f"/v1/products/{second['id']}/variants/SER-1", json={"price_cents": 100})
        assert _problem(put, 409, "sku_taken")["skus"] == ["SER-1"]
    assert _counts(market) == (before[0] + 1, before[1] + 1)  # only OTHER-1's product and variant
    with market.db.transaction() as s:
        assert s.scalar(select(Variant.id).where(Variant.sku == "NEW-1")) is None
        assert s.scalar(select(Variant.product_id).where(Variant.sku == "SER-1")) == first["id"]


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"variants": [{"sku": "A-1", "price_cents": -1}]}, "validation_error", "variants.0.price_cents"),
        ({"variants": [{"sku": "A-1", "price_cents": 10_000_001}]}, "validation_error", "variants.0.price_cents"),
        (
            {"variants": [{"sku": "A-1", "price_cents": 1000, "compare_at_cents": 999}]},
            "validation_error",
            "variants.0.compare_at_cents",
        ),
        ({"variants": [{"sku": "-bad", "price_cents": 1}]}, "validation_error", "variants.0.sku"),
        ({"variants": [{"sku": "A" * 65, "price_cents": 1}]}, "validation_error", "variants.0.sku"),
        (
            {"variants": [{"sku": "A-1", "price_cents": 1, "options": {str(i): "x" for i in range(6)}}]},
            "validation_error",
            "variants.0.options",
        ),
        ({"variants": [{"sku": "A-1", "price_cents": 1, "weight_grams": 100_001}]}, "validation_error", None),
        ({"variants": [{"sku": "A-1", "price_cents": 1}, {"sku": "A-1", "price_cents": 2}]}, "validation_error", None),
        ({"variants": []}, "not_publishable", "variants"),
        ({"selling_mode": "redirect"}, "redirect_url_required", "redirect_url"),
        ({"redirect_url": "https://shop.example.com/p/1"}, "redirect_url_not_allowed", "redirect_url"),
        ({"selling_mode": "redirect", "redirect_url": "http://shop.example.com/p"}, "validation_error", "redirect_url"),
        ({"media": [{"type": "gif", "url": "https://cdn.example.com/a.gif"}]}, "validation_error", "media.0.type"),
        ({"category": "no-such-category"}, "unknown_category", "category"),
        ({"title": ""}, "validation_error", "title"),
        ({"status": "suspended"}, "validation_error", "status"),
        ({"unexpected": 1}, "validation_error", "unexpected"),
    ],
)
def test_invalid_product_is_422_naming_the_field_and_writes_nothing(
    server: LiveServer, market: Market, overrides: dict[str, Any], code: str, field: str | None
) -> None:
    _categories(server, market)
    seller = market.user("acme-staff", Role.SELLER, market.seller("acme"))
    before = _counts(market)
    with server.client(seller) as c:
        body = _problem(c.post("/v1/products", json=_body(**overrides)), 422, code)
    if field is not None:
        fields = [e["field"] for e in body.get("errors", [])] or [body.get("field")]
        assert field in fields, body
    assert _counts(market) == before


def test_pending_seller_keeps_drafts_until_activated(server: LiveServer, market: Market) -> None:
    _categories(server, market)
    pending = market.seller("newbie", status=SellerStatus.PENDING)
    seller = market.user("newbie-staff", Role.SELLER, pending)
    with server.client(seller) as c:
        _problem(c.post("/v1/products", json=_body()), 422, "not_publishable")
        draft = c.post("/v1/products", json=_body(status="draft"))
        assert draft.status_code == 201, draft.text
        _problem(c.patch(f"/v1/products/{draft.json()['id']}", json={"status": "active"}), 422, "not_publishable")


def test_redirect_listing_carries_its_link_until_it_moves_in_app(server: LiveServer, market: Market) -> None:
    _categories(server, market)
    seller = market.user("acme-staff", Role.SELLER, market.seller("acme"))
    url = "https://acme.example.com/products/serum"
    with server.client(seller) as c:
        r = c.post("/v1/products", json=_body(selling_mode="redirect", redirect_url=url))
        assert r.status_code == 201, r.text
        assert (r.json()["selling_mode"], r.json()["redirect_url"]) == ("redirect", url)
        pid = r.json()["id"]
        _problem(c.patch(f"/v1/products/{pid}", json={"redirect_url": None}), 422, "redirect_url_required")
        # A mode switch is the audited operation now; the PATCH points there and changes nothing.
        refused = c.patch(f"/v1/products/{pid}", json={"selling_mode": "seller_fulfilled"})
        _problem(refused, 409, "use_selling_mode_endpoint")
        switch = {"target": "seller_fulfilled", "reason": "in-app", "warehouse_id": market.warehouse_ids[0]}
        r = c.post(f"/v1/products/{pid}/selling-mode", json={**switch, "stock": {"SER-1": 3}})
        assert r.status_code == 200, r.text
        moved = c.get(f"/v1/products/{pid}").json()
        assert (moved["selling_mode"], moved["redirect_url"]) == ("seller_fulfilled", None)
        _problem(c.patch(f"/v1/products/{pid}", json={"title": None}), 422, "validation_error")


def test_put_variant_reprices_adds_and_guards_the_last_active_one(server: LiveServer, market: Market) -> None:
    _categories(server, market)
    seller = market.user("acme-staff", Role.SELLER, market.seller("acme"))
    with server.client(seller) as c:
        pid = c.post("/v1/products", json=_body()).json()["id"]
        r = c.put(f"/v1/products/{pid}/variants/SER-1", json={"price_cents": 1500, "compare_at_cents": 1999})
        assert r.status_code == 200, r.text
        assert (r.json()["price_cents"], r.json()["options"], r.json()["weight_grams"]) == (1500, {"size": "30ml"}, 120)
        bad = c.put(f"/v1/products/{pid}/variants/SER-1", json={"price_cents": 1500, "compare_at_cents": 10})
        _problem(bad, 422, "validation_error")
        _problem(c.put(f"/v1/products/{pid}/variants/SER-1", json={"price_cents": -5}), 422, "validation_error")
        _problem(c.put(f"/v1/products/{pid}/variants/bad sku", json={"price_cents": 5}), 422, "validation_error")
        added = c.put(f"/v1/products/{pid}/variants/SER-2", json={"price_cents": 2999, "options": {"size": "50ml"}})
        assert added.status_code == 201, added.text
        assert c.put(f"/v1/products/{pid}/variants/SER-1", json={"price_cents": 1500, "is_active": False}).is_success
        last = c.put(f"/v1/products/{pid}/variants/SER-2", json={"price_cents": 2999, "is_active": False})
        _problem(last, 422, "not_publishable")
        owner_view = c.get(f"/v1/products/{pid}").json()
    assert [(v["sku"], v["is_active"]) for v in owner_view["variants"]] == [("SER-1", False), ("SER-2", True)]
    with server.client() as c:
        public = c.get(f"/v1/products/{pid}").json()
    assert [v["sku"] for v in public["variants"]] == ["SER-2"]  # inactive variants are not for sale


def test_write_endpoints_need_a_seller_or_operator(server: LiveServer, market: Market) -> None:
    _categories(server, market)
    shopper = market.user("ada", Role.SHOPPER)
    creator = market.user("cat", Role.CREATOR)
    with server.client() as c:
        r = c.post("/v1/products", json=_body())
        _problem(r, 401, "unauthorized")
        assert r.headers["www-authenticate"] == "Bearer"
        _problem(c.patch("/v1/products/1", json={"title": "x"}), 401, "unauthorized")
    for token in (shopper, creator):
        with server.client(token) as c:
            _problem(c.post("/v1/products", json=_body()), 403, "forbidden")
            _problem(c.patch("/v1/products/1", json={"title": "x"}), 403, "forbidden")
            _problem(c.put("/v1/products/1/variants/SER-1", json={"price_cents": 1}), 403, "forbidden")
    with server.client("yc_not-a-real-token") as c:
        _problem(c.post("/v1/products", json=_body()), 401, "unauthorized")


def test_concurrent_creates_of_one_sku_give_one_product_and_clean_409s(server: LiveServer, market: Market) -> None:
    _categories(server, market)
    tokens = [market.user(f"s{n}", Role.SELLER, market.seller(f"seller-{n}")) for n in range(6)]
    barrier = threading.Barrier(len(tokens))

    def create(token: str) -> httpx.Response:
        with server.client(token) as c:
            barrier.wait()
            return c.post("/v1/products", json=_body("HOT-1"))

    with ThreadPoolExecutor(len(tokens)) as pool:
        responses = list(pool.map(create, tokens))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (len(tokens) - 1), [r.text for r in responses]
    assert all(r.json()["code"] == "sku_taken" for r in responses if r.status_code == 409)
    assert _counts(market) == (1, 1)


def test_suspended_seller_is_hidden_but_may_still_edit(server: LiveServer, market: Market) -> None:
    ops = _categories(server, market)
    acme = market.seller("acme")
    owner = market.user("acme-staff", Role.SELLER, acme)
    with server.client(owner) as c:
        pid = c.post("/v1/products", json=_body()).json()["id"]
    with server.client(ops) as c:
        c.patch(f"/v1/sellers/{acme}", json={"status": "suspended"}).raise_for_status()
    with server.client() as c:
        _problem(c.get(f"/v1/products/{pid}"), 404, "not_found")
        assert c.get("/v1/products").json()["items"] == []
    with server.client(owner) as c:
        r = c.patch(f"/v1/products/{pid}", json={"description": "fixed a typo"})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "active"  # still listed as active; hidden while the seller is suspended
        assert c.put(f"/v1/products/{pid}/variants/SER-1", json={"price_cents": 1800}).status_code == 200
        assert c.patch(f"/v1/products/{pid}", json={"status": "draft"}).status_code == 200
        _problem(c.patch(f"/v1/products/{pid}", json={"status": "active"}), 422, "not_publishable")


def test_the_platform_sets_a_priced_full_custody_listings_shelf_price(server: LiveServer, market: Market) -> None:
    from yellowcart.catalog.modes import SellingMode

    acme = market.seller("acme")
    sku = market.product(acme, mode=SellingMode.FULL_CUSTODY, price_cents=2500, stock=0)
    with market.db.transaction() as s:
        variant = s.scalar(select(Variant).where(Variant.sku == sku))
        assert variant is not None and variant.supply_price_cents == 1500
        pid = variant.product_id
    with server.client(market.user("acme-staff", Role.SELLER, acme)) as c:
        _problem(c.put(f"/v1/products/{pid}/variants/{sku}", json={"price_cents": 1999}), 409, "platform_sets_price")
        # Other fields stay the seller's: the same price with a new weight is fine.
        assert (
            c.put(f"/v1/products/{pid}/variants/{sku}", json={"price_cents": 2500, "weight_grams": 90}).status_code
            == 200
        )
    with server.client(market.user("ops", Role.OPERATOR)) as c:
        assert c.put(f"/v1/products/{pid}/variants/{sku}", json={"price_cents": 2299}).status_code == 200
    with market.db.transaction() as s:
        assert s.scalar(select(Variant.price_cents).where(Variant.sku == sku)) == 2299
