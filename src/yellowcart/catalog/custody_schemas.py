"""Price check API shapes: supply offers, the operator's decisions, the seller's answer."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from yellowcart.catalog.custody_models import DecisionAction, OfferStatus
from yellowcart.catalog.schemas import MAX_PRICE_CENTS, Sku


class SupplyOfferIn(BaseModel):
    """A supply price for one full-custody SKU (a live offer for it is superseded)."""

    model_config = ConfigDict(extra="forbid")

    sku: Sku
    supply_price_cents: int = Field(ge=1, le=MAX_PRICE_CENTS, description="What the seller is owed per unit sold")
    samples: int = Field(default=0, ge=0, le=10_000, description="Units sent for the quality check")
    note: str | None = Field(default=None, min_length=1, max_length=500)


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    price_cents: int = Field(ge=1, le=MAX_PRICE_CENTS, description="Retail price; at least the supply price")
    override_margin: bool = Field(default=False, description="Accept below the minimum margin (needs a reason)")
    reason: str | None = Field(default=None, min_length=1, max_length=500)


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class CounterIn(BaseModel):
    """Another supply price, with the retail price the platform would set on it."""

    model_config = ConfigDict(extra="forbid")

    supply_price_cents: int = Field(ge=1, le=MAX_PRICE_CENTS)
    price_cents: int = Field(ge=1, le=MAX_PRICE_CENTS)
    override_margin: bool = False
    reason: str | None = Field(default=None, min_length=1, max_length=500)


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, min_length=1, max_length=500)


class DecisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: DecisionAction
    actor_user_id: int | None
    actor_role: str
    supply_price_cents: int | None
    price_cents: int | None
    margin_bps: int | None = Field(description="(retail - supply) / retail in basis points")
    margin_override: bool
    reason: str | None
    created_at: dt.datetime


class SupplyOfferOut(BaseModel):
    id: int
    sku: str
    variant_id: int
    product_id: int
    seller_id: int
    status: OfferStatus
    supply_price_cents: int = Field(description="What the seller offered")
    samples: int
    note: str | None
    counter_supply_cents: int | None = Field(description="The operator's counter-offer, if any")
    price_cents: int | None = Field(description="Retail price: set on acceptance, proposed with a counter-offer")
    accepted_supply_cents: int | None = Field(description="The supply price in force once accepted")
    min_price_cents: int | None = Field(
        description="While open: the lowest retail price meeting the minimum margin without an override"
    )
    created_at: dt.datetime
    decided_at: dt.datetime | None
    decisions: list[DecisionOut] = Field(description="History, oldest first (detail view only; [] in lists)")


class SupplyOfferPage(BaseModel):
    items: list[SupplyOfferOut]
    next_cursor: str | None
