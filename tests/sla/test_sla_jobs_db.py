"""SLA jobs against a real database (SQLite and PostgreSQL): late dispatch, auto-cancel with stock
and payment, lost parcels reshipped or refunded, late delivery; every rerun records nothing new."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select, update

from shipping.shipping_world import drain, stock_at
from sla.sla_world import T0, incidents, notices, platform_order, scan, seller_order, shipments_of
from support import LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.checkout.models import Payment
from yellowcart.checkout.payments import TestPaymentProvider as FakeProvider
from yellowcart.fulfillment.models import Shipment, ShipmentStatus
from yellowcart.orders.models import Order
from yellowcart.orders.state import OrderStatus


@pytest.fixture
def world(server: LiveServer, market: Market) -> dict[str, Any]:
    acme = market.seller("acme")
    return {
        "acme": acme,
        "shopper": market.user("ada", Role.SHOPPER),
        "seller": market.user("acme-staff", Role.SELLER, acme),
    }


def _status(market: Market, order_id: int) -> OrderStatus:
    with market.db.transaction() as s:
        return s.scalar(select(Order.status).where(Order.id == order_id))  # type: ignore[return-value]


def test_late_dispatch_flags_and_notifies_once_in_the_warehouse_zone(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    order_id, _ = seller_order(server, market, world)
    run = server.container.run_sla_jobs
    assert run(dt.datetime(2030, 1, 9, 4, 59, tzinfo=dt.UTC)).total() == 0  # Tue 23:59 in Newark: on time
    first = run(dt.datetime(2030, 1, 9, 5, 0, tzinfo=dt.UTC))
    [shipment] = shipments_of(market, order_id)
    assert first.late_dispatch == [shipment.id] and not first.auto_cancelled
    assert incidents(market) == [("late_dispatch", shipment.id, "notified_seller")]
    assert [r for r, _ in notices(market)] == ["seller"]
    assert run(dt.datetime(2030, 1, 10, 12, tzinfo=dt.UTC)).total() == 0  # rerun: nothing new
    assert len(notices(market)) == 1 and _status(market, order_id) is OrderStatus.AWAITING_SHIPMENT


def test_auto_cancel_releases_stock_and_voids_the_payment_once(
    server: LiveServer, market: Market, world: dict[str, Any], provider: FakeProvider
) -> None:
    order_id, sku = seller_order(server, market, world)
    assert market.stock(sku) == (10, 1)
    run = server.container.run_sla_jobs
    assert not run(dt.datetime(2030, 1, 16, 4, 59, tzinfo=dt.UTC)).auto_cancelled  # 6 business days
    done = run(dt.datetime(2030, 1, 16, 5, 0, tzinfo=dt.UTC))
    [shipment] = shipments_of(market, order_id)
    assert done.auto_cancelled == [shipment.id]
    assert _status(market, order_id) is OrderStatus.CANCELLED
    assert market.stock(sku) == (10, 0)  # the held unit is back on sale
    drain(server)  # order.cancelled -> void the authorisation, cancel the package
    assert provider.count("voided") == 1 and provider.count("captured") == 0 and provider.count("refunded") == 0
    assert shipments_of(market, order_id)[0].status is ShipmentStatus.CANCELLED
    assert run(dt.datetime(2030, 1, 20, 12, tzinfo=dt.UTC)).total() == 0
    drain(server)
    assert provider.count("voided") == 1 and market.stock(sku) == (10, 0)
    assert sorted(k for k, _, _ in incidents(market)) == ["auto_cancel", "late_dispatch"]
    assert {r for r, _ in notices(market)} == {"seller", "shopper"}


def _handed(server: LiveServer, market: Market, order_id: int) -> Shipment:
    [shipment] = shipments_of(market, order_id)
    assert shipment.tracking_number
    scan(server, shipment.tracking_number, "accepted", T0)
    assert _status(market, order_id) is OrderStatus.IN_TRANSIT
    return shipment


def test_lost_parcel_is_reshipped_when_stock_allows(
    server: LiveServer, market: Market, world: dict[str, Any], provider: FakeProvider
) -> None:
    order_id, sku, wid = platform_order(server, market, world, stock=3)
    lost = _handed(server, market, order_id)
    assert stock_at(market.db, sku, wid) == (2, 0)
    run = server.container.run_sla_jobs
    assert not run(T0 + dt.timedelta(days=6)).lost
    assert run(T0 + dt.timedelta(days=7)).lost == [lost.id]
    old, new = shipments_of(market, order_id)
    assert old.status is ShipmentStatus.CANCELLED and old.cancel_reason == f"lost; reshipped as {new.id}"
    assert new.status is ShipmentStatus.ALLOCATED and [sl.quantity for sl in new.lines] == [1]
    assert stock_at(market.db, sku, wid) == (2, 1)  # a unit held for the replacement
    assert ("lost_parcel", lost.id, "reshipped") in incidents(market)
    drain(server)  # the replacement gets its label
    assert run(T0 + dt.timedelta(days=9)).lost == []
    assert provider.count("refunded") == 0
    # The replacement leaves: its unit is committed by the next run.
    [_, new] = shipments_of(market, order_id)
    assert new.tracking_number
    scan(server, new.tracking_number, "accepted", T0 + dt.timedelta(days=10), eid="e2")
    server.container.run_sla_jobs(T0 + dt.timedelta(days=10, hours=1))
    assert stock_at(market.db, sku, wid) == (1, 0)


def test_lost_parcel_is_refunded_once_when_it_cannot_be_reshipped(
    server: LiveServer, market: Market, world: dict[str, Any], provider: FakeProvider
) -> None:
    order_id, sku, wid = platform_order(server, market, world, stock=1)
    lost = _handed(server, market, order_id)
    assert provider.count("captured") == 1
    run = server.container.run_sla_jobs
    assert run(T0 + dt.timedelta(days=8)).lost == [lost.id]
    assert run(T0 + dt.timedelta(days=9)).lost == []
    drain(server)
    assert provider.count("refunded") == 1
    with market.db.transaction() as s:
        total = s.scalar(select(Order.total_cents).where(Order.id == order_id))
        payment = s.scalar(select(Payment).join(Order, Order.payment_id == Payment.id).where(Order.id == order_id))
        assert payment is not None and payment.refunded_cents == total == payment.captured_cents
    assert shipments_of(market, order_id)[0].status is ShipmentStatus.LOST
    assert ("lost_parcel", lost.id, "refunded") in incidents(market)
    assert stock_at(market.db, sku, wid) == (0, 0)
    # Its only parcel lost and the money back: the order is closed, not left in transit forever.
    assert _status(market, order_id) is OrderStatus.CANCELLED
    with market.db.transaction() as s:
        reason = s.scalar(select(Order.cancel_reason).where(Order.id == order_id))
    assert reason == "lost_in_transit"


def test_late_delivery_notifies_the_shopper_in_their_zone(
    server: LiveServer, market: Market, world: dict[str, Any]
) -> None:
    order_id, _, _ = platform_order(server, market, world, stock=2)
    shipment = _handed(server, market, order_id)
    promised = dt.date(2030, 1, 10)
    with market.db.transaction() as s:
        s.execute(update(Shipment).where(Shipment.id == shipment.id).values(promised_date=promised))
    run = server.container.run_sla_jobs
    assert run(dt.datetime(2030, 1, 11, 4, 30, tzinfo=dt.UTC)).late_delivery == []  # 23:30 in New York
    assert run(dt.datetime(2030, 1, 11, 5, 30, tzinfo=dt.UTC)).late_delivery == [shipment.id]
    assert run(dt.datetime(2030, 1, 12, 5, 30, tzinfo=dt.UTC)).late_delivery == []
    assert ("late_delivery", shipment.id, "notified_shopper") in incidents(market)
    assert [r for r, _ in notices(market)] == ["shopper"]
