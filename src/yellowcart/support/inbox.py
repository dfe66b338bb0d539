"""The conversation lists of the seller centre and the operations console: a seller's inbox (what waits
on the seller first, the running first-response clocks by due time) and the operators' escalated queue
(oldest escalation first, with the seller, who escalated and who joined); and the response-time clock.
One conversation's page is :mod:`thread`'s.

Access is :mod:`access`'s (``visible``: a seller sees only its own conversations); the SLA is
:mod:`rules`'s. Services take a session and never commit.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role, User
from yellowcart.auth.service import Principal
from yellowcart.errors import Forbidden
from yellowcart.sellers.models import Seller
from yellowcart.support import conversations, rules
from yellowcart.support.access import visible
from yellowcart.support.models import (
    Conversation,
    ConversationEvent,
    ConversationStatus,
    EventKind,
    Message,
    Participant,
    SenderRole,
)

LIMIT = 100
PREVIEW_CHARS = 140


class View(enum.StrEnum):
    """The inbox's filters: waiting on you, every open one (waiting first), everything."""

    WAITING = "waiting"
    OPEN = "open"
    ALL = "all"


class QueueView(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    ALL = "all"


# ---- the response-time clock (pure) ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Clock:
    """Time left to the first-response due time (negative: overdue by that much)."""

    due_at: dt.datetime
    seconds_left: int

    @property
    def overdue(self) -> bool:
        return self.seconds_left < 0

    @property
    def label(self) -> str:
        """ "3 h 20 min left", "overdue by 1 d 2 h", "12 min left"."""
        span = duration(abs(self.seconds_left))
        return f"overdue by {span}" if self.overdue else f"{span} left"


def duration(seconds: int) -> str:
    """A span as people read it at a glance: "1 d 4 h", "3 h 20 min", "7 min" (under a minute: "0 min")."""
    days, rest = divmod(max(seconds, 0), 86_400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def response_clock(
    *,
    status: ConversationStatus,
    due_at: dt.datetime | None,
    answered_at: dt.datetime | None,
    now: dt.datetime,
) -> Clock | None:
    """The running first-response clock: only while the conversation is open, a person was asked (the
    clock has a due time) and nobody from the counterpart's side has answered yet."""
    if status is not ConversationStatus.OPEN or due_at is None or answered_at is not None:
        return None
    return Clock(due_at, int((due_at - now).total_seconds()))


# ---- queries -----------------------------------------------------------------------------------------


def _clocked() -> ColumnElement[bool]:
    return and_(Conversation.needs_human_at.is_not(None), Conversation.first_response_at.is_(None))


def waiting_clause() -> ColumnElement[bool]:
    """Open, and either the first-response clock runs or the shopper wrote last (a follow-up)."""
    shopper_last = exists().where(Message.id == Conversation.last_message_id, Message.sender_role == SenderRole.SHOPPER)
    return and_(Conversation.status == ConversationStatus.OPEN, or_(_clocked(), shopper_last))


def _count(session: Session, query: Select[Conversation]) -> int:
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


@dataclass(frozen=True, slots=True)
class Preview:
    sender_role: SenderRole
    text: str
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class Row:
    """One conversation in a list: its state, the clock, what was said last and what the caller missed."""

    id: int
    order_id: int
    seller_id: int
    status: ConversationStatus
    waiting: bool
    clock: Clock | None
    waiting_since: dt.datetime | None  # a follow-up without a clock: when the shopper wrote
    answered_late: bool
    unread: int
    last: Preview | None
    escalated_at: dt.datetime | None


def _previews(session: Session, convs: Sequence[Conversation]) -> dict[int, Preview]:
    ids = [c.last_message_id for c in convs if c.last_message_id]
    if not ids:
        return {}
    rows = session.scalars(select(Message).where(Message.id.in_(ids)))
    out = {}
    for m in rows:
        text = m.body if len(m.body) <= PREVIEW_CHARS else m.body[: PREVIEW_CHARS - 1] + "…"
        if not text:
            text = "(an image)" if m.images else f"({m.card_type.value} card)" if m.card_type else ""
        out[m.conversation_id] = Preview(m.sender_role, text, m.created_at)
    return out


def rows_of(
    session: Session, principal: Principal, convs: Sequence[Conversation], waiting: set[int], now: dt.datetime
) -> list[Row]:
    ids = [c.id for c in convs]
    unread = conversations.unread_counts(session, principal=principal, conversation_ids=ids)
    previews = _previews(session, convs)
    out = []
    for c in convs:
        clock = response_clock(
            status=c.status, due_at=c.first_response_due_at, answered_at=c.first_response_at, now=now
        )
        late = c.first_response_at is not None and rules.first_response_breached(
            c.first_response_due_at, c.first_response_at, now=now
        )
        since = c.last_message_at if c.id in waiting and clock is None else None
        out.append(
            Row(c.id, c.order_id, c.seller_id, c.status, c.id in waiting, clock, since, late, unread.get(c.id, 0),
                previews.get(c.id), c.escalated_at)
        )  # fmt: skip
    return out


@dataclass(frozen=True, slots=True)
class Inbox:
    rows: list[Row]
    waiting: int  # how many wait on the seller (all of them, not only this page)
    overdue: int  # of those, how many are past the first-response due time


def seller_inbox(session: Session, *, principal: Principal, view: View, now: dt.datetime, limit: int = LIMIT) -> Inbox:
    """The seller's conversations: those waiting on it first (the running clocks by due time, then
    follow-ups oldest first), then the others by latest message."""
    if principal.role is not Role.SELLER:
        raise Forbidden("The inbox is the seller's.")
    base = visible(select(Conversation), principal)
    clocked = _clocked()
    first = base.where(waiting_clause()).order_by(
        case((clocked, 0), else_=1),
        case((clocked, Conversation.first_response_due_at), else_=Conversation.last_message_at),
        Conversation.id,
    )
    found = list(session.scalars(first.limit(limit)))
    waiting = {c.id for c in found}
    if view is not View.WAITING and len(found) < limit:
        rest = base.where(~waiting_clause())
        if view is View.OPEN:
            rest = rest.where(Conversation.status == ConversationStatus.OPEN)
        latest = func.coalesce(Conversation.last_message_at, Conversation.created_at)
        found += session.scalars(rest.order_by(latest.desc(), Conversation.id.desc()).limit(limit - len(found)))
    total = _count(session, base.where(waiting_clause()))
    overdue = _count(session, base.where(waiting_clause(), clocked, Conversation.first_response_due_at < now))
    return Inbox(rows_of(session, principal, found, waiting, now), total, overdue)


def waiting_count(session: Session, *, principal: Principal) -> int:
    """How many of the caller's conversations wait on the counterpart (one count query)."""
    return _count(session, visible(select(Conversation), principal).where(waiting_clause()))


# ---- the operators' escalated queue ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueRow:
    row: Row
    seller: str
    escalated_at: dt.datetime
    age_seconds: int
    escalated_by: str  # "seller" or "operator" (with the name)
    reason: str | None
    joined: list[str]  # operators who joined


def _operator(principal: Principal) -> None:
    if not principal.is_operator:
        raise Forbidden("The escalated queue is the operators'.")


def joined_operators(session: Session, conversation_ids: Sequence[int]) -> dict[int, list[str]]:
    """The operators who joined each conversation, in the order they joined."""
    out: dict[int, list[str]] = {cid: [] for cid in conversation_ids}
    if not conversation_ids:
        return out
    rows = session.execute(
        select(Participant.conversation_id, User.display_name)
        .join(User, User.id == Participant.user_id)
        .where(Participant.conversation_id.in_(conversation_ids), Participant.joined_at.is_not(None))
        .order_by(Participant.joined_at)
    )
    for cid, name in rows:
        out[cid].append(name)
    return out


def _reasons(session: Session, conversation_ids: Sequence[int]) -> dict[int, str | None]:
    """The latest escalation's reason per conversation (kept in its audit event)."""
    if not conversation_ids:
        return {}
    rows = session.execute(
        select(ConversationEvent.conversation_id, ConversationEvent.note)
        .where(ConversationEvent.conversation_id.in_(conversation_ids), ConversationEvent.kind == EventKind.ESCALATED)
        .order_by(ConversationEvent.id)
    )
    return dict(rows.all())


def waiting_ids(session: Session, ids: Sequence[int]) -> set[int]:
    if not ids:
        return set()
    return set(session.scalars(select(Conversation.id).where(Conversation.id.in_(ids), waiting_clause())))


def _escalators(session: Session, convs: Sequence[Conversation]) -> dict[int, str]:
    """Who escalated, as "seller Sam" or "operator Olive"."""
    user_ids = sorted({c.escalated_by for c in convs if c.escalated_by})
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.role, User.display_name).where(User.id.in_(user_ids)))
    return {uid: f"{role.value} {name}".strip() for uid, role, name in rows}


def escalated_queue(
    session: Session, *, principal: Principal, view: QueueView, now: dt.datetime, limit: int = LIMIT
) -> list[QueueRow]:
    """Escalated conversations, oldest escalation first, with the seller, who escalated and who joined."""
    _operator(principal)
    query = visible(select(Conversation), principal).where(Conversation.escalated_at.is_not(None))
    if view is not QueueView.ALL:
        chosen = ConversationStatus.OPEN if view is QueueView.OPEN else ConversationStatus.CLOSED
        query = query.where(Conversation.status == chosen)
    convs = list(session.scalars(query.order_by(Conversation.escalated_at, Conversation.id).limit(limit)))
    if not convs:
        return []
    ids = [c.id for c in convs]
    rows = rows_of(session, principal, convs, waiting_ids(session, ids), now)
    seller_ids = sorted({c.seller_id for c in convs})
    sellers = dict(session.execute(select(Seller.id, Seller.name).where(Seller.id.in_(seller_ids))).all())
    by, joined, reasons = _escalators(session, convs), joined_operators(session, ids), _reasons(session, ids)
    out = []
    for c, row in zip(convs, rows, strict=True):
        assert c.escalated_at is not None
        out.append(
            QueueRow(row, sellers.get(c.seller_id, f"seller {c.seller_id}"), c.escalated_at,
                     int((now - c.escalated_at).total_seconds()), by.get(c.escalated_by or 0, ""),
                     reasons.get(c.id), joined[c.id])
        )  # fmt: skip
    return out
