"""promotions: promotions, coupon codes and claims, shopper uses, redemptions, order discounts;
order lines' discount, carts' coupon codes and last quote, flash deals (live deals without a room)

Revision ID: 0018_promotions
Revises: 0017_support
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yellowcart.db

revision: str = "0018_promotions"
down_revision: str | None = "0017_support"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = ("product_discount", "coupon", "free_shipping", "bundle", "flash_deal")


def _when(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, yellowcart.db.UTCDateTime(timezone=True), nullable=nullable)


def _enum(name: str, *values: str, length: int = 16) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=length)


def _ck(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def _fk(table: str, column: str, target: str, ondelete: str | None = None) -> sa.ForeignKeyConstraint:
    name = op.f(f"fk_{table}_{column}_{target}")
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=name, ondelete=ondelete)


def _promotions() -> None:
    t = "promotions"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("promotionkind", *KINDS, length=24), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("status", _enum("promotionstatus", "draft", "active", "paused", "ended"), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("funder", _enum("funder", "seller", "platform", "split"), nullable=False),
        sa.Column("seller_share_bps", sa.Integer(), nullable=False),
        sa.Column("percent_off_bps", sa.Integer(), nullable=True),
        sa.Column("amount_off_cents", sa.Integer(), nullable=True),
        sa.Column("product_ids", sa.JSON(), nullable=True),
        sa.Column("variant_ids", sa.JSON(), nullable=True),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("min_spend_cents", sa.Integer(), nullable=False),
        sa.Column("min_quantity", sa.Integer(), nullable=False),
        _when("starts_at", False),
        _when("ends_at", False),
        sa.Column("per_shopper_limit", sa.Integer(), nullable=True),
        sa.Column("total_limit", sa.Integer(), nullable=True),
        sa.Column("budget_cents", sa.Integer(), nullable=True),
        sa.Column("new_customer_only", sa.Boolean(), nullable=False),
        sa.Column("claimable", sa.Boolean(), nullable=False),
        sa.Column("exclusive", sa.Boolean(), nullable=False),
        sa.Column("holdout_bps", sa.Integer(), nullable=False),
        sa.Column("quantity_cap", sa.Integer(), nullable=True),
        sa.Column("deal_id", sa.Integer(), nullable=True),
        sa.Column("redemptions", sa.Integer(), nullable=False),
        sa.Column("budget_used_cents", sa.Integer(), nullable=False),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        _when("ended_at"),
        _when("created_at", False),
        _when("updated_at", False),
        _ck(
            t,
            "funding_consistent",
            "(funder = 'seller' AND seller_share_bps = 10000) OR (funder = 'platform' AND seller_share_bps = 0)"
            " OR (funder = 'split' AND seller_share_bps > 0 AND seller_share_bps < 10000)",
        ),
        _ck(t, "seller_funds_own_listings", "funder = 'platform' OR seller_id IS NOT NULL"),
        _ck(
            t,
            "one_discount_form",
            "(kind = 'free_shipping' AND percent_off_bps IS NULL AND amount_off_cents IS NULL)"
            " OR (kind <> 'free_shipping' AND (percent_off_bps IS NULL) <> (amount_off_cents IS NULL))",
        ),
        _ck(t, "pct_range", "percent_off_bps IS NULL OR (percent_off_bps > 0 AND percent_off_bps <= 9000)"),
        _ck(t, "amount_positive", "amount_off_cents IS NULL OR amount_off_cents > 0"),
        _ck(t, "min_spend_ge_0", "min_spend_cents >= 0"),
        _ck(t, "min_quantity_range", "min_quantity >= 1 AND (kind <> 'bundle' OR min_quantity >= 2)"),
        _ck(t, "ends_after_start", "ends_at > starts_at"),
        _ck(t, "per_shopper_ge_1", "per_shopper_limit IS NULL OR per_shopper_limit >= 1"),
        _ck(t, "total_limit_ge_1", "total_limit IS NULL OR total_limit >= 1"),
        _ck(t, "budget_positive", "budget_cents IS NULL OR budget_cents > 0"),
        _ck(t, "holdout_range", "holdout_bps >= 0 AND holdout_bps <= 5000"),
        _ck(t, "within_limit", "redemptions >= 0 AND (total_limit IS NULL OR redemptions <= total_limit)"),
        _ck(
            t,
            "within_budget",
            "budget_used_cents >= 0 AND (budget_cents IS NULL OR budget_used_cents <= budget_cents)",
        ),
        _ck(t, "flash_has_cap", "kind <> 'flash_deal' OR quantity_cap IS NOT NULL"),
        _ck(t, "cap_positive", "quantity_cap IS NULL OR quantity_cap > 0"),
        _ck(t, "only_coupons_claimable", "claimable = false OR kind = 'coupon'"),
        _fk(t, "seller_id", "sellers"),
        _fk(t, "created_by", "users"),
        _fk(t, "category_id", "categories"),
        _fk(t, "deal_id", "live_deals"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    op.create_index("ix_promotions_status_window", t, ["status", "starts_at", "ends_at"])
    op.create_index("ix_promotions_seller", t, ["seller_id", "id"])


def _codes_claims_uses() -> None:
    t = "coupon_codes"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("promotion_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("shopper_id", sa.Integer(), nullable=True),
        _when("created_at", False),
        _ck(t, "code_upper", "code = upper(code)"),
        _fk(t, "promotion_id", "promotions", "CASCADE"),
        _fk(t, "shopper_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("code", name=op.f(f"uq_{t}_code")),
    )
    op.create_index(op.f(f"ix_{t}_promotion_id"), t, ["promotion_id"])
    t = "coupon_claims"
    op.create_table(
        t,
        sa.Column("promotion_id", sa.Integer(), nullable=False),
        sa.Column("shopper_id", sa.Integer(), nullable=False),
        _when("claimed_at", False),
        _fk(t, "promotion_id", "promotions", "CASCADE"),
        _fk(t, "shopper_id", "users"),
        sa.PrimaryKeyConstraint("promotion_id", "shopper_id", name=op.f(f"pk_{t}")),
    )
    op.create_index(op.f(f"ix_{t}_shopper_id"), t, ["shopper_id"])
    t = "promotion_shoppers"
    op.create_table(
        t,
        sa.Column("promotion_id", sa.Integer(), nullable=False),
        sa.Column("shopper_id", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("cap", sa.Integer(), nullable=True),
        _ck(t, "uses_not_negative", "uses >= 0"),
        _ck(t, "uses_within_cap", "cap IS NULL OR uses <= cap"),
        _fk(t, "promotion_id", "promotions", "CASCADE"),
        _fk(t, "shopper_id", "users"),
        sa.PrimaryKeyConstraint("promotion_id", "shopper_id", name=op.f(f"pk_{t}")),
    )


def _redemptions_discounts() -> None:
    t = "promotion_redemptions"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("promotion_id", sa.Integer(), nullable=False),
        sa.Column("shopper_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=True),
        sa.Column("discount_cents", sa.Integer(), nullable=False),
        sa.Column("seller_funded_cents", sa.Integer(), nullable=False),
        sa.Column("platform_funded_cents", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("status", _enum("redemptionstatus", "held", "used", "released"), nullable=False),
        _when("created_at", False),
        _when("settled_at"),
        _ck(t, "discount_ge_0", "discount_cents >= 0"),
        _ck(t, "funding_adds_up", "seller_funded_cents + platform_funded_cents = discount_cents"),
        _ck(t, "funding_ge_0", "seller_funded_cents >= 0 AND platform_funded_cents >= 0"),
        _fk(t, "promotion_id", "promotions"),
        _fk(t, "shopper_id", "users"),
        _fk(t, "payment_id", "payments"),
        _fk(t, "order_id", "orders", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("promotion_id", "order_id", name="uq_promotion_redemptions_promotion_order"),
    )
    op.create_index("ix_promotion_redemptions_promotion", t, ["promotion_id", "status"])
    op.create_index(op.f(f"ix_{t}_shopper_id"), t, ["shopper_id"])
    op.create_index(op.f(f"ix_{t}_order_id"), t, ["order_id"])
    t = "order_discounts"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=True),
        sa.Column("promotion_id", sa.Integer(), nullable=False),
        sa.Column("kind", _enum("discountkind", "goods", "shipping", "deal"), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("seller_funded_cents", sa.Integer(), nullable=False),
        sa.Column("platform_funded_cents", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        _ck(t, "amount_positive", "amount_cents > 0"),
        _ck(t, "funding_adds_up", "seller_funded_cents + platform_funded_cents = amount_cents"),
        _ck(t, "funding_ge_0", "seller_funded_cents >= 0 AND platform_funded_cents >= 0"),
        _ck(t, "line_unless_shipping", "(kind = 'shipping') = (order_line_id IS NULL)"),
        _fk(t, "order_id", "orders", "CASCADE"),
        _fk(t, "order_line_id", "order_lines", "CASCADE"),
        _fk(t, "promotion_id", "promotions"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
    )
    op.create_index(op.f(f"ix_{t}_order_id"), t, ["order_id"])
    op.create_index("ix_order_discounts_promotion", t, ["promotion_id"])


def upgrade() -> None:
    _promotions()
    _codes_claims_uses()
    _redemptions_discounts()
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(sa.Column("line_discount_cents", sa.Integer(), nullable=False, server_default="0"))
        batch.create_check_constraint(
            "discount_within_subtotal", "line_discount_cents >= 0 AND line_discount_cents <= line_subtotal_cents"
        )
    with op.batch_alter_table("carts") as batch:
        batch.add_column(sa.Column("coupon_codes", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("quoted_total_cents", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("quoted_discounts", sa.JSON(), nullable=True))
    # A flash deal is a live deal without a room: the same set-aside, caps and purchase records.
    with op.batch_alter_table("live_deals") as batch:
        batch.alter_column("room_id", existing_type=sa.Integer(), nullable=True)
    with op.batch_alter_table("live_deal_purchases") as batch:
        batch.alter_column("room_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("live_deal_purchases") as batch:
        batch.alter_column("room_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("live_deals") as batch:
        batch.alter_column("room_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("carts") as batch:
        batch.drop_column("quoted_discounts")
        batch.drop_column("quoted_total_cents")
        batch.drop_column("coupon_codes")
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_constraint("discount_within_subtotal", type_="check")
        batch.drop_column("line_discount_cents")
    for table in ("order_discounts", "promotion_redemptions", "promotion_shoppers", "coupon_claims", "coupon_codes",
                  "promotions"):  # fmt: skip
        op.drop_table(table)
