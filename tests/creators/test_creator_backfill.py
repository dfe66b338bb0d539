"""Orders written without events (the demo's way) get their creators' commissions from the ledger backfill
(SQLite and PostgreSQL): accrued at completion, reversed at a later return, nothing for orders not
completed, once however often it runs; and the demo market itself obeys the programme's rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from ledger.ledger_world import listing, place_order
from support import Market
from yellowcart.auth.models import Role
from yellowcart.catalog.models import Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.cli import app
from yellowcart.content.models import Anchor, Content, ContentKind, ContentStatus
from yellowcart.creators.attribution import attribute_orders
from yellowcart.creators.models import Attribution, Membership, MemberStatus, OpenRate, ShowcaseItem
from yellowcart.creators.rules import DEFAULT_WINDOW, commission
from yellowcart.creators.showcase import untaggable
from yellowcart.db import Database
from yellowcart.demo.generate import generate_market
from yellowcart.interactions.models import EventType, InteractionEvent
from yellowcart.ledger import balances
from yellowcart.ledger.backfill import backfill
from yellowcart.ledger.models import LedgerEntry, LedgerPosting
from yellowcart.orders.models import Order, OrderHistory
from yellowcart.orders.state import OrderStatus as S
from yellowcart.settings import get_settings

T0 = dt.datetime(2026, 9, 1, 12, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def _bulk_order(market: Market, shopper: int, variant: int, path: list[tuple[S, dt.datetime]]) -> int:
    """An order as the demo writes it: final status and its history, no events."""
    oid = place_order(market.db, shopper, [(variant, 2)])
    with market.db.transaction() as s:
        s.execute(update(Order).where(Order.id == oid).values(status=path[-1][0], placed_at=T0, paid_at=T0))
        for (status, at), (was, _) in zip(path, [(S.UNPAID, T0), *path], strict=False):
            s.add(OrderHistory(order_id=oid, at=at, actor_role="system", from_status=was, to_status=status))
    return oid


def test_backfill_accrues_completed_orders_and_reverses_later_returns_once(db: Database, market: Market) -> None:
    seller = market.seller("acme")
    shopper, creator = market.user("ada", Role.SHOPPER), market.user("cara", Role.CREATOR)
    ada, cara = market.users["ada"], market.users["cara"]
    assert shopper and creator
    variant = listing(market, seller, SellingMode.SELLER_FULFILLED, 2500)
    shipped = [(S.AWAITING_SHIPMENT, T0), (S.IN_TRANSIT, T0 + DAY), (S.DELIVERED, T0 + 3 * DAY)]
    completed = _bulk_order(market, ada, variant, [*shipped, (S.COMPLETED, T0 + 10 * DAY)])
    returned = _bulk_order(market, ada, variant, [*shipped, (S.COMPLETED, T0 + 10 * DAY), (S.RETURNED, T0 + 20 * DAY)])
    delivered = _bulk_order(market, ada, variant, shipped)
    with db.transaction() as s:
        product = int(s.scalar(select(Variant.product_id).where(Variant.id == variant)) or 0)
        s.add(Membership(creator_id=cara, terms_version="t", accepted_terms_at=T0 - 9 * DAY, joined_at=T0 - 9 * DAY))
        s.add(OpenRate(product_id=product, rate_bps=1500, set_by_user_id=cara))
        video = Content(kind=ContentKind.VIDEO, owner_user_id=cara, title="v", duration_s=9,
                        status=ContentStatus.PUBLISHED, published_at=T0 - 5 * DAY)  # fmt: skip
        s.add(video)
        s.flush()
        s.add(Anchor(content_id=video.id, product_id=product, position=0))
        s.add(InteractionEvent(user_id=ada, client_event_id="v1", type=EventType.VIEW, content_id=video.id,
                               product_id=product, watch_ms=900, occurred_at=T0 - DAY))  # fmt: skip
    with db.transaction() as s:
        attribute_orders(s, order_ids=[completed, returned, delivered], window=DEFAULT_WINDOW, now=T0)
    run = backfill(db)
    owed = commission(5000, 1500)
    assert run.creator_entries == 3  # two accruals, one reversal
    with db.transaction() as s:
        rows = s.execute(
            select(LedgerEntry.order_id, LedgerEntry.kind, LedgerEntry.posted_at, LedgerPosting.amount_cents)
            .join(LedgerPosting, LedgerPosting.entry_id == LedgerEntry.id)
            .where(LedgerPosting.account == "creator_payable")
            .order_by(LedgerEntry.id)
        ).all()
        assert [(o, k.value, at, -n) for o, k, at, n in rows] == [
            (completed, "creator_commission", T0 + 10 * DAY, owed),
            (returned, "creator_commission", T0 + 10 * DAY, owed),
            (returned, "creator_reversal", T0 + 20 * DAY, -owed),
        ]
        assert balances.trial_balance(s).balanced
        earned = s.scalar(select(func.count()).select_from(Attribution).where(Attribution.earned_at.is_not(None)))
        assert earned == 2  # the delivered order has not completed: pending
        entries = balances.trial_balance(s).entries
    assert backfill(db).creator_entries == 0
    with db.transaction() as s:
        assert balances.trial_balance(s).entries == entries


@pytest.fixture
def demo(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    generate_market(db, seed=11, scale=0.03, progress=False)
    monkeypatch.setenv("YC_DATABASE_URL", db.url)
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def test_demo_market_obeys_the_programme(demo: Database) -> None:
    with demo.transaction() as s:
        members = dict(s.execute(select(Membership.creator_id, Membership.status)).all())
        assert members.get(4) is MemberStatus.ACTIVE  # the demo creator login
        assert MemberStatus.SUSPENDED in members.values()
        tags = s.execute(
            select(Content.owner_user_id, Anchor.product_id)
            .join(Anchor, Anchor.content_id == Content.id)
            .where(Content.seller_id.is_(None))
        ).all()
        active = [(cid, pid) for cid, pid in tags if members.get(cid) is MemberStatus.ACTIVE]
        assert active and s.scalar(select(func.count()).select_from(ShowcaseItem)) > 0
        for creator_id in sorted({cid for cid, _ in active}):  # what the API would let them tag
            tagged = sorted({pid for cid, pid in active if cid == creator_id})
            assert untaggable(s, creator_id=creator_id, product_ids=tagged) == {}
        for a in s.scalars(select(Attribution)):
            assert members.get(a.creator_id) is MemberStatus.ACTIVE and a.shopper_id != a.creator_id
    again = CliRunner().invoke(app, ["ledger", "backfill"])
    assert again.exit_code == 0 and "0 creator commission entries" in again.output, again.output
