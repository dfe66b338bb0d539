"""privacy requests: exports and deletions (the tombstone), export documents

Revision ID: 0022_privacy
Revises: 0021_audit_limits
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yellowcart.db

revision: str = "0022_privacy"
down_revision: str | None = "0021_audit_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, yellowcart.db.UTCDateTime(timezone=True), nullable=nullable)


def _enum(name: str, *values: str, length: int = 16) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=length)


def _ck(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def _fk(table: str, column: str, target: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    name = op.f(f"fk_{table}_{column}_{target}")
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=name, ondelete=ondelete)


def upgrade() -> None:
    t = "privacy_requests"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("requestkind", "export", "deletion"), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("channel", _enum("channel", "self", "operator"), nullable=False),
        sa.Column("status", _enum("requeststatus", "ready", "expired", "completed"), nullable=False),
        sa.Column("reauth", _enum("reauth", "password", "fresh_token", "operator"), nullable=True),
        _when("requested_at", False),
        _when("completed_at"),
        _when("expires_at"),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        _ck(t, "kind_known", "kind IN ('export', 'deletion')"),
        _ck(t, "status_known", "status IN ('ready', 'expired', 'completed')"),
        _ck(t, "channel_known", "channel IN ('self', 'operator')"),
        _ck(t, "reauth_known", "reauth IS NULL OR reauth IN ('password', 'fresh_token', 'operator')"),
        _ck(t, "export_expires", "kind = 'deletion' OR expires_at IS NOT NULL"),
        _ck(t, "deletion_complete", "kind = 'export' OR (status = 'completed' AND reauth IS NOT NULL)"),
        _fk(t, "user_id", "users"),
        _fk(t, "requested_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    # One deletion per user: a repeated request finds the tombstone instead of erasing twice.
    op.create_index(
        "uq_privacy_requests_one_deletion",
        t,
        ["user_id"],
        unique=True,
        sqlite_where=sa.text("kind = 'deletion'"),
        postgresql_where=sa.text("kind = 'deletion'"),
    )
    op.create_index("ix_privacy_requests_user", t, ["user_id", "id"])
    op.create_index("ix_privacy_requests_kind", t, ["kind", "id"])

    d = "privacy_export_documents"
    op.create_table(
        d,
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        _when("created_at", False),
        _fk(d, "request_id", "privacy_requests", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("request_id", name=op.f(f"pk_{d}")),
    )


def downgrade() -> None:
    op.drop_table("privacy_export_documents")
    op.drop_index("ix_privacy_requests_kind", table_name="privacy_requests")
    op.drop_index("ix_privacy_requests_user", table_name="privacy_requests")
    op.drop_index("uq_privacy_requests_one_deletion", table_name="privacy_requests")
    op.drop_table("privacy_requests")
