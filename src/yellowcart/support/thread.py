"""One conversation as the seller centre and the operations console show it (messages with who said them
and whether the shopper has seen them, the order card, the seller's quick replies filled in for the order,
who joined, the history), and the page actions the API has no single call for: a reply with the API's
risk check, and a seller passing its conversation to the platform's operators.

Access is :mod:`access`'s (another seller's conversation is missing); services never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.errors import Forbidden, InvalidInput
from yellowcart.events import emit
from yellowcart.orders import service as orders
from yellowcart.risk import signals as risk_signals
from yellowcart.sellers.models import Seller
from yellowcart.support import conversations, messages, placeholders, templates
from yellowcart.support.access import Side, get_conversation
from yellowcart.support.inbox import Row, joined_operators, rows_of, waiting_ids
from yellowcart.support.models import (
    Conversation,
    ConversationEvent,
    ConversationStatus,
    EventKind,
    Message,
    Participant,
    SenderRole,
    TemplateKind,
)

THREAD_LIMIT = 200
MAX_REASON = 300


@dataclass(frozen=True, slots=True)
class Line:
    id: int
    who: str  # "Shopper", "You", "Your team", "yellowcart support", "Automatic answer", "Notice"
    side: str  # me, them, system: how the page lays it out
    text: str
    images: list[str]
    card: str | None  # "order #12", "shipment #3"
    masked: list[str]
    redacted: bool
    seen: bool  # the other side has read it (the caller's own messages only)
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class Reply:
    id: int
    kind: TemplateKind
    title: str
    shortcut: str | None
    text: str  # filled in for this conversation's order


@dataclass(frozen=True, slots=True)
class OrderCard:
    id: int
    status: str
    placed_at: dt.datetime
    total_cents: int
    items: list[str]
    shopper: str | None
    carrier: str | None
    tracking_number: str | None
    tracking_url: str | None
    promised_date: str | None


@dataclass(frozen=True, slots=True)
class Thread:
    row: Row
    counterpart: str
    seller: str
    lines: list[Line]
    order: OrderCard
    replies: list[Reply]
    joined: list[str]
    me_joined: bool
    events: list[ConversationEvent]
    more_before: bool  # older messages than the page shows exist
    read_moved: bool  # opening it moved the caller's read receipt (the shopper's page may show it)


def speaker(m: Message, principal: Principal) -> tuple[str, str]:
    """Who said it, as the viewer reads it, and which side of the page it goes on."""
    if m.sender_role is SenderRole.SYSTEM:
        return ("Automatic answer", "them") if m.auto_answer else ("Notice", "system")
    if m.sender_user_id is not None and m.sender_user_id == principal.user_id:
        return "You", "me"
    if m.sender_role is SenderRole.SHOPPER:
        return "Shopper", "them"
    if m.sender_role is SenderRole.OPERATOR:
        return "yellowcart support", "me" if principal.is_operator else "them"
    return ("Your team", "me") if principal.role is Role.SELLER else ("Seller", "them")


def _lines(session: Session, conv: Conversation, principal: Principal, rows: Sequence[Message]) -> list[Line]:
    receipts = conversations.read_up_to(session, conversation_ids=[conv.id])[conv.id]
    shopper_read = receipts[Side.SHOPPER]
    out = []
    for m in rows:
        who, side = speaker(m, principal)
        card = f"{m.card_type.value} #{m.card_id}" if m.card_type is not None else None
        seen = side == "me" and m.id <= shopper_read
        out.append(Line(m.id, who, side, m.body, list(m.images), card, list(m.masked), m.redacted_at is not None,
                        seen, m.created_at))  # fmt: skip
    return out


def order_card(session: Session, principal: Principal, conv: Conversation) -> OrderCard:
    order = orders.get_order(session, principal=principal, order_id=conv.order_id)
    values = templates.order_values(session, conv)
    return OrderCard(
        id=order.id,
        status=order.status.value.replace("_", " ").lower(),
        placed_at=order.placed_at,
        total_cents=order.total_cents,
        items=[f"{line.quantity} x {line.title}" for line in order.lines],
        shopper=values["shopper_name"],
        carrier=values["carrier"],
        tracking_number=values["tracking_number"],
        tracking_url=values["tracking_url"],
        promised_date=values["promised_date"],
    )


def _replies(session: Session, principal: Principal, conv: Conversation) -> list[Reply]:
    """The seller's templates and quick replies, quick replies first, each filled in for the order."""
    if principal.role is not Role.SELLER:
        return []
    rows = templates.list_templates(session, principal=principal, seller_id=None, kind=None)
    values = templates.order_values(session, conv)
    out = [Reply(t.id, t.kind, t.title, t.shortcut, placeholders.render(t.body, values)) for t in rows]
    return sorted(out, key=lambda r: (r.kind is not TemplateKind.QUICK_REPLY, r.title.lower()))


def open_thread(
    session: Session, *, principal: Principal, conversation_id: int, now: dt.datetime, mark_read: bool = True
) -> Thread:
    """One conversation as its page shows it; reading it moves the caller's read receipt to the newest
    message (operators only once they joined: a look from the queue is not a read the shopper sees)."""
    conv = get_conversation(session, principal=principal, conversation_id=conversation_id)
    _, newest = messages.list_messages(
        session, principal=principal, conversation_id=conv.id, before_id=None, after_id=None, limit=THREAD_LIMIT + 1
    )
    rows = list(reversed(newest[:THREAD_LIMIT]))
    me = session.get(Participant, (conv.id, principal.user_id))
    me_joined = me is not None and me.joined_at is not None
    read_before = me.last_read_message_id if me is not None else 0
    read_moved = mark_read and bool(rows) and rows[-1].id > read_before and (not principal.is_operator or me_joined)
    if read_moved:
        messages.mark_read(session, principal=principal, conversation_id=conv.id, message_id=rows[-1].id, now=now)
    row = rows_of(session, principal, [conv], waiting_ids(session, [conv.id]), now)[0]
    return Thread(
        row=row,
        counterpart=conv.counterpart.value,
        seller=session.scalar(select(Seller.name).where(Seller.id == conv.seller_id)) or "",
        lines=_lines(session, conv, principal, rows),
        order=order_card(session, principal, conv),
        replies=_replies(session, principal, conv),
        joined=joined_operators(session, [conv.id])[conv.id],
        me_joined=me_joined,
        events=list(conversations.events(session, principal=principal, conversation_id=conv.id)),
        more_before=len(newest) > THREAD_LIMIT,
        read_moved=read_moved,
    )


# ---- actions -----------------------------------------------------------------------------------------


def reply(
    session: Session,
    *,
    principal: Principal,
    conversation_id: int,
    text: str,
    template_id: int | None,
    settings: messages.Posting,
    now: dt.datetime,
) -> messages.Posted:
    """Post the seller's or operator's answer (text or a template), risk check included."""
    draft = messages.Draft(text=text, template_id=template_id)
    return post(session, principal=principal, conversation_id=conversation_id, draft=draft, settings=settings, now=now)


def post(
    session: Session,
    *,
    principal: Principal,
    conversation_id: int,
    draft: messages.Draft,
    settings: messages.Posting,
    now: dt.datetime,
) -> messages.Posted:
    """Post a message as anyone taking part (the API, the shopper's order page, the seller centre and the
    console all post through here): the message with its self-service answer, then the risk check's
    signal. The caller tells open streams (``app.support.changed``) once the transaction committed."""
    posted = messages.post_message(
        session, principal=principal, conversation_id=conversation_id, draft=draft, settings=settings, now=now
    )
    risk_signals.message_posted(session, principal=principal, conversation_id=conversation_id, text=posted.message.body)
    return posted


def ask_platform(
    session: Session, *, principal: Principal, conversation_id: int, reason: str, now: dt.datetime
) -> Conversation:
    """The seller passes its conversation to the platform's operators (with the reason; recorded like an
    operator's escalation, and a no-op once escalated). Closed conversations are not escalated."""
    if principal.role is not Role.SELLER:
        raise Forbidden("Sellers ask the platform for help; operators escalate from the console.")
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(f"Say why, in 1 to {MAX_REASON} characters.", field="reason")
    conv = get_conversation(session, principal=principal, conversation_id=conversation_id, lock=True)
    if conv.escalated_at is not None:
        return conv
    if conv.status is ConversationStatus.CLOSED:
        raise InvalidInput("This conversation is closed: nothing to pass on.", field="conversation")
    conv.escalated_at, conv.escalated_by = now, principal.user_id
    conversations.record(session, conv, EventKind.ESCALATED, principal, at=now, note=reason)
    conversations.notice(session, conv, "The seller asked yellowcart support to help with this conversation.", at=now)
    emit(session, "support.escalated", conversation_id=conv.id, order_id=conv.order_id, seller_id=conv.seller_id)
    return conv
