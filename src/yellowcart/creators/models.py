"""Creators' affiliate programme: membership, the rates sellers offer (open per listing, targeted per
creator), each creator's showcase, and attributions of sold lines (or store orders) to the creator whose
content led to them, with the units returned since.

A creator is a user with the creator role; its id everywhere is the user id (content owners and
redirect clicks already name creators that way). The database keeps the rules that matter when two
requests race: one membership per creator, one open rate per listing, one targeted rate per (listing,
creator), one showcase entry per (creator, listing), one attribution per order line and per store
order, one return record per (attribution, return); rates stay within 1%..80%.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yellowcart.catalog.modes import SellingMode
from yellowcart.creators.rules import RateKind, TouchKind
from yellowcart.db import Base, UTCDateTime, str_enum, utcnow

RATE_CHECK = "rate_bps >= 100 AND rate_bps <= 8000"
TERMS_VERSION = "2026-11"  # the programme terms a creator accepts when joining


class MemberStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # by an operator: earns nothing new, cannot tag or showcase


class Membership(Base):
    """A creator in the affiliate programme (joined by accepting the terms)."""

    __tablename__ = "creator_memberships"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'suspended')", name="status_known"),
        CheckConstraint("status <> 'suspended' OR suspended_reason IS NOT NULL", name="suspension_has_reason"),
    )

    creator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    status: Mapped[MemberStatus] = mapped_column(str_enum(MemberStatus, 16), default=MemberStatus.ACTIVE)
    terms_version: Mapped[str] = mapped_column(String(16))
    accepted_terms_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    suspended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    suspended_reason: Mapped[str | None] = mapped_column(String(300))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class OpenRate(Base):
    """The commission a listing's seller offers every creator in the programme."""

    __tablename__ = "creator_open_rates"
    __table_args__ = (CheckConstraint(RATE_CHECK, name="rate_range"),)

    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    rate_bps: Mapped[int]
    set_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class TargetedRate(Base):
    """A rate offered to one creator for one listing; it overrides the open rate for that creator."""

    __tablename__ = "creator_targeted_rates"
    __table_args__ = (
        UniqueConstraint("product_id", "creator_id", name="uq_creator_targeted_rates_product_creator"),
        CheckConstraint(RATE_CHECK, name="rate_range"),
        Index("ix_creator_targeted_rates_creator", "creator_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    creator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    rate_bps: Mapped[int]
    set_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ShowcaseItem(Base):
    """A listing a creator added to its showcase: only these can it tag in its videos and rooms."""

    __tablename__ = "creator_showcase_items"
    __table_args__ = (UniqueConstraint("creator_id", "product_id", name="uq_creator_showcase_items_creator_product"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Attribution(Base):
    """An order line (closed loop) or a store order (redirect conversion) credited to a creator, with the
    rate snapshotted when it was attributed and the commission on all of its units. What the creator
    holds is the ledger's (accrued when the order completes, reversed for returned units)."""

    __tablename__ = "creator_attributions"
    __table_args__ = (
        UniqueConstraint("order_line_id", name="uq_creator_attributions_order_line"),
        UniqueConstraint("conversion_id", name="uq_creator_attributions_conversion"),
        CheckConstraint("(order_line_id IS NULL) <> (conversion_id IS NULL)", name="line_or_conversion"),
        CheckConstraint("order_line_id IS NULL OR (order_id IS NOT NULL AND units IS NOT NULL)", name="line_has_order"),
        CheckConstraint(RATE_CHECK, name="rate_range"),
        CheckConstraint("units IS NULL OR units > 0", name="units_positive"),
        CheckConstraint("base_cents >= 0 AND commission_cents >= 0", name="amounts_not_negative"),
        CheckConstraint("shopper_id IS NULL OR shopper_id <> creator_id", name="no_self_referral"),
        Index("ix_creator_attributions_creator_ordered", "creator_id", "ordered_at"),
        Index("ix_creator_attributions_content", "content_id"),
        Index("ix_creator_attributions_order", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    content_id: Mapped[int] = mapped_column(ForeignKey("content.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    shopper_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # null: an anonymous store visitor
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"))
    conversion_id: Mapped[int | None] = mapped_column(ForeignKey("redirect_conversions.id"))
    selling_mode: Mapped[SellingMode] = mapped_column(str_enum(SellingMode, 24))
    touch: Mapped[TouchKind] = mapped_column(str_enum(TouchKind, 16))
    touched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ordered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    rate_kind: Mapped[RateKind] = mapped_column(str_enum(RateKind, 16))
    rate_bps: Mapped[int]
    units: Mapped[int | None]  # units sold on the line (store orders: unknown)
    base_cents: Mapped[int]  # what the rate applies to: goods net of discount (store orders: attributed GMV)
    commission_cents: Mapped[int]  # rate x base, for every unit
    earned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # order completed: commission accrued
    attributed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AttributionReturn(Base):
    """Units of an attributed line refunded by one return: recorded once per (attribution, reference), so
    a redelivered ``return.refunded`` counts nothing twice, whether or not commission had accrued yet.
    ``reference`` is ``return-<id>``, or ``backfill`` for returns of bulk-written (demo) orders."""

    __tablename__ = "creator_attribution_returns"
    __table_args__ = (
        UniqueConstraint("attribution_id", "reference", name="uq_creator_attribution_returns_reference"),
        CheckConstraint("units > 0", name="units_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attribution_id: Mapped[int] = mapped_column(ForeignKey("creator_attributions.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(40))
    return_id: Mapped[int | None] = mapped_column(ForeignKey("returns.id"))
    units: Mapped[int]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
