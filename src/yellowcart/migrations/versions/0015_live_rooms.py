"""live rooms: viewers, room state, recap

Revision ID: 0015_live_rooms
Revises: 0014_live_deals
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yellowcart.db

revision: str = "0015_live_rooms"
down_revision: str | None = "0014_live_deals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, yellowcart.db.UTCDateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "live_room_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("session_key", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        _when("joined_at"),
        _when("last_seen_at"),
        _when("left_at", nullable=True),
        sa.CheckConstraint("last_seen_at >= joined_at", name=op.f("ck_live_room_visits_seen_after_join")),
        sa.CheckConstraint("left_at IS NULL OR left_at >= joined_at", name=op.f("ck_live_room_visits_left_after_join")),
        sa.ForeignKeyConstraint(
            ["content_id"], ["content.id"], name=op.f("fk_live_room_visits_content_id_content"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_live_room_visits_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_room_visits")),
    )
    # One open visit per (room, session): a double join refreshes instead of counting twice.
    op.create_index(
        "uq_live_room_visits_open",
        "live_room_visits",
        ["content_id", "session_key"],
        unique=True,
        sqlite_where=sa.text("left_at IS NULL"),
        postgresql_where=sa.text("left_at IS NULL"),
    )
    op.create_index("ix_live_room_visits_open_seen", "live_room_visits", ["left_at", "last_seen_at"])
    op.create_index("ix_live_room_visits_room_joined", "live_room_visits", ["content_id", "joined_at"])
    op.create_table(
        "live_room_runs",
        sa.Column("content_id", sa.Integer(), nullable=False),
        _when("started_at"),
        _when("ended_at", nullable=True),
        sa.CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name=op.f("ck_live_room_runs_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["content_id"], ["content.id"], name=op.f("fk_live_room_runs_content_id_content"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("content_id", name=op.f("pk_live_room_runs")),
    )


def downgrade() -> None:
    op.drop_table("live_room_runs")
    op.drop_index("ix_live_room_visits_room_joined", table_name="live_room_visits")
    op.drop_index("ix_live_room_visits_open_seen", table_name="live_room_visits")
    op.drop_index("uq_live_room_visits_open", table_name="live_room_visits")
    op.drop_table("live_room_visits")
