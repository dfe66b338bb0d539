"""Privacy requests: a user's exports of everything held about them, and deletions (the tombstone).

A deletion row is the tombstone: it names the (now pseudonymous) user id, when and through which
channel the erasure ran and, per registry section, how many rows were erased, deleted or kept. It
never holds personal data itself. An export keeps its document (gzip-compressed JSON) in a side
table until it expires, so listing requests never reads the documents.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from yellowcart.db import Base, UTCDateTime, str_enum, utcnow


class RequestKind(enum.StrEnum):
    EXPORT = "export"
    DELETION = "deletion"


class RequestStatus(enum.StrEnum):
    READY = "ready"  # an export that can be downloaded
    EXPIRED = "expired"  # an export whose document was purged
    COMPLETED = "completed"  # a deletion that ran


class Channel(enum.StrEnum):
    SELF = "self"  # the user, through the API
    OPERATOR = "operator"  # an operator, for a request received elsewhere (e-mail, phone, letter)


class Reauth(enum.StrEnum):
    PASSWORD = "password"
    FRESH_TOKEN = "fresh_token"
    OPERATOR = "operator"


def _known(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class PrivacyRequest(Base):
    __tablename__ = "privacy_requests"
    __table_args__ = (
        CheckConstraint(_known("kind", RequestKind), name="kind_known"),
        CheckConstraint(_known("status", RequestStatus), name="status_known"),
        CheckConstraint(_known("channel", Channel), name="channel_known"),
        CheckConstraint("reauth IS NULL OR " + _known("reauth", Reauth), name="reauth_known"),
        CheckConstraint("kind = 'deletion' OR expires_at IS NOT NULL", name="export_expires"),
        CheckConstraint("kind = 'export' OR (status = 'completed' AND reauth IS NOT NULL)", name="deletion_complete"),
        # One deletion per user: a repeated request finds the tombstone instead of erasing twice.
        Index(
            "uq_privacy_requests_one_deletion",
            "user_id",
            unique=True,
            sqlite_where=text("kind = 'deletion'"),
            postgresql_where=text("kind = 'deletion'"),
        ),
        Index("ix_privacy_requests_user", "user_id", "id"),
        Index("ix_privacy_requests_kind", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RequestKind] = mapped_column(str_enum(RequestKind, 16))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))  # the user, or the operator
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 16))
    status: Mapped[RequestStatus] = mapped_column(str_enum(RequestStatus, 16))
    reauth: Mapped[Reauth | None] = mapped_column(str_enum(Reauth, 16))  # deletions: how the caller proved it
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # exports: the document's end
    # Per registry section: rows exported (exports) or {table: {action: rows}} (deletions). Counts only.
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    size_bytes: Mapped[int | None]  # exports: the JSON document's size
    sha256: Mapped[str | None] = mapped_column(String(64))  # exports: the JSON document's digest
    note: Mapped[str | None] = mapped_column(String(300))  # operators: the ticket it came from


class ExportDocument(Base):
    """The export itself, gzip-compressed JSON; deleted when the export expires or the user is erased."""

    __tablename__ = "privacy_export_documents"

    request_id: Mapped[int] = mapped_column(ForeignKey("privacy_requests.id", ondelete="CASCADE"), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
