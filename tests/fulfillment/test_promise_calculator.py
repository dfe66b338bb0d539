"""The delivery promise calculator on plain data: given warehouses (zone, cut-off, handling, capacity,
services) and stock, when a shopper asks at a given instant, then the promise honours cut-offs in the
warehouse's zone, the shopper's own date, weekends, federal holidays, stock and capacity."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from yellowcart.fulfillment.geo import Place, place_of
from yellowcart.fulfillment.promise import (
    CartLine,
    Node,
    PromiseLevel,
    Stocked,
    best_promise,
    cart_promise,
    node_options,
)
from yellowcart.fulfillment.transit import TransitModel

MODEL = TransitModel()
NYC = "10118"


def _place(zip_code: str) -> Place:
    place = place_of(zip_code)
    assert place is not None
    return place


def node(wid: int, zip_code: str, **kw: Any) -> Node:
    place = _place(zip_code)
    base = Node(
        warehouse_id=wid,
        code=f"WH{wid}",
        zip=zip_code,
        state=place.state,
        lat=place.lat,
        lon=place.lon,
        timezone=place.timezone,
        cutoff_minutes=14 * 60,
        handling_days=0,
        daily_capacity=None,
        services=("ground", "two_day", "next_day"),
    )
    return replace(base, **kw)


NEWARK = node(1, "07102")
LOS_ANGELES = node(2, "90021")


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=dt.UTC)


def test_before_cutoff_ships_today_after_cutoff_tomorrow() -> None:
    # Tuesday 2026-11-17, 13:30 EST (18:30 UTC): before Newark's 14:00 cut-off
    before = best_promise([Stocked(NEWARK, 5)], 1, _place(NYC), utc(2026, 11, 17, 18, 30), MODEL)
    assert before is not None
    assert (before.ship_date, before.delivery_date) == (dt.date(2026, 11, 17), dt.date(2026, 11, 18))
    assert before.level is PromiseLevel.NEXT_DAY and before.service == "next_day"
    assert before.order_by == utc(2026, 11, 17, 19, 0)  # 14:00 EST

    after = best_promise([Stocked(NEWARK, 5)], 1, _place(NYC), utc(2026, 11, 17, 19, 30), MODEL)
    assert after is not None
    assert (after.ship_date, after.delivery_date) == (dt.date(2026, 11, 18), dt.date(2026, 11, 19))
    assert after.level is PromiseLevel.TWO_DAY


def test_cutoff_is_in_each_warehouse_own_zone() -> None:
    # 21:30 UTC = 16:30 in Newark (past cut-off) but 13:30 in Los Angeles (before it)
    now = utc(2026, 11, 17, 21, 30)
    seattle = _place("98101")
    la = best_promise([Stocked(LOS_ANGELES, 5)], 1, seattle, now, MODEL)
    nj = best_promise([Stocked(NEWARK, 5)], 1, seattle, now, MODEL)
    assert la is not None and nj is not None
    assert la.ship_date == dt.date(2026, 11, 17) and nj.ship_date == dt.date(2026, 11, 18)
    assert la.order_by == utc(2026, 11, 17, 22, 0)  # 14:00 PST


def test_level_counts_from_the_shoppers_local_date() -> None:
    # Monday 23:30 in Los Angeles is already Tuesday 02:30 in Newark: picked Tuesday, delivered
    # Wednesday, which is two business days from the shopper's Monday
    now = utc(2026, 11, 17, 7, 30)
    promise = best_promise([Stocked(NEWARK, 5)], 1, _place("90021"), now, MODEL)
    assert promise is not None
    assert promise.pick_date == dt.date(2026, 11, 17)
    assert promise.delivery_date == dt.date(2026, 11, 18)
    assert promise.level is PromiseLevel.TWO_DAY


def test_weekend_orders_ship_monday() -> None:
    friday_late = utc(2026, 11, 20, 22, 0)  # Friday 17:00 EST
    promise = best_promise([Stocked(NEWARK, 5)], 1, _place(NYC), friday_late, MODEL)
    assert promise is not None
    assert (promise.ship_date, promise.delivery_date) == (dt.date(2026, 11, 23), dt.date(2026, 11, 24))
    saturday = best_promise([Stocked(NEWARK, 5)], 1, _place(NYC), utc(2026, 11, 21, 15, 0), MODEL)
    assert saturday is not None and saturday.delivery_date == dt.date(2026, 11, 24)
    assert saturday.level is PromiseLevel.TWO_DAY  # Saturday -> Tuesday: Monday and Tuesday


def test_thanksgiving_is_not_a_business_day() -> None:
    # Wednesday 2026-11-25 after cut-off: Thursday is Thanksgiving, so picked Friday, delivered Monday
    promise = best_promise([Stocked(NEWARK, 5)], 1, _place(NYC), utc(2026, 11, 25, 20, 0), MODEL)
    assert promise is not None
    assert promise.pick_date == dt.date(2026, 11, 27)
    assert promise.delivery_date == dt.date(2026, 11, 30)
    # ground with one handling day from Wednesday morning: hand-over Friday (not Thursday)
    ground_only = replace(NEWARK, services=("ground",), handling_days=1)
    slow = best_promise([Stocked(ground_only, 5)], 1, _place(NYC), utc(2026, 11, 25, 14, 0), MODEL)
    assert slow is not None and slow.ship_date == dt.date(2026, 11, 27)
    assert slow.transit_days == 2 and slow.delivery_date == dt.date(2026, 12, 1)
    assert slow.level is PromiseLevel.STANDARD


def test_stock_only_in_a_far_warehouse() -> None:
    now = utc(2026, 11, 17, 15, 0)
    stocked = [Stocked(NEWARK, 0), Stocked(replace(LOS_ANGELES, services=("ground",)), 3)]
    promise = best_promise(stocked, 2, _place(NYC), now, MODEL)
    assert promise is not None
    assert promise.warehouse_id == LOS_ANGELES.warehouse_id and promise.miles > 2000
    assert promise.transit_days == 5  # zone 8
    assert best_promise(stocked, 4, _place(NYC), now, MODEL) is None  # nobody holds 4


def test_nearest_wins_a_tie_and_cheaper_service_first() -> None:
    now = utc(2026, 11, 17, 15, 0)
    philly = node(3, "19103")
    promise = best_promise(
        [Stocked(LOS_ANGELES, 5), Stocked(philly, 5), Stocked(NEWARK, 5)], 1, _place(NYC), now, MODEL
    )
    assert promise is not None and promise.warehouse_id == NEWARK.warehouse_id
    # ground from Newark to NYC (zone 1) takes 2 days, as two_day does: the cheaper ground is chosen
    two_day_level = replace(NEWARK, services=("ground", "two_day"))
    cheap = best_promise([Stocked(two_day_level, 5)], 1, _place(NYC), now, MODEL)
    assert cheap is not None and cheap.service == "ground"


def test_capacity_exhausted_moves_to_next_day_or_another_warehouse() -> None:
    now = utc(2026, 11, 17, 15, 0)
    full_today = replace(NEWARK, daily_capacity=10, booked={dt.date(2026, 11, 17): 10})
    alone = best_promise([Stocked(full_today, 5)], 1, _place(NYC), now, MODEL)
    assert alone is not None and alone.pick_date == dt.date(2026, 11, 18)
    assert alone.delivery_date == dt.date(2026, 11, 19)
    philly = node(3, "19103")
    other = best_promise([Stocked(full_today, 5), Stocked(philly, 5)], 1, _place(NYC), now, MODEL)
    assert other is not None and other.warehouse_id == philly.warehouse_id
    assert other.delivery_date == dt.date(2026, 11, 18)
    zero = replace(NEWARK, daily_capacity=0)
    assert best_promise([Stocked(zero, 5)], 1, _place(NYC), now, MODEL) is None


def test_same_day_courier_only_nearby() -> None:
    courier = replace(NEWARK, services=("ground", "same_day", "next_day"))
    now = utc(2026, 11, 17, 15, 0)
    promise = best_promise([Stocked(courier, 5)], 1, _place(NYC), now, MODEL)
    assert promise is not None and promise.level is PromiseLevel.SAME_DAY
    assert promise.delivery_date == dt.date(2026, 11, 17)
    far = best_promise([Stocked(courier, 5)], 1, _place("60607"), now, MODEL)
    assert far is not None and far.service == "next_day"


def test_po_box_only_by_services_that_deliver_there() -> None:
    po_box = _place("10008")
    now = utc(2026, 11, 17, 15, 0)
    assert best_promise([Stocked(replace(NEWARK, services=("next_day", "two_day")), 5)], 1, po_box, now, MODEL) is None
    promise = best_promise([Stocked(NEWARK, 5)], 1, po_box, now, MODEL)
    assert promise is not None and promise.service == "ground"


def test_alaska_and_hawaii_are_zone_nine() -> None:
    promise = best_promise(
        [Stocked(replace(LOS_ANGELES, services=("ground",)), 5)], 1, _place("96813"), utc(2026, 11, 17, 15, 0), MODEL
    )
    assert promise is not None and promise.transit_days == 8


def test_cart_one_shipment_when_one_warehouse_holds_everything() -> None:
    now = utc(2026, 11, 17, 15, 0)
    lines = [
        CartLine("A", 1, [Stocked(NEWARK, 2), Stocked(LOS_ANGELES, 2)]),
        CartLine("B", 2, [Stocked(LOS_ANGELES, 2)]),
    ]
    cart = cart_promise(lines, _place(NYC), now, MODEL)
    assert cart is not None and cart.single_shipment
    assert {p.warehouse_id for p in cart.lines.values()} == {LOS_ANGELES.warehouse_id}

    split = [
        CartLine("A", 1, [Stocked(NEWARK, 2)]),
        CartLine("B", 1, [Stocked(replace(LOS_ANGELES, services=("ground",)), 2)]),
    ]
    cart = cart_promise(split, _place(NYC), now, MODEL)
    assert cart is not None and not cart.single_shipment
    assert cart.lines["A"].warehouse_id == NEWARK.warehouse_id
    assert cart.delivery_date == cart.lines["B"].delivery_date > cart.lines["A"].delivery_date
    assert cart.level is PromiseLevel.STANDARD
    assert cart_promise([CartLine("A", 9, [Stocked(NEWARK, 2)])], _place(NYC), now, MODEL) is None


def test_same_day_has_its_own_earlier_cutoff() -> None:
    courier = replace(NEWARK, services=("ground", "same_day", "next_day"))
    at_1pm = utc(2026, 11, 17, 18, 0)  # 13:00 in Newark: after the same-day noon cut-off, before 14:00
    promise = best_promise([Stocked(courier, 5)], 1, _place(NYC), at_1pm, MODEL)
    assert promise is not None and promise.service == "next_day" and promise.level is PromiseLevel.NEXT_DAY
    assert promise.pick_date == dt.date(2026, 11, 17)  # the day's other services still go today
    [same_day] = [p for p in node_options(courier, _place(NYC), at_1pm, MODEL) if p.service == "same_day"]
    assert same_day.pick_date == dt.date(2026, 11, 18) and same_day.order_by == utc(2026, 11, 18, 17, 0)
    earlier = replace(courier, same_day_cutoff_minutes=10 * 60)
    at_11am = utc(2026, 11, 17, 16, 0)
    assert best_promise([Stocked(courier, 5)], 1, _place(NYC), at_11am, MODEL).service == "same_day"  # type: ignore[union-attr]
    assert best_promise([Stocked(earlier, 5)], 1, _place(NYC), at_11am, MODEL).service == "next_day"  # type: ignore[union-attr]
    # never later than the warehouse's own cut-off
    assert replace(courier, cutoff_minutes=11 * 60).cutoff_for("same_day") == 11 * 60
    assert courier.cutoff_for("ground") == 14 * 60
