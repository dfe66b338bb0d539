"""Content owned by a creator or a seller, tagged with listings (anchors)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yellowcart.db import Base, UTCDateTime, str_enum, utcnow


class ContentKind(enum.StrEnum):
    VIDEO = "video"
    LIVE = "live"


class ContentStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    REMOVED = "removed"  # by its owner or an operator; never shown again


class LiveState(enum.StrEnum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"


class Content(Base):
    __tablename__ = "content"
    __table_args__ = (
        CheckConstraint("duration_s IS NULL OR (duration_s > 0 AND duration_s <= 36000)", name="duration_range"),
        CheckConstraint("kind = 'live' OR live_state IS NULL", name="live_state_only_live"),
        Index("ix_content_status_published", "status", "published_at"),
        Index("ix_content_owner", "owner_user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ContentKind] = mapped_column(str_enum(ContentKind, 8))
    owner_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id"), index=True)  # a seller's own content
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    hashtags: Mapped[list[str]] = mapped_column(JSON, default=list)
    duration_s: Mapped[int | None]
    poster_ref: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[ContentStatus] = mapped_column(str_enum(ContentStatus, 16), default=ContentStatus.DRAFT)
    live_state: Mapped[LiveState | None] = mapped_column(str_enum(LiveState, 16))
    pinned_product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    scheduled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    anchors: Mapped[list[Anchor]] = relationship(order_by="Anchor.position", cascade="all, delete-orphan")


class Anchor(Base):
    """A listing tagged in a piece of content: the yellow cart."""

    __tablename__ = "content_anchors"
    __table_args__ = (
        UniqueConstraint("content_id", "product_id", name="uq_content_anchors_content_product"),
        CheckConstraint("position >= 0 AND position < 50", name="position_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("content.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
