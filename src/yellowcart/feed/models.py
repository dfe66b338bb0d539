"""Trained model versions, stored in the database so every API process and host serves the same one.
Activation is one transaction (the previous active version is retired in it): an atomic swap."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from yellowcart.db import Base, UTCDateTime, utcnow


class ModelVersion(Base):
    __tablename__ = "model_versions"
    __table_args__ = (Index("ix_model_versions_kind_active", "kind", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(default=False)
    artifact: Mapped[bytes] = mapped_column(LargeBinary)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
