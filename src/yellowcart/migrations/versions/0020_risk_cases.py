"""risk cases, actions, appeals: cases with their append-only evidence history, actions on accounts,
appeals with uploaded documents, operators' per-rule automation flags

Revision ID: 0020_risk_cases
Revises: 0019_risk_signals
Create Date: 2026-11-25

The risk-cases engineer's own tables only; nothing else changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yellowcart.db

revision: str = "0020_risk_cases"
down_revision: str | None = "0019_risk_signals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEVELS = ("allow", "step_up", "hold_payouts", "restrict", "suspend", "ban")
CASE_STATUSES = ("open", "actioned", "dismissed", "closed")
ACTION_KINDS = ("step_up", "hold_payouts", "restrict", "suspend", "ban")
ACTION_STATUSES = ("active", "lifted", "overturned")
APPEAL_STATUSES = ("pending", "upheld", "overturned")
EVENT_KINDS = ("assessment", "action", "lifted", "decision", "withheld", "verification", "appeal", "appeal_decided")
SUBJECT_KINDS = ("seller", "user")
ONE_SUBJECT = (
    "(subject_kind = 'seller' AND seller_id IS NOT NULL AND user_id IS NULL) OR "
    "(subject_kind = 'user' AND user_id IS NOT NULL AND seller_id IS NULL)"
)
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


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


def _cases() -> None:
    t = "risk_cases"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", _enum("subjectkind", *SUBJECT_KINDS, length=8), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("open_key", sa.String(length=40), nullable=True),
        sa.Column("status", _enum("casestatus", *CASE_STATUSES), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("anomaly", sa.Float(), nullable=True),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        _when("opened_at", False),
        _when("updated_at", False),
        _when("decided_at"),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decision_note", sa.String(length=1000), nullable=True),
        _when("closed_at"),
        _when("cleared_at"),
        _ck(t, "one_subject", ONE_SUBJECT),
        _ck(t, "subject_kind_known", _in("subject_kind", SUBJECT_KINDS)),
        _ck(t, "status_known", _in("status", CASE_STATUSES)),
        _ck(t, "level_known", _in("level", LEVELS)),
        _ck(t, "score_in_range", "score >= 0 AND score <= 1"),
        _ck(t, "open_key_iff_current", "(open_key IS NOT NULL) = (status IN ('open', 'actioned'))"),
        _ck(t, "closed_has_time", "(closed_at IS NOT NULL) = (status IN ('dismissed', 'closed'))"),
        _fk(t, "seller_id", "sellers"),
        _fk(t, "user_id", "users"),
        _fk(t, "decided_by_user_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("open_key", name=op.f(f"uq_{t}_open_key")),
    )
    op.create_index(op.f(f"ix_{t}_seller_id"), t, ["seller_id"])
    op.create_index(op.f(f"ix_{t}_user_id"), t, ["user_id"])
    op.create_index("ix_risk_cases_status_level", t, ["status", "level"])


def _actions() -> None:
    t = "risk_actions"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", _enum("subjectkind", *SUBJECT_KINDS, length=8), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("kind", _enum("actionkind", *ACTION_KINDS), nullable=False),
        sa.Column("status", _enum("actionstatus", *ACTION_STATUSES), nullable=False),
        sa.Column("active_key", sa.String(length=60), nullable=True),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        _when("created_at", False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        _when("lifted_at"),
        sa.Column("lifted_by_user_id", sa.Integer(), nullable=True),
        sa.Column("lift_reason", sa.String(length=32), nullable=True),
        sa.Column("previous_seller_status", sa.String(length=16), nullable=True),
        sa.Column("challenge_hash", sa.String(length=64), nullable=True),
        _when("challenge_expires_at"),
        sa.Column("challenge_attempts", sa.Integer(), nullable=False),
        _ck(t, "one_subject", ONE_SUBJECT),
        _ck(t, "subject_kind_known", _in("subject_kind", SUBJECT_KINDS)),
        _ck(t, "kind_known", _in("kind", ACTION_KINDS)),
        _ck(t, "status_known", _in("status", ACTION_STATUSES)),
        _ck(t, "active_key_iff_active", "(active_key IS NOT NULL) = (status = 'active')"),
        _ck(t, "lifted_has_time", "(lifted_at IS NULL) = (status = 'active')"),
        _ck(t, "attempts_not_negative", "challenge_attempts >= 0"),
        _fk(t, "case_id", "risk_cases"),
        _fk(t, "seller_id", "sellers"),
        _fk(t, "user_id", "users"),
        _fk(t, "created_by_user_id", "users", "SET NULL"),
        _fk(t, "lifted_by_user_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("active_key", name=op.f(f"uq_{t}_active_key")),
    )
    op.create_index(op.f(f"ix_{t}_case_id"), t, ["case_id"])
    op.create_index("ix_risk_actions_seller_status", t, ["seller_id", "status"])
    op.create_index("ix_risk_actions_user_status", t, ["user_id", "status"])


def _events() -> None:
    t = "risk_case_events"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        _when("at", False),
        sa.Column("kind", _enum("eventkind", *EVENT_KINDS), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("anomaly", sa.Float(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        _ck(t, "kind_known", _in("kind", EVENT_KINDS)),
        _fk(t, "case_id", "risk_cases", "CASCADE"),
        _fk(t, "actor_user_id", "users", "SET NULL"),
        _fk(t, "action_id", "risk_actions", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    op.create_index("ix_risk_case_events_case", t, ["case_id", "id"])


def _appeals() -> None:
    t = "risk_appeals"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("appellant_user_id", sa.Integer(), nullable=True),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("status", _enum("appealstatus", *APPEAL_STATUSES), nullable=False),
        _when("submitted_at", False),
        _when("decided_at"),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decision_note", sa.String(length=1000), nullable=True),
        _ck(t, "status_known", _in("status", APPEAL_STATUSES)),
        _ck(t, "decided_has_time", "(decided_at IS NULL) = (status = 'pending')"),
        _ck(t, "decision_has_note", "status = 'pending' OR decision_note IS NOT NULL"),
        _fk(t, "action_id", "risk_actions"),
        _fk(t, "case_id", "risk_cases"),
        _fk(t, "appellant_user_id", "users", "SET NULL"),
        _fk(t, "decided_by_user_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("action_id", name=op.f(f"uq_{t}_action_id")),
    )
    op.create_index(op.f(f"ix_{t}_case_id"), t, ["case_id"])
    op.create_index("ix_risk_appeals_status", t, ["status", "id"])

    t = "risk_appeal_documents"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        _when("uploaded_at", False),
        _ck(t, "size_in_range", f"size_bytes > 0 AND size_bytes <= {MAX_DOCUMENT_BYTES}"),
        _ck(t, "sha256_is_hex", "length(sha256) = 64"),
        _fk(t, "appeal_id", "risk_appeals", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    op.create_index(op.f(f"ix_{t}_appeal_id"), t, ["appeal_id"])


def _rule_settings() -> None:
    t = "risk_rule_settings"
    op.create_table(
        t,
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        _when("updated_at", False),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        _fk(t, "updated_by_user_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("rule", name=op.f(f"pk_{t}")),
    )


def upgrade() -> None:
    _cases()
    _actions()
    _events()
    _appeals()
    _rule_settings()


def downgrade() -> None:
    for table in ("risk_rule_settings", "risk_appeal_documents", "risk_appeals", "risk_case_events", "risk_actions",
                  "risk_cases"):  # fmt: skip
        op.drop_table(table)
