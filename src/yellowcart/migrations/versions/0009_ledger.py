"""double-entry ledger, settlements, payouts

Revision ID: 0009_ledger
Revises: 0008_seller_onboarding
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yellowcart.db

revision: str = "0009_ledger"
down_revision: str | None = "0008_seller_onboarding"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Entries and postings are append-only: the database refuses UPDATE (see yellowcart.ledger.models).
APPEND_ONLY = ("ledger_entries", "ledger_postings")
MESSAGE = "ledger rows are append-only: post a reversing entry"


def _append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$ LANGUAGE plpgsql"
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
            )
        return
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def upgrade() -> None:
    op.create_table('ledger_payouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('adapter', sa.String(length=32), nullable=False),
    sa.Column('transfer_reference', sa.String(length=120), nullable=False),
    sa.Column('created_at', yellowcart.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_ledger_payouts_amount_positive')),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_ledger_payouts_seller_id_sellers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_payouts')),
    sa.UniqueConstraint('seller_id', 'period_start', name='uq_ledger_payouts_seller_period')
    )
    op.create_table('ledger_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('opening_cents', sa.Integer(), nullable=False),
    sa.Column('closing_cents', sa.Integer(), nullable=False),
    sa.Column('netted_cents', sa.Integer(), nullable=False),
    sa.Column('payout_cents', sa.Integer(), nullable=False),
    sa.Column('closed_at', yellowcart.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('payout_cents >= 0', name=op.f('ck_ledger_statements_payout_not_negative')),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_ledger_statements_seller_id_sellers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_statements')),
    sa.UniqueConstraint('seller_id', 'period_start', name='uq_ledger_statements_seller_period')
    )
    with op.batch_alter_table('ledger_statements', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_statements_period', ['period_start'], unique=False)

    op.create_table('ledger_commission_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rate_key', sa.String(length=32), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('commission_bps', sa.Integer(), nullable=False),
    sa.Column('fee_bps', sa.Integer(), nullable=False),
    sa.Column('updated_at', yellowcart.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_user_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(category_id IS NULL) = (rate_key = 'default')", name=op.f('ck_ledger_commission_rates_default_has_no_category')),
    sa.CheckConstraint('commission_bps >= 0 AND commission_bps <= 10000', name=op.f('ck_ledger_commission_rates_commission_range')),
    sa.CheckConstraint('fee_bps >= 0 AND fee_bps <= 10000', name=op.f('ck_ledger_commission_rates_fee_range')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_ledger_commission_rates_category_id_categories')),
    sa.ForeignKeyConstraint(['updated_by_user_id'], ['users.id'], name=op.f('fk_ledger_commission_rates_updated_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_commission_rates')),
    sa.UniqueConstraint('rate_key', name=op.f('uq_ledger_commission_rates_rate_key'))
    )
    op.create_table('ledger_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_key', sa.String(length=160), nullable=False),
    sa.Column('kind', sa.Enum('sale', 'refund', 'chargeback', 'redirect_commission', 'redirect_reversal', 'netting', 'payout', name='entrykind', native_enum=False, length=24), nullable=False),
    sa.Column('posted_at', yellowcart.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', yellowcart.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('payout_id', sa.Integer(), nullable=True),
    sa.Column('conversion_id', sa.Integer(), nullable=True),
    sa.Column('reference', sa.String(length=120), nullable=True),
    sa.Column('gmv_cents', sa.Integer(), nullable=True),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('memo', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_ledger_entries_actor_user_id_users')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_ledger_entries_order_id_orders')),
    sa.ForeignKeyConstraint(['payout_id'], ['ledger_payouts.id'], name=op.f('fk_ledger_entries_payout_id_ledger_payouts')),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_ledger_entries_seller_id_sellers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries')),
    sa.UniqueConstraint('source_key', name=op.f('uq_ledger_entries_source_key'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entries_kind_posted', ['kind', 'posted_at'], unique=False)
        batch_op.create_index('ix_ledger_entries_order', ['order_id'], unique=False)
        batch_op.create_index('ix_ledger_entries_seller_posted', ['seller_id', 'posted_at'], unique=False)

    op.create_table('ledger_postings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('account', sa.Enum('payment_clearing', 'sales_tax_payable', 'commission_revenue', 'fee_revenue', 'retail_revenue', 'shipping_revenue', 'cost_of_goods', 'refunds', 'chargebacks', 'redirect_commission_revenue', 'seller_payable', 'redirect_receivable', 'payouts', name='account', native_enum=False, length=32), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('component', sa.Enum('cash', 'goods', 'shipping', 'tax', 'commission', 'fee', 'supply', 'excess', 'redirect', 'netting', 'payout', name='component', native_enum=False, length=16), nullable=False),
    sa.Column('posted_at', yellowcart.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=True),
    sa.Column('selling_mode', sa.Enum('redirect', 'seller_fulfilled', 'full_custody', 'platform_owned', name='sellingmode', native_enum=False, length=24), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('order_line_id', sa.Integer(), nullable=True),
    sa.Column('units', sa.Integer(), nullable=True),
    sa.Column('rate_bps', sa.Integer(), nullable=True),
    sa.CheckConstraint("account NOT IN ('seller_payable', 'redirect_receivable') OR seller_id IS NOT NULL", name=op.f('ck_ledger_postings_seller_account_has_seller')),
    sa.CheckConstraint('amount_cents <> 0 OR units IS NOT NULL', name=op.f('ck_ledger_postings_moves_something')),
    sa.CheckConstraint('rate_bps IS NULL OR (rate_bps >= 0 AND rate_bps <= 10000)', name=op.f('ck_ledger_postings_rate_range')),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], name=op.f('fk_ledger_postings_entry_id_ledger_entries')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_ledger_postings_order_id_orders')),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_lines.id'], name=op.f('fk_ledger_postings_order_line_id_order_lines')),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_ledger_postings_seller_id_sellers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_postings'))
    )
    with op.batch_alter_table('ledger_postings', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_postings_account_seller', ['account', 'seller_id', 'posted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_postings_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index('ix_ledger_postings_order', ['order_id'], unique=False)
        batch_op.create_index('ix_ledger_postings_seller_posted', ['seller_id', 'posted_at'], unique=False)
    _append_only()


def downgrade() -> None:
    with op.batch_alter_table('ledger_postings', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_postings_seller_posted')
        batch_op.drop_index('ix_ledger_postings_order')
        batch_op.drop_index(batch_op.f('ix_ledger_postings_entry_id'))
        batch_op.drop_index('ix_ledger_postings_account_seller')

    op.drop_table('ledger_postings')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entries_seller_posted')
        batch_op.drop_index('ix_ledger_entries_order')
        batch_op.drop_index('ix_ledger_entries_kind_posted')

    op.drop_table('ledger_entries')
    op.drop_table('ledger_commission_rates')
    with op.batch_alter_table('ledger_statements', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_statements_period')

    op.drop_table('ledger_statements')
    op.drop_table('ledger_payouts')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS ledger_append_only()")
