"""Live deal API shapes. Validation of single fields happens here; rules across fields in deal_rules."""

from __future__ import annotations

import datetime as dt

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from yellowcart.live.deal_models import DealStatus

SKU = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")


class DealIn(BaseModel):
    """A deal on one of the room's anchored listings. Give ``ends_at`` or ``duration_seconds``."""

    model_config = ConfigDict(extra="forbid")

    sku: str = SKU
    price_cents: int = Field(ge=1, le=100_000_000, description="The deal price; below the normal price")
    quantity: int = Field(ge=1, le=100_000, description="Units set aside for the deal when it starts")
    per_shopper_limit: int | None = Field(default=None, ge=1, le=999, description="Units per shopper; null: no limit")
    starts_at: AwareDatetime | None = Field(
        default=None, description="When the job starts it (while the room is on air); default now"
    )
    ends_at: AwareDatetime | None = None
    duration_seconds: int | None = Field(default=None, ge=10, le=86_400)

    @model_validator(mode="after")
    def _one_end(self) -> DealIn:
        if (self.ends_at is None) == (self.duration_seconds is None):
            raise ValueError("give exactly one of ends_at or duration_seconds")
        return self


class DealOut(BaseModel):
    """A deal with its countdown: ``seconds_left`` (running) or ``starts_in_seconds`` (scheduled),
    both as of ``server_time``."""

    id: int
    room_id: int
    product_id: int
    sku: str
    price_cents: int
    was_cents: int = Field(description="The normal price, shown struck through")
    quantity: int
    remaining: int = Field(description="Units left at the deal price")
    per_shopper_limit: int | None
    status: DealStatus
    starts_at: dt.datetime
    ends_at: dt.datetime
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    end_reason: str | None
    released_units: int | None = Field(description="Units given back to the SKU when it ended")
    starts_in_seconds: int | None
    seconds_left: int | None
    server_time: dt.datetime


class DealList(BaseModel):
    items: list[DealOut]
    server_time: dt.datetime
