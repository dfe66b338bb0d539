"""A seller account: the business that owns listings, stock and orders."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from yellowcart.catalog.modes import SellingMode
from yellowcart.db import Base, UTCDateTime, str_enum, utcnow


class SellerStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Seller(Base):
    __tablename__ = "sellers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[SellerStatus] = mapped_column(str_enum(SellerStatus, 16), default=SellerStatus.PENDING)
    default_selling_mode: Mapped[SellingMode] = mapped_column(
        str_enum(SellingMode, 24), default=SellingMode.SELLER_FULFILLED
    )
    store_url: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
