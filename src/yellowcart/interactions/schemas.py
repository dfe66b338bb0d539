"""Event API shapes. The batch is parsed row by row so one bad row never costs the good ones."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from yellowcart.db import MAX_ID
from yellowcart.interactions.models import SERVER_ONLY, EventType

Id = Field(default=None, ge=1, le=MAX_ID)


class EventIn(BaseModel):
    """One interaction as a client reports it."""

    model_config = ConfigDict(extra="forbid")

    client_event_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:\-]+$")
    type: EventType
    occurred_at: AwareDatetime = Field(description="Client clock, UTC offset required")
    content_id: int | None = Id
    product_id: int | None = Id
    target_user_id: int | None = Id
    watch_ms: int | None = Field(default=None, ge=0, le=86_400_000)
    completion: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _coherent(self) -> EventIn:
        if self.type in SERVER_ONLY:
            raise ValueError(f"'{self.type.value}' events are recorded by the server, not sent by clients")
        if self.type is EventType.FOLLOW and self.target_user_id is None:
            raise ValueError("a follow needs target_user_id")
        if self.type is not EventType.FOLLOW and self.content_id is None and self.product_id is None:
            raise ValueError("an event needs content_id or product_id")
        if self.type is EventType.VIEW and self.watch_ms is None:
            raise ValueError("a view needs watch_ms")
        return self


class EventBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[Any] = Field(min_length=1, max_length=1000, description="Up to 1,000 events (objects)")


class RowError(BaseModel):
    index: int
    client_event_id: str | None
    errors: list[dict[str, str]]


class EventBatchOut(BaseModel):
    accepted: int = Field(description="New events stored")
    duplicates: int = Field(description="Already stored earlier (same client_event_id): ignored")
    rejected: list[RowError]
    received_at: dt.datetime
