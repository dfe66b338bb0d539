"""Users and their API tokens (stored as SHA-256 digests, never in clear)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from yellowcart.db import Base, UTCDateTime, str_enum, utcnow


class Role(enum.StrEnum):
    SHOPPER = "shopper"
    SELLER = "seller"
    CREATOR = "creator"
    OPERATOR = "operator"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role <> 'seller' OR seller_id IS NOT NULL", name="seller_has_account"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(str_enum(Role, 16))
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    home_zip: Mapped[str | None] = mapped_column(String(5))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(80), default="api")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
