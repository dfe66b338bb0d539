"""Storefront pages through real HTTP on SQLite and PostgreSQL: given a small market, when a browser opens
the home page, a product page or /status, then it gets escaped HTML showing exactly the public shop
window, and the stylesheet, htmx and demo media placeholders are served."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select, update

from support import LiveServer, Market
from yellowcart.catalog.models import Category, Product, ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import utcnow
from yellowcart.events import OutboxEvent, emit
from yellowcart.sellers.models import SellerStatus
from yellowcart.web.pages import PAGE_SIZE

CARD_TITLE = re.compile(r'<h3 class="card-title">(.*?)</h3>')
HTMX = {"HX-Request": "true"}


def _html(response: httpx.Response, status: int = 200) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def _titles(html: str) -> list[str]:
    return CARD_TITLE.findall(html)


def _product_id(market: Market, sku: str) -> int:
    with market.db.transaction() as s:
        return s.scalars(select(Variant.product_id).where(Variant.sku == sku)).one()


def _count(html: str, key: str) -> str:
    found = re.search(rf'data-(?:count|fact)="{re.escape(key)}">([^<]*)<', html)
    assert found, f"{key} not on the page"
    return found.group(1)


def _more_link(html: str) -> str | None:
    found = re.search(r'<a class="button ghost" href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


# ---- home ---------------------------------------------------------------------------------------------


def test_home_lists_on_sale_products_only(server: LiveServer, market: Market) -> None:
    acme, gone = market.seller("acme"), market.seller("gone", SellerStatus.SUSPENDED)
    serum = market.product(acme, title="Hydrating serum")
    market.product(acme, title="Secret draft", status=ProductStatus.DRAFT)
    market.product(gone, title="Gone balm")
    market.product(acme, title="Empty jar", stock=0, mode=SellingMode.FULL_CUSTODY)
    serum_id = _product_id(market, serum)
    with market.db.transaction() as s:
        s.execute(update(Variant).where(Variant.sku == serum).values(compare_at_cents=2999))
        media = [{"type": "image", "url": "/static/demo/p1.jpg", "alt": "serum"}]
        s.execute(update(Product).where(Product.id == serum_id).values(media=media))

    with server.client() as c:
        html = _html(c.get("/"))

    assert _titles(html) == ["Empty jar 4", "Hydrating serum 1"]
    assert "<strong>$19.99</strong> <s>$29.99</s>" in html
    assert "acme" in html and "Ships from seller" in html and "Fulfilled by yellowcart" in html
    assert html.count("Out of stock") == 1
    assert 'src="/static/demo/p1.jpg"' in html  # its own media first
    assert 'src="/static/demo/placeholder.svg"' in html  # no media: the placeholder
    assert 'href="/?category=beauty">Beauty</a>' in html
    assert 'href="/products/' in html and 'name="q"' in html
    assert "/static/app.css" in html and "/status" in html and "/docs" in html


def test_search_and_category_narrow_the_grid(server: LiveServer, market: Market) -> None:
    acme = market.seller("acme")
    market.product(acme, title="Hydrating serum")
    market.product(acme, title="Bamboo toothbrush")
    lamp = _product_id(market, market.product(acme, title="Desk lamp"))
    with market.db.transaction() as s:
        home = Category(slug="home", name="Home & Kitchen", path="home/")
        s.add(home)
        s.flush()
        s.execute(update(Product).where(Product.id == lamp).values(category_id=home.id))

    with server.client() as c:
        assert _titles(_html(c.get("/", params={"q": "bamboo"}))) == ["Bamboo toothbrush 2"]
        assert _titles(_html(c.get("/", params={"q": "  BAMBOO   tooth "}))) == ["Bamboo toothbrush 2"]
        by_category = _html(c.get("/", params={"category": "home"}))
        assert _titles(by_category) == ["Desk lamp 3"]
        assert 'value="home"' in by_category  # the search stays in the category
        assert _titles(_html(c.get("/", params={"category": "beauty", "q": "lamp"}))) == []
        nothing = _html(c.get("/", params={"q": "unicorn"}))
        assert _titles(nothing) == [] and "Nothing matches" in nothing
        unknown = _html(c.get("/", params={"category": "no-such-thing"}), 404)
        assert "There is no category" in unknown
        assert "no longer valid" in _html(c.get("/", params={"cursor": "garbage!"}), 400)


def test_more_link_pages_with_the_cursor(server: LiveServer, market: Market) -> None:
    acme = market.seller("acme")
    for _ in range(PAGE_SIZE + 2):
        market.product(acme, title="Item")

    with server.client() as c:
        first = _html(c.get("/"))
        more = _more_link(first)
        assert more is not None and "cursor=" in more
        second = _html(c.get(more))
        fragment = _html(c.get(more, headers={**HTMX, "HX-Target": "grid"}))
        results = _html(c.get("/", params={"q": "item 26"}, headers={**HTMX, "HX-Target": "results"}))

    newest_first = [f"Item {n}" for n in range(PAGE_SIZE + 2, 0, -1)]
    assert _titles(first) == newest_first[:PAGE_SIZE]
    assert _titles(second) == newest_first[PAGE_SIZE:] and _more_link(second) is None
    # htmx asks for the next cards only, plus an out-of-band swap that removes the spent More link
    assert "<html" not in fragment and _titles(fragment) == newest_first[PAGE_SIZE:]
    assert 'id="more" class="more" hx-swap-oob="true"' in fragment
    assert "<html" not in results and 'id="results"' in results
    assert _titles(results) == ["Item 26"]


# ---- product ------------------------------------------------------------------------------------------


def test_product_page_shows_variants_prices_and_stock(server: LiveServer, market: Market) -> None:
    acme = market.seller("acme")
    sku = market.product(acme, price_cents=2500, stock=[3, 4])
    product_id = _product_id(market, sku)
    with market.db.transaction() as s:
        s.add(Variant(product_id=product_id, sku="BIG-50", price_cents=3000, options={"size": "50ml"}))
        s.add(Variant(product_id=product_id, sku="OLD-10", price_cents=900, is_active=False))

    with server.client() as c:
        html = _html(c.get(f"/products/{product_id}"))

    assert "Hydrating serum 1" in html and "acme" in html
    assert '<span class="from">from </span><strong>$25.00</strong>' in html
    assert sku in html and "7 in stock" in html  # summed over both warehouses
    assert "BIG-50" in html and "$30.00" in html and "Out of stock" in html
    assert "OLD-10" not in html and "$9.00" not in html  # inactive variants are not for sale
    assert "30ml" in html and "50ml" in html
    assert 'href="/?category=beauty">Beauty</a>' in html  # breadcrumb
    assert "Ships from seller" in html and "Buy in the app" in html
    assert "POST /v1/checkout" in html and "Idempotency-Key" in html and f'"sku": "{sku}"' in html
    assert "Buy on the seller" not in html


def test_redirect_listing_links_to_the_seller_store(server: LiveServer, market: Market) -> None:
    acme = market.seller("acme")
    sku = market.product(acme, mode=SellingMode.REDIRECT, stock=0, title="Linked candle")

    with server.client() as c:
        html = _html(c.get(f"/products/{_product_id(market, sku)}"))
        home = _html(c.get("/"))

    # The button posts a tracked click (then /r/{id} hops to the store); the store URL is not on the page.
    pid = _product_id(market, sku)
    assert f'action="/products/{pid}/store"' in html and "Buy on the seller" in html
    assert "https://example.com/p" not in html
    assert "On seller&#39;s store" in html and "Buy in the app" not in html
    assert "Out of stock" not in html and "Out of stock" not in home  # its stock lives on the seller's store


def test_unknown_or_hidden_product_is_a_friendly_404(server: LiveServer, market: Market) -> None:
    acme = market.seller("acme")
    draft = _product_id(market, market.product(acme, status=ProductStatus.DRAFT))

    with server.client() as c:
        for ref in (str(draft), "999999", "0", "abc", "99999999999", "%C2%B2"):
            html = _html(c.get(f"/products/{ref}"), 404)
            assert "couldn't find that product" in html and 'href="/"' in html


# ---- status -------------------------------------------------------------------------------------------


def test_status_page_counts(server: LiveServer, market: Market) -> None:
    acme = market.seller("acme")
    market.seller("newcomer", SellerStatus.PENDING)
    market.product(acme)
    market.product(acme)
    market.product(acme, status=ProductStatus.DRAFT)
    with market.db.transaction() as s:
        emit(s, "test.pending", n=1)
        s.add(OutboxEvent(topic="test.done", payload={}, dispatched_at=utcnow()))

    with server.client() as c:
        response = c.get("/status")
    html = _html(response)

    assert _count(html, "dialect") == server.container.db.dialect
    assert _count(html, "products.active") == "2" and _count(html, "products.draft") == "1"
    assert _count(html, "products.total") == "3"
    assert _count(html, "sellers.active") == "1" and _count(html, "sellers.pending") == "1"
    assert _count(html, "orders.total") == "0" and _count(html, "orders.awaiting_shipment") == "0"
    assert _count(html, "outbox.pending") == "1" and _count(html, "outbox.retrying") == "0"
    assert re.fullmatch(r"\d+ (s|min)", _count(html, "outbox.oldest"))
    assert response.headers["cache-control"] == "no-store"


# ---- safety and assets --------------------------------------------------------------------------------


def test_html_in_shop_data_is_escaped(server: LiveServer, market: Market) -> None:
    evil = market.seller("<i>evil</i>")
    sku = market.product(evil, title='<script>alert("x")</script>')

    with server.client() as c:
        pages = [
            _html(c.get("/")),
            _html(c.get(f"/products/{_product_id(market, sku)}")),
            _html(c.get("/", params={"q": "<script>alert(1)</script>"})),
        ]

    for html in pages:
        assert "<script>alert" not in html and "<i>evil" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; 1" in pages[0]
    assert "&lt;i&gt;evil&lt;/i&gt;" in pages[1]
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in pages[2]


def test_static_assets_and_demo_placeholders(server: LiveServer) -> None:
    with server.client() as c:
        css = c.get("/static/app.css")
        htmx = c.get("/static/htmx.min.js")
        demo = [c.get(path) for path in ("/static/demo/p1.jpg", "/static/demo/p7-3.jpg", "/static/demo/a/b.png")]
        head = c.head("/static/demo/p1.jpg")
        missing = c.get("/static/nope.css")

    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css") and ".card" in css.text
    assert htmx.status_code == 200 and "javascript" in htmx.headers["content-type"] and "htmx" in htmx.text
    for response in demo:
        assert response.status_code == 200 and response.headers["content-type"] == "image/svg+xml"
        assert response.text.startswith("<svg") and "max-age" in response.headers["cache-control"]
    assert head.status_code == 200 and head.headers["content-type"] == "image/svg+xml"
    assert missing.status_code == 404


def test_pages_stay_out_of_the_openapi_schema(server: LiveServer) -> None:
    with server.client() as c:
        paths = set(c.get("/openapi.json").json()["paths"])
    assert paths and all(p.startswith("/v1/") for p in paths), sorted(paths)
