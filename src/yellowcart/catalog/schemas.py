"""Catalog API shapes. Field rules live here, at the edge; rules that need the database live in the
service (SKU uniqueness, the seller's default mode, what may be published)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from yellowcart.catalog.models import ProductStatus
from yellowcart.catalog.modes import SellingMode
from yellowcart.fulfillment.schemas import DeliveryQuoteOut

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_PRICE_CENTS = 10_000_000
MAX_VARIANTS = 100
MAX_ID = 2**31 - 1  # ids are 32-bit INTEGER columns on PostgreSQL


def https_only(value: str) -> str:
    """Links we send shoppers to must be https with a host (no javascript:, no plain http)."""
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in value):
        raise ValueError("must be an https:// URL with a host")
    return value


HttpsUrl = Annotated[str, Field(min_length=9, max_length=500), AfterValidator(https_only)]
Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=SKU_PATTERN)]
Slug = Annotated[str, Field(min_length=1, max_length=60, pattern=SLUG_PATTERN)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
CategoryRef = Annotated[Id | Slug, Field(description="A category id or slug", examples=["skin-care", 12])]
OptionKey = Annotated[str, Field(min_length=1, max_length=40)]
OptionValue = Annotated[str, Field(min_length=1, max_length=100)]
PriceCents = Annotated[int, Field(ge=0, le=MAX_PRICE_CENTS)]
WeightGrams = Annotated[int, Field(ge=0, le=100_000)]


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may be omitted but not null")
    return value


def _compare_at_not_below(value: int | None, info: ValidationInfo) -> int | None:
    """A "was" price below the price would advertise a fake discount."""
    price = info.data.get("price_cents")
    if value is not None and price is not None and value < price:
        raise ValueError(f"must be null or at least price_cents ({price})")
    return value


# ---- categories ---------------------------------------------------------------------------------


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    name: str = Field(min_length=1, max_length=120)
    parent: CategoryRef | None = None


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    name: str
    parent_id: int | None
    path: str = Field(description="Materialised path of slugs, e.g. 'beauty/skin-care/'")


class CategoryRefOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    name: str
    path: str


# ---- products -----------------------------------------------------------------------------------


def media_location(value: str) -> str:
    """Media live on an https host or in the platform's own static store (``/static/...``)."""
    if value.startswith("/static/") and ".." not in value:
        return value
    return https_only(value)


MediaUrl = Annotated[str, Field(min_length=9, max_length=500), AfterValidator(media_location)]


class Media(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["image", "video"]
    url: MediaUrl
    alt: str | None = Field(default=None, max_length=200, description="Text alternative for screen readers")


class MediaOut(BaseModel):
    """Media as stored; read leniently so an old row never turns a listing into a 500."""

    type: str
    url: str
    alt: str | None = None


class VariantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    options: dict[OptionKey, OptionValue] = Field(default_factory=dict, max_length=5)
    price_cents: PriceCents
    compare_at_cents: PriceCents | None = None
    weight_grams: WeightGrams = 0

    @field_validator("compare_at_cents")
    @classmethod
    def _compare_at(cls, value: int | None, info: ValidationInfo) -> int | None:
        return _compare_at_not_below(value, info)


class VariantPut(BaseModel):
    """Create or replace a variant's commercial fields; omitted options/weight/is_active are kept."""

    model_config = ConfigDict(extra="forbid")

    price_cents: PriceCents
    compare_at_cents: PriceCents | None = None
    options: dict[OptionKey, OptionValue] | None = Field(default=None, max_length=5)
    weight_grams: WeightGrams | None = None
    is_active: bool | None = None

    @field_validator("compare_at_cents")
    @classmethod
    def _compare_at(cls, value: int | None, info: ValidationInfo) -> int | None:
        return _compare_at_not_below(value, info)


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seller_id: Id | None = Field(default=None, description="Operators only; sellers create for their own account")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000)
    brand: str | None = Field(default=None, min_length=1, max_length=120)
    category: CategoryRef
    selling_mode: SellingMode | None = Field(default=None, description="Default: the seller's default mode")
    redirect_url: HttpsUrl | None = Field(default=None, description="Required iff selling_mode is redirect")
    media: list[Media] = Field(default_factory=list, max_length=20)
    status: Literal[ProductStatus.DRAFT, ProductStatus.ACTIVE] = ProductStatus.DRAFT
    variants: list[VariantIn] = Field(default_factory=list, max_length=MAX_VARIANTS)

    @field_validator("variants")
    @classmethod
    def _skus_unique(cls, value: list[VariantIn]) -> list[VariantIn]:
        counts = Counter(v.sku for v in value)
        repeated = sorted(sku for sku, n in counts.items() if n > 1)
        if repeated:
            raise ValueError(f"SKUs repeated in the request: {', '.join(repeated)}")
        return value


class ProductPatch(BaseModel):
    """Only the fields sent change; brand and redirect_url may be sent as null to clear them."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=20_000)
    brand: str | None = Field(default=None, min_length=1, max_length=120)
    category: CategoryRef | None = None
    status: ProductStatus | None = None
    selling_mode: SellingMode | None = None
    redirect_url: HttpsUrl | None = None
    media: list[Media] | None = Field(default=None, max_length=20)

    @field_validator("title", "description", "category", "status", "selling_mode", "media", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        return _not_null(value)


class VariantOut(BaseModel):
    sku: str
    options: dict[str, str]
    price_cents: int
    compare_at_cents: int | None
    weight_grams: int
    is_active: bool
    available: int = Field(description="Units available to sell, summed over active warehouses")


class SellerRefOut(BaseModel):
    id: int
    name: str


class ProductOut(BaseModel):
    id: int
    title: str
    description: str
    brand: str | None
    status: ProductStatus
    selling_mode: SellingMode
    redirect_url: str | None = Field(
        description="The seller's store page of a redirect listing, shown to its seller and operators only"
    )
    redirect_click: str | None = Field(
        default=None,
        description="Redirect listings: POST here for the tracked link to the seller's store (null once the "
        "market's redirect cutover has passed, and for in-app listings)",
    )
    media: list[MediaOut]
    category: CategoryRefOut
    seller: SellerRefOut
    variants: list[VariantOut]
    created_at: dt.datetime
    updated_at: dt.datetime
    delivery_promise: DeliveryQuoteOut | None = Field(
        default=None, description="With ?zip=: the fastest one-unit delivery promise over the variants"
    )


class ProductPage(BaseModel):
    items: list[ProductOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null on the last page")
