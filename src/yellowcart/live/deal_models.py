"""Live-only deals' tables: the deal, the stock it set aside, each shopper's count, each purchase.

The database carries the deal's guarantees: ``remaining`` can never go below zero (a purchase is one
conditional UPDATE that cannot pass it), a shopper's count can never pass the deal's limit (a CHECK on
the counter row, so two concurrent requests from one shopper cannot both pass), an order line is
bought through at most one deal, and the deal price is below the normal price.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from yellowcart.db import Base, UTCDateTime, str_enum, utcnow


class DealStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # created; nothing set aside yet
    RUNNING = "running"  # units set aside; buyable in the room until ends_at
    ENDED = "ended"  # over; the unsold units went back to the SKU (once)
    CANCELLED = "cancelled"  # never ran (ended before starting, room ended, stock short)


class PurchaseStatus(enum.StrEnum):
    PLACED = "placed"  # the order line holds deal units
    RETURNED = "returned"  # the order was cancelled: units back to the deal (running) or the SKU


class LiveDeal(Base):
    """A price valid only inside one live room, only while it runs, for a limited quantity."""

    __tablename__ = "live_deals"
    __table_args__ = (
        CheckConstraint("price_cents > 0 AND price_cents < was_cents", name="price_below_was"),
        CheckConstraint("quantity > 0 AND quantity <= 100000", name="quantity_range"),
        CheckConstraint("remaining >= 0 AND remaining <= quantity", name="remaining_range"),
        CheckConstraint(
            "per_shopper_limit IS NULL OR (per_shopper_limit > 0 AND per_shopper_limit <= 999)", name="limit_range"
        ),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("status <> 'running' OR started_at IS NOT NULL", name="running_started"),
        CheckConstraint("status NOT IN ('ended', 'cancelled') OR ended_at IS NOT NULL", name="over_has_end"),
        CheckConstraint("released_units IS NULL OR released_units >= 0", name="released_not_negative"),
        Index("ix_live_deals_room", "room_id", "id"),
        # One open deal per listing variant per room: two prices for the same thing at once confuse.
        Index(
            "uq_live_deals_open_variant",
            "room_id",
            "variant_id",
            unique=True,
            sqlite_where=text("status IN ('scheduled', 'running')"),
            postgresql_where=text("status IN ('scheduled', 'running')"),
        ),
        Index("ix_live_deals_status_starts", "status", "starts_at"),
        Index("ix_live_deals_status_ends", "status", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("content.id", ondelete="CASCADE"))  # null: a flash deal
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    sku: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    price_cents: Mapped[int]
    was_cents: Mapped[int]  # the variant's price when the deal was made (shown struck through)
    quantity: Mapped[int]
    remaining: Mapped[int]
    per_shopper_limit: Mapped[int | None]
    status: Mapped[DealStatus] = mapped_column(str_enum(DealStatus, 16), default=DealStatus.SCHEDULED)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(32))
    released_units: Mapped[int | None]  # units given back to the SKU when it ended (set exactly once)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class DealSetAside(Base):
    """Stock a deal set aside (an inventory set-aside reservation); a deal may have several: one per
    warehouse row it drew from, and one per cancelled order whose units came back while it ran."""

    __tablename__ = "live_deal_set_asides"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("live_deals.id", ondelete="CASCADE"), index=True)
    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservations.id"), unique=True)
    quantity: Mapped[int]  # units set aside at the time (the reservation shrinks as buyers take them)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DealShopper(Base):
    """How many deal units a shopper holds in live orders; ``cap`` is the deal's limit, so the CHECK
    refuses the one increment that would pass it, whichever request comes second."""

    __tablename__ = "live_deal_shoppers"
    __table_args__ = (
        CheckConstraint("units >= 0", name="units_not_negative"),
        CheckConstraint("cap IS NULL OR units <= cap", name="units_within_cap"),
    )

    deal_id: Mapped[int] = mapped_column(ForeignKey("live_deals.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    units: Mapped[int]
    cap: Mapped[int | None]


class DealPurchase(Base):
    """An order line bought at a deal's price (what the room sold, what comes back on cancellation)."""

    __tablename__ = "live_deal_purchases"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_live_deal_purchases_deal", "deal_id", "status"),
        Index("ix_live_deal_purchases_room", "room_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("live_deals.id", ondelete="CASCADE"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("content.id", ondelete="CASCADE"))  # null: a flash deal
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"), unique=True)
    shopper_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    quantity: Mapped[int]
    unit_price_cents: Mapped[int]
    was_cents: Mapped[int]
    status: Mapped[PurchaseStatus] = mapped_column(str_enum(PurchaseStatus, 16), default=PurchaseStatus.PLACED)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    returned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
