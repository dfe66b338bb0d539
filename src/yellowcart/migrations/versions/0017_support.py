"""support: order conversations, messages, participants, audit, breaches, templates, e-mails

Revision ID: 0017_support
Revises: 0016_creators
Create Date: 2026-11-26

Customer service's own tables only; nothing else changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yellowcart.db

revision: str = "0017_support"
down_revision: str | None = "0016_creators"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_KINDS = ("opened", "joined", "escalated", "closed", "reopened", "auto_closed", "first_response_breached",
               "shopper_pseudonymised")  # fmt: skip


def _when(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, yellowcart.db.UTCDateTime(timezone=True), nullable=nullable)


def _enum(name: str, *values: str, length: int = 16) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=length)


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _ck(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def _fk(table: str, column: str, target: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    name = op.f(f"fk_{table}_{column}_{target}")
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=name, ondelete=ondelete)


def _conversations() -> None:
    t = "support_conversations"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("counterpart", _enum("counterpart", "seller", "platform"), nullable=False),
        sa.Column("shopper_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("status", _enum("conversationstatus", "open", "closed"), nullable=False),
        _when("needs_human_at"),
        _when("first_response_due_at"),
        _when("first_response_at"),
        _when("escalated_at"),
        sa.Column("escalated_by", sa.Integer(), nullable=True),
        sa.Column("last_message_id", sa.Integer(), nullable=True),
        _when("last_message_at"),
        _when("resolved_at"),
        sa.Column("resolved_by", sa.String(length=16), nullable=True),
        _when("shopper_emailed_at"),
        _when("counterpart_emailed_at"),
        _when("created_at", nullable=False),
        sa.CheckConstraint("(status = 'closed') = (resolved_at IS NOT NULL)", name=op.f(f"ck_{t}_closed_iff_resolved")),
        sa.CheckConstraint(_in("counterpart", ("seller", "platform")), name=op.f(f"ck_{t}_counterpart_known")),
        sa.CheckConstraint(_in("status", ("open", "closed")), name=op.f(f"ck_{t}_status_known")),
        _ck(t, "escalation_has_actor", "(escalated_at IS NULL) = (escalated_by IS NULL)"),
        _ck(t, "clock_has_due", "(needs_human_at IS NULL) = (first_response_due_at IS NULL)"),
        _fk(t, "escalated_by", "users"),
        _fk(t, "order_id", "orders"),
        _fk(t, "seller_id", "sellers"),
        _fk(t, "shopper_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("order_id", "counterpart", name="uq_support_conversations_order_counterpart"),
    )  # fmt: skip
    op.create_index("ix_support_conversations_due", t, ["first_response_at", "first_response_due_at"])
    op.create_index("ix_support_conversations_idle", t, ["status", "last_message_at"])
    op.create_index("ix_support_conversations_seller", t, ["seller_id", "counterpart", "id"])
    op.create_index("ix_support_conversations_shopper", t, ["shopper_id", "id"])


def _messages() -> None:
    t = "support_messages"
    roles = ("shopper", "seller", "operator", "system")
    cards = ("order", "shipment", "return")
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("sender_user_id", sa.Integer(), nullable=True),
        sa.Column("sender_role", _enum("senderrole", *roles), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("images", sa.JSON(), nullable=False),
        sa.Column("card_type", _enum("cardtype", *cards), nullable=True),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("intent", sa.String(length=24), nullable=True),
        sa.Column("auto_answer", sa.Boolean(), nullable=False),
        sa.Column("masked", sa.JSON(), nullable=False),
        _when("redacted_at"),
        _when("created_at", nullable=False),
        sa.CheckConstraint("card_type IS NULL OR " + _in("card_type", cards), name=op.f(f"ck_{t}_card_type_known")),
        sa.CheckConstraint(_in("sender_role", roles), name=op.f(f"ck_{t}_sender_role_known")),
        _ck(t, "staff_named", "sender_role IN ('system', 'shopper') OR sender_user_id IS NOT NULL"),
        sa.CheckConstraint("(card_type IS NULL) = (card_id IS NULL)", name=op.f(f"ck_{t}_card_complete")),
        sa.CheckConstraint("length(body) <= 2000", name=op.f(f"ck_{t}_body_length")),
        _fk(t, "conversation_id", "support_conversations", ondelete="CASCADE"),
        _fk(t, "sender_user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )  # fmt: skip
    op.create_index("ix_support_messages_conversation", t, ["conversation_id", "id"])
    op.create_index("ix_support_messages_created", t, ["created_at"])
    op.create_index("ix_support_messages_sender", t, ["sender_user_id"])


def _participants_and_events() -> None:
    t = "support_participants"
    op.create_table(
        t,
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        _when("joined_at"),
        sa.Column("last_read_message_id", sa.Integer(), nullable=False),
        _when("read_at"),
        sa.CheckConstraint(_in("role", ("shopper", "seller", "operator")), name=op.f(f"ck_{t}_role_known")),
        sa.CheckConstraint("last_read_message_id >= 0", name=op.f(f"ck_{t}_read_not_negative")),
        _fk(t, "conversation_id", "support_conversations", ondelete="CASCADE"),
        _fk(t, "user_id", "users"),
        sa.PrimaryKeyConstraint("conversation_id", "user_id", name=op.f(f"pk_{t}")),
    )
    op.create_index("ix_support_participants_user", t, ["user_id"])
    t = "support_events"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("eventkind", *EVENT_KINDS, length=32), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        _when("at", nullable=False),
        sa.CheckConstraint(_in("kind", EVENT_KINDS), name=op.f(f"ck_{t}_kind_known")),
        _fk(t, "actor_user_id", "users"),
        _fk(t, "conversation_id", "support_conversations", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    op.create_index("ix_support_events_conversation", t, ["conversation_id", "id"])


def _breaches_templates_emails() -> None:
    t = "support_breaches"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("fault", sa.String(length=16), nullable=False),
        _when("due_at", nullable=False),
        _when("detected_at", nullable=False),
        sa.CheckConstraint(_in("fault", ("seller", "platform")), name=op.f(f"ck_{t}_fault_known")),
        sa.CheckConstraint(_in("kind", ("first_response",)), name=op.f(f"ck_{t}_kind_known")),
        _fk(t, "conversation_id", "support_conversations", ondelete="CASCADE"),
        _fk(t, "seller_id", "sellers"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("conversation_id", "kind", name="uq_support_breaches_conversation_kind"),
    )
    op.create_index("ix_support_breaches_seller", t, ["seller_id", "detected_at"])
    t = "support_templates"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("templatekind", "template", "quick_reply"), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("shortcut", sa.String(length=32), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        sa.CheckConstraint(_in("kind", ("template", "quick_reply")), name=op.f(f"ck_{t}_kind_known")),
        sa.CheckConstraint("length(body) > 0 AND length(body) <= 2000", name=op.f(f"ck_{t}_body_length")),
        _fk(t, "created_by", "users"),
        _fk(t, "seller_id", "sellers"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("seller_id", "title", name="uq_support_templates_seller_title"),
    )
    op.create_index(op.f("ix_support_templates_seller_id"), t, ["seller_id"])
    t = "support_emails"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("recipient_user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", _enum("emailstatus", "pending", "sent", "failed"), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        _when("created_at", nullable=False),
        _when("sent_at"),
        sa.CheckConstraint(_in("reason", ("unread", "breach")), name=op.f(f"ck_{t}_reason_known")),
        sa.CheckConstraint(_in("status", ("pending", "sent", "failed")), name=op.f(f"ck_{t}_status_known")),
        _fk(t, "conversation_id", "support_conversations", ondelete="CASCADE"),
        _fk(t, "recipient_user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    op.create_index("ix_support_emails_conversation", t, ["conversation_id"])
    op.create_index("ix_support_emails_status", t, ["status", "id"])


def upgrade() -> None:
    _conversations()
    _messages()
    _participants_and_events()
    _breaches_templates_emails()


def downgrade() -> None:
    for table in ("support_emails", "support_templates", "support_breaches", "support_events", "support_participants",
                  "support_messages", "support_conversations"):  # fmt: skip
        op.drop_table(table)
