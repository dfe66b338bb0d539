"""risk signals, device/network context, payout destinations (filled by the risk-signals engineer)

Revision ID: 0019_risk_signals
Revises: 0018_promotions
Create Date: 2026-11-25

The risk-signals tables only: the append-only signal log, sellers' masked payout destinations, operator
settings of the rules, and the latest assessment per account. Nothing else changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yellowcart.db

revision: str = "0019_risk_signals"
down_revision: str | None = "0018_promotions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNAL_KINDS = ("login", "token_use", "payout_change", "profile_change", "contact_change", "message", "checkout")


def _when(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, yellowcart.db.UTCDateTime(timezone=True), nullable=nullable)


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _ck(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def _fk(table: str, column: str, target: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    name = op.f(f"fk_{table}_{column}_{target}")
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=name, ondelete=ondelete)


def _signals() -> None:
    t = "risk_signals"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum(*SIGNAL_KINDS, name="signalkind", native_enum=False, length=16), nullable=False),
        _when("at", nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("seller_id", sa.Integer(), nullable=True),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("network", sa.String(length=43), nullable=True),
        sa.Column("ip_hash", sa.String(length=64), nullable=True),
        sa.Column("device_hash", sa.String(length=64), nullable=True),
        sa.Column("ua_family", sa.String(length=32), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("zip", sa.String(length=5), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("address_hash", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("dedup_key", sa.String(length=64), nullable=True),
        _ck(t, "kind_known", _in("kind", SIGNAL_KINDS)),
        _ck(t, "has_subject", "user_id IS NOT NULL OR seller_id IS NOT NULL"),
        _fk(t, "user_id", "users", "SET NULL"),
        _fk(t, "seller_id", "sellers", "CASCADE"),
        _fk(t, "token_id", "api_tokens", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("dedup_key", name=op.f(f"uq_{t}_dedup_key")),
    )
    op.create_index("ix_risk_signals_user", t, ["user_id", "at"])
    op.create_index("ix_risk_signals_seller", t, ["seller_id", "at"])
    op.create_index("ix_risk_signals_device", t, ["device_hash", "at"])
    op.create_index("ix_risk_signals_network", t, ["network", "at"])
    op.create_index("ix_risk_signals_fingerprint", t, ["kind", "fingerprint"])
    op.create_index("ix_risk_signals_address", t, ["address_hash", "at"])
    op.create_index("ix_risk_signals_at", t, ["at"])


def _payout_destinations() -> None:
    t = "risk_payout_destinations"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("routing_number", sa.String(length=9), nullable=False),
        sa.Column("account_last4", sa.String(length=4), nullable=False),
        sa.Column("account_hash", sa.String(length=64), nullable=False),
        sa.Column("set_by_user_id", sa.Integer(), nullable=True),
        _when("created_at", nullable=False),
        _ck(t, "routing_9_digits", "length(routing_number) = 9"),
        _ck(t, "last4_4_chars", "length(account_last4) = 4"),
        _fk(t, "seller_id", "sellers", "CASCADE"),
        _fk(t, "set_by_user_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    op.create_index("ix_risk_payout_destinations_seller", t, ["seller_id", "id"])
    op.create_index("ix_risk_payout_destinations_hash", t, ["account_hash"])


def _rules_and_assessments() -> None:
    t = "risk_rules"
    op.create_table(
        t,
        sa.Column("name", sa.String(length=48), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        _when("updated_at", nullable=False),
        _fk(t, "updated_by_user_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("name", name=op.f(f"pk_{t}")),
    )
    t = "risk_assessments"
    op.create_table(
        t,
        sa.Column("subject_kind", sa.String(length=8), nullable=False),
        sa.Column("subject_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("anomaly", sa.Float(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        _when("assessed_at", nullable=False),
        _ck(t, "subject_kind_known", "subject_kind IN ('seller', 'user')"),
        _ck(t, "score_range", "score >= 0 AND score <= 1"),
        sa.PrimaryKeyConstraint("subject_kind", "subject_id", name=op.f(f"pk_{t}")),
    )


def upgrade() -> None:
    _signals()
    _payout_destinations()
    _rules_and_assessments()


def downgrade() -> None:
    for table in ("risk_assessments", "risk_rules", "risk_payout_destinations", "risk_signals"):
        op.drop_table(table)
