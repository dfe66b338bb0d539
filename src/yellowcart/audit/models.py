"""The audit log of privileged actions (append-only: the database refuses UPDATE and DELETE) and the
login throttle's per-account / per-network failure counters.

The audit log keeps no personal data beyond ids: the actor's user id and role, the subject by kind and id,
the network prefix (never the address) and a detail that went through :func:`yellowcart.audit.redaction.redact`.
It has no foreign keys on purpose: a record outlives what it names (a deleted template, a pseudonymised
user), and an append-only row could not follow an ``ON DELETE SET NULL`` anyway.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DDL, JSON, CheckConstraint, Connection, Index, String, event, text
from sqlalchemy.orm import Mapped, mapped_column

from yellowcart.db import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint("length(action) > 0", name="action_not_blank"),
        CheckConstraint("(subject_id IS NULL) OR (subject_kind IS NOT NULL)", name="subject_has_kind"),
        Index("ix_audit_log_actor", "actor_id", "id"),
        Index("ix_audit_log_action", "action", "id"),
        Index("ix_audit_log_subject", "subject_kind", "subject_id", "id"),
        Index("ix_audit_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None]  # None: the system (a job, the CLI) or an anonymous caller
    actor_role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(120))
    subject_kind: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[str | None] = mapped_column(String(64))  # ids, SKUs, market and state codes
    request_id: Mapped[str | None] = mapped_column(String(64))
    network: Mapped[str | None] = mapped_column(String(43))  # 203.0.113.0/24, 2001:db8:1::/48
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class LoginThrottle(Base):
    """Failed logins for one key: ``account:<keyed hash of the email>`` or ``network:<prefix>``."""

    __tablename__ = "login_throttles"
    __table_args__ = (
        CheckConstraint("failures >= 0", name="failures_not_negative"),
        Index("ix_login_throttles_last_failure_at", "last_failure_at"),
    )

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


# ---- append-only: refuse UPDATE and DELETE in the database itself ------------------------------------

APPEND_ONLY_TABLE = "audit_log"
MESSAGE = "audit_log rows are append-only"
PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
    f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$ LANGUAGE plpgsql"
)
SQLITE_TRIGGERS = ("audit_log_no_update", "audit_log_no_delete")


def append_only_ddl(dialect: str) -> list[str]:
    """Statements that make ``audit_log`` refuse UPDATE and DELETE (create_all and migration 0021).

    PostgreSQL's row triggers do not fire on TRUNCATE: the application's database role should hold only
    INSERT and SELECT on this table (the test suite's wipe truncates)."""
    t = APPEND_ONLY_TABLE
    if dialect == "postgresql":
        return [
            PG_FUNCTION,
            f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
        ]
    return [
        f"CREATE TRIGGER {name} BEFORE {verb} ON {t} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        for name, verb in zip(SQLITE_TRIGGERS, ("UPDATE", "DELETE"), strict=True)
    ]


def _install_triggers() -> None:
    for dialect in ("postgresql", "sqlite"):
        for statement in append_only_ddl(dialect):
            ddl = DDL(statement).execute_if(dialect=dialect)  # type: ignore[no-untyped-call]
            event.listen(AuditEntry.__table__, "after_create", ddl)


_install_triggers()


def lift_append_only(conn: Connection) -> None:
    """Test suites only: SQLite has no TRUNCATE, so wiping the database drops the guards first."""
    if conn.dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))


def restore_append_only(conn: Connection) -> None:
    """Put back what :func:`lift_append_only` dropped."""
    if conn.dialect.name == "sqlite":
        for statement in append_only_ddl("sqlite"):
            conn.execute(text(statement))
