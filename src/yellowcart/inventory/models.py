"""Stock rows carry the invariant 0 <= reserved <= on_hand as database CHECKs: even a bug in Python
cannot oversell, the transaction fails instead."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from yellowcart.db import Base, UTCDateTime, str_enum, utcnow


class WarehouseOperator(enum.StrEnum):
    PLATFORM = "platform"  # platform / 3PL: full custody and platform-owned stock
    SELLER = "seller"  # the seller's own US warehouse: seller-fulfilled stock


class ReservationStatus(enum.StrEnum):
    ACTIVE = "active"  # held for an order that has not shipped
    COMMITTED = "committed"  # shipped: on_hand went down
    RELEASED = "released"  # order cancelled or expired: stock back to available


#: Network defaults for a new (or migrated) warehouse: cut-off 14:00 local, ships the next business day.
DEFAULT_CUTOFF_MINUTES = 14 * 60
DEFAULT_HANDLING_DAYS = 1
DEFAULT_SERVICES = ["ground", "two_day", "next_day"]


class Warehouse(Base):
    """A US warehouse; the network columns (timezone .. services) are what fulfilment promises from.
    ``timezone``/``latitude``/``longitude`` are derived from the ZIP when the warehouse opens."""

    __tablename__ = "warehouses"
    __table_args__ = (
        CheckConstraint("operator <> 'seller' OR seller_id IS NOT NULL", name="seller_warehouse_owner"),
        CheckConstraint("cutoff_minutes >= 0 AND cutoff_minutes < 1440", name="cutoff_in_day"),
        CheckConstraint("handling_days >= 0 AND handling_days <= 7", name="handling_days_range"),
        CheckConstraint("daily_capacity IS NULL OR daily_capacity >= 0", name="capacity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    operator: Mapped[WarehouseOperator] = mapped_column(str_enum(WarehouseOperator, 16))
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id"), index=True)
    line1: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(2))
    zip: Mapped[str] = mapped_column(String(5))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    timezone: Mapped[str | None] = mapped_column(String(64))  # IANA zone; None: the ZIP's own
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    cutoff_minutes: Mapped[int] = mapped_column(
        default=DEFAULT_CUTOFF_MINUTES, server_default=text(str(DEFAULT_CUTOFF_MINUTES))
    )  # local minutes after midnight: orders before it are picked that business day
    handling_days: Mapped[int] = mapped_column(
        default=DEFAULT_HANDLING_DAYS, server_default=text(str(DEFAULT_HANDLING_DAYS))
    )  # business days from pick to hand-over to the carrier
    daily_capacity: Mapped[int | None]  # orders per day; None: not limited
    services: Mapped[list[str]] = mapped_column(
        JSON, default=lambda: list(DEFAULT_SERVICES), server_default=text('\'["ground", "two_day", "next_day"]\'')
    )


class Stock(Base):
    __tablename__ = "stock"
    __table_args__ = (
        UniqueConstraint("variant_id", "warehouse_id", name="uq_stock_variant_warehouse"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= on_hand", name="reserved_le_on_hand"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class Reservation(Base):
    """Units held for an order. A hold is taken first (order_id NULL, expires_at set) in one short
    statement, then attached to its order in the order's transaction; a hold never attached (the
    process died) is released by the expiry sweep, so every reserved unit always has a row here."""

    __tablename__ = "reservations"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("order_id IS NOT NULL OR expires_at IS NOT NULL", name="hold_expires"),
        Index("ix_reservations_order", "order_id"),
        Index("ix_reservations_stock_status", "stock_id", "status"),
        Index("ix_reservations_unattached", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"))
    stock_id: Mapped[int] = mapped_column(ForeignKey("stock.id"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    quantity: Mapped[int]
    status: Mapped[ReservationStatus] = mapped_column(str_enum(ReservationStatus, 16), default=ReservationStatus.ACTIVE)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
