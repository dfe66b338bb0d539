"""Warehouses and stock: platform 3PL sites hold full-custody and platform-owned units, each
seller-fulfilled seller ships from its own US warehouse(s); redirect listings hold no stock here."""

from __future__ import annotations

import datetime as dt
import random

from yellowcart.catalog.modes import SellingMode
from yellowcart.demo.names import INDUSTRIAL_STREETS, INDUSTRIAL_SUFFIXES
from yellowcart.demo.places import PLATFORM_WAREHOUSES, ZipPicker
from yellowcart.demo.plan import Row, SellerPlan, StockPlan, VariantPlan
from yellowcart.geo import lookup_zip
from yellowcart.inventory.models import WarehouseOperator

PLATFORM_MODES = frozenset({SellingMode.FULL_CUSTODY, SellingMode.PLATFORM_OWNED})
MAX_ON_HAND = 500
#: Seller warehouses: local cut-offs (minutes), handling business days, services (weights per choice).
SELLER_CUTOFFS = (12 * 60, 13 * 60, 14 * 60, 15 * 60)
SELLER_HANDLING = ((1, 2), (65, 35))
SELLER_SERVICES = ((("ground",), ("ground", "two_day")), (45, 55))
#: A seller ships this many orders a day at most at scale 1.0 (None: no stated limit), like a small team.
SELLER_CAPACITY = ((None, 40, 60, 100), (40, 20, 25, 15))


def scaled_capacity(orders_at_scale_1: int, scale: float) -> int:
    """Capacity grows with the market so that busy days load the network alike at any scale."""
    return max(2, round(orders_at_scale_1 * scale))


def _geo_columns(zip_code: str) -> Row:
    """Timezone and position from the ZIP, as fulfilment derives them when a warehouse opens."""
    info = lookup_zip(zip_code)
    if info is None:
        return {"timezone": None, "latitude": None, "longitude": None}
    return {"timezone": info.timezone or None, "latitude": info.lat, "longitude": info.lon}


def _seller_network(rng: random.Random, scale: float) -> Row:
    """A seller's own warehouse: 1-2 handling days, ground (and often two-day), a small team's capacity."""
    capacity = rng.choices(*SELLER_CAPACITY)[0]
    return {
        "cutoff_minutes": rng.choice(SELLER_CUTOFFS),
        "handling_days": rng.choices(*SELLER_HANDLING)[0],
        "daily_capacity": None if capacity is None else scaled_capacity(capacity, scale),
        "services": list(rng.choices(*SELLER_SERVICES)[0]),
    }


def build_warehouses(
    rng: random.Random,
    sellers: list[SellerPlan],
    variants: list[VariantPlan],
    zips: ZipPicker,
    reference: dt.datetime,
    *,
    network: random.Random | None = None,
    scale: float = 1.0,
) -> list[Row]:
    """Platform sites first (ids 1..7), then one or two per seller that ships its own orders. Network
    settings (cut-off, handling, capacity, services) come from ``network`` so that adding them never
    moved the sites' ZIPs, which ``rng`` draws."""
    network = network or random.Random(0)
    rows: list[Row] = [
        {
            "id": i, "code": w.code, "name": w.name, "operator": WarehouseOperator.PLATFORM, "seller_id": None,
            "line1": w.line1, "city": w.city, "state": w.state, "zip": w.zip, "is_active": True,
            "created_at": reference - dt.timedelta(days=800), **_geo_columns(w.zip),
            "cutoff_minutes": w.cutoff_minutes, "handling_days": w.handling_days,
            "daily_capacity": scaled_capacity(w.capacity_at_scale_1, scale), "services": list(w.services),
        }
        for i, w in enumerate(PLATFORM_WAREHOUSES, start=1)
    ]  # fmt: skip
    listings: dict[int, int] = {}
    for v in variants:
        if v.mode is SellingMode.SELLER_FULFILLED:
            listings[v.seller_id] = listings.get(v.seller_id, 0) + 1
    average = sum(listings.values()) / max(1, len(listings))
    for seller in sellers:
        if seller.id not in listings:
            continue
        sites = 2 if listings[seller.id] > 1.5 * average and rng.random() < 0.5 else 1
        for n in range(1, sites + 1):
            place = zips.pick(rng)
            seller.warehouse_ids.append(len(rows) + 1)
            rows.append({
                "id": len(rows) + 1, "code": f"S{seller.id:03d}-WH{n}", "name": f"{seller.name} - {place.city}",
                "operator": WarehouseOperator.SELLER, "seller_id": seller.id,
                "line1": f"{rng.randint(100, 9900)} {rng.choice(INDUSTRIAL_STREETS)} {rng.choice(INDUSTRIAL_SUFFIXES)}",
                "city": place.city, "state": place.state, "zip": place.zip, "is_active": True,
                "created_at": seller.created_at, **_geo_columns(place.zip), **_seller_network(network, scale),
            })  # fmt: skip
    return rows


def build_stock(rng: random.Random, sellers: list[SellerPlan], variants: list[VariantPlan]) -> StockPlan:
    """Stock rows per variant; fills ``VariantPlan.stock_rows`` for the order simulation."""
    platform_ids = list(range(1, len(PLATFORM_WAREHOUSES) + 1))
    own = {s.id: s.warehouse_ids for s in sellers}
    stock = StockPlan()
    for v in variants:
        if v.mode in PLATFORM_MODES:
            sites = rng.sample(platform_ids, rng.choices((1, 2, 3), (45, 35, 20))[0])
            mu, out_of_stock = 3.7, 0.07
        elif v.mode is SellingMode.SELLER_FULFILLED:
            sites = own[v.seller_id] if rng.random() < 0.6 else [rng.choice(own[v.seller_id])]
            mu, out_of_stock = 3.0, 0.09
        else:
            continue  # redirect: the seller's own store holds the stock
        for warehouse_id in sorted(sites):
            qty = 0 if rng.random() < out_of_stock else min(MAX_ON_HAND, int(rng.lognormvariate(mu, 1.0)))
            v.stock_rows.append(stock.add(v.id, warehouse_id, qty))
    return stock
