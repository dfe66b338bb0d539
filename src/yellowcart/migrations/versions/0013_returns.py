"""returns: policy overrides, return requests, lines, audit

Revision ID: 0013_returns
Revises: 0012_catalog_import
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yellowcart.db

revision: str = "0013_returns"
down_revision: str | None = "0012_catalog_import"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("request_pending", "awaiting_buyer_ship", "buyer_shipped", "received", "receive_rejected",
            "completed", "rejected", "cancelled")  # fmt: skip
REASONS = ("no_reason", "changed_mind", "wrong_item", "damaged", "defective", "not_as_described", "late")
PAYERS = ("shopper", "seller", "platform")


def _when(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, yellowcart.db.UTCDateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "return_policy_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        _when("updated_at", nullable=False),
        sa.CheckConstraint("scope IN ('mode', 'category', 'seller')", name=op.f("ck_return_policy_rules_scope_known")),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name=op.f("fk_return_policy_rules_updated_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_policy_rules")),
        sa.UniqueConstraint("scope", "key", name="uq_return_policy_rules_scope_key"),
    )
    op.create_table(
        "returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("shopper_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.Enum(*STATUSES, name="returnstatus", native_enum=False, length=24), nullable=False),
        sa.Column("reason", sa.Enum(*REASONS, name="reason", native_enum=False, length=24), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=True),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("reviewer", sa.String(length=16), nullable=False),
        sa.Column("review_flags", sa.JSON(), nullable=False),
        _when("respond_by"),
        _when("decided_at"),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=True),
        sa.Column("returnless", sa.Boolean(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=True),
        sa.Column("label_payer", sa.Enum(*PAYERS, name="payer", native_enum=False, length=16), nullable=False),
        sa.Column("label_carrier", sa.String(length=32), nullable=True),
        sa.Column("label_provider", sa.String(length=16), nullable=True),
        sa.Column("tracking_number", sa.String(length=64), nullable=True),
        sa.Column("label_ref", sa.String(length=500), nullable=True),
        sa.Column("label_cost_cents", sa.Integer(), nullable=False),
        _when("shipped_at"),
        _when("received_at"),
        _when("refund_due_by"),
        _when("refunded_at"),
        sa.Column("refund_cents", sa.Integer(), nullable=False),
        sa.Column("refund_tax_cents", sa.Integer(), nullable=False),
        sa.Column("restocking_fee_cents", sa.Integer(), nullable=False),
        sa.Column("label_deducted_cents", sa.Integer(), nullable=False),
        sa.Column("recovery_cents", sa.Integer(), nullable=False),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        sa.CheckConstraint("label_cost_cents >= 0", name=op.f("ck_returns_label_cost_not_negative")),
        sa.CheckConstraint("recovery_cents >= 0", name=op.f("ck_returns_recovery_not_negative")),
        sa.CheckConstraint("refund_cents >= 0", name=op.f("ck_returns_refund_not_negative")),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_returns_decided_by_users")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_returns_order_id_orders")),
        sa.ForeignKeyConstraint(["seller_id"], ["sellers.id"], name=op.f("fk_returns_seller_id_sellers")),
        sa.ForeignKeyConstraint(["shopper_id"], ["users.id"], name=op.f("fk_returns_shopper_id_users")),
        sa.ForeignKeyConstraint(["warehouse_id"], ["warehouses.id"], name=op.f("fk_returns_warehouse_id_warehouses")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
    )
    op.create_index("ix_returns_order", "returns", ["order_id"])
    op.create_index("ix_returns_seller_status", "returns", ["seller_id", "status"])
    op.create_index("ix_returns_shopper_created", "returns", ["shopper_id", "created_at"])
    op.create_index("ix_returns_status_respond_by", "returns", ["status", "respond_by"])
    op.create_table(
        "return_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("refund_cents", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=True),
        sa.Column("disposition", sa.String(length=24), nullable=True),
        sa.Column("recovery_cents", sa.Integer(), nullable=False),
        sa.Column("resale_variant_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("grade IS NULL OR grade IN ('A', 'B', 'C', 'D')", name=op.f("ck_return_lines_grade_known")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_return_lines_quantity_positive")),
        sa.ForeignKeyConstraint(["order_line_id"], ["order_lines.id"], name=op.f("fk_return_lines_order_line_id_order_lines")),
        sa.ForeignKeyConstraint(["resale_variant_id"], ["variants.id"], name=op.f("fk_return_lines_resale_variant_id_variants")),
        sa.ForeignKeyConstraint(["return_id"], ["returns.id"], name=op.f("fk_return_lines_return_id_returns"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_lines")),
        sa.UniqueConstraint("return_id", "order_line_id", name="uq_return_lines_line"),
    )
    op.create_index("ix_return_lines_order_line", "return_lines", ["order_line_id"])
    op.create_table(
        "return_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        _when("at", nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.Enum(*STATUSES, name="returnstatus", native_enum=False, length=24), nullable=True),
        sa.Column("to_status", sa.Enum(*STATUSES, name="returnstatus", native_enum=False, length=24), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["actor_user_id"], ["users.id"], name=op.f("fk_return_events_actor_user_id_users")),
        sa.ForeignKeyConstraint(["return_id"], ["returns.id"], name=op.f("fk_return_events_return_id_returns"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_events")),
    )
    op.create_index(op.f("ix_return_events_return_id"), "return_events", ["return_id"])


def downgrade() -> None:
    op.drop_table("return_events")
    op.drop_table("return_lines")
    op.drop_table("returns")
    op.drop_table("return_policy_rules")
