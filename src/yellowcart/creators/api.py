"""Affiliate programme endpoints: creators join, sellers set commission rates on their listings (open and
targeted), creators browse the offers and curate their showcase; operators suspend and reinstate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.creators import programme, rates, showcase
from yellowcart.creators.models import MemberStatus
from yellowcart.creators.schemas import (
    CreatorRateIn,
    JoinIn,
    MemberPage,
    MembershipOut,
    MembershipPatch,
    OfferOut,
    OfferPage,
    OpenRateOut,
    ProductRatesOut,
    ShowcaseIn,
    ShowcaseItemOut,
    ShowcaseOut,
    TargetedRateOut,
)
from yellowcart.db import utcnow
from yellowcart.http import Caller, Db, MaybeCaller, PathId, decode_cursor, encode_cursor, problems, require

router = APIRouter(tags=["creators"])
PROBLEMS = problems(s403="Not allowed for this account", s404="Unknown creator or listing (or not yours)")
Operator = Annotated[Principal, require(Role.OPERATOR)]
Cursor = Annotated[str | None, Query(max_length=64)]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post(
    "/v1/creators/{creator_id}/membership",
    response_model=MembershipOut,
    status_code=201,
    responses=problems(s403="Only the creator itself joins", s422="Terms not accepted"),
    summary="Join the affiliate programme by accepting its terms (the creator); joining again is 200",
)
def join(creator_id: PathId, body: JoinIn, db: Db, who: Caller, response: Response) -> MembershipOut:
    with db.transaction() as session:
        member, created = programme.join(
            session, principal=who, creator_id=creator_id, accept_terms=body.accept_terms, now=utcnow()
        )
        out = MembershipOut.model_validate(member)
    if not created:
        response.status_code = 200
    return out


@router.get(
    "/v1/creators/{creator_id}/membership",
    response_model=MembershipOut,
    responses=PROBLEMS,
    summary="The creator's programme membership (the creator; operators)",
)
def get_membership(creator_id: PathId, db: Db, who: Caller) -> MembershipOut:
    with db.transaction() as session:
        return MembershipOut.model_validate(programme.get_membership(session, principal=who, creator_id=creator_id))


@router.patch(
    "/v1/creators/{creator_id}/membership",
    response_model=MembershipOut,
    responses=problems(s404="Not a member", s422="A suspension needs a reason"),
    summary="Suspend (with a reason) or reinstate a member (operators)",
)
def set_membership_status(creator_id: PathId, body: MembershipPatch, db: Db, who: Operator) -> MembershipOut:
    with db.transaction() as session:
        member = programme.set_status(
            session, principal=who, creator_id=creator_id, status=body.status, reason=body.reason, now=utcnow()
        )
        return MembershipOut.model_validate(member)


@router.get(
    "/v1/operator/creators",
    response_model=MemberPage,
    responses=PROBLEMS,
    summary="Programme members, newest creator first (operators)",
)
def list_members(
    db: Db, who: Operator, status: MemberStatus | None = None, cursor: Cursor = None, limit: Limit = 50
) -> MemberPage:
    with db.transaction() as session:
        rows = programme.list_members(
            session, principal=who, status=status, after_id=decode_cursor(cursor), limit=limit + 1
        )
        items = [MembershipOut.model_validate(m) for m in rows[:limit]]
    more = len(rows) > limit
    return MemberPage(items=items, next_cursor=encode_cursor(items[-1].creator_id) if more and items else None)


# ---- rates -----------------------------------------------------------------------------------------


@router.get(
    "/v1/products/{product_id}/creator-rates",
    response_model=ProductRatesOut,
    responses=PROBLEMS,
    summary="A listing's open and targeted creator commission rates (its seller; operators)",
)
def get_rates(product_id: PathId, db: Db, who: Caller) -> ProductRatesOut:
    with db.transaction() as session:
        open_rate, targeted = rates.product_rates(session, principal=who, product_id=product_id)
        return ProductRatesOut(
            product_id=product_id,
            open=OpenRateOut.model_validate(open_rate) if open_rate else None,
            targeted=[TargetedRateOut.model_validate(t) for t in targeted],
        )


@router.put(
    "/v1/products/{product_id}/creator-rates/open",
    response_model=OpenRateOut,
    responses=problems(s403="Not the listing's seller (or a listing the platform sells)", s404="Unknown listing"),
    summary="Offer every programme member a commission on this listing, 1%..80% (its seller; operators)",
)
def put_open_rate(product_id: PathId, body: CreatorRateIn, db: Db, who: Caller) -> OpenRateOut:
    with db.transaction() as session:
        row = rates.set_open_rate(session, principal=who, product_id=product_id, rate_bps=body.rate_bps, now=utcnow())
        return OpenRateOut.model_validate(row)


@router.delete(
    "/v1/products/{product_id}/creator-rates/open",
    status_code=204,
    responses=PROBLEMS,
    summary="Withdraw the open rate; orders attributed already keep theirs (its seller; operators)",
)
def delete_open_rate(product_id: PathId, db: Db, who: Caller) -> Response:
    with db.transaction() as session:
        rates.withdraw_open_rate(session, principal=who, product_id=product_id)
    return Response(status_code=204)


@router.put(
    "/v1/products/{product_id}/creator-rates/creators/{creator_id}",
    response_model=TargetedRateOut,
    responses=problems(s403="Not the listing's seller", s404="Unknown listing or creator"),
    summary="Offer one creator its own rate on this listing; it overrides the open rate (its seller; operators)",
)
def put_targeted_rate(
    product_id: PathId, creator_id: PathId, body: CreatorRateIn, db: Db, who: Caller
) -> TargetedRateOut:
    with db.transaction() as session:
        row = rates.set_targeted_rate(
            session, principal=who, product_id=product_id, creator_id=creator_id, rate_bps=body.rate_bps, now=utcnow()
        )
        return TargetedRateOut.model_validate(row)


@router.delete(
    "/v1/products/{product_id}/creator-rates/creators/{creator_id}",
    status_code=204,
    responses=PROBLEMS,
    summary="Withdraw a targeted rate (its seller; operators)",
)
def delete_targeted_rate(product_id: PathId, creator_id: PathId, db: Db, who: Caller) -> Response:
    with db.transaction() as session:
        rates.withdraw_targeted_rate(session, principal=who, product_id=product_id, creator_id=creator_id)
    return Response(status_code=204)


@router.get(
    "/v1/creators/{creator_id}/offers",
    response_model=OfferPage,
    responses=PROBLEMS,
    summary="Active listings offering the creator a commission, newest first, with its rate (the creator; operators)",
)
def list_offers(creator_id: PathId, db: Db, who: Caller, cursor: Cursor = None, limit: Limit = 50) -> OfferPage:
    with db.transaction() as session:
        programme.require_creator_access(session, principal=who, creator_id=creator_id)
        found = rates.offers_for(session, creator_id=creator_id, after_id=decode_cursor(cursor), limit=limit + 1)
        items = [
            OfferOut(product_id=p.id, title=p.title, seller_id=p.seller_id, selling_mode=p.selling_mode,
                     rate_bps=r.bps, rate_kind=r.kind)
            for p, r in found[:limit]
        ]  # fmt: skip
    more = len(found) > limit
    return OfferPage(items=items, next_cursor=encode_cursor(items[-1].product_id) if more and items else None)


# ---- showcase --------------------------------------------------------------------------------------


@router.get(
    "/v1/creators/{creator_id}/showcase",
    response_model=ShowcaseOut,
    responses=problems(s404="Unknown creator"),
    summary="A member's showcase (public; its rates only for the creator and operators)",
)
def get_showcase(creator_id: PathId, db: Db, who: MaybeCaller) -> ShowcaseOut:
    with db.transaction() as session:
        programme.require_creator(session, creator_id=creator_id)
        own = who is not None and (who.is_operator or (who.role is Role.CREATOR and who.user_id == creator_id))
        items = [ShowcaseItemOut.of(s, with_rate=own) for s in showcase.list_showcase(session, creator_id=creator_id)]
    return ShowcaseOut(creator_id=creator_id, items=items)


@router.post(
    "/v1/creators/{creator_id}/showcase",
    response_model=ShowcaseItemOut,
    status_code=201,
    responses=problems(
        s403="Not this creator", s409="Not an active member, or no rate offered", s422="Not an active listing"
    ),
    summary="Add a listing that offers the creator a rate to its showcase (the creator); again is 200",
)
def add_to_showcase(creator_id: PathId, body: ShowcaseIn, db: Db, who: Caller, response: Response) -> ShowcaseItemOut:
    with db.transaction() as session:
        _, created = showcase.add(
            session, principal=who, creator_id=creator_id, product_id=body.product_id, now=utcnow()
        )
        [shown] = [s for s in showcase.list_showcase(session, creator_id=creator_id) if s.product.id == body.product_id]
        out = ShowcaseItemOut.of(shown, with_rate=True)
    if not created:
        response.status_code = 200
    return out


@router.delete(
    "/v1/creators/{creator_id}/showcase/{product_id}",
    status_code=204,
    responses=PROBLEMS,
    summary="Take a listing out of the showcase (the creator)",
)
def remove_from_showcase(creator_id: PathId, product_id: PathId, db: Db, who: Caller) -> Response:
    with db.transaction() as session:
        showcase.remove(session, principal=who, creator_id=creator_id, product_id=product_id)
    return Response(status_code=204)
