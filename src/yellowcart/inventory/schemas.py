"""Inventory API shapes: warehouses and per-warehouse stock of a SKU."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from yellowcart.catalog.modes import SellingMode
from yellowcart.catalog.schemas import MAX_ID
from yellowcart.geo import US_STATES
from yellowcart.inventory.models import WarehouseOperator


class WarehouseIn(BaseModel):
    """A US warehouse. ``operator`` defaults to seller for sellers; for operators, to platform unless
    ``seller_id`` is given."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    name: str = Field(min_length=1, max_length=120)
    operator: WarehouseOperator | None = None
    seller_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    line1: str = Field(min_length=1, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    state: str = Field(min_length=2, max_length=2, description="USPS two-letter state code")
    zip: str = Field(pattern=r"^\d{5}$", description="5-digit ZIP; must exist and lie in state")

    @field_validator("state")
    @classmethod
    def _state(cls, value: str) -> str:
        value = value.upper()
        if value not in US_STATES:
            raise ValueError(f"'{value}' is not a US state code")
        return value


class WarehouseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    operator: WarehouseOperator
    seller_id: int | None
    line1: str
    city: str
    state: str
    zip: str
    is_active: bool
    timezone: str | None = Field(description="IANA zone of the cut-off; null: the ZIP's own")
    latitude: float | None
    longitude: float | None
    cutoff_minutes: int = Field(exclude=True)
    handling_days: int = Field(description="Business days from pick to hand-over to the carrier")
    daily_capacity: int | None = Field(description="Orders per day; null: not limited")
    services: list[str] = Field(description="Carrier service levels offered: ground, two_day, next_day, same_day")

    @computed_field(description="Order cut-off, HH:MM warehouse local time")  # type: ignore[prop-decorator]
    @property
    def cutoff_local(self) -> str:
        return f"{self.cutoff_minutes // 60:02d}:{self.cutoff_minutes % 60:02d}"


class WarehousePage(BaseModel):
    items: list[WarehouseOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null on the last page")


class OnHandIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on_hand: int = Field(ge=0, le=10_000_000, description="Counted units in this warehouse")


class WarehouseStockOut(BaseModel):
    warehouse_id: int
    warehouse_code: str
    operator: WarehouseOperator
    warehouse_active: bool
    on_hand: int
    reserved: int
    available: int


class SkuStockOut(BaseModel):
    sku: str
    product_id: int
    selling_mode: SellingMode
    on_hand: int
    reserved: int
    available: int = Field(description="Sum over active warehouses, as checkout sees it")
    warehouses: list[WarehouseStockOut]
