"""redirect clicks, store webhooks, attribution, cutover; selling-mode change history

Revision ID: 0010_redirect
Revises: 0009_ledger
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yellowcart.db

revision: str = "0010_redirect"
down_revision: str | None = "0009_ledger"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('store_connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.Enum('shopify', name='storeplatform', native_enum=False, length=16), nullable=False),
    sa.Column('shop_domain', sa.String(length=255), nullable=False),
    sa.Column('webhook_secret', sa.String(length=255), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', yellowcart.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yellowcart.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_store_connections_seller_id_sellers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_store_connections')),
    sa.UniqueConstraint('platform', 'shop_domain', name='uq_store_connections_shop')
    )
    with op.batch_alter_table('store_connections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_store_connections_seller_id'), ['seller_id'], unique=False)

    op.create_table('redirect_cutovers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('market', sa.String(length=16), nullable=False),
    sa.Column('cutover_at', yellowcart.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('scheduled', 'cancelled', name='cutoverstatus', native_enum=False, length=16), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=False),
    sa.Column('created_at', yellowcart.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yellowcart.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_redirect_cutovers_created_by_users')),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_redirect_cutovers_updated_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redirect_cutovers')),
    sa.UniqueConstraint('market', name=op.f('uq_redirect_cutovers_market'))
    )
    op.create_table('selling_mode_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('from_mode', sa.Enum('redirect', 'seller_fulfilled', 'full_custody', 'platform_owned', name='sellingmode', native_enum=False, length=24), nullable=False),
    sa.Column('to_mode', sa.Enum('redirect', 'seller_fulfilled', 'full_custody', 'platform_owned', name='sellingmode', native_enum=False, length=24), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=False),
    sa.Column('actor_role', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', yellowcart.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('from_mode <> to_mode', name=op.f('ck_selling_mode_changes_modes_differ')),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_selling_mode_changes_actor_user_id_users')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_selling_mode_changes_product_id_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_selling_mode_changes_seller_id_sellers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selling_mode_changes'))
    )
    with op.batch_alter_table('selling_mode_changes', schema=None) as batch_op:
        batch_op.create_index('ix_selling_mode_changes_product', ['product_id', 'id'], unique=False)
        batch_op.create_index('ix_selling_mode_changes_seller', ['seller_id', 'created_at'], unique=False)

    op.create_table('store_webhook_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=128), nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.Column('received_at', yellowcart.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['store_connections.id'], name=op.f('fk_store_webhook_events_connection_id_store_connections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_store_webhook_events')),
    sa.UniqueConstraint('connection_id', 'event_id', name='uq_store_webhook_events_event')
    )
    op.create_table('redirect_clicks',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('content_id', sa.Integer(), nullable=True),
    sa.Column('creator_user_id', sa.Integer(), nullable=True),
    sa.Column('shopper_id', sa.Integer(), nullable=True),
    sa.Column('medium', sa.Enum('video', 'live', 'feed', 'product_page', name='clickmedium', native_enum=False, length=16), nullable=False),
    sa.Column('user_agent_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', yellowcart.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['content_id'], ['content.id'], name=op.f('fk_redirect_clicks_content_id_content')),
    sa.ForeignKeyConstraint(['creator_user_id'], ['users.id'], name=op.f('fk_redirect_clicks_creator_user_id_users')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_redirect_clicks_product_id_products')),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_redirect_clicks_seller_id_sellers')),
    sa.ForeignKeyConstraint(['shopper_id'], ['users.id'], name=op.f('fk_redirect_clicks_shopper_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redirect_clicks'))
    )
    with op.batch_alter_table('redirect_clicks', schema=None) as batch_op:
        batch_op.create_index('ix_redirect_clicks_product', ['product_id'], unique=False)
        batch_op.create_index('ix_redirect_clicks_seller_created', ['seller_id', 'created_at'], unique=False)

    op.create_table('redirect_conversions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('shop_order_id', sa.String(length=64), nullable=False),
    sa.Column('click_id', sa.String(length=64), nullable=True),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('content_id', sa.Integer(), nullable=True),
    sa.Column('creator_user_id', sa.Integer(), nullable=True),
    sa.Column('shopper_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('attributed', 'unattributed', 'reversed', name='conversionstatus', native_enum=False, length=16), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('gmv_cents', sa.Integer(), nullable=False),
    sa.Column('commission_rate_bps', sa.Integer(), nullable=False),
    sa.Column('commission_cents', sa.Integer(), nullable=False),
    sa.Column('reversed_cents', sa.Integer(), nullable=False),
    sa.Column('refunded_gmv_cents', sa.Integer(), nullable=False),
    sa.Column('ordered_at', yellowcart.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', yellowcart.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', yellowcart.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status <> 'unattributed' OR commission_cents = 0", name=op.f('ck_redirect_conversions_unattributed_no_commission')),
    sa.CheckConstraint("status = 'unattributed' OR click_id IS NOT NULL", name=op.f('ck_redirect_conversions_attributed_has_click')),
    sa.CheckConstraint('commission_cents >= 0', name=op.f('ck_redirect_conversions_commission_not_negative')),
    sa.CheckConstraint('commission_rate_bps >= 0 AND commission_rate_bps <= 10000', name=op.f('ck_redirect_conversions_rate_range')),
    sa.CheckConstraint('gmv_cents >= 0', name=op.f('ck_redirect_conversions_gmv_not_negative')),
    sa.CheckConstraint('refunded_gmv_cents >= 0 AND refunded_gmv_cents <= gmv_cents', name=op.f('ck_redirect_conversions_refunded_range')),
    sa.CheckConstraint('reversed_cents >= 0 AND reversed_cents <= commission_cents', name=op.f('ck_redirect_conversions_reversed_range')),
    sa.ForeignKeyConstraint(['click_id'], ['redirect_clicks.id'], name=op.f('fk_redirect_conversions_click_id_redirect_clicks')),
    sa.ForeignKeyConstraint(['connection_id'], ['store_connections.id'], name=op.f('fk_redirect_conversions_connection_id_store_connections')),
    sa.ForeignKeyConstraint(['content_id'], ['content.id'], name=op.f('fk_redirect_conversions_content_id_content')),
    sa.ForeignKeyConstraint(['creator_user_id'], ['users.id'], name=op.f('fk_redirect_conversions_creator_user_id_users')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_redirect_conversions_product_id_products')),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_redirect_conversions_seller_id_sellers')),
    sa.ForeignKeyConstraint(['shopper_id'], ['users.id'], name=op.f('fk_redirect_conversions_shopper_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redirect_conversions')),
    sa.UniqueConstraint('connection_id', 'shop_order_id', name='uq_redirect_conversions_order')
    )
    with op.batch_alter_table('redirect_conversions', schema=None) as batch_op:
        batch_op.create_index('ix_redirect_conversions_click', ['click_id'], unique=False)
        batch_op.create_index('ix_redirect_conversions_seller', ['seller_id', 'id'], unique=False)

    op.create_table('redirect_conversion_adjustments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversion_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('cancel', 'refund', name='adjustmentkind', native_enum=False, length=16), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('gmv_cents', sa.Integer(), nullable=False),
    sa.Column('commission_cents', sa.Integer(), nullable=False),
    sa.Column('created_at', yellowcart.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('commission_cents >= 0', name=op.f('ck_redirect_conversion_adjustments_commission_not_negative')),
    sa.CheckConstraint('gmv_cents >= 0', name=op.f('ck_redirect_conversion_adjustments_gmv_not_negative')),
    sa.ForeignKeyConstraint(['conversion_id'], ['redirect_conversions.id'], name=op.f('fk_redirect_conversion_adjustments_conversion_id_redirect_conversions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redirect_conversion_adjustments')),
    sa.UniqueConstraint('conversion_id', 'kind', 'external_id', name='uq_redirect_adjustments_external')
    )
    with op.batch_alter_table('redirect_conversion_adjustments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_redirect_conversion_adjustments_conversion_id'), ['conversion_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('redirect_conversion_adjustments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_redirect_conversion_adjustments_conversion_id'))

    op.drop_table('redirect_conversion_adjustments')
    with op.batch_alter_table('redirect_conversions', schema=None) as batch_op:
        batch_op.drop_index('ix_redirect_conversions_seller')
        batch_op.drop_index('ix_redirect_conversions_click')

    op.drop_table('redirect_conversions')
    with op.batch_alter_table('redirect_clicks', schema=None) as batch_op:
        batch_op.drop_index('ix_redirect_clicks_seller_created')
        batch_op.drop_index('ix_redirect_clicks_product')

    op.drop_table('redirect_clicks')
    op.drop_table('store_webhook_events')
    with op.batch_alter_table('selling_mode_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_selling_mode_changes_seller')
        batch_op.drop_index('ix_selling_mode_changes_product')

    op.drop_table('selling_mode_changes')
    op.drop_table('redirect_cutovers')
    with op.batch_alter_table('store_connections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_store_connections_seller_id'))

    op.drop_table('store_connections')
