"""What the returns flow needs to know about an order, read once: each line's delivery, category,
selling mode, policy and the units already spoken for; the shopper's time zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yellowcart.catalog.models import Category, Product, Variant
from yellowcart.fulfillment.delivered import DeliveredLine, delivered_lines
from yellowcart.fulfillment.geo import place_of
from yellowcart.orders.models import Order, OrderLine
from yellowcart.returns import policy as rules
from yellowcart.returns.models import ReturnLine, ReturnPolicyRule, ReturnRequest
from yellowcart.returns.state import OPEN

FALLBACK_TZ = "America/New_York"


@dataclass(frozen=True, slots=True)
class LineContext:
    line: OrderLine
    category_path: str
    product_id: int
    policy: rules.Policy
    delivered: DeliveredLine | None
    taken: int  # units in open or completed returns

    def facts(self) -> rules.LineFacts:
        d = self.delivered
        return rules.LineFacts(
            order_line_id=self.line.id,
            quantity=self.line.quantity,
            delivered_quantity=d.quantity if d else 0,
            delivered_at=d.delivered_at if d else None,
            taken=self.taken,
        )

    def money(self) -> rules.LineMoney:
        """What the shopper paid for the line: a return refunds that, never the list price (goods net of
        the line's promotions; its tax was computed on that net amount)."""
        ln = self.line
        goods = ln.line_subtotal_cents - ln.line_discount_cents
        return rules.LineMoney(ln.quantity, goods, ln.line_tax_cents, ln.line_shipping_cents)


@dataclass(frozen=True, slots=True)
class OrderContext:
    order: Order
    tz: str
    lines: dict[int, LineContext]


def shopper_tz(order: Order) -> str:
    place = place_of(str(order.ship_to.get("zip", ""))[:5])
    return place.timezone if place and place.timezone else FALLBACK_TZ


def policy_rules(session: Session, built_in: Sequence[rules.Rule] = ()) -> list[rules.Rule]:
    """The operators' rules over the built-in ones (same scope and key: the operators' wins)."""
    mine = [rules.Rule(r.scope, r.key, r.settings) for r in session.scalars(select(ReturnPolicyRule))]
    taken = {(r.scope, r.key) for r in mine}
    return [r for r in built_in if (r.scope, r.key) not in taken] + mine


def taken_units(session: Session, *, order_id: int) -> dict[int, int]:
    """Units of each line in returns that are open or completed (rejected/cancelled ones free them)."""
    rows = session.execute(
        select(ReturnLine.order_line_id, func.sum(ReturnLine.quantity))
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .where(ReturnRequest.order_id == order_id, ReturnRequest.status.in_(OPEN))
        .group_by(ReturnLine.order_line_id)
    ).all()
    return {line_id: int(qty or 0) for line_id, qty in rows}


def order_context(
    session: Session, *, order: Order, base: rules.Policy, built_in: Sequence[rules.Rule] = ()
) -> OrderContext:
    found = session.execute(
        select(OrderLine.id, Product.id, Category.path)
        .join(Variant, Variant.id == OrderLine.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .join(Category, Category.id == Product.category_id)
        .where(OrderLine.order_id == order.id)
    ).all()
    where = {line_id: (product_id, path) for line_id, product_id, path in found}
    overrides = policy_rules(session, built_in)
    delivered = delivered_lines(session, order_id=order.id)
    taken = taken_units(session, order_id=order.id)
    lines = {}
    for ln in order.lines:
        product_id, path = where[ln.id]
        resolved = rules.resolve(
            base, overrides, mode=ln.selling_mode.value, category_path=path, seller_id=order.seller_id
        )
        lines[ln.id] = LineContext(ln, path, product_id, resolved, delivered.get(ln.id), taken.get(ln.id, 0))
    return OrderContext(order, shopper_tz(order), lines)


def eligibility(ctx: OrderContext, *, now: dt.datetime) -> list[tuple[LineContext, rules.LineEligibility]]:
    return [(lc, rules.line_eligibility(lc.facts(), lc.policy, now=now, tz=ctx.tz)) for lc in ctx.lines.values()]
