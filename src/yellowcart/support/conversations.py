"""Conversations: opening one per (order, counterpart), listing with unread counts and read receipts,
operators joining and escalating, closing. Services take a session and never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.errors import Forbidden, InvalidInput
from yellowcart.events import emit
from yellowcart.orders import service as orders
from yellowcart.support import rules
from yellowcart.support.access import (
    COUNTERPART_ROLES,
    SHOPPER_ROLES,
    Side,
    get_conversation,
    side_of,
    visible,
)
from yellowcart.support.models import (
    Breach,
    Conversation,
    ConversationEvent,
    ConversationStatus,
    Counterpart,
    EventKind,
    Message,
    Participant,
    SenderRole,
)


def record(
    session: Session, conv: Conversation, kind: EventKind, actor: Principal | None, *, at: dt.datetime, note: str = ""
) -> None:
    session.add(
        ConversationEvent(
            conversation_id=conv.id,
            kind=kind,
            actor_user_id=actor.user_id if actor else None,
            actor_role=actor.role.value if actor else "system",
            note=note[:300] or None,
            at=at,
        )
    )


def notice(session: Session, conv: Conversation, text: str, *, at: dt.datetime) -> Message:
    """A system line everyone in the conversation sees (an operator joined, it was closed)."""
    message = Message(conversation_id=conv.id, sender_role=SenderRole.SYSTEM, body=text, created_at=at)
    session.add(message)
    session.flush()
    conv.last_message_id, conv.last_message_at = message.id, at
    return message


def participant(session: Session, conv: Conversation, principal: Principal) -> Participant:
    """The caller's row in the conversation (created on first use; the conversation row is locked)."""
    row = session.get(Participant, (conv.id, principal.user_id))
    if row is None:
        row = Participant(conversation_id=conv.id, user_id=principal.user_id, role=principal.role.value)
        session.add(row)
        session.flush()
    return row


# ---- opening -----------------------------------------------------------------------------------------


def open_conversation(
    session: Session, *, principal: Principal, order_id: int, counterpart: Counterpart | None, now: dt.datetime
) -> tuple[Conversation, bool]:
    """The order's conversation with ``counterpart`` (created when missing; True when created)."""
    order = orders.get_order(session, principal=principal, order_id=order_id)
    allowed = rules.counterparts(line.selling_mode for line in order.lines)
    if principal.role is Role.SELLER:
        allowed = [c for c in allowed if c is Counterpart.SELLER]
        if not allowed:
            raise Forbidden("The platform answers questions about this order (full custody / platform owned).")
    if not allowed:
        raise InvalidInput("Nobody answers questions about this order here (it sold through the seller's store).")
    if counterpart is None:
        if len(allowed) != 1:
            raise InvalidInput(
                "This order has goods the seller ships and goods the platform ships: say which (counterpart).",
                field="counterpart",
                allowed=[c.value for c in allowed],
            )
        counterpart = allowed[0]
    if counterpart not in allowed:
        raise InvalidInput(
            f"Nobody answers as {counterpart.value} for this order.",
            field="counterpart",
            allowed=[c.value for c in allowed],
        )
    query = select(Conversation).where(Conversation.order_id == order.id, Conversation.counterpart == counterpart)
    found = session.scalar(query)
    if found is not None:
        return found, False
    conv = Conversation(
        order_id=order.id, counterpart=counterpart, shopper_id=order.shopper_id, seller_id=order.seller_id,
        created_at=now,
    )  # fmt: skip
    try:
        with session.begin_nested():
            session.add(conv)
            session.flush()
    except IntegrityError:  # opened by a concurrent request (UNIQUE order, counterpart): use theirs
        existing = session.scalar(query)
        assert existing is not None
        return existing, False
    record(session, conv, EventKind.OPENED, principal, at=now)
    emit(session, "support.conversation_opened", conversation_id=conv.id, order_id=order.id, counterpart=counterpart)
    return conv, True


# ---- reading -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filters:
    status: ConversationStatus | None = None
    counterpart: Counterpart | None = None
    escalated: bool | None = None
    awaiting_response: bool | None = None  # a person was asked and nobody answered yet
    order_id: int | None = None


def list_conversations(
    session: Session, *, principal: Principal, filters: Filters, before_id: int | None, limit: int
) -> Sequence[Conversation]:
    """The caller's conversations, newest first (operators: every conversation; the queue with filters)."""
    query = visible(select(Conversation), principal)
    f = filters
    if f.status is not None:
        query = query.where(Conversation.status == f.status)
    if f.counterpart is not None:
        query = query.where(Conversation.counterpart == f.counterpart)
    if f.escalated is not None:
        query = query.where(
            Conversation.escalated_at.is_not(None) if f.escalated else Conversation.escalated_at.is_(None)
        )
    if f.awaiting_response is not None:
        waiting = and_(Conversation.needs_human_at.is_not(None), Conversation.first_response_at.is_(None))
        query = query.where(waiting if f.awaiting_response else ~waiting)
    if f.order_id is not None:
        query = query.where(Conversation.order_id == f.order_id)
    if before_id is not None:
        query = query.where(Conversation.id < before_id)
    return session.scalars(query.order_by(Conversation.id.desc()).limit(limit)).all()


def other_roles(side: Side) -> tuple[SenderRole, ...]:
    return COUNTERPART_ROLES if side is Side.SHOPPER else SHOPPER_ROLES


def unread_counts(session: Session, *, principal: Principal, conversation_ids: Sequence[int]) -> dict[int, int]:
    """Messages from the other side after the caller's last read, per conversation (one query)."""
    if not conversation_ids:
        return {}
    mine = (Participant.conversation_id == Message.conversation_id) & (Participant.user_id == principal.user_id)
    rows = session.execute(
        select(Message.conversation_id, func.count())
        .outerjoin(Participant, mine)
        .where(
            Message.conversation_id.in_(conversation_ids),
            Message.id > func.coalesce(Participant.last_read_message_id, 0),
            Message.sender_role.in_(other_roles(side_of(principal))),
        )
        .group_by(Message.conversation_id)
    ).all()
    return {int(cid): int(n) for cid, n in rows}


def read_up_to(session: Session, *, conversation_ids: Sequence[int]) -> dict[int, dict[Side, int]]:
    """Each side's read receipt per conversation: the furthest message anyone on that side has read."""
    out = {cid: {Side.SHOPPER: 0, Side.COUNTERPART: 0} for cid in conversation_ids}
    if not conversation_ids:
        return out
    rows = session.execute(
        select(Participant.conversation_id, Participant.role, func.max(Participant.last_read_message_id))
        .where(Participant.conversation_id.in_(conversation_ids))
        .group_by(Participant.conversation_id, Participant.role)
    ).all()
    for cid, role, last in rows:
        side = Side.SHOPPER if role == Role.SHOPPER.value else Side.COUNTERPART
        out[cid][side] = max(out[cid][side], int(last or 0))
    return out


def breached(session: Session, *, conversation_ids: Sequence[int]) -> set[int]:
    """Conversations with a recorded first-response breach (the job's verdict at its instant)."""
    if not conversation_ids:
        return set()
    rows = session.scalars(select(Breach.conversation_id).where(Breach.conversation_id.in_(conversation_ids)))
    return set(rows)


def events(session: Session, *, principal: Principal, conversation_id: int) -> Sequence[ConversationEvent]:
    conv = get_conversation(session, principal=principal, conversation_id=conversation_id)
    return session.scalars(
        select(ConversationEvent).where(ConversationEvent.conversation_id == conv.id).order_by(ConversationEvent.id)
    ).all()


# ---- operators, closing ------------------------------------------------------------------------------


def _operator(principal: Principal) -> None:
    if not principal.is_operator:
        raise Forbidden("Only operators join or escalate conversations.")


def join(session: Session, *, principal: Principal, conversation_id: int, now: dt.datetime) -> Conversation:
    """An operator joins (recorded once; joining again changes nothing)."""
    _operator(principal)
    conv = get_conversation(session, principal=principal, conversation_id=conversation_id, lock=True)
    ensure_joined(session, conv, principal, now=now)
    return conv


def ensure_joined(session: Session, conv: Conversation, principal: Principal, *, now: dt.datetime) -> bool:
    """Operators are recorded as joining the first time they act in a conversation."""
    if not principal.is_operator:
        return False
    row = participant(session, conv, principal)
    if row.joined_at is not None:
        return False
    row.joined_at = now
    record(session, conv, EventKind.JOINED, principal, at=now)
    notice(session, conv, "A yellowcart support agent joined the conversation.", at=now)
    return True


def escalate(
    session: Session, *, principal: Principal, conversation_id: int, reason: str, now: dt.datetime
) -> Conversation:
    """Assign the conversation to operators (recorded with the reason; escalating again is a no-op)."""
    _operator(principal)
    conv = get_conversation(session, principal=principal, conversation_id=conversation_id, lock=True)
    ensure_joined(session, conv, principal, now=now)
    if conv.escalated_at is not None:
        return conv
    conv.escalated_at, conv.escalated_by = now, principal.user_id
    record(session, conv, EventKind.ESCALATED, principal, at=now, note=reason)
    notice(session, conv, "This conversation was passed to yellowcart support.", at=now)
    emit(session, "support.escalated", conversation_id=conv.id, order_id=conv.order_id, seller_id=conv.seller_id)
    return conv


def close(session: Session, *, principal: Principal, conversation_id: int, now: dt.datetime) -> Conversation:
    """Resolved by a participant (idempotent: closing a closed conversation changes nothing)."""
    conv = get_conversation(session, principal=principal, conversation_id=conversation_id, lock=True)
    if conv.status is ConversationStatus.CLOSED:
        return conv
    ensure_joined(session, conv, principal, now=now)
    resolve(session, conv, by=principal.role.value, actor=principal, now=now, kind=EventKind.CLOSED)
    return conv


def resolve(
    session: Session, conv: Conversation, *, by: str, actor: Principal | None, now: dt.datetime, kind: EventKind
) -> None:
    conv.status, conv.resolved_at, conv.resolved_by = ConversationStatus.CLOSED, now, by
    record(session, conv, kind, actor, at=now)
    emit(session, "support.closed", conversation_id=conv.id, order_id=conv.order_id, resolved_by=by)


def reopen(session: Session, conv: Conversation, actor: Principal, *, now: dt.datetime) -> None:
    conv.status, conv.resolved_at, conv.resolved_by = ConversationStatus.OPEN, None, None
    record(session, conv, EventKind.REOPENED, actor, at=now)
