"""Helpers for the ledger tests: orders written the way checkout writes them (real pricing, one
authorised payment each), moved through the real order state machine, and an outbox bus with the
real payment handlers and the ledger's, on a clock the test controls."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, update

from support import ADDRESS, Market
from yellowcart.catalog.models import Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.checkout import handlers as payment_handlers
from yellowcart.checkout.models import Payment, PaymentStatus
from yellowcart.checkout.payments import PaymentProvider
from yellowcart.checkout.pricing import LineInput, ShippingPolicy, quote_seller
from yellowcart.db import Database
from yellowcart.events import EventBus, dispatch_pending
from yellowcart.ledger import handlers as ledger_handlers
from yellowcart.orders import service as orders
from yellowcart.orders.models import Order, OrderLine
from yellowcart.orders.state import OrderStatus

T0 = dt.datetime(2030, 1, 2, 12, 0, tzinfo=dt.UTC)
POLICY = ShippingPolicy(flat_fee_cents=599, free_threshold_cents=3500)
TAX = Decimal("0.08875")


@dataclass
class Clock:
    now: dt.datetime = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, hours: float) -> dt.datetime:
        self.now += dt.timedelta(hours=hours)
        return self.now


def ledger_bus(provider: PaymentProvider, clock: Clock) -> EventBus:
    bus = EventBus()
    payment_handlers.register(bus, provider)
    ledger_handlers.register(bus, clock)
    return bus


def drain(db: Database, bus: EventBus) -> None:
    for _ in range(20):
        if dispatch_pending(db, bus) == 0:
            return
    raise AssertionError("the outbox did not drain")


def listing(market: Market, seller_id: int, mode: SellingMode, price: int, supply: int | None = None) -> int:
    """A one-variant listing; returns the variant id (full custody gets its supply price)."""
    sku = market.product(seller_id, price_cents=price, mode=mode, stock=0)
    with market.db.transaction() as s:
        if supply is not None:
            s.execute(update(Variant).where(Variant.sku == sku).values(supply_price_cents=supply))
        return int(s.scalar(select(Variant.id).where(Variant.sku == sku)) or 0)


def place_order(db: Database, shopper_id: int, items: list[tuple[int, int]], discount: int = 0) -> int:
    """A paid (AWAITING_SHIPMENT) order of one seller with its own authorised payment, priced by
    checkout's pricing; ``items`` are (variant id, quantity)."""
    with db.transaction() as s:
        variants = {v.id: v for v in s.scalars(select(Variant).where(Variant.id.in_([v for v, _ in items])))}
        seller_ids: set[int] = set()
        lines = []
        for variant_id, qty in items:
            v = variants[variant_id]
            product = v.product
            seller_ids.add(product.seller_id)
            lines.append(
                LineInput(
                    v.id, v.sku, product.title, product.seller_id, product.selling_mode.value, qty, v.price_cents,
                    v.supply_price_cents,
                )
            )  # fmt: skip
        assert len(seller_ids) == 1
        priced = quote_seller(seller_ids.pop(), lines, TAX, POLICY)
        discount = min(discount, priced.subtotal_cents)
        total = priced.total_cents - discount
        payment = Payment(
            shopper_id=shopper_id, provider="test", provider_ref="testpay_" + secrets.token_hex(8),
            idempotency_key="pay_" + secrets.token_hex(12), payment_method="tok_visa",
            status=PaymentStatus.AUTHORIZED, amount_cents=total,
        )  # fmt: skip
        s.add(payment)
        s.flush()
        order = Order(
            shopper_id=shopper_id, seller_id=priced.seller_id, payment_id=payment.id,
            status=OrderStatus.AWAITING_SHIPMENT, subtotal_cents=priced.subtotal_cents,
            shipping_cents=priced.shipping_cents, discount_cents=discount, tax_cents=priced.tax_cents,
            total_cents=total, tax_rate=str(TAX), ship_to=dict(ADDRESS), paid_at=T0,
            lines=[
                OrderLine(
                    variant_id=pl.line.variant_id, sku=pl.line.sku, title=pl.line.title,
                    selling_mode=SellingMode(pl.line.selling_mode), quantity=pl.line.quantity,
                    unit_price_cents=pl.line.unit_price_cents, line_subtotal_cents=pl.subtotal_cents,
                    line_tax_cents=pl.tax_cents, line_shipping_cents=pl.shipping_cents,
                    supply_price_cents=pl.line.supply_price_cents,
                )
                for pl in priced.lines
            ],
        )  # fmt: skip
        s.add(order)
        s.flush()
        return order.id


def move(db: Database, order_id: int, target: OrderStatus) -> None:
    """Through the real state machine: IN_TRANSIT emits order.shipped (capture), CANCELLED order.cancelled."""
    with db.transaction() as s:
        order = s.get(Order, order_id)
        assert order is not None
        orders.transition(s, order=order, target=target, actor=None, reason="test")


def line_ids(db: Database, order_id: int) -> list[int]:
    with db.transaction() as s:
        return list(s.scalars(select(OrderLine.id).where(OrderLine.order_id == order_id).order_by(OrderLine.id)))
