"""Redirect tables: tracked clicks, store connections, webhook deliveries (de-duplicated), conversions
with their reversals, and the cutover per market. The database holds the rules that make retries and
races safe: UNIQUE event id per connection, UNIQUE order per connection, UNIQUE adjustment per refund."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yellowcart.db import Base, UTCDateTime, str_enum, utcnow


class ClickMedium(enum.StrEnum):
    """Where the tap came from: utm_medium on the tracked link."""

    VIDEO = "video"
    LIVE = "live"
    FEED = "feed"
    PRODUCT_PAGE = "product_page"


class RedirectClick(Base):
    """One tap on a redirect listing's "buy on the store" link. The id is the unguessable token in
    ``/r/{id}`` and in the store URL's ``yc_click``: knowing it is what an order attributes with."""

    __tablename__ = "redirect_clicks"
    __table_args__ = (
        Index("ix_redirect_clicks_seller_created", "seller_id", "created_at"),
        Index("ix_redirect_clicks_product", "product_id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    content_id: Mapped[int | None] = mapped_column(ForeignKey("content.id"))
    creator_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    shopper_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # null: an anonymous visitor
    medium: Mapped[ClickMedium] = mapped_column(str_enum(ClickMedium, 16))
    user_agent_hash: Mapped[str | None] = mapped_column(String(64))  # SHA-256 hex; the agent itself is not kept
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StorePlatform(enum.StrEnum):
    SHOPIFY = "shopify"


class StoreConnection(Base):
    """A seller's own store, connected so its order webhooks reach us. The signing secret is stored
    because verifying an HMAC needs it in clear; it is write-only at the API and never logged."""

    __tablename__ = "store_connections"
    __table_args__ = (UniqueConstraint("platform", "shop_domain", name="uq_store_connections_shop"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    platform: Mapped[StorePlatform] = mapped_column(str_enum(StorePlatform, 16))
    shop_domain: Mapped[str] = mapped_column(String(255))
    webhook_secret: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class StoreWebhookEvent(Base):
    """A webhook delivery handled once: UNIQUE (connection, X-Shopify-Event-Id) makes a retried or
    concurrently duplicated delivery store nothing new."""

    __tablename__ = "store_webhook_events"
    __table_args__ = (UniqueConstraint("connection_id", "event_id", name="uq_store_webhook_events_event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("store_connections.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(128))
    topic: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(32))  # attributed, unattributed, reversed, ignored, ...
    detail: Mapped[str] = mapped_column(String(200), default="")
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConversionStatus(enum.StrEnum):
    ATTRIBUTED = "attributed"  # commission is owed (less what refunds reversed)
    UNATTRIBUTED = "unattributed"  # carried our click id but did not qualify (reason says why)
    REVERSED = "reversed"  # cancelled or fully refunded: the whole commission was reversed


class Conversion(Base):
    """A store order that carried one of our click ids: order -> click -> product, content, creator,
    shopper, with the GMV, the commission rate used and what has been reversed since."""

    __tablename__ = "redirect_conversions"
    __table_args__ = (
        UniqueConstraint("connection_id", "shop_order_id", name="uq_redirect_conversions_order"),
        CheckConstraint("gmv_cents >= 0", name="gmv_not_negative"),
        CheckConstraint("commission_rate_bps >= 0 AND commission_rate_bps <= 10000", name="rate_range"),
        CheckConstraint("commission_cents >= 0", name="commission_not_negative"),
        CheckConstraint("reversed_cents >= 0 AND reversed_cents <= commission_cents", name="reversed_range"),
        CheckConstraint("refunded_gmv_cents >= 0 AND refunded_gmv_cents <= gmv_cents", name="refunded_range"),
        CheckConstraint("status = 'unattributed' OR click_id IS NOT NULL", name="attributed_has_click"),
        CheckConstraint("status <> 'unattributed' OR commission_cents = 0", name="unattributed_no_commission"),
        Index("ix_redirect_conversions_seller", "seller_id", "id"),
        Index("ix_redirect_conversions_click", "click_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("store_connections.id"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    shop_order_id: Mapped[str] = mapped_column(String(64))
    click_id: Mapped[str | None] = mapped_column(ForeignKey("redirect_clicks.id"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    content_id: Mapped[int | None] = mapped_column(ForeignKey("content.id"))
    creator_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    shopper_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[ConversionStatus] = mapped_column(str_enum(ConversionStatus, 16))
    reason: Mapped[str | None] = mapped_column(String(64))  # why unattributed
    currency: Mapped[str] = mapped_column(String(3))
    gmv_cents: Mapped[int]
    commission_rate_bps: Mapped[int]
    commission_cents: Mapped[int]
    reversed_cents: Mapped[int] = mapped_column(default=0)
    refunded_gmv_cents: Mapped[int] = mapped_column(default=0)
    ordered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class AdjustmentKind(enum.StrEnum):
    CANCEL = "cancel"
    REFUND = "refund"


class ConversionAdjustment(Base):
    """A cancellation or refund applied to a conversion, once per (kind, Shopify id) whatever event id
    it arrives under."""

    __tablename__ = "redirect_conversion_adjustments"
    __table_args__ = (
        UniqueConstraint("conversion_id", "kind", "external_id", name="uq_redirect_adjustments_external"),
        CheckConstraint("gmv_cents >= 0", name="gmv_not_negative"),
        CheckConstraint("commission_cents >= 0", name="commission_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversion_id: Mapped[int] = mapped_column(ForeignKey("redirect_conversions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AdjustmentKind] = mapped_column(str_enum(AdjustmentKind, 16))
    external_id: Mapped[str] = mapped_column(String(64))
    gmv_cents: Mapped[int]  # GMV refunded by this adjustment (a cancellation: what was left)
    commission_cents: Mapped[int]  # commission reversed by it
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CutoverStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Cutover(Base):
    """The instant redirect links stop working in a market; operators schedule, move or cancel it."""

    __tablename__ = "redirect_cutovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    market: Mapped[str] = mapped_column(String(16), unique=True)  # a market code, as sellers names them
    cutover_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status: Mapped[CutoverStatus] = mapped_column(str_enum(CutoverStatus, 16), default=CutoverStatus.SCHEDULED)
    note: Mapped[str] = mapped_column(String(300), default="")
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
