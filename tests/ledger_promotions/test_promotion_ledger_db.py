"""Promotions in the ledger, on a real database (SQLite and PostgreSQL), through the real outbox
events: who is credited what when promotions took money off an order, what the platform's promotions
cost it (promotion_expense), and that refunds and chargebacks take it all back in proportion.

Rates: 10% commission, 2.5% fee. Shipping: $5.99 under $35 of goods paid. Tax 8.875%.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from ledger.ledger_world import listing
from ledger_promotions.promo_world import Deal, World, offers_of, place_promoted_order, promotion
from support import Market
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import Database
from yellowcart.ledger import balances, service
from yellowcart.ledger.chart import Account, Component
from yellowcart.promotions.models import PromotionKind

K = PromotionKind
SF, FC, PO = SellingMode.SELLER_FULFILLED, SellingMode.FULL_CUSTODY, SellingMode.PLATFORM_OWNED


@pytest.fixture
def world(db: Database, market: Market) -> World:
    return World(db, market)


def test_seller_is_paid_before_the_platforms_discounts_and_the_platform_books_their_cost(world: World) -> None:
    """Two units at $15: the seller's own $2/unit off (its cost), then the platform's 10% coupon ($2.60),
    then the platform's free shipping waives the $5.99 fee."""
    sid = world.seller
    item = listing(world.market, sid, SF, 1500)
    own = promotion(world.db, created_by=world.ops, kind=K.PRODUCT_DISCOUNT, seller_id=sid, seller_share_bps=10_000,
                    amount_off_cents=200)  # fmt: skip
    coupon = promotion(world.db, created_by=world.ops, kind=K.COUPON, percent_off_bps=1000)
    ship = promotion(world.db, created_by=world.ops, kind=K.FREE_SHIPPING)
    oid = place_promoted_order(world.db, world.shopper, [(item, 2)], offers_of(world.db, [own, coupon, ship]))
    order = world.order(oid)
    assert (order.subtotal_cents, order.discount_cents, order.shipping_cents) == (3000, 660, 0)
    assert order.lines[0].line_discount_cents == 660 and order.tax_cents == 208  # 8.875% of $23.40
    world.ship(oid)
    sums = world.sums(oid)
    assert sums[(Account.PAYMENT_CLEARING, Component.CASH)] == 2340 + 208  # what the shopper paid
    assert sums[(Account.PROMOTION_EXPENSE, Component.PROMOTION)] == 260 + 599  # the platform's part only
    assert sums[(Account.SELLER_PAYABLE, Component.GOODS)] == -2340
    assert sums[(Account.SELLER_PAYABLE, Component.PROMOTION)] == -(260 + 599)
    # Commission on $26.00 (after the seller's own discount, before the platform's), fee on $26.00 + $5.99.
    assert sums[(Account.COMMISSION_REVENUE, Component.COMMISSION)] == -260
    assert sums[(Account.FEE_REVENUE, Component.FEE)] == -80
    assert -world.account(oid, Account.SELLER_PAYABLE) == 2600 + 599 - 260 - 80
    with world.db.transaction() as s:
        assert balances.trial_balance(s).balanced


def test_returns_take_back_the_subsidy_in_proportion_and_end_at_zero(world: World) -> None:
    sid = world.seller
    item = listing(world.market, sid, SF, 1000)
    coupon = promotion(world.db, created_by=world.ops, kind=K.COUPON, seller_id=sid, seller_share_bps=4000,
                       percent_off_bps=2000)  # fmt: skip
    ship = promotion(world.db, created_by=world.ops, kind=K.FREE_SHIPPING, seller_id=sid, seller_share_bps=5000)
    oid = place_promoted_order(world.db, world.shopper, [(item, 3)], offers_of(world.db, [coupon, ship]))
    world.ship(oid)
    order = world.order(oid)
    line = order.lines[0]
    sold = world.sums(oid)[(Account.PROMOTION_EXPENSE, Component.PROMOTION)]
    assert sold == 360 + 299  # 60% of the $6.00 coupon, half of the $5.99 fee (the seller's share rounds up)
    goods = line.line_subtotal_cents - line.line_discount_cents
    world.refund(oid, (goods + line.line_tax_cents) // 3, "r1", {line.id: 1})
    assert world.account(oid, Account.PROMOTION_EXPENSE) == round(sold * 2 / 3)
    world.refund(oid, 1, "r2")  # a goodwill cent: a sliver of goods, a sliver of the subsidy
    world.refund(oid, order.total_cents, "r3")  # everything left
    for account in (Account.PROMOTION_EXPENSE, Account.SELLER_PAYABLE, Account.COMMISSION_REVENUE,
                    Account.FEE_REVENUE, Account.PAYMENT_CLEARING, Account.SALES_TAX_PAYABLE):  # fmt: skip
        assert world.account(oid, account) == 0, account


def test_full_custody_and_platform_owned_book_revenue_before_the_platforms_discounts(world: World) -> None:
    """The platform sells: retail revenue at the price before its own discounts and deals, the discounts
    as promotion expense; the custody seller is still owed the supply price for each unit."""
    sid = world.seller
    fc = listing(world.market, sid, FC, 3000, supply=1800)
    po = listing(world.market, sid, PO, 1000)
    sale = promotion(world.db, created_by=world.ops, kind=K.PRODUCT_DISCOUNT, percent_off_bps=1000)
    flash = promotion(world.db, created_by=world.ops, kind=K.FLASH_DEAL, percent_off_bps=2000)
    oid = place_promoted_order(world.db, world.shopper, [(fc, 2), (po, 1)], offers_of(world.db, [sale]),
                               deals={po: Deal(flash, 200)})  # fmt: skip
    world.ship(oid)
    sums = world.sums(oid)
    assert sums[(Account.PROMOTION_EXPENSE, Component.PROMOTION)] == 600 + 200
    assert sums[(Account.RETAIL_REVENUE, Component.GOODS)] == -(5400 + 800)  # what the shopper paid
    assert sums[(Account.RETAIL_REVENUE, Component.PROMOTION)] == -(600 + 200)  # + the platform's discounts
    assert sums[(Account.SELLER_PAYABLE, Component.SUPPLY)] == -1800 * 2  # whatever the shopper paid
    world.refund(oid, world.order(oid).total_cents, "all")
    assert world.account(oid, Account.PROMOTION_EXPENSE) == 0
    assert world.account(oid, Account.SELLER_PAYABLE) == 0


def test_a_seller_funded_deal_lowers_the_sellers_credit_and_costs_the_platform_nothing(world: World) -> None:
    sid = world.seller
    item = listing(world.market, sid, SF, 2500)
    flash = promotion(world.db, created_by=world.ops, kind=K.FLASH_DEAL, seller_id=sid, seller_share_bps=10_000,
                      amount_off_cents=500)  # fmt: skip
    oid = place_promoted_order(world.db, world.shopper, [(item, 2)], deals={item: Deal(flash, 500, 10_000)})
    world.ship(oid)
    sums = world.sums(oid)
    assert (Account.PROMOTION_EXPENSE, Component.PROMOTION) not in sums
    assert sums[(Account.SELLER_PAYABLE, Component.GOODS)] == -4000  # the deal price, its own cost
    assert sums[(Account.COMMISSION_REVENUE, Component.COMMISSION)] == -400


def test_chargebacks_reverse_the_subsidy_with_the_goods(world: World) -> None:
    sid = world.seller
    item = listing(world.market, sid, SF, 4000)
    coupon = promotion(world.db, created_by=world.ops, kind=K.COUPON, amount_off_cents=1000)
    oid = place_promoted_order(world.db, world.shopper, [(item, 1)], offers_of(world.db, [coupon]))
    world.ship(oid)
    assert world.account(oid, Account.PROMOTION_EXPENSE) == 1000
    with world.db.transaction() as s:
        left = service.cash_left(s, order_id=oid)
        service.record_chargeback(s, principal=world.operator, order_id=oid, amount_cents=left // 2, reference="d1",
                                  now=world.clock())  # fmt: skip
    assert 0 < world.account(oid, Account.PROMOTION_EXPENSE) < 1000
    with world.db.transaction() as s:
        left = service.cash_left(s, order_id=oid)
        service.record_chargeback(s, principal=world.operator, order_id=oid, amount_cents=left, reference="d2",
                                  now=world.clock())  # fmt: skip
    assert world.account(oid, Account.PROMOTION_EXPENSE) == 0
    assert world.account(oid, Account.SELLER_PAYABLE) == 0


def test_orders_without_promotions_post_as_before(world: World) -> None:
    """No order_discounts rows: no promotion postings; a legacy order-level discount still lowers goods."""
    sid = world.seller
    item = listing(world.market, sid, SF, 2000)
    oid = place_promoted_order(world.db, world.shopper, [(item, 2)])
    world.ship(oid)
    by_component: dict[Component, int] = defaultdict(int)
    for (_, comp), v in world.sums(oid).items():
        by_component[comp] += v
    assert Component.PROMOTION not in by_component
    assert world.account(oid, Account.SELLER_PAYABLE) == -(4000 - 400 - round(4000 * 0.025))
