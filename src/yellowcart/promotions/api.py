"""Promotions endpoints: sellers and operators manage promotions and coupon codes; shoppers claim
coupons and see their own; anyone sees a listing's promotions. Buying a flash deal is ``POST
/v1/checkout`` with ``deal_id`` on the item; checkout applies the rest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from yellowcart.catalog import service as catalog
from yellowcart.db import utcnow
from yellowcart.http import App, Caller, MaybeCaller, PathId, decode_cursor, next_cursor, problems
from yellowcart.live.deal_models import LiveDeal
from yellowcart.promotions import admin, claims, codes, flash, showing
from yellowcart.promotions.models import Promotion, PromotionKind, PromotionStatus
from yellowcart.promotions.offers import label_of
from yellowcart.promotions.schemas import (
    ClaimOut,
    CodeList,
    CodeOut,
    CodePage,
    CodesIn,
    FlashDealState,
    MyCoupons,
    ProductPromotionsOut,
    PromotionIn,
    PromotionOut,
    PromotionPage,
    PromotionPatch,
)

router = APIRouter(tags=["promotions"])
PROBLEMS = problems(
    s403="Not a seller or operator; a seller funding platform or split promotions, or another seller's listings",
    s404="Unknown promotion (or another seller's)",
    s409="invalid_transition, promotion_window_passed, promotion_terms_fixed, flash_deal_not_pausable, "
    "flash_deal_exists, insufficient_stock",
    s422="Invalid terms (the field is named)",
)
CODE_PROBLEMS = problems(s409="coupon_code_taken, not_a_coupon, coupon_has_holdout, invalid_transition")
CLAIM_PROBLEMS = problems(
    s404="Unknown coupon (or one you are held out of)",
    s409="coupon_not_claimable, coupon_expired, coupon_used_up, coupon_new_customers_only",
)
Cursor = Annotated[str | None, Query(max_length=64)]
Limit = Annotated[int, Query(ge=1, le=100)]


def _out(promotion: Promotion, deal: LiveDeal | None) -> PromotionOut:
    p = promotion
    state, sold = None, 0
    if deal is not None:
        sold = deal.quantity - deal.remaining
        state = FlashDealState(
            deal_id=deal.id,
            status=deal.status,
            price_cents=deal.price_cents,
            was_cents=deal.was_cents,
            quantity=deal.quantity,
            remaining=deal.remaining,
        )
    return PromotionOut(
        **{f: getattr(p, f) for f in admin.TERMS},
        id=p.id,
        label=label_of(p),
        status=p.status,
        created_by=p.created_by,
        redemptions=p.redemptions,
        budget_used_cents=p.budget_used_cents,
        budget_left_cents=None if p.budget_cents is None else p.budget_cents - p.budget_used_cents,
        units_sold=sold if p.kind is PromotionKind.FLASH_DEAL else None,
        deal=state,
        end_reason=p.end_reason,
        ended_at=p.ended_at,
        created_at=p.created_at,
        updated_at=p.updated_at,
    )


def _outs(session: Session, promotions: Sequence[Promotion]) -> list[PromotionOut]:
    """Promotions as answered, their flash deals loaded in one query."""
    found = flash.deals_of(session, promotions)
    return [_out(p, found.get(p.deal_id or 0)) for p in promotions]


def _one(app: App, who: Caller, promotion_id: int) -> PromotionOut:
    with app.db.transaction() as session:
        p = admin.get_promotion(session, principal=who, promotion_id=promotion_id)
        return _outs(session, [p])[0]


@router.post(
    "/v1/promotions",
    response_model=PromotionOut,
    status_code=201,
    responses=PROBLEMS,
    summary="Create a promotion (a draft): sellers their own, operators platform or split-funded ones",
)
def create_promotion(body: PromotionIn, app: App, who: Caller) -> PromotionOut:
    with app.db.transaction() as session:
        p = admin.create(session, principal=who, data=body, now=utcnow())
        return _outs(session, [p])[0]


@router.get(
    "/v1/promotions",
    response_model=PromotionPage,
    responses=PROBLEMS,
    summary="Promotions: operators all (filtered), sellers those on their listings",
)
def list_promotions(
    app: App,
    who: Caller,
    status: PromotionStatus | None = None,
    kind: PromotionKind | None = None,
    seller_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> PromotionPage:
    with app.db.transaction() as session:
        rows = admin.list_promotions(
            session, principal=who, status=status, kind=kind, seller_id=seller_id,
            after_id=decode_cursor(cursor), limit=limit + 1,
        )  # fmt: skip
        items = _outs(session, rows[:limit])
    return PromotionPage(items=items, next_cursor=next_cursor(items, len(rows) > limit))


@router.get("/v1/promotions/{promotion_id}", response_model=PromotionOut, responses=PROBLEMS, summary="One promotion")
def get_promotion(promotion_id: PathId, app: App, who: Caller) -> PromotionOut:
    return _one(app, who, promotion_id)


@router.patch(
    "/v1/promotions/{promotion_id}",
    response_model=PromotionOut,
    responses=PROBLEMS,
    summary="Change a draft; a running promotion only its name, end, budget and limits",
)
def update_promotion(promotion_id: PathId, body: PromotionPatch, app: App, who: Caller) -> PromotionOut:
    with app.db.transaction() as session:
        p = admin.update_promotion(session, principal=who, promotion_id=promotion_id, patch=body, now=utcnow())
        return _outs(session, [p])[0]


def _lifecycle(action: str, summary: str) -> None:
    move = {"activate": admin.activate, "pause": admin.pause, "resume": admin.resume, "end": admin.end}[action]

    @router.post(
        f"/v1/promotions/{{promotion_id}}/{action}",
        response_model=PromotionOut,
        responses=PROBLEMS,
        summary=summary,
        operation_id=f"{action}_promotion",
    )
    def transition(promotion_id: PathId, app: App, who: Caller) -> PromotionOut:
        with app.db.transaction() as session:
            p = move(session, principal=who, promotion_id=promotion_id, now=utcnow())
            return _outs(session, [p])[0]


_lifecycle("activate", "Draft -> active (a flash deal's live deal is created; started when its window began)")
_lifecycle("pause", "Active -> paused (not flash deals: end them)")
_lifecycle("resume", "Paused -> active, while its window lasts")
_lifecycle("end", "End for good (end_reason 'ended'); a flash deal's unsold units go back to the SKU")


@router.post(
    "/v1/promotions/{promotion_id}/codes",
    response_model=CodeList,
    status_code=201,
    responses={**PROBLEMS, **CODE_PROBLEMS},
    summary="Add a coupon code, or `count` random ones; `shopper_id` makes them personal",
)
def add_codes(promotion_id: PathId, body: CodesIn, app: App, who: Caller) -> CodeList:
    with app.db.transaction() as session:
        rows = codes.add_codes(session, principal=who, promotion_id=promotion_id, data=body, now=utcnow())
        return CodeList(items=[CodeOut.model_validate(r) for r in rows])


@router.get(
    "/v1/promotions/{promotion_id}/codes",
    response_model=CodePage,
    responses=PROBLEMS,
    summary="A coupon's codes, oldest first",
)
def list_codes(promotion_id: PathId, app: App, who: Caller, cursor: Cursor = None, limit: Limit = 100) -> CodePage:
    with app.db.transaction() as session:
        rows = codes.list_codes(
            session, principal=who, promotion_id=promotion_id, after_id=decode_cursor(cursor), limit=limit + 1
        )
        items = [CodeOut.model_validate(r) for r in rows[:limit]]
    return CodePage(items=items, next_cursor=next_cursor(items, len(rows) > limit))


@router.post(
    "/v1/promotions/{promotion_id}/claim",
    response_model=ClaimOut,
    responses=CLAIM_PROBLEMS,
    summary="Claim a claimable coupon (shoppers; claiming twice is fine)",
)
def claim_coupon(promotion_id: PathId, app: App, who: Caller) -> ClaimOut:
    with app.db.transaction() as session:
        row = claims.claim(session, principal=who, promotion_id=promotion_id, now=utcnow())
        return ClaimOut(promotion_id=row.promotion_id, shopper_id=row.shopper_id, claimed_at=row.claimed_at)


@router.get(
    "/v1/me/coupons",
    response_model=MyCoupons,
    responses=problems(s403="Not a shopper"),
    summary="My claimed coupons and personal codes, usable ones first",
)
def my_coupons(app: App, who: Caller) -> MyCoupons:
    with app.db.transaction() as session:
        return MyCoupons(items=claims.my_coupons(session, principal=who, now=utcnow()))


@router.get(
    "/v1/products/{product_id}/promotions",
    response_model=ProductPromotionsOut,
    responses=problems(s404="Unknown product"),
    summary="A listing's promotions: sale price, flash deal, badges, claimable coupons (public)",
)
def product_promotions(product_id: PathId, app: App, who: MaybeCaller) -> ProductPromotionsOut:
    with app.db.transaction() as session:
        catalog.get_product(session, principal=who, product_id=product_id)
        return showing.for_product(session, product_id, shopper_id=who.user_id if who else None, now=utcnow())
