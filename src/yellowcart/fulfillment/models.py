"""Fulfilment tables: capacity booked per warehouse per day, and observed deliveries per lane (the
transit model's calibration data). Warehouse network settings are columns of ``warehouses``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from yellowcart.db import Base, UTCDateTime, utcnow


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
