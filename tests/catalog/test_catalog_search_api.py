"""Categories and product search through real HTTP on SQLite and PostgreSQL: given a small catalog,
when anyone searches by text, category, price and mode, then exactly the matching on-sale products come
back, newest first, and paging with the cursor visits every one exactly once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.http import encode_cursor
from yellowcart.sellers.models import SellerStatus


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def _tree(client: httpx.Client) -> None:
    for slug, name, parent in [
        ("beauty", "Beauty", None),
        ("skin-care", "Skin care", "beauty"),
        ("face-serums", "Face serums", "skin-care"),
        ("beauty-tools", "Beauty tools", None),  # shares a prefix with "beauty": must not leak into it
        ("home", "Home", None),
    ]:
        client.post("/v1/categories", json={"slug": slug, "name": name, "parent": parent}).raise_for_status()


def _create(client: httpx.Client, sku: str, title: str, category: str, price: int, **extra: Any) -> int:
    body = {
        "title": title,
        "category": category,
        "status": "active",
        "variants": [{"sku": sku, "price_cents": price}],
        **extra,
    }
    r = client.post("/v1/products", json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


@pytest.fixture
def catalog(server: LiveServer, market: Market) -> dict[str, Any]:
    """25 on-sale products of acme, one draft, and one product of a suspended seller."""
    ops = market.user("ops", Role.OPERATOR)
    acme, gone = market.seller("acme"), market.seller("gone")
    seller = market.user("acme-staff", Role.SELLER, acme)
    ids: dict[str, int] = {}
    with server.client(ops) as c:
        _tree(c)
        ids["gone"] = _create(c, "GONE-1", "Hydrating serum", "face-serums", 1000, seller_id=gone)
        c.patch(f"/v1/sellers/{gone}", json={"status": "suspended"}).raise_for_status()
    with server.client(seller) as c:
        ids["vitc"] = _create(c, "VITC-1", "Vitamin C serum", "face-serums", 2500, brand="Glow Labs")
        ids["hyal"] = _create(
            c, "HYAL-1", "Hyaluronic Serum", "skin-care", 1800, description="Deep hydration for dry skin"
        )
        ids["cream"] = _create(c, "CREAM-1", "Night cream", "skin-care", 3200, brand="glow labs")
        ids["brush"] = _create(c, "BRUSH-1", "Kabuki brush", "beauty-tools", 900)
        ids["pct"] = _create(c, "PCT-1", "100% cotton pads", "beauty", 300)
        ids["link"] = _create(
            c,
            "LINK-1",
            "Serum gift box",
            "beauty",
            4000,
            selling_mode="redirect",
            redirect_url="https://acme.example.com/gift",
        )
        for n in range(19):
            ids[f"mug{n}"] = _create(c, f"MUG-{n}", f"Ceramic mug {n}", "home", 1200 + n)
        ids["draft"] = _create(c, "DRAFT-1", "Secret serum", "face-serums", 100, status="draft")
    return ids


def _search(server: LiveServer, token: str | None = None, **params: Any) -> list[int]:
    with server.client(token) as c:
        r = c.get("/v1/products", params={"limit": 100, **params})
    assert r.status_code == 200, r.text
    return [p["id"] for p in r.json()["items"]]


def test_categories_form_a_tree_with_paths(server: LiveServer, market: Market) -> None:
    ops = market.user("ops", Role.OPERATOR)
    with server.client(ops) as c:
        _tree(c)
        beauty = next(x for x in c.get("/v1/categories").json() if x["slug"] == "beauty")
        by_id = c.post("/v1/categories", json={"slug": "lipstick", "name": "Lipstick", "parent": beauty["id"]})
        assert by_id.status_code == 201, by_id.text
        assert (by_id.json()["path"], by_id.json()["parent_id"]) == ("beauty/lipstick/", beauty["id"])
        _problem(c.post("/v1/categories", json={"slug": "home", "name": "Again"}), 409, "slug_taken")
        _problem(c.post("/v1/categories", json={"slug": "x", "name": "X", "parent": "nope"}), 422, "unknown_category")
        _problem(c.post("/v1/categories", json={"slug": "Bad Slug", "name": "X"}), 422, "validation_error")
    with server.client() as c:
        listed = c.get("/v1/categories").json()
    assert [x["path"] for x in listed] == [
        "beauty-tools/",
        "beauty/",
        "beauty/lipstick/",
        "beauty/skin-care/",
        "beauty/skin-care/face-serums/",
        "home/",
    ]
    serums = next(x for x in listed if x["slug"] == "face-serums")
    skin = next(x for x in listed if x["slug"] == "skin-care")
    assert serums["parent_id"] == skin["id"]


def test_only_operators_add_categories(server: LiveServer, market: Market) -> None:
    acme = market.seller("acme")
    for token in (market.user("ada", Role.SHOPPER), market.user("acme-staff", Role.SELLER, acme)):
        with server.client(token) as c:
            _problem(c.post("/v1/categories", json={"slug": "x", "name": "X"}), 403, "forbidden")
    with server.client() as c:
        r = c.post("/v1/categories", json={"slug": "x", "name": "X"})
    _problem(r, 401, "unauthorized")


def test_text_search_needs_every_term_in_title_description_or_brand(
    server: LiveServer, catalog: dict[str, int]
) -> None:
    assert _search(server, q="SERUM") == [catalog["link"], catalog["hyal"], catalog["vitc"]]
    assert _search(server, q="serum glow") == [catalog["vitc"]]  # title + brand
    assert _search(server, q="  serum   dry ") == [catalog["hyal"]]  # title + description
    assert _search(server, q="glow labs") == [catalog["cream"], catalog["vitc"]]
    assert _search(server, q="100%") == [catalog["pct"]]  # % is a character, not a wildcard
    assert _search(server, q="%") == [catalog["pct"]]
    assert _search(server, q="_") == []
    assert _search(server, q="serum nothing-like-this") == []


def test_category_includes_descendants_only(server: LiveServer, catalog: dict[str, int]) -> None:
    assert _search(server, category="face-serums") == [catalog["vitc"]]
    assert _search(server, category="skin-care") == [catalog["cream"], catalog["hyal"], catalog["vitc"]]
    beauty = _search(server, category="beauty")
    assert beauty == [catalog[k] for k in ("link", "pct", "cream", "hyal", "vitc")]
    assert _search(server, category="beauty-tools") == [catalog["brush"]]
    with server.client() as c:
        _problem(c.get("/v1/products", params={"category": "nope"}), 422, "unknown_category")


def test_price_mode_and_seller_filters(server: LiveServer, market: Market, catalog: dict[str, int]) -> None:
    assert _search(server, min_price=1800, max_price=2500, q="serum") == [catalog["hyal"], catalog["vitc"]]
    assert _search(server, max_price=900) == [catalog["pct"], catalog["brush"]]
    assert _search(server, min_price=3200, max_price=3200) == [catalog["cream"]]
    assert _search(server, mode="redirect") == [catalog["link"]]
    assert len(_search(server, seller_id=market.seller_ids[0])) == 25
    assert _search(server, seller_id=market.seller_ids[1]) == []  # suspended seller: not on sale
    with server.client() as c:
        _problem(c.get("/v1/products", params={"min_price": 10, "max_price": 5}), 422, "invalid_input")
        _problem(c.get("/v1/products", params={"min_price": -1}), 422, "validation_error")
        link = c.get(f"/v1/products/{catalog['link']}").json()
        # Shoppers get the tracked click entry point, never the store URL itself.
        assert link["redirect_url"] is None
        assert link["redirect_click"] == f"/v1/products/{catalog['link']}/redirect-clicks"
        _problem(c.get(f"/v1/products/{catalog['gone']}"), 404, "not_found")


def test_cursor_paging_visits_every_product_exactly_once(server: LiveServer, catalog: dict[str, int]) -> None:
    on_sale = sorted((v for k, v in catalog.items() if k not in ("draft", "gone")), reverse=True)
    seen: list[int] = []
    pages = 0
    cursor: str | None = None
    with server.client() as c:
        while True:
            params: dict[str, Any] = {"limit": 4}
            if cursor:
                params["cursor"] = cursor
            page = c.get("/v1/products", params=params).json()
            pages += 1
            assert len(page["items"]) <= 4
            seen += [p["id"] for p in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert seen == on_sale  # newest first, nothing twice, nothing missing
    assert pages == 7  # 25 items / 4 per page


def test_search_refuses_bad_paging_input(server: LiveServer) -> None:
    with server.client() as c:
        body = _problem(c.get("/v1/products", params={"cursor": "not-a-cursor"}), 422, "invalid_input")
        assert body["field"] == "cursor"
        forged = encode_cursor(10**30)  # well-formed, but no id is that large
        _problem(c.get("/v1/products", params={"cursor": forged}), 422, "invalid_input")
        _problem(c.get("/v1/products", params={"limit": 0}), 422, "validation_error")
        _problem(c.get("/v1/products", params={"limit": 101}), 422, "validation_error")
        body = _problem(c.get("/v1/products", params={"q": "x" * 201}), 422, "validation_error")
        assert body["errors"][0]["field"] == "q"
        _problem(c.get("/v1/products", params={"mode": "teleport"}), 422, "validation_error")


def test_items_show_stock_category_and_seller(server: LiveServer, market: Market, catalog: dict[str, int]) -> None:
    with server.client() as c:
        (item,) = c.get("/v1/products", params={"q": "vitamin"}).json()["items"]
    assert item["seller"] == {"id": market.seller_ids[0], "name": "acme"}
    assert item["category"]["slug"] == "face-serums"
    assert item["category"]["path"] == "beauty/skin-care/face-serums/"
    assert item["variants"][0]["sku"] == "VITC-1"
    assert item["variants"][0]["available"] == 0
    assert item["selling_mode"] == "seller_fulfilled"


def test_status_filter_is_a_back_office_view(server: LiveServer, market: Market, catalog: dict[str, int]) -> None:
    ops = market.tokens["ops"]
    assert _search(server, ops, status="draft") == [catalog["draft"]]
    suspended_sellers_product = _search(server, ops, status="active", q="hydrating")
    assert catalog["gone"] in suspended_sellers_product  # operators see it; the shop window does not
    other = market.user("other-staff", Role.SELLER, market.seller("other", status=SellerStatus.ACTIVE))
    assert _search(server, other, status="draft") == []
    assert _search(server, other, status="active") == []  # its own: none
