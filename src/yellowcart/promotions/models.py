"""Promotions' tables: the promotion, its coupon codes and claims, each shopper's uses, each redemption
(one per order that used it) and each order's discount lines (who funds what).

The database carries the guarantees that matter when requests race: a promotion's redemptions never
pass its total limit and its spend never passes its budget (CHECKs on counters that one conditional
UPDATE moves), a shopper's uses never pass the per-shopper limit (a CHECK on the counter row, as live
deals do), a code names one promotion, and a promotion is used at most once per order.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yellowcart.db import Base, UTCDateTime, str_enum, utcnow


class PromotionKind(enum.StrEnum):
    PRODUCT_DISCOUNT = "product_discount"  # percent or amount off listed variants / products / a category
    COUPON = "coupon"  # applied by code, or claimed in the feed first; min spend, limits, new customers
    FREE_SHIPPING = "free_shipping"  # waives a seller order's shipping fee from a spend threshold
    BUNDLE = "bundle"  # buy min_quantity (or more) of the scope, get percent/amount off them
    FLASH_DEAL = "flash_deal"  # a deal price for a quantity cap and a short window (a live deal without a room)


class PromotionStatus(enum.StrEnum):
    DRAFT = "draft"  # being set up: not applied, not shown
    ACTIVE = "active"  # applied within [starts_at, ends_at) while budget and limits last
    PAUSED = "paused"  # stopped by its owner; may be resumed
    ENDED = "ended"  # over for good: ended by hand, budget or quantity used up


class Funder(enum.StrEnum):
    SELLER = "seller"  # seller_share_bps = 10,000
    PLATFORM = "platform"  # seller_share_bps = 0
    SPLIT = "split"  # 0 < seller_share_bps < 10,000


class RedemptionStatus(enum.StrEnum):
    HELD = "held"  # the order is placed, not paid yet: counts against the budget and limits
    USED = "used"  # the order was paid
    RELEASED = "released"  # the unpaid order was cancelled (declined, expired): budget and limits given back


class DiscountKind(enum.StrEnum):
    GOODS = "goods"  # off a line's merchandise (order_lines.line_discount_cents sums these)
    SHIPPING = "shipping"  # a seller order's shipping fee waived (orders.shipping_cents is what is left)
    DEAL = "deal"  # a flash deal's price below the list price (already in the line's unit price)


class Promotion(Base):
    __tablename__ = "promotions"
    __table_args__ = (
        CheckConstraint(
            "(funder = 'seller' AND seller_share_bps = 10000) OR (funder = 'platform' AND seller_share_bps = 0)"
            " OR (funder = 'split' AND seller_share_bps > 0 AND seller_share_bps < 10000)",
            name="funding_consistent",
        ),
        CheckConstraint("funder = 'platform' OR seller_id IS NOT NULL", name="seller_funds_own_listings"),
        CheckConstraint(
            "(kind = 'free_shipping' AND percent_off_bps IS NULL AND amount_off_cents IS NULL)"
            " OR (kind <> 'free_shipping' AND (percent_off_bps IS NULL) <> (amount_off_cents IS NULL))",
            name="one_discount_form",
        ),
        CheckConstraint(
            "percent_off_bps IS NULL OR (percent_off_bps > 0 AND percent_off_bps <= 9000)", name="pct_range"
        ),
        CheckConstraint("amount_off_cents IS NULL OR amount_off_cents > 0", name="amount_positive"),
        CheckConstraint("min_spend_cents >= 0", name="min_spend_ge_0"),
        CheckConstraint("min_quantity >= 1 AND (kind <> 'bundle' OR min_quantity >= 2)", name="min_quantity_range"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("per_shopper_limit IS NULL OR per_shopper_limit >= 1", name="per_shopper_ge_1"),
        CheckConstraint("total_limit IS NULL OR total_limit >= 1", name="total_limit_ge_1"),
        CheckConstraint("budget_cents IS NULL OR budget_cents > 0", name="budget_positive"),
        CheckConstraint("holdout_bps >= 0 AND holdout_bps <= 5000", name="holdout_range"),
        CheckConstraint(
            "redemptions >= 0 AND (total_limit IS NULL OR redemptions <= total_limit)", name="within_limit"
        ),
        CheckConstraint(
            "budget_used_cents >= 0 AND (budget_cents IS NULL OR budget_used_cents <= budget_cents)",
            name="within_budget",
        ),
        CheckConstraint("kind <> 'flash_deal' OR quantity_cap IS NOT NULL", name="flash_has_cap"),
        CheckConstraint("quantity_cap IS NULL OR quantity_cap > 0", name="cap_positive"),
        CheckConstraint("claimable = false OR kind = 'coupon'", name="only_coupons_claimable"),
        Index("ix_promotions_status_window", "status", "starts_at", "ends_at"),
        Index("ix_promotions_seller", "seller_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PromotionKind] = mapped_column(str_enum(PromotionKind, 24))
    name: Mapped[str] = mapped_column(String(120))
    status: Mapped[PromotionStatus] = mapped_column(str_enum(PromotionStatus, 16), default=PromotionStatus.DRAFT)
    # Whose listings it covers: a seller's own (its promotions, or the platform's for it); null: every
    # seller's listings in scope (platform promotions only).
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id"))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    funder: Mapped[Funder] = mapped_column(str_enum(Funder, 16))
    seller_share_bps: Mapped[int]  # the seller's share of each discount (platform: the rest)
    percent_off_bps: Mapped[int | None]  # 1,500 = 15% off (flash deal: off the list price)
    amount_off_cents: Mapped[int | None]  # per unit for product discounts and flash deals, per order otherwise
    # Scope: listings (product ids), variants, a category (and below). All null: everything the owner sells.
    product_ids: Mapped[list[int] | None] = mapped_column(JSON)
    variant_ids: Mapped[list[int] | None] = mapped_column(JSON)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    min_spend_cents: Mapped[int] = mapped_column(default=0)  # coupons, free shipping: on the discounted subtotal
    min_quantity: Mapped[int] = mapped_column(default=1)  # bundles: units of the scope in one order
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    per_shopper_limit: Mapped[int | None]  # orders per shopper
    total_limit: Mapped[int | None]  # orders in all
    budget_cents: Mapped[int | None]  # discount spend in all (both funders' shares)
    new_customer_only: Mapped[bool] = mapped_column(default=False)
    claimable: Mapped[bool] = mapped_column(default=False)  # coupons shown in the feed, claimed before use
    exclusive: Mapped[bool] = mapped_column(default=False)  # combines with nothing: only full-price lines
    holdout_bps: Mapped[int] = mapped_column(default=0)  # shoppers never shown it, to measure its lift
    quantity_cap: Mapped[int | None]  # flash deals: units at the deal price
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("live_deals.id"))  # flash deals: the deal that sells them
    redemptions: Mapped[int] = mapped_column(default=0)  # held + used
    budget_used_cents: Mapped[int] = mapped_column(default=0)  # held + used
    end_reason: Mapped[str | None] = mapped_column(String(32))
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class CouponCode(Base):
    """A code that applies a coupon; a personal code (``shopper_id``) works for that shopper only."""

    __tablename__ = "coupon_codes"
    __table_args__ = (CheckConstraint("code = upper(code)", name="code_upper"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    promotion_id: Mapped[int] = mapped_column(ForeignKey("promotions.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    shopper_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CouponClaim(Base):
    """A shopper claimed a claimable coupon (in the feed or on a product page)."""

    __tablename__ = "coupon_claims"

    promotion_id: Mapped[int] = mapped_column(ForeignKey("promotions.id", ondelete="CASCADE"), primary_key=True)
    shopper_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    claimed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PromotionShopper(Base):
    """How many live orders a shopper has with a promotion; ``cap`` is the per-shopper limit, so the
    CHECK refuses the one increment that would pass it, whichever of two racing requests is second."""

    __tablename__ = "promotion_shoppers"
    __table_args__ = (
        CheckConstraint("uses >= 0", name="uses_not_negative"),
        CheckConstraint("cap IS NULL OR uses <= cap", name="uses_within_cap"),
    )

    promotion_id: Mapped[int] = mapped_column(ForeignKey("promotions.id", ondelete="CASCADE"), primary_key=True)
    shopper_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    uses: Mapped[int]
    cap: Mapped[int | None]


class Redemption(Base):
    """One order's use of one promotion: what it took off and who pays for it."""

    __tablename__ = "promotion_redemptions"
    __table_args__ = (
        UniqueConstraint("promotion_id", "order_id", name="uq_promotion_redemptions_promotion_order"),
        CheckConstraint("discount_cents >= 0", name="discount_ge_0"),
        CheckConstraint("seller_funded_cents + platform_funded_cents = discount_cents", name="funding_adds_up"),
        CheckConstraint("seller_funded_cents >= 0 AND platform_funded_cents >= 0", name="funding_ge_0"),
        Index("ix_promotion_redemptions_promotion", "promotion_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    promotion_id: Mapped[int] = mapped_column(ForeignKey("promotions.id"))
    shopper_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    code: Mapped[str | None] = mapped_column(String(32))
    discount_cents: Mapped[int]
    seller_funded_cents: Mapped[int]
    platform_funded_cents: Mapped[int]
    units: Mapped[int] = mapped_column(default=0)  # units bought at the promotion (flash deals, bundles)
    status: Mapped[RedemptionStatus] = mapped_column(str_enum(RedemptionStatus, 16), default=RedemptionStatus.HELD)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # paid (used) or released


class OrderDiscount(Base):
    """One line of an order's price explanation: ``amount_cents`` off a line's goods (``order_line_id``)
    or off the order's shipping, from one promotion, split between its funders."""

    __tablename__ = "order_discounts"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("seller_funded_cents + platform_funded_cents = amount_cents", name="funding_adds_up"),
        CheckConstraint("seller_funded_cents >= 0 AND platform_funded_cents >= 0", name="funding_ge_0"),
        CheckConstraint("(kind = 'shipping') = (order_line_id IS NULL)", name="line_unless_shipping"),
        Index("ix_order_discounts_promotion", "promotion_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"))
    promotion_id: Mapped[int] = mapped_column(ForeignKey("promotions.id"))
    kind: Mapped[DiscountKind] = mapped_column(str_enum(DiscountKind, 16))
    amount_cents: Mapped[int]
    seller_funded_cents: Mapped[int]
    platform_funded_cents: Mapped[int]
    label: Mapped[str] = mapped_column(String(120))  # as explained: "coupon SPRING", "bundle: 2+ get 10% off"


def scope_of(promotion: Promotion) -> dict[str, Any]:
    """The promotion's scope as stored (for audit and API answers)."""
    return {
        "product_ids": promotion.product_ids,
        "variant_ids": promotion.variant_ids,
        "category_id": promotion.category_id,
    }
