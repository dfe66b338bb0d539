"""A seller's customer-service numbers over a window: the first-response rate that seller health
counts (``fulfillment.health`` calls :func:`first_response_rate`), response and resolution times.

Only the seller's own conversations count (the platform answers full-custody and platform-owned
orders); a conversation counts in the window its clock started in (the first shopper message a
person had to answer).
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.errors import Forbidden, NotFound
from yellowcart.fulfillment.sla import Rate
from yellowcart.sellers.models import Seller
from yellowcart.support import rules
from yellowcart.support.models import Breach, Conversation, ConversationStatus, Counterpart


@dataclass(frozen=True, slots=True)
class SupportStats:
    seller_id: int
    since: dt.datetime
    until: dt.datetime
    first_response: Rate
    median_first_response_minutes: float | None
    resolved: int
    median_resolution_hours: float | None  # from the first question a person had to answer
    open: int
    breaches: int


def _clocked(session: Session, seller_id: int, since: dt.datetime) -> list[Conversation]:
    return list(
        session.scalars(
            select(Conversation).where(
                Conversation.seller_id == seller_id,
                Conversation.counterpart == Counterpart.SELLER,
                Conversation.needs_human_at >= since,
            )
        )
    )


def first_response_rate(session: Session, *, seller_id: int, since: dt.datetime, now: dt.datetime) -> Rate:
    """Conversations answered within the SLA out of those that say something (see ``rules``)."""
    verdicts = [
        rules.counts_for_health(c.first_response_due_at, c.first_response_at, c.resolved_at, now=now)
        for c in _clocked(session, seller_id, since)
    ]
    judged = [v for v in verdicts if v is not None]
    return Rate(sum(judged), len(judged), rules.FIRST_RESPONSE)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def seller_stats(
    session: Session, *, principal: Principal, seller_id: int, now: dt.datetime, window_days: int
) -> SupportStats:
    """The seller itself or an operator; another seller's numbers read as missing."""
    if principal.role not in (Role.SELLER, Role.OPERATOR):
        raise Forbidden("Support numbers are for the seller and operators.")
    if (principal.role is Role.SELLER and principal.seller_id != seller_id) or session.get(Seller, seller_id) is None:
        raise NotFound(f"Seller {seller_id} does not exist.")
    since = now - dt.timedelta(days=window_days)
    clocked = _clocked(session, seller_id, since)
    answered = [
        (c.first_response_at - c.needs_human_at).total_seconds() / 60
        for c in clocked
        if c.first_response_at and c.needs_human_at
    ]
    resolved = [c for c in clocked if c.status is ConversationStatus.CLOSED and c.resolved_at and c.needs_human_at]
    open_now = session.scalar(
        select(func.count()).where(
            Conversation.seller_id == seller_id,
            Conversation.counterpart == Counterpart.SELLER,
            Conversation.status == ConversationStatus.OPEN,
        )
    )
    breaches = session.scalar(
        select(func.count()).where(Breach.seller_id == seller_id, Breach.fault == "seller", Breach.detected_at >= since)
    )
    return SupportStats(
        seller_id=seller_id,
        since=since,
        until=now,
        first_response=first_response_rate(session, seller_id=seller_id, since=since, now=now),
        median_first_response_minutes=_median(answered),
        resolved=len(resolved),
        median_resolution_hours=_median(
            [
                (c.resolved_at - c.needs_human_at).total_seconds() / 3600
                for c in resolved
                if c.resolved_at and c.needs_human_at
            ]
        ),
        open=int(open_now or 0),
        breaches=int(breaches or 0),
    )
