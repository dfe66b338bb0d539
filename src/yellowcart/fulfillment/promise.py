"""The delivery promise calculator: pure functions over plain data (``service.py`` loads it).

For every warehouse holding the units and every service it offers: the order is picked on the
warehouse's processing day (today before the local cut-off on a business day, else the next business
day; later when that day's capacity is booked full), handed to the carrier ``handling_days`` business
days later, and delivered after the service's transit days (``transit.TransitModel``). The fastest
delivery date wins; ties go to the cheaper service, then the nearer warehouse.

Same-day has its own, earlier cut-off (``SAME_DAY_CUTOFF_MINUTES``, noon local, or the warehouse's
day cut-off when that is earlier): a courier collecting the day's picks after a 15:00 cut-off delivers
after midnight. Other services use the warehouse's cut-off.

The level is what the shopper is told, counted in business days from the shopper's own local date:
0 same_day, 1 next_day, 2 two_day, more standard (an order on Saturday delivered Monday is next-day).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from yellowcart.fulfillment import calendar
from yellowcart.fulfillment.geo import Place, haversine_miles
from yellowcart.fulfillment.transit import SERVICES, TransitModel

#: How many business days past the processing day a full warehouse may push an order.
CAPACITY_LOOKAHEAD_DAYS = 10
#: Same-day orders close at noon, warehouse local time (couriers' usual "order by 12 pm, delivered by
#: 9 pm" window), unless the warehouse sets an earlier one or its day cut-off is earlier still.
SAME_DAY_CUTOFF_MINUTES = 12 * 60
SAME_DAY = "same_day"


class PromiseLevel(enum.StrEnum):
    SAME_DAY = "same_day"
    NEXT_DAY = "next_day"
    TWO_DAY = "two_day"
    STANDARD = "standard"


@dataclass(frozen=True, slots=True)
class Node:
    """A warehouse as the calculator sees it; ``booked`` is orders already booked per pick day."""

    warehouse_id: int
    code: str
    zip: str
    state: str
    lat: float
    lon: float
    timezone: str
    cutoff_minutes: int
    handling_days: int
    daily_capacity: int | None
    services: tuple[str, ...]
    booked: Mapping[dt.date, int] = field(default_factory=dict)
    same_day_cutoff_minutes: int = SAME_DAY_CUTOFF_MINUTES

    def has_room(self, day: dt.date) -> bool:
        return self.daily_capacity is None or self.booked.get(day, 0) < self.daily_capacity

    def cutoff_for(self, service: str) -> int:
        """Local minutes after which an order for ``service`` waits for the next processing day."""
        if service == SAME_DAY:
            return min(self.cutoff_minutes, self.same_day_cutoff_minutes)
        return self.cutoff_minutes


@dataclass(frozen=True, slots=True)
class Promise:
    level: PromiseLevel
    delivery_date: dt.date
    ship_date: dt.date  # handed to the carrier
    pick_date: dt.date  # the warehouse's processing day (its capacity is booked on this day)
    order_by: dt.datetime  # UTC: the cut-off of the pick day, the last moment this promise holds
    warehouse_id: int
    warehouse_code: str
    service: str
    transit_days: int
    miles: float


@dataclass(frozen=True, slots=True)
class Stocked:
    """A warehouse and the units of one SKU available there (on hand minus reserved)."""

    node: Node
    available: int


def level_for(ordered_on: dt.date, delivery: dt.date) -> PromiseLevel:
    days = calendar.business_days_between(ordered_on, delivery) if delivery > ordered_on else 0
    if days == 0:
        return PromiseLevel.SAME_DAY
    if days == 1:
        return PromiseLevel.NEXT_DAY
    return PromiseLevel.TWO_DAY if days == 2 else PromiseLevel.STANDARD


def pick_day(node: Node, now: dt.datetime, cutoff_minutes: int | None = None) -> dt.date | None:
    """The first processing day with capacity left, or None when the warehouse is booked out
    (``cutoff_minutes``: a service's own cut-off, default the warehouse's)."""
    cutoff = node.cutoff_minutes if cutoff_minutes is None else cutoff_minutes
    day = calendar.processing_day(now, cutoff_minutes=cutoff, timezone=node.timezone)
    for _ in range(CAPACITY_LOOKAHEAD_DAYS):
        if node.has_room(day):
            return day
        day = calendar.next_business_day(day)
    return None


def shopper_today(now: dt.datetime, dest: Place, fallback_tz: str) -> dt.date:
    return now.astimezone(ZoneInfo(dest.timezone or fallback_tz)).date()


def node_options(node: Node, dest: Place, now: dt.datetime, transit: TransitModel) -> list[Promise]:
    """Every promise one warehouse can make to ``dest`` for an order placed ``now``."""
    picks = {cutoff: pick_day(node, now, cutoff) for cutoff in {node.cutoff_for(s) for s in node.services}}
    miles = float(haversine_miles(node.lat, node.lon, dest.lat, dest.lon))
    ordered_on = shopper_today(now, dest, node.timezone)
    out = []
    for service in node.services:
        cutoff = node.cutoff_for(service)
        picked = picks[cutoff]
        if picked is None:
            continue
        days = transit.days(service, origin_zip=node.zip, origin_state=node.state, dest=dest, miles=miles)
        if days is None:
            continue
        shipped = calendar.add_business_days(picked, node.handling_days)
        delivery = calendar.add_business_days(shipped, days)
        out.append(
            Promise(
                level=level_for(ordered_on, delivery),
                delivery_date=delivery,
                ship_date=shipped,
                pick_date=picked,
                order_by=calendar.local_cutoff(picked, cutoff, node.timezone),
                warehouse_id=node.warehouse_id,
                warehouse_code=node.code,
                service=service,
                transit_days=days,
                miles=round(miles, 1),
            )
        )
    return out


def _rank(p: Promise) -> tuple[dt.date, int, float, int]:
    return (p.delivery_date, SERVICES[p.service].cost_rank, p.miles, p.warehouse_id)


def best_promise(
    stocked: Sequence[Stocked], qty: int, dest: Place, now: dt.datetime, transit: TransitModel
) -> Promise | None:
    """The fastest promise any warehouse holding ``qty`` units can keep, or None."""
    options = [p for s in stocked if s.available >= qty for p in node_options(s.node, dest, now, transit)]
    return min(options, key=_rank, default=None)


@dataclass(frozen=True, slots=True)
class CartLine:
    sku: str
    qty: int
    stocked: Sequence[Stocked]


@dataclass(frozen=True, slots=True)
class CartPromise:
    """One promise per line; the cart arrives when its slowest line does."""

    level: PromiseLevel
    delivery_date: dt.date
    single_shipment: bool
    lines: Mapping[str, Promise]


def _single_warehouse(lines: Sequence[CartLine]) -> list[Node]:
    """Warehouses that hold every line in full."""
    per_line = [{s.node.warehouse_id: s for s in line.stocked if s.available >= line.qty} for line in lines]
    common = set(per_line[0]).intersection(*per_line[1:]) if per_line else set()
    return [per_line[0][wid].node for wid in sorted(common)]


def cart_promise(lines: Sequence[CartLine], dest: Place, now: dt.datetime, transit: TransitModel) -> CartPromise | None:
    """One shipment when a single warehouse can fill the whole cart (the fastest such), otherwise the
    fastest promise per line (a split); None when some line cannot be promised at all."""
    if not lines:
        return None
    whole = [p for node in _single_warehouse(lines) for p in node_options(node, dest, now, transit)]
    if whole:
        best = min(whole, key=_rank)
        return CartPromise(best.level, best.delivery_date, True, {line.sku: best for line in lines})
    per_line: dict[str, Promise] = {}
    for line in lines:
        promise = best_promise(line.stocked, line.qty, dest, now, transit)
        if promise is None:
            return None
        per_line[line.sku] = promise
    slowest = max(per_line.values(), key=lambda p: p.delivery_date)
    return CartPromise(slowest.level, slowest.delivery_date, False, per_line)
