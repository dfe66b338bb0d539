"""Privacy for conversations: the shopper's deletion request (for the privacy domain to call).

Pseudonymising keeps each conversation's shape (who answered when, cards, the SLA record) so seller
health and disputes still add up, but removes what the shopper wrote and sent: the text becomes a
fixed placeholder, image references go, and the message no longer names its author's account (the
role ``shopper`` stays). The shopper's read receipts and pending e-mails go too. The conversation rows
keep ``shopper_id``: what happens to the user row itself is the privacy domain's decision.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from yellowcart.support import conversations
from yellowcart.support.models import Conversation, Email, EmailStatus, EventKind, Message, Participant, SenderRole

REMOVED = "[removed at the shopper's request]"


def pseudonymise_shopper(session: Session, *, shopper_id: int, now: dt.datetime) -> int:
    """Pseudonymise every message the shopper wrote; returns how many messages changed."""
    conv_ids = list(session.scalars(select(Conversation.id).where(Conversation.shopper_id == shopper_id)))
    if not conv_ids:
        return 0
    result = session.execute(
        update(Message)
        .where(
            Message.conversation_id.in_(conv_ids),
            Message.sender_role == SenderRole.SHOPPER,
            Message.redacted_at.is_(None),
        )
        .values(body=REMOVED, images=[], sender_user_id=None, masked=[], redacted_at=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(Participant).where(Participant.conversation_id.in_(conv_ids), Participant.user_id == shopper_id)
    )
    session.execute(
        delete(Email).where(
            Email.conversation_id.in_(conv_ids), Email.recipient_user_id == shopper_id, Email.status != EmailStatus.SENT
        )
    )
    for conv in session.scalars(select(Conversation).where(Conversation.id.in_(conv_ids))):
        conversations.record(session, conv, EventKind.SHOPPER_PSEUDONYMISED, None, at=now)
    return int(getattr(result, "rowcount", 0) or 0)
