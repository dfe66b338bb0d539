"""Analytics endpoints: a seller's figures per selling mode (the seller; operators) and every seller's,
sortable (operators)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from yellowcart.analytics import service
from yellowcart.analytics.metrics import Figures, SortKey, total
from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import utcnow
from yellowcart.errors import InvalidInput
from yellowcart.http import Db, PathId, problems, require

router = APIRouter(tags=["analytics"])
PROBLEMS = problems(s403="Not allowed for this account", s404="Unknown seller (or another seller's)")
Manager = Annotated[Principal, require(Role.SELLER, Role.OPERATOR)]
Operator = Annotated[Principal, require(Role.OPERATOR)]
From = Annotated[dt.date | None, Query(alias="from", description="First day (UTC), default: 29 days before `to`")]
To = Annotated[dt.date | None, Query(alias="to", description="Last day (UTC), inclusive; default: today")]
MAX_DAYS = 366


class FiguresOut(BaseModel):
    gmv_cents: int
    orders: int
    units_sold: int
    units_refunded: int
    impressions: int
    conversion_per_mille: float | None = Field(description="Orders per 1,000 feed impressions of the seller's items")
    return_rate: float | None = Field(description="Refunded units / units sold")
    net_margin_cents: int = Field(description="The platform's net revenue from these sales (ledger)")
    net_margin_bps: int | None = Field(description="net_margin_cents / gmv_cents in basis points")
    seller_net_cents: int = Field(description="What the seller earned per the ledger, before payouts")

    @classmethod
    def of(cls, f: Figures) -> FiguresOut:
        return cls(
            gmv_cents=f.gmv_cents,
            orders=f.orders,
            units_sold=f.units_sold,
            units_refunded=f.units_refunded,
            impressions=f.impressions,
            conversion_per_mille=f.conversion_per_mille,
            return_rate=f.return_rate,
            net_margin_cents=f.platform_net_cents,
            net_margin_bps=f.net_margin_bps,
            seller_net_cents=f.seller_net_cents,
        )


class SellerAnalyticsOut(BaseModel):
    seller_id: int
    name: str
    from_: dt.date = Field(serialization_alias="from")
    to: dt.date
    total: FiguresOut
    modes: dict[SellingMode, FiguresOut]

    @classmethod
    def of(cls, s: service.SellerFigures, since: dt.date, until: dt.date) -> SellerAnalyticsOut:
        return cls(
            seller_id=s.seller_id,
            name=s.name,
            from_=since,
            to=until,
            total=FiguresOut.of(s.total),
            modes={mode: FiguresOut.of(f) for mode, f in s.modes.items()},
        )


class SellerAnalyticsList(BaseModel):
    items: list[SellerAnalyticsOut]
    count: int = Field(description="Sellers with activity in the window (before limit/offset)")
    platform: FiguresOut = Field(description="Every seller together")


def _window(since: dt.date | None, until: dt.date | None) -> tuple[dt.date, dt.date, service.Window]:
    last = until or utcnow().date()
    first = since or last - dt.timedelta(days=29)
    if first > last:
        raise InvalidInput("'from' must not be after 'to'.", field="from")
    if (last - first).days >= MAX_DAYS:
        raise InvalidInput(f"A window spans at most {MAX_DAYS} days.", field="from")
    start = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return first, last, service.Window(start, end)


@router.get(
    "/v1/sellers/{seller_id}/analytics",
    response_model=SellerAnalyticsOut,
    response_model_by_alias=True,
    responses=PROBLEMS,
    summary="GMV, orders, conversion per mille, return rate and net margin per selling mode (the seller; operators)",
)
def seller_analytics(
    seller_id: PathId, db: Db, who: Manager, since: From = None, until: To = None
) -> SellerAnalyticsOut:
    first, last, window = _window(since, until)
    with db.transaction() as session:
        found = service.seller_analytics(session, principal=who, seller_id=seller_id, window=window)
    return SellerAnalyticsOut.of(found, first, last)


@router.get(
    "/v1/operator/analytics/sellers",
    response_model=SellerAnalyticsList,
    response_model_by_alias=True,
    responses=PROBLEMS,
    summary="Every seller's figures, sortable; mode= narrows to one selling mode (operators)",
)
def all_sellers(
    db: Db,
    who: Operator,
    since: From = None,
    until: To = None,
    sort: SortKey = SortKey.GMV,
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
    mode: SellingMode | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> SellerAnalyticsList:
    first, last, window = _window(since, until)
    with db.transaction() as session:
        found = service.all_sellers(
            session, principal=who, window=window, sort=sort, descending=order == "desc", mode=mode
        )
    return SellerAnalyticsList(
        items=[SellerAnalyticsOut.of(s, first, last) for s in found[offset : offset + limit]],
        count=len(found),
        platform=FiguresOut.of(total(s.total for s in found)),
    )
