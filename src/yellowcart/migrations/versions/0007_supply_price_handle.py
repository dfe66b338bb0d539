"""supply prices (variants, order lines) and product store handles

Revision ID: 0007_supply_price_handle
Revises: 0006_sla
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yellowcart.db

revision: str = "0007_supply_price_handle"
down_revision: str | None = "0006_sla"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("handle", sa.String(length=255), nullable=True))
        batch.create_index("ux_products_seller_handle", ["seller_id", "handle"], unique=True)
    with op.batch_alter_table("variants") as batch:
        batch.add_column(sa.Column("supply_price_cents", sa.Integer(), nullable=True))
        batch.create_check_constraint(
            "supply_price_not_negative", "supply_price_cents IS NULL OR supply_price_cents >= 0"
        )
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(sa.Column("supply_price_cents", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_column("supply_price_cents")
    with op.batch_alter_table("variants") as batch:
        batch.drop_constraint("supply_price_not_negative", type_="check")
        batch.drop_column("supply_price_cents")
    with op.batch_alter_table("products") as batch:
        batch.drop_index("ux_products_seller_handle")
        batch.drop_column("handle")
