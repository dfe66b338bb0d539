"""Live rooms' own tables: who watched when (visits) and when each room was on air (runs).

The room itself is a ``content`` row (kind live); content owns it. These rows are derived from
viewers' requests and from content's ``content.live_changed`` events.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from yellowcart.db import Base, UTCDateTime, utcnow


class RoomVisit(Base):
    """One viewer session's stay in a room, from join to leave (or to its last heartbeat).

    A session is a random key a client keeps per tab. At most one *open* visit per (room, session):
    the partial unique index makes a double join (a retry, two processes) refresh instead of count
    twice. A visit whose heartbeats stopped is not counted after the timeout and is closed by the
    sweep at its last heartbeat, so viewers over time stay right for tabs that were just closed.
    """

    __tablename__ = "live_room_visits"
    __table_args__ = (
        CheckConstraint("last_seen_at >= joined_at", name="seen_after_join"),
        CheckConstraint("left_at IS NULL OR left_at >= joined_at", name="left_after_join"),
        Index(
            "uq_live_room_visits_open",
            "content_id",
            "session_key",
            unique=True,
            sqlite_where=text("left_at IS NULL"),
            postgresql_where=text("left_at IS NULL"),
        ),
        Index("ix_live_room_visits_open_seen", "left_at", "last_seen_at"),  # the timeout sweep
        Index("ix_live_room_visits_room_joined", "content_id", "joined_at"),  # the recap
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("content.id", ondelete="CASCADE"))
    session_key: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # null: a signed-out viewer
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    left_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class RoomRun(Base):
    """When a room went on air and when it ended (content keeps only the current state)."""

    __tablename__ = "live_room_runs"
    __table_args__ = (CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),)

    content_id: Mapped[int] = mapped_column(ForeignKey("content.id", ondelete="CASCADE"), primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
