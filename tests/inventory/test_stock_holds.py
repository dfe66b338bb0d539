"""Stock holds: all-or-nothing, never below zero, and a hold whose order never got saved (the process
died in between) is released by the sweep, so reserved always equals what live reservations hold."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from support import LiveServer, Market
from yellowcart.catalog.models import Variant
from yellowcart.db import utcnow
from yellowcart.errors import InsufficientStock
from yellowcart.inventory import holds
from yellowcart.inventory.models import Reservation, ReservationStatus


def _variant(market: Market, sku: str) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(select(Variant.id).where(Variant.sku == sku)) or 0)


def test_orphan_hold_is_released_by_the_sweep(server: LiveServer, market: Market) -> None:
    sku = market.product(market.seller("s"), stock=5)
    want = holds.Want(_variant(market, sku), sku, 3)
    with market.db.transaction() as session:  # a checkout that dies right after holding
        held = holds.hold_stock(market.db, session, wants=[want], ttl=dt.timedelta(minutes=2))
    assert [h.quantity for h in held] == [3]
    assert market.stock(sku) == (5, 3)
    server.container.expire_reservations(utcnow())  # not expired yet: kept
    assert market.stock(sku) == (5, 3)
    server.container.expire_reservations(utcnow() + dt.timedelta(minutes=3))
    assert market.stock(sku) == (5, 0)
    with market.db.transaction() as s:
        statuses = s.scalars(select(Reservation.status)).all()
    assert statuses == [ReservationStatus.RELEASED]


def test_hold_is_all_or_nothing_across_lines(market: Market) -> None:
    seller = market.seller("s")
    a, b = market.product(seller, stock=5), market.product(seller, stock=1)
    wants = [holds.Want(_variant(market, a), a, 2), holds.Want(_variant(market, b), b, 2)]
    with pytest.raises(InsufficientStock) as info, market.db.transaction() as session:
        holds.hold_stock(market.db, session, wants=wants, ttl=dt.timedelta(minutes=2))
    assert info.value.extra["items"] == [{"sku": b, "requested": 2, "available": 1}]
    assert market.stock(a) == (5, 0) and market.stock(b) == (1, 0)
    with market.db.transaction() as s:
        active = s.scalar(select(func.count(Reservation.id)).where(Reservation.status == ReservationStatus.ACTIVE))
    assert active == 0
