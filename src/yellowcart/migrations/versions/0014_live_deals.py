"""live-room deals

Revision ID: 0014_live_deals
Revises: 0013_returns
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yellowcart.db

revision: str = "0014_live_deals"
down_revision: str | None = "0013_returns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status IN ('scheduled', 'running')")


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, yellowcart.db.UTCDateTime(), nullable=nullable)


def _deals() -> None:
    op.create_table(
        "live_deals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("was_cents", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("per_shopper_limit", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("scheduled", "running", "ended", "cancelled", name="dealstatus", native_enum=False, length=16),
            nullable=False,
        ),
        _when("starts_at"),
        _when("ends_at"),
        _when("started_at", nullable=True),
        _when("ended_at", nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.Column("released_units", sa.Integer(), nullable=True),
        _when("created_at"),
        _when("updated_at"),
        sa.CheckConstraint("price_cents > 0 AND price_cents < was_cents", name=op.f("ck_live_deals_price_below_was")),
        sa.CheckConstraint("quantity > 0 AND quantity <= 100000", name=op.f("ck_live_deals_quantity_range")),
        sa.CheckConstraint("remaining >= 0 AND remaining <= quantity", name=op.f("ck_live_deals_remaining_range")),
        sa.CheckConstraint(
            "per_shopper_limit IS NULL OR (per_shopper_limit > 0 AND per_shopper_limit <= 999)",
            name=op.f("ck_live_deals_limit_range"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_live_deals_ends_after_start")),
        sa.CheckConstraint("status <> 'running' OR started_at IS NOT NULL", name=op.f("ck_live_deals_running_started")),
        sa.CheckConstraint(
            "status NOT IN ('ended', 'cancelled') OR ended_at IS NOT NULL", name=op.f("ck_live_deals_over_has_end")
        ),
        sa.CheckConstraint(
            "released_units IS NULL OR released_units >= 0", name=op.f("ck_live_deals_released_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["content.id"], name=op.f("fk_live_deals_room_id_content"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_live_deals_product_id_products")),
        sa.ForeignKeyConstraint(["variant_id"], ["variants.id"], name=op.f("fk_live_deals_variant_id_variants")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_live_deals_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_deals")),
    )
    op.create_index("ix_live_deals_room", "live_deals", ["room_id", "id"])
    op.create_index("ix_live_deals_status_starts", "live_deals", ["status", "starts_at"])
    op.create_index("ix_live_deals_status_ends", "live_deals", ["status", "ends_at"])
    # One open deal per listing variant per room.
    op.create_index(
        "uq_live_deals_open_variant",
        "live_deals",
        ["room_id", "variant_id"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def _set_asides_and_shoppers() -> None:
    op.create_table(
        "live_deal_set_asides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("reservation_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["live_deals.id"], name=op.f("fk_live_deal_set_asides_deal_id_live_deals"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"], ["reservations.id"], name=op.f("fk_live_deal_set_asides_reservation_id_reservations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_deal_set_asides")),
        sa.UniqueConstraint("reservation_id", name=op.f("uq_live_deal_set_asides_reservation_id")),
    )
    op.create_index(op.f("ix_live_deal_set_asides_deal_id"), "live_deal_set_asides", ["deal_id"])
    op.create_table(
        "live_deal_shoppers",
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("cap", sa.Integer(), nullable=True),
        sa.CheckConstraint("units >= 0", name=op.f("ck_live_deal_shoppers_units_not_negative")),
        sa.CheckConstraint("cap IS NULL OR units <= cap", name=op.f("ck_live_deal_shoppers_units_within_cap")),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["live_deals.id"], name=op.f("fk_live_deal_shoppers_deal_id_live_deals"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_live_deal_shoppers_user_id_users")),
        sa.PrimaryKeyConstraint("deal_id", "user_id", name=op.f("pk_live_deal_shoppers")),
    )


def _purchases() -> None:
    op.create_table(
        "live_deal_purchases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("shopper_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_cents", sa.Integer(), nullable=False),
        sa.Column("was_cents", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("placed", "returned", name="purchasestatus", native_enum=False, length=16),
            nullable=False,
        ),
        _when("created_at"),
        _when("returned_at", nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_live_deal_purchases_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["live_deals.id"], name=op.f("fk_live_deal_purchases_deal_id_live_deals"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["content.id"], name=op.f("fk_live_deal_purchases_room_id_content"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_live_deal_purchases_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_live_deal_purchases_order_line_id_order_lines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["shopper_id"], ["users.id"], name=op.f("fk_live_deal_purchases_shopper_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_deal_purchases")),
        sa.UniqueConstraint("order_line_id", name=op.f("uq_live_deal_purchases_order_line_id")),
    )
    op.create_index("ix_live_deal_purchases_deal", "live_deal_purchases", ["deal_id", "status"])
    op.create_index("ix_live_deal_purchases_room", "live_deal_purchases", ["room_id"])
    op.create_index(op.f("ix_live_deal_purchases_order_id"), "live_deal_purchases", ["order_id"])


def upgrade() -> None:
    _deals()
    _set_asides_and_shoppers()
    _purchases()


def downgrade() -> None:
    op.drop_table("live_deal_purchases")
    op.drop_table("live_deal_shoppers")
    op.drop_table("live_deal_set_asides")
    op.drop_index("uq_live_deals_open_variant", table_name="live_deals")
    op.drop_table("live_deals")
