"""Builders for risk scenarios written straight into the tables (signals at chosen instants, from chosen
devices, networks and zones; orders, promotions and redemptions), for feature and rule tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import update

from yellowcart.auth.models import Role
from yellowcart.auth.service import create_user
from yellowcart.db import Database
from yellowcart.orders.models import Order
from yellowcart.orders.state import OrderStatus
from yellowcart.promotions.models import Funder, Promotion, PromotionKind, PromotionStatus, Redemption, RedemptionStatus
from yellowcart.risk import context, signals
from yellowcart.risk.context import RequestContext
from yellowcart.risk.signal_models import SignalKind
from yellowcart.sellers.models import Seller

KEY_TEXT = "risk-signals-test-key"
KEY = KEY_TEXT.encode()
HOME = ("10.1.1.5", "America/New_York")


def ctx(device: str | None, ip: str | None, tz: str | None, ua: str = "yellowcart-ios/3.2 (iPhone)") -> RequestContext:
    return context.build(key=KEY, ip=ip, device_id=device, user_agent=ua, timezone=tz)


def new_user(
    db: Database,
    name: str,
    *,
    role: Role = Role.SHOPPER,
    seller_id: int | None = None,
    created: dt.datetime | None = None,
) -> int:
    with db.transaction() as s:
        user = create_user(s, email=f"{name}@risk.example", display_name=name, role=role, seller_id=seller_id)
        if created is not None:
            user.created_at = created
        return user.id


def age_seller(db: Database, seller_id: int, created: dt.datetime) -> None:
    with db.transaction() as s:
        s.execute(update(Seller).where(Seller.id == seller_id).values(created_at=created))


def signal(
    db: Database,
    kind: SignalKind,
    at: dt.datetime,
    where: RequestContext,
    *,
    user_id: int | None = None,
    seller_id: int | None = None,
    fingerprint: str | None = None,
    detail: dict[str, Any] | None = None,
    zip_code: str | None = None,
) -> None:
    with db.transaction() as s:
        signals.record(
            s,
            kind=kind,
            context=where,
            now=at,
            user_id=user_id,
            seller_id=seller_id,
            fingerprint=fingerprint,
            detail=detail,
            zip_code=zip_code,
        )


def logins(
    db: Database, user_id: int, where: RequestContext, times: Iterable[dt.datetime], seller_id: int | None = None
) -> None:
    for at in times:
        signal(db, SignalKind.LOGIN, at, where, user_id=user_id, seller_id=seller_id, detail={"check": "allow"})


def days_ago(now: dt.datetime, *days: float) -> list[dt.datetime]:
    return [now - dt.timedelta(days=d) for d in days]


def order(
    db: Database, *, shopper_id: int, seller_id: int, at: dt.datetime, line1: str = "1 Elm St", zip5: str = "10001"
) -> int:
    with db.transaction() as s:
        row = Order(
            shopper_id=shopper_id,
            seller_id=seller_id,
            status=OrderStatus.AWAITING_SHIPMENT,
            subtotal_cents=1000,
            shipping_cents=0,
            discount_cents=0,
            tax_cents=0,
            total_cents=1000,
            tax_rate="0",
            ship_to={"name": "x", "line1": line1, "city": "New York", "state": "NY", "zip": zip5},
            placed_at=at,
        )
        s.add(row)
        s.flush()
        return row.id


def promotion(db: Database, *, created_by: int, now: dt.datetime) -> int:
    with db.transaction() as s:
        row = Promotion(
            kind=PromotionKind.PRODUCT_DISCOUNT,
            name="Welcome 10%",
            status=PromotionStatus.ACTIVE,
            created_by=created_by,
            funder=Funder.PLATFORM,
            seller_share_bps=0,
            percent_off_bps=1000,
            starts_at=now - dt.timedelta(days=20),
            ends_at=now + dt.timedelta(days=20),
        )
        s.add(row)
        s.flush()
        return row.id


def redeem(db: Database, *, promotion_id: int, shopper_id: int, order_id: int, at: dt.datetime) -> None:
    with db.transaction() as s:
        s.add(
            Redemption(
                promotion_id=promotion_id,
                shopper_id=shopper_id,
                order_id=order_id,
                discount_cents=100,
                seller_funded_cents=0,
                platform_funded_cents=100,
                status=RedemptionStatus.USED,
                created_at=at,
            )
        )
