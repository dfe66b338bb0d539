"""The history of a listing's selling mode: every switch, who made it, when and why (append-only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from yellowcart.catalog.modes import SellingMode
from yellowcart.db import Base, UTCDateTime, str_enum, utcnow


class SellingModeChange(Base):
    """One switch of a product between selling modes. The product keeps its id, so its content
    anchors, reviews, interactions and order history stay attached across the switch."""

    __tablename__ = "selling_mode_changes"
    __table_args__ = (
        CheckConstraint("from_mode <> to_mode", name="modes_differ"),
        Index("ix_selling_mode_changes_product", "product_id", "id"),
        Index("ix_selling_mode_changes_seller", "seller_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    from_mode: Mapped[SellingMode] = mapped_column(str_enum(SellingMode, 24))
    to_mode: Mapped[SellingMode] = mapped_column(str_enum(SellingMode, 24))
    actor_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(300))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
