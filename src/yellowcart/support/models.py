"""Customer service tables: one conversation per (order, counterpart), its messages (stored masked),
who joined and how far each participant has read, an audit of what happened to the conversation, SLA
breaches (one per conversation and kind), sellers' templates and quick replies, and the e-mails sent.

Message text is stored only after masking (``masking``): the original never reaches the database."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yellowcart.db import Base, UTCDateTime, str_enum, utcnow

#: Longest message text, in characters (after trimming; checked in the database too).
MAX_TEXT = 2000


class Counterpart(enum.StrEnum):
    """Who answers the shopper: the seller (seller-fulfilled goods) or the platform's operators (full
    custody and platform-owned goods: the platform holds and ships them)."""

    SELLER = "seller"
    PLATFORM = "platform"


class ConversationStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class SenderRole(enum.StrEnum):
    SHOPPER = "shopper"
    SELLER = "seller"
    OPERATOR = "operator"
    SYSTEM = "system"  # self-service answers and notices (an operator joined, the conversation closed)


class CardType(enum.StrEnum):
    ORDER = "order"
    SHIPMENT = "shipment"
    RETURN = "return"


class EventKind(enum.StrEnum):
    OPENED = "opened"
    JOINED = "joined"
    ESCALATED = "escalated"
    CLOSED = "closed"
    REOPENED = "reopened"
    AUTO_CLOSED = "auto_closed"
    FIRST_RESPONSE_BREACHED = "first_response_breached"
    SHOPPER_PSEUDONYMISED = "shopper_pseudonymised"


class TemplateKind(enum.StrEnum):
    TEMPLATE = "template"  # a longer prepared answer
    QUICK_REPLY = "quick_reply"  # a one-liner offered as a button, with a short ``shortcut``


class EmailStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


def _known(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Conversation(Base):
    __tablename__ = "support_conversations"
    __table_args__ = (
        UniqueConstraint("order_id", "counterpart", name="uq_support_conversations_order_counterpart"),
        CheckConstraint(_known("counterpart", Counterpart), name="counterpart_known"),
        CheckConstraint(_known("status", ConversationStatus), name="status_known"),
        CheckConstraint("(status = 'closed') = (resolved_at IS NOT NULL)", name="closed_iff_resolved"),
        CheckConstraint("(needs_human_at IS NULL) = (first_response_due_at IS NULL)", name="clock_has_due"),
        CheckConstraint("(escalated_at IS NULL) = (escalated_by IS NULL)", name="escalation_has_actor"),
        Index("ix_support_conversations_shopper", "shopper_id", "id"),
        Index("ix_support_conversations_seller", "seller_id", "counterpart", "id"),
        Index("ix_support_conversations_due", "first_response_at", "first_response_due_at"),
        Index("ix_support_conversations_idle", "status", "last_message_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    counterpart: Mapped[Counterpart] = mapped_column(str_enum(Counterpart, 16))
    shopper_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))  # the order's seller
    status: Mapped[ConversationStatus] = mapped_column(
        str_enum(ConversationStatus, 16), default=ConversationStatus.OPEN
    )
    # The first-response clock: started by the first shopper message a person must answer (self-service
    # answers do not start it), stopped by the first answer from the seller's staff or an operator.
    needs_human_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    first_response_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    first_response_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # assigned to operators
    escalated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_message_id: Mapped[int | None]
    last_message_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(16))  # shopper, seller, operator, system
    # E-mail throttle per side: at most one e-mail per conversation and side per YC_SUPPORT_EMAIL_AFTER_MINUTES.
    shopper_emailed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    counterpart_emailed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Message(Base):
    __tablename__ = "support_messages"
    __table_args__ = (
        CheckConstraint(_known("sender_role", SenderRole), name="sender_role_known"),
        CheckConstraint(f"length(body) <= {MAX_TEXT}", name="body_length"),
        CheckConstraint("card_type IS NULL OR " + _known("card_type", CardType), name="card_type_known"),
        CheckConstraint("(card_type IS NULL) = (card_id IS NULL)", name="card_complete"),
        CheckConstraint("sender_role IN ('system', 'shopper') OR sender_user_id IS NOT NULL", name="staff_named"),
        Index("ix_support_messages_conversation", "conversation_id", "id"),
        Index("ix_support_messages_created", "created_at"),
        Index("ix_support_messages_sender", "sender_user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("support_conversations.id", ondelete="CASCADE"))
    # Null for system messages and for a shopper's messages after pseudonymisation (the role stays).
    sender_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sender_role: Mapped[SenderRole] = mapped_column(str_enum(SenderRole, 16))
    body: Mapped[str] = mapped_column(Text, default="")  # masked
    images: Mapped[list[str]] = mapped_column(JSON, default=list)  # image references (https URLs)
    card_type: Mapped[CardType | None] = mapped_column(str_enum(CardType, 16))
    card_id: Mapped[int | None]
    intent: Mapped[str | None] = mapped_column(String(24))  # the matcher's label of a shopper's message
    auto_answer: Mapped[bool] = mapped_column(default=False)  # a self-service answer (system)
    masked: Mapped[list[str]] = mapped_column(JSON, default=list)  # what masking removed: kinds, never values
    redacted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Participant(Base):
    """Anyone who joined (operators, recorded), wrote or read: how far they have read (the receipt)."""

    __tablename__ = "support_participants"
    __table_args__ = (
        CheckConstraint("role IN ('shopper', 'seller', 'operator')", name="role_known"),
        CheckConstraint("last_read_message_id >= 0", name="read_not_negative"),
        Index("ix_support_participants_user", "user_id"),
    )

    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("support_conversations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    joined_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # operators' explicit join
    last_read_message_id: Mapped[int] = mapped_column(default=0)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ConversationEvent(Base):
    """Append-only audit: opened, joined, escalated, closed, reopened, breaches."""

    __tablename__ = "support_events"
    __table_args__ = (
        CheckConstraint(_known("kind", EventKind), name="kind_known"),
        Index("ix_support_events_conversation", "conversation_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("support_conversations.id", ondelete="CASCADE"))
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind, 32))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(300))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Breach(Base):
    """A missed first response: UNIQUE per conversation and kind, so a rerun of the job (or a second
    worker) records nothing twice. ``fault`` seller counts in seller health; platform is the operators'."""

    __tablename__ = "support_breaches"
    __table_args__ = (
        UniqueConstraint("conversation_id", "kind", name="uq_support_breaches_conversation_kind"),
        CheckConstraint("kind IN ('first_response')", name="kind_known"),
        CheckConstraint("fault IN ('seller', 'platform')", name="fault_known"),
        Index("ix_support_breaches_seller", "seller_id", "detected_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("support_conversations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24), default="first_response")
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    fault: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    detected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Template(Base):
    """A seller's prepared answer or quick reply, with ``{placeholders}`` filled from the order."""

    __tablename__ = "support_templates"
    __table_args__ = (
        UniqueConstraint("seller_id", "title", name="uq_support_templates_seller_title"),
        CheckConstraint(_known("kind", TemplateKind), name="kind_known"),
        CheckConstraint(f"length(body) > 0 AND length(body) <= {MAX_TEXT}", name="body_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"), index=True)
    kind: Mapped[TemplateKind] = mapped_column(str_enum(TemplateKind, 16), default=TemplateKind.TEMPLATE)
    title: Mapped[str] = mapped_column(String(80))
    shortcut: Mapped[str | None] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Email(Base):
    """An e-mail to one user about a conversation: recorded in the job's transaction, sent after its
    commit. The address is read from the user at sending time and never stored here."""

    __tablename__ = "support_emails"
    __table_args__ = (
        CheckConstraint(_known("status", EmailStatus), name="status_known"),
        CheckConstraint("reason IN ('unread', 'breach')", name="reason_known"),
        Index("ix_support_emails_status", "status", "id"),
        Index("ix_support_emails_conversation", "conversation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("support_conversations.id", ondelete="CASCADE"))
    recipient_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[EmailStatus] = mapped_column(str_enum(EmailStatus, 16), default=EmailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
