"""Attribution of store orders to tracked clicks, and the reversal of commission on cancellations and
refunds. Money events go to the ledger through the outbox (``redirect.conversion_attributed``,
``redirect.conversion_reversed``); this package never writes ledger tables.

Idempotency: a conversion is UNIQUE per (connection, store order) and an adjustment per (conversion,
kind, Shopify id), both inserted in a savepoint, so a retry or a racing duplicate changes nothing; the
conversion row is locked before its reversed amount moves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yellowcart.catalog.models import Product, Variant
from yellowcart.events import emit
from yellowcart.redirect import rules
from yellowcart.redirect.models import (
    AdjustmentKind,
    Conversion,
    ConversionAdjustment,
    ConversionStatus,
    RedirectClick,
    StoreConnection,
)

ATTRIBUTED_TOPIC = "redirect.conversion_attributed"
REVERSED_TOPIC = "redirect.conversion_reversed"
CURRENCY = "USD"


@dataclass(frozen=True, slots=True)
class AttributionConfig:
    window: dt.timedelta = dt.timedelta(days=7)
    rate_bps: int = 500


@dataclass(frozen=True, slots=True)
class Handled:
    """What a webhook did, recorded on its delivery row (outcome) and answered to the store."""

    outcome: str
    detail: str = ""
    conversion_id: int | None = None


def _seller_skus(session: Session, seller_id: int, skus: Iterable[str]) -> set[str]:
    """Which of these SKUs are the seller's own listings' (the lines that count for it)."""
    wanted = sorted({s for s in skus if s})
    if not wanted:
        return set()
    query = (
        select(Variant.sku)
        .join(Product, Product.id == Variant.product_id)
        .where(Product.seller_id == seller_id, Variant.sku.in_(wanted))
    )
    return set(session.scalars(query))


def _skus_in(items: Any) -> list[str]:
    return (
        [i["sku"] for i in items if isinstance(i, dict) and isinstance(i.get("sku"), str)]
        if isinstance(items, list)
        else []
    )


def _order_key(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | str) or str(value) == "":
        return None
    return str(value)[:64]


def _insert_once(session: Session, row: Conversion | ConversionAdjustment) -> bool:
    """Insert in a savepoint; False when the UNIQUE key says it is already there."""
    session.flush()
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def _judge(
    click: RedirectClick | None,
    connection: StoreConnection,
    ordered_at: dt.datetime,
    currency: str,
    window: dt.timedelta,
) -> str | None:
    """Why the order does not count for the click (None: it counts so far)."""
    if click is None:
        return "unknown_click"
    if click.seller_id != connection.seller_id:
        return "other_seller_click"
    if not rules.in_window(click.created_at, ordered_at, window):
        return "outside_window"
    if currency != CURRENCY:
        return "currency_not_usd"
    return None


@dataclass(frozen=True, slots=True)
class _Verdict:
    order_id: str
    ordered_at: dt.datetime
    currency: str
    click: RedirectClick | None  # the connected seller's click (None for an unknown or foreign one)
    reason: str | None  # why unattributed; None: attributed
    gmv_cents: int


def _conversion(
    connection: StoreConnection, verdict: _Verdict, config: AttributionConfig, now: dt.datetime
) -> Conversion:
    click, attributed = verdict.click, verdict.reason is None
    return Conversion(
        connection_id=connection.id,
        seller_id=connection.seller_id,
        shop_order_id=verdict.order_id,
        click_id=click.id if click else None,
        product_id=click.product_id if click else None,
        content_id=click.content_id if click else None,
        creator_user_id=click.creator_user_id if click else None,
        shopper_id=click.shopper_id if click else None,
        status=ConversionStatus.ATTRIBUTED if attributed else ConversionStatus.UNATTRIBUTED,
        reason=verdict.reason,
        currency=verdict.currency or "???",
        gmv_cents=verdict.gmv_cents,
        commission_rate_bps=config.rate_bps,
        commission_cents=rules.commission(verdict.gmv_cents, config.rate_bps) if attributed else 0,
        ordered_at=verdict.ordered_at,
        created_at=now,
    )


def _verdict(
    session: Session,
    connection: StoreConnection,
    order: Mapping[str, Any],
    click_id: str,
    order_id: str,
    config: AttributionConfig,
    now: dt.datetime,
) -> _Verdict:
    """Judge the order against its click; raises AmountError on amounts that are not money."""
    click = session.get(RedirectClick, click_id)
    ordered_at = rules.parse_time(order.get("created_at")) or now
    currency = str(order.get("currency") or "").upper()[:3]
    reason = _judge(click, connection, ordered_at, currency, config.window)
    gmv = 0
    if reason is None:
        skus = _seller_skus(session, connection.seller_id, _skus_in(order.get("line_items")))
        gmv, _ = rules.seller_gmv(order, skus)
        reason = None if gmv > 0 else "no_seller_items"
    ours = click if reason != "other_seller_click" else None  # another seller's click stays theirs
    return _Verdict(order_id, ordered_at, currency, ours, reason, gmv)


def attribute_order(
    session: Session,
    *,
    connection: StoreConnection,
    order: Mapping[str, Any],
    config: AttributionConfig,
    now: dt.datetime,
) -> Handled:
    """orders/create: attribute the order to the click it carries, within the window, on the seller's
    line items, in USD; otherwise record it unattributed with the reason."""
    order_id, click_id = _order_key(order.get("id")), rules.click_id_of(order)
    if order_id is None:
        return Handled("invalid", "order without an id")
    if click_id is None:
        return Handled("no_click")
    try:
        verdict = _verdict(session, connection, order, click_id, order_id, config, now)
    except rules.AmountError as exc:
        return Handled("invalid", str(exc)[:200])
    conversion = _conversion(connection, verdict, config, now)
    if not _insert_once(session, conversion):
        return Handled("duplicate_order")
    if verdict.reason is not None:
        return Handled("unattributed", verdict.reason, conversion.id)
    emit(
        session,
        ATTRIBUTED_TOPIC,
        conversion_id=conversion.id,
        seller_id=conversion.seller_id,
        gmv_cents=conversion.gmv_cents,
        commission_cents=conversion.commission_cents,
    )
    return Handled("attributed", "", conversion.id)


def _locked_conversion(session: Session, connection: StoreConnection, order_id: str | None) -> Conversion | None:
    if order_id is None:
        return None
    return session.scalar(
        select(Conversion)
        .where(Conversion.connection_id == connection.id, Conversion.shop_order_id == order_id)
        .with_for_update()
    )


def _reverse(
    session: Session,
    conversion: Conversion,
    *,
    kind: AdjustmentKind,
    external_id: str,
    refunded_gmv: int,
    now: dt.datetime,
) -> Handled:
    """Apply a cancellation or refund once: move the cumulative refunded GMV, reverse the commission
    that corresponds to it, emit the amount reversed (if any)."""
    if conversion.status is ConversionStatus.UNATTRIBUTED:
        return Handled("not_attributed", conversion.reason or "", conversion.id)
    total_refunded = min(conversion.gmv_cents, conversion.refunded_gmv_cents + refunded_gmv)
    target = rules.reversed_commission(
        commission_cents=conversion.commission_cents, gmv_cents=conversion.gmv_cents, refunded_gmv_cents=total_refunded
    )
    if kind is AdjustmentKind.CANCEL:
        total_refunded, target = conversion.gmv_cents, conversion.commission_cents
    delta = max(target - conversion.reversed_cents, 0)
    adjustment = ConversionAdjustment(
        conversion_id=conversion.id,
        kind=kind,
        external_id=external_id,
        gmv_cents=total_refunded - conversion.refunded_gmv_cents,
        commission_cents=delta,
        created_at=now,
    )
    if not _insert_once(session, adjustment):
        return Handled("duplicate_adjustment", "", conversion.id)
    conversion.refunded_gmv_cents = total_refunded
    conversion.reversed_cents += delta
    if total_refunded >= conversion.gmv_cents:
        conversion.status = ConversionStatus.REVERSED
    session.flush()
    if delta > 0:
        emit(
            session, REVERSED_TOPIC, conversion_id=conversion.id, seller_id=conversion.seller_id, commission_cents=delta
        )
    return Handled("reversed" if delta > 0 else "nothing_to_reverse", "", conversion.id)


def cancel_order(
    session: Session, *, connection: StoreConnection, order: Mapping[str, Any], now: dt.datetime
) -> Handled:
    """orders/cancelled: the whole remaining commission is reversed."""
    conversion = _locked_conversion(session, connection, _order_key(order.get("id")))
    if conversion is None:
        return Handled("no_conversion")
    return _reverse(session, conversion, kind=AdjustmentKind.CANCEL, external_id="order", refunded_gmv=0, now=now)


def refund_order(
    session: Session, *, connection: StoreConnection, refund: Mapping[str, Any], now: dt.datetime
) -> Handled:
    """refunds/create: reverse the commission on the refunded subtotal of the seller's lines."""
    refund_id = _order_key(refund.get("id"))
    conversion = _locked_conversion(session, connection, _order_key(refund.get("order_id")))
    if conversion is None or refund_id is None:
        return Handled("no_conversion")
    lines = [r for r in refund.get("refund_line_items") or [] if isinstance(r, dict)]
    items: list[dict[str, Any]] = [r["line_item"] if isinstance(r.get("line_item"), dict) else {} for r in lines]
    ours = _seller_skus(session, connection.seller_id, _skus_in(items))
    try:
        pairs = zip(lines, items, strict=True)
        refunded = sum(_refunded_cents(r, item) for r, item in pairs if item.get("sku") in ours)
    except rules.AmountError as exc:
        return Handled("invalid", str(exc)[:200], conversion.id)
    return _reverse(
        session, conversion, kind=AdjustmentKind.REFUND, external_id=refund_id, refunded_gmv=refunded, now=now
    )


def _refunded_cents(refund_line: Mapping[str, Any], item: Mapping[str, Any]) -> int:
    """The refund line's subtotal (after discounts, before tax); without one, unit price x quantity."""
    if refund_line.get("subtotal") is not None:
        return rules.cents(refund_line["subtotal"])
    quantity = refund_line.get("quantity", 0)
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
        raise rules.AmountError(f"quantity {quantity!r} is not a whole number")
    return rules.cents(item.get("price", "0")) * quantity
