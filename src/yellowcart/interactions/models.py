"""Interaction events, append-only. (user, client_event_id) is unique so client retries never count twice."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yellowcart.db import Base, UTCDateTime, str_enum, utcnow


class EventType(enum.StrEnum):
    IMPRESSION = "impression"
    VIEW = "view"
    LIKE = "like"
    SHARE = "share"
    FOLLOW = "follow"
    COMMENT = "comment"
    CART_TAP = "cart_tap"
    ADD_TO_CART = "add_to_cart"
    PURCHASE = "purchase"  # written by the server from order.paid, never accepted from clients
    RETURN = "return"  # written by the server from returns
    HIDE = "hide"  # "not interested"


SERVER_ONLY = frozenset({EventType.PURCHASE, EventType.RETURN})


class InteractionEvent(Base):
    __tablename__ = "interaction_events"
    __table_args__ = (
        UniqueConstraint("user_id", "client_event_id", name="uq_interaction_events_user_client_id"),
        CheckConstraint("watch_ms IS NULL OR (watch_ms >= 0 AND watch_ms <= 86400000)", name="watch_ms_range"),
        CheckConstraint("completion IS NULL OR (completion >= 0 AND completion <= 1)", name="completion_range"),
        CheckConstraint(
            "content_id IS NOT NULL OR product_id IS NOT NULL OR target_user_id IS NOT NULL", name="has_target"
        ),
        Index("ix_interaction_events_user_time", "user_id", "occurred_at"),
        Index("ix_interaction_events_received", "received_at"),
        # Impressions (and other types) over a window, per listing or content, read from the index alone:
        # seller and platform analytics count them on every dashboard (migration 0023).
        Index("ix_interaction_events_type_time", "type", "occurred_at", "product_id", "content_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    client_event_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[EventType] = mapped_column(str_enum(EventType, 16))
    content_id: Mapped[int | None] = mapped_column(ForeignKey("content.id"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    target_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # follow
    watch_ms: Mapped[int | None]
    completion: Mapped[float | None]
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())  # the client's clock, sanity-clamped
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
