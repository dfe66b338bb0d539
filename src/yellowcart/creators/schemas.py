"""Creators API shapes: programme membership, rates, showcase, offers, commissions, balance, dashboard."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from yellowcart.catalog.modes import SellingMode
from yellowcart.content.models import ContentKind, ContentStatus
from yellowcart.creators.dashboard import ContentFigures, Dashboard, Figures
from yellowcart.creators.earnings import Commission, CommissionStatus
from yellowcart.creators.models import MemberStatus
from yellowcart.creators.rules import RATE_MAX_BPS, RATE_MIN_BPS, RateKind, TouchKind
from yellowcart.creators.showcase import Shown
from yellowcart.db import MAX_ID

RateField = Field(ge=RATE_MIN_BPS, le=RATE_MAX_BPS, description="Basis points of the goods (1500 = 15%), 1%..80%")


class JoinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accept_terms: bool = Field(description="Must be true: joining means accepting the programme terms")


class MembershipOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    creator_id: int
    status: MemberStatus
    terms_version: str
    accepted_terms_at: dt.datetime
    joined_at: dt.datetime
    suspended_at: dt.datetime | None
    suspended_reason: str | None


class MembershipPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: MemberStatus
    reason: str | None = Field(default=None, max_length=300, description="Required to suspend")


class MemberPage(BaseModel):
    items: list[MembershipOut]
    next_cursor: str | None


class CreatorRateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate_bps: int = RateField


class OpenRateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    product_id: int
    rate_bps: int
    updated_at: dt.datetime


class TargetedRateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    product_id: int
    creator_id: int
    rate_bps: int
    updated_at: dt.datetime


class ProductRatesOut(BaseModel):
    product_id: int
    open: OpenRateOut | None = Field(description="Offered to every programme member")
    targeted: list[TargetedRateOut] = Field(description="Per creator; overrides the open rate for that creator")


class OfferOut(BaseModel):
    product_id: int
    title: str
    seller_id: int
    selling_mode: SellingMode
    rate_bps: int
    rate_kind: RateKind


class OfferPage(BaseModel):
    items: list[OfferOut]
    next_cursor: str | None


class ShowcaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: int = Field(ge=1, le=MAX_ID)


class ShowcaseItemOut(BaseModel):
    product_id: int
    title: str
    seller_id: int
    added_at: dt.datetime
    rate_bps: int | None = Field(description="The creator's rate now (shown to the creator and operators only)")
    rate_kind: RateKind | None

    @classmethod
    def of(cls, shown: Shown, *, with_rate: bool) -> ShowcaseItemOut:
        rate = shown.rate if with_rate else None
        return cls(
            product_id=shown.product.id,
            title=shown.product.title,
            seller_id=shown.product.seller_id,
            added_at=shown.item.added_at,
            rate_bps=rate.bps if rate else None,
            rate_kind=rate.kind if rate else None,
        )


class ShowcaseOut(BaseModel):
    creator_id: int
    items: list[ShowcaseItemOut]


class CommissionOut(BaseModel):
    id: int
    status: CommissionStatus
    order_id: int | None
    order_line_id: int | None
    conversion_id: int | None = Field(description="A redirect store order instead of an order line")
    content_id: int
    product_id: int
    seller_id: int
    selling_mode: SellingMode
    touch: TouchKind
    touched_at: dt.datetime
    ordered_at: dt.datetime
    rate_kind: RateKind
    rate_bps: int
    units: int | None
    base_cents: int = Field(description="What the rate applies to: goods net of discount (store orders: GMV)")
    commission_cents: int = Field(description="Rate x base, for every unit")
    held_cents: int = Field(description="Accrued less reversed, from the ledger")
    earned_at: dt.datetime | None

    @classmethod
    def of(cls, c: Commission) -> CommissionOut:
        a = c.attribution
        fields = {name: getattr(a, name) for name in cls.model_fields if name not in ("status", "held_cents")}
        return cls(**fields, status=c.status, held_cents=c.held_cents)


class CommissionPage(BaseModel):
    items: list[CommissionOut]
    next_cursor: str | None


class CreatorBalanceOut(BaseModel):
    creator_id: int
    payable_cents: int = Field(description="Commission the platform owes the creator now (paid at settlement)")
    as_of: dt.datetime


class FiguresOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    views: int
    cart_taps: int
    orders: int
    gmv_cents: int
    commission_accrued_cents: int
    commission_reversed_cents: int


class ContentPerformanceOut(FiguresOut):
    content_id: int
    kind: ContentKind
    title: str
    status: ContentStatus

    @classmethod
    def of(cls, row: ContentFigures) -> ContentPerformanceOut:
        figures = FiguresOut.model_validate(row.figures).model_dump()
        return cls(content_id=row.content_id, kind=row.kind, title=row.title, status=row.status, **figures)


class DashboardOut(BaseModel):
    creator_id: int
    start: dt.datetime = Field(description="Inclusive, UTC")
    end: dt.datetime = Field(description="Exclusive, UTC")
    items: list[ContentPerformanceOut]
    totals: FiguresOut

    @classmethod
    def of(cls, d: Dashboard) -> DashboardOut:
        return cls(
            creator_id=d.creator_id,
            start=d.start,
            end=d.end,
            items=[ContentPerformanceOut.of(row) for row in d.items],
            totals=FiguresOut.model_validate(_plain(d.totals)),
        )


def _plain(f: Figures) -> dict[str, int]:
    return {name: getattr(f, name) for name in Figures.__slots__}
