"""creators: affiliate programme, rates, showcase, attribution, commissions

Revision ID: 0016_creators
Revises: 0015_live_rooms
Create Date: 2026-11-25

The creators' own tables, and the ledger's extension to creators: postings name the creator of an
affiliate commission (``creator_id``, checked for the creator payable account), and statements and
payouts belong to a seller or a creator (exactly one). On SQLite the ledger tables are rebuilt
(copy, drop, rename: batch mode), so the append-only trigger of ``ledger_postings`` is created again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yellowcart.db

revision: str = "0016_creators"
down_revision: str | None = "0015_live_rooms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RATE_CHECK = "rate_bps >= 100 AND rate_bps <= 8000"
ONE_PARTY_CHECK = "(seller_id IS NULL) <> (creator_id IS NULL)"
SQLITE_APPEND_ONLY = (
    "CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE ON ledger_postings "
    "BEGIN SELECT RAISE(ABORT, 'ledger rows are append-only: post a reversing entry'); END"
)


def _time(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, yellowcart.db.UTCDateTime(timezone=True), nullable=nullable)


def _creator_tables() -> None:
    op.create_table(
        "creator_memberships",
        sa.Column("creator_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.Enum("active", "suspended", name="memberstatus", native_enum=False, length=16),
                  nullable=False),
        sa.Column("terms_version", sa.String(length=16), nullable=False),
        _time("accepted_terms_at"),
        _time("joined_at"),
        _time("suspended_at", nullable=True),
        sa.Column("suspended_reason", sa.String(length=300), nullable=True),
        _time("updated_at"),
        sa.CheckConstraint("status IN ('active', 'suspended')", name=op.f("ck_creator_memberships_status_known")),
        sa.CheckConstraint("status <> 'suspended' OR suspended_reason IS NOT NULL",
                           name=op.f("ck_creator_memberships_suspension_has_reason")),
        sa.ForeignKeyConstraint(["creator_id"], ["users.id"], name=op.f("fk_creator_memberships_creator_id_users")),
        sa.PrimaryKeyConstraint("creator_id", name=op.f("pk_creator_memberships")),
    )  # fmt: skip
    op.create_table(
        "creator_open_rates",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("rate_bps", sa.Integer(), nullable=False),
        sa.Column("set_by_user_id", sa.Integer(), nullable=False),
        _time("updated_at"),
        sa.CheckConstraint(RATE_CHECK, name=op.f("ck_creator_open_rates_rate_range")),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"],
                                name=op.f("fk_creator_open_rates_product_id_products")),
        sa.ForeignKeyConstraint(["set_by_user_id"], ["users.id"],
                                name=op.f("fk_creator_open_rates_set_by_user_id_users")),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_creator_open_rates")),
    )  # fmt: skip
    op.create_table(
        "creator_targeted_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("creator_id", sa.Integer(), nullable=False),
        sa.Column("rate_bps", sa.Integer(), nullable=False),
        sa.Column("set_by_user_id", sa.Integer(), nullable=False),
        _time("updated_at"),
        sa.CheckConstraint(RATE_CHECK, name=op.f("ck_creator_targeted_rates_rate_range")),
        sa.ForeignKeyConstraint(["creator_id"], ["users.id"], name=op.f("fk_creator_targeted_rates_creator_id_users")),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"],
                                name=op.f("fk_creator_targeted_rates_product_id_products")),
        sa.ForeignKeyConstraint(["set_by_user_id"], ["users.id"],
                                name=op.f("fk_creator_targeted_rates_set_by_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creator_targeted_rates")),
        sa.UniqueConstraint("product_id", "creator_id", name="uq_creator_targeted_rates_product_creator"),
    )  # fmt: skip
    op.create_index("ix_creator_targeted_rates_creator", "creator_targeted_rates", ["creator_id"])
    op.create_table(
        "creator_showcase_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creator_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        _time("added_at"),
        sa.ForeignKeyConstraint(["creator_id"], ["users.id"], name=op.f("fk_creator_showcase_items_creator_id_users")),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"],
                                name=op.f("fk_creator_showcase_items_product_id_products")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creator_showcase_items")),
        sa.UniqueConstraint("creator_id", "product_id", name="uq_creator_showcase_items_creator_product"),
    )  # fmt: skip


def _attribution_tables() -> None:
    op.create_table(
        "creator_attributions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creator_id", sa.Integer(), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("shopper_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("order_line_id", sa.Integer(), nullable=True),
        sa.Column("conversion_id", sa.Integer(), nullable=True),
        sa.Column("selling_mode", sa.Enum("redirect", "seller_fulfilled", "full_custody", "platform_owned",
                                          name="sellingmode", native_enum=False, length=24), nullable=False),
        sa.Column("touch", sa.Enum("view", "cart_tap", "click", name="touchkind", native_enum=False, length=16),
                  nullable=False),
        _time("touched_at"),
        _time("ordered_at"),
        sa.Column("rate_kind", sa.Enum("open", "targeted", name="ratekind", native_enum=False, length=16),
                  nullable=False),
        sa.Column("rate_bps", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=True),
        sa.Column("base_cents", sa.Integer(), nullable=False),
        sa.Column("commission_cents", sa.Integer(), nullable=False),
        _time("earned_at", nullable=True),
        _time("attributed_at"),
        sa.CheckConstraint("(order_line_id IS NULL) <> (conversion_id IS NULL)",
                           name=op.f("ck_creator_attributions_line_or_conversion")),
        sa.CheckConstraint("order_line_id IS NULL OR (order_id IS NOT NULL AND units IS NOT NULL)",
                           name=op.f("ck_creator_attributions_line_has_order")),
        sa.CheckConstraint(RATE_CHECK, name=op.f("ck_creator_attributions_rate_range")),
        sa.CheckConstraint("units IS NULL OR units > 0", name=op.f("ck_creator_attributions_units_positive")),
        sa.CheckConstraint("base_cents >= 0 AND commission_cents >= 0",
                           name=op.f("ck_creator_attributions_amounts_not_negative")),
        sa.CheckConstraint("shopper_id IS NULL OR shopper_id <> creator_id",
                           name=op.f("ck_creator_attributions_no_self_referral")),
        sa.ForeignKeyConstraint(["content_id"], ["content.id"],
                                name=op.f("fk_creator_attributions_content_id_content")),
        sa.ForeignKeyConstraint(["conversion_id"], ["redirect_conversions.id"],
                                name=op.f("fk_creator_attributions_conversion_id_redirect_conversions")),
        sa.ForeignKeyConstraint(["creator_id"], ["users.id"], name=op.f("fk_creator_attributions_creator_id_users")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_creator_attributions_order_id_orders")),
        sa.ForeignKeyConstraint(["order_line_id"], ["order_lines.id"],
                                name=op.f("fk_creator_attributions_order_line_id_order_lines")),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"],
                                name=op.f("fk_creator_attributions_product_id_products")),
        sa.ForeignKeyConstraint(["seller_id"], ["sellers.id"], name=op.f("fk_creator_attributions_seller_id_sellers")),
        sa.ForeignKeyConstraint(["shopper_id"], ["users.id"], name=op.f("fk_creator_attributions_shopper_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creator_attributions")),
        sa.UniqueConstraint("order_line_id", name="uq_creator_attributions_order_line"),
        sa.UniqueConstraint("conversion_id", name="uq_creator_attributions_conversion"),
    )  # fmt: skip
    op.create_index("ix_creator_attributions_creator_ordered", "creator_attributions", ["creator_id", "ordered_at"])
    op.create_index("ix_creator_attributions_content", "creator_attributions", ["content_id"])
    op.create_index("ix_creator_attributions_order", "creator_attributions", ["order_id"])
    op.create_table(
        "creator_attribution_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attribution_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=True),
        sa.Column("units", sa.Integer(), nullable=False),
        _time("created_at"),
        sa.CheckConstraint("units > 0", name=op.f("ck_creator_attribution_returns_units_positive")),
        sa.ForeignKeyConstraint(["attribution_id"], ["creator_attributions.id"], ondelete="CASCADE",
                                name=op.f("fk_creator_attribution_returns_attribution_id_creator_attributions")),
        sa.ForeignKeyConstraint(["return_id"], ["returns.id"],
                                name=op.f("fk_creator_attribution_returns_return_id_returns")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creator_attribution_returns")),
        sa.UniqueConstraint("attribution_id", "reference", name="uq_creator_attribution_returns_reference"),
    )  # fmt: skip


def _ledger_to_parties() -> None:
    """Postings name a creator; statements and payouts are a seller's or a creator's."""
    with op.batch_alter_table("ledger_postings") as batch:
        batch.add_column(sa.Column("creator_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_ledger_postings_creator_id_users"), "users", ["creator_id"], ["id"])
        batch.create_check_constraint(
            op.f("ck_ledger_postings_creator_account_has_creator"),
            "account <> 'creator_payable' OR creator_id IS NOT NULL",
        )
        batch.create_index("ix_ledger_postings_creator_posted", ["creator_id", "posted_at"])
        batch.create_index("ix_ledger_postings_order_line", ["order_line_id"])
    if op.get_bind().dialect.name == "sqlite":  # the rebuilt table lost its trigger (PostgreSQL's is kept)
        op.execute(SQLITE_APPEND_ONLY)
    for table in ("ledger_statements", "ledger_payouts"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("creator_id", sa.Integer(), nullable=True))
            batch.alter_column("seller_id", existing_type=sa.Integer(), nullable=True)
            batch.create_foreign_key(op.f(f"fk_{table}_creator_id_users"), "users", ["creator_id"], ["id"])
            batch.create_unique_constraint(f"uq_{table}_creator_period", ["creator_id", "period_start"])
            batch.create_check_constraint(op.f(f"ck_{table}_one_party"), ONE_PARTY_CHECK)


def upgrade() -> None:
    _creator_tables()
    _attribution_tables()
    _ledger_to_parties()


def downgrade() -> None:
    bind = op.get_bind()
    creator_money = bind.execute(sa.text("SELECT count(*) FROM ledger_postings WHERE creator_id IS NOT NULL")).scalar()
    if creator_money:  # the ledger is append-only: creators' entries cannot be dropped with their columns
        raise RuntimeError("creators' commissions and payouts are in the ledger: this downgrade would lose them")
    for table in ("ledger_payouts", "ledger_statements"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"ck_{table}_one_party"), type_="check")
            batch.drop_constraint(f"uq_{table}_creator_period", type_="unique")
            batch.drop_constraint(op.f(f"fk_{table}_creator_id_users"), type_="foreignkey")
            batch.alter_column("seller_id", existing_type=sa.Integer(), nullable=False)
            batch.drop_column("creator_id")
    with op.batch_alter_table("ledger_postings") as batch:
        batch.drop_index("ix_ledger_postings_order_line")
        batch.drop_index("ix_ledger_postings_creator_posted")
        batch.drop_constraint(op.f("ck_ledger_postings_creator_account_has_creator"), type_="check")
        batch.drop_constraint(op.f("fk_ledger_postings_creator_id_users"), type_="foreignkey")
        batch.drop_column("creator_id")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SQLITE_APPEND_ONLY)
    op.drop_table("creator_attribution_returns")
    for index in ("ix_creator_attributions_order", "ix_creator_attributions_content",
                  "ix_creator_attributions_creator_ordered"):  # fmt: skip
        op.drop_index(index, table_name="creator_attributions")
    op.drop_table("creator_attributions")
    op.drop_table("creator_showcase_items")
    op.drop_index("ix_creator_targeted_rates_creator", table_name="creator_targeted_rates")
    op.drop_table("creator_targeted_rates")
    op.drop_table("creator_open_rates")
    op.drop_table("creator_memberships")
