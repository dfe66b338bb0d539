"""The promotions' clock (``yellowcart jobs promotions`` and the worker, every few seconds): end
promotions whose window passed (``expired``) and those whose budget or total limit is used up
(``budget`` / ``limit``), start flash deals' live deals when their window begins, and end flash deals
that sold out or whose deal ended (the promotion ends with the deal's reason).

Checkout never offers a promotion outside its window or past its budget or limit (``offers.running``),
so this job only records what already holds. A promotion whose budget or limit is used up only by
unpaid orders is left running: if one of them is cancelled its share comes back, and the promotion is
not over after all; it ends once no redemption is held any more.

Every step is idempotent (the promotion's row lock, then the deal's): a rerun, a second worker, or the
live-deals job acting on the same deal changes nothing twice. One transaction per promotion.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from yellowcart.db import Database, utcnow
from yellowcart.errors import DomainError, InsufficientStock
from yellowcart.live import deals
from yellowcart.live.deal_models import DealStatus, LiveDeal
from yellowcart.promotions import admin
from yellowcart.promotions.models import Promotion, PromotionKind, PromotionStatus, Redemption, RedemptionStatus

log = structlog.get_logger(__name__)
S = PromotionStatus
LIVE = (S.ACTIVE, S.PAUSED)
START = "start"


@dataclass
class PromotionRun:
    """What the run did: promotion ids ended (with why) and flash deals started (empty on a rerun)."""

    ended: dict[int, str] = field(default_factory=dict)
    deals_started: list[int] = field(default_factory=list)


def _expired(session: Session, now: dt.datetime) -> list[tuple[int, str]]:
    rows = session.scalars(
        select(Promotion.id).where(Promotion.status.in_(LIVE), Promotion.ends_at <= now).order_by(Promotion.id)
    )
    return [(int(pid), "expired") for pid in rows]


def _used_up(session: Session) -> list[tuple[int, str]]:
    budget_gone = and_(Promotion.budget_cents.is_not(None), Promotion.budget_used_cents >= Promotion.budget_cents)
    limit_gone = and_(Promotion.total_limit.is_not(None), Promotion.redemptions >= Promotion.total_limit)
    held = exists().where(Redemption.promotion_id == Promotion.id, Redemption.status == RedemptionStatus.HELD)
    rows = session.execute(
        select(Promotion.id, budget_gone)
        .where(Promotion.status.in_(LIVE), or_(budget_gone, limit_gone), ~held)
        .order_by(Promotion.id)
    ).all()
    return [(int(pid), "budget" if budget else "limit") for pid, budget in rows]


def _flash(session: Session, now: dt.datetime) -> list[tuple[int, str]]:
    """Flash promotions whose deal is due to start, sold out, or already over."""
    rows = session.execute(
        select(Promotion.id, LiveDeal.status, LiveDeal.end_reason)
        .join(LiveDeal, LiveDeal.id == Promotion.deal_id)
        .where(
            Promotion.kind == PromotionKind.FLASH_DEAL,
            Promotion.status == S.ACTIVE,
            or_(
                and_(LiveDeal.status == DealStatus.SCHEDULED, LiveDeal.starts_at <= now, LiveDeal.ends_at > now),
                and_(LiveDeal.status == DealStatus.RUNNING, LiveDeal.remaining <= 0),
                LiveDeal.status.in_((DealStatus.ENDED, DealStatus.CANCELLED)),
            ),
        )
        .order_by(Promotion.id)
    ).all()
    due = []
    for pid, status, end_reason in rows:
        if status is DealStatus.SCHEDULED:
            due.append((int(pid), START))
        elif status is DealStatus.RUNNING:
            due.append((int(pid), "sold_out"))
        else:
            due.append((int(pid), end_reason or "ended"))
    return due


def _lock(session: Session, promotion_id: int) -> Promotion | None:
    return session.scalar(
        select(Promotion)
        .where(Promotion.id == promotion_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _start(db: Database, promotion_id: int, now: dt.datetime) -> str | None:
    """Start a flash deal's live deal (its units set aside); a SKU short of them ends the promotion."""
    try:
        with db.transaction() as session:
            p = _lock(session, promotion_id)
            if p is None or p.status is not S.ACTIVE or p.deal_id is None:
                return None
            deals.start_deal(session, deal_id=p.deal_id, now=now)
            return START
    except InsufficientStock:
        with db.transaction() as session:
            p = _lock(session, promotion_id)
            if p is not None:
                admin.finish(session, p, reason="insufficient_stock", now=now)
        return "insufficient_stock"


def _end(db: Database, promotion_id: int, reason: str, now: dt.datetime) -> bool:
    with db.transaction() as session:
        p = _lock(session, promotion_id)
        if p is None or p.status is S.ENDED:
            return False
        admin.finish(session, p, reason=reason, now=now)
        return True


def run(db: Database, now: dt.datetime) -> PromotionRun:
    with db.transaction() as session:
        due = _flash(session, now) + _expired(session, now) + _used_up(session)
    done = PromotionRun()
    for promotion_id, action in due:
        if promotion_id in done.ended:
            continue
        try:
            if action == START:
                outcome = _start(db, promotion_id, now)
                if outcome == START:
                    done.deals_started.append(promotion_id)
                elif outcome is not None:
                    done.ended[promotion_id] = outcome
            elif _end(db, promotion_id, action, now):
                done.ended[promotion_id] = action
        except DomainError as exc:  # e.g. the deal was ended meanwhile: the next run sees the new state
            log.info("promotions.job_skipped", promotion_id=promotion_id, code=exc.code)
        except Exception as exc:  # keep going: the next run retries this promotion
            log.warning("promotions.job_failed", promotion_id=promotion_id, error=f"{type(exc).__name__}: {exc}")
    return done


def periodic(db: Database) -> Callable[[], PromotionRun]:
    """The worker's entry."""
    return lambda: run(db, utcnow())
