"""interaction events: a covering index on (type, occurred_at, product_id, content_id)

Revision ID: 0023_interaction_type_index
Revises: 0022_privacy
Create Date: 2026-11-25

Seller and platform analytics count impressions in a window on every dashboard; on the demo market
(309k events) the count went from ~175 ms to ~35 ms on SQLite with this index.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023_interaction_type_index"
down_revision: str | None = "0022_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_interaction_events_type_time", "interaction_events", ["type", "occurred_at", "product_id", "content_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_interaction_events_type_time", table_name="interaction_events")
