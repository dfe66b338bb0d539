"""What the feed may show, as numpy arrays held by every API process and refreshed in the background.

Why: a feed request scores hundreds of candidates; reading each candidate's seller, category, price and
stock from the database on every request was most of its cost. The catalogue snapshot (sellable
listings with their price and stock state), the content snapshot (which video or live room shows each
listing, what each creator tagged lately, which live rooms are on air) and the product statistics
(return and conversion rates) are each recomputed every few seconds by one background query per
process (``sources.Refreshing``), so a request only reads the shopper's own events and checks its final
picks against the database (stock and status exactly as of now: a snapshot may be seconds old, a page
never shows what cannot be bought).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from yellowcart.catalog.models import Product, ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.content.models import Anchor, Content, ContentKind, ContentStatus, LiveState
from yellowcart.db import id_in
from yellowcart.feed.sources import EVENT_PRODUCT, with_event_product
from yellowcart.interactions.models import EventType, InteractionEvent
from yellowcart.inventory.models import Stock, Warehouse
from yellowcart.sellers.models import Seller, SellerStatus

NEWEST = 60
PER_CATEGORY = 100
STATS_DAYS = 30


@dataclass(frozen=True)
class Catalogue:
    """Sellable listings (active, of an active seller, listed by ``at``), sorted by product id."""

    ids: np.ndarray  # int64, sorted
    seller: np.ndarray  # int64
    category: np.ndarray  # int64
    created: np.ndarray  # float64, POSIX seconds
    price: np.ndarray  # int64 cents: the cheapest active variant
    in_stock: np.ndarray  # bool: a unit available in an active warehouse, or a redirect listing
    by_category: dict[int, np.ndarray]  # positions, newest first (at most PER_CATEGORY)
    newest: np.ndarray  # positions of the newest NEWEST listings
    at: dt.datetime

    def __len__(self) -> int:
        return len(self.ids)

    def positions(self, product_ids: np.ndarray | list[int]) -> np.ndarray:
        """Position of each id in the snapshot, -1 where it is not sellable."""
        wanted = np.asarray(product_ids, dtype=np.int64)
        if not len(self.ids) or not len(wanted):
            return np.full(len(wanted), -1, dtype=np.int64)
        pos = np.searchsorted(self.ids, wanted)
        pos = np.minimum(pos, len(self.ids) - 1)
        return np.where(self.ids[pos] == wanted, pos, -1)


def catalogue_snapshot(session: Session, now: dt.datetime) -> Catalogue:
    """One pass over the sellable catalogue: listing, cheapest price and stock state per product."""
    price = (
        select(Variant.product_id.label("pid"), func.min(Variant.price_cents).label("price"))
        .where(Variant.is_active.is_(True))
        .group_by(Variant.product_id)
        .subquery()
    )
    stocked = (
        select(Variant.product_id.label("pid"))
        .join(Stock, Stock.variant_id == Variant.id)
        .join(Warehouse, Warehouse.id == Stock.warehouse_id)
        .where(Variant.is_active.is_(True), Warehouse.is_active.is_(True), Stock.on_hand > Stock.reserved)
        .group_by(Variant.product_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Product.id,
            Product.seller_id,
            Product.category_id,
            Product.created_at,
            func.coalesce(price.c.price, 0),
            case(
                (Product.selling_mode == SellingMode.REDIRECT, True),
                (stocked.c.pid.is_not(None), True),
                else_=False,
            ),
        )
        .join(Seller, Seller.id == Product.seller_id)
        .outerjoin(price, price.c.pid == Product.id)
        .outerjoin(stocked, stocked.c.pid == Product.id)
        .where(
            Product.status == ProductStatus.ACTIVE,
            Seller.status == SellerStatus.ACTIVE,
            Product.created_at <= now,
        )
        .order_by(Product.id)
    ).all()
    n = len(rows)
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
    seller = np.fromiter((r[1] for r in rows), dtype=np.int64, count=n)
    category = np.fromiter((r[2] for r in rows), dtype=np.int64, count=n)
    created = np.fromiter((r[3].timestamp() for r in rows), dtype=np.float64, count=n)
    prices = np.fromiter((r[4] for r in rows), dtype=np.int64, count=n)
    in_stock = np.fromiter((bool(r[5]) for r in rows), dtype=bool, count=n)
    order = np.lexsort((-ids, -created))  # newest first, ties by id
    by_category: dict[int, list[int]] = defaultdict(list)
    for pos in order:
        cat = int(category[pos])
        if len(by_category[cat]) < PER_CATEGORY:
            by_category[cat].append(int(pos))
    return Catalogue(
        ids,
        seller,
        category,
        created,
        prices,
        in_stock,
        {cat: np.asarray(p, dtype=np.int64) for cat, p in by_category.items()},
        order[:NEWEST].astype(np.int64),
        now,
    )


@dataclass(frozen=True, slots=True)
class Showing:
    """The content a card shows a listing through."""

    id: int
    kind: str
    title: str
    poster_ref: str | None
    duration_s: int | None
    owner_user_id: int


@dataclass(frozen=True)
class ContentSnapshot:
    """Published content as the feed needs it."""

    featured: dict[int, Showing]  # product id -> the latest published video or live room tagging it
    on_air: dict[int, Showing]  # product id -> the live room pinning it right now
    by_owner: dict[int, list[tuple[float, int]]]  # owner user id -> (published POSIX s, product id), newest first
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


def content_snapshot(session: Session, now: dt.datetime, days: int = 30) -> ContentSnapshot:
    """Content published in the last ``days`` (and every live room on air), newest first."""
    recent = and_(Content.published_at >= now - dt.timedelta(days=days), Content.published_at <= now)
    live_now = and_(Content.kind == ContentKind.LIVE, Content.live_state == LiveState.LIVE)
    rows = session.execute(
        select(
            Anchor.product_id,
            Content.id,
            Content.kind,
            Content.title,
            Content.poster_ref,
            Content.duration_s,
            Content.owner_user_id,
            Content.live_state,
            Content.pinned_product_id,
            Content.published_at,
        )
        .join(Content, Content.id == Anchor.content_id)
        .where(Content.status == ContentStatus.PUBLISHED, recent | live_now)
        .order_by(Content.published_at.desc(), Content.id.desc(), Anchor.position)
    )
    featured: dict[int, Showing] = {}
    on_air: dict[int, Showing] = {}
    by_owner: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for pid, cid, kind, title, poster, duration, owner, state, pinned, published in rows:
        shown = Showing(cid, str(kind), title, poster, duration, owner)
        if state == LiveState.LIVE and pinned == pid:
            on_air.setdefault(pid, shown)
        if kind != ContentKind.LIVE or state == LiveState.LIVE:  # a room that is not on air shows nothing
            featured.setdefault(pid, shown)
        if len(by_owner[owner]) < 200 and published is not None:
            by_owner[owner].append((published.timestamp(), pid))
    # A room on air shows its pinned listing even when the pin is not one of its anchors.
    pinned_rows = session.execute(
        select(
            Content.pinned_product_id,
            Content.id,
            Content.title,
            Content.poster_ref,
            Content.duration_s,
            Content.owner_user_id,
        ).where(live_now, Content.status == ContentStatus.PUBLISHED, Content.pinned_product_id.is_not(None))
    )
    for pinned_id, cid, title, poster, duration, owner in pinned_rows:
        shown = Showing(cid, ContentKind.LIVE.value, title, poster, duration, owner)
        on_air.setdefault(int(pinned_id or 0), shown)
    for pid, shown in on_air.items():
        featured[pid] = shown  # while a room is on air, the card opens the room
    return ContentSnapshot(featured, on_air, dict(by_owner), now)


@dataclass(frozen=True)
class ProductStats:
    """What the last ``STATS_DAYS`` say about listings, categories and sellers (shrunk rates)."""

    return_rate: dict[int, float]  # product -> returns / purchases
    seller_return_rate: dict[int, float]
    category_conversion: dict[int, float]  # category -> purchases / engaged shoppers' interactions
    prior_return_rate: float = 0.0
    prior_conversion: float = 0.0


def _shrunk(hits: float, trials: float, prior: float, strength: float = 20.0) -> float:
    return (hits + prior * strength) / (trials + strength)


def product_stats(session: Session, now: dt.datetime) -> ProductStats:
    """Purchases, returns and engagement per listing over the window, rolled up by category and seller."""
    kinds = [EventType.PURCHASE, EventType.RETURN, EventType.VIEW, EventType.CART_TAP, EventType.ADD_TO_CART]
    rows = session.execute(
        with_event_product(select(EVENT_PRODUCT, InteractionEvent.type, func.count()))
        .where(
            InteractionEvent.type.in_(kinds),
            InteractionEvent.occurred_at >= now - dt.timedelta(days=STATS_DAYS),
            InteractionEvent.occurred_at <= now,
        )
        .group_by(EVENT_PRODUCT, InteractionEvent.type)
    ).all()
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for pid, kind, n in rows:
        counts[int(pid)][str(EventType(kind))] += int(n)
    owners = {
        pid: (seller, cat)
        for pid, seller, cat in session.execute(
            select(Product.id, Product.seller_id, Product.category_id).where(id_in(session, Product.id, counts))
        )
    }
    bought = sum(c["purchase"] for c in counts.values())
    returned = sum(c["return"] for c in counts.values())
    engaged = sum(c["view"] + c["cart_tap"] + c["add_to_cart"] for c in counts.values())
    prior_return = returned / bought if bought else 0.0
    prior_conv = bought / engaged if engaged else 0.0
    seller_totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    cat_totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    return_rate = {}
    for pid, c in counts.items():
        if pid not in owners:
            continue
        seller, cat = owners[pid]
        seller_totals[seller][0] += c["return"]
        seller_totals[seller][1] += c["purchase"]
        cat_totals[cat][0] += c["purchase"]
        cat_totals[cat][1] += c["view"] + c["cart_tap"] + c["add_to_cart"]
        if c["purchase"] or c["return"]:
            return_rate[pid] = _shrunk(c["return"], c["purchase"], prior_return)
    return ProductStats(
        return_rate,
        {s: _shrunk(r, b, prior_return) for s, (r, b) in seller_totals.items()},
        {cat: _shrunk(b, e, prior_conv, strength=200.0) for cat, (b, e) in cat_totals.items()},
        prior_return,
        prior_conv,
    )
