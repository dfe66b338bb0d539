"""Returns tables: policy overrides, return requests with their lines (grade, disposition, recovery)
and an append-only audit of every status change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yellowcart.db import Base, UTCDateTime, str_enum, utcnow
from yellowcart.returns.policy import Payer, Reason
from yellowcart.returns.state import ReturnStatus


class ReturnPolicyRule(Base):
    """An override of the platform's default return policy for a selling mode, a category (by path
    prefix) or a seller; ``settings`` holds only the fields it changes (validated by policy.check_settings)."""

    __tablename__ = "return_policy_rules"
    __table_args__ = (
        UniqueConstraint("scope", "key", name="uq_return_policy_rules_scope_key"),
        CheckConstraint("scope IN ('mode', 'category', 'seller')", name="scope_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(400))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ReturnRequest(Base):
    __tablename__ = "returns"
    __table_args__ = (
        Index("ix_returns_order", "order_id"),
        Index("ix_returns_shopper_created", "shopper_id", "created_at"),
        Index("ix_returns_seller_status", "seller_id", "status"),
        Index("ix_returns_status_respond_by", "status", "respond_by"),
        CheckConstraint("refund_cents >= 0", name="refund_not_negative"),
        CheckConstraint("label_cost_cents >= 0", name="label_cost_not_negative"),
        CheckConstraint("recovery_cents >= 0", name="recovery_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    shopper_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    status: Mapped[ReturnStatus] = mapped_column(str_enum(ReturnStatus, 24), default=ReturnStatus.REQUEST_PENDING)
    reason: Mapped[Reason] = mapped_column(str_enum(Reason, 24))
    comment: Mapped[str | None] = mapped_column(String(1000))
    photos: Mapped[list[str]] = mapped_column(JSON, default=list)  # references to uploaded media
    reviewer: Mapped[str] = mapped_column(String(16))  # seller (seller-fulfilled) or operator
    review_flags: Mapped[list[str]] = mapped_column(JSON, default=list)  # abuse signals: manual review
    respond_by: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # 48 h from the request
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # null: automatic
    decision_note: Mapped[str | None] = mapped_column(String(500))
    returnless: Mapped[bool] = mapped_column(default=False)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"))  # where the item goes back
    label_payer: Mapped[Payer] = mapped_column(str_enum(Payer, 16))
    label_carrier: Mapped[str | None] = mapped_column(String(32))
    label_provider: Mapped[str | None] = mapped_column(String(16))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    label_ref: Mapped[str | None] = mapped_column(String(500))
    label_cost_cents: Mapped[int] = mapped_column(default=0)
    shipped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    refund_due_by: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # receipt + 5 business days
    refunded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    refund_cents: Mapped[int] = mapped_column(default=0)
    refund_tax_cents: Mapped[int] = mapped_column(default=0)  # of which sales tax (given back by the state)
    restocking_fee_cents: Mapped[int] = mapped_column(default=0)
    label_deducted_cents: Mapped[int] = mapped_column(default=0)
    recovery_cents: Mapped[int] = mapped_column(default=0)  # expected resale / liquidation value
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    lines: Mapped[list[ReturnLine]] = relationship(order_by="ReturnLine.id", cascade="all, delete-orphan")

    @property
    def net_loss_cents(self) -> int:
        """What the return cost the platform and seller together: the refund net of its sales tax (the
        state gives that back) and the label they paid, less what the item will fetch again."""
        label = self.label_cost_cents if self.label_payer is not Payer.SHOPPER else 0
        return self.refund_cents - self.refund_tax_cents + label - self.recovery_cents


class ReturnLine(Base):
    __tablename__ = "return_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("grade IS NULL OR grade IN ('A', 'B', 'C', 'D')", name="grade_known"),
        UniqueConstraint("return_id", "order_line_id", name="uq_return_lines_line"),
        Index("ix_return_lines_order_line", "order_line_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    quantity: Mapped[int]
    refund_cents: Mapped[int] = mapped_column(default=0)
    grade: Mapped[str | None] = mapped_column(String(1))
    disposition: Mapped[str | None] = mapped_column(String(24))
    recovery_cents: Mapped[int] = mapped_column(default=0)
    resale_variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id"))  # restocked / open box


class ReturnEvent(Base):
    """Append-only: who moved a return, when, from what to what, and why."""

    __tablename__ = "return_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[ReturnStatus | None] = mapped_column(str_enum(ReturnStatus, 24))
    to_status: Mapped[ReturnStatus] = mapped_column(str_enum(ReturnStatus, 24))
    note: Mapped[str | None] = mapped_column(String(500))
