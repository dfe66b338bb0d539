"""Return analytics over orders placed in a period: return rate in units and value by department
(top-level category), seller, selling mode, reason and delivery lateness; net loss after recovery; time
to refund. Set-based SQL (one grouped query per dimension), no per-order Python.

*Sold* = units of orders that shipped (in transit or later) placed in the period, and their value as
goods paid (net of promotions, what a return refunds); *returned* = units in the period's orders' returns
that were refunded (completed, returnless included). A return's net
loss = its refund net of sales tax (the state gives that back) + the label when the platform or the
seller paid it - the expected recovery.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from yellowcart.catalog.models import Category, Product, Variant
from yellowcart.fulfillment.models import Shipment, ShipmentStatus
from yellowcart.orders.models import Order, OrderLine
from yellowcart.orders.state import SHIPPED
from yellowcart.returns.models import ReturnLine, ReturnRequest
from yellowcart.returns.policy import Payer
from yellowcart.returns.state import ReturnStatus


@dataclass(frozen=True, slots=True)
class Rate:
    key: str
    sold_units: int
    returned_units: int
    sold_cents: int
    returned_cents: int

    @property
    def unit_rate(self) -> float | None:
        return self.returned_units / self.sold_units if self.sold_units else None

    @property
    def value_rate(self) -> float | None:
        return self.returned_cents / self.sold_cents if self.sold_cents else None


@dataclass(frozen=True, slots=True)
class Report:
    total: Rate
    by_department: list[Rate]
    by_seller: list[Rate]
    by_mode: list[Rate]
    by_reason: list[Rate]  # the rate is against every unit sold: reasons add up to the total
    by_lateness: list[Rate]
    returns: int
    refund_cents: int
    recovery_cents: int
    net_loss_cents: int
    hours_to_refund_p50: float | None
    hours_to_refund_p90: float | None


def _late_orders() -> Select[int]:
    """Orders with a package delivered after its promised date (in UTC days: an approximation)."""
    return (
        select(Shipment.order_id)
        .where(
            Shipment.status == ShipmentStatus.DELIVERED,
            Shipment.promised_date.is_not(None),
            func.date(Shipment.delivered_at) > Shipment.promised_date,
        )
        .distinct()
    )


def _scope(since: dt.datetime, until: dt.datetime, seller_id: int | None) -> list[ColumnElement[bool]]:
    where = [Order.placed_at >= since, Order.placed_at < until, Order.status.in_(SHIPPED)]
    if seller_id is not None:
        where.append(Order.seller_id == seller_id)
    return where


def _returned() -> Select[int, int, int]:
    """Refunded units and value per order line (one row per line, however many returns it had)."""
    return (
        select(
            ReturnLine.order_line_id.label("line_id"),
            func.sum(ReturnLine.quantity).label("units"),
            func.sum(ReturnLine.refund_cents).label("cents"),
        )
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .where(ReturnRequest.status == ReturnStatus.COMPLETED)
        .group_by(ReturnLine.order_line_id)
    )


def _rates(session: Session, key: Any, where: list[ColumnElement[bool]]) -> list[Rate]:
    """Sold and returned per ``key`` (None: one total row)."""
    back = _returned().subquery()
    sums = (
        func.coalesce(func.sum(OrderLine.quantity), 0),
        func.coalesce(func.sum(back.c.units), 0),
        func.coalesce(func.sum(OrderLine.line_subtotal_cents - OrderLine.line_discount_cents), 0),  # goods paid
        func.coalesce(func.sum(back.c.cents), 0),
    )
    query = (
        select(key if key is not None else literal("all"), *sums)
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Variant, Variant.id == OrderLine.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .join(Category, Category.id == Product.category_id)
        .outerjoin(back, back.c.line_id == OrderLine.id)
        .where(*where)
    )
    if key is not None:
        query = query.group_by(key).order_by(key)
    rows = session.execute(query).all()
    return [Rate(str(getattr(k, "value", k)), int(s), int(r), int(sc), int(rc)) for k, s, r, sc, rc in rows]


def _departments(by_path: list[Rate]) -> list[Rate]:
    """Category paths folded into their department (the path's first segment)."""
    out: dict[str, Rate] = {}
    for r in by_path:
        dept = r.key.split("/", 1)[0]
        seen = out.get(dept, Rate(dept, 0, 0, 0, 0))
        out[dept] = Rate(dept, seen.sold_units + r.sold_units, seen.returned_units + r.returned_units,
                         seen.sold_cents + r.sold_cents, seen.returned_cents + r.returned_cents)  # fmt: skip
    return [out[k] for k in sorted(out)]


def _by_reason(session: Session, where: list[ColumnElement[bool]], total: Rate) -> list[Rate]:
    rows = session.execute(
        select(ReturnRequest.reason, func.sum(ReturnLine.quantity), func.sum(ReturnLine.refund_cents))
        .join(ReturnLine, ReturnLine.return_id == ReturnRequest.id)
        .join(Order, Order.id == ReturnRequest.order_id)
        .where(ReturnRequest.status == ReturnStatus.COMPLETED, *where)
        .group_by(ReturnRequest.reason)
        .order_by(ReturnRequest.reason)
    ).all()
    return [Rate(r.value, total.sold_units, int(u or 0), total.sold_cents, int(c or 0)) for r, u, c in rows]


def _money(session: Session, where: list[ColumnElement[bool]]) -> tuple[int, int, int, int, int, list[float]]:
    """Completed returns' count, refunds, refunded tax and recovery; labels the platform or seller paid
    for every return that got one (an empty box or a parcel lost on the way back cost a label too)."""
    done = and_(ReturnRequest.status == ReturnStatus.COMPLETED, *where)
    count, refund, tax, recovery = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(ReturnRequest.refund_cents), 0),
            func.coalesce(func.sum(ReturnRequest.refund_tax_cents), 0),
            func.coalesce(func.sum(ReturnRequest.recovery_cents), 0),
        )
        .join(Order, Order.id == ReturnRequest.order_id)
        .where(done)
    ).one()
    labels = session.scalar(
        select(func.coalesce(func.sum(ReturnRequest.label_cost_cents), 0))
        .join(Order, Order.id == ReturnRequest.order_id)
        .where(ReturnRequest.label_payer != Payer.SHOPPER, ReturnRequest.label_provider.is_not(None), *where)
    )
    times = session.execute(
        select(ReturnRequest.created_at, ReturnRequest.refunded_at)
        .join(Order, Order.id == ReturnRequest.order_id)
        .where(done, ReturnRequest.refunded_at.is_not(None))
    ).all()
    hours = [(b - a).total_seconds() / 3600 for a, b in times if a is not None and b is not None]
    return int(count), int(refund), int(tax), int(labels or 0), int(recovery), hours


def _quantile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 1)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1], 1)


def report(session: Session, *, since: dt.datetime, until: dt.datetime, seller_id: int | None = None) -> Report:
    where = _scope(since, until, seller_id)
    [total] = _rates(session, None, where)
    late = case((OrderLine.order_id.in_(_late_orders()), literal("late")), else_=literal("on_time"))
    count, refund, tax, labels, recovery, hours = _money(session, where)
    return Report(
        total=total,
        by_department=_departments(_rates(session, Category.path, where)),
        by_seller=_rates(session, Order.seller_id, where),
        by_mode=_rates(session, OrderLine.selling_mode, where),
        by_reason=_by_reason(session, where, total),
        by_lateness=_rates(session, late, where),
        returns=count,
        refund_cents=refund,
        recovery_cents=recovery,
        net_loss_cents=refund - tax + labels - recovery,
        hours_to_refund_p50=_quantile(hours, 0.5),
        hours_to_refund_p90=_quantile(hours, 0.9),
    )
