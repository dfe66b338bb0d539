"""API shapes for inbound consignments, receiving, purchase orders and removals."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from yellowcart.catalog.schemas import MAX_ID, Sku
from yellowcart.inventory.custody_models import ConsignmentStatus, PurchaseOrderStatus, RemovalStatus, StockReceipt
from yellowcart.inventory.custody_rules import Count
from yellowcart.inventory.receiving import MAX_LINES, MAX_UNITS, DocumentLine

CarrierName = Annotated[
    str, Field(min_length=2, max_length=64, description="ups, usps, fedex, dhl_express, dhl_ecommerce, or free text")
]
TrackingNumber = Annotated[str, Field(min_length=1, max_length=64)]
Text = Annotated[str, Field(min_length=1, max_length=500)]


def _distinct(skus: list[str]) -> None:
    if len(set(skus)) != len(skus):
        raise ValueError("each SKU appears on one line only")


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    quantity: int = Field(ge=1, le=MAX_UNITS)


class ConsignmentIn(BaseModel):
    """An advance shipping notice: which full-custody SKUs go to which platform warehouse, and when."""

    model_config = ConfigDict(extra="forbid")

    warehouse_id: int = Field(ge=1, le=MAX_ID, description="A platform warehouse")
    expected_arrival: dt.date
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)
    seller_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="Operators: for whom (default: the SKUs' seller)"
    )
    carrier: CarrierName | None = None
    tracking_number: TrackingNumber | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _skus(self) -> Self:
        _distinct([line.sku for line in self.lines])
        return self


class ShipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    carrier: CarrierName | None = None
    tracking_number: TrackingNumber | None = None


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text | None = None


class RequiredReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


class CountIn(BaseModel):
    """One line's count: received + damaged + short = expected, or declare an over-receipt."""

    model_config = ConfigDict(extra="forbid")

    sku: Sku
    received: int = Field(ge=0, le=MAX_UNITS, description="Good units: they become sellable")
    damaged: int = Field(default=0, ge=0, le=MAX_UNITS)
    short: int = Field(default=0, ge=0, le=MAX_UNITS, description="Expected units that did not arrive")
    over_receipt: bool = Field(default=False, description="More arrived than expected: record the surplus")

    def count(self) -> Count:
        return Count(received=self.received, damaged=self.damaged, short=self.short, over_receipt=self.over_receipt)


class ReceiptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[CountIn] = Field(min_length=1, max_length=MAX_LINES)

    @model_validator(mode="after")
    def _skus(self) -> Self:
        _distinct([line.sku for line in self.lines])
        return self

    def counts(self) -> dict[str, Count]:
        return {line.sku: line.count() for line in self.lines}


class LineOut(BaseModel):
    sku: str
    variant_id: int
    expected: int
    received: int | None = Field(description="Null until the line is counted")
    damaged: int | None
    short: int | None
    surplus: int | None
    received_at: dt.datetime | None

    @classmethod
    def of(cls, line: DocumentLine, receipt: StockReceipt | None) -> LineOut:
        return cls(
            sku=line.sku,
            variant_id=line.variant_id,
            expected=line.expected,
            received=receipt.received if receipt else None,
            damaged=receipt.damaged if receipt else None,
            short=receipt.short if receipt else None,
            surplus=receipt.surplus if receipt else None,
            received_at=receipt.received_at if receipt else None,
        )


class ConsignmentOut(BaseModel):
    id: int
    seller_id: int
    warehouse_id: int
    status: ConsignmentStatus
    expected_arrival: dt.date
    carrier: str | None
    tracking_number: str | None
    note: str | None
    cancel_reason: str | None
    created_at: dt.datetime
    shipped_at: dt.datetime | None
    receiving_at: dt.datetime | None
    closed_at: dt.datetime | None
    lines: list[LineOut]


class ConsignmentPage(BaseModel):
    items: list[ConsignmentOut]
    next_cursor: str | None


class PurchaseLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    quantity: int = Field(ge=1, le=MAX_UNITS)
    unit_cost_cents: int = Field(ge=0, le=10_000_000)


class PurchaseOrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    supplier_name: str = Field(min_length=1, max_length=200)
    supplier_contact: str | None = Field(default=None, min_length=1, max_length=200)
    warehouse_id: int = Field(ge=1, le=MAX_ID, description="A platform warehouse")
    expected_arrival: dt.date | None = None
    lines: list[PurchaseLineIn] = Field(min_length=1, max_length=MAX_LINES)
    note: Text | None = None

    @model_validator(mode="after")
    def _skus(self) -> Self:
        _distinct([line.sku for line in self.lines])
        return self


class PurchaseLineOut(LineOut):
    unit_cost_cents: int


class PurchaseOrderOut(BaseModel):
    id: int
    supplier_name: str
    supplier_contact: str | None
    warehouse_id: int
    status: PurchaseOrderStatus
    expected_arrival: dt.date | None
    note: str | None
    cancel_reason: str | None
    created_at: dt.datetime
    ordered_at: dt.datetime | None
    receiving_at: dt.datetime | None
    closed_at: dt.datetime | None
    total_cost_cents: int = Field(description="Sum of quantity x unit cost over the lines ordered")
    lines: list[PurchaseLineOut]


class PurchaseOrderPage(BaseModel):
    items: list[PurchaseOrderOut]
    next_cursor: str | None


class RemovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    warehouse_id: int = Field(ge=1, le=MAX_ID)
    quantity: int = Field(ge=1, le=MAX_UNITS)
    note: Text | None = None


class RemovalShipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    carrier: CarrierName
    tracking_number: TrackingNumber | None = None


class RemovalOut(BaseModel):
    id: int
    sku: str
    variant_id: int
    seller_id: int
    warehouse_id: int
    quantity: int
    status: RemovalStatus
    note: str | None
    decision_reason: str | None
    carrier: str | None
    tracking_number: str | None
    created_at: dt.datetime
    approved_at: dt.datetime | None
    shipped_at: dt.datetime | None
    closed_at: dt.datetime | None


class RemovalPage(BaseModel):
    items: list[RemovalOut]
    next_cursor: str | None
