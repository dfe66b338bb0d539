"""audit log of privileged actions, rate-limit state (filled by the audit engineer)

Revision ID: 0021_audit_limits
Revises: 0020_risk_cases
Create Date: 2026-11-25

The audit log (append-only: triggers refuse UPDATE and DELETE on both backends) and the login throttle's
failure counters. Request rate limits keep their state in memory or Redis, not here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yellowcart.db

revision: str = "0021_audit_limits"
down_revision: str | None = "0020_risk_cases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "audit_log rows are append-only"


def _when(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, yellowcart.db.UTCDateTime(timezone=True), nullable=nullable)


def _ck(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def _append_only() -> None:
    # The same statements as yellowcart.audit.models.append_only_ddl (kept here so the migration never
    # changes when the models module does).
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        return
    for name, verb in (("audit_log_no_update", "UPDATE"), ("audit_log_no_delete", "DELETE")):
        op.execute(f"CREATE TRIGGER {name} BEFORE {verb} ON audit_log BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")


def upgrade() -> None:
    t = "audit_log"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        _when("at", nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=True),
        sa.Column("action", sa.String(length=120), nullable=False),
        sa.Column("subject_kind", sa.String(length=40), nullable=True),
        sa.Column("subject_id", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("network", sa.String(length=43), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        _ck(t, "action_not_blank", "length(action) > 0"),
        _ck(t, "subject_has_kind", "(subject_id IS NULL) OR (subject_kind IS NOT NULL)"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    with op.batch_alter_table(t, schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_action", ["action", "id"], unique=False)
        batch_op.create_index("ix_audit_log_actor", ["actor_id", "id"], unique=False)
        batch_op.create_index("ix_audit_log_at", ["at"], unique=False)
        batch_op.create_index("ix_audit_log_subject", ["subject_kind", "subject_id", "id"], unique=False)
    _append_only()

    t = "login_throttles"
    op.create_table(
        t,
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        _when("last_failure_at", nullable=False),
        _when("locked_until"),
        _ck(t, "failures_not_negative", "failures >= 0"),
        sa.PrimaryKeyConstraint("key", name=op.f(f"pk_{t}")),
    )
    with op.batch_alter_table(t, schema=None) as batch_op:
        batch_op.create_index("ix_login_throttles_last_failure_at", ["last_failure_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_throttles", schema=None) as batch_op:
        batch_op.drop_index("ix_login_throttles_last_failure_at")
    op.drop_table("login_throttles")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_subject")
        batch_op.drop_index("ix_audit_log_at")
        batch_op.drop_index("ix_audit_log_actor")
        batch_op.drop_index("ix_audit_log_action")
    op.drop_table("audit_log")  # its triggers go with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
