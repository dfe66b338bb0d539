"""The caller's own SLA notifications, newest first: a shopper's (its orders), a seller's (its
shipments), or the operators' shared inbox. Email/push channels would read the same rows."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.fulfillment.models import SlaIncident, SlaNotification


def list_notifications(
    session: Session, *, principal: Principal, before_id: int | None, limit: int
) -> Sequence[tuple[SlaNotification, SlaIncident]]:
    query = select(SlaNotification, SlaIncident).join(SlaIncident, SlaIncident.id == SlaNotification.incident_id)
    if principal.role is Role.OPERATOR:
        query = query.where(SlaNotification.recipient == "operator")
    elif principal.role is Role.SELLER and principal.seller_id is not None:
        query = query.where(SlaNotification.recipient == "seller", SlaNotification.seller_id == principal.seller_id)
    else:
        query = query.where(SlaNotification.recipient == "shopper", SlaNotification.user_id == principal.user_id)
    if before_id is not None:
        query = query.where(SlaNotification.id < before_id)
    rows = session.execute(query.order_by(SlaNotification.id.desc()).limit(limit)).all()
    return [(n, i) for n, i in rows]
