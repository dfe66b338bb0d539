"""Promotions API shapes. Single fields are checked here (ranges, patterns); rules across fields and
against the catalogue (one discount form per kind, the window, the scope, who funds) in ``admin``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from yellowcart.db import MAX_ID
from yellowcart.live.deal_models import DealStatus
from yellowcart.promotions.models import Funder, PromotionKind, PromotionStatus

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Ids = Annotated[list[Id], Field(min_length=1, max_length=500)]
#: What a coupon code may be: letters, digits, dash and underscore (stored upper case).
CODE_PATTERN = r"^[A-Za-z0-9_-]{3,32}$"


class PromotionIn(BaseModel):
    """A new promotion (a draft until activated). Sellers: ``seller_id`` and ``funder`` are theirs
    (omit them); operators: ``funder`` platform (default) or split with ``seller_share_bps``."""

    model_config = ConfigDict(extra="forbid")

    kind: PromotionKind
    name: str = Field(min_length=1, max_length=120)
    seller_id: Id | None = Field(default=None, description="Whose listings; null: every seller's (operators)")
    funder: Funder | None = Field(default=None, description="Default: seller for sellers, platform for operators")
    seller_share_bps: int | None = Field(default=None, ge=0, le=10_000, description="Split: the seller's share")
    percent_off_bps: int | None = Field(default=None, ge=1, le=9_000, description="1,500 = 15% off")
    amount_off_cents: int | None = Field(
        default=None, ge=1, le=100_000_000, description="Per unit (discounts, flash deals), else per order"
    )
    product_ids: Ids | None = None
    variant_ids: Ids | None = None
    category_id: Id | None = Field(default=None, description="A category and everything below it")
    min_spend_cents: int = Field(default=0, ge=0, le=100_000_000, description="Coupons, free shipping")
    min_quantity: int = Field(default=1, ge=1, le=999, description="Bundles: units of the scope in one order")
    starts_at: AwareDatetime | None = Field(default=None, description="Default: now")
    ends_at: AwareDatetime
    per_shopper_limit: int | None = Field(default=None, ge=1, le=1_000_000)
    total_limit: int | None = Field(default=None, ge=1, le=MAX_ID)
    budget_cents: int | None = Field(default=None, ge=1, le=MAX_ID)
    new_customer_only: bool = False
    claimable: bool = Field(default=False, description="Coupons: shown in the feed and claimed before use")
    exclusive: bool = Field(default=False, description="Coupons: only on lines with no other discount")
    holdout_bps: int = Field(default=0, ge=0, le=5_000, description="Share of shoppers never shown it")
    quantity_cap: int | None = Field(default=None, ge=1, le=100_000, description="Flash deals: units at the price")


class PromotionPatch(BaseModel):
    """Fields to change. A draft may change anything; an active or paused promotion only its name,
    ``ends_at``, ``budget_cents``, ``total_limit`` and ``per_shopper_limit`` (a flash deal: its name)."""

    model_config = ConfigDict(extra="forbid")

    kind: PromotionKind | None = None
    name: str | None = Field(default=None, min_length=1, max_length=120)
    seller_id: Id | None = None
    funder: Funder | None = None
    seller_share_bps: int | None = Field(default=None, ge=0, le=10_000)
    percent_off_bps: int | None = Field(default=None, ge=1, le=9_000)
    amount_off_cents: int | None = Field(default=None, ge=1, le=100_000_000)
    product_ids: Ids | None = None
    variant_ids: Ids | None = None
    category_id: Id | None = None
    min_spend_cents: int | None = Field(default=None, ge=0, le=100_000_000)
    min_quantity: int | None = Field(default=None, ge=1, le=999)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    per_shopper_limit: int | None = Field(default=None, ge=1, le=1_000_000)
    total_limit: int | None = Field(default=None, ge=1, le=MAX_ID)
    budget_cents: int | None = Field(default=None, ge=1, le=MAX_ID)
    new_customer_only: bool | None = None
    claimable: bool | None = None
    exclusive: bool | None = None
    holdout_bps: int | None = Field(default=None, ge=0, le=5_000)
    quantity_cap: int | None = Field(default=None, ge=1, le=100_000)

    @model_validator(mode="after")
    def _not_nulled(self) -> PromotionPatch:
        required = ("kind", "name", "min_spend_cents", "min_quantity", "starts_at", "ends_at", "new_customer_only",
                    "claimable", "exclusive", "holdout_bps")  # fmt: skip
        nulled = [f for f in required if f in self.model_fields_set and getattr(self, f) is None]
        if nulled:
            raise ValueError(f"{', '.join(nulled)} cannot be null")
        return self


class FlashDealState(BaseModel):
    deal_id: int
    status: DealStatus
    price_cents: int
    was_cents: int
    quantity: int
    remaining: int


class PromotionOut(BaseModel):
    id: int
    kind: PromotionKind
    name: str
    label: str = Field(description="As price explanations show it")
    status: PromotionStatus
    seller_id: int | None
    created_by: int
    funder: Funder
    seller_share_bps: int
    percent_off_bps: int | None
    amount_off_cents: int | None
    product_ids: list[int] | None
    variant_ids: list[int] | None
    category_id: int | None
    min_spend_cents: int
    min_quantity: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    per_shopper_limit: int | None
    total_limit: int | None
    budget_cents: int | None
    new_customer_only: bool
    claimable: bool
    exclusive: bool
    holdout_bps: int
    quantity_cap: int | None
    redemptions: int = Field(description="Orders holding or having used it")
    budget_used_cents: int
    budget_left_cents: int | None = Field(description="null: no budget")
    units_sold: int | None = Field(description="Flash deals: units bought at the deal price")
    deal: FlashDealState | None = Field(description="Flash deals: the live deal that sells it, once active")
    end_reason: str | None
    ended_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class PromotionPage(BaseModel):
    items: list[PromotionOut]
    next_cursor: str | None


# ---- coupon codes and claims ---------------------------------------------------------------------------


class CodesIn(BaseModel):
    """One given ``code``, or ``count`` random ones; with ``shopper_id`` they work for that shopper only."""

    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(default=None, pattern=CODE_PATTERN, description="Stored upper case")
    count: int | None = Field(default=None, ge=1, le=1_000)
    shopper_id: Id | None = Field(default=None, description="A personal code: that shopper only")

    @model_validator(mode="after")
    def _one_source(self) -> CodesIn:
        if (self.code is None) == (self.count is None):
            raise ValueError("give exactly one of code or count")
        return self


class CodeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    promotion_id: int
    code: str
    shopper_id: int | None
    created_at: dt.datetime


class CodeList(BaseModel):
    items: list[CodeOut]


class CodePage(BaseModel):
    items: list[CodeOut]
    next_cursor: str | None


class ClaimOut(BaseModel):
    promotion_id: int
    shopper_id: int
    claimed_at: dt.datetime


class MyCouponOut(BaseModel):
    """A coupon the shopper claimed or was given a personal code for."""

    promotion_id: int
    name: str
    description: str = Field(description='The discount in words: "15% off", "$5.00 off"')
    code: str | None = Field(description="The personal code, if one was issued (null: claimed)")
    claimed_at: dt.datetime | None
    seller_id: int | None
    min_spend_cents: int
    new_customer_only: bool
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: PromotionStatus
    uses: int
    uses_left: int | None = Field(description="Per-shopper uses left; null: no per-shopper limit")
    usable_now: bool = Field(description="Active, in its window, with uses and budget left for you")


class MyCoupons(BaseModel):
    items: list[MyCouponOut]


# ---- what shoppers are shown ---------------------------------------------------------------------------


class SaleOut(BaseModel):
    """The best automatic price discount on the product's cheapest variant."""

    promotion_id: int
    label: str
    variant_id: int
    price_cents: int = Field(description="The sale price")
    was_cents: int = Field(description="The list price (shown struck through)")
    discount_cents: int
    ends_at: dt.datetime


class FlashDealOut(BaseModel):
    """Buy it with ``POST /v1/checkout`` items ``[{sku, quantity, deal_id}]``."""

    promotion_id: int
    deal_id: int
    sku: str
    status: DealStatus
    price_cents: int
    was_cents: int
    remaining: int
    per_shopper_limit: int | None
    starts_at: dt.datetime
    ends_at: dt.datetime


class BadgeOut(BaseModel):
    promotion_id: int
    kind: PromotionKind = Field(description="bundle or free_shipping")
    label: str
    ends_at: dt.datetime


class CouponOfferOut(BaseModel):
    promotion_id: int
    name: str
    description: str
    seller_id: int | None
    min_spend_cents: int
    new_customer_only: bool
    ends_at: dt.datetime
    claimed: bool = Field(description="Claimed by the caller (always false without a token)")


class ProductPromotionsOut(BaseModel):
    product_id: int
    sale: SaleOut | None = None
    flash_deal: FlashDealOut | None = None
    badges: list[BadgeOut] = Field(default_factory=list)
    coupons: list[CouponOfferOut] = Field(default_factory=list, description="Claimable coupons for this listing")

    @property
    def empty(self) -> bool:
        return self.sale is None and self.flash_deal is None and not self.badges and not self.coupons
