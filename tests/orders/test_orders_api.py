"""Orders through real HTTP: cancel releases stock and voids the payment after commit; shipping
turns the reservation into a decrement and captures; illegal moves are clear 409s; history is kept."""

from __future__ import annotations

import uuid

from support import ADDRESS, LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.checkout.models import Payment


def _order(server: LiveServer, token: str, sku: str, qty: int = 1) -> int:
    with server.client(token) as c:
        r = c.post(
            "/v1/checkout",
            json={"items": [{"sku": sku, "quantity": qty}], "shipping_address": ADDRESS, "payment_method": "tok_visa"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert r.status_code == 201, r.text
        return int(r.json()["orders"][0]["id"])


def _payment(market: Market, order_id: int) -> Payment:
    from yellowcart.orders.models import Order

    with market.db.transaction() as s:
        order = s.get(Order, order_id)
        assert order is not None and order.payment_id is not None
        payment = s.get(Payment, order.payment_id)
        assert payment is not None
        return payment


def test_shopper_cancel_releases_stock_and_voids(server: LiveServer, market: Market) -> None:
    sku = market.product(market.seller("s"), stock=4)
    shopper = market.user("ann", Role.SHOPPER)
    order_id = _order(server, shopper, sku, 3)
    assert market.stock(sku) == (4, 3)
    with server.client(shopper) as c:
        r = c.post(f"/v1/orders/{order_id}/cancel", json={"reason": "changed my mind"})
        assert r.status_code == 200 and r.json()["status"] == "CANCELLED"
        again = c.post(f"/v1/orders/{order_id}/cancel", json={})
        assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
        history = c.get(f"/v1/orders/{order_id}/history").json()
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "UNPAID"),
        ("UNPAID", "AWAITING_SHIPMENT"),
        ("AWAITING_SHIPMENT", "CANCELLED"),
    ]
    assert history[-1]["actor_role"] == "shopper" and history[-1]["reason"] == "changed my mind"
    assert market.stock(sku) == (4, 0)
    assert _payment(market, order_id).status.value == "authorized"  # void happens after commit, in the worker
    assert server.container.worker is not None
    server.container.worker.run_once()
    assert _payment(market, order_id).status.value == "voided"
    assert server.container.provider.count("voided") == 1
    server.container.worker.run_once()  # nothing left to deliver: no second void
    assert server.container.provider.count("voided") == 1


def test_seller_ships_commits_stock_and_captures(server: LiveServer, market: Market) -> None:
    seller = market.seller("s")
    sku = market.product(seller, stock=5)
    seller_token = market.user("sel", Role.SELLER, seller)
    shopper = market.user("bo", Role.SHOPPER)
    order_id = _order(server, shopper, sku, 2)
    with server.client(seller_token) as c:
        r = c.post(f"/v1/orders/{order_id}/transitions", json={"to": "AWAITING_COLLECTION", "reason": "label printed"})
        assert r.status_code == 200, r.text
        assert market.stock(sku) == (5, 2)
        r = c.post(f"/v1/orders/{order_id}/transitions", json={"to": "IN_TRANSIT"})
        assert r.status_code == 200
        assert market.stock(sku) == (3, 0)
        bad = c.post(f"/v1/orders/{order_id}/transitions", json={"to": "AWAITING_SHIPMENT"})
        assert bad.status_code == 403  # sellers only move shipments along
        done = c.post(f"/v1/orders/{order_id}/transitions", json={"to": "COMPLETED"})
        assert done.status_code == 403
    with server.client(shopper) as c:
        late = c.post(f"/v1/orders/{order_id}/cancel", json={})
        assert late.status_code == 409  # already shipped: nobody can cancel, returns take over
    assert server.container.worker is not None
    server.container.worker.run_once()
    payment = _payment(market, order_id)
    assert payment.status.value == "captured" and payment.captured_cents == payment.amount_cents


def test_operator_moves_and_illegal_transition(server: LiveServer, market: Market) -> None:
    sku = market.product(market.seller("s"), stock=5)
    ops = market.user("ops", Role.OPERATOR)
    order_id = _order(server, market.user("cy", Role.SHOPPER), sku)
    with server.client(ops) as c:
        bad = c.post(f"/v1/orders/{order_id}/transitions", json={"to": "DELIVERED"})
        assert bad.status_code == 409
        problem = bad.json()
        assert problem["code"] == "invalid_transition" and "IN_TRANSIT" in problem["allowed"]
        for step in ("IN_TRANSIT", "DELIVERED", "COMPLETED"):
            assert c.post(f"/v1/orders/{order_id}/transitions", json={"to": step}).status_code == 200
        junk = c.post(f"/v1/orders/{order_id}/transitions", json={"to": "SHIPPED_TO_MARS"})
        assert junk.status_code == 422 and junk.json()["errors"][0]["field"] == "to"


def test_listing_is_paged_by_cursor(server: LiveServer, market: Market) -> None:
    sku = market.product(market.seller("s"), stock=50)
    shopper = market.user("dee", Role.SHOPPER)
    ids = {_order(server, shopper, sku) for _ in range(7)}
    seen: list[int] = []
    with server.client(shopper) as c:
        cursor = None
        while True:
            params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            page = c.get("/v1/orders", params=params).json()
            seen += [o["id"] for o in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert c.get("/v1/orders", params={"cursor": "%%%"}).status_code == 422
    assert seen == sorted(ids, reverse=True)


def test_split_payment_captures_shipped_and_releases_cancelled(server: LiveServer, market: Market) -> None:
    """One payment, two sellers: one order ships (captured), the other is cancelled (released)."""
    a, b = market.seller("a"), market.seller("b")
    sku_a, sku_b = market.product(a, price_cents=1000), market.product(b, price_cents=2000)
    shopper = market.user("sp", Role.SHOPPER)
    with server.client(shopper) as c:
        r = c.post(
            "/v1/checkout",
            json={
                "items": [{"sku": sku_a, "quantity": 1}, {"sku": sku_b, "quantity": 1}],
                "shipping_address": ADDRESS,
                "payment_method": "tok_visa",
            },
            headers={"Idempotency-Key": "split"},
        )
        assert r.status_code == 201
        order_a, order_b = r.json()["orders"]
    with server.client(market.user("sa", Role.SELLER, a)) as c:
        assert c.post(f"/v1/orders/{order_a['id']}/transitions", json={"to": "IN_TRANSIT"}).status_code == 200
    assert server.container.worker is not None
    server.container.worker.run_once()
    mid = _payment(market, order_a["id"])
    assert (mid.captured_cents, mid.voided_cents) == (order_a["total_cents"], 0)
    assert server.container.provider.count("voided") == 0  # order b may still ship
    with server.client(market.user("sb", Role.SELLER, b)) as c:
        assert c.post(f"/v1/orders/{order_b['id']}/cancel", json={"reason": "out of stock"}).status_code == 200
    server.container.worker.run_once()
    end = _payment(market, order_a["id"])
    assert end.status.value == "captured"
    assert (end.captured_cents, end.voided_cents) == (order_a["total_cents"], order_b["total_cents"])
    assert server.container.provider.count("voided") == 1
