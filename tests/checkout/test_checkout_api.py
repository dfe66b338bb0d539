"""Checkout through real HTTP on SQLite and PostgreSQL: given a market, when a shopper checks out,
then orders, reservations and payments are exactly what they should be, and bad input changes nothing."""

from __future__ import annotations

import uuid
from collections import Counter

from sqlalchemy import func, select, update

from support import ADDRESS, LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.models import Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.checkout.models import Payment
from yellowcart.orders.models import Order


def _buy(client, items, key=None, payment_method="tok_visa", address=ADDRESS):
    return client.post(
        "/v1/checkout",
        json={"items": items, "shipping_address": address, "payment_method": payment_method},
        headers={"Idempotency-Key": key or str(uuid.uuid4())},
    )


def _counts(market: Market) -> tuple[int, int]:
    with market.db.transaction() as s:
        return s.scalar(select(func.count(Order.id))) or 0, s.scalar(select(func.count(Payment.id))) or 0


def test_buy_now_places_paid_order_with_tax_and_reservation(server: LiveServer, market: Market) -> None:
    seller = market.seller("acme")
    sku = market.product(seller, price_cents=1250, stock=5)
    shopper = market.user("ada", Role.SHOPPER)
    with server.client(shopper) as c:
        r = _buy(c, [{"sku": sku, "quantity": 2}])
    assert r.status_code == 201, r.text
    body = r.json()
    (order,) = body["orders"]
    assert order["status"] == "AWAITING_SHIPMENT"
    assert order["subtotal_cents"] == 2500
    assert order["shipping_cents"] == 599  # under the $35 free-shipping threshold
    assert order["tax_cents"] == 100  # NY base 4% of $25.00
    assert order["total_cents"] == 2500 + 599 + 100 == body["total_cents"]
    assert body["payment"]["status"] == "authorized"
    assert market.stock(sku) == (5, 2)


def test_cart_checkout_splits_orders_per_seller(server: LiveServer, market: Market) -> None:
    a, b = market.seller("alpha"), market.seller("beta")
    sku_a, sku_b = market.product(a, price_cents=4000), market.product(b, price_cents=999)
    shopper = market.user("bo", Role.SHOPPER)
    with server.client(shopper) as c:
        cart = c.post("/v1/carts").json()
        c.put(f"/v1/carts/{cart['id']}/lines", json={"sku": sku_a, "quantity": 1}).raise_for_status()
        c.put(f"/v1/carts/{cart['id']}/lines", json={"sku": sku_b, "quantity": 3}).raise_for_status()
        priced = c.put(f"/v1/carts/{cart['id']}/address", json=ADDRESS).json()
        assert priced["totals"]["subtotal_cents"] == 4000 + 2997
        r = c.post(
            "/v1/checkout",
            json={"cart_id": cart["id"], "payment_method": "tok_visa"},
            headers={"Idempotency-Key": "k1"},
        )
        assert r.status_code == 201, r.text
        orders = r.json()["orders"]
        assert [o["seller_id"] for o in orders] == sorted([a, b])
        assert orders[0]["shipping_cents"] == 0 and orders[1]["shipping_cents"] == 599
        assert r.json()["total_cents"] == priced["totals"]["total_cents"]
        again = c.put(f"/v1/carts/{cart['id']}/lines", json={"sku": sku_a, "quantity": 2})
        assert again.status_code == 409  # a checked-out cart is closed


def test_same_key_replays_and_different_body_conflicts(server: LiveServer, market: Market) -> None:
    sku = market.product(market.seller("s"), stock=10)
    shopper = market.user("cy", Role.SHOPPER)
    with server.client(shopper) as c:
        first = _buy(c, [{"sku": sku, "quantity": 1}], key="same")
        second = _buy(c, [{"sku": sku, "quantity": 1}], key="same")
        other = _buy(c, [{"sku": sku, "quantity": 2}], key="same")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert _counts(market) == (1, 1)
    assert market.stock(sku) == (10, 1)
    assert server.container.provider.count("authorized") == 1


def test_insufficient_stock_names_skus_and_changes_nothing(server: LiveServer, market: Market) -> None:
    seller = market.seller("s")
    plenty, scarce = market.product(seller, stock=10), market.product(seller, stock=1)
    with server.client(market.user("di", Role.SHOPPER)) as c:
        r = _buy(c, [{"sku": plenty, "quantity": 2}, {"sku": scarce, "quantity": 3}])
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["code"] == "insufficient_stock"
    assert problem["items"] == [{"sku": scarce, "requested": 3, "available": 1}]
    assert _counts(market) == (0, 0)
    assert market.stock(plenty) == (10, 0) and market.stock(scarce) == (1, 0)


def test_split_reservation_across_warehouses(server: LiveServer, market: Market) -> None:
    sku = market.product(market.seller("s"), stock=[3, 4])
    with server.client(market.user("ed", Role.SHOPPER)) as c:
        assert _buy(c, [{"sku": sku, "quantity": 6}]).status_code == 201
        assert _buy(c, [{"sku": sku, "quantity": 2}]).status_code == 409
    assert market.stock(sku) == (7, 6)


def test_declined_card_cancels_and_releases(server: LiveServer, market: Market) -> None:
    sku = market.product(market.seller("s"), stock=2)
    with server.client(market.user("fi", Role.SHOPPER)) as c:
        r = _buy(c, [{"sku": sku, "quantity": 2}], payment_method="tok_chargeDeclined", key="d1")
        replay = _buy(c, [{"sku": sku, "quantity": 2}], payment_method="tok_chargeDeclined", key="d1")
    assert r.status_code == 402 and r.json()["code"] == "payment_declined"
    assert r.json()["decline_code"] == "card_declined"
    assert replay.status_code == 402 and replay.json() == r.json()
    assert market.stock(sku) == (2, 0)
    with market.db.transaction() as s:
        assert [o.status.value for o in s.scalars(select(Order))] == ["CANCELLED"]


def test_timeout_keeps_reservation_then_retry_with_same_key_settles(server: LiveServer, market: Market) -> None:
    sku = market.product(market.seller("s"), stock=3)
    with server.client(market.user("gu", Role.SHOPPER)) as c:
        r = _buy(c, [{"sku": sku, "quantity": 1}], payment_method="tok_timeout", key="t1")
        assert r.status_code == 503 and r.json()["code"] == "payment_unavailable"
        assert market.stock(sku) == (3, 1)  # held until the TTL or a retry
        again = _buy(c, [{"sku": sku, "quantity": 1}], payment_method="tok_timeout", key="t1")
        assert again.status_code == 503
    assert _counts(market) == (1, 1)  # the retry resumed the same order and payment


def test_reservation_expiry_job_releases_unpaid_stock(server: LiveServer, market: Market) -> None:
    import datetime as dt

    from yellowcart.db import utcnow

    sku = market.product(market.seller("s"), stock=3)
    with server.client(market.user("ha", Role.SHOPPER)) as c:
        assert _buy(c, [{"sku": sku, "quantity": 2}], payment_method="tok_timeout").status_code == 503
    assert server.container.expire_reservations(utcnow()) == []
    expired = server.container.expire_reservations(utcnow() + dt.timedelta(seconds=901))
    assert len(expired) == 1
    assert market.stock(sku) == (3, 0)
    with market.db.transaction() as s:
        order = s.get(Order, expired[0])
        assert order is not None and order.status.value == "CANCELLED" and order.cancel_reason == "reservation_expired"


def test_bad_input_is_4xx_and_changes_nothing(server: LiveServer, market: Market) -> None:
    sku = market.product(market.seller("s"), stock=5)
    redirect = market.product(market.seller("r"), mode=SellingMode.REDIRECT, stock=0)
    unpriced = market.product(market.seller("c"), mode=SellingMode.FULL_CUSTODY, stock=5)
    with market.db.transaction() as s:  # consigned, but the platform has not accepted a supply price yet
        s.execute(update(Variant).where(Variant.sku == unpriced).values(supply_price_cents=None))
    shopper = market.user("io", Role.SHOPPER)
    cases = [
        ({"items": [{"sku": unpriced, "quantity": 1}]}, 409, "not_purchasable"),
        ({"items": [{"sku": sku, "quantity": 0}]}, 422, "validation_error"),
        ({"items": [{"sku": sku, "quantity": 1000}]}, 422, "validation_error"),
        ({"items": [{"sku": sku, "quantity": -1}]}, 422, "validation_error"),
        ({"items": [{"sku": "NOPE-1", "quantity": 1}]}, 404, "not_found"),
        ({"items": [{"sku": redirect, "quantity": 1}]}, 409, "not_purchasable"),
        (
            {"items": [{"sku": sku, "quantity": 1}], "shipping_address": {**ADDRESS, "zip": "00000"}},
            422,
            "validation_error",
        ),
        (
            {"items": [{"sku": sku, "quantity": 1}], "shipping_address": {**ADDRESS, "state": "CA"}},
            422,
            "validation_error",
        ),
    ]
    with server.client(shopper) as c:
        for patch, status, code in cases:
            body = {"shipping_address": ADDRESS, "payment_method": "tok_visa", **patch}
            r = c.post("/v1/checkout", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
            assert (r.status_code, r.json()["code"]) == (status, code), (patch, r.text)
            assert "example.com" not in r.text  # a redirect listing's store is reached only through the tracked link
        malformed = c.post(
            "/v1/checkout", content=b"{not json", headers={"Idempotency-Key": "m", "Content-Type": "application/json"}
        )
        assert malformed.status_code == 422
        no_key = c.post(
            "/v1/checkout",
            json={"items": [{"sku": sku, "quantity": 1}], "shipping_address": ADDRESS, "payment_method": "tok_visa"},
        )
        assert no_key.status_code == 422 and no_key.json()["field"] == "Idempotency-Key"
    with server.client("yc_expired_or_bogus_token_value") as c:
        assert _buy(c, [{"sku": sku, "quantity": 1}]).status_code == 401
    assert _counts(market) == (0, 0)
    assert market.stock(sku) == (5, 0)


def test_roles_and_ownership(server: LiveServer, market: Market) -> None:
    seller_a, seller_b = market.seller("a"), market.seller("b")
    sku = market.product(seller_a, stock=5)
    ada, bob = market.user("ada", Role.SHOPPER), market.user("bob", Role.SHOPPER)
    seller_a_token = market.user("sa", Role.SELLER, seller_a)
    seller_b_token = market.user("sb", Role.SELLER, seller_b)
    with server.client(ada) as c:
        order_id = _buy(c, [{"sku": sku, "quantity": 1}]).json()["orders"][0]["id"]
        cart_id = c.post("/v1/carts").json()["id"]
    with server.client(bob) as c:
        assert c.get(f"/v1/orders/{order_id}").status_code == 404
        assert c.get(f"/v1/carts/{cart_id}").status_code == 404
        assert c.post(f"/v1/orders/{order_id}/cancel", json={}).status_code == 404
        assert c.get("/v1/orders").json()["items"] == []
    with server.client(seller_b_token) as c:
        assert c.get(f"/v1/orders/{order_id}").status_code == 404
        assert _buy(c, [{"sku": sku, "quantity": 1}]).status_code == 403
    with server.client(seller_a_token) as c:
        assert c.get(f"/v1/orders/{order_id}").status_code == 200
        assert [o["id"] for o in c.get("/v1/orders").json()["items"]] == [order_id]
    with server.client() as c:
        r = c.get("/v1/orders")
        assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")


def test_expired_token_is_refused(server: LiveServer, market: Market) -> None:
    import datetime as dt

    from yellowcart.auth.service import create_token

    market.user("old", Role.SHOPPER)
    with market.db.transaction() as s:
        token, _row = create_token(s, user_id=market.users["old"], ttl=dt.timedelta(seconds=-1))
    with server.client(token) as c:
        r = c.get("/v1/orders")
    assert r.status_code == 401 and "expired" in r.json()["detail"]


def test_stock_low_event_when_crossing_threshold(server: LiveServer, market: Market) -> None:
    from yellowcart.events import OutboxEvent

    sku = market.product(market.seller("s"), stock=8)  # threshold 5: 8 -> 6 (no), 6 -> 4 (yes), 4 -> 3 (no)
    with server.client(market.user("lo", Role.SHOPPER)) as c:
        for qty in (2, 2, 1):
            assert _buy(c, [{"sku": sku, "quantity": qty}]).status_code == 201
    with market.db.transaction() as s:
        low = [e.payload for e in s.scalars(select(OutboxEvent).where(OutboxEvent.topic == "stock.low"))]
        topics = Counter(s.scalars(select(OutboxEvent.topic)))
    assert [p["available"] for p in low] == [4]
    assert topics["order.placed"] == topics["order.paid"] == 3


def test_pay_retry_after_timeout_charges_once(server: LiveServer, market: Market) -> None:
    sku = market.product(market.seller("s"), stock=3)
    shopper, other = market.user("pt", Role.SHOPPER), market.user("po", Role.SHOPPER)
    with server.client(shopper) as c:
        r = _buy(c, [{"sku": sku, "quantity": 1}], payment_method="tok_timeoutOnce", key="first")
        assert r.status_code == 503
        (order,) = c.get("/v1/orders").json()["items"]
        assert order["status"] == "UNPAID" and order["payment_id"] == r.json()["payment_id"]
        order_id = order["id"]
        no_key = c.post(f"/v1/orders/{order_id}/pay")
        assert no_key.status_code == 422
    with server.client(other) as c:
        assert c.post(f"/v1/orders/{order_id}/pay", headers={"Idempotency-Key": "x"}).status_code == 404
    with server.client(shopper) as c:
        paid = c.post(f"/v1/orders/{order_id}/pay", headers={"Idempotency-Key": "pay-1"})
        assert paid.status_code == 201, paid.text
        assert paid.json()["orders"][0]["status"] == "AWAITING_SHIPMENT"
        replay = c.post(f"/v1/orders/{order_id}/pay", headers={"Idempotency-Key": "pay-1"})
        assert replay.status_code == 201 and replay.headers.get("Idempotent-Replayed") == "true"
        again = c.post(f"/v1/orders/{order_id}/pay", headers={"Idempotency-Key": "pay-2"})
        assert again.status_code == 409 and again.json()["code"] == "order_not_payable"
        resumed = _buy(c, [{"sku": sku, "quantity": 1}], payment_method="tok_timeoutOnce", key="first")
        assert resumed.status_code == 201  # the original checkout key now answers with the paid order
    assert server.container.provider.count("authorized") == 1
    assert market.stock(sku) == (3, 1)
