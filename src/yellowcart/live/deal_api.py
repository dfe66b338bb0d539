"""Live deal endpoints: the host creates, starts and ends a room's deals; anyone sees them with their
countdown. Buying is ``POST /v1/checkout`` with ``deal_id`` and ``room_id`` on the item."""

from __future__ import annotations

from fastapi import APIRouter

from yellowcart.db import utcnow
from yellowcart.http import App, Caller, MaybeCaller, PathId, problems
from yellowcart.live import deal_rules, deals
from yellowcart.live.deal_schemas import DealIn, DealList, DealOut

router = APIRouter(tags=["live deals"])
PROBLEMS = problems(
    s403="Not the room's host (or an operator)",
    s404="Unknown room or deal (or a draft room that is not yours)",
    s409="deal_exists, deal_over, room_not_live, room_ended, insufficient_stock, not_purchasable",
)


def _changed(app: App, room_id: int) -> None:
    """Viewers of the room see the change at once (the outbox event follows for other processes)."""
    app.live.changed(room_id, "deal")


@router.post(
    "/v1/live-rooms/{room_id}/deals",
    response_model=DealOut,
    status_code=201,
    responses=PROBLEMS,
    summary="Create a live-only deal on one of the room's listings (the host; operators)",
)
def create_deal(room_id: PathId, body: DealIn, app: App, who: Caller) -> DealOut:
    now = utcnow()
    with app.db.transaction() as session:
        out = deals.deal_out(deals.create_deal(session, principal=who, room_id=room_id, data=body, now=now), now=now)
    _changed(app, room_id)
    return out


@router.get(
    "/v1/live-rooms/{room_id}/deals",
    response_model=DealList,
    responses=PROBLEMS,
    summary="The room's deals, newest first, with their countdown and units left (public)",
)
def list_deals(room_id: PathId, app: App, who: MaybeCaller) -> DealList:
    now = utcnow()
    with app.db.transaction() as session:
        found = deals.list_deals(session, principal=who, room_id=room_id)
        return DealList(items=[deals.deal_out(d, now=now) for d in found], server_time=now)


@router.get(
    "/v1/live-rooms/{room_id}/deals/{deal_id}",
    response_model=DealOut,
    responses=PROBLEMS,
    summary="One deal with its countdown (public)",
)
def get_deal(room_id: PathId, deal_id: PathId, app: App, who: MaybeCaller) -> DealOut:
    now = utcnow()
    with app.db.transaction() as session:
        return deals.deal_out(deals.get_deal(session, principal=who, room_id=room_id, deal_id=deal_id), now=now)


def _manage(app: App, who: Caller, room_id: int, deal_id: int, action: deal_rules.Action) -> DealOut:
    now = utcnow()
    with app.db.transaction() as session:
        deal = deals.manage(session, principal=who, room_id=room_id, deal_id=deal_id, action=action, now=now)
        out = deals.deal_out(deal, now=now)
    _changed(app, room_id)
    return out


@router.post(
    "/v1/live-rooms/{room_id}/deals/{deal_id}/start",
    response_model=DealOut,
    responses=PROBLEMS,
    summary="Start now: sets the units aside, the countdown keeps the deal's length (the host; operators)",
)
def start_deal(room_id: PathId, deal_id: PathId, app: App, who: Caller) -> DealOut:
    return _manage(app, who, room_id, deal_id, deal_rules.Action.START)


@router.post(
    "/v1/live-rooms/{room_id}/deals/{deal_id}/end",
    response_model=DealOut,
    responses=PROBLEMS,
    summary="End now (a scheduled deal is cancelled); unsold units go back to the SKU (the host; operators)",
)
def end_deal(room_id: PathId, deal_id: PathId, app: App, who: Caller) -> DealOut:
    return _manage(app, who, room_id, deal_id, deal_rules.Action.END)
