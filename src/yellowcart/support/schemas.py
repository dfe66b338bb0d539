"""Customer service request and response models."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from yellowcart.db import MAX_ID
from yellowcart.support.models import MAX_TEXT, CardType, ConversationStatus, Counterpart, SenderRole, TemplateKind

ImageRef = Annotated[
    str, Field(max_length=500, pattern=r"^https://[^\s]+$", description="An uploaded image's https URL")
]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class OpenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    counterpart: Counterpart | None = Field(
        default=None, description="seller or platform; needed only when the order has both kinds of goods"
    )


class CardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: CardType
    id: Id


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(default="", max_length=MAX_TEXT + 200, description=f"At most {MAX_TEXT} characters once trimmed")
    images: list[ImageRef] = Field(default_factory=list, max_length=4)
    card: CardIn | None = None
    template_id: Id | None = Field(default=None, description="Sellers: send this template filled in for the order")
    ask_person: bool = Field(default=False, description="Shoppers: skip the automatic answer, ask a person")


class ReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message_id: Id


class EscalateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=300)


class CardOut(BaseModel):
    type: CardType
    id: int


class MessageOut(BaseModel):
    id: int
    conversation_id: int
    sender_role: SenderRole
    from_me: bool
    text: str
    images: list[str]
    card: CardOut | None
    auto_answer: bool = Field(description="A self-service answer from the order's data")
    intent: str | None = Field(description="The matcher's label of a shopper's message")
    masked: list[str] = Field(description="What masking removed from the text: kinds, never the values")
    redacted: bool
    created_at: dt.datetime


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None


class ReadReceipts(BaseModel):
    shopper: int = Field(description="The furthest message the shopper has read (0: none)")
    counterpart: int = Field(description="The furthest message the seller's staff or an operator has read")


class ConversationOut(BaseModel):
    id: int
    order_id: int
    counterpart: Counterpart
    seller_id: int
    status: ConversationStatus
    escalated_at: dt.datetime | None
    needs_human_at: dt.datetime | None = Field(description="When the first-response clock started")
    first_response_due_at: dt.datetime | None
    first_response_at: dt.datetime | None
    first_response_breached: bool
    resolved_at: dt.datetime | None
    resolved_by: str | None
    last_message_id: int | None
    last_message_at: dt.datetime | None
    unread: int = Field(description="Messages from the other side the caller has not read")
    read: ReadReceipts
    created_at: dt.datetime


class ConversationPage(BaseModel):
    items: list[ConversationOut]
    next_cursor: str | None


class PostedOut(BaseModel):
    message: MessageOut
    auto_answer: MessageOut | None = Field(description="The self-service answer, when the question had one")
    conversation: ConversationOut


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    actor_role: str
    note: str | None
    at: dt.datetime


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: TemplateKind = TemplateKind.TEMPLATE
    title: str = Field(min_length=1, max_length=80)
    body: str = Field(min_length=1, max_length=MAX_TEXT, description="Text with {placeholders}")
    shortcut: str | None = Field(default=None, max_length=32, pattern=r"^[a-z0-9_-]+$")
    seller_id: Id | None = Field(default=None, description="Operators: whose template")


class TemplateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    seller_id: int
    kind: TemplateKind
    title: str
    shortcut: str | None
    body: str
    updated_at: dt.datetime


class TemplateList(BaseModel):
    items: list[TemplateOut]
    placeholders: dict[str, str]


class RateOut(BaseModel):
    count: int
    total: int
    rate: float | None
    threshold: float
    breached: bool


class SupportStatsOut(BaseModel):
    seller_id: int
    since: dt.datetime
    until: dt.datetime
    first_response: RateOut = Field(description="Conversations answered within the first-response SLA (>= 90%)")
    first_response_hours: int
    median_first_response_minutes: float | None
    resolved: int
    median_resolution_hours: float | None
    open: int
    breaches: int
