"""Who takes part in which conversation. Participants only: the order's shopper; the seller's staff in
the conversations the seller answers; operators everywhere (they act for the platform and may join any
conversation). Anyone else gets a 404, exactly as for a conversation that does not exist."""

from __future__ import annotations

import enum

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.errors import NotFound
from yellowcart.support.models import Conversation, Counterpart, SenderRole


class Side(enum.StrEnum):
    SHOPPER = "shopper"
    COUNTERPART = "counterpart"  # the seller's staff, operators, and the system's answers


SHOPPER_ROLES = (SenderRole.SHOPPER,)
COUNTERPART_ROLES = (SenderRole.SELLER, SenderRole.OPERATOR, SenderRole.SYSTEM)
HUMAN_COUNTERPART_ROLES = (SenderRole.SELLER, SenderRole.OPERATOR)


def side_of_role(role: SenderRole) -> Side:
    return Side.SHOPPER if role is SenderRole.SHOPPER else Side.COUNTERPART


def side_of(principal: Principal) -> Side:
    return Side.SHOPPER if principal.role is Role.SHOPPER else Side.COUNTERPART


def sender_role(principal: Principal) -> SenderRole:
    return {Role.SHOPPER: SenderRole.SHOPPER, Role.SELLER: SenderRole.SELLER, Role.OPERATOR: SenderRole.OPERATOR}[
        principal.role
    ]


def visible(query: Select[Conversation], principal: Principal) -> Select[Conversation]:
    """Shoppers their own; seller staff the ones their seller answers; operators all; others none."""
    if principal.role is Role.OPERATOR:
        return query
    if principal.role is Role.SHOPPER:
        return query.where(Conversation.shopper_id == principal.user_id)
    if principal.role is Role.SELLER and principal.seller_id is not None:
        return query.where(
            Conversation.seller_id == principal.seller_id, Conversation.counterpart == Counterpart.SELLER
        )
    return query.where(Conversation.id.is_(None))


def get_conversation(
    session: Session, *, principal: Principal, conversation_id: int, lock: bool = False
) -> Conversation:
    query = visible(select(Conversation).where(Conversation.id == conversation_id), principal)
    found = session.scalar(query.with_for_update() if lock else query)
    if found is None:
        raise NotFound(f"Conversation {conversation_id} does not exist.")
    return found
