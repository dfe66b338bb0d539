"""What a catalogue import reports: one summary (the CLI's last line), one entry per product, one per
row. The same shapes answer the API and are printed by the CLI."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ProductOutcome = Literal["created", "updated", "unchanged", "skipped"]
RowOutcome = Literal["imported", "updated", "unchanged", "skipped"]
ROW_OUTCOME: dict[str, RowOutcome] = {
    "created": "imported",
    "updated": "updated",
    "unchanged": "unchanged",
    "skipped": "skipped",
}


class RowReport(BaseModel):
    row: int = Field(description="Spreadsheet row number: the header is row 1")
    handle: str | None
    sku: str | None = Field(description="The variant's SKU here (given, normalised or derived); null for image rows")
    kind: Literal["variant", "image", "empty", "unreadable"]
    outcome: RowOutcome
    reason: str | None = Field(default=None, description="Why the row was skipped, or what was adapted")


class ProductReport(BaseModel):
    handle: str
    title: str | None
    product_id: int | None = Field(description="Our product id (null when skipped, or created by a dry run)")
    outcome: ProductOutcome
    rows: list[int]
    variants: int = Field(description="Variants in the file for this product")
    changes: list[str] = Field(default_factory=list, description="What an update changed")
    notes: list[str] = Field(default_factory=list, description="What was adapted (the product was imported)")
    reasons: list[str] = Field(default_factory=list, description="Why it was skipped")


class ImportSummary(BaseModel):
    """``created + updated + skipped = products``; ``unchanged`` counts the skipped products that were
    already up to date (a re-import of the same file skips every product as unchanged)."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    import_: Literal["shopify-csv"] = Field(default="shopify-csv", alias="import")
    products: int = Field(description="Products (handles) found in the file")
    variants: int = Field(description="Variant rows found in the file")
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[str] = Field(default_factory=list, description="Rows that could not be read, products refused")
    unchanged: int = 0
    dry_run: bool = False
    format: Literal["current", "legacy", "unknown"] = "unknown"
    rows: int = Field(default=0, description="Data rows read")
    notes: list[str] = Field(default_factory=list, description="File-wide notes (which price columns were used)")


class ImportReport(ImportSummary):
    """The summary plus what happened to every product and every row."""

    results: list[ProductReport] = Field(default_factory=list)
    row_reports: list[RowReport] = Field(default_factory=list)

    def summary(self) -> ImportSummary:
        return ImportSummary.model_validate(self.model_dump(exclude={"results", "row_reports"}))
