"""A seller account: the business that owns listings, stock and orders."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from yellowcart.catalog.modes import SellingMode
from yellowcart.db import Base, UTCDateTime, utcnow


class SellerStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Seller(Base):
    __tablename__ = "sellers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[SellerStatus] = mapped_column(
        Enum(SellerStatus, native_enum=False, length=16), default=SellerStatus.PENDING
    )
    default_selling_mode: Mapped[SellingMode] = mapped_column(
        Enum(SellingMode, native_enum=False, length=24), default=SellingMode.SELLER_FULFILLED
    )
    store_url: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
