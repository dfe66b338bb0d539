"""Shapes of a promotion's analytics (GET /v1/promotions/{id}/analytics)."""

from __future__ import annotations

import datetime as dt
import enum

from pydantic import BaseModel, Field

from yellowcart.promotions.models import Funder, PromotionKind, PromotionStatus


class LiftState(enum.StrEnum):
    ESTIMATED = "estimated"  # enough shoppers on both sides: lift and its interval
    NOT_ENOUGH_HELD_OUT = "not_enough_held_out"  # too few held-out shoppers (or exposed) to say anything
    NO_HOLDOUT = "no_holdout"  # the promotion holds nobody out: no lift can be measured


class RedemptionsOut(BaseModel):
    held: int = Field(description="Orders placed with it, not paid yet (count against limits and budget)")
    used: int = Field(description="Orders paid with it")
    released: int = Field(description="Unpaid orders cancelled: limits and budget given back")


class FundingOut(BaseModel):
    total_cents: int = Field(description="Discounts given on paid orders (goods, deal prices, waived shipping)")
    seller_funded_cents: int
    platform_funded_cents: int


class LiftOut(BaseModel):
    """Incremental GMV against the hold-out: shoppers active in the window, each exposed or held out by
    ``promotions.holdout``; outcome = goods paid per shopper for in-scope listings in the window."""

    state: LiftState
    holdout_bps: int = Field(description="Share of shoppers held out, basis points")
    exposed_shoppers: int
    held_out_shoppers: int
    min_held_out: int = Field(description="Held-out shoppers needed for an estimate")
    exposed_gmv_per_shopper_cents: float | None
    held_out_gmv_per_shopper_cents: float | None
    lift_per_shopper_cents: float | None = Field(description="mean(exposed) - mean(held out)")
    lift_low_cents: float | None = Field(description="95% interval (Welch, normal approximation)")
    lift_high_cents: float | None
    incremental_gmv_cents: int | None = Field(description="lift x exposed shoppers")
    incremental_gmv_low_cents: int | None
    incremental_gmv_high_cents: int | None


class DayOut(BaseModel):
    day: dt.date
    with_promotion_cents: int = Field(description="In-scope goods paid on orders that used the promotion")
    without_promotion_cents: int = Field(description="In-scope goods paid on the other orders")


class PromotionAnalyticsOut(BaseModel):
    promotion_id: int
    name: str
    kind: PromotionKind
    status: PromotionStatus
    funder: Funder
    seller_id: int | None
    window_start: dt.datetime
    window_end: dt.datetime = Field(description="The promotion's end, or now while it runs")
    redemptions: RedemptionsOut
    orders: int = Field(description="Paid orders that used it, not cancelled since")
    units: int = Field(description="Units of those orders' lines it discounted (every line for free shipping)")
    discount: FundingOut
    gmv_cents: int = Field(description="Goods paid (net of every discount) of the orders that used it")
    average_discount_cents: int | None = Field(description="Discount per order that used it")
    lift: LiftOut
    daily: list[DayOut]
