"""Allocation when an order is paid, on SQLite and PostgreSQL through real HTTP checkout: the promise
is stored on the order, one warehouse when it can, a split when it must, reservations follow the
choice (stock rows locked in id order), re-allocation when a warehouse cannot ship, once per event."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, func, select

from shipping.shipping_world import buy, drain, platform_warehouse, put_stock, stock_at
from support import ADDRESS, LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.modes import SellingMode
from yellowcart.events import OutboxEvent
from yellowcart.fulfillment import handlers
from yellowcart.fulfillment.models import Shipment, ShipmentStatus


@pytest.fixture
def world(server: LiveServer, market: Market) -> dict[str, Any]:
    acme = market.seller("acme")  # its Newark warehouse; a second one (Austin) appears with stock lists
    return {
        "acme": acme,
        "shopper": market.user("ada", Role.SHOPPER),
        "seller": market.user("acme-staff", Role.SELLER, acme),
        "ops": market.user("ops", Role.OPERATOR),
    }


def _shipments(market: Market, order_id: int) -> list[Shipment]:
    with market.db.transaction() as s:
        rows = s.scalars(select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id)).all()
        for row in rows:
            _ = row.lines
        s.expunge_all()
        return list(rows)


def test_checkout_stores_the_promise_on_the_order(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    sku = market.product(world["acme"], stock=5)
    redirect = market.product(world["acme"], stock=0, mode=SellingMode.REDIRECT)
    with server.client(world["shopper"]) as c:
        cart = c.post("/v1/carts").json()
        assert c.put(f"/v1/carts/{cart['id']}/lines", json={"sku": sku, "quantity": 2}).status_code == 200
        assert c.get(f"/v1/carts/{cart['id']}").json()["delivery"] is None  # no address yet
        quoted = c.put(f"/v1/carts/{cart['id']}/address", json=ADDRESS).json()["delivery"]
        assert quoted["zip"] == "10118" and quoted["single_shipment"] is True
    placed = buy(server, world["shopper"], [(sku, 2)])["orders"][0]
    assert placed["promised_delivery_date"] == quoted["delivery_date"]
    assert placed["promise_level"] == quoted["level"] and placed["promise_service"] in {"ground", "two_day", "next_day"}
    assert placed["promise_warehouse_id"] == market.warehouse_ids[0]
    with server.client(world["shopper"]) as c:
        again = c.get(f"/v1/orders/{placed['id']}").json()
        assert again["promised_delivery_date"] == placed["promised_delivery_date"]
        assert redirect  # redirect listings cannot be checked out, so they never carry a promise


def test_one_warehouse_preferred_and_reservations_follow(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    newark = market.warehouse_ids[0]
    sku = market.product(world["acme"], stock=[3, 10])  # the hold goes to the fullest (Austin)
    order = buy(server, world["shopper"], [(sku, 2)])["orders"][0]
    austin = next(w for w in _wids(market, world["acme"]) if w != newark)
    assert stock_at(market.db, sku, austin) == (10, 2)
    drain(server)
    [shipment] = _shipments(market, order["id"])
    assert shipment.warehouse_id == newark and shipment.status is ShipmentStatus.ALLOCATED  # nearer, cheaper
    assert shipment.promised_date is not None and shipment.estimated_date is not None
    assert stock_at(market.db, sku, newark) == (3, 2) and stock_at(market.db, sku, austin) == (10, 0)


def _wids(market: Market, seller_id: int) -> list[int]:
    from yellowcart.inventory.models import Warehouse

    with market.db.transaction() as s:
        return list(s.scalars(select(Warehouse.id).where(Warehouse.seller_id == seller_id).order_by(Warehouse.id)))


def test_split_only_when_no_single_warehouse_holds_everything(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    a = market.product(world["acme"], stock=[4, 0])
    b = market.product(world["acme"], stock=[0, 4])
    order = buy(server, world["shopper"], [(a, 1), (b, 1)])["orders"][0]
    assert order["promise_warehouse_id"] is None  # the promise itself was a split
    drain(server)
    shipments = _shipments(market, order["id"])
    assert len(shipments) == 2 and len({s.warehouse_id for s in shipments}) == 2


def test_platform_stock_allocates_to_platform_warehouses_with_labels(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    sku = market.product(world["acme"], stock=0, mode=SellingMode.FULL_CUSTODY)
    far = platform_warehouse(market.db, "PLAT-LA", "Los Angeles", "CA", "90021")
    near = platform_warehouse(market.db, "PLAT-NJ", "Newark", "NJ", "07102")
    put_stock(market.db, sku, far, 9)
    put_stock(market.db, sku, near, 2)
    order = buy(server, world["shopper"], [(sku, 1)])["orders"][0]
    drain(server)
    [shipment] = _shipments(market, order["id"])
    assert shipment.warehouse_id == near and shipment.fulfilled_by == "platform"
    assert shipment.status is ShipmentStatus.LABEL_CREATED and shipment.tracking_number
    assert shipment.provider == "simulated" and shipment.label_cost_cents and shipment.label_ref


def test_an_event_delivered_twice_allocates_once(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    sku = market.product(world["acme"], stock=5)
    order = buy(server, world["shopper"], [(sku, 1)])["orders"][0]
    with market.db.transaction() as s:
        paid = s.scalar(select(OutboxEvent).where(OutboxEvent.topic == "order.paid"))
        assert paid is not None
        handlers.on_order_paid(s, paid)
        handlers.on_order_paid(s, paid)
    drain(server)  # and the worker delivers it a third time
    assert len(_shipments(market, order["id"])) == 1
    assert stock_at(market.db, sku, market.warehouse_ids[0]) == (5, 1)


def test_stock_rows_are_locked_in_id_order(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    a = market.product(world["acme"], stock=[4, 4])
    b = market.product(world["acme"], stock=[4, 4])
    buy(server, world["shopper"], [(b, 1), (a, 1)])
    seen: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM stock" in statement and "stock.id IN" in statement:
            seen.append(" ".join(statement.split()))

    event.listen(market.db.engine, "before_cursor_execute", capture)
    try:
        drain(server)
    finally:
        event.remove(market.db.engine, "before_cursor_execute", capture)
    assert seen and all("ORDER BY stock.id" in sql for sql in seen)
    if market.db.dialect == "postgresql":
        assert all("FOR UPDATE" in sql for sql in seen)


def test_reallocate_when_a_warehouse_cannot_ship(server: LiveServer, market: Market, world: dict[str, Any]) -> None:
    newark = market.warehouse_ids[0]
    sku = market.product(world["acme"], stock=[5, 5])
    lonely = market.product(world["acme"], stock=[5, 0])
    order = buy(server, world["shopper"], [(sku, 2)])["orders"][0]
    solo = buy(server, world["shopper"], [(lonely, 1)])["orders"][0]
    drain(server)
    [first] = _shipments(market, order["id"])
    assert first.warehouse_id == newark
    with server.client(world["seller"]) as c:
        todo = c.get("/v1/shipments", params={"status": "allocated"}).json()["items"]
        assert {s["order_id"] for s in todo} == {order["id"], solo["id"]}
        r = c.post(f"/v1/shipments/{first.id}/reallocate", json={"reason": "stock_count_wrong"})
        assert r.status_code == 200, r.text
        [moved] = r.json()
        assert moved["warehouse_id"] != newark and moved["status"] == "allocated"
        assert c.post(f"/v1/shipments/{first.id}/reallocate", json={"reason": "nope"}).status_code == 422
        [only] = _shipments(market, solo["id"])
        refused = c.post(f"/v1/shipments/{only.id}/reallocate", json={"reason": "capacity_exceeded"})
        assert refused.status_code == 409 and refused.json()["code"] == "no_allocation"
    statuses = [s.status for s in _shipments(market, order["id"])]
    assert statuses == [ShipmentStatus.CANCELLED, ShipmentStatus.ALLOCATED]
    assert stock_at(market.db, sku, newark) == (5, 0) and stock_at(market.db, sku, moved["warehouse_id"]) == (5, 2)
    assert [s.status for s in _shipments(market, solo["id"])] == [ShipmentStatus.ALLOCATED]  # unchanged
    with server.client(world["shopper"]) as c:
        assert c.post(f"/v1/shipments/{only.id}/reallocate", json={"reason": "capacity_exceeded"}).status_code == 403
    with market.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Shipment)) == 3


def test_concurrent_workers_allocate_every_order_without_overselling(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    """Several outbox workers allocate at once (SKIP LOCKED hands each its own events): every order gets
    exactly one shipment, reservations move between warehouses without losing or doubling a unit."""
    import threading

    from yellowcart.events import OutboxWorker

    newark = market.warehouse_ids[0]
    sku = market.product(world["acme"], stock=[4, 8])  # holds go to the fullest; allocation prefers Newark
    austin = next(w for w in _wids(market, world["acme"]) if w != newark)
    orders = [buy(server, world["shopper"], [(sku, 1)])["orders"][0]["id"] for _ in range(8)]
    assert stock_at(market.db, sku, austin)[1] + stock_at(market.db, sku, newark)[1] == 8
    base = server.container.worker
    assert base is not None
    errors: list[BaseException] = []

    def run() -> None:
        worker = OutboxWorker(base.db, base.bus)
        try:
            for _ in range(20):
                if worker.run_once() == 0:
                    return
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    drain(server)  # whatever a worker left for a retry
    assert not errors, errors
    per_order = [_shipments(market, order_id) for order_id in orders]
    assert all(len(found) == 1 for found in per_order), per_order
    chosen = [found[0].warehouse_id for found in per_order]
    assert chosen.count(newark) == 4 and chosen.count(austin) == 4  # the nearer one until it runs out
    assert stock_at(market.db, sku, newark) == (4, 4) and stock_at(market.db, sku, austin) == (8, 4)
