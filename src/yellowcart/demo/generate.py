"""The demo market: a realistic, deterministic marketplace built from one seed.

Same seed, scale and ``as_of`` -> the same rows, byte for byte (each build step draws from its own
``random.Random`` seeded from the seed; times are laid out relative to a fixed reference instant,
never the wall clock). Only the four demo logins' password hashes differ between runs, because
scrypt salts are random by design.

Besides the shop (sellers, listings, stock, ninety days of orders) it builds the feed's side: creators,
their and the sellers' shoppable videos and live rooms (:mod:`.content`), and thirty days of interaction
events drawn from a latent-interest model, with a purchase event for every paid order
(:mod:`.interactions`); those ~300,000 rows go through the driver directly (:mod:`.bulk`).

This is a seeding tool, not a use case: it writes every domain's tables directly with bulk inserts
and ids it assigns itself, which is what makes 100,000+ rows take seconds instead of minutes. It
keeps the invariants the services keep (prices and totals that add up, legal order histories,
``0 <= reserved <= on_hand`` with ``reserved`` equal to the active reservations). On PostgreSQL the
id sequences are moved past the inserted ids afterwards; SQLite's integer primary keys continue from
the largest id on their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from sqlalchemy import func, insert, inspect, select, text
from sqlalchemy.orm import Session

from yellowcart import models
from yellowcart.auth.models import User
from yellowcart.catalog.models import Category, Product, Variant
from yellowcart.checkout import tax
from yellowcart.checkout.models import Payment
from yellowcart.checkout.pricing import ShippingPolicy
from yellowcart.content.models import Anchor, Content
from yellowcart.db import Database
from yellowcart.demo.affiliates import add_affiliates
from yellowcart.demo.bulk import fast_insert
from yellowcart.demo.catalog import Catalog, build_catalog, build_sellers, seller_rows
from yellowcart.demo.content import ContentPlan, anchorable_listings, build_content
from yellowcart.demo.creators import Creators, build_creators
from yellowcart.demo.custody import add_custody
from yellowcart.demo.interactions import EventPlan, build_events
from yellowcart.demo.leaves import LEAVES
from yellowcart.demo.onboarding import add_onboarding
from yellowcart.demo.orders import OrderRows, OrderSimulator
from yellowcart.demo.people import DEMO_LOGINS, People, build_people
from yellowcart.demo.places import zip_picker
from yellowcart.demo.plan import REFERENCE_DATE, Row, StockPlan, rng_for
from yellowcart.demo.promotions import add_promotions
from yellowcart.demo.stock import build_stock, build_warehouses
from yellowcart.demo.taxonomy import CategoryRow, build_categories
from yellowcart.errors import Conflict
from yellowcart.interactions.models import InteractionEvent
from yellowcart.inventory.models import Reservation, Stock, Warehouse
from yellowcart.ledger.backfill import backfill_with_progress
from yellowcart.orders.models import Order, OrderHistory, OrderLine
from yellowcart.sellers.models import Seller

#: Scale 1.0; every count is multiplied by ``scale`` and never drops below MINIMUM.
BASE = {"sellers": 60, "products": 5400, "shoppers": 10500, "checkouts": 2600, "videos": 6000, "lives": 40,
        "events": 300_000}  # fmt: skip
MINIMUM = {"sellers": 3, "products": 30, "shoppers": 40, "checkouts": 20, "videos": 30, "lives": 3, "events": 2000}
SHOPPERS_PER_CREATOR = 40
#: Written with Core inserts: every row names every column, so None means NULL (no ORM defaults wanted).
CORE_INSERTS = frozenset({Content, Anchor, InteractionEvent})
#: Tables in foreign-key order: the order they are written in.
WRITTEN = (Seller, User, Category, Product, Variant, Warehouse, Stock, Payment, Order, OrderLine, OrderHistory,
           Reservation, Content, Anchor, InteractionEvent)  # fmt: skip
SHIPPING = ShippingPolicy(flat_fee_cents=599, free_threshold_cents=3500)  # the Settings defaults
CHUNK = 5000
_BUILD_STEPS = 8


class MarketNotEmpty(Conflict):
    code, title = "market_not_empty", "The database already holds a market"


@dataclass(frozen=True)
class DemoSummary:
    """Counts of what was created, and the demo logins (role -> "email / password")."""

    sellers: int
    products: int
    variants: int
    categories: int
    shoppers: int
    warehouses: int
    orders: int
    creators: int
    content: int  # videos and live rooms, every status
    events: int  # interaction events, purchases included
    logins: dict[str, str]


@dataclass(frozen=True, slots=True)
class Market:
    categories: list[CategoryRow]
    catalog: Catalog
    people: People
    warehouses: list[Row]
    stock: StockPlan
    orders: OrderRows
    creators: Creators
    content: ContentPlan
    events: EventPlan


def generate_market(
    db: Database,
    *,
    seed: int = 42,
    scale: float = 1.0,
    progress: bool = True,
    reset: bool = False,
    as_of: dt.datetime | None = None,
) -> DemoSummary:
    """Build the market in memory, then write it in one transaction (all or nothing).

    Refuses (``MarketNotEmpty``) when the market tables already hold rows, unless ``reset`` is set,
    in which case every table's rows are deleted first, in the same transaction.
    """
    if not 0 < scale <= 100:
        raise ValueError("scale must be in (0, 100]")
    reference = as_of or REFERENCE_DATE
    if reference.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    with _progress(progress, _BUILD_STEPS + len(WRITTEN) + 2) as step:
        step("checking the database")
        if not reset:
            with db.transaction() as session:
                _refuse_if_filled(session)
        market = build_market(seed, scale, reference, step)
        with db.transaction() as session:
            _prepare(session, reset)
            _write(session, market, reference, step)
            step("finishing")
            if db.dialect == "postgresql":
                _advance_sequences(session)
        add_custody(db, reference)  # supply offers, a received consignment, a purchase order (demo/custody.py)
        add_onboarding(db, market.catalog.sellers, market.warehouses, seed=seed, reference=reference)  # applications
        add_promotions(db, seed=seed, reference=reference)  # promotions, past orders' discounts (demo/promotions.py)
        add_affiliates(db, seed=seed, reference=reference)  # programme, rates, showcases, attribution
    backfill_with_progress(db, progress=progress)  # the ledger for the orders written above (ledger/backfill.py)
    return _summary(market)


def build_market(seed: int, scale: float, reference: dt.datetime, step: Callable[[str], None]) -> Market:
    """The whole market as rows, without touching a database."""
    counts = {key: max(MINIMUM[key], round(BASE[key] * scale)) for key in BASE}
    step("categories and sellers")
    categories, leaf_ids = build_categories(LEAVES)
    sellers = build_sellers(rng_for(seed, "sellers"), counts["sellers"], reference)
    step("products and variants")
    catalog = build_catalog(rng_for(seed, "catalog"), sellers, counts["products"], leaf_ids, reference)
    step("shoppers")
    zips = zip_picker()
    people = build_people(rng_for(seed, "people"), sellers, counts["shoppers"], zips, reference)
    step("warehouses and stock")
    warehouses = build_warehouses(
        rng_for(seed, "warehouses"),
        sellers,
        catalog.variant_plans,
        zips,
        reference,
        network=rng_for(seed, "network"),
        scale=scale,
    )
    stock = build_stock(rng_for(seed, "stock"), sellers, catalog.variant_plans)
    step("order history")
    simulator = OrderSimulator(
        rng_for(seed, "orders"),
        variants=catalog.variant_plans,
        sellers=sellers,
        shoppers=people.shoppers,
        stock=stock,
        tax_rates=_tax_rates(),
        policy=SHIPPING,
        reference=reference,
    )
    orders = simulator.run(counts["checkouts"])
    step("creators")
    taken = {row["email"] for row in people.rows}
    creator_count = max(3, round(counts["shoppers"] / SHOPPERS_PER_CREATOR))
    creators = build_creators(rng_for(seed, "creators"), creator_count, len(people.rows) + 1, taken, reference)
    step("videos and live rooms")
    listings = anchorable_listings(rng_for(seed, "listings"), catalog.products, sellers, leaf_ids)
    content = build_content(
        rng_for(seed, "content"),
        videos=counts["videos"],
        lives=counts["lives"],
        creators=creators.plans,
        sellers=sellers,
        listings=listings,
        reference=reference,
    )
    step("interactions")
    events = build_events(
        rng_for(seed, "interactions"),
        shoppers=people.shoppers,
        videos=content.videos,
        listings=content.listings,
        purchases=_purchases(orders, catalog),
        target=counts["events"],
        reference=reference,
    )
    return Market(categories, catalog, people, warehouses, stock, orders, creators, content, events)


def _purchases(orders: OrderRows, catalog: Catalog) -> list[tuple[int, int, int, dt.datetime]]:
    """(shopper, order, product, paid_at) for each product of each paid order, as ``on_order_paid`` records them."""
    product_of = {v.id: v.product_id for v in catalog.variant_plans}
    products: dict[int, set[int]] = {}
    for line in orders.lines:
        products.setdefault(line["order_id"], set()).add(product_of[line["variant_id"]])
    return [
        (o["shopper_id"], o["id"], pid, o["paid_at"])
        for o in orders.orders
        if o["paid_at"] is not None
        for pid in sorted(products[o["id"]])
    ]


def _tax_rates() -> dict[str, Decimal]:
    return {row.state: Decimal(row.rate) for row in tax.bundled_rates()}


# ---- database --------------------------------------------------------------------------------------


def _missing_tables(session: Session) -> list[str]:
    present = set(inspect(session.connection()).get_table_names())
    return [m.__tablename__ for m in WRITTEN if m.__tablename__ not in present]


def _refuse_if_filled(session: Session) -> None:
    missing = _missing_tables(session)
    if missing:
        raise RuntimeError(f"tables missing ({', '.join(missing)}): run `yellowcart migrate` first")
    filled = {}
    for model in WRITTEN:
        count = session.scalar(select(func.count()).select_from(model))
        if count:
            filled[model.__tablename__] = count
    if filled:
        listing = ", ".join(f"{name}: {n}" for name, n in filled.items())
        raise MarketNotEmpty(
            f"The database already has market data ({listing}); pass reset=True (--reset) to replace it.",
            tables=filled,
        )


def _prepare(session: Session, reset: bool) -> None:
    """Wipe every table in foreign-key-safe order (children first), or check again that all are empty."""
    if not reset:
        _refuse_if_filled(session)  # a concurrent writer may have filled them since the first check
        return
    present = set(inspect(session.connection()).get_table_names())
    for table in reversed(models.Base.metadata.sorted_tables):
        if table.name in present and table.name != models.audit_models.APPEND_ONLY_TABLE:  # the audit log stays
            session.execute(table.delete())
    missing = _missing_tables(session)
    if missing:
        raise RuntimeError(f"tables missing ({', '.join(missing)}): run `yellowcart migrate` first")


def _write(session: Session, market: Market, reference: dt.datetime, step: Callable[[str], None]) -> None:
    tax.seed_rates(session)
    orders = market.orders
    batches: list[tuple[type[Any], list[Row]]] = [
        (Seller, seller_rows(market.catalog.sellers)),
        (User, market.people.rows + market.creators.rows),
        (Category, [c.as_row() for c in market.categories]),
        (Product, market.catalog.products),
        (Variant, market.catalog.variants),
        (Warehouse, market.warehouses),
        (Stock, market.stock.rows(reference)),
        (Payment, orders.payments),
        (Order, orders.orders),
        (OrderLine, orders.lines),
        (OrderHistory, orders.history),
        (Reservation, orders.reservations),
        (Content, market.content.rows),
        (Anchor, market.content.anchors),
        (InteractionEvent, market.events.rows),
    ]
    for model, rows in batches:
        step(f"writing {model.__tablename__} ({len(rows):,})")
        # Rows whose NULLs fall in different columns would split an ORM bulk insert into one statement per
        # run of equal shapes (events alternate shapes constantly): a Core insert binds None as NULL instead.
        if model is InteractionEvent and fast_insert(session, model.__table__, rows):
            continue
        statement = insert(model.__table__) if model in CORE_INSERTS else insert(model)
        for start in range(0, len(rows), CHUNK):
            session.execute(statement, rows[start : start + CHUNK])


def _advance_sequences(session: Session) -> None:
    """Explicit ids leave PostgreSQL sequences at 1: move each past the largest id so the app's inserts fit."""
    for model in WRITTEN:
        name = model.__tablename__  # a constant from our own models, never user input
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
            )
        )


def _summary(market: Market) -> DemoSummary:
    return DemoSummary(
        sellers=len(market.catalog.sellers),
        products=len(market.catalog.products),
        variants=len(market.catalog.variants),
        categories=len(market.categories),
        shoppers=len(market.people.shoppers),
        warehouses=len(market.warehouses),
        orders=len(market.orders.orders),
        creators=len(market.creators.plans),
        content=len(market.content.rows),
        events=len(market.events.rows),
        logins={role: f"{email} / {password}" for role, (email, password, _) in DEMO_LOGINS.items()},
    )


# ---- progress --------------------------------------------------------------------------------------


@contextmanager
def _progress(enabled: bool, total: int) -> Iterator[Callable[[str], None]]:
    """One bar over the phases; a no-op step function when progress is off."""
    if not enabled:
        yield lambda _label: None
        return
    columns = (TextColumn("{task.description:<36}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task("demo market", total=total)
        started = [False]

        def step(label: str) -> None:
            if started[0]:
                bar.advance(task)
            started[0] = True
            bar.update(task, description=label)

        yield step
        bar.update(task, completed=total, description="demo market ready")
