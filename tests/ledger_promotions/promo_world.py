"""Orders with promotions written the way checkout writes them (the contract in docs/api.md,
"Promotions"): the real pricing engine and checkout pricing decide the discounts; each order gets its
lines' ``line_discount_cents``, one ``order_discounts`` row per (promotion, line) for goods, one per
order for a waived shipping fee, DEAL rows for lines bought at a flash deal's price, and one
redemption per promotion (USED: the order is paid). Until checkout writes them itself, this is how the
ledger's, the returns' and the analytics' tests get such orders."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.ledger_world import Clock, drain, ledger_bus, move
from support import ADDRESS, Market
from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog.models import Category, Product, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.checkout import payments
from yellowcart.checkout.models import Payment, PaymentStatus
from yellowcart.checkout.pricing import LineInput, ShippingPolicy, quote_seller
from yellowcart.checkout.refunds import refund_order
from yellowcart.db import Database
from yellowcart.ledger import rates
from yellowcart.ledger.chart import Account, Component
from yellowcart.ledger.models import LedgerPosting
from yellowcart.orders.models import Order, OrderLine
from yellowcart.orders.state import OrderStatus
from yellowcart.promotions import engine, offers
from yellowcart.promotions.models import (
    DiscountKind,
    Funder,
    OrderDiscount,
    Promotion,
    PromotionKind,
    PromotionStatus,
    Redemption,
    RedemptionStatus,
)

T0 = dt.datetime(2030, 1, 2, 12, 0, tzinfo=dt.UTC)
POLICY = ShippingPolicy(flat_fee_cents=599, free_threshold_cents=3500)
TAX = Decimal("0.08875")


def promotion(
    db: Database,
    *,
    created_by: int,
    kind: PromotionKind,
    seller_share_bps: int = 0,
    seller_id: int | None = None,
    percent_off_bps: int | None = None,
    amount_off_cents: int | None = None,
    min_spend_cents: int = 0,
    min_quantity: int = 1,
    product_ids: list[int] | None = None,
    category_id: int | None = None,
    holdout_bps: int = 0,
    starts_at: dt.datetime = T0 - dt.timedelta(days=10),
    ends_at: dt.datetime = T0 + dt.timedelta(days=30),
    name: str = "",
) -> int:
    """An active promotion; ``seller_share_bps`` picks the funder (0 platform, 10,000 seller, else split)."""
    funder = Funder.PLATFORM if seller_share_bps == 0 else Funder.SELLER if seller_share_bps == 10_000 else Funder.SPLIT
    with db.transaction() as s:
        p = Promotion(
            kind=kind, name=name or kind.value, status=PromotionStatus.ACTIVE, seller_id=seller_id,
            created_by=created_by, funder=funder, seller_share_bps=seller_share_bps, percent_off_bps=percent_off_bps,
            amount_off_cents=amount_off_cents, min_spend_cents=min_spend_cents, min_quantity=min_quantity,
            product_ids=product_ids, category_id=category_id, holdout_bps=holdout_bps, starts_at=starts_at,
            ends_at=ends_at, quantity_cap=1000 if kind is PromotionKind.FLASH_DEAL else None,
        )  # fmt: skip
        s.add(p)
        s.flush()
        return p.id


def offers_of(db: Database, promotion_ids: Sequence[int]) -> list[engine.Offer]:
    """The promotions as the engine sees them (what ``offers.for_checkout`` would hand it)."""
    with db.transaction() as s:
        rows = list(s.scalars(select(Promotion).where(Promotion.id.in_(promotion_ids))))
        paths = offers.category_paths(s, rows)
        return [offers.to_offer(p, category_path=paths.get(p.category_id or 0)) for p in rows]


@dataclass(frozen=True, slots=True)
class Deal:
    """A line bought through a flash-deal promotion: ``off_cents`` below the list price per unit."""

    promotion_id: int
    off_cents: int
    seller_share_bps: int = 0


def place_promoted_order(
    db: Database,
    shopper_id: int,
    items: Sequence[tuple[int, int]],
    promotions: Sequence[engine.Offer] = (),
    *,
    deals: Mapping[int, Deal] | None = None,
    status: OrderStatus = OrderStatus.AWAITING_SHIPMENT,
    placed_at: dt.datetime = T0,
    paid: bool = True,
) -> int:
    """A one-seller order of ``items`` (variant id, quantity) priced with ``promotions`` (and ``deals`` per
    variant id), with its own authorised payment; returns the order id."""
    deals = deals or {}
    with db.transaction() as s:
        rows = s.execute(
            select(Variant, Product, Category.path)
            .join(Product, Product.id == Variant.product_id)
            .join(Category, Category.id == Product.category_id)
            .where(Variant.id.in_([v for v, _ in items]))
        ).all()
        found = {v.id: (v, p, path) for v, p, path in rows}
        lines = []
        for variant_id, qty in items:
            v, p, path = found[variant_id]
            deal = deals.get(variant_id)
            price = v.price_cents - (deal.off_cents if deal else 0)
            supply = v.supply_price_cents if p.selling_mode is SellingMode.FULL_CUSTODY else None
            lines.append(LineInput(v.id, v.sku, p.title, p.seller_id, p.selling_mode.value, qty, price, supply,
                                   deal_id=None, was_cents=v.price_cents if deal else None, product_id=p.id,
                                   category_path=path))  # fmt: skip
        engine_lines = [
            engine.Line(ln.variant_id, ln.product_id, ln.seller_id, ln.category_path, ln.selling_mode, ln.quantity,
                        ln.unit_price_cents, ln.supply_price_cents, deal=ln.variant_id in deals)
            for ln in lines
        ]  # fmt: skip
        discounts = engine.apply(engine_lines, list(promotions), fee_for=POLICY.fee_for)
        (seller_id,) = {ln.seller_id for ln in lines}
        priced = quote_seller(seller_id, lines, TAX, POLICY, discounts)
        payment = Payment(
            shopper_id=shopper_id, provider="test", provider_ref="testpay_" + secrets.token_hex(8),
            idempotency_key="pay_" + secrets.token_hex(12), payment_method="tok_visa",
            status=PaymentStatus.AUTHORIZED, amount_cents=priced.total_cents,
        )  # fmt: skip
        s.add(payment)
        s.flush()
        order = Order(
            shopper_id=shopper_id, seller_id=seller_id, payment_id=payment.id, status=status,
            subtotal_cents=priced.subtotal_cents, shipping_cents=priced.shipping_cents,
            discount_cents=priced.discount_cents, tax_cents=priced.tax_cents, total_cents=priced.total_cents,
            tax_rate=str(TAX), ship_to=dict(ADDRESS), placed_at=placed_at, paid_at=placed_at if paid else None,
            lines=[
                OrderLine(
                    variant_id=pl.line.variant_id, sku=pl.line.sku, title=pl.line.title,
                    selling_mode=SellingMode(pl.line.selling_mode), quantity=pl.line.quantity,
                    unit_price_cents=pl.line.unit_price_cents, line_subtotal_cents=pl.subtotal_cents,
                    line_discount_cents=pl.discount_cents, line_tax_cents=pl.tax_cents,
                    line_shipping_cents=pl.shipping_cents, supply_price_cents=pl.line.supply_price_cents,
                )
                for pl in priced.lines
            ],
        )  # fmt: skip
        s.add(order)
        s.flush()
        line_of = {ln.variant_id: ln for ln in order.lines}
        rows_out = [
            OrderDiscount(order_id=order.id, order_line_id=None if a.line_key is None else line_of[a.line_key].id,
                          promotion_id=a.promotion_id, kind=a.kind, amount_cents=a.amount_cents,
                          seller_funded_cents=a.seller_funded_cents, platform_funded_cents=a.platform_funded_cents,
                          label=a.label)
            for a in discounts.adjustments
        ]  # fmt: skip
        for variant_id, deal in deals.items():
            ln = line_of[variant_id]
            amount = deal.off_cents * ln.quantity
            seller_part, platform_part = engine.split(amount, deal.seller_share_bps)
            rows_out.append(OrderDiscount(order_id=order.id, order_line_id=ln.id, promotion_id=deal.promotion_id,
                                          kind=DiscountKind.DEAL, amount_cents=amount, seller_funded_cents=seller_part,
                                          platform_funded_cents=platform_part, label="flash deal"))  # fmt: skip
        s.add_all(rows_out)
        s.flush()
        _redeem(s, order, rows_out, RedemptionStatus.USED if paid else RedemptionStatus.HELD)
        return order.id


def _redeem(s: Session, order: Order, rows: Sequence[OrderDiscount], status: RedemptionStatus) -> None:
    by_promotion: dict[int, list[OrderDiscount]] = {}
    for row in rows:
        by_promotion.setdefault(row.promotion_id, []).append(row)
    units = {ln.id: ln.quantity for ln in order.lines}
    for pid, mine in sorted(by_promotion.items()):
        s.add(
            Redemption(
                promotion_id=pid, shopper_id=order.shopper_id, order_id=order.id, payment_id=order.payment_id,
                discount_cents=sum(r.amount_cents for r in mine),
                seller_funded_cents=sum(r.seller_funded_cents for r in mine),
                platform_funded_cents=sum(r.platform_funded_cents for r in mine),
                units=sum(units[r.order_line_id] for r in mine if r.order_line_id is not None), status=status,
                created_at=order.placed_at, settled_at=order.paid_at,
            )
        )  # fmt: skip


class World:
    """A seller, a shopper and an operator, 10% commission and 2.5% fee, the outbox bus with the payment
    and ledger handlers on a test clock; helpers to ship, refund and read an order's postings."""

    def __init__(self, db: Database, market: Market) -> None:
        self.db, self.market = db, market
        market.user("ada", Role.SHOPPER)
        market.user("ops", Role.OPERATOR)
        self.shopper, self.ops = market.users["ada"], market.users["ops"]
        self.operator = Principal(self.ops, Role.OPERATOR)
        with db.transaction() as s:
            rates.set_rate(s, principal=self.operator, category_id=None, commission_bps=1000, fee_bps=250)
        self.clock, self.provider = Clock(), payments.TestPaymentProvider()
        self.bus = ledger_bus(self.provider, self.clock)
        self.seller = market.seller("acme")

    def ship(self, order_id: int) -> None:
        move(self.db, order_id, OrderStatus.IN_TRANSIT)
        drain(self.db, self.bus)

    def refund(self, order_id: int, cents: int, key: str, lines: dict[int, int] | None = None) -> None:
        with self.db.transaction() as s:
            refund_order(s, provider=self.provider, order_id=order_id, amount_cents=cents, idempotency_key=key,
                         lines=lines)  # fmt: skip
        drain(self.db, self.bus)

    def sums(self, order_id: int) -> dict[tuple[Account, Component], int]:
        p = LedgerPosting
        with self.db.transaction() as s:
            rows = s.execute(
                select(p.account, p.component, func.sum(p.amount_cents))
                .where(p.order_id == order_id)
                .group_by(p.account, p.component)
            ).all()
        return {(a, c): int(t) for a, c, t in rows}

    def account(self, order_id: int, account: Account) -> int:
        return sum(v for (a, _), v in self.sums(order_id).items() if a is account)

    def order(self, order_id: int) -> Order:
        with self.db.transaction() as s:
            order = s.get_one(Order, order_id)
            _ = order.lines
            s.expunge(order)
            return order
