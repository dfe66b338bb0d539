"""Checkout tables: carts, payments, idempotency keys and the sales-tax rate table."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yellowcart.db import Base, UTCDateTime, str_enum, utcnow


class CartStatus(enum.StrEnum):
    ACTIVE = "active"
    CHECKED_OUT = "checked_out"


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"  # sent to the provider, outcome not known yet (e.g. timeout)
    AUTHORIZED = "authorized"
    DECLINED = "declined"
    CAPTURED = "captured"
    VOIDED = "voided"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


class IdempotencyState(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    DONE = "done"


class Cart(Base):
    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    shopper_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[CartStatus] = mapped_column(str_enum(CartStatus, 16), default=CartStatus.ACTIVE)
    ship_to: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    coupon_codes: Mapped[list[str] | None] = mapped_column(JSON)  # codes the shopper entered (upper case)
    # The total and discounts last shown to the shopper: checkout refuses to charge anything else
    # without saying so first (a promotion that ended in between is a 409, never a silent change).
    quoted_total_cents: Mapped[int | None]
    quoted_discounts: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    lines: Mapped[list[CartLine]] = relationship(order_by="CartLine.id", cascade="all, delete-orphan")


class CartLine(Base):
    __tablename__ = "cart_lines"
    __table_args__ = (
        UniqueConstraint("cart_id", "variant_id", name="uq_cart_lines_cart_variant"),
        CheckConstraint("quantity > 0 AND quantity <= 999", name="quantity_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    quantity: Mapped[int]


class Payment(Base):
    """One payment per checkout; it may cover several per-seller orders."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("captured_cents >= 0 AND refunded_cents >= 0", name="amounts_ge_0"),
        CheckConstraint("refunded_cents <= captured_cents", name="refund_le_captured"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shopper_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    provider_ref: Mapped[str | None] = mapped_column(String(120), unique=True)
    # Sent to the provider as its idempotency key: a retried authorisation can never charge twice.
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    payment_method: Mapped[str] = mapped_column(String(120))
    status: Mapped[PaymentStatus] = mapped_column(str_enum(PaymentStatus, 24))
    amount_cents: Mapped[int]
    captured_cents: Mapped[int] = mapped_column(default=0)
    refunded_cents: Mapped[int] = mapped_column(default=0)
    voided_cents: Mapped[int] = mapped_column(default=0)
    decline_code: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class IdempotencyKey(Base):
    """A client's Idempotency-Key: the unique constraint is what makes concurrent retries safe."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(255))
    endpoint: Mapped[str] = mapped_column(String(120))
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[IdempotencyState] = mapped_column(str_enum(IdempotencyState, 16))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    response_status: Mapped[int | None]
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class TaxRate(Base):
    """State base sales-tax rate. Local (county/city/district) rates are not applied yet."""

    __tablename__ = "tax_rates"
    __table_args__ = (CheckConstraint("rate >= 0 AND rate < 0.2", name="rate_range"),)

    state: Mapped[str] = mapped_column(String(2), primary_key=True)
    rate: Mapped[Decimal] = mapped_column(Numeric(8, 6))
    effective_date: Mapped[dt.date]
    source: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
