"""Orders (one per seller per checkout), their lines and an append-only history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yellowcart.catalog.modes import SellingMode
from yellowcart.db import Base, UTCDateTime, str_enum, utcnow
from yellowcart.orders.state import OrderStatus


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(
            "total_cents = subtotal_cents + shipping_cents + tax_cents - discount_cents", name="total_adds_up"
        ),
        CheckConstraint("subtotal_cents >= 0 AND shipping_cents >= 0 AND tax_cents >= 0", name="amounts_ge_0"),
        Index("ix_orders_shopper_id", "shopper_id", "id"),
        Index("ix_orders_seller_id", "seller_id", "id"),
        Index("ix_orders_status_expiry", "status", "reservation_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shopper_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus, 24))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    subtotal_cents: Mapped[int]
    shipping_cents: Mapped[int]
    discount_cents: Mapped[int] = mapped_column(default=0)
    tax_cents: Mapped[int]
    total_cents: Mapped[int]
    tax_rate: Mapped[str] = mapped_column(String(12))  # the Decimal rate applied, as text, for audit
    ship_to: Mapped[dict[str, Any]] = mapped_column(JSON)
    placed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    reservation_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The delivery promise shown at checkout (fulfilment's cart promise for the ship-to ZIP); null for
    # orders placed without one (no promise possible, or placed before promises existed).
    promised_delivery_date: Mapped[dt.date | None] = mapped_column(Date)
    promise_level: Mapped[str | None] = mapped_column(String(16))
    promise_service: Mapped[str | None] = mapped_column(String(16))
    promise_warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))  # null: a split promise

    lines: Mapped[list[OrderLine]] = relationship(order_by="OrderLine.id", cascade="all, delete-orphan")


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0 AND quantity <= 999", name="quantity_range"),
        CheckConstraint("line_subtotal_cents = unit_price_cents * quantity", name="subtotal_adds_up"),
        CheckConstraint(
            "line_discount_cents >= 0 AND line_discount_cents <= line_subtotal_cents", name="discount_within_subtotal"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    sku: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(250))
    selling_mode: Mapped[SellingMode] = mapped_column(str_enum(SellingMode, 24))
    quantity: Mapped[int]
    unit_price_cents: Mapped[int]
    line_subtotal_cents: Mapped[int]
    line_tax_cents: Mapped[int]  # on the discounted goods
    # Promotions' discounts off this line's goods (promotions.OrderDiscount rows say which and who funds);
    # what the shopper paid for the goods is line_subtotal_cents - line_discount_cents.
    line_discount_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    line_shipping_cents: Mapped[int] = mapped_column(default=0)
    # Full custody: the variant's supply price when the order was placed (what the seller is owed per unit).
    supply_price_cents: Mapped[int | None]


class OrderHistory(Base):
    """Append-only: rows are inserted, never updated or deleted."""

    __tablename__ = "order_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[OrderStatus | None] = mapped_column(str_enum(OrderStatus, 24))
    to_status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus, 24))
    reason: Mapped[str | None] = mapped_column(String(300))
