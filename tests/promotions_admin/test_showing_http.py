"""What shoppers are shown, over real HTTP on SQLite and PostgreSQL: a listing's sale price under its best
automatic discount, badges and claimable coupons on GET /v1/products/{id}/promotions, the feed's cards
and the product page; a shopper held out of a promotion sees none of it; one query per page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from promotions_admin.promo_world import World, active, create, split_by_holdout, variant_of, world
from support import LiveServer, Market
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import Database, utcnow
from yellowcart.promotions import showing


@pytest.fixture
def w(server: LiveServer, market: Market) -> World:
    return world(server, market, price_cents=2400)


def _shown(w: World, product_id: int, token: str | None = None) -> dict[str, Any]:
    with w.client(token) as c:
        r = c.get(f"/v1/products/{product_id}/promotions")
        assert r.status_code == 200, r.text
        return dict(r.json())


def test_the_best_automatic_discount_badges_and_claimable_coupons(w: World) -> None:
    _, other_variant = variant_of(w.market, w.market.product(w.seller_a, price_cents=3000))
    with w.client(w.a) as c:
        assert _shown(w, w.product_a) == {
            "product_id": w.product_a, "sale": None, "flash_deal": None, "badges": [], "coupons": []
        }  # fmt: skip
        pct = active(c, name="Spring", percent_off_bps=1500)  # $3.60 off $24.00
        amount = active(c, name="Four off", percent_off_bps=None, amount_off_cents=400, product_ids=[w.product_a])
        active(c, name="Not this one", percent_off_bps=5000, variant_ids=[other_variant])
        bundle = active(c, kind="bundle", name="Two", min_quantity=2, percent_off_bps=1000)
        ship = active(c, kind="free_shipping", name="Ship", percent_off_bps=None, min_spend_cents=3500)
        coupon = active(c, kind="coupon", name="Claim 10%", percent_off_bps=1000, claimable=True)
        active(c, kind="coupon", name="Code only", percent_off_bps=1000)
        create(c, name="Draft 50%", percent_off_bps=5000)
    shown = _shown(w, w.product_a)
    assert shown["sale"] == {
        "promotion_id": amount["id"], "label": "Four off: $4.00 off", "variant_id": w.variant_a,
        "price_cents": 2000, "was_cents": 2400, "discount_cents": 400, "ends_at": amount["ends_at"],
    }  # fmt: skip
    assert pct["id"] != shown["sale"]["promotion_id"]
    assert [(b["promotion_id"], b["kind"]) for b in shown["badges"]] == [
        (bundle["id"], "bundle"), (ship["id"], "free_shipping"),
    ]  # fmt: skip
    assert shown["badges"][1]["label"] == "Ship: free shipping over $35.00"
    assert [(x["promotion_id"], x["claimed"]) for x in shown["coupons"]] == [(coupon["id"], False)]
    assert _shown(w, w.product_b)["sale"] is None  # seller A's promotions stay on seller A's listings

    with w.client(w.shopper) as c:
        assert c.post(f"/v1/promotions/{coupon['id']}/claim").status_code == 200
    assert [x["claimed"] for x in _shown(w, w.product_a, w.shopper)["coupons"]] == [True]
    with w.client() as c:
        assert c.get("/v1/products/999999/promotions").status_code == 404


def test_platform_discounts_respect_the_full_custody_supply_price(w: World) -> None:
    sku = w.market.product(w.seller_b, price_cents=2000, mode=SellingMode.FULL_CUSTODY)  # supply: $12.00
    product_id, _ = variant_of(w.market, sku)
    with w.client(w.operator) as c:
        active(c, name="Half off everything", percent_off_bps=5000)
    with w.client(w.b) as c:
        active(c, name="Seller's own", percent_off_bps=2000)  # a seller does not price full custody
    sale = _shown(w, product_id)["sale"]
    assert (sale["price_cents"], sale["discount_cents"]) == (1200, 800)
    assert _shown(w, w.product_b)["sale"]["price_cents"] == 1200  # seller-fulfilled: 50% off $24.00


def test_a_shopper_held_out_of_a_promotion_sees_none_of_it(w: World) -> None:
    with w.client(w.a) as c:
        sale = active(c, name="Measured", percent_off_bps=2000, holdout_bps=5000)
        coupon = active(c, kind="coupon", name="Measured coupon", claimable=True, holdout_bps=5000)
    held_sale, shown_sale = split_by_holdout(w.market, sale["id"], 5000)
    assert _shown(w, w.product_a)["sale"]["promotion_id"] == sale["id"]  # anonymous: everything running
    assert _shown(w, w.product_a, shown_sale)["sale"]["price_cents"] == 1920
    assert _shown(w, w.product_a, held_sale)["sale"] is None
    held_coupon, shown_coupon = split_by_holdout(w.market, coupon["id"], 5000)
    assert _shown(w, w.product_a, held_coupon)["coupons"] == []
    assert [x["promotion_id"] for x in _shown(w, w.product_a, shown_coupon)["coupons"]] == [coupon["id"]]


def _feed(w: World, token: str | None = None) -> dict[int, Any]:
    w.server.container.feed_signals.invalidate()
    with w.client(token) as c:
        r = c.get("/v1/feed", params={"limit": 50})
        assert r.status_code == 200, r.text
        return {item["product"]["id"]: item.get("promotion") for item in r.json()["items"]}


def test_feed_cards_carry_the_promotion_and_the_product_page_shows_it(w: World) -> None:
    with w.client(w.a) as c:
        sale = active(c, name="Spring", percent_off_bps=1500, holdout_bps=5000)
        active(c, kind="coupon", name="Claim me", percent_off_bps=1000, claimable=True)
    cards = _feed(w)
    assert set(cards) == {w.product_a, w.product_b}
    assert cards[w.product_b] is None
    assert cards[w.product_a]["sale"]["price_cents"] == 2040
    held, shown = split_by_holdout(w.market, sale["id"], 5000)
    assert _feed(w, held)[w.product_a]["sale"] is None
    assert _feed(w, shown)[w.product_a]["sale"]["price_cents"] == 2040

    with w.client() as c:
        page = c.get(f"/products/{w.product_a}")
    assert page.status_code == 200
    html = page.text
    assert "$20.40" in html and "was <s>$24.00</s>" in html and "Spring: 15% off" in html
    # Anonymous visitors see the coupon and are asked to sign in to claim it (the claim form is the
    # signed-in shopper's: tests/web_browser).
    assert "Claim me" in html and f"/signin?next=/products/{w.product_a}" in html and 'class="claim' not in html
    with w.client() as c:
        plain = c.get(f"/products/{w.product_b}").text
    assert "was <s>" not in plain and 'class="claim"' not in plain


@contextmanager
def _selects(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        if sql.lstrip().upper().startswith("SELECT"):
            statements.append(sql)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_a_page_of_any_size_costs_one_query(w: World) -> None:
    skus = [w.market.product(w.seller_a if i % 2 else w.seller_b) for i in range(8)]
    ids = [variant_of(w.market, sku)[0] for sku in skus]
    with w.client(w.a) as c:
        active(c, percent_off_bps=1000)
        active(c, kind="coupon", name="Claim", claimable=True)
    with w.client(w.operator) as c:
        active(c, kind="free_shipping", name="Ship", percent_off_bps=None, min_spend_cents=5000)
    counts = []
    for size in (1, 8):
        with w.market.db.transaction() as s:
            facts = list(showing.facts_for(s, ids[:size]).values())
            with _selects(w.market.db) as statements:
                shown = showing.annotate(s, facts, shopper_id=w.market.users["sam"], now=utcnow())
        assert len(shown) == size
        counts.append(len(statements))
    assert counts == [1, 1]
