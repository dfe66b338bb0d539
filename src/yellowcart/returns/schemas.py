"""Returns request and response models."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from yellowcart.returns.disposition import Grade
from yellowcart.returns.inspection import Outcome
from yellowcart.returns.policy import Payer, Reason
from yellowcart.returns.state import ReturnStatus


class LineEligibilityOut(BaseModel):
    order_line_id: int
    sku: str
    title: str
    quantity: int
    returnable_quantity: int
    window_ends_at: dt.datetime | None
    guarantee_ends_at: dt.datetime | None
    reasons: list[Reason]
    why_not: str | None
    note: str | None
    return_shipping_payer: dict[Reason, Payer]
    restocking_fee_bps: int


class EligibilityOut(BaseModel):
    order_id: int
    order_status: str
    shopper_time_zone: str
    lines: list[LineEligibilityOut]


class WantedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_line_id: int = Field(ge=1, le=2**31 - 1)
    quantity: int = Field(ge=1, le=999)


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[WantedIn] = Field(min_length=1, max_length=100)
    reason: Reason = Reason.NO_REASON
    comment: str | None = Field(default=None, max_length=1000)
    photos: list[Annotated[str, Field(max_length=300)]] = Field(default_factory=list, max_length=10)


class ReturnLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    order_line_id: int
    quantity: int
    refund_cents: int
    grade: str | None
    disposition: str | None
    recovery_cents: int
    resale_variant_id: int | None


class ReturnOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    order_id: int
    seller_id: int
    status: ReturnStatus
    reason: Reason
    comment: str | None
    photos: list[str]
    reviewer: str
    review_flags: list[str]
    respond_by: dt.datetime | None
    decided_at: dt.datetime | None
    decision_note: str | None
    returnless: bool
    label_payer: Payer
    label_carrier: str | None
    tracking_number: str | None
    label_ref: str | None
    label_cost_cents: int
    shipped_at: dt.datetime | None
    received_at: dt.datetime | None
    refund_due_by: dt.datetime | None
    refunded_at: dt.datetime | None
    refund_cents: int
    refund_tax_cents: int
    restocking_fee_cents: int
    label_deducted_cents: int
    recovery_cents: int
    net_loss_cents: int
    created_at: dt.datetime
    lines: list[ReturnLineOut]


class ReturnPage(BaseModel):
    items: list[ReturnOut]
    next_cursor: str | None


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool
    note: str | None = Field(default=None, max_length=500)


class ShipBackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    carrier: str | None = Field(default=None, max_length=32)
    tracking_number: str | None = Field(default=None, max_length=64)


class InspectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Outcome = Outcome.ACCEPTED
    grades: dict[int, Grade] = Field(default_factory=dict, max_length=100)
    note: str | None = Field(default=None, max_length=500)


class PolicyRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scope: Literal["mode", "category", "seller"]
    key: str = Field(min_length=1, max_length=400)
    settings: dict[str, Any]


class PolicyRuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    scope: str
    key: str
    settings: dict[str, Any]
    updated_at: dt.datetime


class RateOut(BaseModel):
    key: str
    sold_units: int
    returned_units: int
    sold_cents: int
    returned_cents: int
    unit_rate: float | None
    value_rate: float | None


class ReturnAnalyticsOut(BaseModel):
    since: dt.datetime
    until: dt.datetime
    seller_id: int | None
    total: RateOut
    by_department: list[RateOut]
    by_seller: list[RateOut]
    by_mode: list[RateOut]
    by_reason: list[RateOut]
    by_lateness: list[RateOut]
    returns: int
    refund_cents: int
    recovery_cents: int
    net_loss_cents: int
    hours_to_refund_p50: float | None
    hours_to_refund_p90: float | None
