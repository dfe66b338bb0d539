"""What reached the shopper, per order line: for the return window (from delivery), the return label
(back to the warehouse that shipped it) and return analytics (was it late?)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.fulfillment.models import Shipment, ShipmentLine, ShipmentStatus


@dataclass(frozen=True, slots=True)
class DeliveredLine:
    quantity: int  # units of the line delivered (a line may travel in several packages)
    delivered_at: dt.datetime  # the latest of its deliveries: the window starts when all have arrived
    warehouse_id: int  # the warehouse of its first delivered package: returns go back there
    late: bool  # any of its packages arrived after the promised date (in UTC days: an approximation)


def delivered_lines(session: Session, *, order_id: int) -> dict[int, DeliveredLine]:
    rows = session.execute(
        select(
            ShipmentLine.order_line_id,
            ShipmentLine.quantity,
            Shipment.delivered_at,
            Shipment.warehouse_id,
            Shipment.promised_date,
        )
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .where(Shipment.order_id == order_id, Shipment.status == ShipmentStatus.DELIVERED)
        .order_by(Shipment.id)
    ).all()
    out: dict[int, DeliveredLine] = {}
    for line_id, qty, delivered_at, warehouse_id, promised in rows:
        at = delivered_at or dt.datetime.min.replace(tzinfo=dt.UTC)
        late = promised is not None and delivered_at is not None and delivered_at.date() > promised
        seen = out.get(line_id)
        if seen is None:
            out[line_id] = DeliveredLine(qty, at, warehouse_id, late)
        else:
            out[line_id] = DeliveredLine(
                seen.quantity + qty, max(seen.delivered_at, at), seen.warehouse_id, seen.late or late
            )
    return out
