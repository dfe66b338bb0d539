"""The demo market generator: deterministic, consistent with the database invariants, big enough.

Small markets (scale 0.05) check determinism and every invariant; one full-scale run checks the
issue's minimums. A PostgreSQL run (skipped without a server) checks that the id sequences were
moved past the generated ids.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from yellowcart import models
from yellowcart.auth.models import Role, User
from yellowcart.auth.service import verify_password
from yellowcart.catalog.models import Category, Product, ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.checkout.models import Payment, PaymentStatus, TaxRate
from yellowcart.content.models import Anchor, Content, ContentKind, ContentStatus, LiveState
from yellowcart.db import Database
from yellowcart.demo.generate import MarketNotEmpty, build_market, generate_market
from yellowcart.demo.plan import REFERENCE_DATE
from yellowcart.geo import lookup_zip
from yellowcart.interactions.models import EventType, InteractionEvent
from yellowcart.inventory.models import Reservation, ReservationStatus, Stock, Warehouse, WarehouseOperator
from yellowcart.orders.models import Order, OrderHistory, OrderLine
from yellowcart.orders.state import PRE_SHIPMENT, SHIPPED, OrderStatus, can_transition
from yellowcart.sellers.models import Seller, SellerStatus

SMALL = 0.05
PG_ADMIN_URL = os.environ.get("YC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def fresh_db(path: Path) -> Database:
    db = Database(f"sqlite:///{path}/d.db")
    models.Base.metadata.create_all(db.engine)
    return db


def generated(path: Path, *, seed: int, scale: float = SMALL) -> Database:
    db = fresh_db(path)
    generate_market(db, seed=seed, scale=scale, progress=False)
    return db


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = generated(tmp_path_factory.mktemp("small"), seed=7)
    yield db
    db.dispose()


def snapshot(db: Database) -> dict[str, list[Any]]:
    """Everything a seed decides, minus scrypt password hashes (random salts by design)."""
    queries = {
        "products": select(Product.id, Product.title, Product.selling_mode, Product.status, Product.redirect_url),
        "variants": select(Variant.id, Variant.sku, Variant.price_cents, Variant.compare_at_cents, Variant.options),
        "users": select(User.id, User.email, User.role, User.home_zip),
        "stock": select(Stock.id, Stock.variant_id, Stock.warehouse_id, Stock.on_hand, Stock.reserved),
        "orders": select(Order.id, Order.status, Order.total_cents, Order.tax_cents, Order.placed_at),
        "history": select(OrderHistory.id, OrderHistory.order_id, OrderHistory.to_status, OrderHistory.at),
        "payments": select(Payment.id, Payment.idempotency_key, Payment.status, Payment.amount_cents),
        "content": select(Content.id, Content.kind, Content.owner_user_id, Content.seller_id, Content.title,
                          Content.description, Content.hashtags, Content.duration_s, Content.status,
                          Content.live_state, Content.pinned_product_id, Content.scheduled_at, Content.published_at),
        "anchors": select(Anchor.id, Anchor.content_id, Anchor.product_id, Anchor.position),
        "events": select(InteractionEvent.id, InteractionEvent.user_id, InteractionEvent.client_event_id,
                         InteractionEvent.type, InteractionEvent.content_id, InteractionEvent.product_id,
                         InteractionEvent.target_user_id, InteractionEvent.watch_ms, InteractionEvent.completion,
                         InteractionEvent.occurred_at, InteractionEvent.received_at),
    }  # fmt: skip
    with db.transaction() as s:
        return {
            name: [tuple(row) for row in s.execute(q.order_by(q.selected_columns[0]))] for name, q in queries.items()
        }


# ---- determinism and scale -------------------------------------------------------------------------


def test_same_seed_builds_the_same_market(small: Database, tmp_path: Path) -> None:
    again = generated(tmp_path, seed=7)
    first, second = snapshot(small), snapshot(again)
    assert first["products"] and first["orders"] and first["content"] and first["anchors"] and first["events"]
    assert first == second


def test_another_seed_builds_another_market(small: Database, tmp_path: Path) -> None:
    other = snapshot(generated(tmp_path, seed=8))
    mine = snapshot(small)
    assert [p[1] for p in other["products"]] != [p[1] for p in mine["products"]]
    assert [o[2] for o in other["orders"]] != [o[2] for o in mine["orders"]]
    assert [c[4] for c in other["content"]] != [c[4] for c in mine["content"]]
    assert [e[3:5] for e in other["events"]] != [e[3:5] for e in mine["events"]]


def test_counts_follow_the_scale() -> None:
    steps: list[str] = []
    small_market = build_market(1, 0.05, REFERENCE_DATE, steps.append)
    double = build_market(1, 0.1, REFERENCE_DATE, steps.append)
    assert len(small_market.catalog.products) == 270 and len(double.catalog.products) == 540
    assert len(double.people.shoppers) > 1.9 * len(small_market.people.shoppers)
    assert len(double.orders.orders) > 1.5 * len(small_market.orders.orders)
    assert len(small_market.categories) == len(double.categories)  # the taxonomy does not scale


# ---- invariants ------------------------------------------------------------------------------------


def assert_stock_matches_reservations(db: Database) -> None:
    with db.transaction() as s:
        stock = {
            sid: (on_hand, reserved)
            for sid, on_hand, reserved in s.execute(select(Stock.id, Stock.on_hand, Stock.reserved))
        }
        held = dict(
            s.execute(
                select(Reservation.stock_id, func.sum(Reservation.quantity))
                .where(Reservation.status == ReservationStatus.ACTIVE)
                .group_by(Reservation.stock_id)
            ).all()
        )
    assert stock and held, "a market with open orders holds some stock"
    for sid, (on_hand, reserved) in stock.items():
        assert 0 <= reserved <= on_hand, sid
        assert reserved == held.get(sid, 0), sid


def assert_money_adds_up(db: Database) -> None:
    with db.transaction() as s:
        orders = s.scalars(select(Order)).all()
        lines: dict[int, list[OrderLine]] = defaultdict(list)
        for line in s.scalars(select(OrderLine)):
            lines[line.order_id].append(line)
        payments = {p.id: p for p in s.scalars(select(Payment))}
    per_payment: Counter[int] = Counter()
    for o in orders:
        assert o.total_cents == o.subtotal_cents + o.shipping_cents + o.tax_cents - o.discount_cents
        assert o.subtotal_cents == sum(ln.line_subtotal_cents for ln in lines[o.id])
        assert o.tax_cents == sum(ln.line_tax_cents for ln in lines[o.id])
        assert o.shipping_cents == sum(ln.line_shipping_cents for ln in lines[o.id])
        assert o.shipping_cents == (0 if o.subtotal_cents >= 3500 else 599)
        assert all(ln.line_subtotal_cents == ln.unit_price_cents * ln.quantity for ln in lines[o.id])
        assert o.payment_id is not None
        per_payment[o.payment_id] += o.total_cents
    for pid, payment in payments.items():
        assert payment.amount_cents == per_payment[pid]
        assert payment.provider == "test"
        assert 0 <= payment.refunded_cents <= payment.captured_cents <= payment.amount_cents
    assert len({p.idempotency_key for p in payments.values()}) == len(payments)


def assert_histories_are_legal(db: Database) -> None:
    with db.transaction() as s:
        status = dict(s.execute(select(Order.id, Order.status)).all())
        chains: dict[int, list[OrderHistory]] = defaultdict(list)
        for row in s.scalars(select(OrderHistory).order_by(OrderHistory.id)):
            chains[row.order_id].append(row)
    assert set(chains) == set(status)
    for order_id, chain in chains.items():
        assert chain[0].from_status is None and chain[0].to_status is OrderStatus.UNPAID
        for before, after in pairwise(chain):
            assert after.from_status is before.to_status, order_id
            assert can_transition(before.to_status, after.to_status), (order_id, before.to_status, after.to_status)
            assert after.at >= before.at
        assert chain[-1].to_status is status[order_id]
        assert chain[-1].at <= REFERENCE_DATE


def assert_reservations_follow_status(db: Database) -> None:
    expected = {ReservationStatus.ACTIVE: PRE_SHIPMENT, ReservationStatus.COMMITTED: SHIPPED}
    with db.transaction() as s:
        rows = s.execute(
            select(Reservation.status, Order.status, Reservation.order_line_id).join(
                Order, Order.id == Reservation.order_id
            )
        ).all()
        line_count = s.scalar(select(func.count(OrderLine.id)))
    assert len(rows) == line_count  # one reservation per line
    for held, order_status, _ in rows:
        if held is ReservationStatus.RELEASED:
            assert order_status is OrderStatus.CANCELLED
        else:
            assert order_status in expected[held]


def assert_listings_and_stock_agree(db: Database) -> None:
    with db.transaction() as s:
        stocked = s.execute(
            select(Product.selling_mode, Product.seller_id, Warehouse.operator, Warehouse.seller_id)
            .join(Variant, Variant.product_id == Product.id)
            .join(Stock, Stock.variant_id == Variant.id)
            .join(Warehouse, Warehouse.id == Stock.warehouse_id)
        ).all()
        redirects = s.execute(
            select(Product.redirect_url, Seller.store_url)
            .join(Seller)
            .where(Product.selling_mode == SellingMode.REDIRECT)
        ).all()
        closed_with_url = s.scalar(
            select(func.count()).where(Product.selling_mode != SellingMode.REDIRECT, Product.redirect_url.is_not(None))
        )
    assert redirects and closed_with_url == 0
    for url, store in redirects:
        assert url.startswith(f"{store}/products/")
    for mode, seller_id, operator, wh_seller in stocked:
        assert mode is not SellingMode.REDIRECT
        if mode is SellingMode.SELLER_FULFILLED:
            assert operator is WarehouseOperator.SELLER and wh_seller == seller_id
        else:
            assert operator is WarehouseOperator.PLATFORM


def test_stock_equals_active_reservations(small: Database) -> None:
    assert_stock_matches_reservations(small)


def test_orders_and_payments_add_up(small: Database) -> None:
    assert_money_adds_up(small)


def test_every_history_is_a_legal_path(small: Database) -> None:
    assert_histories_are_legal(small)


def test_reservations_match_order_status(small: Database) -> None:
    assert_reservations_follow_status(small)


def test_redirect_listings_link_out_and_hold_no_stock(small: Database) -> None:
    assert_listings_and_stock_agree(small)


def test_catalog_shape(small: Database) -> None:
    with small.transaction() as s:
        modes = Counter(s.scalars(select(Product.selling_mode)))
        skus = s.scalars(select(Variant.sku)).all()
        per_product = Counter(s.scalars(select(Variant.product_id)))
        categories = {
            cid: (path, parent)
            for cid, path, parent in s.execute(select(Category.id, Category.path, Category.parent_id))
        }
        prices = s.scalars(select(Variant.price_cents)).all()
        media = s.scalars(select(Product.media).limit(20)).all()
    assert set(modes) == set(SellingMode)
    assert len(skus) == len(set(skus))
    assert set(per_product.values()) <= {1, 2, 3, 4}
    for path, parent in categories.values():
        above = categories[parent][0] if parent else ""
        assert path.startswith(above) and path.endswith("/") and path.count("/") == above.count("/") + 1
    assert "beauty/skin-care/serums/" in {path for path, _ in categories.values()}
    assert all(p % 100 in (0, 49, 50, 95, 97, 99) for p in prices)
    assert all(m[0]["type"] == "image" and m[0]["url"].startswith("/static/demo/p") for m in media)


def test_demo_logins_work_and_others_have_no_password(small: Database) -> None:
    with small.transaction() as s:
        users = {u.email: u for u in s.scalars(select(User).where(User.password_hash.is_not(None)))}
        seller_one = s.get(Seller, 1)
        rates = s.scalar(select(func.count()).select_from(TaxRate))
    assert set(users) == {
        "ops@yellowcart.test",
        "seller@yellowcart.test",
        "shopper@yellowcart.test",
        "creator@yellowcart.test",
    }
    assert verify_password("demo-operator", users["ops@yellowcart.test"].password_hash)
    assert verify_password("demo-seller", users["seller@yellowcart.test"].password_hash)
    assert users["seller@yellowcart.test"].seller_id == 1 and seller_one is not None
    assert users["shopper@yellowcart.test"].role is Role.SHOPPER
    assert users["creator@yellowcart.test"].role is Role.CREATOR
    assert rates and rates >= 50


def test_refuses_a_filled_database_unless_reset(tmp_path: Path) -> None:
    db = generated(tmp_path, seed=3, scale=0.01)
    with pytest.raises(MarketNotEmpty):
        generate_market(db, seed=3, scale=0.01, progress=False)
    summary = generate_market(db, seed=4, scale=0.01, progress=False, reset=True)
    with db.transaction() as s:
        assert s.scalar(select(func.count(Product.id))) == summary.products
        assert s.scalar(select(func.count(Order.id))) == summary.orders
        assert s.scalar(select(func.count(Content.id))) == summary.content > 0
        assert s.scalar(select(func.count(InteractionEvent.id))) == summary.events > 0
    assert_stock_matches_reservations(db)


def test_progress_bar_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    generate_market(fresh_db(tmp_path), seed=5, scale=0.01, progress=True)
    assert "demo market ready" in capsys.readouterr().out


# ---- the issue's minimums at full scale ------------------------------------------------------------


def test_full_scale_meets_the_issue_minimums(tmp_path: Path) -> None:
    db = fresh_db(tmp_path)
    summary = generate_market(db, seed=42, scale=1.0, progress=False)
    with db.transaction() as s:
        sellers = s.scalar(select(func.count(Seller.id)))
        products = s.scalar(select(func.count(Product.id)))
        leaves = s.scalar(select(func.count(func.distinct(Product.category_id))))
        zips = s.scalars(select(User.home_zip).where(User.role == Role.SHOPPER)).all()
        states = s.scalars(select(Warehouse.state)).all()
        platform_states = s.scalars(
            select(Warehouse.state).where(Warehouse.operator == WarehouseOperator.PLATFORM)
        ).all()
        orders = s.scalar(select(func.count(Order.id)))
        statuses = Counter(s.scalars(select(Order.status)))
        captured = s.scalar(select(func.count()).where(Payment.status == PaymentStatus.CAPTURED))
    assert sellers >= 50 and summary.sellers == sellers
    assert products >= 5000 and summary.products == products
    assert leaves >= 20
    assert len(zips) >= 10_000 and all(z is not None for z in zips)
    assert all(lookup_zip(z) is not None for z in set(zips))
    assert len(states) >= 6 and len(set(platform_states)) >= 6
    assert orders >= 2000 and summary.orders == orders
    most = statuses[OrderStatus.COMPLETED] + statuses[OrderStatus.DELIVERED]
    assert most > orders / 2
    for status in (OrderStatus.IN_TRANSIT, OrderStatus.AWAITING_SHIPMENT, OrderStatus.CANCELLED, OrderStatus.RETURNED):
        assert statuses[status] > 0, status
    assert captured
    assert_stock_matches_reservations(db)
    assert_histories_are_legal(db)
    with db.transaction() as s:
        creators = s.scalar(select(func.count()).where(User.role == Role.CREATOR))
        videos = s.scalar(
            select(func.count()).where(Content.kind == ContentKind.VIDEO, Content.status == ContentStatus.PUBLISHED)
        )
        lives = s.scalar(select(func.count()).where(Content.kind == ContentKind.LIVE))
        events = Counter(
            dict(s.execute(select(InteractionEvent.type, func.count()).group_by(InteractionEvent.type)).all())
        )
    assert 240 <= creators <= 280 and summary.creators == creators
    assert 5500 <= videos <= 6500 and 30 <= lives <= 50
    assert 270_000 <= sum(events.values()) == summary.events <= 330_000
    assert 0.3 <= events[EventType.VIEW] / events[EventType.IMPRESSION] <= 0.4
    assert set(events) == set(EventType) - {EventType.RETURN}


# ---- PostgreSQL ------------------------------------------------------------------------------------


@pytest.fixture
def pg_scratch() -> Iterator[Database]:
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # no server: skip with one line
        pytest.skip(f"PostgreSQL not reachable: {type(exc).__name__}")
    name = f"yc_demo_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = Database(make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False))
    try:
        models.Base.metadata.create_all(db.engine)
        yield db
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
def test_postgres_market_is_consistent_and_sequences_moved_on(pg_scratch: Database) -> None:
    summary = generate_market(pg_scratch, seed=7, scale=SMALL, progress=False)
    assert_stock_matches_reservations(pg_scratch)
    assert_money_adds_up(pg_scratch)
    assert_histories_are_legal(pg_scratch)
    assert_content_is_coherent(pg_scratch)
    assert_events_are_coherent(pg_scratch)
    with pg_scratch.transaction() as s:
        seller = Seller(name="Opened after the demo", store_url=None)
        s.add(seller)
        s.flush()
        assert seller.id == summary.sellers + 1  # the sequence continues after the generated ids
        assert s.scalar(select(func.count(InteractionEvent.id))) == summary.events  # COPY'd in the transaction
        assert s.scalar(select(func.count(Content.id))) == summary.content
        content = Content(kind=ContentKind.VIDEO, owner_user_id=4, title="After the demo", duration_s=10)
        s.add(content)
        s.flush()
        assert content.id == summary.content + 1
        event = InteractionEvent(user_id=3, client_event_id="after-demo", type=EventType.LIKE, content_id=1,
                                 occurred_at=REFERENCE_DATE)  # fmt: skip
        s.add(event)
        s.flush()
        assert event.id == summary.events + 1


# ---- creators, content and the interaction log -----------------------------------------------------


def assert_content_is_coherent(db: Database) -> None:
    with db.transaction() as s:
        products = {pid: (seller, status) for pid, seller, status in
                    s.execute(select(Product.id, Product.seller_id, Product.status))}  # fmt: skip
        active_sellers = set(s.scalars(select(Seller.id).where(Seller.status == SellerStatus.ACTIVE)))
        roles = dict(s.execute(select(User.id, User.role)).all())
        owners = dict(s.execute(select(User.id, User.seller_id)).all())
        anchors: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for cid, pid, pos in s.execute(select(Anchor.content_id, Anchor.product_id, Anchor.position)):
            anchors[cid].append((pos, pid))
        content = s.scalars(select(Content)).all()
    assert content
    kinds = Counter((c.kind, c.status, c.live_state) for c in content)
    assert kinds[(ContentKind.VIDEO, ContentStatus.PUBLISHED, None)] > 0.9 * len(content)
    assert (
        kinds[(ContentKind.VIDEO, ContentStatus.DRAFT, None)]
        and kinds[(ContentKind.VIDEO, ContentStatus.REMOVED, None)]
    )
    assert kinds[(ContentKind.LIVE, ContentStatus.PUBLISHED, LiveState.ENDED)]
    assert kinds[(ContentKind.LIVE, ContentStatus.PUBLISHED, LiveState.SCHEDULED)]
    for c in content:
        tagged = [pid for _, pid in sorted(anchors[c.id])]
        assert [pos for pos, _ in sorted(anchors[c.id])] == list(range(len(tagged))), c.id
        assert tagged and len(set(tagged)) == len(tagged), c.id
        for pid in tagged:
            seller, status = products[pid]  # every anchor is an existing, active listing of an active seller
            assert status is ProductStatus.ACTIVE and seller in active_sellers, (c.id, pid)
        if c.seller_id is not None:  # a seller's own content tags only its own listings
            assert owners[c.owner_user_id] == c.seller_id and roles[c.owner_user_id] is Role.SELLER
            assert all(products[pid][0] == c.seller_id for pid in tagged), c.id
        else:
            assert roles[c.owner_user_id] is Role.CREATOR
        assert c.poster_ref == f"/static/demo/v{c.id}.jpg"
        assert c.title and c.description and c.hashtags
        assert all(re.fullmatch(r"\w+", tag) and tag == tag.lower() for tag in c.hashtags)
        assert (c.published_at is None) == (c.status is ContentStatus.DRAFT)
        assert c.created_at <= c.updated_at
        if c.kind is ContentKind.VIDEO:
            assert c.live_state is None and c.scheduled_at is None and c.pinned_product_id is None
            assert c.duration_s is not None and 8 <= c.duration_s <= 90 and 1 <= len(tagged) <= 3
            if c.published_at is not None:
                assert REFERENCE_DATE - dt.timedelta(days=60) <= c.published_at <= REFERENCE_DATE
                assert c.created_at <= c.published_at
        elif c.live_state is LiveState.ENDED:
            assert c.scheduled_at is not None and c.scheduled_at < REFERENCE_DATE
            assert c.pinned_product_id in tagged and c.duration_s
        else:
            assert c.live_state is LiveState.SCHEDULED and c.pinned_product_id is None
            assert c.scheduled_at is not None and c.scheduled_at > REFERENCE_DATE


def assert_events_are_coherent(db: Database) -> None:
    with db.transaction() as s:
        events = s.execute(
            select(InteractionEvent.user_id, InteractionEvent.client_event_id, InteractionEvent.type,
                   InteractionEvent.content_id, InteractionEvent.product_id, InteractionEvent.target_user_id,
                   InteractionEvent.watch_ms, InteractionEvent.completion, InteractionEvent.occurred_at,
                   InteractionEvent.received_at).order_by(InteractionEvent.id)
        ).all()  # fmt: skip
        roles = dict(s.execute(select(User.id, User.role)).all())
        content = {c.id: c for c in s.scalars(select(Content))}
        anchors = {(cid, pid) for cid, pid in s.execute(select(Anchor.content_id, Anchor.product_id))}
        modes = dict(s.execute(select(Product.id, Product.selling_mode)).all())
        paid = s.execute(
            select(Order.id, Order.shopper_id, Order.paid_at, Variant.product_id)
            .join(OrderLine, OrderLine.order_id == Order.id)
            .join(Variant, Variant.id == OrderLine.variant_id)
            .where(Order.paid_at.is_not(None))
        ).all()
    assert len({(e.user_id, e.client_event_id) for e in events}) == len(events)
    times = [e.occurred_at for e in events]
    assert times == sorted(times)  # ids follow time, as an append-only log's would
    expected = {(uid, f"purchase-{oid}-{pid}", at, pid) for oid, uid, at, pid in paid}
    purchases = {(e.user_id, e.client_event_id, e.occurred_at, e.product_id) for e in events
                 if e.type is EventType.PURCHASE}  # fmt: skip
    assert expected and purchases == expected  # every paid order's products, at paid_at
    window_start = REFERENCE_DATE - dt.timedelta(days=30)
    for e in events:
        assert roles[e.user_id] is Role.SHOPPER
        assert e.received_at >= e.occurred_at
        if e.type is EventType.PURCHASE:
            continue
        assert re.fullmatch(r"demo-\d+", e.client_event_id)
        assert window_start <= e.occurred_at <= REFERENCE_DATE
        c = content[e.content_id]  # client events here all come from a published video
        assert c.kind is ContentKind.VIDEO and c.status is ContentStatus.PUBLISHED
        assert c.published_at is not None and c.published_at <= e.occurred_at
        if e.type is EventType.VIEW:
            assert c.duration_s is not None and e.watch_ms is not None and e.completion is not None
            assert 0 <= e.completion <= 1 and abs(e.watch_ms - c.duration_s * 1000 * e.completion) <= 1
        else:
            assert e.watch_ms is None and e.completion is None
        if e.type in (EventType.CART_TAP, EventType.ADD_TO_CART):
            assert (e.content_id, e.product_id) in anchors
        else:
            assert e.product_id is None
        if e.type is EventType.ADD_TO_CART:
            assert modes[e.product_id].closed_loop
        if e.type is EventType.FOLLOW:
            assert e.target_user_id == c.owner_user_id != e.user_id
            assert roles[e.target_user_id] in (Role.CREATOR, Role.SELLER)
        else:
            assert e.target_user_id is None
    follows = [(e.user_id, e.target_user_id) for e in events if e.type is EventType.FOLLOW]
    assert len(set(follows)) == len(follows)  # nobody follows the same account twice


def test_creators_are_users_with_handles(small: Database) -> None:
    market = build_market(7, SMALL, REFERENCE_DATE, lambda _: None)
    with small.transaction() as s:
        creators = {u.id: u for u in s.scalars(select(User).where(User.role == Role.CREATOR))}
        shoppers = s.scalar(select(func.count()).where(User.role == Role.SHOPPER))
    assert len(creators) == max(3, round((shoppers - 1) / 40))
    assert creators[4].email == "creator@yellowcart.test"
    handles = [c.handle for c in market.creators.plans]
    assert handles[0] == "democreator" and len(set(handles)) == len(handles)
    assert all(re.fullmatch(r"[a-z0-9_]+", h) for h in handles)
    for plan in market.creators.plans:
        assert creators[plan.user_id].display_name == plan.name and plan.departments


def test_content_anchors_and_states_are_coherent(small: Database) -> None:
    assert_content_is_coherent(small)


def test_events_reference_real_rows_and_cover_paid_orders(small: Database) -> None:
    assert_events_are_coherent(small)


def test_funnel_ratios_are_sane(small: Database) -> None:
    with small.transaction() as s:
        counts = Counter(
            dict(s.execute(select(InteractionEvent.type, func.count()).group_by(InteractionEvent.type)).all())
        )
        per_video = s.execute(
            select(InteractionEvent.user_id, InteractionEvent.content_id, InteractionEvent.type, func.count())
            .where(InteractionEvent.content_id.is_not(None))
            .group_by(InteractionEvent.user_id, InteractionEvent.content_id, InteractionEvent.type)
        ).all()
    shown: Counter[tuple[int, int]] = Counter()
    watched: Counter[tuple[int, int]] = Counter()
    for user, cid, kind, n in per_video:
        if kind is EventType.IMPRESSION:
            shown[(user, cid)] += n
        elif kind is EventType.VIEW:
            watched[(user, cid)] += n
    assert all(watched[key] <= shown[key] for key in watched)  # nobody watches what they were not shown
    views, impressions = counts[EventType.VIEW], counts[EventType.IMPRESSION]
    assert 0.3 <= views / impressions <= 0.4
    assert 0.01 <= counts[EventType.CART_TAP] / views <= 0.1
    assert 0 < counts[EventType.ADD_TO_CART] <= counts[EventType.CART_TAP]
    for rare in (EventType.LIKE, EventType.SHARE, EventType.COMMENT, EventType.FOLLOW, EventType.HIDE):
        assert 0 < counts[rare] < 0.2 * views, rare
    assert counts[EventType.SHARE] < counts[EventType.LIKE]
    assert counts[EventType.RETURN] == 0


def test_latent_interests_are_learnable() -> None:
    """The category a shopper engages with most is one of their favourites, for most engaged shoppers."""
    market = build_market(7, SMALL, REFERENCE_DATE, lambda _: None)
    category_of = {v.id: v.category_id for v in market.content.videos}
    engaged: dict[int, Counter[int]] = defaultdict(Counter)
    hidden = total_hides = 0
    for e in market.events.rows:
        if e["type"] in (EventType.VIEW, EventType.LIKE, EventType.CART_TAP, EventType.ADD_TO_CART):
            engaged[e["user_id"]][category_of[e["content_id"]]] += 1
        if e["type"] is EventType.HIDE:
            total_hides += 1
            taste = market.events.tastes[e["user_id"]]
            dept = next(v.department for v in market.content.videos if v.id == e["content_id"])
            hidden += dept == taste.disliked
    busy = {user: c for user, c in engaged.items() if sum(c.values()) >= 5}
    assert len(busy) >= 100
    hits = sum(c.most_common(1)[0][0] in market.events.tastes[user].favourites for user, c in busy.items())
    assert hits / len(busy) >= 0.85
    assert total_hides and hidden == total_hides  # hides only on the disliked department
    # buyers mostly love what they bought
    bought = {e["user_id"]: category_of_product for e in market.events.rows if e["type"] is EventType.PURCHASE
              for category_of_product in [market.content.listings.get(e["product_id"])]}  # fmt: skip
    loved = [market.events.tastes[u].favourites[0] == x.category_id for u, x in bought.items() if x is not None]
    assert sum(loved) / len(loved) >= 0.4


def test_sqlite_fast_insert_stores_times_like_the_orm(small: Database) -> None:
    """The events' driver-level insert writes the same text SQLAlchemy would for a UTCDateTime."""
    with small.transaction() as s:
        s.add(InteractionEvent(user_id=3, client_event_id="orm-written", type=EventType.LIKE, content_id=1,
                               occurred_at=REFERENCE_DATE, received_at=REFERENCE_DATE))  # fmt: skip
        s.flush()
        raw = s.execute(text("SELECT client_event_id, occurred_at, type FROM interaction_events")).all()
        s.rollback()
    pattern = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}"
    assert all(re.fullmatch(pattern, at) for _, at, _ in raw)
    assert {kind for _, _, kind in raw} <= {t.value for t in EventType}
    orm = next(at for cid, at, _ in raw if cid == "orm-written")
    assert orm == "2026-11-01 00:00:00.000000"
