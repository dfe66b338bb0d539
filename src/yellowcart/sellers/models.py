"""A seller account (the business that owns listings, stock and orders) and its onboarding: the
market policies it is judged by, its application, ID document record, GMV history and audit trail."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yellowcart.catalog.modes import SellingMode
from yellowcart.db import Base, UTCDateTime, str_enum, utcnow


class SellerStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Seller(Base):
    __tablename__ = "sellers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[SellerStatus] = mapped_column(str_enum(SellerStatus, 16), default=SellerStatus.PENDING)
    default_selling_mode: Mapped[SellingMode] = mapped_column(
        str_enum(SellingMode, 24), default=SellingMode.SELLER_FULFILLED
    )
    store_url: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


# ---- onboarding ------------------------------------------------------------------------------------


class ApplicationStatus(enum.StrEnum):
    """draft -> submitted -> (needs_info -> submitted) -> approved | rejected (see ``lifecycle``)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    NEEDS_INFO = "needs_info"
    APPROVED = "approved"
    REJECTED = "rejected"


class EntityType(enum.StrEnum):
    SOLE_PROPRIETORSHIP = "sole_proprietorship"
    PARTNERSHIP = "partnership"
    LLC = "llc"
    CORPORATION = "corporation"
    NONPROFIT = "nonprofit"


class DocumentType(enum.StrEnum):
    DRIVERS_LICENSE = "drivers_license"
    PASSPORT = "passport"
    STATE_ID = "state_id"
    PERMANENT_RESIDENT_CARD = "permanent_resident_card"


class SocialPlatform(enum.StrEnum):
    TIKTOK = "tiktok"
    INSTAGRAM = "instagram"
    YOUTUBE = "youtube"
    FACEBOOK = "facebook"


class GmvSource(enum.StrEnum):
    IMPORTED = "imported"  # the seller's sales elsewhere (its own store), imported as JSON or CSV
    PLATFORM = "platform"  # computed from this platform's paid orders of the seller


class MarketPolicy(Base):
    """A market's onboarding policy: a JSON list of typed rules (``sellers.rules``), validated on write.
    ``version`` goes up on every change so an evaluation says which policy it applied."""

    __tablename__ = "market_policies"
    __table_args__ = (CheckConstraint("version >= 1", name="version_positive"),)

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class SellerApplication(Base):
    """One onboarding application per seller account. Numbers are never stored in clear: the EIN as
    its last four digits plus a keyed hash (HMAC-SHA256) so reuse across sellers can be found."""

    __tablename__ = "seller_applications"
    __table_args__ = (
        CheckConstraint("follower_count IS NULL OR follower_count >= 0", name="followers_not_negative"),
        CheckConstraint("(ein_last4 IS NULL) = (ein_hmac IS NULL)", name="ein_last4_with_hmac"),
        CheckConstraint("status <> 'submitted' OR queued_at IS NOT NULL", name="submitted_is_queued"),
        CheckConstraint("status NOT IN ('approved', 'rejected') OR decided_at IS NOT NULL", name="decided_has_time"),
        CheckConstraint(
            "status NOT IN ('rejected', 'needs_info') OR decision_reason IS NOT NULL", name="decision_has_reason"
        ),
        Index("ix_seller_applications_queue", "status", "queued_at", "id"),
        Index("ix_seller_applications_market", "market_code", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), unique=True)
    market_code: Mapped[str] = mapped_column(ForeignKey("market_policies.code"))
    status: Mapped[ApplicationStatus] = mapped_column(str_enum(ApplicationStatus, 16), default=ApplicationStatus.DRAFT)
    opened_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # business entity
    entity_type: Mapped[EntityType | None] = mapped_column(str_enum(EntityType, 24))
    legal_name: Mapped[str | None] = mapped_column(String(200))
    entity_country: Mapped[str | None] = mapped_column(String(2))
    entity_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ein_last4: Mapped[str | None] = mapped_column(String(4))
    ein_hmac: Mapped[str | None] = mapped_column(String(64), index=True)
    # contact, shipping origin, social reach
    phone_e164: Mapped[str | None] = mapped_column(String(16))
    origin_country: Mapped[str | None] = mapped_column(String(2))
    origin_postal_code: Mapped[str | None] = mapped_column(String(12))
    social_platform: Mapped[SocialPlatform | None] = mapped_column(str_enum(SocialPlatform, 16))
    social_handle: Mapped[str | None] = mapped_column(String(64))
    follower_count: Mapped[int | None]
    # the latest evaluation against the market's policy
    eligible: Mapped[bool] = mapped_column(default=False)
    evaluation: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    evaluated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    policy_version: Mapped[int | None]
    # review
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # first submission
    queued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # last entered the review queue
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class SellerIdDocument(Base):
    """The representative's ID document: what it is, where from, until when, and the number only as its
    last four characters plus a keyed hash of (type, country, state, number)."""

    __tablename__ = "seller_id_documents"
    __table_args__ = (CheckConstraint("length(number_hmac) = 64", name="hmac_is_sha256_hex"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("seller_applications.id", ondelete="CASCADE"), unique=True)
    doc_type: Mapped[DocumentType] = mapped_column(str_enum(DocumentType, 32))
    number_last4: Mapped[str] = mapped_column(String(4))
    number_hmac: Mapped[str] = mapped_column(String(64), index=True)
    expires_on: Mapped[dt.date] = mapped_column(Date)
    issuing_country: Mapped[str] = mapped_column(String(2))
    issuing_state: Mapped[str | None] = mapped_column(String(2))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SellerGmvDay(Base):
    """A day of the applicant's GMV from one source; the policy sees the sum of the sources per day."""

    __tablename__ = "seller_gmv_days"
    __table_args__ = (
        CheckConstraint("gmv_cents >= 0", name="gmv_not_negative"),
        UniqueConstraint("application_id", "day", "source", name="uq_seller_gmv_days_day_source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("seller_applications.id", ondelete="CASCADE"))
    day: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[GmvSource] = mapped_column(str_enum(GmvSource, 16))
    gmv_cents: Mapped[int] = mapped_column(BigInteger)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SellerApplicationHistory(Base):
    """Append-only audit of status changes: who, when, from, to, why."""

    __tablename__ = "seller_application_history"
    __table_args__ = (
        CheckConstraint(
            "to_status NOT IN ('rejected', 'needs_info') OR reason IS NOT NULL", name="decision_has_reason"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("seller_applications.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_role: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[ApplicationStatus | None] = mapped_column(str_enum(ApplicationStatus, 16))
    to_status: Mapped[ApplicationStatus] = mapped_column(str_enum(ApplicationStatus, 16))
    reason: Mapped[str | None] = mapped_column(String(500))
