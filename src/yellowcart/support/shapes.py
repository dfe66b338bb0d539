"""How a message looks from where the caller stands (``from_me``), in one place: the API's replies, the
conversation stream's ``message`` frames and the web pages all show the same :class:`MessageOut`."""

from __future__ import annotations

from yellowcart.auth.service import Principal
from yellowcart.support.models import Message
from yellowcart.support.schemas import CardOut, MessageOut


def message_out(m: Message, who: Principal) -> MessageOut:
    return MessageOut(
        id=m.id,
        conversation_id=m.conversation_id,
        sender_role=m.sender_role,
        from_me=m.sender_user_id == who.user_id,
        text=m.body,
        images=list(m.images),
        card=CardOut(type=m.card_type, id=m.card_id) if m.card_type is not None and m.card_id is not None else None,
        auto_answer=m.auto_answer,
        intent=m.intent,
        masked=list(m.masked),
        redacted=m.redacted_at is not None,
        created_at=m.created_at,
    )
