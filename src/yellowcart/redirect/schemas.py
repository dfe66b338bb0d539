"""Redirect API shapes. The store's webhook secret comes in (as a SecretStr, so it never shows in a
repr or a log) and never goes out."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SecretStr

from yellowcart.catalog.mode_api import ModeChangeOut, ModeDataIn
from yellowcart.catalog.models import ProductStatus
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import MAX_ID
from yellowcart.redirect.models import ClickMedium, ConversionStatus, CutoverStatus

# ---- clicks -------------------------------------------------------------------------------------------


class ClickIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="The video or live room tapped in")
    source: Literal[ClickMedium.FEED, ClickMedium.PRODUCT_PAGE] = Field(
        default=ClickMedium.PRODUCT_PAGE, description="Where the tap was, without content (utm_medium)"
    )


class ClickOut(BaseModel):
    click_id: str
    url: str = Field(description="Open this: the tracked redirect to the seller's store")
    medium: ClickMedium
    created_at: dt.datetime


# ---- store connections ------------------------------------------------------------------------------


class StoreConnectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: Literal["shopify"] = "shopify"
    shop_domain: str = Field(min_length=3, max_length=255, examples=["acme.myshopify.com"])
    webhook_secret: SecretStr = Field(description="The store's webhook signing secret (write-only)")


class StoreConnectionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    webhook_secret: SecretStr | None = Field(default=None, description="Rotate the signing secret (write-only)")
    is_active: bool | None = None


class StoreConnectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    seller_id: int
    platform: str
    shop_domain: str
    is_active: bool
    webhook_path: str = Field(description="Point the store's orders/create, orders/cancelled, refunds/create here")
    created_at: dt.datetime


class WebhookAck(BaseModel):
    outcome: str
    conversion_id: int | None = None


# ---- conversions ------------------------------------------------------------------------------------


class ConversionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    seller_id: int
    shop_order_id: str
    click_id: str | None
    product_id: int | None
    content_id: int | None
    creator_user_id: int | None
    status: ConversionStatus
    reason: str | None
    currency: str
    gmv_cents: int
    commission_rate_bps: int
    commission_cents: int
    reversed_cents: int
    refunded_gmv_cents: int
    ordered_at: dt.datetime
    created_at: dt.datetime


class ConversionPage(BaseModel):
    items: list[ConversionOut]
    next_cursor: str | None


# ---- cutover ------------------------------------------------------------------------------------------


class CutoverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cutover_at: AwareDatetime = Field(description="The instant redirect links end (UTC offset required)")
    note: str = Field(default="", max_length=300)


class CutoverOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    market: str
    cutover_at: dt.datetime
    status: CutoverStatus
    note: str
    updated_by: int
    updated_at: dt.datetime


class CountdownOut(BaseModel):
    seconds_left: int
    days: int
    hours: int
    minutes: int
    passed: bool


class VariantNeedOut(BaseModel):
    sku: str
    price_cents: int


class ListingToMigrateOut(BaseModel):
    product_id: int
    title: str
    status: ProductStatus
    variants: list[VariantNeedOut] = Field(description="Active SKUs: each needs stock or a supply price")
    migrate_path: str


class WarehouseRefOut(BaseModel):
    id: int
    code: str
    name: str


class SellerCutoverOut(BaseModel):
    seller_id: int
    market: str
    cutover_at: dt.datetime | None = Field(description="Null: no cutover scheduled in the market")
    countdown: CountdownOut | None
    listings: list[ListingToMigrateOut]
    warehouses: list[WarehouseRefOut] = Field(description="Your warehouses, for a seller_fulfilled migration")
    needs: dict[str, list[str]] = Field(description="What each migration target asks for")


class MigrateIn(ModeDataIn):
    target: Literal[SellingMode.SELLER_FULFILLED, SellingMode.FULL_CUSTODY]


class MigrateOut(BaseModel):
    change: ModeChangeOut
    selling_mode: SellingMode
    status: ProductStatus


class SellerMigrationOut(BaseModel):
    seller_id: int
    seller_name: str
    market: str
    listings_total: int
    migrated: int
    remaining: int
    last_migration_at: dt.datetime | None
    status: Literal["not_started", "in_progress", "done"]


class MigrationReportOut(BaseModel):
    market: str | None
    cutover_at: dt.datetime | None
    sellers: list[SellerMigrationOut]
