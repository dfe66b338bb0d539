"""Commission for orders written without events (the demo market writes ninety days of orders in bulk):
called by the ledger's backfill after it posted their sales and inferred refunds.

An attributed order that completed accrues its lines' commission at its completion instant; units the
ledger's backfill took back after that (a return after completion) reverse their share at the return's
instant. Orders returned before completing never completed, so they accrue nothing. The same functions
as the live path post it (``commissions``), under the same source keys, so a rerun posts nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yellowcart.creators.commissions import accrue_order, reverse_return
from yellowcart.creators.models import Attribution
from yellowcart.db import id_in
from yellowcart.ledger.service import order_state
from yellowcart.orders.models import OrderHistory
from yellowcart.orders.state import OrderStatus

RETURN_STATES = (OrderStatus.RETURNED, OrderStatus.PARTIALLY_RETURNED)


def _first(session: Session, order_ids: Sequence[int], *statuses: OrderStatus) -> dict[int, dt.datetime]:
    rows = session.execute(
        select(OrderHistory.order_id, func.min(OrderHistory.at))
        .where(id_in(session, OrderHistory.order_id, order_ids), OrderHistory.to_status.in_(statuses))
        .group_by(OrderHistory.order_id)
    )
    return {int(oid): at for oid, at in rows}


def backfill_orders(session: Session, *, order_ids: Sequence[int], floor: dt.datetime | None) -> int:
    """Post the commission of these bulk-written orders' attributed lines; how many entries were posted.
    ``floor``: the end of the last closed settlement period (nothing is booked before it)."""
    found = session.scalars(select(Attribution.order_id).where(id_in(session, Attribution.order_id, order_ids)))
    attributed = sorted({oid for oid in found if oid is not None})
    if not attributed:
        return 0
    completed = _first(session, attributed, OrderStatus.COMPLETED)
    returned = _first(session, attributed, *RETURN_STATES)
    posted = 0
    for oid in (o for o in attributed if o in completed):
        posted += accrue_order(session, order_id=oid, posted_at=_at(completed[oid], floor))
        back = returned.get(oid)
        if back is None or back < completed[oid]:
            continue
        lines = order_state(session, order_id=oid)
        units = {lid: s.sold.units - s.left.units for lid, s in lines.items() if s.sold.units > s.left.units}
        if units:
            posted += reverse_return(session, lines=units, reference="backfill", return_id=None,
                                     posted_at=_at(back, floor))  # fmt: skip
    return posted


def _at(when: dt.datetime, floor: dt.datetime | None) -> dt.datetime:
    return max(when, floor) if floor is not None else when
