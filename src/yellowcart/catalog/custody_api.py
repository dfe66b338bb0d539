"""Price check endpoints: sellers offer supply prices and answer counter-offers; operators decide."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog import custody
from yellowcart.catalog import service as catalog
from yellowcart.catalog.custody_models import OfferStatus
from yellowcart.catalog.custody_rules import lowest_price_for_margin
from yellowcart.catalog.custody_schemas import (
    AcceptIn,
    AnswerIn,
    CounterIn,
    DecisionOut,
    RejectIn,
    SupplyOfferIn,
    SupplyOfferOut,
    SupplyOfferPage,
)
from yellowcart.catalog.schemas import SKU_PATTERN
from yellowcart.db import MAX_ID, utcnow
from yellowcart.http import App, PathId, decode_cursor, next_cursor, problems, require

router = APIRouter(tags=["custody"])
PROBLEMS = problems(
    s403="Not allowed for this role",
    s404="Unknown offer or SKU (or another seller's)",
    s409="The offer is not in a state for this",
    s422="Invalid input (margin too low, price below supply, not a full-custody listing...)",
)
Manager = Annotated[Principal, require(Role.SELLER, Role.OPERATOR)]
Operator = Annotated[Principal, require(Role.OPERATOR)]
Seller = Annotated[Principal, require(Role.SELLER)]


def offer_out(view: custody.OfferView, min_margin_bps: int) -> SupplyOfferOut:
    o = view.offer
    return SupplyOfferOut(
        id=o.id,
        sku=view.sku,
        variant_id=o.variant_id,
        product_id=o.product_id,
        seller_id=o.seller_id,
        status=o.status,
        supply_price_cents=o.supply_price_cents,
        samples=o.samples,
        note=o.note,
        counter_supply_cents=o.counter_supply_cents,
        price_cents=o.price_cents,
        accepted_supply_cents=o.accepted_supply_cents,
        min_price_cents=(
            lowest_price_for_margin(supply_cents=o.supply_price_cents, min_margin_bps=min_margin_bps)
            if o.status is OfferStatus.OPEN
            else None
        ),
        created_at=o.created_at,
        decided_at=o.decided_at,
        decisions=[DecisionOut.model_validate(d) for d in view.decisions],
    )


@router.post(
    "/v1/supply-offers",
    response_model=SupplyOfferOut,
    status_code=201,
    responses=PROBLEMS,
    summary="Offer a supply price for a full-custody SKU (the seller; operators on its behalf)",
)
def make_offer(body: SupplyOfferIn, app: App, who: Manager) -> SupplyOfferOut:
    with app.db.transaction() as session:
        variant, _ = catalog.owned_variant(session, principal=who, sku=body.sku)
        offer = custody.offer_supply_price(
            session,
            principal=who,
            variant_id=variant.id,
            supply_price_cents=body.supply_price_cents,
            samples=body.samples,
            note=body.note,
        )
        view = custody.get_offer(session, principal=who, offer_id=offer.id)
        return offer_out(view, app.settings.custody_min_margin_bps)


@router.get(
    "/v1/supply-offers",
    response_model=SupplyOfferPage,
    responses=PROBLEMS,
    summary="Supply offers, newest first (a seller's own; operators all: status=open is the price-check queue)",
)
def list_offers(
    app: App,
    who: Manager,
    status: OfferStatus | None = None,
    sku: Annotated[str | None, Query(min_length=1, max_length=64, pattern=SKU_PATTERN)] = None,
    seller_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> SupplyOfferPage:
    with app.db.transaction() as session:
        rows = custody.list_offers(
            session, principal=who, status=status, sku=sku, seller_id=seller_id,
            after_id=decode_cursor(cursor), limit=limit + 1,
        )  # fmt: skip
        items = [offer_out(v, app.settings.custody_min_margin_bps) for v in rows[:limit]]
    return SupplyOfferPage(items=items, next_cursor=next_cursor(items, len(rows) > limit))


@router.get("/v1/supply-offers/{offer_id}", response_model=SupplyOfferOut, responses=PROBLEMS, summary="One offer")
def get_offer(offer_id: PathId, app: App, who: Manager) -> SupplyOfferOut:
    with app.db.transaction() as session:
        return offer_out(
            custody.get_offer(session, principal=who, offer_id=offer_id), app.settings.custody_min_margin_bps
        )


@router.post(
    "/v1/supply-offers/{offer_id}/accept",
    response_model=SupplyOfferOut,
    responses=PROBLEMS,
    summary="Accept with a retail price: the variant is priced (operators)",
)
def accept(offer_id: PathId, body: AcceptIn, app: App, who: Operator) -> SupplyOfferOut:
    minimum = app.settings.custody_min_margin_bps
    with app.db.transaction() as session:
        custody.accept_offer(
            session, principal=who, offer_id=offer_id, price_cents=body.price_cents, min_margin_bps=minimum,
            override_margin=body.override_margin, reason=body.reason, now=utcnow(),
        )  # fmt: skip
        return offer_out(custody.get_offer(session, principal=who, offer_id=offer_id), minimum)


@router.post(
    "/v1/supply-offers/{offer_id}/reject",
    response_model=SupplyOfferOut,
    responses=PROBLEMS,
    summary="Reject with a reason (operators)",
)
def reject(offer_id: PathId, body: RejectIn, app: App, who: Operator) -> SupplyOfferOut:
    with app.db.transaction() as session:
        custody.reject_offer(session, principal=who, offer_id=offer_id, reason=body.reason, now=utcnow())
        return offer_out(
            custody.get_offer(session, principal=who, offer_id=offer_id), app.settings.custody_min_margin_bps
        )


@router.post(
    "/v1/supply-offers/{offer_id}/counter",
    response_model=SupplyOfferOut,
    responses=PROBLEMS,
    summary="Counter-offer another supply price with the retail price it would get (operators)",
)
def counter(offer_id: PathId, body: CounterIn, app: App, who: Operator) -> SupplyOfferOut:
    minimum = app.settings.custody_min_margin_bps
    with app.db.transaction() as session:
        custody.counter_offer(
            session, principal=who, offer_id=offer_id, supply_price_cents=body.supply_price_cents,
            price_cents=body.price_cents, min_margin_bps=minimum, override_margin=body.override_margin,
            reason=body.reason, now=utcnow(),
        )  # fmt: skip
        return offer_out(custody.get_offer(session, principal=who, offer_id=offer_id), minimum)


@router.post(
    "/v1/supply-offers/{offer_id}/counter/accept",
    response_model=SupplyOfferOut,
    responses=PROBLEMS,
    summary="Accept the operator's counter-offer: the variant is priced with it (the seller)",
)
def accept_counter(offer_id: PathId, body: AnswerIn, app: App, who: Seller) -> SupplyOfferOut:
    with app.db.transaction() as session:
        custody.answer_counter(session, principal=who, offer_id=offer_id, accept=True, reason=body.reason, now=utcnow())
        return offer_out(
            custody.get_offer(session, principal=who, offer_id=offer_id), app.settings.custody_min_margin_bps
        )


@router.post(
    "/v1/supply-offers/{offer_id}/counter/decline",
    response_model=SupplyOfferOut,
    responses=PROBLEMS,
    summary="Decline the operator's counter-offer (the seller)",
)
def decline_counter(offer_id: PathId, body: AnswerIn, app: App, who: Seller) -> SupplyOfferOut:
    with app.db.transaction() as session:
        custody.answer_counter(
            session, principal=who, offer_id=offer_id, accept=False, reason=body.reason, now=utcnow()
        )
        return offer_out(
            custody.get_offer(session, principal=who, offer_id=offer_id), app.settings.custody_min_margin_bps
        )
