"""Messages: posting (masked, with image references and order/shipment/return cards, from a template),
the shopper's self-service answer and the first-response clock, paging, read receipts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.errors import Forbidden, InvalidInput, NotFound
from yellowcart.events import emit
from yellowcart.fulfillment.models import Shipment
from yellowcart.returns import service as returns
from yellowcart.returns.models import ReturnRequest
from yellowcart.support import answers, conversations, rules, templates
from yellowcart.support.access import get_conversation, sender_role
from yellowcart.support.intents import classify
from yellowcart.support.masking import mask_text
from yellowcart.support.models import MAX_TEXT, CardType, Conversation, ConversationStatus, Message, SenderRole


@dataclass(frozen=True, slots=True)
class Draft:
    text: str = ""
    images: Sequence[str] = ()
    card_type: CardType | None = None
    card_id: int | None = None
    template_id: int | None = None
    ask_person: bool = False  # the shopper wants a person, whatever the question


@dataclass
class Posting:
    """What posting needs from the container: the SLA and the returns policy (for answers)."""

    config: rules.SupportConfig = field(default_factory=rules.SupportConfig)
    returns_config: returns.Config = field(default_factory=returns.Config)


@dataclass(frozen=True, slots=True)
class Posted:
    conversation: Conversation
    message: Message
    auto_answer: Message | None


def check_card(session: Session, conv: Conversation, card_type: CardType | None, card_id: int | None) -> None:
    """A card must point at this conversation's order, one of its shipments or one of its returns."""
    if card_type is None and card_id is None:
        return
    if card_type is None or card_id is None:
        raise InvalidInput("A card needs both its type and its id.", field="card")
    order_of: int | None = card_id
    if card_type is CardType.SHIPMENT:
        order_of = session.scalar(select(Shipment.order_id).where(Shipment.id == card_id))
    elif card_type is CardType.RETURN:
        order_of = session.scalar(select(ReturnRequest.order_id).where(ReturnRequest.id == card_id))
    if order_of != conv.order_id:
        raise InvalidInput(f"That {card_type.value} card is not about order {conv.order_id}.", field="card.id")


def _text(session: Session, conv: Conversation, principal: Principal, draft: Draft) -> str:
    if draft.template_id is None:
        text = draft.text.strip()
    elif draft.text.strip():
        raise InvalidInput("Send either text or a template, not both.", field="template_id")
    else:
        text = templates.render_for(session, principal=principal, template_id=draft.template_id, conv=conv)
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"A message has at most {MAX_TEXT} characters.", field="text")
    if not text and not draft.images and draft.card_type is None:
        raise InvalidInput("A message needs text, an image or a card.", field="text")
    return text


def post_message(
    session: Session, *, principal: Principal, conversation_id: int, draft: Draft, settings: Posting, now: dt.datetime
) -> Posted:
    """Store the (masked) message; a shopper's question may be answered from the order's data, else it
    starts the first-response clock; the counterpart's first answer stops it."""
    if principal.role not in (Role.SHOPPER, Role.SELLER, Role.OPERATOR):
        raise NotFound(f"Conversation {conversation_id} does not exist.")
    conv = get_conversation(session, principal=principal, conversation_id=conversation_id, lock=True)
    if draft.template_id is not None and principal.role is not Role.SELLER:
        raise Forbidden("Templates are the seller's.")
    role = sender_role(principal)
    text = _text(session, conv, principal, draft)
    check_card(session, conv, draft.card_type, draft.card_id)
    conversations.ensure_joined(session, conv, principal, now=now)
    if conv.status is ConversationStatus.CLOSED:
        conversations.reopen(session, conv, principal, now=now)
    masked = mask_text(text, sender_role=role.value)
    if len(masked.text) > MAX_TEXT:  # the masks are longer than what they replace
        raise InvalidInput(f"Once personal data is masked the message is over {MAX_TEXT} characters.", field="text")
    message = Message(
        conversation_id=conv.id, sender_user_id=principal.user_id, sender_role=role, body=masked.text,
        images=list(draft.images), card_type=draft.card_type, card_id=draft.card_id, masked=list(masked.kinds),
        created_at=now,
    )  # fmt: skip
    session.add(message)
    session.flush()
    auto = None
    if role is SenderRole.SHOPPER:
        auto = _shopper_asked(session, conv, principal, message, text, draft, settings, now)
    elif conv.needs_human_at is not None and conv.first_response_at is None:
        conv.first_response_at = now
    last = auto or message
    conv.last_message_id, conv.last_message_at = last.id, now
    conversations.participant(session, conv, principal).last_read_message_id = last.id
    emit(session, "support.message_posted", conversation_id=conv.id, message_id=message.id, sender_role=role.value)
    return Posted(conv, message, auto)


def _shopper_asked(
    session: Session,
    conv: Conversation,
    principal: Principal,
    message: Message,
    text: str,
    draft: Draft,
    settings: Posting,
    now: dt.datetime,
) -> Message | None:
    """Self-service first: while no person has been asked yet, a recognised question about the order
    is answered from its data. Otherwise (or when the shopper asks for a person) the clock starts."""
    match = classify(text) if text else None
    message.intent = match.intent.value if match else None
    wants_person = draft.ask_person or match is None or not match.auto_answer
    if not wants_person and conv.needs_human_at is None and match is not None:
        found = answers.answer(
            session, intent=match.intent, principal=principal, order_id=conv.order_id,
            returns_config=settings.returns_config, now=now,
        )  # fmt: skip
        if found is not None:
            auto = Message(
                conversation_id=conv.id, sender_role=SenderRole.SYSTEM, body=found.text[:MAX_TEXT],
                card_type=found.card_type, card_id=found.card_id, auto_answer=True, created_at=now,
            )  # fmt: skip
            session.add(auto)
            session.flush()
            return auto
    if conv.needs_human_at is None:
        conv.needs_human_at = now
        conv.first_response_due_at = rules.first_response_due(now, settings.config.first_response_hours)
    return None


def list_messages(
    session: Session, *, principal: Principal, conversation_id: int, before_id: int | None, after_id: int | None,
    limit: int,
) -> tuple[Conversation, Sequence[Message]]:  # fmt: skip
    """Newest first (``before_id``: older pages); with ``after_id`` the ones after it, oldest first."""
    conv = get_conversation(session, principal=principal, conversation_id=conversation_id)
    query = select(Message).where(Message.conversation_id == conv.id)
    if after_id is not None:
        return conv, session.scalars(query.where(Message.id > after_id).order_by(Message.id).limit(limit)).all()
    if before_id is not None:
        query = query.where(Message.id < before_id)
    return conv, session.scalars(query.order_by(Message.id.desc()).limit(limit)).all()


def mark_read(
    session: Session, *, principal: Principal, conversation_id: int, message_id: int, now: dt.datetime
) -> Conversation:
    """The caller has read up to ``message_id`` (receipts only move forward)."""
    conv = get_conversation(session, principal=principal, conversation_id=conversation_id, lock=True)
    exists = session.scalar(select(Message.id).where(Message.id == message_id, Message.conversation_id == conv.id))
    if exists is None:
        raise InvalidInput(f"Message {message_id} is not in this conversation.", field="message_id")
    row = conversations.participant(session, conv, principal)
    if message_id > row.last_read_message_id:
        row.last_read_message_id, row.read_at = message_id, now
    return conv
