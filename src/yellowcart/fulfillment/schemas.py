"""Fulfilment API shapes: the delivery promise and warehouse network settings."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator

from yellowcart.fulfillment.promise import Promise, PromiseLevel
from yellowcart.fulfillment.transit import SERVICES

ZIP_PATTERN = r"^\d{5}$"
CUTOFF_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"


class PromiseOut(BaseModel):
    level: PromiseLevel = Field(description="same_day, next_day, two_day or standard (business days from today)")
    delivery_date: dt.date = Field(description="Delivered on or before this date")
    ship_date: dt.date = Field(description="Handed to the carrier on this date")
    order_by: dt.datetime = Field(description="Order before this instant (the warehouse's cut-off) to keep it")
    warehouse_id: int
    warehouse_code: str
    service: str = Field(description="Carrier service level: same_day, next_day, two_day or ground")
    carriers: str = Field(description="Carrier services this level stands for")
    transit_days: int = Field(description="Business days in transit (the transit model's estimate)")
    miles: float = Field(description="Great-circle distance warehouse to destination ZIP")

    @classmethod
    def of(cls, promise: Promise) -> PromiseOut:
        return cls(
            level=promise.level,
            delivery_date=promise.delivery_date,
            ship_date=promise.ship_date,
            order_by=promise.order_by,
            warehouse_id=promise.warehouse_id,
            warehouse_code=promise.warehouse_code,
            service=promise.service,
            carriers=SERVICES[promise.service].carriers,
            transit_days=promise.transit_days,
            miles=promise.miles,
        )


class DeliveryQuoteOut(BaseModel):
    zip: str
    promise: PromiseOut | None
    reason: str | None = Field(
        description="Why there is no promise: redirect_listing, out_of_stock or no_service; null with a promise"
    )


class DeliveryPromiseOut(DeliveryQuoteOut):
    sku: str
    qty: int


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


class WarehouseNetworkPatch(BaseModel):
    """Network settings of a warehouse; only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    timezone: str | None = Field(default=None, max_length=64, description="IANA zone, e.g. America/Chicago")
    cutoff_local: str | None = Field(default=None, pattern=CUTOFF_PATTERN, description="HH:MM, warehouse local time")
    handling_days: int | None = Field(default=None, ge=0, le=7, description="Business days from pick to carrier")
    daily_capacity: int | None = Field(default=None, ge=0, le=10_000_000, description="Orders per day; null: no limit")
    services: list[str] | None = Field(default=None, min_length=1, max_length=len(SERVICES))

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        if value is not None and value not in _zones():
            raise ValueError(f"'{value}' is not an IANA time zone")
        return value

    @field_validator("services")
    @classmethod
    def _services(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        unknown = [s for s in value if s not in SERVICES]
        if unknown:
            raise ValueError(f"unknown services {unknown}; choose from {sorted(SERVICES)}")
        if len(set(value)) != len(value):
            raise ValueError("services must not repeat")
        return value
