"""Seller endpoints: operators onboard and govern sellers; sellers edit their own storefront settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.http import Db, MaybeCaller, PathId, decode_cursor, next_cursor, problems, require
from yellowcart.risk import signals as risk_signals
from yellowcart.sellers import service
from yellowcart.sellers.models import SellerStatus
from yellowcart.sellers.schemas import MemberIn, MemberOut, SellerIn, SellerOut, SellerPage, SellerPatch

router = APIRouter(tags=["sellers"])
PROBLEMS = problems(s409="Conflict (name or email taken)")
SellerId = PathId


@router.get("/v1/sellers", response_model=SellerPage, responses=PROBLEMS, summary="All sellers (operator)")
def list_sellers(
    db: Db,
    who: Principal = require(Role.OPERATOR),
    status: SellerStatus | None = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> SellerPage:
    after_id = decode_cursor(cursor)
    with db.transaction() as session:
        rows = service.list_sellers(session, status=status, after_id=after_id, limit=limit + 1)
        items = [SellerOut.model_validate(s) for s in rows[:limit]]
    return SellerPage(items=items, next_cursor=next_cursor(items, len(rows) > limit))


@router.get("/v1/sellers/{seller_id}", response_model=SellerOut, responses=PROBLEMS, summary="One seller")
def get_seller(seller_id: SellerId, db: Db, who: MaybeCaller) -> SellerOut:
    with db.transaction() as session:
        return SellerOut.model_validate(service.get_seller(session, principal=who, seller_id=seller_id))


@router.post(
    "/v1/sellers",
    response_model=SellerOut,
    status_code=201,
    responses=PROBLEMS,
    summary="Open a seller account (operator)",
)
def create_seller(body: SellerIn, db: Db, who: Principal = require(Role.OPERATOR)) -> SellerOut:
    with db.transaction() as session:
        seller = service.create_seller(
            session,
            name=body.name,
            status=body.status,
            default_selling_mode=body.default_selling_mode,
            store_url=body.store_url,
        )
        return SellerOut.model_validate(seller)


@router.patch(
    "/v1/sellers/{seller_id}",
    response_model=SellerOut,
    responses=PROBLEMS,
    summary="Change a seller (operator: anything; the seller: store_url, default_selling_mode)",
)
def update_seller(
    seller_id: SellerId, body: SellerPatch, db: Db, who: Principal = require(Role.OPERATOR, Role.SELLER)
) -> SellerOut:
    with db.transaction() as session:
        seller = service.update_seller(session, principal=who, seller_id=seller_id, patch=body)
        risk_signals.profile_changed(session, principal=who, seller_id=seller_id, fields=body.model_fields_set)
        return SellerOut.model_validate(seller)


@router.post(
    "/v1/sellers/{seller_id}/members",
    response_model=MemberOut,
    status_code=201,
    responses=PROBLEMS,
    summary="Add a seller user to the account (operator)",
)
def add_member(seller_id: SellerId, body: MemberIn, db: Db, who: Principal = require(Role.OPERATOR)) -> MemberOut:
    with db.transaction() as session:
        user = service.add_member(
            session, seller_id=seller_id, email=body.email, display_name=body.display_name, password=body.password
        )
        return MemberOut(
            user_id=user.id, seller_id=seller_id, email=user.email, display_name=user.display_name, role=user.role.value
        )
