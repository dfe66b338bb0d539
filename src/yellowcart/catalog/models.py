"""Catalog tables. Prices are integer cents with CHECKs in the database, not only in Python."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yellowcart.catalog.modes import SellingMode
from yellowcart.db import Base, UTCDateTime, str_enum, utcnow


class ProductStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    # Materialised path ("beauty/skin-care/") makes "this category and below" one prefix match.
    path: Mapped[str] = mapped_column(String(400), index=True)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        Index("ix_products_seller_status", "seller_id", "status"),
        Index("ix_products_category_status", "category_id", "status"),
        Index("ix_products_status_created", "status", "created_at"),
        # An imported product is known by its store handle: importing the same file twice updates it.
        Index("ux_products_seller_handle", "seller_id", "handle", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    brand: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[ProductStatus] = mapped_column(str_enum(ProductStatus, 16), default=ProductStatus.DRAFT)
    selling_mode: Mapped[SellingMode] = mapped_column(str_enum(SellingMode, 24))
    redirect_url: Mapped[str | None] = mapped_column(String(500))
    handle: Mapped[str | None] = mapped_column(String(255))  # the seller's store handle (Shopify "URL handle")
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    variants: Mapped[list[Variant]] = relationship(
        back_populates="product", order_by="Variant.id", cascade="all, delete-orphan"
    )


class Variant(Base):
    __tablename__ = "variants"
    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
        CheckConstraint("compare_at_cents IS NULL OR compare_at_cents >= price_cents", name="compare_at_ge"),
        CheckConstraint("weight_grams >= 0", name="weight_not_negative"),
        CheckConstraint("supply_price_cents IS NULL OR supply_price_cents >= 0", name="supply_price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    options: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    price_cents: Mapped[int]
    compare_at_cents: Mapped[int | None]
    weight_grams: Mapped[int] = mapped_column(default=0)
    # Full custody: the supply price the seller is owed per unit sold (accepted in the price check);
    # the retail ``price_cents`` is then the platform's. Null in the other modes.
    supply_price_cents: Mapped[int | None]
    is_active: Mapped[bool] = mapped_column(default=True)

    product: Mapped[Product] = relationship(back_populates="variants")
