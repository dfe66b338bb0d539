"""An operator's change of a warehouse's daily capacity and cut-off (fulfillment.capacity), at the service
level on SQLite and PostgreSQL: the form's values are parsed strictly, the change is audited with the values
before and after, and the next delivery promise and the next allocation use the new values."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from shipping.shipping_world import buy
from support import LiveServer, Market
from yellowcart.audit.models import AuditEntry
from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.db import Database, utcnow
from yellowcart.errors import Forbidden, InvalidInput, NotFound
from yellowcart.fulfillment import allocate, capacity, service
from yellowcart.fulfillment.capacity import Schedule
from yellowcart.fulfillment.models import CapacityUsage
from yellowcart.inventory.models import Warehouse

TUESDAY_10AM_EST = dt.datetime(2026, 11, 17, 15, 0, tzinfo=dt.UTC)
TUESDAY, WEDNESDAY = dt.date(2026, 11, 17), dt.date(2026, 11, 18)


def _operator(market: Market) -> Principal:
    market.user("olive", Role.OPERATOR)
    return Principal(user_id=market.users["olive"], role=Role.OPERATOR)


def _change(db: Database, who: Principal, warehouse_id: int, cap: int | None, cutoff: int = 14 * 60) -> None:
    with db.transaction() as s:
        capacity.change_schedule(s, principal=who, warehouse_id=warehouse_id, schedule=Schedule(cap, cutoff))


def _pick_day(db: Database, sku: str) -> dt.date | None:
    with db.transaction() as s:
        promise = service.delivery_promise(s, sku=sku, qty=1, ship_to_zip="10118", now=TUESDAY_10AM_EST)
    return promise.pick_date if promise else None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("", None), ("  ", None), ("0", 0), ("250", 250), ("1,200", 1200), ("10000000", 10_000_000)],
)
def test_capacity_as_typed(typed: str, expected: int | None) -> None:
    assert capacity.parse_capacity(typed) == expected


@pytest.mark.parametrize("typed", ["-1", "1.5", "abc", "1e3", "10000001", "99999999999"])
def test_capacity_refused(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        capacity.parse_capacity(typed)
    assert refused.value.extra["field"] == "daily_capacity"


@pytest.mark.parametrize(("typed", "minutes"), [("00:00", 0), ("14:30", 870), ("23:59", 1439), (" 09:05 ", 545)])
def test_cutoff_as_typed(typed: str, minutes: int) -> None:
    assert capacity.parse_cutoff(typed) == minutes
    assert capacity.format_cutoff(minutes) == typed.strip()


@pytest.mark.parametrize("typed", ["", "24:00", "9:5", "14:60", "2pm", "14:30:00"])
def test_cutoff_refused(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        capacity.parse_cutoff(typed)
    assert refused.value.extra["field"] == "cutoff_local"


def test_change_is_audited_and_refusals_write_nothing(db: Database, market: Market) -> None:
    market.seller("acme")
    wh = market.warehouse_ids[0]
    who = _operator(market)
    _change(db, who, wh, 40, 13 * 60 + 15)
    _change(db, who, wh, 40, 13 * 60 + 15)  # the same values again: nothing to record
    seller = Principal(user_id=who.user_id, role=Role.SELLER, seller_id=market.seller_ids[0])
    for principal, schedule, error in [
        (seller, Schedule(5, 600), Forbidden),  # sellers use the API for their own warehouses
        (who, Schedule(-1, 600), InvalidInput),
        (who, Schedule(capacity.MAX_DAILY_CAPACITY + 1, 600), InvalidInput),
        (who, Schedule(5, 24 * 60), InvalidInput),
    ]:
        with pytest.raises(error), db.transaction() as s:
            capacity.change_schedule(s, principal=principal, warehouse_id=wh, schedule=schedule)
    with pytest.raises(NotFound), db.transaction() as s:
        capacity.change_schedule(s, principal=who, warehouse_id=wh + 999, schedule=Schedule(5, 600))

    with db.transaction() as s:
        row = s.get(Warehouse, wh)
        assert row is not None and (row.daily_capacity, row.cutoff_minutes) == (40, 795)
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == capacity.AUDIT_ACTION)).all()
    assert (entry.actor_id, entry.actor_role, entry.subject_kind, entry.subject_id) == (
        who.user_id,
        "operator",
        "warehouse",
        str(wh),
    )
    assert entry.detail["before"] == {"daily_capacity": None, "cutoff_local": "14:00"}
    assert entry.detail["after"] == {"daily_capacity": 40, "cutoff_local": "13:15"}


def test_a_new_capacity_or_cutoff_changes_the_promise(db: Database, market: Market) -> None:
    """Tuesday 10:00 in Newark with two orders booked for Tuesday: a limit of 2 pushes the pick to
    Wednesday, 3 (or none) brings it back; a 09:00 cut-off has passed, so Wednesday again."""
    sku = market.product(market.seller("acme"), stock=5)
    wh = market.warehouse_ids[0]
    who = _operator(market)
    with db.transaction() as s:
        s.execute(update(Warehouse).values(services=["next_day"]))
        service.book_capacity(s, warehouse_id=wh, day=TUESDAY, orders=2)
    assert _pick_day(db, sku) == TUESDAY  # no limit yet

    _change(db, who, wh, 2)
    assert _pick_day(db, sku) == WEDNESDAY
    _change(db, who, wh, 3)
    assert _pick_day(db, sku) == TUESDAY
    _change(db, who, wh, 0)
    assert _pick_day(db, sku) is None  # takes no orders: no promise from here
    _change(db, who, wh, None, cutoff=9 * 60)
    assert _pick_day(db, sku) == WEDNESDAY
    _change(db, who, wh, None, cutoff=14 * 60)
    assert _pick_day(db, sku) == TUESDAY


def test_a_new_capacity_changes_where_an_order_is_booked(server: LiveServer, market: Market) -> None:
    """Newark is the fastest for a New York shopper; at capacity 0 allocation books Austin instead, and once
    the limit is lifted the next order is booked in Newark again."""
    acme = market.seller("acme")
    sku = market.product(acme, stock=[5, 5])  # Newark, then Austin
    newark, austin = market.warehouse_ids[0], _austin(market.db, acme)
    shopper = market.user("ada", Role.SHOPPER)
    who = _operator(market)

    def allocated_to() -> int:
        order_id = buy(server, shopper, [(sku, 1)])["orders"][0]["id"]
        with market.db.transaction() as s:
            [shipment] = allocate.allocate_order(s, order_id=order_id, now=utcnow())
            return shipment.warehouse_id

    _change(market.db, who, newark, 0)
    assert allocated_to() == austin
    _change(market.db, who, newark, None)
    assert allocated_to() == newark
    with market.db.transaction() as s:
        booked = {(w, n) for w, n in s.execute(select(CapacityUsage.warehouse_id, CapacityUsage.booked))}
    assert booked == {(austin, 1), (newark, 1)}


def _austin(db: Database, seller_id: int) -> int:
    with db.transaction() as s:
        return int(
            s.scalars(select(Warehouse.id).where(Warehouse.seller_id == seller_id, Warehouse.state == "TX")).one()
        )
