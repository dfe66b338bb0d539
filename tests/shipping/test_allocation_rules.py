"""Allocation rules without a database: single warehouse preferred, cheapest that keeps the promise,
deterministic ties, capacity, split only when no single warehouse can fill the order."""

from __future__ import annotations

import datetime as dt

from yellowcart.fulfillment.allocation import Site, Want, plan_allocation
from yellowcart.fulfillment.geo import place_of
from yellowcart.fulfillment.promise import Node
from yellowcart.fulfillment.transit import TransitModel

NOW = dt.datetime(2025, 3, 4, 15, 0, tzinfo=dt.UTC)  # a Tuesday, 10:00 in New York
NY = place_of("10118")


def node(wid: int, zip_code: str, state: str, lat: float, lon: float, **kw: object) -> Node:
    base: dict[str, object] = {
        "warehouse_id": wid,
        "code": f"W{wid}",
        "zip": zip_code,
        "state": state,
        "lat": lat,
        "lon": lon,
        "timezone": "America/New_York",
        "cutoff_minutes": 14 * 60,
        "handling_days": 1,
        "daily_capacity": None,
        "services": ("ground", "two_day", "next_day"),
    }
    base.update(kw)
    return Node(**base)  # type: ignore[arg-type]


NEWARK = ("07102", "NJ", 40.736, -74.173)
AUSTIN = ("73301", "TX", 30.27, -97.74)
WANTS = [Want(1, 100, 2, 450), Want(2, 200, 1, 450)]


def test_one_warehouse_holding_everything_ships_it_all() -> None:
    near_partial = Site(node(1, *NEWARK), {100: (11, 5)})
    far_full = Site(node(2, *AUSTIN), {100: (21, 5), 200: (22, 5)})
    plan = plan_allocation(WANTS, [near_partial, far_full], NY, NOW, TransitModel(), None)
    assert plan is not None and len(plan.picks) == 1
    assert plan.picks[0].promise.warehouse_id == 2
    assert sorted(plan.picks[0].lines) == [(1, 21, 2), (2, 22, 1)]


def test_split_only_when_no_single_warehouse_can_fill() -> None:
    a = Site(node(1, *NEWARK), {100: (11, 5)})
    b = Site(node(2, *AUSTIN), {200: (22, 5)})
    plan = plan_allocation(WANTS, [a, b], NY, NOW, TransitModel(), None)
    assert plan is not None and {p.promise.warehouse_id for p in plan.picks} == {1, 2}
    short = plan_allocation([Want(1, 100, 9, 450)], [a], NY, NOW, TransitModel(), None)
    assert short is None


def test_cheapest_option_that_keeps_the_promise_wins() -> None:
    near = Site(node(1, *NEWARK), {100: (11, 5), 200: (12, 5)})
    far = Site(node(2, *AUSTIN), {100: (21, 5), 200: (22, 5)})
    fastest = plan_allocation(WANTS, [near, far], NY, NOW, TransitModel(), None)
    assert fastest is not None
    generous = fastest.delivery_date + dt.timedelta(days=14)
    plan = plan_allocation(WANTS, [near, far], NY, NOW, TransitModel(), generous)
    assert plan is not None and plan.keeps_promise
    pick = plan.picks[0]
    assert pick.promise.service == "ground" and pick.promise.warehouse_id == 1  # ground from nearby is cheapest


def test_ties_go_to_the_lower_warehouse_id() -> None:
    twins = [Site(node(wid, *NEWARK), {100: (wid * 10, 5), 200: (wid * 10 + 1, 5)}) for wid in (7, 3, 5)]
    plan = plan_allocation(WANTS, twins, NY, NOW, TransitModel(), None)
    assert plan is not None and plan.picks[0].promise.warehouse_id == 3


def test_a_warehouse_booked_full_is_passed_over() -> None:
    day = dt.date(2025, 3, 4)
    booked = {day + dt.timedelta(days=i): 1 for i in range(20)}
    full = Site(node(1, *NEWARK, daily_capacity=1, booked=booked), {100: (11, 5), 200: (12, 5)})
    far = Site(node(2, *AUSTIN), {100: (21, 5), 200: (22, 5)})
    plan = plan_allocation(WANTS, [full, far], NY, NOW, TransitModel(), None)
    assert plan is not None and plan.picks[0].promise.warehouse_id == 2
