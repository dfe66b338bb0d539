"""Fulfilment tables: capacity booked per warehouse per day, observed deliveries per lane (the
transit model's calibration data), shipments with their lines and tracking events.
Warehouse network settings are columns of ``warehouses``."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yellowcart.db import Base, UTCDateTime, str_enum, utcnow


class CapacityUsage(Base):
    """Orders booked to be picked in a warehouse on a (warehouse-local) business day."""

    __tablename__ = "warehouse_capacity_usage"
    __table_args__ = (CheckConstraint("booked >= 0", name="booked_not_negative"),)

    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    booked: Mapped[int] = mapped_column(default=0)


class TransitObservation(Base):
    """One delivered parcel on a lane: business days from hand-over to delivery (tracking events)."""

    __tablename__ = "transit_observations"
    __table_args__ = (
        CheckConstraint("business_days >= 0", name="days_not_negative"),
        Index("ix_transit_observations_lane", "origin_zip3", "dest_zip3", "service"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    origin_zip3: Mapped[str] = mapped_column(String(3))
    dest_zip3: Mapped[str] = mapped_column(String(3))
    service: Mapped[str] = mapped_column(String(16))
    business_days: Mapped[int]
    shipped_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ShipmentStatus(enum.StrEnum):
    """A shipment is one package from one warehouse. Before ``shipped`` nothing has left the building."""

    ALLOCATED = "allocated"  # a warehouse will ship these lines; no label yet
    LABEL_CREATED = "label_created"  # a label exists (bought through the platform, or own tracking entered)
    AWAITING_COLLECTION = "awaiting_collection"  # packed, labelled, waiting for the carrier's pickup
    SHIPPED = "shipped"  # handed to the carrier (the seller says so; its own carrier sends no scans)
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    RETURNED_TO_SENDER = "returned_to_sender"
    LOST = "lost"
    CANCELLED = "cancelled"  # re-allocated to another warehouse, or the order was cancelled


class Shipment(Base):
    """One package: the lines one warehouse ships, its label and tracking, promised and estimated dates."""

    __tablename__ = "shipments"
    __table_args__ = (
        CheckConstraint("weight_grams >= 0", name="weight_not_negative"),
        CheckConstraint("label_cost_cents IS NULL OR label_cost_cents >= 0", name="label_cost_not_negative"),
        Index("ix_shipments_order", "order_id"),
        Index("ix_shipments_tracking", "tracking_number"),
        Index("ix_shipments_warehouse_status", "warehouse_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    fulfilled_by: Mapped[str] = mapped_column(String(16))  # the warehouse operator: platform or seller
    status: Mapped[ShipmentStatus] = mapped_column(str_enum(ShipmentStatus, 24), default=ShipmentStatus.ALLOCATED)
    service: Mapped[str] = mapped_column(String(16))
    carrier: Mapped[str | None] = mapped_column(String(32))
    provider: Mapped[str | None] = mapped_column(String(16))  # simulated, easypost; null: the seller's own
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    label_ref: Mapped[str | None] = mapped_column(String(500))
    label_cost_cents: Mapped[int | None]
    weight_grams: Mapped[int] = mapped_column(default=0)
    pick_date: Mapped[dt.date] = mapped_column(Date)  # the warehouse day its capacity is booked on
    ship_by: Mapped[dt.date] = mapped_column(Date)  # hand-over to the carrier planned for this day
    promised_date: Mapped[dt.date | None] = mapped_column(Date)
    estimated_date: Mapped[dt.date | None] = mapped_column(Date)
    shipped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    lines: Mapped[list[ShipmentLine]] = relationship(order_by="ShipmentLine.id", cascade="all, delete-orphan")


class ShipmentLine(Base):
    __tablename__ = "shipment_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"))
    stock_id: Mapped[int] = mapped_column(ForeignKey("stock.id"))
    quantity: Mapped[int]


class ShipmentEvent(Base):
    """A carrier tracking event, stored once per (shipment, carrier event id): duplicates are ignored."""

    __tablename__ = "shipment_events"
    __table_args__ = (
        UniqueConstraint("shipment_id", "event_id", name="uq_shipment_events_event"),
        Index("ix_shipment_events_timeline", "shipment_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(24))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    description: Mapped[str] = mapped_column(String(300), default="")
    location: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SlaKind(enum.StrEnum):
    """What an SLA job detected (see ``sla_jobs``)."""

    LATE_DISPATCH = "late_dispatch"  # not handed to the carrier within the warehouse's handling time
    AUTO_CANCEL = "auto_cancel"  # still not handed over 7 business days after payment
    LATE_DELIVERY = "late_delivery"  # not delivered by the order's promised date
    LOST_PARCEL = "lost_parcel"  # no carrier scan for N days after hand-over (or the carrier said lost)


class SlaAction(enum.StrEnum):
    NOTIFIED_SELLER = "notified_seller"
    NOTIFIED_OPERATOR = "notified_operator"  # the platform's own warehouse was late
    CANCELLED = "cancelled"  # order cancelled: stock released, authorisation voided
    NOTIFIED_SHOPPER = "notified_shopper"
    RESHIPPED = "reshipped"
    REFUNDED = "refunded"
    FLAGGED = "flagged"  # recorded for operators; no automatic action applies


class SlaIncident(Base):
    """One detection, once: UNIQUE (kind, shipment) is what makes a rerun of a job do nothing new."""

    __tablename__ = "sla_incidents"
    __table_args__ = (
        UniqueConstraint("kind", "shipment_id", name="uq_sla_incidents_kind_shipment"),
        CheckConstraint("refund_cents IS NULL OR refund_cents >= 0", name="refund_not_negative"),
        Index("ix_sla_incidents_seller", "seller_id", "detected_at"),
        Index("ix_sla_incidents_order", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[SlaKind] = mapped_column(str_enum(SlaKind, 24))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    fault: Mapped[str] = mapped_column(String(16))  # seller, platform or carrier
    detected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    action: Mapped[SlaAction] = mapped_column(str_enum(SlaAction, 24))
    refund_cents: Mapped[int | None]
    new_shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id"))
    detail: Mapped[str] = mapped_column(String(300), default="")


class SlaNotification(Base):
    """A message for a seller, a shopper or operators about an incident (delivery channels read these)."""

    __tablename__ = "sla_notifications"
    __table_args__ = (Index("ix_sla_notifications_recipient", "recipient", "seller_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("sla_incidents.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(String(16))  # seller, shopper, operator
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
