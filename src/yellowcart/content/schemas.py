"""Content API shapes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from yellowcart.content.models import ContentKind, ContentStatus, LiveState
from yellowcart.db import MAX_ID

Hashtag = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[\w]+$")]
ProductRef = Annotated[int, Field(ge=1, le=MAX_ID)]


class ContentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ContentKind = ContentKind.VIDEO
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    hashtags: list[Hashtag] = Field(default_factory=list, max_length=30)
    duration_s: int | None = Field(default=None, ge=1, le=36000, description="Videos: length in seconds")
    poster_ref: str | None = Field(default=None, max_length=500, pattern=r"^(https://|/static/)")
    product_ids: list[ProductRef] = Field(default_factory=list, max_length=20, description="Anchored listings")
    status: ContentStatus = ContentStatus.DRAFT
    scheduled_at: AwareDatetime | None = Field(
        default=None, description="Live rooms: when the stream starts (a UTC offset is required)"
    )


class ContentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    hashtags: list[Hashtag] | None = Field(default=None, max_length=30)
    status: ContentStatus | None = None
    product_ids: list[ProductRef] | None = Field(default=None, max_length=20)
    live_state: LiveState | None = Field(
        default=None, description="Live rooms: scheduled -> live (goes on air, published) -> ended; never back"
    )
    pinned_product_id: ProductRef | None = Field(
        default=None, description="Live rooms on air: the one anchored listing pinned now (null unpins)"
    )


class AnchorOut(BaseModel):
    product_id: int
    position: int


class ContentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: ContentKind
    owner_user_id: int
    seller_id: int | None
    title: str
    description: str
    hashtags: list[str]
    duration_s: int | None
    poster_ref: str | None
    status: ContentStatus
    live_state: LiveState | None
    pinned_product_id: int | None
    scheduled_at: dt.datetime | None
    published_at: dt.datetime | None
    anchors: list[AnchorOut]
