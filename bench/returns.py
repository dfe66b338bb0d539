"""Returns: what 30-day returns cost over a simulated month of demo orders, with and without grading,
disposition and returnless refunds.

Setup (not measured). A small demo market (``generate_market``, seed 42, ``as_of`` the month's first
day so its ninety days of history end where the month starts) is written to a scratch SQLite database.
A month of orders is drawn from the demo's shoppers (heavy-tailed: some buy often) and its sellable
closed-loop listings (product popularity heavy-tailed, like the demo's own history): one seller per
order, one to three products of that seller, 1-5 units a line; priced, taxed (state base rate) and
shipped (flat fee under the free threshold) by ``checkout.pricing`` with the Settings defaults. Each
order is authorised and captured through ``TestPaymentProvider`` (so refunds go through it); each line
ships from its variant's stock row with the most units (stock decremented), one ground parcel per
warehouse, labelled by the ``SimulatedCarrier``; the parcel is handed over after the demo's handling
time and delivered when the carrier's own simulation says so (an order with a lost parcel is left out).
Order, lines, payment and delivered shipments are written directly, each order at its placing instant.

The returns (measured). Every draw comes from a fixed seed and is made before the flow runs, so no
outcome of the flow changes what shoppers do:

* which units come back: each unit of a line with its department's probability (``RETURN_RATES``);
* why: a reason per returned line from the department's mix (``REASON_MIX``; ``late`` only when a
  parcel of the order really arrived after its planned date, else ``changed_mind``); lines of an order
  with a change-of-mind reason go back in one request, fault reasons in one request each;
* when: days after delivery from a lognormal per kind of reason (change of mind later, faults sooner;
  damaged, defective and wrong items may come past the window, under the 90-day guarantee);
* the reviewer (seller for seller-fulfilled lines, else an operator) answers 85% of the requests
  that wait for a person within 2-40 hours, approving all of them (the bench does not judge claims);
  the rest are approved by the return jobs when the 48 hours run out;
* the shopper drops the parcel off 0.1-12 days after the label (median 1.5); the simulated carrier
  carries it (hand-over, its own delays; a lost parcel stays ``buyer_shipped`` and is counted); the
  warehouse receives it 1-20 hours after delivery and inspects it a lognormal 36 hours later (median):
  some slip past the 5-business-day refund SLA and are refunded by the jobs first;
* what is in the box: 1.5% empty and 0.5% another item (receive-rejected, no refund), else a grade
  per line from the reason's grade mix (``GRADES``: change of mind mostly A/B, damaged or defective
  mostly C/D).

The real flow runs at those simulated instants, each step in its own transaction, in time order:
``service.request_return`` (policy, abuse signals, auto-approval, returnless refund) -> ``decide`` ->
``labels.label_job`` / ``shipping.buy_label`` / ``labels.record_label`` -> ``mark_shipped`` ->
``receive`` -> ``inspection.inspect`` (disposition, restock / open box, recovery, refund), with
``jobs.run_return_jobs`` every 6 simulated hours. After any approval the shopper gets the label (as
``POST /v1/returns/{id}/label`` does; the API buys it by itself only at request time and when an
operator approves). The policy is the product's: ``service.Config``
built from the default ``Settings`` as ``bootstrap.Container.returns_config`` does (30-day window,
90-day guarantee, returnless below $10 or when the label would cost over half the refund).
(``request_return`` stamps ``created_at`` with the ``now`` it is given, so the 90-day history the abuse
signals read and analytics' time to refund follow the simulated clock; the bench's restamp is a no-op.)

Figures: return rate (units refunded by a return / units delivered), refunds (goods + tax + shipping
where the fault is the seller's), return labels the platform or seller paid (every label bought, also
for boxes rejected or lost), expected recovery from the dispositions, and
``net_loss = refunds - their sales tax + labels - recovery`` (as ``ReturnRequest.net_loss_cents``, plus
labels of the rejected and lost boxes; the state gives refunded sales tax back, so it is not a loss).
Baseline in the same run, on the same returns: no grading or disposition
(every unit disposed of, no recovery) and no returnless refunds (each of those parcels comes back on a
label at the simulated carrier's price for it at that instant): ``net_loss_no_disposition``.
``recovery_ratio = recovery / refunds``; ``ratio = net_loss / net_loss_no_disposition``. Refunds include
the sales tax refunded (printed apart); net losses do not. Returnless refunds are also weighed on their
own: the labels they save against what their items would have recovered had they come back (the grades
drawn for them, through the same disposition rules). Cross-check: ``returns.analytics.report`` over the
month's orders.

Assumptions, not measurements: the department return rates follow the ordering of published US
e-commerce return surveys (apparel and shoes highest, around 30-40%+; electronics around 15-20%;
grocery and perishables a few percent) and were set once, from the demo's sales mix by department
(not from any result of the flow), so that the mix lands near the seed market's ~30% headline: the
demo sells few fashion items, so home, baby, health and beauty carry 30-35% here, well above what
category surveys report for them (the table prints the rate the constants predict for the month's
mix next to the measured one); reason and grade mixes, delays and the empty-box share
are planning guesses; recovery shares are the planning figures in ``returns/disposition.py``
(restock 100%, open box 70%, liquidation 15%), not measured resale. Not modelled: cancelled returns,
bracketing (several sizes bought to return all but one), shopper-paid labels and restocking fees (off
by default), the cost of handling a return at the warehouse.

    .venv/bin/python bench/returns.py
    # knobs: YC_BENCH_SCALE (0.2), YC_BENCH_ORDERS (15,000 x scale), YC_BENCH_MONTH (2026-10),
    #        YC_BENCH_SEED (7: the month's orders and returns)
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from bisect import bisect
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart import models
from yellowcart.auth.models import Role, User
from yellowcart.auth.service import Principal
from yellowcart.catalog.models import Category, Product, ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.checkout import tax
from yellowcart.checkout.models import Payment, PaymentStatus
from yellowcart.checkout.payments import TestPaymentProvider
from yellowcart.checkout.pricing import LineInput, ShippingPolicy, quote_seller
from yellowcart.db import Database
from yellowcart.demo.generate import generate_market
from yellowcart.errors import InvalidInput
from yellowcart.fulfillment import calendar, shipping
from yellowcart.fulfillment.carriers.base import Address, LabelRequest, Parcel
from yellowcart.fulfillment.carriers.simulated import SimulatedCarrier
from yellowcart.fulfillment.models import Shipment, ShipmentLine, ShipmentStatus
from yellowcart.geo import lookup_zip
from yellowcart.inventory.models import Stock, Warehouse, WarehouseOperator
from yellowcart.money import allocate
from yellowcart.orders.models import Order, OrderLine
from yellowcart.orders.state import OrderStatus
from yellowcart.returns import analytics, inspection, labels, service
from yellowcart.returns import disposition as disp
from yellowcart.returns import policy as rules
from yellowcart.returns.jobs import run_return_jobs
from yellowcart.returns.models import ReturnRequest
from yellowcart.returns.signals import REVIEW_FLAGS
from yellowcart.returns.state import ReturnStatus
from yellowcart.sellers.models import Seller, SellerStatus
from yellowcart.settings import Settings

SCALE = float(os.environ.get("YC_BENCH_SCALE", "0.2"))
#: Orders in the month: 15,000 at scale 1.0 (3,000 at the default scale).
ORDERS = int(os.environ.get("YC_BENCH_ORDERS", str(round(15_000 * SCALE))))
MONTH = os.environ.get("YC_BENCH_MONTH", "2026-10")
SEED = int(os.environ.get("YC_BENCH_SEED", "7"))
DEMO_SEED = 42
CARRIER_SEED = 2026

R = rules.Reason
S = ReturnStatus
G = disp.Grade

#: Probability that a delivered unit is asked back, by department (assumptions; see the docstring).
RETURN_RATES = {
    "fashion": 0.40,  # apparel and shoes: size and fit; the highest in every survey
    "home-kitchen": 0.35,
    "baby": 0.33,
    "health-household": 0.33,
    "sports-outdoors": 0.33,
    "beauty": 0.30,
    "toys-games": 0.28,
    "pet-supplies": 0.25,
    "electronics": 0.20,
    "grocery": 0.04,  # perishables: only fault claims (not returnable for a change of mind)
}
DEFAULT_RATE = 0.30

#: Reasons of returned lines, relative weights, by department (assumptions).
REASON_MIX: dict[str, dict[rules.Reason, int]] = {
    "default": {R.NO_REASON: 30, R.CHANGED_MIND: 30, R.NOT_AS_DESCRIBED: 12, R.DEFECTIVE: 10, R.DAMAGED: 9,
                R.WRONG_ITEM: 6, R.LATE: 3},
    "fashion": {R.NO_REASON: 42, R.CHANGED_MIND: 28, R.NOT_AS_DESCRIBED: 14, R.DAMAGED: 4, R.DEFECTIVE: 4,
                R.WRONG_ITEM: 6, R.LATE: 2},
    "electronics": {R.NO_REASON: 18, R.CHANGED_MIND: 24, R.DEFECTIVE: 26, R.DAMAGED: 10, R.NOT_AS_DESCRIBED: 12,
                    R.WRONG_ITEM: 7, R.LATE: 3},
    "grocery": {R.DAMAGED: 55, R.WRONG_ITEM: 25, R.DEFECTIVE: 20},
}  # fmt: skip

#: Inspection grade mix (A, B, C, D) by reason (assumptions).
GRADES: dict[rules.Reason, tuple[int, int, int, int]] = {
    R.NO_REASON: (70, 22, 6, 2),
    R.CHANGED_MIND: (70, 22, 6, 2),
    R.LATE: (75, 20, 4, 1),
    R.WRONG_ITEM: (60, 30, 7, 3),
    R.NOT_AS_DESCRIBED: (35, 40, 15, 10),
    R.DAMAGED: (5, 15, 45, 35),
    R.DEFECTIVE: (3, 12, 35, 50),
}
EMPTY_BOX = 0.015
OTHER_ITEM = 0.005
ANSWERED = 0.85  # share of requests waiting for a person that the reviewer answers before the 48 h
JOB_EVERY = dt.timedelta(hours=6)
LINES_PER_ORDER = ((0, 1, 2), (68, 24, 8))  # more products of the same seller (the demo's basket)
UNITS = ((1, 2, 3, 4, 5), (80, 13, 4, 2, 1))


# ---- the market and the month of orders ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Listing:
    variant_id: int
    sku: str
    title: str
    product_id: int
    seller_id: int
    mode: SellingMode
    price_cents: int
    supply_cents: int | None
    path: str
    grams: int
    stock: tuple[int, ...]  # stock row ids

    @property
    def department(self) -> str:
        return self.path.split("/", 1)[0]


@dataclass(frozen=True, slots=True)
class Shopper:
    user_id: int
    address: dict[str, Any]


@dataclass(slots=True)
class Line:
    listing: Listing
    quantity: int
    stock_id: int
    warehouse_id: int
    order_line_id: int = 0
    delivered_at: dt.datetime | None = None  # its parcel's delivery: its return window starts there


@dataclass(slots=True)
class OutParcel:
    warehouse_id: int
    fulfilled_by: str  # the warehouse's operator
    lines: list[Line]
    shipped_at: dt.datetime
    delivered_at: dt.datetime
    promised: dt.date
    tracking: str
    carrier: str
    label_url: str
    label_cents: int
    grams: int


@dataclass(slots=True)
class Planned:
    key: int
    shopper: Shopper
    seller_id: int
    placed_at: dt.datetime
    lines: list[Line]
    parcels: list[OutParcel] = field(default_factory=list)
    order_id: int = 0

    @property
    def late(self) -> bool:
        return any(p.delivered_at.date() > p.promised for p in self.parcels)


@dataclass(slots=True)
class Plan:
    """One return request as the shopper, reviewer, carrier and warehouse will play it (drawn up front)."""

    order: Planned
    lines: list[tuple[Line, int]]  # (line, units)
    reason: rules.Reason
    at: dt.datetime
    answered: bool
    review_hours: float
    drop_off_days: float
    dock_hours: float
    inspect_hours: float
    outcome: inspection.Outcome
    grades: list[disp.Grade]
    # what happened
    return_id: int = 0
    refused: str | None = None
    flags: tuple[str, ...] = ()
    returnless: bool = False
    label_cents: int = 0  # bought and paid by the platform or seller
    baseline_label_cents: int = 0  # returnless: the label the baseline would have bought
    lost: bool = False
    decided_by: str = ""  # reviewer, job, policy


class World:
    """The scratch market: listings, shoppers, people who act in the flow, warehouses."""

    def __init__(self, session: Session) -> None:
        self.warehouses = {w.id: w for w in session.scalars(select(Warehouse))}
        stock_rows = session.execute(
            select(Stock.id, Stock.variant_id, Stock.warehouse_id, Stock.on_hand - Stock.reserved).order_by(Stock.id)
        ).all()
        self.available = {sid: int(left) for sid, _, _, left in stock_rows}
        self.stock_warehouse = {sid: wid for sid, _, wid, _ in stock_rows}
        by_variant: dict[int, list[int]] = defaultdict(list)
        for sid, vid, _, left in stock_rows:
            if left > 0:
                by_variant[vid].append(sid)
        rows = session.execute(
            select(Variant, Product.title, Product.seller_id, Product.selling_mode, Category.path)
            .join(Product, Product.id == Variant.product_id)
            .join(Category, Category.id == Product.category_id)
            .join(Seller, Seller.id == Product.seller_id)
            .where(
                Variant.is_active.is_(True),
                Product.status == ProductStatus.ACTIVE,
                Product.selling_mode != SellingMode.REDIRECT,
                Seller.status == SellerStatus.ACTIVE,
            )
            .order_by(Variant.id)
        ).all()
        self.listings = [
            _listing(v, title, seller, mode, path, tuple(by_variant[v.id]))
            for v, title, seller, mode, path in rows
            if by_variant.get(v.id)
        ]
        shoppers = session.execute(
            select(User.id, User.display_name, User.home_zip).where(User.role == Role.SHOPPER).order_by(User.id)
        ).all()
        self.shoppers = [Shopper(uid, _address(uid, name, zip_code)) for uid, name, zip_code in shoppers if zip_code]
        owners = session.execute(select(User.id, User.seller_id).where(User.role == Role.SELLER)).all()
        self.seller_principal = {sid: Principal(uid, Role.SELLER, sid) for uid, sid in owners if sid is not None}
        operator = session.scalar(select(User.id).where(User.role == Role.OPERATOR).order_by(User.id))
        assert operator is not None
        self.operator = Principal(operator, Role.OPERATOR)


def _listing(v: Variant, title: str, seller: int, mode: SellingMode, path: str, stock: tuple[int, ...]) -> Listing:
    return Listing(v.id, v.sku, _title(title, v.options), v.product_id, seller, mode, v.price_cents,
                   v.supply_price_cents, path, v.weight_grams or 300, stock)  # fmt: skip


def _title(product: str, options: dict[str, str] | None) -> str:
    extra = " / ".join(str(v) for v in (options or {}).values())
    return f"{product} ({extra})"[:250] if extra else product[:250]


def _address(uid: int, name: str, zip_code: str) -> dict[str, Any]:
    place = lookup_zip(zip_code)
    rng = random.Random(f"address:{uid}")
    return {
        "name": name,
        "line1": f"{rng.randint(1, 9899)} {rng.choice(('Oak', 'Maple', 'Cedar', 'Elm', 'Pine'))} St",
        "line2": None,
        "city": place.city if place else "Springfield",
        "state": place.state if place else "NY",
        "zip": zip_code,
        "phone": None,
    }


def build_market(path: Path, month_start: dt.datetime) -> Database:
    db = Database(f"sqlite:///{path}/returns.db")
    models.Base.metadata.create_all(db.engine)
    generate_market(db, seed=DEMO_SEED, scale=SCALE, progress=False, as_of=month_start)
    return db


def month_bounds() -> tuple[dt.datetime, dt.datetime]:
    first = dt.date.fromisoformat(f"{MONTH}-01")
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    start = dt.datetime.combine(first, dt.time(0), tzinfo=dt.UTC)
    return start, dt.datetime.combine(following, dt.time(0), tzinfo=dt.UTC)


def _zone(address: dict[str, Any]) -> ZoneInfo:
    place = lookup_zip(str(address["zip"]))
    return ZoneInfo(place.timezone if place else "America/New_York")


def order_stream(world: World, start: dt.datetime, end: dt.datetime) -> list[Planned]:
    """``ORDERS`` orders over the month (weekends a little busier, evenings busiest), shoppers and
    products heavy-tailed; stock taken from the fullest warehouse row of each variant."""
    rng = random.Random(f"orders:{SEED}")
    by_product: dict[int, list[Listing]] = defaultdict(list)
    for listing in world.listings:
        by_product[listing.product_id].append(listing)
    products = sorted(by_product)
    seller_of = {p: by_product[p][0].seller_id for p in products}
    of_seller: dict[int, list[int]] = defaultdict(list)
    for p in products:
        of_seller[seller_of[p]].append(p)
    product_cum = list(itertools.accumulate(rng.lognormvariate(0, 1.2) for _ in products))
    shopper_cum = list(itertools.accumulate(rng.lognormvariate(0, 1.0) for _ in world.shoppers))
    days = [(start + dt.timedelta(days=i)).date() for i in range((end - start).days)]
    day_weights = [1.2 if d.weekday() >= 5 else 1.0 for d in days]
    out = []
    for key, day in enumerate(sorted(rng.choices(days, day_weights, k=ORDERS)), start=1):
        shopper = world.shoppers[_pick(rng, shopper_cum)]
        hour = rng.uniform(18, 23.9) if rng.random() < 0.6 else rng.uniform(7, 18)
        local = dt.datetime.combine(day, dt.time(0), tzinfo=_zone(shopper.address)) + dt.timedelta(hours=hour)
        first = products[_pick(rng, product_cum)]
        seller = seller_of[first]
        others = [p for p in of_seller[seller] if p != first]
        picks = [first, *rng.sample(others, min(rng.choices(*LINES_PER_ORDER)[0], len(others)))]
        lines = []
        for pid in picks:
            listing = rng.choice(by_product[pid])
            qty = rng.choices(*UNITS)[0]
            stock_id = max(listing.stock, key=lambda s: (world.available[s], -s))
            qty = min(qty, world.available[stock_id])
            if qty <= 0:
                continue
            world.available[stock_id] -= qty
            lines.append(Line(listing, qty, stock_id, world.stock_warehouse[stock_id]))
        if lines:
            out.append(Planned(key, shopper, seller, local.astimezone(dt.UTC), lines))
    out.sort(key=lambda o: (o.placed_at, o.key))
    return [o for o in out if o.placed_at < end]


def _pick(rng: random.Random, cum: list[float]) -> int:
    return min(bisect(cum, rng.random() * cum[-1]), len(cum) - 1)


def _warehouse_address(w: Warehouse, name: str | None = None) -> Address:
    return Address(name=name or w.name, street1=w.line1, city=w.city, state=w.state, zip=w.zip, residential=False)


def _shopper_address(a: dict[str, Any]) -> Address:
    return Address(name=str(a["name"]), street1=str(a["line1"]), city=str(a["city"]), state=str(a["state"]),
                   zip=str(a["zip"]))  # fmt: skip


def deliver(order: Planned, world: World, carrier: SimulatedCarrier, clock: list[dt.datetime]) -> bool:
    """One ground parcel per warehouse: labelled at placing, handed over after the demo's handling time
    (lognormal, median 14 h from platform warehouses, 26 h from sellers'), delivered when the carrier's
    simulation says; False when a parcel never arrives."""
    rng = random.Random(f"handling:{SEED}:{order.key}")
    groups: dict[int, list[Line]] = defaultdict(list)
    for line in order.lines:
        groups[line.warehouse_id].append(line)
    for wid, lines in sorted(groups.items()):
        warehouse = world.warehouses[wid]
        platform = warehouse.operator is WarehouseOperator.PLATFORM
        hours = min(110.0, max(1.5, rng.lognormvariate(math.log(14 if platform else 26), 0.6)))
        grams = max(100, sum(ln.listing.grams * ln.quantity for ln in lines))
        request = LabelRequest(
            reference=f"out-{order.key}-{wid}",
            parcel=Parcel(weight_grams=grams),
            from_address=_warehouse_address(warehouse),
            to_address=_shopper_address(order.shopper.address),
        )
        clock[0] = order.placed_at
        rate = next(r for r in carrier.rates(request.parcel, request.from_address, request.to_address)
                    if r.service == "ground")  # fmt: skip
        label = carrier.buy_label(request, rate)
        shipped = order.placed_at + dt.timedelta(hours=hours)
        carrier.hand_over(label.tracking_number, shipped)
        delivered = carrier.delivered_at(label.tracking_number)
        if delivered is None:
            return False
        promised = calendar.add_business_days(shipped.date(), rate.est_days or 5)  # the carrier's own plan
        parcel = OutParcel(wid, warehouse.operator.value, lines, shipped, delivered, promised, label.tracking_number,
                           label.carrier, label.label_url, label.cost_cents, grams)  # fmt: skip
        order.parcels.append(parcel)
        for line in lines:
            line.delivered_at = delivered
    return True


def write_order(
    session: Session, order: Planned, provider: TestPaymentProvider, rates: dict[str, Decimal], policy: ShippingPolicy
) -> None:
    """Payment (authorised and captured by the provider), order, lines and delivered shipments."""
    rate = rates.get(str(order.shopper.address["state"]), Decimal(0))
    inputs = [
        LineInput(ln.listing.variant_id, ln.listing.sku, ln.listing.title, order.seller_id, ln.listing.mode.value,
                  ln.quantity, ln.listing.price_cents, ln.listing.supply_cents)
        for ln in order.lines
    ]  # fmt: skip
    priced = quote_seller(order.seller_id, inputs, rate, policy)
    key = f"bench-returns-{SEED}-{order.key}"
    auth = provider.authorize(
        amount_cents=priced.total_cents, currency="USD", payment_method="tok_visa", idempotency_key=key
    )
    assert auth.approved and auth.provider_ref
    provider.capture(provider_ref=auth.provider_ref, amount_cents=priced.total_cents, idempotency_key=f"{key}-cap")
    paid = order.placed_at + dt.timedelta(seconds=20)
    payment = Payment(
        shopper_id=order.shopper.user_id, provider=provider.name, provider_ref=auth.provider_ref,
        idempotency_key=key, payment_method="tok_visa", status=PaymentStatus.CAPTURED,
        amount_cents=priced.total_cents, captured_cents=priced.total_cents, created_at=order.placed_at,
    )  # fmt: skip
    session.add(payment)
    session.flush()
    row = Order(
        shopper_id=order.shopper.user_id, seller_id=order.seller_id, payment_id=payment.id,
        status=OrderStatus.DELIVERED, currency="USD", subtotal_cents=priced.subtotal_cents,
        shipping_cents=priced.shipping_cents, discount_cents=0, tax_cents=priced.tax_cents,
        total_cents=priced.total_cents, tax_rate=str(rate), ship_to=dict(order.shopper.address),
        placed_at=order.placed_at, paid_at=paid,
        lines=[
            OrderLine(variant_id=p.line.variant_id, sku=p.line.sku, title=p.line.title,
                      selling_mode=SellingMode(p.line.selling_mode), quantity=p.line.quantity,
                      unit_price_cents=p.line.unit_price_cents, line_subtotal_cents=p.subtotal_cents,
                      line_tax_cents=p.tax_cents, line_shipping_cents=p.shipping_cents,
                      supply_price_cents=p.line.supply_price_cents)
            for p in priced.lines
        ],
    )  # fmt: skip
    session.add(row)
    session.flush()
    order.order_id = row.id
    for line, ol in zip(order.lines, row.lines, strict=True):
        line.order_line_id = ol.id
    for p in order.parcels:
        session.add(
            Shipment(
                order_id=row.id, warehouse_id=p.warehouse_id, fulfilled_by=p.fulfilled_by,
                status=ShipmentStatus.DELIVERED, service="ground", carrier=p.carrier, provider="simulated",
                tracking_number=p.tracking,
                label_ref=p.label_url, label_cost_cents=p.label_cents, weight_grams=p.grams,
                pick_date=p.shipped_at.date(), ship_by=p.shipped_at.date(), promised_date=p.promised,
                estimated_date=p.promised, shipped_at=p.shipped_at, delivered_at=p.delivered_at,
                created_at=order.placed_at,
                lines=[ShipmentLine(order_line_id=ln.order_line_id, stock_id=ln.stock_id, quantity=ln.quantity)
                       for ln in p.lines],
            )
        )  # fmt: skip
        for ln in p.lines:
            stock = session.get(Stock, ln.stock_id)
            assert stock is not None
            stock.on_hand -= ln.quantity


# ---- drawing the returns ---------------------------------------------------------------------------


def _days(rng: random.Random, median: float, sigma: float, below: float) -> float:
    below = max(below, 0.25)  # parcels of one order delivered almost a window apart: ask at once
    while True:
        days = rng.lognormvariate(math.log(median), sigma)
        if days < below:
            return days


def _request_at(rng: random.Random, reason: rules.Reason, lines: list[tuple[Line, int]]) -> dt.datetime:
    """Days from the last of the lines' deliveries to the request: change of mind later (median 6),
    faults sooner (median 3); inside the window of the first delivered line, except that damaged,
    defective and wrong items may come up to the 90-day guarantee."""
    deliveries = [ln.delivered_at for ln, _ in lines if ln.delivered_at is not None]
    last = max(deliveries)
    spread = (last - min(deliveries)).total_seconds() / 86400
    if reason in rules.NO_FAULT_REASONS:
        days = _days(rng, 6.0, 0.75, 29.5 - spread)
    elif reason in rules.GUARANTEE_REASONS:
        days = _days(rng, 3.0, 1.0, 89.0 - spread)
    else:
        days = _days(rng, 3.0, 0.8, 29.5 - spread)
    return last + dt.timedelta(days=days)


def draw_returns(orders: list[Planned]) -> list[Plan]:
    rng = random.Random(f"returns:{SEED}")
    plans = []
    for order in orders:
        wanted: dict[rules.Reason, list[tuple[Line, int]]] = defaultdict(list)
        first_no_fault: rules.Reason | None = None
        for line in order.lines:
            dept = line.listing.department
            p = RETURN_RATES.get(dept, DEFAULT_RATE)
            units = sum(rng.random() < p for _ in range(line.quantity))
            if not units:
                continue
            mix = REASON_MIX.get(dept, REASON_MIX["default"])
            reason = rng.choices(list(mix), list(mix.values()))[0]
            if reason is R.LATE and not order.late:
                reason = R.CHANGED_MIND
            if reason in rules.NO_FAULT_REASONS:
                first_no_fault = first_no_fault or reason
                reason = first_no_fault  # change-of-mind lines travel back together
            wanted[reason].append((line, units))
        for reason, lines in wanted.items():
            at = _request_at(rng, reason, lines)
            box = rng.random()
            outcome = (
                inspection.Outcome.EMPTY
                if box < EMPTY_BOX
                else inspection.Outcome.WRONG_ITEM
                if box < EMPTY_BOX + OTHER_ITEM
                else inspection.Outcome.ACCEPTED
            )
            grades = [rng.choices(list(G), GRADES[reason])[0] for _ in lines]
            plans.append(
                Plan(
                    order, lines, reason, at,
                    answered=rng.random() < ANSWERED,
                    review_hours=rng.uniform(2, 40),
                    drop_off_days=min(12.0, max(0.1, rng.lognormvariate(math.log(1.5), 0.8))),
                    dock_hours=rng.uniform(1, 20),
                    inspect_hours=min(480.0, max(1.0, rng.lognormvariate(math.log(36), 0.9))),
                    outcome=outcome,
                    grades=grades,
                )
            )  # fmt: skip
    return plans


# ---- the flow --------------------------------------------------------------------------------------


def product_config() -> service.Config:
    """The returns configuration the app runs with: ``bootstrap.Container.returns_config`` over the
    default Settings."""
    s = Settings()
    return service.Config(
        base=rules.Policy(
            window_days=s.return_window_days,
            guarantee_days=s.return_guarantee_days,
            returnless_below_cents=s.returnless_below_cents,
            returnless_label_share_bps=s.returnless_label_share_bps,
        ),
        response_hours=s.return_response_hours,
        refund_business_days=s.return_refund_business_days,
    )


@dataclass
class Counts:
    refused: Counter[str] = field(default_factory=Counter)
    decided: Counter[str] = field(default_factory=Counter)
    escalated: int = 0
    sla_refunded: int = 0
    lost: int = 0
    orders_lost: int = 0


class Flow:
    """Drives the returns flow at simulated instants, in time order, one transaction per step."""

    def __init__(self, db: Database, world: World, carrier: SimulatedCarrier, clock: list[dt.datetime]) -> None:
        self.db, self.world, self.carrier, self.clock = db, world, carrier, clock
        self.provider = TestPaymentProvider()
        self.config = product_config()
        self.rates = {row.state: Decimal(row.rate) for row in tax.bundled_rates()}
        settings = Settings()
        self.shipping = ShippingPolicy(settings.standard_shipping_cents, settings.free_shipping_threshold_cents)
        self.queue: list[tuple[dt.datetime, int, Callable[[dt.datetime], None]]] = []
        self.seq = itertools.count()
        self.by_id: dict[int, Plan] = {}
        self.counts = Counts()

    def at(self, when: dt.datetime, action: Callable[[dt.datetime], None]) -> None:
        heapq.heappush(self.queue, (when, next(self.seq), action))

    def run(self, until: dt.datetime, progress: Callable[[dt.datetime], None]) -> None:
        while self.queue:
            when, _, action = heapq.heappop(self.queue)
            if when > until:
                break
            self.clock[0] = when
            action(when)
            progress(when)

    # -- steps ------------------------------------------------------------------------------------

    def place(self, order: Planned, plans: list[Plan]) -> Callable[[dt.datetime], None]:
        def step(now: dt.datetime) -> None:
            with self.db.transaction() as session:
                write_order(session, order, self.provider, self.rates, self.shipping)
            for plan in plans:
                self.at(plan.at, self.request(plan))

        return step

    def request(self, plan: Plan) -> Callable[[dt.datetime], None]:
        def step(now: dt.datetime) -> None:
            shopper = Principal(plan.order.shopper.user_id, Role.SHOPPER)
            fault = plan.reason in rules.FAULT_REASONS
            try:
                with self.db.transaction() as session:
                    ret = service.request_return(
                        session, principal=shopper, order_id=plan.order.order_id,
                        wanted=[service.Wanted(ln.order_line_id, units) for ln, units in plan.lines],
                        reason=plan.reason, comment=None, photos=["bench://photo.jpg"] if fault else [],
                        provider=self.provider, now=now, config=self.config,
                    )  # fmt: skip
                    ret.created_at = now  # the service stamps the wall clock (see the docstring)
                    plan.return_id, plan.flags, status = ret.id, tuple(ret.review_flags), ret.status
            except InvalidInput as error:
                plan.refused = type(error).__name__
                self.counts.refused[plan.refused] += 1
                return
            self.by_id[plan.return_id] = plan
            if status is S.REQUEST_PENDING:
                if plan.answered:
                    self.at(now + dt.timedelta(hours=plan.review_hours), self.review(plan))
            else:
                plan.decided_by = "policy"
                self.approved(plan, status, now)

        return step

    def review(self, plan: Plan) -> Callable[[dt.datetime], None]:
        def step(now: dt.datetime) -> None:
            with self.db.transaction() as session:
                ret = session.get(ReturnRequest, plan.return_id)
                assert ret is not None
                if ret.status is not S.REQUEST_PENDING:
                    return
                ret = service.decide(
                    session, principal=self._reviewer(ret), return_id=plan.return_id, approve=True,
                    note="approved by the reviewer", provider=self.provider, now=now, config=self.config,
                )  # fmt: skip
                status = ret.status
            plan.decided_by = "reviewer"
            self.approved(plan, status, now)

        return step

    def approved(self, plan: Plan, status: ReturnStatus, now: dt.datetime) -> None:
        """After approval: a returnless refund (priced for the baseline), or the label and the trip back."""
        if status is S.COMPLETED:
            plan.returnless = True
            plan.baseline_label_cents = self._label_price(plan)
            return
        assert status is S.AWAITING_BUYER_SHIP, status
        shopper = Principal(plan.order.shopper.user_id, Role.SHOPPER)
        with self.db.transaction() as session:
            job = labels.label_job(session, principal=shopper, return_id=plan.return_id)
        label = shipping.buy_label(self.carrier, job)
        with self.db.transaction() as session:
            ret = labels.record_label(session, return_id=plan.return_id, label=label)
            assert ret is not None
            plan.label_cents = ret.label_cost_cents if ret.label_payer is not rules.Payer.SHOPPER else 0
        self.at(now + dt.timedelta(days=plan.drop_off_days), self.ship(plan))

    def ship(self, plan: Plan) -> Callable[[dt.datetime], None]:
        def step(now: dt.datetime) -> None:
            shopper = Principal(plan.order.shopper.user_id, Role.SHOPPER)
            with self.db.transaction() as session:
                ret = service.mark_shipped(
                    session, principal=shopper, return_id=plan.return_id, carrier=None, tracking_number=None, now=now
                )
                tracking = ret.tracking_number
            assert tracking
            self.carrier.hand_over(tracking, now)
            delivered = self.carrier.delivered_at(tracking)
            if delivered is None:
                plan.lost = True
                self.counts.lost += 1
                return
            self.at(max(delivered, now) + dt.timedelta(hours=plan.dock_hours), self.receive(plan))

        return step

    def receive(self, plan: Plan) -> Callable[[dt.datetime], None]:
        def step(now: dt.datetime) -> None:
            with self.db.transaction() as session:
                ret = session.get(ReturnRequest, plan.return_id)
                assert ret is not None
                service.receive(
                    session, principal=self._warehouse(ret), return_id=plan.return_id, now=now, config=self.config
                )
            self.at(now + dt.timedelta(hours=plan.inspect_hours), self.inspect(plan))

        return step

    def inspect(self, plan: Plan) -> Callable[[dt.datetime], None]:
        def step(now: dt.datetime) -> None:
            grades = {ln.order_line_id: g for (ln, _), g in zip(plan.lines, plan.grades, strict=True)}
            with self.db.transaction() as session:
                ret = session.get(ReturnRequest, plan.return_id)
                assert ret is not None
                inspection.inspect(
                    session, principal=self._warehouse(ret), return_id=plan.return_id, outcome=plan.outcome,
                    grades=grades if plan.outcome is inspection.Outcome.ACCEPTED else {}, note=None,
                    provider=self.provider, now=now, config=self.config,
                )  # fmt: skip

        return step

    def tick(self, until: dt.datetime) -> Callable[[dt.datetime], None]:
        def step(now: dt.datetime) -> None:
            run = run_return_jobs(self.db, provider=self.provider, now=now, config=self.config)
            self.counts.escalated += len(run.escalated)
            self.counts.sla_refunded += len(run.refunded)
            for rid in run.approved:
                plan = self.by_id[rid]
                with self.db.transaction() as session:
                    ret = session.get(ReturnRequest, rid)
                    assert ret is not None
                    status = ret.status
                plan.decided_by = "job"
                self.approved(plan, status, now)
            if now + JOB_EVERY <= until:
                self.at(now + JOB_EVERY, self.tick(until))

        return step

    # -- helpers ----------------------------------------------------------------------------------

    def _reviewer(self, ret: ReturnRequest) -> Principal:
        return self.world.seller_principal[ret.seller_id] if ret.reviewer == "seller" else self.world.operator

    def _warehouse(self, ret: ReturnRequest) -> Principal:
        """Seller-fulfilled returns go back to the seller's own warehouse (the seller receives them while
        it is the reviewer); the rest to the platform's."""
        return self._reviewer(ret)

    def _label_price(self, plan: Plan) -> int:
        """What a return label for this parcel costs now (as ``labels.label_job`` would ask for it), or 0
        when the shopper would pay for it."""
        with self.db.transaction() as session:
            ret = session.get(ReturnRequest, plan.return_id)
            assert ret is not None and ret.warehouse_id is not None
            if ret.label_payer is rules.Payer.SHOPPER:
                return 0
            units = sum(rl.quantity for rl in ret.lines)
        warehouse = self.world.warehouses[ret.warehouse_id]
        rates = self.carrier.rates(
            Parcel(weight_grams=labels.GRAMS_PER_UNIT * units),
            _shopper_address(plan.order.shopper.address),
            _warehouse_address(warehouse, f"Returns - {warehouse.name}"),
        )
        rate = next((r for r in rates if r.service == labels.SERVICE), rates[0])
        return rate.amount_cents


# ---- figures ---------------------------------------------------------------------------------------


@dataclass
class Money:
    sold_units: int = 0
    sold_cents: int = 0
    requested_units: int = 0
    returned_units: int = 0
    refund_cents: int = 0
    label_cents: int = 0
    recovery_cents: int = 0
    baseline_label_cents: int = 0  # labels the baseline buys on top (returnless parcels)
    tax_cents: int = 0  # of the refunds: sales tax (about: the units' share of the line's tax)
    shipping_cents: int = 0  # of the refunds: outbound shipping given back (fault reasons)

    @property
    def net_loss(self) -> int:
        """Refunds net of their sales tax (the state gives that back), labels, less recovery."""
        return self.refund_cents - self.tax_cents + self.label_cents - self.recovery_cents

    @property
    def baseline(self) -> int:
        return self.refund_cents - self.tax_cents + self.label_cents + self.baseline_label_cents

    @property
    def rate(self) -> float:
        return self.returned_units / self.sold_units if self.sold_units else 0.0


@dataclass
class Figures:
    total: Money
    departments: dict[str, Money]
    dispositions: dict[str, list[int]]  # kind -> [units, refund, recovery]
    reasons: dict[str, list[int]]  # reason -> [requests, units, refund, net loss]
    statuses: Counter[str]
    requests: int
    flagged: int
    flag_kinds: Counter[str]
    returnless: int
    receive_rejected: int
    hours_to_refund: list[float]
    expected_rate: float
    forgone_cents: int  # returnless: what the kept items would have recovered (same grades, disposition.py)


def figures(session: Session, orders: list[Planned], plans: list[Plan]) -> Figures:
    total = Money()
    departments: dict[str, Money] = defaultdict(Money)
    expected = 0.0
    dept_of: dict[int, str] = {}
    for order in orders:
        for ln in order.lines:
            dept = ln.listing.department
            dept_of[ln.order_line_id] = dept
            for m in (total, departments[dept]):
                m.sold_units += ln.quantity
                m.sold_cents += ln.quantity * ln.listing.price_cents
            expected += ln.quantity * RETURN_RATES.get(dept, DEFAULT_RATE)
    dispositions: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    reasons: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    statuses: Counter[str] = Counter()
    flag_kinds: Counter[str] = Counter()
    hours = []
    flagged = returnless = rejected = 0
    for plan in plans:
        if not plan.return_id:
            statuses["refused"] += 1
            continue
        ret = session.get(ReturnRequest, plan.return_id)
        assert ret is not None
        statuses[ret.status.value] += 1
        raised = set(plan.flags) & REVIEW_FLAGS
        flagged += bool(raised)
        flag_kinds.update(raised)
        returnless += ret.returnless
        rejected += ret.status is S.RECEIVE_REJECTED
        if ret.refunded_at is not None:
            hours.append((ret.refunded_at - ret.created_at).total_seconds() / 3600)
        units = [rl.quantity for rl in ret.lines]
        labels_paid = allocate(plan.label_cents, units)
        labels_extra = allocate(plan.baseline_label_cents, units)
        done = ret.status is S.COMPLETED
        for rl, label, extra in zip(ret.lines, labels_paid, labels_extra, strict=True):
            ol = session.get(OrderLine, rl.order_line_id)
            assert ol is not None
            refunded = done and ret.refunded_at is not None
            tax_part = ol.line_tax_cents * rl.quantity // ol.quantity if refunded else 0
            fault = ret.reason in rules.FAULT_REASONS
            ship_part = ol.line_shipping_cents * rl.quantity // ol.quantity if refunded and fault else 0
            for m in (total, departments[dept_of[rl.order_line_id]]):
                m.tax_cents += tax_part
                m.shipping_cents += ship_part
                m.requested_units += rl.quantity
                m.returned_units += rl.quantity if done else 0
                m.refund_cents += rl.refund_cents
                m.label_cents += label
                m.recovery_cents += rl.recovery_cents
                m.baseline_label_cents += extra
            kind = (
                "returnless (kept)"
                if ret.returnless
                else rl.disposition
                or ("receive rejected" if ret.status is S.RECEIVE_REJECTED else f"not inspected ({ret.status.value})")
            )
            row = dispositions[kind]
            row[0] += rl.quantity
            row[1] += rl.refund_cents
            row[2] += rl.recovery_cents
        paid = plan.label_cents
        r = reasons[ret.reason.value]
        r[0] += 1
        r[1] += sum(units)
        r[2] += ret.refund_cents
        r[3] += ret.refund_cents + paid - ret.recovery_cents
    return Figures(
        total, dict(departments), dict(dispositions), dict(reasons), statuses, sum(1 for p in plans if p.return_id),
        flagged, flag_kinds, returnless, rejected, hours, expected / max(1, total.sold_units),
        sum(_forgone(p) for p in plans if p.returnless),
    )  # fmt: skip


def _forgone(plan: Plan) -> int:
    """What a returnless refund's items would have recovered had they come back: the grades drawn for
    them, through the same disposition rules and planning recovery shares."""
    out = 0
    for (line, units), grade in zip(plan.lines, plan.grades, strict=True):
        kind = disp.disposition(grade, category_path=line.listing.path, mode=line.listing.mode.value)
        out += disp.recovery_cents(kind, unit_price_cents=line.listing.price_cents, units=units)
    return out


def _by_count(kv: tuple[str, list[int]]) -> int:
    return -kv[1][0]


def _usd(cents: int) -> str:
    return f"{cents / 100:,.0f}"


def report(console: Console, f: Figures, counts: Counts, orders: int, rep: analytics.Report) -> None:
    t = f.total
    table = Table(title=f"returns over {MONTH}'s orders: product (grading, disposition, returnless) vs no disposition")
    columns = ("department", "units sold", "returned", "rate", "refunds $", "labels $", "recovery $", "net loss $",
               "no-disposition $", "ratio")  # fmt: skip
    for name in columns:
        table.add_column(name, justify="left" if name == "department" else "right")

    def row(label: str, m: Money) -> None:
        table.add_row(
            label, f"{m.sold_units:,}", f"{m.returned_units:,}", f"{m.rate:.1%}", _usd(m.refund_cents),
            _usd(m.label_cents), _usd(m.recovery_cents), _usd(m.net_loss), _usd(m.baseline),
            f"{m.net_loss / m.baseline:.3f}" if m.baseline else "-",
        )  # fmt: skip

    for dept in sorted(f.departments, key=lambda d: -f.departments[d].sold_units):
        row(dept, f.departments[dept])
    row("all", f.total)
    console.print(table)
    kinds = Table(title="returned units by disposition")
    for name in ("disposition", "units", "refunds $", "recovery $", "recovered / refunded"):
        kinds.add_column(name, justify="left" if name == "disposition" else "right")
    for kind, (units, refund, recovery) in sorted(f.dispositions.items(), key=lambda kv: -kv[1][0]):
        kinds.add_row(kind, f"{units:,}", _usd(refund), _usd(recovery), f"{recovery / refund:.1%}" if refund else "-")
    console.print(kinds)
    console.print(
        "by reason (requests, units, net loss $): "
        + "; ".join(f"{k} {v[0]:,}/{v[1]:,}/{_usd(v[3])}" for k, v in sorted(f.reasons.items(), key=_by_count))
    )
    console.print(
        f"{f.requests:,} requests from {orders:,} delivered orders ({sum(counts.refused.values())} refused by the "
        f"policy); returnless {f.returnless:,} (labels saved ${_usd(t.baseline_label_cents)}, recovery forgone "
        f"~${_usd(f.forgone_cents)}); flagged for review {f.flagged:,} "
        f"({', '.join(f'{k} {n}' for k, n in f.flag_kinds.most_common()) or 'none'}); receive-rejected "
        f"{f.receive_rejected:,}; lost on the way back {counts.lost}; decided by "
        + ", ".join(f"{k} {n:,}" for k, n in counts.decided.most_common())
        + f"; escalated to operators {counts.escalated}; refunded by the SLA before inspection {counts.sla_refunded}"
    )
    console.print("final statuses: " + ", ".join(f"{k} {n:,}" for k, n in f.statuses.most_common()))
    p50 = statistics.median(f.hours_to_refund) if f.hours_to_refund else 0.0
    p90 = statistics.quantiles(f.hours_to_refund, n=10)[-1] if len(f.hours_to_refund) > 1 else p50
    console.print(
        f"unit return rate {f.total.rate:.2%} (asked back {f.total.requested_units / max(1, f.total.sold_units):.2%}; "
        f"expected from the department rates and this month's mix {f.expected_rate:.2%}); hours from request to "
        f"refund p50 {p50:.0f}, p90 {p90:.0f}; orders left out (a parcel lost on the way out) {counts.orders_lost}"
    )
    console.print(
        f"refunds ${_usd(t.refund_cents)} include about ${_usd(t.tax_cents)} of sales tax and "
        f"${_usd(t.shipping_cents)} of outbound shipping; goods sold ${_usd(t.sold_cents)}: "
        f"net loss {t.net_loss / max(1, t.sold_cents):.2%} "
        f"of them (no disposition: {t.baseline / max(1, t.sold_cents):.2%})"
    )
    console.print(
        f"returns.analytics.report over the month's orders: unit rate {rep.total.unit_rate or 0:.2%}, "
        f"{rep.returns:,} refunded returns, refunds ${_usd(rep.refund_cents)}, recovery ${_usd(rep.recovery_cents)}, "
        f"net loss ${_usd(rep.net_loss_cents)}, hours to refund "
        f"p50 {rep.hours_to_refund_p50}, p90 {rep.hours_to_refund_p90}"
    )


# ---- the run ---------------------------------------------------------------------------------------


def main() -> None:
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # stdout: the JSON line only
    console = Console(stderr=True, width=160)
    started = time.perf_counter()
    start, end = month_bounds()
    clock = [start]
    carrier = SimulatedCarrier(seed=CARRIER_SEED, clock=lambda: clock[0])
    with tempfile.TemporaryDirectory() as tmp:
        console.print(f"building the demo market (scale {SCALE}) ...")
        db = build_market(Path(tmp), start)
        built = time.perf_counter() - started
        with db.transaction() as session:
            world = World(session)
        drawn = order_stream(world, start, end)
        orders = [o for o in drawn if deliver(o, world, carrier, clock)]
        plans = draw_returns(orders)
        flow = Flow(db, world, carrier, clock)
        flow.counts.orders_lost = len(drawn) - len(orders)
        by_order: dict[int, list[Plan]] = defaultdict(list)
        for plan in plans:
            by_order[plan.order.key].append(plan)
        for order in orders:
            flow.at(order.placed_at, flow.place(order, by_order[order.key]))
        horizon = max(p.at for p in plans) + dt.timedelta(days=45)  # the slowest trip back fits
        flow.at(start, flow.tick(horizon))
        t0 = time.perf_counter()
        columns = (TextColumn("{task.description:<34}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=False) as bar:
            total_days = (horizon - start).total_seconds() / 86400
            task = bar.add_task("simulated days", total=total_days)

            def progress(now: dt.datetime) -> None:
                days = (now - start).total_seconds() / 86400
                bar.update(task, completed=days, description=f"simulated {now:%Y-%m-%d}")

            flow.run(horizon, progress)
            bar.update(task, completed=total_days)
        flow_s = time.perf_counter() - t0
        flow.counts.decided = Counter(p.decided_by for p in plans if p.return_id and p.decided_by)
        with db.transaction() as session:
            f = figures(session, orders, plans)
            rep = analytics.report(session, since=start, until=end)
    elapsed = time.perf_counter() - started
    report(console, f, flow.counts, len(orders), rep)
    steps = f.requests + sum(1 for p in plans if p.label_cents) * 3
    console.print(
        f"market built in {built:.0f} s; flow {flow_s:.0f} s ({flow_s * 1000 / max(1, steps):.1f} ms a step, "
        f"~{steps:,} steps); run {elapsed:.0f} s"
    )
    t = f.total
    line = {
        "bench": "returns",
        "return_rate": round(t.rate, 4),
        "net_loss_cents": t.net_loss,
        "net_loss_no_disposition_cents": t.baseline,
        "recovery_ratio": round(t.recovery_cents / max(1, t.refund_cents), 4),
        "ratio": round(t.net_loss / max(1, t.baseline), 4),
        "orders": len(orders),
        "units_sold": t.sold_units,
        "units_returned": t.returned_units,
        "requests": f.requests,
        "refund_cents": t.refund_cents,
        "label_cents": t.label_cents,
        "recovery_cents": t.recovery_cents,
        "returnless": f.returnless,
        "returnless_labels_saved_cents": t.baseline_label_cents,
        "returnless_recovery_forgone_cents": f.forgone_cents,
        "flagged": f.flagged,
        "receive_rejected": f.receive_rejected,
        "lost_returns": flow.counts.lost,
        "sold_cents": t.sold_cents,
        "net_loss_share_of_sales": round(t.net_loss / max(1, t.sold_cents), 4),
        "analytics_net_loss_cents": rep.net_loss_cents,
        "analytics_unit_rate": round(rep.total.unit_rate or 0.0, 4),
    }
    print(json.dumps(line))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
