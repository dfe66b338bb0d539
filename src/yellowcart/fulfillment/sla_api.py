"""Seller health endpoints: a seller's own (and operators'), and the operators' list of breaches."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.db import utcnow
from yellowcart.fulfillment import health, notices, sla
from yellowcart.http import Caller, Db, PathId, decode_cursor, next_cursor, problems, require

router = APIRouter(tags=["fulfillment"])
PROBLEMS = problems(s403="Not a seller or operator account", s404="Unknown seller (or another seller's)")
Manager = Annotated[Principal, require(Role.SELLER, Role.OPERATOR)]
Operator = Annotated[Principal, require(Role.OPERATOR)]
Window = Annotated[int, Query(ge=1, le=365, description="Rolling window in days")]


class RateOut(BaseModel):
    count: int
    total: int
    rate: float | None  # None: nothing measured in the window
    threshold: float
    at_most: bool  # True: the rate must stay at or under the threshold; False: at or over
    breached: bool

    @classmethod
    def of(cls, rate: sla.Rate) -> RateOut:
        return cls(
            count=rate.count,
            total=rate.total,
            rate=rate.value,
            threshold=rate.threshold.per_mille / 1000,
            at_most=rate.threshold.at_most,
            breached=rate.breached,
        )


class SellerHealthOut(BaseModel):
    seller_id: int
    since: dt.datetime
    until: dt.datetime
    late_dispatch: RateOut
    seller_fault_cancellation: RateOut
    valid_tracking: RateOut
    on_time_delivery: RateOut
    first_response: RateOut  # customer service: first answers within YC_SUPPORT_FIRST_RESPONSE_HOURS
    breaches: list[str]

    @classmethod
    def of(cls, h: health.SellerHealth) -> SellerHealthOut:
        rates = {name: RateOut.of(rate) for name, rate in h.rates().items()}
        return cls(seller_id=h.seller_id, since=h.since, until=h.until, breaches=h.breaches, **rates)


class SellerHealthList(BaseModel):
    items: list[SellerHealthOut]


@router.get(
    "/v1/sellers/{seller_id}/health",
    response_model=SellerHealthOut,
    responses=PROBLEMS,
    summary="A seller's health over a rolling window, with breaches flagged (the seller; operators)",
)
def get_health(seller_id: PathId, db: Db, who: Manager, window_days: Window = 30) -> SellerHealthOut:
    with db.transaction() as session:
        found = health.get_seller_health(
            session, principal=who, seller_id=seller_id, now=utcnow(), window_days=window_days
        )
        return SellerHealthOut.of(found)


@router.get(
    "/v1/operator/seller-health",
    response_model=SellerHealthList,
    responses=PROBLEMS,
    summary="Health of every seller with orders in the window; breached=true: only those breaching (operators)",
)
def list_health(db: Db, who: Operator, breached: bool = False, window_days: Window = 30) -> SellerHealthList:
    with db.transaction() as session:
        found = health.all_seller_health(
            session, principal=who, now=utcnow(), window_days=window_days, breached_only=breached
        )
        return SellerHealthList(items=[SellerHealthOut.of(h) for h in found])


class NotificationOut(BaseModel):
    id: int
    kind: str  # late_dispatch, auto_cancel, late_delivery, lost_parcel
    order_id: int
    shipment_id: int
    message: str
    created_at: dt.datetime


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None


@router.get(
    "/v1/notifications",
    response_model=NotificationPage,
    responses=problems(s401="Not signed in"),
    summary="My notifications about my orders or shipments, newest first",
)
def list_notifications(
    db: Db,
    who: Caller,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> NotificationPage:
    with db.transaction() as session:
        rows = notices.list_notifications(session, principal=who, before_id=decode_cursor(cursor), limit=limit + 1)
        items = [
            NotificationOut(
                id=n.id,
                kind=i.kind.value,
                order_id=i.order_id,
                shipment_id=i.shipment_id,
                message=n.message,
                created_at=n.created_at,
            )
            for n, i in rows[:limit]
        ]
    return NotificationPage(items=items, next_cursor=next_cursor(items, len(rows) > limit))
