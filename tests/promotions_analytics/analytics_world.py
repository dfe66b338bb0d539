"""A synthetic market for a promotion's analytics with a known true lift: shoppers active in the
promotion's window (one interaction event each), split by the real hold-out function; exposed shoppers
buy the promoted listing more often (and at the discounted price), held-out ones at the list price.
Orders are written the way checkout writes them (promo_world's contract), in one transaction."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import select

from support import ADDRESS, Market
from yellowcart.auth.models import Role, User
from yellowcart.catalog.models import Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.interactions.models import EventType, InteractionEvent
from yellowcart.orders.models import Order, OrderLine
from yellowcart.orders.state import OrderStatus
from yellowcart.promotions import holdout
from yellowcart.promotions.models import DiscountKind, OrderDiscount, Redemption, RedemptionStatus

START = dt.datetime(2025, 3, 3, tzinfo=dt.UTC)  # the promotion's window opens (in the past: HTTP asks "now")
PRICE, PERCENT_OFF = 2000, 10
BUY_EXPOSED, BUY_HELD = 0.45, 0.30
TRUE_LIFT = BUY_EXPOSED * PRICE * (100 - PERCENT_OFF) / 100 - BUY_HELD * PRICE  # +$2.10 per shopper


@dataclass
class Expected:
    orders: int = 0
    units: int = 0
    gmv: int = 0
    discount: int = 0
    held: int = 0
    released: int = 0
    exposed: int = 0
    held_out: int = 0


def populate(market: Market, *, promotion_id: int, holdout_bps: int, sku: str, shoppers: int, seed: int) -> Expected:
    """``shoppers`` active shoppers; each buys at most one unit once, a day into the window."""
    rng = random.Random(seed)
    expected = Expected()
    with market.db.transaction() as s:
        variant = s.scalar(select(Variant).where(Variant.sku == sku))
        assert variant is not None
        seller_id = variant.product.seller_id
        users = [
            User(email=f"s{i}@synthetic.example", display_name=f"s{i}", role=Role.SHOPPER) for i in range(shoppers)
        ]
        s.add_all(users)
        s.flush()
        for n, user in enumerate(users):
            at = START + dt.timedelta(hours=1 + n % 48)
            s.add(InteractionEvent(user_id=user.id, client_event_id=f"e{n}", type=EventType.VIEW,
                                   product_id=variant.product_id, occurred_at=at))  # fmt: skip
            held = holdout.held_out(promotion_id, user.id, holdout_bps)
            expected.held_out += held
            expected.exposed += not held
            if rng.random() >= (BUY_HELD if held else BUY_EXPOSED):
                continue
            discount = 0 if held else PRICE * PERCENT_OFF // 100
            status = rng.choices(["used", "held", "released"], [90, 5, 5])[0] if not held else "used"
            order = _order(user.id, seller_id, variant, discount, at, status)
            s.add(order)
            s.flush()
            if held:
                continue
            line = order.lines[0]
            s.add(OrderDiscount(order_id=order.id, order_line_id=line.id, promotion_id=promotion_id,
                                kind=DiscountKind.GOODS, amount_cents=discount, seller_funded_cents=0,
                                platform_funded_cents=discount, label="10% off"))  # fmt: skip
            s.add(Redemption(promotion_id=promotion_id, shopper_id=user.id, order_id=order.id, discount_cents=discount,
                             seller_funded_cents=0, platform_funded_cents=discount, units=1,
                             status=RedemptionStatus(status)))  # fmt: skip
            if status == "used":
                expected.orders += 1
                expected.units += 1
                expected.gmv += PRICE - discount
                expected.discount += discount
            else:
                setattr(expected, status, getattr(expected, status) + 1)
    return expected


def _order(shopper: int, seller_id: int, variant: Variant, discount: int, at: dt.datetime, status: str) -> Order:
    paid = status == "used"
    tax = (PRICE - discount) // 10
    return Order(
        shopper_id=shopper, seller_id=seller_id,
        status=OrderStatus.DELIVERED if paid else OrderStatus.UNPAID if status == "held" else OrderStatus.CANCELLED,
        subtotal_cents=PRICE, shipping_cents=0, discount_cents=discount, tax_cents=tax,
        total_cents=PRICE - discount + tax, tax_rate="0.1", ship_to=dict(ADDRESS), placed_at=at,
        paid_at=at if paid else None,
        lines=[OrderLine(variant_id=variant.id, sku=variant.sku, title="synthetic", quantity=1,
                         selling_mode=SellingMode.SELLER_FULFILLED, unit_price_cents=PRICE, line_subtotal_cents=PRICE,
                         line_discount_cents=discount, line_tax_cents=tax, line_shipping_cents=0)],
    )  # fmt: skip
