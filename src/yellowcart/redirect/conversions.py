"""Reading conversions: a seller its own, operators everyone's (newest first, cursor paged)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.errors import NotFound
from yellowcart.redirect.models import Conversion, ConversionStatus


def list_conversions(
    session: Session,
    *,
    principal: Principal,
    seller_id: int,
    status: ConversionStatus | None,
    after_id: int | None,
    limit: int,
) -> Sequence[Conversion]:
    if not (principal.is_operator or (principal.role is Role.SELLER and principal.seller_id == seller_id)):
        raise NotFound(f"Seller {seller_id} does not exist.")
    query = select(Conversion).where(Conversion.seller_id == seller_id)
    if status is not None:
        query = query.where(Conversion.status == status)
    if after_id is not None:
        query = query.where(Conversion.id < after_id)
    return session.scalars(query.order_by(Conversion.id.desc()).limit(limit)).all()
