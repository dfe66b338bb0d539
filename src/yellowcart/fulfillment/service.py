"""Delivery promise use cases: load the network (warehouses holding the SKU, their booked capacity, the
lanes' observed deliveries) and hand plain data to the calculator in ``promise.py``. Also the
calibration and capacity writes. Services never commit: the caller owns the transaction."""

from __future__ import annotations

import datetime as dt
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yellowcart.catalog.models import Product, ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import id_in
from yellowcart.errors import DomainError, NotFound
from yellowcart.fulfillment import calendar
from yellowcart.fulfillment.geo import (
    Place,
    PoBoxNotDeliverable,
    ZipKind,
    destination,
    haversine_miles,
    place_of,
    zip3_place,
)
from yellowcart.fulfillment.models import CapacityUsage, TransitObservation
from yellowcart.fulfillment.promise import CartLine, CartPromise, Node, Promise, Stocked, best_promise, cart_promise
from yellowcart.fulfillment.transit import SERVICES, Lane, Pools, TransitModel, zone
from yellowcart.inventory.models import Stock, Warehouse
from yellowcart.sellers.models import Seller, SellerStatus

FALLBACK_TZ = "America/New_York"
#: Booked capacity is read for this many days from today (covers the calculator's lookahead).
CAPACITY_WINDOW_DAYS = 21
#: Pooled observations are re-read when a delivery is recorded in this process, when the newest
#: observation id changes (another process recorded one, or a transaction rolled back), or at the latest
#: after this many seconds (deletions, commits out of id order).
POOLS_MAX_AGE_SECONDS = 300.0


class Reason:
    """Why a quote has no promise (an API field, so stable strings)."""

    REDIRECT = "redirect_listing"  # the seller's own store ships it
    OUT_OF_STOCK = "out_of_stock"  # no active warehouse holds the quantity
    NO_SERVICE = "no_service"  # stock exists, but no offered service reaches the ZIP (or capacity is out)


@dataclass(frozen=True, slots=True)
class Quote:
    promise: Promise | None
    reason: str | None
    destination: Place


def warehouse_node(warehouse: Warehouse, booked: Mapping[dt.date, int] | None = None) -> Node:
    """The calculator's view of a warehouse; position and zone come from its ZIP when not stored."""
    place = place_of(warehouse.zip)
    lat = warehouse.latitude if warehouse.latitude is not None else (place.lat if place else 0.0)
    lon = warehouse.longitude if warehouse.longitude is not None else (place.lon if place else 0.0)
    return Node(
        warehouse_id=warehouse.id,
        code=warehouse.code,
        zip=warehouse.zip,
        state=warehouse.state,
        lat=lat,
        lon=lon,
        timezone=warehouse.timezone or (place.timezone if place and place.timezone else FALLBACK_TZ),
        cutoff_minutes=warehouse.cutoff_minutes,
        handling_days=warehouse.handling_days,
        daily_capacity=warehouse.daily_capacity,
        services=tuple(warehouse.services or ()),
        booked=dict(booked or {}),
    )


def _booked(session: Session, warehouse_ids: Iterable[int], today: dt.date) -> dict[int, dict[dt.date, int]]:
    rows = session.execute(
        select(CapacityUsage.warehouse_id, CapacityUsage.day, CapacityUsage.booked).where(
            id_in(session, CapacityUsage.warehouse_id, warehouse_ids),
            CapacityUsage.day >= today - dt.timedelta(days=1),
            CapacityUsage.day <= today + dt.timedelta(days=CAPACITY_WINDOW_DAYS),
        )
    )
    out: dict[int, dict[dt.date, int]] = defaultdict(dict)
    for warehouse_id, day, booked in rows:
        out[warehouse_id][day] = booked
    return out


def booked_capacity(session: Session, warehouse_ids: Iterable[int], today: dt.date) -> dict[int, dict[dt.date, int]]:
    """Orders booked per warehouse per pick day, from yesterday to the calculator's lookahead."""
    return _booked(session, warehouse_ids, today)


def load_stocked(session: Session, variant_ids: Sequence[int], now: dt.datetime) -> dict[int, list[Stocked]]:
    """Per variant: the active warehouses holding it and the units available there."""
    rows = session.execute(
        select(Stock.variant_id, Stock.on_hand - Stock.reserved, Warehouse)
        .join(Warehouse, Warehouse.id == Stock.warehouse_id)
        .where(id_in(session, Stock.variant_id, variant_ids), Warehouse.is_active.is_(True))
        .order_by(Warehouse.id)
    ).all()
    booked = _booked(session, {w.id for _, _, w in rows}, now.astimezone(dt.UTC).date())
    out: dict[int, list[Stocked]] = {v: [] for v in variant_ids}
    for variant_id, available, warehouse in rows:
        out[variant_id].append(Stocked(warehouse_node(warehouse, booked.get(warehouse.id)), max(int(available), 0)))
    return out


@dataclass(frozen=True, slots=True)
class _CachedPools:
    newest: int | None
    loaded_at: float
    pools: Pools


_pools: weakref.WeakKeyDictionary[Engine, _CachedPools] = weakref.WeakKeyDictionary()
_pools_lock = threading.Lock()


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind


def invalidate_pools(session: Session) -> None:
    with _pools_lock:
        _pools.pop(_engine(session), None)


def pool_rows(session: Session) -> list[tuple[str, int, int, int]]:
    """Every observation as ``(service, zone, business days, count)``; the zone of a lane from its ZIP3s'
    centroids (observations keep only ZIP3s: an approximation of the parcels' own zones)."""
    rows = session.execute(
        select(
            TransitObservation.origin_zip3,
            TransitObservation.dest_zip3,
            TransitObservation.service,
            TransitObservation.business_days,
            func.count(),
        ).group_by(
            TransitObservation.origin_zip3,
            TransitObservation.dest_zip3,
            TransitObservation.service,
            TransitObservation.business_days,
        )
    )
    out = []
    for origin3, dest3, service, days, count in rows:
        origin, dest = zip3_place(origin3), zip3_place(dest3)
        if origin is None or dest is None:
            continue
        miles = float(haversine_miles(origin.lat, origin.lon, dest.lat, dest.lon))
        out.append((str(service), zone(miles, origin.state, dest.state), int(days), int(count)))
    return out


def load_pools(session: Session) -> Pools:
    """The observations pooled per service and per (service, zone), cached per engine (one cheap
    ``max(id)`` query checks the cache)."""
    engine = _engine(session)
    newest = session.scalar(select(func.max(TransitObservation.id)))
    with _pools_lock:
        cached = _pools.get(engine)
    if cached is not None and cached.newest == newest and time.monotonic() - cached.loaded_at < POOLS_MAX_AGE_SECONDS:
        return cached.pools
    pools = Pools.build(pool_rows(session)) if newest is not None else Pools()
    with _pools_lock:
        _pools[engine] = _CachedPools(newest, time.monotonic(), pools)
    return pools


def load_transit(session: Session, origin_zips: Iterable[str], dest: Place, *, pooled: bool = True) -> TransitModel:
    """The observed deliveries of the lanes from these origins to the destination's ZIP3 and (unless
    ``pooled`` is false: lane-only calibration) the pools above the lanes."""
    origins = sorted({z[:3] for z in origin_zips})
    pools = load_pools(session) if pooled else None
    if not origins:
        return TransitModel(pools=pools)
    rows = session.execute(
        select(
            TransitObservation.origin_zip3,
            TransitObservation.service,
            TransitObservation.business_days,
            func.count(),
        )
        .where(TransitObservation.dest_zip3 == dest.zip3, TransitObservation.origin_zip3.in_(origins))
        .group_by(TransitObservation.origin_zip3, TransitObservation.service, TransitObservation.business_days)
    )
    observations: dict[Lane, dict[int, int]] = defaultdict(dict)
    for origin3, service, days, count in rows:
        observations[Lane(origin3, dest.zip3, service)][int(days)] = int(count)
    return TransitModel(observations, pools)


def _sellable_variant(session: Session, sku: str) -> tuple[Variant, Product]:
    row = session.execute(
        select(Variant, Product, Seller)
        .join(Product, Product.id == Variant.product_id)
        .join(Seller, Seller.id == Product.seller_id)
        .where(Variant.sku == sku)
    ).one_or_none()
    if row is None:
        raise NotFound(f"SKU {sku!r} does not exist.", field="sku")
    variant, product, seller = row
    if not (variant.is_active and product.status is ProductStatus.ACTIVE and seller.status is SellerStatus.ACTIVE):
        raise NotFound(f"SKU {sku!r} does not exist.", field="sku")
    return variant, product


def _serves_po_boxes(stocked: Sequence[Stocked]) -> bool:
    return any(name in SERVICES and SERVICES[name].delivers_po_box for s in stocked for name in s.node.services)


def _quote(
    session: Session, stocked: Sequence[Stocked], qty: int, dest: Place, now: dt.datetime
) -> tuple[Promise | None, str | None]:
    holding = [s for s in stocked if s.available >= qty]
    if not holding:
        return None, Reason.OUT_OF_STOCK
    transit = load_transit(session, (s.node.zip for s in holding), dest)
    promise = best_promise(holding, qty, dest, now, transit)
    if promise is None and dest.kind is ZipKind.PO_BOX and not _serves_po_boxes(holding):
        raise PoBoxNotDeliverable(
            f"ZIP {dest.zip} is a PO box ZIP and no service offered for this item delivers to PO boxes.", field="zip"
        )
    return promise, None if promise else Reason.NO_SERVICE


def quote(session: Session, *, sku: str, qty: int, ship_to_zip: str, now: dt.datetime) -> Quote:
    """The fastest promise for ``qty`` of a SKU to a ZIP, with the reason when there is none."""
    dest = destination(ship_to_zip)
    variant, product = _sellable_variant(session, sku)
    if product.selling_mode is SellingMode.REDIRECT:
        return Quote(None, Reason.REDIRECT, dest)
    stocked = load_stocked(session, [variant.id], now)[variant.id]
    promise, reason = _quote(session, stocked, qty, dest, now)
    return Quote(promise, reason, dest)


def delivery_promise(session: Session, *, sku: str, qty: int, ship_to_zip: str, now: dt.datetime) -> Promise | None:
    """The fastest promise the network can keep, or None (redirect listing, no stock, no service)."""
    return quote(session, sku=sku, qty=qty, ship_to_zip=ship_to_zip, now=now).promise


def product_promise(
    session: Session, *, product: Product, ship_to_zip: str, now: dt.datetime
) -> tuple[Promise | None, str | None]:
    """The fastest one-unit promise over a product's active variants (the product page)."""
    dest = destination(ship_to_zip)
    if product.selling_mode is SellingMode.REDIRECT:
        return None, Reason.REDIRECT
    variant_ids = [v.id for v in product.variants if v.is_active]
    stocked = load_stocked(session, variant_ids, now) if variant_ids else {}
    options = [_quote(session, rows, 1, dest, now) for rows in stocked.values()]
    promises = [p for p, _ in options if p is not None]
    if promises:
        return min(promises, key=lambda p: (p.delivery_date, p.miles)), None
    reasons = {r for _, r in options}
    return None, Reason.NO_SERVICE if Reason.NO_SERVICE in reasons else Reason.OUT_OF_STOCK


def cart_delivery_promise(
    session: Session, *, lines: Sequence[tuple[str, int]], ship_to_zip: str, now: dt.datetime
) -> CartPromise | None:
    """The promise for a cart of (sku, qty) lines: one shipment when one warehouse can fill it all,
    else per line; None when any line cannot be promised (a redirect listing, no stock, no service)."""
    dest = destination(ship_to_zip)
    resolved = [(_sellable_variant(session, sku), sku, qty) for sku, qty in lines]
    if any(product.selling_mode is SellingMode.REDIRECT for (_, product), _, _ in resolved):
        return None
    stocked = load_stocked(session, [variant.id for (variant, _), _, _ in resolved], now)
    cart = [CartLine(sku, qty, stocked[variant.id]) for (variant, _), sku, qty in resolved]
    transit = load_transit(session, (s.node.zip for line in cart for s in line.stocked), dest)
    return cart_promise(cart, dest, now, transit)


def promise_or_none(
    session: Session, *, lines: Sequence[tuple[str, int]], ship_to_zip: str, now: dt.datetime
) -> CartPromise | None:
    """The cart promise, or None when the ZIP cannot be promised to (military, PO box for these
    services...): checkout still sells; it just promises nothing."""
    try:
        return cart_delivery_promise(session, lines=lines, ship_to_zip=ship_to_zip, now=now)
    except DomainError:
        return None


def promise_columns(promise: CartPromise | None) -> dict[str, object]:
    """The order columns that store the promise made at checkout (a split has no single warehouse)."""
    if promise is None:
        return {
            "promised_delivery_date": None,
            "promise_level": None,
            "promise_service": None,
            "promise_warehouse_id": None,
        }
    slowest = max(promise.lines.values(), key=lambda p: p.delivery_date)
    return {
        "promised_delivery_date": promise.delivery_date,
        "promise_level": promise.level.value,
        "promise_service": slowest.service,
        "promise_warehouse_id": slowest.warehouse_id if promise.single_shipment else None,
    }


# ---- calibration and capacity --------------------------------------------------------------------


def record_delivery(
    session: Session,
    *,
    origin_zip: str,
    dest_zip: str,
    service: str,
    shipped_at: dt.datetime,
    delivered_at: dt.datetime,
) -> TransitObservation:
    """A delivered parcel (from tracking events) becomes one observation of its lane: business days
    from the hand-over (origin's local date) to delivery (destination's local date)."""
    origin, dest = place_of(origin_zip), place_of(dest_zip)
    shipped_on = shipped_at.astimezone(ZoneInfo(origin.timezone if origin and origin.timezone else FALLBACK_TZ))
    delivered_on = delivered_at.astimezone(ZoneInfo(dest.timezone if dest and dest.timezone else FALLBACK_TZ))
    observation = TransitObservation(
        origin_zip3=origin_zip[:3],
        dest_zip3=dest_zip[:3],
        service=service,
        business_days=calendar.business_days_between(shipped_on.date(), delivered_on.date()),
        shipped_at=shipped_at,
        delivered_at=delivered_at,
    )
    session.add(observation)
    session.flush()
    invalidate_pools(session)
    return observation


def book_capacity(session: Session, *, warehouse_id: int, day: dt.date, orders: int = 1) -> int:
    """Book ``orders`` on a warehouse's pick day (allocation calls this); returns the day's total.
    One UPDATE when the row exists; a first booking inserts it, and losing that race falls back to
    the UPDATE, so concurrent bookings never lose a count."""
    values = {"booked": CapacityUsage.booked + orders}
    where = (CapacityUsage.warehouse_id == warehouse_id, CapacityUsage.day == day)
    if session.execute(update(CapacityUsage).where(*where).values(**values)).rowcount == 0:  # type: ignore[attr-defined]
        try:
            with session.begin_nested():
                session.add(CapacityUsage(warehouse_id=warehouse_id, day=day, booked=orders))
                session.flush()
        except IntegrityError:
            session.execute(update(CapacityUsage).where(*where).values(**values))
    return int(session.scalar(select(CapacityUsage.booked).where(*where)) or 0)
