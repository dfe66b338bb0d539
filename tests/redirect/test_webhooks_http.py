"""Shopify webhooks through real HTTP on SQLite and PostgreSQL: signatures, duplicate deliveries
(sequential and concurrent), attribution rules (window, foreign lines, currency, other sellers'
clicks), reversals on cancellation and refunds, and the outbox events the ledger consumes."""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from redirect.redirect_world import (
    SECRET,
    Shop,
    click,
    conversions,
    deliver,
    deliveries,
    events,
    line,
    open_shop,
    order,
    refund,
)
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.redirect.models import ConversionStatus, RedirectClick
from yellowcart.redirect.rules import shopify_signature

ATTRIBUTED, REVERSED = "redirect.conversion_attributed", "redirect.conversion_reversed"


@pytest.fixture
def shop(server: LiveServer, market: Market) -> Shop:
    return open_shop(server, market, "acme")


def _clicked(server: LiveServer, market: Market, shop: Shop, shopper: str | None = None) -> str:
    return str(click(server, shop.product_id, shopper)["click_id"])


def test_signature_checked_on_the_raw_body_before_anything_is_stored(
    server: LiveServer, market: Market, shop: Shop
) -> None:
    payload = order(1001, [line(shop.sku, 2500)], click_id=_clicked(server, market, shop))
    body = json.dumps(payload).encode()
    tampered = body.replace(b"25.00", b"2500.00")
    cases = {
        "tampered": deliver(server, shop.connection_id, tampered, signature=shopify_signature(body, SECRET)),
        "wrong secret": deliver(server, shop.connection_id, body, secret="not-the-store-secret-at-all"),
        "missing": deliver(server, shop.connection_id, body, signature=""),
    }
    for name, r in cases.items():
        assert r.status_code == 401, name
        assert r.headers["content-type"].startswith("application/problem+json") and r.json()["code"] == "bad_signature"
    assert deliveries(market) == 0 and conversions(market) == []
    assert deliver(server, 999999, body).status_code == 404
    not_json = b"not json"
    assert deliver(server, shop.connection_id, not_json).status_code == 422
    headers = {"X-Shopify-Hmac-Sha256": shopify_signature(body, SECRET), "X-Shopify-Topic": "orders/create"}
    with server.client() as c:
        r = c.post(f"/v1/stores/shopify/{shop.connection_id}/webhooks", content=body, headers=headers)
        assert r.status_code == 422 and r.json()["code"] == "missing_event_id"
    assert deliveries(market) == 0
    good = deliver(server, shop.connection_id, body)
    assert good.status_code == 200 and good.json()["outcome"] == "attributed", good.text


def test_attribution_links_order_click_content_creator_and_shopper(
    server: LiveServer, market: Market, shop: Shop
) -> None:
    creator, shopper = market.user("cr", Role.CREATOR), market.user("ada", Role.SHOPPER)
    market.affiliate("cr", shop.product_id)
    with server.client(creator) as c:
        video = {"title": "Glow", "duration_s": 20, "product_ids": [shop.product_id], "status": "published"}
        content_id = c.post("/v1/content", json=video).json()["id"]
    click_id = click(server, shop.product_id, shopper, content_id=content_id)["click_id"]
    lines = [line(shop.sku, 2500, quantity=2, discount_cents=500)]  # 50.00 - 5.00 discount
    r = deliver(server, shop.connection_id, order(2002, lines, click_id=click_id, via="note"))
    assert r.status_code == 200 and r.json()["outcome"] == "attributed"
    [conv] = conversions(market)
    assert (conv.status, conv.shop_order_id, conv.click_id) == (ConversionStatus.ATTRIBUTED, "2002", click_id)
    assert (conv.product_id, conv.content_id) == (shop.product_id, content_id)
    assert (conv.creator_user_id, conv.shopper_id) == (market.users["cr"], market.users["ada"])
    assert (conv.gmv_cents, conv.commission_rate_bps, conv.commission_cents) == (4500, 500, 225)
    assert events(market, ATTRIBUTED) == [
        {"conversion_id": conv.id, "seller_id": shop.seller_id, "gmv_cents": 4500, "commission_cents": 225}
    ]
    with server.client(shop.staff) as c:
        page = c.get(f"/v1/sellers/{shop.seller_id}/conversions").json()
        assert [(i["id"], i["gmv_cents"], i["status"]) for i in page["items"]] == [(conv.id, 4500, "attributed")]
    with server.client(market.user("zed-staff", Role.SELLER, market.seller("zed"))) as c:
        assert c.get(f"/v1/sellers/{shop.seller_id}/conversions").status_code == 404


def test_duplicate_event_ids_store_one_conversion(server: LiveServer, market: Market, shop: Shop) -> None:
    payload = order(3003, [line(shop.sku, 2500)], click_id=_clicked(server, market, shop))
    first = deliver(server, shop.connection_id, payload, event_id="evt-1")
    again = deliver(server, shop.connection_id, payload, event_id="evt-1")
    assert (first.json()["outcome"], again.status_code, again.json()["outcome"]) == ("attributed", 200, "duplicate")
    other_event = deliver(server, shop.connection_id, payload, event_id="evt-2")  # same order, new event id
    assert other_event.json()["outcome"] == "duplicate_order"
    assert len(conversions(market)) == 1 and len(events(market, ATTRIBUTED)) == 1 and deliveries(market) == 2


def test_concurrent_duplicate_deliveries_store_one_conversion(server: LiveServer, market: Market, shop: Shop) -> None:
    payload = order(4004, [line(shop.sku, 2500)], click_id=_clicked(server, market, shop))
    body = json.dumps(payload).encode()

    def send(event_id: str) -> tuple[int, str]:
        with server.client() as c:
            r = deliver(server, shop.connection_id, body, event_id=event_id, client=c)
            return r.status_code, r.json()["outcome"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        same = list(pool.map(send, ["evt-same"] * 8))
        mixed = list(pool.map(send, [f"evt-{i}" for i in range(6)]))
    assert all(status == 200 for status, _ in same + mixed)
    assert sorted(outcome for _, outcome in same) == ["attributed"] + ["duplicate"] * 7
    assert {outcome for _, outcome in mixed} == {"duplicate_order"}
    assert len(conversions(market)) == 1 and len(events(market, ATTRIBUTED)) == 1
    assert deliveries(market) == 7


def test_out_of_window_foreign_lines_currency_and_other_sellers_clicks(
    server: LiveServer, market: Market, shop: Shop
) -> None:
    other = open_shop(server, market, "zed")
    click_id = _clicked(server, market, shop)
    with market.db.transaction() as s:
        clicked_at = s.get_one(RedirectClick, click_id).created_at
    late = clicked_at + dt.timedelta(days=7, seconds=1)
    cases: list[tuple[int, dict[str, Any], str | None, int]] = [
        (1, order(5001, [line(shop.sku, 2500)], click_id=click_id, at=late), "outside_window", 0),
        (2, order(5002, [line(other.sku, 2500), line("NOT-OURS", 900)], click_id=click_id), "no_seller_items", 0),
        (3, order(5003, [line(shop.sku, 2500)], click_id=click_id, currency="CAD"), "currency_not_usd", 0),
        (4, order(5004, [line(shop.sku, 2500)], click_id=_clicked(server, market, other)), "other_seller_click", 0),
        (5, order(5005, [line(shop.sku, 2500)], click_id="ZZZZZZZZZZZZZZZZZZZZZZ"), "unknown_click", 0),
        (6, order(5006, [line(shop.sku, 2500), line(other.sku, 4000)], click_id=click_id), None, 2500),
    ]
    for _, payload, _, _ in cases:
        assert deliver(server, shop.connection_id, payload).status_code == 200
    no_click = deliver(server, shop.connection_id, order(5007, [line(shop.sku, 2500)]))
    assert no_click.json()["outcome"] == "no_click"
    found = {c.shop_order_id: c for c in conversions(market)}
    for _, payload, reason, gmv in cases:
        conv = found[str(payload["id"])]
        assert (conv.reason, conv.gmv_cents) == (reason, gmv), payload["id"]
        assert conv.status is (ConversionStatus.ATTRIBUTED if reason is None else ConversionStatus.UNATTRIBUTED)
    assert found["5004"].click_id is None and found["5004"].product_id is None  # the other seller's data stays theirs
    assert [e["gmv_cents"] for e in events(market, ATTRIBUTED)] == [2500]  # only the seller's own line counts


def test_cancellation_and_refunds_reverse_commission_once(server: LiveServer, market: Market, shop: Shop) -> None:
    extra = market.product(shop.seller_id, price_cents=1500)  # a second SKU of the same seller
    lines = [line(shop.sku, 2500, quantity=2), line(extra, 1500)]  # 65.00
    deliver(server, shop.connection_id, order(6006, lines, click_id=_clicked(server, market, shop)))
    [conv] = conversions(market)
    assert (conv.gmv_cents, conv.commission_cents) == (6500, 325)
    first = refund(77, 6006, [(shop.sku, 1, 2500)])
    assert deliver(server, shop.connection_id, first, topic="refunds/create").json()["outcome"] == "reversed"
    again = deliver(server, shop.connection_id, first, topic="refunds/create")  # same refund, new event id
    assert again.json()["outcome"] == "duplicate_adjustment"
    [conv] = conversions(market)
    assert (conv.status, conv.refunded_gmv_cents, conv.reversed_cents) == (ConversionStatus.ATTRIBUTED, 2500, 125)
    ignored = deliver(server, shop.connection_id, {"id": 6006}, topic="orders/updated")
    assert ignored.json()["outcome"] == "ignored"
    cancel = deliver(
        server, shop.connection_id, {"id": 6006, "cancelled_at": "2030-01-01T00:00:00Z"}, topic="orders/cancelled"
    )
    assert cancel.json()["outcome"] == "reversed"
    late_refund = deliver(server, shop.connection_id, refund(78, 6006, [(extra, 1, 1500)]), topic="refunds/create")
    assert late_refund.json()["outcome"] == "nothing_to_reverse"
    [conv] = conversions(market)
    assert (conv.status, conv.reversed_cents, conv.commission_cents) == (ConversionStatus.REVERSED, 325, 325)
    assert events(market, REVERSED) == [
        {"conversion_id": conv.id, "seller_id": shop.seller_id, "commission_cents": 125},
        {"conversion_id": conv.id, "seller_id": shop.seller_id, "commission_cents": 200},
    ]


def test_store_connections_keep_the_secret_write_only(server: LiveServer, market: Market, shop: Shop) -> None:
    with server.client(shop.staff) as c:
        listed = c.get(f"/v1/sellers/{shop.seller_id}/store-connections")
        assert listed.status_code == 200 and SECRET not in listed.text
        assert listed.json()[0]["webhook_path"] == f"/v1/stores/shopify/{shop.connection_id}/webhooks"
        dup = c.post(
            f"/v1/sellers/{shop.seller_id}/store-connections",
            json={"shop_domain": shop.domain.upper(), "webhook_secret": "another-secret-value-1"},
        )
        assert dup.status_code == 409 and dup.json()["code"] == "shop_taken"
        bad = c.post(
            f"/v1/sellers/{shop.seller_id}/store-connections",
            json={"shop_domain": "evil.example.com", "webhook_secret": "another-secret-value-1"},
        )
        assert bad.status_code == 422 and "another-secret-value-1" not in bad.text
        rotated = c.patch(f"/v1/store-connections/{shop.connection_id}", json={"webhook_secret": "rotated-secret-0001"})
        assert rotated.status_code == 200 and "rotated-secret" not in rotated.text
    payload = order(7007, [line(shop.sku, 2500)], click_id=_clicked(server, market, shop))
    assert deliver(server, shop.connection_id, payload).status_code == 401  # the old secret no longer works
    assert deliver(server, shop.connection_id, payload, secret="rotated-secret-0001").status_code == 200
    stranger = market.user("zed-staff", Role.SELLER, market.seller("zed"))
    with server.client(stranger) as c:
        assert c.get(f"/v1/sellers/{shop.seller_id}/store-connections").status_code == 404
        assert c.patch(f"/v1/store-connections/{shop.connection_id}", json={"is_active": False}).status_code == 404
    with server.client(market.user("ada", Role.SHOPPER)) as c:
        assert c.get(f"/v1/sellers/{shop.seller_id}/store-connections").status_code == 403
    with server.client(shop.staff) as c:
        assert c.patch(f"/v1/store-connections/{shop.connection_id}", json={"is_active": False}).status_code == 200
    assert deliver(server, shop.connection_id, payload, secret="rotated-secret-0001").status_code == 404
