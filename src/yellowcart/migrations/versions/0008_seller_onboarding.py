"""seller onboarding: applications, eligibility, review

Revision ID: 0008_seller_onboarding
Revises: 0007_supply_price_handle
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yellowcart.db

revision: str = "0008_seller_onboarding"
down_revision: str | None = "0007_supply_price_handle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS = ("draft", "submitted", "needs_info", "approved", "rejected")


def _status(name: str = "applicationstatus") -> sa.Enum:
    return sa.Enum(*STATUS, name=name, native_enum=False, length=16)


def upgrade() -> None:
    op.create_table(
        "market_policies",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", yellowcart.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("version >= 1", name=op.f("ck_market_policies_version_positive")),
        sa.ForeignKeyConstraint(
            ["updated_by_user_id"], ["users.id"], name=op.f("fk_market_policies_updated_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_market_policies")),
    )
    op.create_table(
        "seller_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("market_code", sa.String(length=16), nullable=False),
        sa.Column("status", _status(), nullable=False),
        sa.Column("opened_by_user_id", sa.Integer(), nullable=True),
        sa.Column(
            "entity_type",
            sa.Enum("sole_proprietorship", "partnership", "llc", "corporation", "nonprofit", name="entitytype",
                    native_enum=False, length=24),
            nullable=True,
        ),
        sa.Column("legal_name", sa.String(length=200), nullable=True),
        sa.Column("entity_country", sa.String(length=2), nullable=True),
        sa.Column("entity_address", sa.JSON(), nullable=True),
        sa.Column("ein_last4", sa.String(length=4), nullable=True),
        sa.Column("ein_hmac", sa.String(length=64), nullable=True),
        sa.Column("phone_e164", sa.String(length=16), nullable=True),
        sa.Column("origin_country", sa.String(length=2), nullable=True),
        sa.Column("origin_postal_code", sa.String(length=12), nullable=True),
        sa.Column(
            "social_platform",
            sa.Enum("tiktok", "instagram", "youtube", "facebook", name="socialplatform", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("social_handle", sa.String(length=64), nullable=True),
        sa.Column("follower_count", sa.Integer(), nullable=True),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("evaluation", sa.JSON(), nullable=False),
        sa.Column("evaluated_at", yellowcart.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("policy_version", sa.Integer(), nullable=True),
        sa.Column("decision_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", yellowcart.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", yellowcart.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", yellowcart.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("queued_at", yellowcart.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_at", yellowcart.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "follower_count IS NULL OR follower_count >= 0", name=op.f("ck_seller_applications_followers_not_negative")
        ),
        sa.CheckConstraint(
            "(ein_last4 IS NULL) = (ein_hmac IS NULL)", name=op.f("ck_seller_applications_ein_last4_with_hmac")
        ),
        sa.CheckConstraint(
            "status <> 'submitted' OR queued_at IS NOT NULL", name=op.f("ck_seller_applications_submitted_is_queued")
        ),
        sa.CheckConstraint(
            "status NOT IN ('approved', 'rejected') OR decided_at IS NOT NULL",
            name=op.f("ck_seller_applications_decided_has_time"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('rejected', 'needs_info') OR decision_reason IS NOT NULL",
            name=op.f("ck_seller_applications_decision_has_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["market_code"], ["market_policies.code"], name=op.f("fk_seller_applications_market_code_market_policies")
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_user_id"], ["users.id"], name=op.f("fk_seller_applications_opened_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["sellers.id"], name=op.f("fk_seller_applications_seller_id_sellers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_applications")),
        sa.UniqueConstraint("seller_id", name=op.f("uq_seller_applications_seller_id")),
    )
    with op.batch_alter_table("seller_applications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seller_applications_ein_hmac"), ["ein_hmac"], unique=False)
        batch_op.create_index("ix_seller_applications_market", ["market_code", "status"], unique=False)
        batch_op.create_index("ix_seller_applications_queue", ["status", "queued_at", "id"], unique=False)

    op.create_table(
        "seller_id_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column(
            "doc_type",
            sa.Enum("drivers_license", "passport", "state_id", "permanent_resident_card", name="documenttype",
                    native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("number_last4", sa.String(length=4), nullable=False),
        sa.Column("number_hmac", sa.String(length=64), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("issuing_country", sa.String(length=2), nullable=False),
        sa.Column("issuing_state", sa.String(length=2), nullable=True),
        sa.Column("recorded_at", yellowcart.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(number_hmac) = 64", name=op.f("ck_seller_id_documents_hmac_is_sha256_hex")),
        sa.ForeignKeyConstraint(
            ["application_id"], ["seller_applications.id"],
            name=op.f("fk_seller_id_documents_application_id_seller_applications"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_id_documents")),
        sa.UniqueConstraint("application_id", name=op.f("uq_seller_id_documents_application_id")),
    )
    with op.batch_alter_table("seller_id_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seller_id_documents_number_hmac"), ["number_hmac"], unique=False)

    op.create_table(
        "seller_gmv_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sa.Enum("imported", "platform", name="gmvsource", native_enum=False, length=16),
                  nullable=False),
        sa.Column("gmv_cents", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", yellowcart.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("gmv_cents >= 0", name=op.f("ck_seller_gmv_days_gmv_not_negative")),
        sa.ForeignKeyConstraint(
            ["application_id"], ["seller_applications.id"],
            name=op.f("fk_seller_gmv_days_application_id_seller_applications"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_gmv_days")),
        sa.UniqueConstraint("application_id", "day", "source", name="uq_seller_gmv_days_day_source"),
    )
    op.create_table(
        "seller_application_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("at", yellowcart.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("from_status", _status(), nullable=True),
        sa.Column("to_status", _status(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "to_status NOT IN ('rejected', 'needs_info') OR reason IS NOT NULL",
            name=op.f("ck_seller_application_history_decision_has_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name=op.f("fk_seller_application_history_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"], ["seller_applications.id"],
            name=op.f("fk_seller_application_history_application_id_seller_applications"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_application_history")),
    )
    with op.batch_alter_table("seller_application_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_seller_application_history_application_id"), ["application_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("seller_application_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seller_application_history_application_id"))
    op.drop_table("seller_application_history")
    op.drop_table("seller_gmv_days")
    with op.batch_alter_table("seller_id_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seller_id_documents_number_hmac"))
    op.drop_table("seller_id_documents")
    with op.batch_alter_table("seller_applications", schema=None) as batch_op:
        batch_op.drop_index("ix_seller_applications_queue")
        batch_op.drop_index("ix_seller_applications_market")
        batch_op.drop_index(batch_op.f("ix_seller_applications_ein_hmac"))
    op.drop_table("seller_applications")
    op.drop_table("market_policies")
