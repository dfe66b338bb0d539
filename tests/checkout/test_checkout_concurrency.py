"""Real concurrency through real HTTP: many shoppers race for a few units; none is oversold.

PostgreSQL: 200 concurrent checkouts for 50 units. SQLite (one writer at a time): 40 for 10.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from support import ADDRESS, LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.checkout.models import Payment
from yellowcart.inventory.models import Reservation, ReservationStatus
from yellowcart.orders.models import Order
from yellowcart.orders.state import OrderStatus


def _sizes(backend: str) -> tuple[int, int, int]:
    """(clients, units, threads)"""
    return (200, 50, 64) if backend == "postgres" else (40, 10, 16)


def test_flash_sale_never_oversells(server: LiveServer, market: Market, backend: str) -> None:
    clients, units, threads = _sizes(backend)
    sku = market.product(market.seller("hot"), stock=units, price_cents=999)
    tokens = [market.user(f"buyer{i}", Role.SHOPPER) for i in range(clients)]
    body = {"items": [{"sku": sku, "quantity": 1}], "shipping_address": ADDRESS, "payment_method": "tok_visa"}

    def attempt(token: str) -> httpx.Response:
        with server.client(token) as c:
            return c.post("/v1/checkout", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})

    with ThreadPoolExecutor(threads) as pool:
        responses = list(pool.map(attempt, tokens))

    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == units, statuses
    assert statuses.count(409) == clients - units, statuses
    assert all(r.json()["code"] == "insufficient_stock" for r in responses if r.status_code == 409)
    assert market.stock(sku) == (units, units)
    with market.db.transaction() as s:
        assert s.scalar(select(func.count(Order.id))) == units
        assert s.scalar(select(func.count(Payment.id))) == units
        assert s.scalar(select(func.count(Order.id)).where(Order.status != OrderStatus.AWAITING_SHIPMENT)) == 0
        active = s.scalar(
            select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
                Reservation.status == ReservationStatus.ACTIVE
            )
        )
        assert active == units  # every reserved unit belongs to exactly one live order: no orphans


def test_concurrent_retries_of_one_key_create_one_order(server: LiveServer, market: Market, backend: str) -> None:
    sku = market.product(market.seller("s"), stock=100)
    token = market.user("retry", Role.SHOPPER)
    body = {"items": [{"sku": sku, "quantity": 2}], "shipping_address": ADDRESS, "payment_method": "tok_visa"}

    def attempt(_: int) -> httpx.Response:
        with server.client(token) as c:
            return c.post("/v1/checkout", json=body, headers={"Idempotency-Key": "one-key"})

    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(attempt, range(16 if backend == "postgres" else 8)))

    assert {r.status_code for r in responses} == {201}, [r.text for r in responses if r.status_code != 201]
    order_ids = {tuple(o["id"] for o in r.json()["orders"]) for r in responses}
    assert len(order_ids) == 1
    assert market.stock(sku) == (100, 2)
    with market.db.transaction() as s:
        assert s.scalar(select(func.count(Order.id))) == 1
        assert s.scalar(select(func.count(Payment.id))) == 1
    assert server.container.provider.count("authorized") == 1


@pytest.mark.parametrize("units", [3])
def test_cancel_races_checkout_without_losing_units(server: LiveServer, market: Market, units: int) -> None:
    """Shoppers cancel while others buy: at the end reserved equals what live orders hold."""
    sku = market.product(market.seller("s"), stock=units)
    tokens = [market.user(f"b{i}", Role.SHOPPER) for i in range(12)]
    body = {"items": [{"sku": sku, "quantity": 1}], "shipping_address": ADDRESS, "payment_method": "tok_visa"}

    def buy_then_cancel(token: str) -> int:
        bought = 0
        with server.client(token) as c:
            for _ in range(3):
                r = c.post("/v1/checkout", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
                if r.status_code == 201:
                    bought += 1
                    oid = r.json()["orders"][0]["id"]
                    assert c.post(f"/v1/orders/{oid}/cancel", json={"reason": "changed mind"}).status_code == 200
        return bought

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(buy_then_cancel, tokens)) >= units
    assert market.stock(sku) == (units, 0)
