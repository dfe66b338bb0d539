"""GET /v1/feed?zip=: every product card carries its delivery promise, over real HTTP on SQLite and
PostgreSQL. Given sellers' Newark warehouses holding stock, then a shopper's feed for a ZIP shows a
promise per card (or a null promise with the reason), bad ZIPs are 422 problems naming ``zip``, and the
page's promises cost the same few queries whatever the page size."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event, select, update

from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.models import Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import Database, utcnow
from yellowcart.feed.api import page_promises
from yellowcart.fulfillment.geo import destination
from yellowcart.fulfillment.promise import PromiseLevel
from yellowcart.inventory.models import Warehouse

LEVELS = {level.value for level in PromiseLevel}


def _problem(response: httpx.Response, code: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def _variant(db: Database, sku: str) -> tuple[int, int]:
    with db.transaction() as s:
        row = s.execute(select(Variant.product_id, Variant.id).where(Variant.sku == sku)).one()
        return int(row[0]), int(row[1])


def _cards(c: httpx.Client, **params: Any) -> dict[int, dict[str, Any]]:
    r = c.get("/v1/feed", params={"limit": 20, **params})
    assert r.status_code == 200, r.text
    return {item["product"]["id"]: item["product"] for item in r.json()["items"]}


def _market(server: LiveServer, market: Market) -> dict[str, int]:
    sellers = [market.seller(f"p{i}") for i in range(3)]
    products = {f"in{i}": _variant(market.db, market.product(sellers[i % 3]))[0] for i in range(4)}
    products["redirect"] = _variant(market.db, market.product(sellers[0], stock=0, mode=SellingMode.REDIRECT))[0]
    server.container.feed_signals.invalidate()
    return products


def test_feed_cards_carry_the_promise(server: LiveServer, market: Market) -> None:
    products = _market(server, market)
    shopper = market.user("pat", Role.SHOPPER)
    with server.client(shopper) as c:
        plain = _cards(c)
        assert plain and all(card["delivery_promise"] is None for card in plain.values())
        cards = _cards(c, zip="60607")
    assert set(products.values()) <= set(cards)
    for name, pid in products.items():
        quote = cards[pid]["delivery_promise"]
        assert quote["zip"] == "60607"
        if name == "redirect":
            assert quote == {"zip": "60607", "promise": None, "reason": "redirect_listing"}
            continue
        promise = quote["promise"]
        assert quote["reason"] is None and promise["level"] in LEVELS
        assert promise["warehouse_id"] in market.warehouse_ids and promise["delivery_date"] >= promise["ship_date"]


def test_feed_promise_matches_the_product_page(server: LiveServer, market: Market) -> None:
    products = _market(server, market)
    with server.client() as c:
        cards = _cards(c, zip="94105")
        for pid in (products["in0"], products["in1"]):
            page = c.get(f"/v1/products/{pid}", params={"zip": "94105"}).json()["delivery_promise"]
            assert cards[pid]["delivery_promise"] == page


def test_bad_zips_are_problems_naming_zip(server: LiveServer, market: Market) -> None:
    _market(server, market)
    with server.client() as c:
        assert _problem(c.get("/v1/feed", params={"zip": "00000"}), "unknown_zip")["field"] == "zip"
        assert _problem(c.get("/v1/feed", params={"zip": "09001"}), "military_zip_not_supported")["field"] == "zip"
        _problem(c.get("/v1/feed", params={"zip": "1011"}), "validation_error")


def test_po_box_without_a_ground_service_is_a_reason_not_an_error(server: LiveServer, market: Market) -> None:
    products = _market(server, market)
    with market.db.transaction() as s:
        s.execute(update(Warehouse).values(services=["next_day", "two_day"]))
    with server.client() as c:
        cards = _cards(c, zip="10008")  # a Manhattan PO box ZIP: air services do not deliver there
    quote = cards[products["in0"]]["delivery_promise"]
    assert quote == {"zip": "10008", "promise": None, "reason": "no_service"}


@contextmanager
def _counting(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_page_promises_take_the_same_queries_for_any_page_size(market: Market) -> None:
    seller = market.seller("q")
    variants = [_variant(market.db, market.product(seller)) for _ in range(8)]
    cheapest = {pid: (vid, SellingMode.SELLER_FULFILLED) for pid, vid in variants}
    dest, counts = destination("30301"), []
    for size in (1, 8):
        with market.db.transaction() as s, _counting(market.db) as statements:
            quotes = page_promises(s, dict(list(cheapest.items())[:size]), dest, utcnow())
        assert len(quotes) == size and all(q.promise is not None for q in quotes.values())
        counts.append(sum(sql.lstrip().upper().startswith("SELECT") for sql in statements))
    # stock with warehouses, their booked capacity, the lanes to the ZIP, the calibration cache's freshness check
    assert counts == [4, 4], counts
