"""Delivery promise accuracy: a simulated month of demo orders against a carrier the promise does not control.

A small demo market (``generate_market``, seed 42) is written to a scratch SQLite database; its warehouses
carry the demo network (cut-offs, handling days, capacity, services). A month of orders is drawn from the
demo's shoppers (their home ZIPs) and sellable listings, busier in the evening and on two live-stream
flash-sale days. In time order, each order is promised with ``cart_delivery_promise`` at the moment it is
placed; capacity is booked on the promised pick day (``book_capacity``) and the units reserved, so later
promises see a fuller network.

Each shipment is then delivered by the simulated carrier (``carriers.simulation``): planned days from
its own table of *typical* days within published service standards (not the promise's transit model)
plus a delay from ``DelayModel`` (jitter, a lognormal late tail, weather, failed attempts, returns,
lost parcels), drawn per tracking number from a seed of its own. The promise is never graded by itself.

Figures: on-time rate (delivered on or before the promised date, in the shopper's zone; lost and
returned parcels count as late), mean promised days (calendar days from the shopper's local order date),
next-day coverage (share of demo shoppers whose ZIP a next-day promise can reach), the on-time rate as the
delay variance doubles (``variance_multiplier`` 1, 2, 4), and calibration: the first half of the month's
deliveries under each multiplier go to ``record_delivery``, the second half is promised again (from the
mid-month state of the network) with no calibration, lane-only calibration and the hierarchical one (the
product's: lane -> service+zone -> service, p95 shrunk toward the parent) and measured on its own draws,
never on the draws it learnt from. The headline ``on_time_rate`` is the product's configuration
(hierarchical, variance x1) on that measured second half.

Baseline in the same run: a naive promise, "ships in 1 business day, then ground": the shopper's order
date + 1 + the transit model's ground days, ignoring cut-offs, handling days and capacity, for parcels
sent ground from the same warehouses on their real pick schedule.

    .venv/bin/python bench/promise.py
    # knobs: YC_BENCH_SCALE (0.2), YC_BENCH_ORDERS (20,000 x scale), YC_BENCH_MONTH (2026-10)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from yellowcart import models
from yellowcart.auth.models import Role, User
from yellowcart.catalog.models import Product, ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import Database
from yellowcart.demo.generate import generate_market
from yellowcart.errors import InvalidInput
from yellowcart.fulfillment import calendar
from yellowcart.fulfillment import service as fulfillment
from yellowcart.fulfillment.carriers import simulation as carrier
from yellowcart.fulfillment.carriers.base import TrackingStatus
from yellowcart.fulfillment.carriers.simulation import DelayModel, Journey, simulate_events
from yellowcart.fulfillment.geo import ZipKind, destination, haversine_miles, place_of, zip_index
from yellowcart.fulfillment.promise import CartLine, CartPromise, Node, Promise, PromiseLevel, cart_promise
from yellowcart.fulfillment.transit import (
    MIN_LEVEL_OBS,
    NONCONTIGUOUS,
    SERVICES,
    ZONE_9,
    ZONE_BANDS_MILES,
    Pools,
    prior_days,
)
from yellowcart.inventory.models import Stock, Warehouse
from yellowcart.sellers.models import Seller, SellerStatus

SCALE = float(os.environ.get("YC_BENCH_SCALE", "0.2"))
#: Orders in the month: 20,000 at scale 1.0 (about 7x the demo history's pace: a growing market).
ORDERS = int(os.environ.get("YC_BENCH_ORDERS", str(round(20_000 * SCALE))))
MONTH = os.environ.get("YC_BENCH_MONTH", "2026-10")
DEMO_SEED = 42
ORDER_SEED = 7  # the order stream
CARRIER_SEED = 2026  # the carrier's delays: independent of everything the promise knows
VARIANCES = (1.0, 2.0, 4.0)
FLASH_SALE_FACTOR = 4.0  # two live-stream flash-sale days in the month
LINES_PER_ORDER = ((1, 2, 3), (75, 20, 5))
GOAL = 0.95


@dataclass(frozen=True, slots=True)
class Order:
    id: int
    at: dt.datetime  # UTC
    zip: str
    skus: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Shipment:
    key: str  # tracking number: the carrier's draws are seeded by it
    origin_zip: str
    origin_tz: str
    origin_cutoff: int  # local minutes: the carrier collects the day's picks after the cut-off
    dest_zip: str
    service: str
    ship_date: dt.date


@dataclass(frozen=True, slots=True)
class Placed:
    """One promised order: what was promised and what will actually travel (promise and baseline)."""

    order: Order
    promised: dt.date
    ordered_on: dt.date  # the shopper's local date
    level: PromiseLevel
    pushed: bool  # capacity moved a pick day past the warehouse's processing day
    shipments: tuple[Shipment, ...]
    baseline_promised: dt.date
    baseline_shipments: tuple[Shipment, ...]


# ---- the market and the month of orders ------------------------------------------------------------


def build_market(path: Path) -> Database:
    db = Database(f"sqlite:///{path}/promise.db")
    models.Base.metadata.create_all(db.engine)
    generate_market(db, seed=DEMO_SEED, scale=SCALE, progress=False)
    return db


def sellable_skus(session: Session) -> list[str]:
    """Closed-loop listings of active sellers with units somewhere, in a stable order."""
    in_stock = select(Stock.variant_id).where(Stock.on_hand > Stock.reserved)
    return list(
        session.scalars(
            select(Variant.sku)
            .join(Product, Product.id == Variant.product_id)
            .join(Seller, Seller.id == Product.seller_id)
            .where(
                Variant.is_active.is_(True),
                Product.status == ProductStatus.ACTIVE,
                Product.selling_mode != SellingMode.REDIRECT,
                Seller.status == SellerStatus.ACTIVE,
                Variant.id.in_(in_stock),
            )
            .order_by(Variant.id)
        )
    )


def shopper_zips(session: Session) -> list[str]:
    return [z for z in session.scalars(select(User.home_zip).where(User.role == Role.SHOPPER).order_by(User.id)) if z]


def zone_of(zip_code: str) -> ZoneInfo:
    place = place_of(zip_code)
    return ZoneInfo(place.timezone if place and place.timezone else fulfillment.FALLBACK_TZ)


def month_days() -> list[dt.date]:
    first = dt.date.fromisoformat(f"{MONTH}-01")
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return [first + dt.timedelta(days=i) for i in range((following - first).days)]


def order_stream(skus: list[str], zips: list[str]) -> list[Order]:
    """``ORDERS`` orders over the month: weekends a little busier, two flash-sale days four times busier,
    evenings (18-23 h local) busiest; products by a Zipf-like popularity."""
    rng = random.Random(ORDER_SEED)
    days = month_days()
    flash = set(rng.sample(days, 2))
    weights = [(FLASH_SALE_FACTOR if d in flash else 1.0) * (1.2 if d.weekday() >= 5 else 1.0) for d in days]
    popularity = rng.sample(skus, len(skus))
    sku_weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(popularity))]
    out = []
    for day in sorted(rng.choices(days, weights, k=ORDERS)):
        zip_code = rng.choice(zips)
        tz = zone_of(zip_code)
        hour = rng.uniform(18, 23.9) if rng.random() < 0.6 else rng.uniform(7, 18)
        local = dt.datetime.combine(day, dt.time(0), tzinfo=tz) + dt.timedelta(hours=hour)
        count = rng.choices(*LINES_PER_ORDER)[0]
        picked = tuple(dict.fromkeys(rng.choices(popularity, sku_weights, k=count)))
        out.append(Order(0, local.astimezone(dt.UTC), zip_code, picked))
    out.sort(key=lambda o: o.at)
    return [Order(i, o.at, o.zip, o.skus) for i, o in enumerate(out, start=1)]


# ---- promising and booking -------------------------------------------------------------------------


class Network:
    """The warehouses' settings the bench needs outside the promise (for the baseline and hand-over)."""

    def __init__(self, session: Session) -> None:
        self.nodes: dict[int, Node] = {w.id: fulfillment.warehouse_node(w) for w in session.scalars(select(Warehouse))}


def _shipment(key: str, promise: Promise, network: Network, dest_zip: str, service: str) -> Shipment:
    node = network.nodes[promise.warehouse_id]
    # the carrier collects after the service's cut-off (same-day: the courier after the same-day one)
    return Shipment(key, node.zip, node.timezone, node.cutoff_for(service), dest_zip, service, promise.ship_date)


def _baseline(order: Order, promises: list[Promise], network: Network, ordered_on: dt.date) -> tuple[dt.date, ...]:
    """The naive date per shipment: order date + 1 business day + ground days from its warehouse."""
    dest = place_of(order.zip)
    assert dest is not None
    dates = []
    for p in promises:
        node = network.nodes[p.warehouse_id]
        miles = float(haversine_miles(node.lat, node.lon, dest.lat, dest.lon))
        ground = prior_days("ground", miles, node.state, dest) or 8
        dates.append(calendar.add_business_days(ordered_on, 1 + ground))
    return tuple(dates)


def _ground_ship(promise: Promise, network: Network) -> dt.date:
    """Ground leaves on the warehouse's real schedule: the same pick day and handling as the promise."""
    shipped: dt.date = calendar.add_business_days(promise.pick_date, network.nodes[promise.warehouse_id].handling_days)
    return shipped


def sold_out(session: Session, skus: tuple[str, ...]) -> bool:
    """Whether some line has no unit left anywhere (else the network had no room or no service)."""
    for sku in skus:
        left = session.scalar(
            select(func.coalesce(func.sum(Stock.on_hand - Stock.reserved), 0))
            .join(Variant, Variant.id == Stock.variant_id)
            .where(Variant.sku == sku)
        )
        if not left:
            return True
    return False


def _cart(session: Session, order: Order, lanes_only: bool) -> CartPromise | None:
    """The service's cart promise (hierarchical calibration), or the same calculator with lane-only
    calibration (the model before pooling, for comparison)."""
    lines = [(sku, 1) for sku in order.skus]
    if not lanes_only:
        return fulfillment.cart_delivery_promise(session, lines=lines, ship_to_zip=order.zip, now=order.at)
    rows = session.execute(select(Variant.sku, Variant.id).where(Variant.sku.in_(order.skus)))
    ids = {sku: variant_id for sku, variant_id in rows}
    stocked = fulfillment.load_stocked(session, list(ids.values()), order.at)
    cart = [CartLine(sku, 1, stocked[ids[sku]]) for sku in order.skus]
    dest = destination(order.zip)
    transit = fulfillment.load_transit(session, (s.node.zip for line in cart for s in line.stocked), dest, pooled=False)
    return cart_promise(cart, dest, order.at, transit)


def place(
    session: Session, order: Order, network: Network, missed: Counter[str], lanes_only: bool = False
) -> Placed | None:
    """Promise at order time, book capacity on the pick day, reserve the units; None if no promise
    (counted in ``missed`` by reason)."""
    try:
        cart = _cart(session, order, lanes_only)
    except InvalidInput as error:
        missed[type(error).__name__] += 1
        return None
    if cart is None:
        missed["sold out" if sold_out(session, order.skus) else "no room or service"] += 1
        return None
    by_warehouse: dict[int, Promise] = {}
    for sku, promise in cart.lines.items():
        by_warehouse.setdefault(promise.warehouse_id, promise)
        variant_id = select(Variant.id).where(Variant.sku == sku).scalar_subquery()
        session.execute(
            update(Stock)
            .where(Stock.variant_id == variant_id, Stock.warehouse_id == promise.warehouse_id)
            .values(reserved=Stock.reserved + 1)
        )
    pushed = False
    for promise in by_warehouse.values():
        fulfillment.book_capacity(session, warehouse_id=promise.warehouse_id, day=promise.pick_date)
        node = network.nodes[promise.warehouse_id]
        processing = calendar.processing_day(order.at, cutoff_minutes=node.cutoff_minutes, timezone=node.timezone)
        pushed |= promise.pick_date > processing
    promises = list(by_warehouse.values())
    ordered_on = local_date(order.at, order.zip)
    shipments = tuple(
        _shipment(f"YCB{order.id:06d}{i}", p, network, order.zip, p.service) for i, p in enumerate(promises)
    )
    ground = tuple(
        replace(s, key=f"YCG{order.id:06d}{i}", service="ground", ship_date=_ground_ship(p, network))
        for i, (p, s) in enumerate(zip(promises, shipments, strict=True))
    )
    return Placed(
        order,
        cart.delivery_date,
        ordered_on,
        cart.level,
        pushed,
        shipments,
        max(_baseline(order, promises, network, ordered_on)),
        ground,
    )


def place_all(
    session: Session,
    orders: list[Order],
    network: Network,
    missed: Counter[str],
    lanes_only: bool = False,
) -> list[Placed]:
    placed = [place(session, o, network, missed, lanes_only) for o in orders]
    return [p for p in placed if p is not None]


# ---- the carrier -----------------------------------------------------------------------------------


def deliver(shipment: Shipment, model: DelayModel) -> tuple[dt.datetime, dt.datetime | None]:
    """(hand-over, delivered or None when lost / returned). The carrier collects within 2.5 hours after
    the warehouse's cut-off on the ship date; the draws are the carrier's own (seeded by the tracking
    number)."""
    rng = random.Random(f"handover:{shipment.key}")
    local = dt.datetime.combine(shipment.ship_date, dt.time(0), tzinfo=ZoneInfo(shipment.origin_tz))
    handed = (local + dt.timedelta(minutes=shipment.origin_cutoff + rng.uniform(0, 150))).astimezone(dt.UTC)
    journey = Journey(
        tracking_number=shipment.key,
        carrier=carrier.SERVICES[shipment.service].carrier,
        service=carrier.SERVICES[shipment.service],
        from_zip=shipment.origin_zip,
        to_zip=shipment.dest_zip,
        label_created_at=handed - dt.timedelta(hours=2),
        handed_over_at=handed,
        planned_days=carrier.default_transit_days(shipment.service, shipment.origin_zip, shipment.dest_zip),
    )
    events = simulate_events(journey, model, seed=CARRIER_SEED)
    delivered = [e.occurred_at for e in events if e.status is TrackingStatus.DELIVERED]
    return handed, (delivered[-1] if delivered else None)


def local_date(at: dt.datetime, zip_code: str) -> dt.date:
    return at.astimezone(zone_of(zip_code)).date()


def on_time(promised: dt.date, shipments: tuple[Shipment, ...], model: DelayModel) -> tuple[bool, bool]:
    """(every parcel delivered by the promised date, some parcel never delivered)."""
    ok, missing = True, False
    for s in shipments:
        _, delivered = deliver(s, model)
        if delivered is None:
            ok, missing = False, True
        elif local_date(delivered, s.dest_zip) > promised:
            ok = False
    return ok, missing


@dataclass(frozen=True, slots=True)
class Score:
    orders: int
    on_time: float
    baseline_on_time: float
    undelivered: float
    mean_days: float
    baseline_mean_days: float


def score(placed: list[Placed], model: DelayModel) -> Score:
    results = [on_time(p.promised, p.shipments, model) for p in placed]
    baseline = [on_time(p.baseline_promised, p.baseline_shipments, model)[0] for p in placed]
    n = max(1, len(placed))
    return Score(
        orders=len(placed),
        on_time=sum(ok for ok, _ in results) / n,
        baseline_on_time=sum(baseline) / n,
        undelivered=sum(missing for _, missing in results) / n,
        mean_days=sum((p.promised - p.ordered_on).days for p in placed) / n,
        baseline_mean_days=sum((p.baseline_promised - p.ordered_on).days for p in placed) / n,
    )


def by_service(placed: list[Placed], model: DelayModel) -> dict[str, tuple[int, float]]:
    """On-time rate per promised service (orders in one shipment; ``split`` for the others)."""
    groups: dict[str, list[bool]] = {}
    for p in placed:
        key = p.shipments[0].service if len(p.shipments) == 1 else "split"
        groups.setdefault(key, []).append(on_time(p.promised, p.shipments, model)[0])
    return {k: (len(v), sum(v) / len(v)) for k, v in sorted(groups.items())}


def lane_of(s: Shipment) -> tuple[str, str, str]:
    return (s.origin_zip[:3], s.dest_zip[:3], s.service)


def calibrate(session: Session, placed: list[Placed], model: DelayModel, lanes: Counter[tuple[str, str, str]]) -> int:
    """Feed the delivered parcels of ``placed`` (under ``model``) to the lanes' observations."""
    recorded = 0
    for p in placed:
        for s in p.shipments:
            handed, delivered = deliver(s, model)
            if delivered is not None:
                lanes[lane_of(s)] += 1
                fulfillment.record_delivery(
                    session,
                    origin_zip=s.origin_zip,
                    dest_zip=s.dest_zip,
                    service=s.service,
                    shipped_at=handed,
                    delivered_at=delivered,
                )
                recorded += 1
    return recorded


# ---- next-day coverage -----------------------------------------------------------------------------


def next_day_coverage(network: Network, zips: list[str], pools: Pools | None = None) -> tuple[float, float]:
    """(share of demo shoppers, share of all street-address ZIPs) that some warehouse can promise
    next-day or faster: handling days + the service's transit days <= 1 (an order before the cut-off
    on a business day, the item in stock there). Transit days per (service, zone): the prior, or with
    ``pools`` the calibrated model's (service, zone) level (lanes left out)."""
    index = zip_index()
    bands = np.array(ZONE_BANDS_MILES, dtype=np.float64)
    states = np.array(index.states)
    far = np.isin(states, list(NONCONTIGUOUS))
    po_box = np.array([k is ZipKind.PO_BOX for k in index.kinds])
    reach = np.zeros(len(index), dtype=np.bool_)
    for node in network.nodes.values():
        miles = index.distances_from(node.lat, node.lon)
        zones = np.searchsorted(bands, miles, side="left") + 1
        zones = np.where((states != node.state) & (far | (node.state in NONCONTIGUOUS)), ZONE_9, zones)
        for name in node.services:
            spec = SERVICES[name]
            per_zone = [
                99 if d is None else (d if pools is None else pools.days(name, d, z))
                for z, d in enumerate(spec.days_by_zone, start=1)
            ]
            days = np.array(per_zone, dtype=np.int64)[zones - 1]
            ok = node.handling_days + days <= 1
            if spec.max_miles is not None:
                ok &= miles <= spec.max_miles
            if not spec.delivers_po_box:
                ok &= ~po_box
            reach |= ok
    rows = [index.row[z] for z in zips if z in index.row]
    mask = index.deliverable_mask()
    return float(reach[rows].mean()), float(reach[mask].mean())


# ---- the run ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Calibrated:
    """The second half promised again after the first half's deliveries (under one variance) were recorded."""

    lanes_only: Score
    hierarchical: Score
    recorded: int
    placed: list[Placed]  # hierarchical
    lanes: Counter[tuple[str, str, str]]
    pools: Pools


def calibrated_run(
    session: Session, first: list[Placed], orders: list[Order], network: Network, model: DelayModel
) -> Calibrated:
    """Record the first half's deliveries under ``model``, promise ``orders`` (the second half) with
    lane-only and with hierarchical calibration, each from the mid-month network; grade both on their
    own parcels' draws. Everything is rolled back afterwards."""
    outer = session.begin_nested()
    lanes: Counter[tuple[str, str, str]] = Counter()
    recorded = calibrate(session, first, model, lanes)
    pools = fulfillment.load_pools(session)
    inner = session.begin_nested()
    lane_placed = place_all(session, orders, network, Counter(), lanes_only=True)
    inner.rollback()
    inner = session.begin_nested()
    placed = place_all(session, orders, network, Counter())
    inner.rollback()
    outer.rollback()
    return Calibrated(score(lane_placed, model), score(placed, model), recorded, placed, lanes, pools)


def main() -> None:
    console = Console(stderr=True, width=150)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        db = build_market(Path(tmp))
        built = time.perf_counter() - started
        with db.transaction() as session:
            network = Network(session)
            zips = shopper_zips(session)
            orders = order_stream(sellable_skus(session), zips)
            half = len(orders) // 2
            missed: Counter[str] = Counter()
            t0 = time.perf_counter()
            first = place_all(session, orders[:half], network, missed)
            checkpoint = session.begin_nested()
            second = place_all(session, orders[half:], network, missed)
            promise_ms = (time.perf_counter() - t0) * 1000 / max(1, len(orders))
            checkpoint.rollback()  # back to the network as it stood at mid-month
            month = first + second
            plain = {m: score(month, DelayModel(variance_multiplier=m)) for m in VARIANCES}
            halves = {m: score(second, DelayModel(variance_multiplier=m)) for m in VARIANCES}
            before_services = by_service(second, DelayModel())
            runs = {
                m: calibrated_run(session, first, orders[half:], network, DelayModel(variance_multiplier=m))
                for m in VARIANCES
            }
            product = runs[1.0]
            levels = Counter(p.level for p in product.placed)
            before_levels = Counter(p.level for p in second)
            pushed = sum(p.pushed for p in product.placed)
            services = by_service(product.placed, DelayModel())
            seen_lane = sum(lane_of(s) in product.lanes for p in second for s in p.shipments)
            parcels = sum(len(p.shipments) for p in second)
            reach, zip_reach = next_day_coverage(network, zips)
            coverage, zip_coverage = next_day_coverage(network, zips, product.pools)
            session.rollback()
    elapsed = time.perf_counter() - started
    main_score = product.hierarchical
    report(console, plain, halves, runs, missed, len(orders))
    mix = ", ".join(f"{lv.value} {levels[lv] / max(1, len(product.placed)):.1%}" for lv in PromiseLevel)
    before_mix = ", ".join(f"{lv.value} {before_levels[lv] / max(1, len(second)):.1%}" for lv in PromiseLevel)
    console.print(f"promise levels, 2nd half: hierarchical {mix}; uncalibrated {before_mix}")
    console.print(
        "on time by promised service, 2nd half x1: hierarchical "
        + ", ".join(f"{k} {rate:.1%} of {n:,}" for k, (n, rate) in services.items())
        + "; uncalibrated "
        + ", ".join(f"{k} {rate:.1%} of {n:,}" for k, (n, rate) in before_services.items())
    )
    zone_pools = product.pools.by_zone
    console.print(
        f"calibration (x1): {product.recorded:,} deliveries; {len(product.lanes):,} lanes, "
        f"{sum(product.lanes.values()) / max(1, len(product.lanes)):.1f} a lane, "
        f"{sum(n >= MIN_LEVEL_OBS for n in product.lanes.values())} with >= {MIN_LEVEL_OBS}; "
        f"{sum(sum(v.values()) >= MIN_LEVEL_OBS for v in zone_pools.values())} of {len(zone_pools)} "
        f"(service, zone) pools with >= {MIN_LEVEL_OBS}; "
        f"{seen_lane / max(1, parcels):.1%} of second-half parcels travel an observed lane"
    )
    console.print(
        "learnt (service, zone) days vs prior: "
        + "; ".join(
            f"{svc} z{z} {product.pools.days(svc, prior, z)}/{prior} (n={sum(zone_pools[(svc, z)].values())})"
            for (svc, z) in sorted(zone_pools)
            if (prior := SERVICES[svc].days_by_zone[z - 1]) is not None
        )
    )
    console.print(
        f"next-day coverage: {coverage:.1%} of demo shoppers with the calibrated model ({zip_coverage:.1%} of "
        f"street-address ZIPs), reach with the prior {reach:.1%} ({zip_reach:.1%}); "
        f"capacity pushed {pushed} of {len(product.placed)} orders (2nd half, hierarchical); "
        f"promise {promise_ms:.1f} ms/order; market built in {built:.0f} s, run {elapsed:.0f} s"
    )
    line = {
        "bench": "promise",
        "on_time_rate": round(main_score.on_time, 4),
        "mean_promised_days": round(main_score.mean_days, 2),
        "next_day_coverage": round(coverage, 4),
        "baseline_on_time_rate": round(main_score.baseline_on_time, 4),
        "ratio": round(main_score.on_time / max(main_score.baseline_on_time, 1e-9), 3),
        "baseline_mean_promised_days": round(main_score.baseline_mean_days, 2),
        "orders": main_score.orders,
        "uncalibrated_on_time_rate": round(halves[1.0].on_time, 4),
        "uncalibrated_mean_promised_days": round(halves[1.0].mean_days, 2),
        "month_uncalibrated_on_time_rate": round(plain[1.0].on_time, 4),
        "second_half_on_time_rate": {str(m): round(halves[m].on_time, 4) for m in VARIANCES},
        "second_half_lane_on_time_rate": {str(m): round(runs[m].lanes_only.on_time, 4) for m in VARIANCES},
        "second_half_hierarchical_on_time_rate": {str(m): round(runs[m].hierarchical.on_time, 4) for m in VARIANCES},
        "second_half_hierarchical_mean_days": {str(m): round(runs[m].hierarchical.mean_days, 2) for m in VARIANCES},
        "next_day_reach_prior": round(reach, 4),
    }
    print(json.dumps(line))
    sys.stdout.flush()


def report(
    console: Console,
    plain: dict[float, Score],
    halves: dict[float, Score],
    runs: dict[float, Calibrated],
    missed: Counter[str],
    total: int,
) -> None:
    table = Table(title=f"delivery promise accuracy, {MONTH} (goal: on time >= {GOAL:.0%})")
    for name in ("run", "variance x", "orders", "on time", "mean days", "undelivered", "baseline on time",
                 "baseline days"):  # fmt: skip
        table.add_column(name, justify="left" if name == "run" else "right")

    def row(label: str, m: float, s: Score) -> None:
        table.add_row(
            label, f"{m:g}", f"{s.orders:,}", f"{s.on_time:.2%}", f"{s.mean_days:.2f}", f"{s.undelivered:.2%}",
            f"{s.baseline_on_time:.2%}", f"{s.baseline_mean_days:.2f}",
        )  # fmt: skip

    for m in VARIANCES:
        row("month, no calibration", m, plain[m])
    for m in VARIANCES:
        run = runs[m]
        row("2nd half, no calibration", m, halves[m])
        row(f"2nd half, lane-only ({run.recorded:,} obs)", m, run.lanes_only)
        row("2nd half, hierarchical (product)", m, run.hierarchical)
    console.print(table)
    reasons = ", ".join(f"{reason} {n}" for reason, n in missed.most_common())
    console.print(f"no promise for {sum(missed.values())} of {total} orders ({reasons})")


if __name__ == "__main__":
    main()
