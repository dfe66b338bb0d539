"""Feed API shapes: a card is a product, shown through the content that tags it when there is some."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from yellowcart.fulfillment.schemas import DeliveryQuoteOut
from yellowcart.promotions.schemas import ProductPromotionsOut


class ProductCard(BaseModel):
    id: int
    title: str
    price_cents: int = Field(description="Lowest active variant price")
    compare_at_cents: int | None
    currency: str = "USD"
    seller_id: int
    seller_name: str
    selling_mode: str
    image: str | None
    redirect_click: str | None = Field(
        default=None,
        description="Redirect listings: POST here (with the content_id tapped in) for the tracked link to the "
        "seller's store; null for in-app listings and once the market's redirect cutover has passed",
    )
    stock_state: Literal["in_stock", "low_stock", "seller_store"] = Field(
        description="As of this page: in stock, only a few units left (<= 5), or sold on the seller's own store"
    )
    delivery_promise: DeliveryQuoteOut | None = Field(
        default=None,
        description="With ?zip=: the fastest promise for one unit of the cheapest active variant, or a null "
        "promise with the reason (redirect_listing, out_of_stock, no_service); absent without a ZIP",
    )


class ContentCard(BaseModel):
    id: int
    kind: str
    title: str
    poster_ref: str | None
    duration_s: int | None
    owner_user_id: int


class Why(BaseModel):
    """Why this card is here (debugging and trust): the blended score and each source's part."""

    score: float
    sources: dict[str, float]


class FeedItem(BaseModel):
    kind: str = Field(description="video, live or product")
    product: ProductCard
    content: ContentCard | None
    why: Why
    promotion: ProductPromotionsOut | None = Field(
        default=None,
        description="The listing's running promotions for the caller (sale price of its cheapest variant, flash "
        "deal, bundle and free-shipping badges, claimable coupons); null when there is none",
    )


class FeedPage(BaseModel):
    items: list[FeedItem]
    next_cursor: str | None
