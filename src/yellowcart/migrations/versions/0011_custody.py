"""full custody: supply offers and their decisions, inbound consignments, purchase orders, stock
receipts (shared receiving) and removals of consigned stock

Revision ID: 0011_custody
Revises: 0010_redirect
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yellowcart.db

revision: str = "0011_custody"
down_revision: str | None = "0010_redirect"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_consignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "shipped",
                "receiving",
                "received",
                "cancelled",
                name="consignmentstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("expected_arrival", sa.Date(), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=True),
        sa.Column("tracking_number", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", yellowcart.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("shipped_at", yellowcart.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("receiving_at", yellowcart.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", yellowcart.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_inbound_consignments_created_by_users")),
        sa.ForeignKeyConstraint(["seller_id"], ["sellers.id"], name=op.f("fk_inbound_consignments_seller_id_sellers")),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_inbound_consignments_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_consignments")),
    )
    with op.batch_alter_table("inbound_consignments", schema=None) as batch_op:
        batch_op.create_index("ix_inbound_consignments_seller_status", ["seller_id", "status"], unique=False)
        batch_op.create_index("ix_inbound_consignments_warehouse_status", ["warehouse_id", "status"], unique=False)

    op.create_table(
        "purchase_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_name", sa.String(length=200), nullable=False),
        sa.Column("supplier_contact", sa.String(length=200), nullable=True),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "ordered",
                "receiving",
                "received",
                "cancelled",
                name="purchaseorderstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("expected_arrival", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", yellowcart.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ordered_at", yellowcart.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("receiving_at", yellowcart.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", yellowcart.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_purchase_orders_created_by_users")),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_purchase_orders_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_orders")),
    )
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.create_index("ix_purchase_orders_status", ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_purchase_orders_warehouse_id"), ["warehouse_id"], unique=False)

    op.create_table(
        "inbound_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consignment_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_inbound_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["consignment_id"],
            ["inbound_consignments.id"],
            name=op.f("fk_inbound_lines_consignment_id_inbound_consignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["variant_id"], ["variants.id"], name=op.f("fk_inbound_lines_variant_id_variants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_lines")),
        sa.UniqueConstraint("consignment_id", "variant_id", name="uq_inbound_lines_sku"),
    )
    op.create_table(
        "purchase_order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purchase_order_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_cost_cents", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_purchase_order_lines_quantity_positive")),
        sa.CheckConstraint("unit_cost_cents >= 0", name=op.f("ck_purchase_order_lines_unit_cost_not_negative")),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_purchase_order_lines_purchase_order_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variants.id"], name=op.f("fk_purchase_order_lines_variant_id_variants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_lines")),
        sa.UniqueConstraint("purchase_order_id", "variant_id", name="uq_purchase_order_lines_sku"),
    )
    op.create_table(
        "supply_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("open_variant_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "countered",
                "accepted",
                "rejected",
                "declined",
                "superseded",
                name="offerstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("supply_price_cents", sa.Integer(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("counter_supply_cents", sa.Integer(), nullable=True),
        sa.Column("price_cents", sa.Integer(), nullable=True),
        sa.Column("accepted_supply_cents", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", yellowcart.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", yellowcart.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(status IN ('open', 'countered') AND open_variant_id = variant_id)"
            " OR (status NOT IN ('open', 'countered') AND open_variant_id IS NULL)",
            name=op.f("ck_supply_offers_open_slot"),
        ),
        sa.CheckConstraint(
            "status <> 'accepted' OR accepted_supply_cents IS NOT NULL",
            name=op.f("ck_supply_offers_accepted_has_price"),
        ),
        sa.CheckConstraint(
            "accepted_supply_cents IS NULL OR (price_cents IS NOT NULL AND price_cents >= accepted_supply_cents)",
            name=op.f("ck_supply_offers_price_covers_supply"),
        ),
        sa.CheckConstraint(
            "counter_supply_cents IS NULL OR counter_supply_cents > 0", name=op.f("ck_supply_offers_counter_positive")
        ),
        sa.CheckConstraint("price_cents IS NULL OR price_cents > 0", name=op.f("ck_supply_offers_price_positive")),
        sa.CheckConstraint("samples >= 0", name=op.f("ck_supply_offers_samples_not_negative")),
        sa.CheckConstraint("supply_price_cents > 0", name=op.f("ck_supply_offers_supply_price_positive")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_supply_offers_created_by_users")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_supply_offers_product_id_products"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["seller_id"], ["sellers.id"], name=op.f("fk_supply_offers_seller_id_sellers")),
        sa.ForeignKeyConstraint(
            ["variant_id"], ["variants.id"], name=op.f("fk_supply_offers_variant_id_variants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_offers")),
        sa.UniqueConstraint("open_variant_id", name=op.f("uq_supply_offers_open_variant_id")),
    )
    with op.batch_alter_table("supply_offers", schema=None) as batch_op:
        batch_op.create_index("ix_supply_offers_seller_status", ["seller_id", "status"], unique=False)
        batch_op.create_index("ix_supply_offers_status", ["status"], unique=False)
        batch_op.create_index("ix_supply_offers_variant", ["variant_id"], unique=False)

    op.create_table(
        "stock_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inbound_line_id", sa.Integer(), nullable=True),
        sa.Column("purchase_line_id", sa.Integer(), nullable=True),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("stock_id", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("damaged", sa.Integer(), nullable=False),
        sa.Column("short", sa.Integer(), nullable=False),
        sa.Column("surplus", sa.Integer(), nullable=False),
        sa.Column("received_by", sa.Integer(), nullable=True),
        sa.Column("received_at", yellowcart.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(inbound_line_id IS NULL) <> (purchase_line_id IS NULL)", name=op.f("ck_stock_receipts_one_source")
        ),
        sa.CheckConstraint(
            "expected > 0 AND received >= 0 AND damaged >= 0 AND short >= 0 AND surplus >= 0",
            name=op.f("ck_stock_receipts_counts_not_negative"),
        ),
        sa.CheckConstraint(
            "received + damaged + short = expected + surplus", name=op.f("ck_stock_receipts_counts_add_up")
        ),
        sa.CheckConstraint("short = 0 OR surplus = 0", name=op.f("ck_stock_receipts_short_or_surplus")),
        sa.ForeignKeyConstraint(
            ["inbound_line_id"],
            ["inbound_lines.id"],
            name=op.f("fk_stock_receipts_inbound_line_id_inbound_lines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["purchase_line_id"],
            ["purchase_order_lines.id"],
            name=op.f("fk_stock_receipts_purchase_line_id_purchase_order_lines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["received_by"], ["users.id"], name=op.f("fk_stock_receipts_received_by_users")),
        sa.ForeignKeyConstraint(["stock_id"], ["stock.id"], name=op.f("fk_stock_receipts_stock_id_stock")),
        sa.ForeignKeyConstraint(["variant_id"], ["variants.id"], name=op.f("fk_stock_receipts_variant_id_variants")),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_stock_receipts_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_receipts")),
        sa.UniqueConstraint("inbound_line_id", name=op.f("uq_stock_receipts_inbound_line_id")),
        sa.UniqueConstraint("purchase_line_id", name=op.f("uq_stock_receipts_purchase_line_id")),
    )
    with op.batch_alter_table("stock_receipts", schema=None) as batch_op:
        batch_op.create_index("ix_stock_receipts_variant", ["variant_id"], unique=False)

    op.create_table(
        "stock_removals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("stock_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "approved",
                "shipped",
                "rejected",
                "cancelled",
                name="removalstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("decision_reason", sa.String(length=500), nullable=True),
        sa.Column("carrier", sa.String(length=64), nullable=True),
        sa.Column("tracking_number", sa.String(length=64), nullable=True),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("created_at", yellowcart.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("approved_at", yellowcart.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("shipped_at", yellowcart.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", yellowcart.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status NOT IN ('approved', 'shipped') OR stock_id IS NOT NULL",
            name=op.f("ck_stock_removals_taken_from_stock"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_stock_removals_quantity_positive")),
        sa.ForeignKeyConstraint(["decided_by"], ["users.id"], name=op.f("fk_stock_removals_decided_by_users")),
        sa.ForeignKeyConstraint(["requested_by"], ["users.id"], name=op.f("fk_stock_removals_requested_by_users")),
        sa.ForeignKeyConstraint(["seller_id"], ["sellers.id"], name=op.f("fk_stock_removals_seller_id_sellers")),
        sa.ForeignKeyConstraint(["stock_id"], ["stock.id"], name=op.f("fk_stock_removals_stock_id_stock")),
        sa.ForeignKeyConstraint(["variant_id"], ["variants.id"], name=op.f("fk_stock_removals_variant_id_variants")),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_stock_removals_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_removals")),
    )
    with op.batch_alter_table("stock_removals", schema=None) as batch_op:
        batch_op.create_index("ix_stock_removals_seller_status", ["seller_id", "status"], unique=False)
        batch_op.create_index("ix_stock_removals_status", ["status"], unique=False)

    op.create_table(
        "supply_offer_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "offered",
                "superseded",
                "accepted",
                "rejected",
                "countered",
                "counter_accepted",
                "counter_declined",
                name="decisionaction",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("supply_price_cents", sa.Integer(), nullable=True),
        sa.Column("price_cents", sa.Integer(), nullable=True),
        sa.Column("margin_bps", sa.Integer(), nullable=True),
        sa.Column("margin_override", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", yellowcart.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "NOT margin_override OR reason IS NOT NULL", name=op.f("ck_supply_offer_decisions_override_has_reason")
        ),
        sa.CheckConstraint(
            "price_cents IS NULL OR price_cents > 0", name=op.f("ck_supply_offer_decisions_price_positive")
        ),
        sa.CheckConstraint(
            "supply_price_cents IS NULL OR supply_price_cents > 0",
            name=op.f("ck_supply_offer_decisions_supply_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name=op.f("fk_supply_offer_decisions_actor_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["supply_offers.id"],
            name=op.f("fk_supply_offer_decisions_offer_id_supply_offers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_offer_decisions")),
    )
    with op.batch_alter_table("supply_offer_decisions", schema=None) as batch_op:
        batch_op.create_index("ix_supply_offer_decisions_offer", ["offer_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("supply_offer_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_supply_offer_decisions_offer")

    op.drop_table("supply_offer_decisions")
    with op.batch_alter_table("stock_removals", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_removals_status")
        batch_op.drop_index("ix_stock_removals_seller_status")

    op.drop_table("stock_removals")
    with op.batch_alter_table("stock_receipts", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_receipts_variant")

    op.drop_table("stock_receipts")
    with op.batch_alter_table("supply_offers", schema=None) as batch_op:
        batch_op.drop_index("ix_supply_offers_variant")
        batch_op.drop_index("ix_supply_offers_status")
        batch_op.drop_index("ix_supply_offers_seller_status")

    op.drop_table("supply_offers")
    op.drop_table("purchase_order_lines")
    op.drop_table("inbound_lines")
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchase_orders_warehouse_id"))
        batch_op.drop_index("ix_purchase_orders_status")

    op.drop_table("purchase_orders")
    with op.batch_alter_table("inbound_consignments", schema=None) as batch_op:
        batch_op.drop_index("ix_inbound_consignments_warehouse_status")
        batch_op.drop_index("ix_inbound_consignments_seller_status")

    op.drop_table("inbound_consignments")
