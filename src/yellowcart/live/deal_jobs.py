"""The deals' clock and reactions: the periodic job (``yellowcart jobs live-deals`` and the worker)
starts scheduled deals whose time came while their room is on air and ends deals whose countdown ran
out; outbox handlers end a room's deals when the room ends and give a cancelled order's deal units back.
Deals without a room (flash deals, ``promotions.flash``) start at ``starts_at`` with no room to wait
for, and end at ``ends_at`` or as soon as they sold out.

Every step is idempotent (a deal's state moves under its row lock; a purchase is returned once), so a
rerun, a second worker, or a redelivered event changes nothing. Each deal is handled in its own
transaction: one failing deal does not hold up the others.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import structlog
from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.orm import Session

from yellowcart.content.models import Content, LiveState
from yellowcart.db import Database, utcnow
from yellowcart.errors import DomainError, InsufficientStock
from yellowcart.events import EventBus, OutboxEvent
from yellowcart.live import deal_checkout, deal_rules, deals
from yellowcart.live.deal_models import DealPurchase, DealStatus, LiveDeal, PurchaseStatus

log = structlog.get_logger(__name__)
OPEN = (DealStatus.SCHEDULED, DealStatus.RUNNING)


@dataclass
class DealRun:
    """Deal ids acted on (empty on a rerun)."""

    started: list[int] = field(default_factory=list)
    ended: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)


def _due(session: Session, now: dt.datetime) -> list[tuple[int, deal_rules.Action]]:
    roomless_sold_out = and_(LiveDeal.room_id.is_(None), LiveDeal.remaining == 0)
    rows = session.execute(
        select(
            LiveDeal.id,
            LiveDeal.status,
            LiveDeal.starts_at,
            LiveDeal.ends_at,
            LiveDeal.room_id,
            LiveDeal.remaining,
            Content.live_state,
        )
        .outerjoin(Content, Content.id == LiveDeal.room_id)
        .where(
            LiveDeal.status.in_(OPEN),
            or_(
                LiveDeal.starts_at <= now,
                LiveDeal.ends_at <= now,
                Content.live_state == LiveState.ENDED,
                roomless_sold_out,
            ),
        )
        .order_by(LiveDeal.id)
    ).all()
    due = []
    for deal_id, status, starts_at, ends_at, room_id, remaining, live_state in rows:
        action = deal_rules.job_action(
            status.value,
            starts_at=starts_at,
            ends_at=ends_at,
            room_live=room_id is None or live_state is LiveState.LIVE,
            room_ended=live_state is LiveState.ENDED,
            now=now,
            sold_out=room_id is None and remaining == 0,
        )
        if action is not None:
            due.append((int(deal_id), action))
    return due


def _start(db: Database, deal_id: int, now: dt.datetime) -> bool:
    """Start one deal; a SKU without the units cancels it (the host sees why), anything else waits."""
    try:
        with db.transaction() as session:
            deals.start_deal(session, deal_id=deal_id, now=now)
        return True
    except InsufficientStock:
        with db.transaction() as session:
            deals.end_deal(session, deal_id=deal_id, reason="insufficient_stock", now=now)
        return False
    except DomainError as exc:  # the room went off air meanwhile, the host ended it: nothing to do
        log.info("live_deals.not_started", deal_id=deal_id, code=exc.code)
        return False


def _end_reason(session: Session, deal_id: int, now: dt.datetime) -> str:
    """Why the job ends a deal: its room ended, its countdown ran out, or (a flash deal) it sold out."""
    ends_at, live_state = session.execute(
        select(LiveDeal.ends_at, Content.live_state)
        .outerjoin(Content, Content.id == LiveDeal.room_id)
        .where(LiveDeal.id == deal_id)
    ).one()
    if live_state is LiveState.ENDED:
        return "room_ended"
    return "expired" if ends_at <= now else "sold_out"


def run_live_deals(db: Database, *, now: dt.datetime) -> DealRun:
    with db.transaction() as session:
        due = _due(session, now)
    run = DealRun()
    for deal_id, action in due:
        try:
            if action is deal_rules.Action.START:
                if _start(db, deal_id, now):
                    run.started.append(deal_id)
                else:
                    run.cancelled.append(deal_id)
                continue
            with db.transaction() as session:
                deal = deals.end_deal(session, deal_id=deal_id, reason=_end_reason(session, deal_id, now), now=now)
            (run.ended if deal.status is DealStatus.ENDED else run.cancelled).append(deal_id)
        except Exception as exc:  # keep going: the next run retries this deal
            log.warning("live_deals.job_failed", deal_id=deal_id, error=f"{type(exc).__name__}: {exc}")
    return run


def periodic(db: Database) -> Callable[[], DealRun]:
    """The worker's entry (every few seconds): the countdown's end is already enforced by every
    purchase (``now < ends_at``); the job gives the unsold units back and starts what is due."""
    return lambda: run_live_deals(db, now=utcnow())


# ---- outbox handlers ------------------------------------------------------------------------------------


def end_room_deals(session: Session, *, room_id: int, now: dt.datetime) -> list[int]:
    """The room ended: its running deals end, its scheduled ones are cancelled."""
    ids = session.scalars(
        select(LiveDeal.id).where(LiveDeal.room_id == room_id, LiveDeal.status.in_(OPEN)).order_by(LiveDeal.id)
    ).all()
    for deal_id in ids:
        deals.end_deal(session, deal_id=deal_id, reason="room_ended", now=now)
    return list(ids)


def return_order_units(session: Session, *, order_id: int, now: dt.datetime) -> int:
    """A cancelled (declined, expired, cancelled) order's deal units: back to the deal while it runs,
    else they stay with the SKU, where cancelling put them. Once per purchase (its status moves)."""
    purchases = session.scalars(
        select(DealPurchase)
        .where(DealPurchase.order_id == order_id, DealPurchase.status == PurchaseStatus.PLACED)
        .order_by(DealPurchase.deal_id)
    ).all()
    back = 0
    for p in purchases:
        moved = session.execute(
            update(DealPurchase)
            .where(DealPurchase.id == p.id, DealPurchase.status == PurchaseStatus.PLACED)
            .values(status=PurchaseStatus.RETURNED, returned_at=now)
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult[Any], moved).rowcount == 1:
            back += deal_checkout.return_units(
                session, deal_id=p.deal_id, user_id=p.shopper_id, quantity=p.quantity, now=now
            )
    return back


def register(bus: EventBus) -> None:
    def on_live_changed(session: Session, event: OutboxEvent) -> None:
        if event.payload.get("live_state") == LiveState.ENDED.value:
            end_room_deals(session, room_id=int(event.payload["content_id"]), now=utcnow())

    def on_order_cancelled(session: Session, event: OutboxEvent) -> None:
        return_order_units(session, order_id=int(event.payload["order_id"]), now=utcnow())

    bus.subscribe("content.live_changed", on_live_changed)
    bus.subscribe("order.cancelled", on_order_cancelled)
