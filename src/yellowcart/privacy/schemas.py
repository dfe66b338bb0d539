"""Privacy API shapes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from yellowcart.db import MAX_ID
from yellowcart.privacy.models import Channel, Reauth, RequestKind, RequestStatus


class ExportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: RequestStatus
    requested_at: dt.datetime
    expires_at: dt.datetime | None
    size_bytes: int | None
    sha256: str | None = Field(description="SHA-256 of the JSON document, to check a download")
    summary: dict[str, Any] = Field(description="Rows exported per section")
    download_url: str = ""


class ExportList(BaseModel):
    items: list[ExportOut]


class DeletionIn(BaseModel):
    """Re-authentication: the current password, or (without one) a token from a login in the last minutes."""

    model_config = ConfigDict(extra="forbid")

    password: str | None = Field(default=None, min_length=1, max_length=200)


class OperatorDeletionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: int = Field(ge=1, le=MAX_ID)
    note: str | None = Field(default=None, max_length=300, description="Where the request came from (a ticket)")


class RequestOut(BaseModel):
    """A privacy request as operators see it (and a deletion's tombstone): ids and counts, no personal data."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: RequestKind
    user_id: int
    requested_by: int
    channel: Channel
    status: RequestStatus
    reauth: Reauth | None
    requested_at: dt.datetime
    completed_at: dt.datetime | None
    expires_at: dt.datetime | None
    size_bytes: int | None
    note: str | None
    summary: dict[str, Any] = Field(description="Exports: rows per section. Deletions: {table: {action: rows}}")


class RequestPage(BaseModel):
    items: list[RequestOut]
    next_cursor: str | None
