"""Stock coming into and leaving platform warehouses outside orders: a seller's inbound consignments
(ASNs) of full-custody stock, the platform's purchase orders for its own listings, what receiving
counted (one ``stock_receipts`` row per document line, shared by both), and removals of unsold
consigned stock back to the seller.

Who owns consigned units: the variant's product seller. A SKU belongs to one product and so to one
seller, and stock rows are unique per (warehouse, variant), so a platform warehouse's stock of a
full-custody SKU is that seller's consignment and a platform-owned SKU's is the platform's; no owner
column is needed on ``stock`` (and none could disagree with the catalog). Receipts and removals keep
``seller_id``/document ids for the audit trail.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yellowcart.db import Base, UTCDateTime, str_enum, utcnow


class ConsignmentStatus(enum.StrEnum):
    DRAFT = "draft"  # the seller is preparing it
    SHIPPED = "shipped"  # on its way to the warehouse
    RECEIVING = "receiving"  # the warehouse has counted some lines
    RECEIVED = "received"  # every line counted (or the rest closed as short)
    CANCELLED = "cancelled"  # called off before receiving started


class PurchaseOrderStatus(enum.StrEnum):
    DRAFT = "draft"
    ORDERED = "ordered"  # sent to the supplier
    RECEIVING = "receiving"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class RemovalStatus(enum.StrEnum):
    REQUESTED = "requested"  # the seller asked for units back
    APPROVED = "approved"  # the units left sellable stock and are set aside for the removal shipment
    SHIPPED = "shipped"  # on their way back to the seller
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class InboundConsignment(Base):
    """An advance shipping notice: which SKUs a seller sends to which platform warehouse, and when."""

    __tablename__ = "inbound_consignments"
    __table_args__ = (
        Index("ix_inbound_consignments_seller_status", "seller_id", "status"),
        Index("ix_inbound_consignments_warehouse_status", "warehouse_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    status: Mapped[ConsignmentStatus] = mapped_column(str_enum(ConsignmentStatus, 16), default=ConsignmentStatus.DRAFT)
    expected_arrival: Mapped[dt.date] = mapped_column(Date)
    carrier: Mapped[str | None] = mapped_column(String(64))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(500))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    shipped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    receiving_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # received or cancelled

    lines: Mapped[list[InboundLine]] = relationship(order_by="InboundLine.id", cascade="all, delete-orphan")


class InboundLine(Base):
    __tablename__ = "inbound_lines"
    __table_args__ = (
        UniqueConstraint("consignment_id", "variant_id", name="uq_inbound_lines_sku"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consignment_id: Mapped[int] = mapped_column(ForeignKey("inbound_consignments.id", ondelete="CASCADE"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    quantity: Mapped[int]  # expected


class PurchaseOrder(Base):
    """The platform buys stock for its own (platform-owned) listings from a supplier."""

    __tablename__ = "purchase_orders"
    __table_args__ = (Index("ix_purchase_orders_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_name: Mapped[str] = mapped_column(String(200))
    supplier_contact: Mapped[str | None] = mapped_column(String(200))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"), index=True)
    status: Mapped[PurchaseOrderStatus] = mapped_column(
        str_enum(PurchaseOrderStatus, 16), default=PurchaseOrderStatus.DRAFT
    )
    expected_arrival: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(500))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ordered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    receiving_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    lines: Mapped[list[PurchaseOrderLine]] = relationship(order_by="PurchaseOrderLine.id", cascade="all, delete-orphan")


class PurchaseOrderLine(Base):
    __tablename__ = "purchase_order_lines"
    __table_args__ = (
        UniqueConstraint("purchase_order_id", "variant_id", name="uq_purchase_order_lines_sku"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_cost_cents >= 0", name="unit_cost_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_orders.id", ondelete="CASCADE"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    quantity: Mapped[int]
    unit_cost_cents: Mapped[int]


class StockReceipt(Base):
    """What receiving counted for one document line, once: the UNIQUE line reference is what makes a
    retried or concurrent receipt of the same line add its units only one time. Good units went to
    the warehouse's stock (``on_hand``) in the same transaction; damaged and short ones did not."""

    __tablename__ = "stock_receipts"
    __table_args__ = (
        CheckConstraint("(inbound_line_id IS NULL) <> (purchase_line_id IS NULL)", name="one_source"),
        CheckConstraint(
            "expected > 0 AND received >= 0 AND damaged >= 0 AND short >= 0 AND surplus >= 0",
            name="counts_not_negative",
        ),
        CheckConstraint("received + damaged + short = expected + surplus", name="counts_add_up"),
        CheckConstraint("short = 0 OR surplus = 0", name="short_or_surplus"),
        Index("ix_stock_receipts_variant", "variant_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inbound_line_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_lines.id", ondelete="CASCADE"), unique=True)
    purchase_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchase_order_lines.id", ondelete="CASCADE"), unique=True
    )
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    stock_id: Mapped[int] = mapped_column(ForeignKey("stock.id"))
    expected: Mapped[int]
    received: Mapped[int]  # good units, now sellable
    damaged: Mapped[int]
    short: Mapped[int]  # never arrived
    surplus: Mapped[int]  # arrived beyond the expected quantity (recorded explicitly)
    received_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StockRemoval(Base):
    """Unsold consigned units going back to their seller: taken from available stock on approval
    (never from units reserved for orders), then shipped with the carrier the operator enters."""

    __tablename__ = "stock_removals"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("status NOT IN ('approved', 'shipped') OR stock_id IS NOT NULL", name="taken_from_stock"),
        Index("ix_stock_removals_seller_status", "seller_id", "status"),
        Index("ix_stock_removals_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id"))
    stock_id: Mapped[int | None] = mapped_column(ForeignKey("stock.id"))  # set when the units are taken
    quantity: Mapped[int]
    status: Mapped[RemovalStatus] = mapped_column(str_enum(RemovalStatus, 16), default=RemovalStatus.REQUESTED)
    note: Mapped[str | None] = mapped_column(String(500))
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    carrier: Mapped[str | None] = mapped_column(String(64))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    shipped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # rejected or cancelled
