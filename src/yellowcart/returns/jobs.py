"""Scheduled return jobs, each item in its own transaction (one failure does not stop the rest):

* a request nobody answered within ``response_hours`` is approved automatically; a request the seller
  should have answered but that carries an abuse signal is escalated to operators once instead (a
  person looks at it; it is never silently refused);
* a return received and not refunded ``refund_business_days`` later is refunded (the SLA), graded or
  not: the shopper does not wait for the inspection queue;
* orders whose return window closed with no open return are completed (completion.py), in batches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.checkout.payments import PaymentProvider
from yellowcart.db import Database
from yellowcart.fulfillment.carriers.base import Carrier
from yellowcart.orders.models import Order
from yellowcart.returns import completion, facts, refunds, signals
from yellowcart.returns.labels import issue_label
from yellowcart.returns.models import ReturnRequest
from yellowcart.returns.service import BUILT_IN_RULES, Config, approve_return, move
from yellowcart.returns.state import ReturnStatus

R = ReturnStatus
log = structlog.get_logger(__name__)


@dataclass
class ReturnRun:
    approved: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    refunded: list[int] = field(default_factory=list)
    lost: list[int] = field(default_factory=list)
    completed: list[int] = field(default_factory=list)  # orders whose return window closed


def _locked(session: Session, return_id: int, status: ReturnStatus) -> ReturnRequest | None:
    ret = session.scalar(select(ReturnRequest).where(ReturnRequest.id == return_id).with_for_update())
    return ret if ret is not None and ret.status is status else None


def answer_overdue(
    session: Session, *, return_id: int, provider: PaymentProvider, now: dt.datetime, config: Config
) -> str | None:
    ret = _locked(session, return_id, R.REQUEST_PENDING)
    if ret is None or ret.respond_by is None or ret.respond_by > now:
        return None
    if ret.reviewer == "seller" and signals.REVIEW_FLAGS & set(ret.review_flags):
        ret.reviewer, ret.respond_by = "operator", now + dt.timedelta(hours=config.response_hours)
        return "escalated"
    order = session.get(Order, ret.order_id)
    assert order is not None
    ctx = facts.order_context(session, order=order, base=config.base, built_in=BUILT_IN_RULES)
    approve_return(
        session,
        ret=ret,
        ctx=ctx,
        actor=None,
        note=f"no answer within {config.response_hours} h",
        provider=provider,
        now=now,
        config=config,
    )
    return "approved"


def refund_overdue(
    session: Session, *, return_id: int, provider: PaymentProvider, now: dt.datetime, config: Config
) -> bool:
    ret = _locked(session, return_id, R.RECEIVED)
    if ret is None or ret.refund_due_by is None or ret.refund_due_by > now:
        return False
    order = session.get(Order, ret.order_id)
    assert order is not None
    ctx = facts.order_context(session, order=order, base=config.base, built_in=BUILT_IN_RULES)
    refunds.refund(session, ret=ret, ctx=ctx, provider=provider, now=now)
    move(session, ret, R.COMPLETED, None, "refund SLA: refunded before inspection", at=now)
    refunds.follow_order(session, order=order, actor=None)
    return True


def refund_lost(
    session: Session, *, return_id: int, provider: PaymentProvider, now: dt.datetime, config: Config
) -> bool:
    """Shipped back ``lost_return_days`` ago and never received: the carrier lost it, the shopper has
    proof of shipment (the platform's label or a tracking number), so the shopper is refunded."""
    ret = _locked(session, return_id, R.BUYER_SHIPPED)
    if ret is None or ret.shipped_at is None or ret.shipped_at > now - dt.timedelta(days=config.lost_return_days):
        return False
    order = session.get(Order, ret.order_id)
    assert order is not None
    ctx = facts.order_context(session, order=order, base=config.base, built_in=BUILT_IN_RULES)
    refunds.refund(session, ret=ret, ctx=ctx, provider=provider, now=now)
    note = f"not received {config.lost_return_days} days after it was sent back: refunded on proof of shipment"
    move(session, ret, R.COMPLETED, None, note, at=now)
    refunds.follow_order(session, order=order, actor=None)
    return True


def _each(db: Database, ids: list[int], job: Callable[[Session, int], object]) -> list[tuple[int, object]]:
    done = []
    for rid in ids:
        try:
            with db.transaction() as session:
                done.append((rid, job(session, rid)))
        except Exception:
            log.exception("return_job_failed", return_id=rid)
    return done


def run_return_jobs(
    db: Database, *, provider: PaymentProvider, now: dt.datetime, config: Config, carrier: Carrier | None = None
) -> ReturnRun:
    """Every return job once; approved returns get their label (outside the transactions) from ``carrier``."""
    with db.transaction() as session:
        pending = list(
            session.scalars(
                select(ReturnRequest.id)
                .where(ReturnRequest.status == R.REQUEST_PENDING, ReturnRequest.respond_by <= now)
                .order_by(ReturnRequest.id)
            )
        )
        received = list(
            session.scalars(
                select(ReturnRequest.id)
                .where(ReturnRequest.status == R.RECEIVED, ReturnRequest.refund_due_by <= now)
                .order_by(ReturnRequest.id)
            )
        )
        lost_before = now - dt.timedelta(days=config.lost_return_days)
        shipped = list(
            session.scalars(
                select(ReturnRequest.id)
                .where(ReturnRequest.status == R.BUYER_SHIPPED, ReturnRequest.shipped_at <= lost_before)
                .order_by(ReturnRequest.id)
            )
        )
    run = ReturnRun()
    for rid, what in _each(
        db, pending, lambda s, r: answer_overdue(s, return_id=r, provider=provider, now=now, config=config)
    ):
        if what == "approved":
            run.approved.append(rid)
            if carrier is not None:
                issue_label(db, carrier, return_id=rid)
        elif what == "escalated":
            run.escalated.append(rid)
    for rid, ok in _each(
        db, received, lambda s, r: refund_overdue(s, return_id=r, provider=provider, now=now, config=config)
    ):
        if ok:
            run.refunded.append(rid)
    for rid, ok in _each(
        db, shipped, lambda s, r: refund_lost(s, return_id=r, provider=provider, now=now, config=config)
    ):
        if ok:
            run.lost.append(rid)
    run.completed = completion.complete_orders(db, now=now, config=config)
    return run
