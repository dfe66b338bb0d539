"""Self-service answers: a shopper's question about where the order is, when it arrives or how to
return it is answered from the order's own data before a person is asked.

The data comes from the domains that own it, through their services and with the shopper's own
rights: fulfilment's tracking view (``shipping.order_tracking``: shipments, their timelines, promised
and estimated dates) and returns' eligibility (``returns.service.eligibility``). Every answer ends
with the way out: writing "talk to a person" hands the question to the seller or the platform.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.service import Principal
from yellowcart.fulfillment import shipping
from yellowcart.fulfillment.models import ShipmentStatus
from yellowcart.orders.state import OrderStatus
from yellowcart.returns import service as returns
from yellowcart.returns.models import ReturnRequest
from yellowcart.returns.state import OPEN as OPEN_RETURNS
from yellowcart.support.intents import Intent
from yellowcart.support.models import CardType
from yellowcart.support.placeholders import tracking_url

WAY_OUT = 'Not what you needed? Write "talk to a person" and we will pass your question on.'
_NOT_LEFT = frozenset({ShipmentStatus.ALLOCATED, ShipmentStatus.LABEL_CREATED, ShipmentStatus.AWAITING_COLLECTION})


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    card_type: CardType
    card_id: int


def _day(value: dt.date | None) -> str:
    return value.strftime("%A, %B %d, %Y").replace(" 0", " ") if value else "not known yet"


def _package_line(tracked: shipping.Tracked) -> str:
    s = tracked.shipment
    status = s.status.value.replace("_", " ")
    if s.status in _NOT_LEFT:
        return f"Package {s.id}: being prepared at the warehouse ({status}), ships by {_day(s.ship_by)}."
    text = f"Package {s.id}: {status}"
    if s.carrier and s.tracking_number:
        text += f" with {s.carrier.upper()}, tracking {s.tracking_number}"
        url = tracking_url(s.carrier, s.tracking_number)
        text += f" ({url})" if url else ""
    scans = [e for e in tracked.events if e.status != "label_created"]
    if scans:
        last = max(scans, key=lambda e: e.occurred_at)
        where = f" in {last.location}" if last.location else ""
        text += f". Last scan: {last.description}{where}, {last.occurred_at:%Y-%m-%d %H:%M} UTC"
    if s.status is ShipmentStatus.DELIVERED and s.delivered_at:
        text += f". Delivered {s.delivered_at:%Y-%m-%d %H:%M} UTC"
    return text + "."


def where_is_my_order(session: Session, *, principal: Principal, order_id: int) -> Answer:
    order, tracked = shipping.order_tracking(session, principal=principal, order_id=order_id)
    if order.status is OrderStatus.CANCELLED:
        return Answer(f"Order {order.id} was cancelled, so nothing will ship. {WAY_OUT}", CardType.ORDER, order.id)
    live = [t for t in tracked if t.shipment.status is not ShipmentStatus.CANCELLED]
    if not live:
        text = (
            f"Order {order.id} is {order.status.value.replace('_', ' ').lower()}: it has not been packed yet. "
            f"It is promised for {_day(order.promised_delivery_date)}."
        )
        return Answer(f"{text} {WAY_OUT}", CardType.ORDER, order.id)
    lines = [_package_line(t) for t in live]
    moving = [t for t in live if t.shipment.status is not ShipmentStatus.DELIVERED] or live
    return Answer(" ".join([*lines, WAY_OUT]), CardType.SHIPMENT, moving[0].shipment.id)


def when_arrives(session: Session, *, principal: Principal, order_id: int) -> Answer:
    order, tracked = shipping.order_tracking(session, principal=principal, order_id=order_id)
    live = [t.shipment for t in tracked if t.shipment.status is not ShipmentStatus.CANCELLED]
    if order.status is OrderStatus.CANCELLED:
        text = f"Order {order.id} was cancelled, so it will not arrive."
    elif live and all(s.status is ShipmentStatus.DELIVERED for s in live):
        delivered = [s.delivered_at for s in live if s.delivered_at]
        last = max(delivered) if delivered else None
        text = f"Order {order.id} was delivered" + (f" on {_day(last.date())}." if last else ".")
    else:
        estimates = [s.estimated_date for s in live]
        estimate = max(d for d in estimates if d) if live and all(estimates) else None
        text = f"Order {order.id} was promised for {_day(order.promised_delivery_date)}."
        if estimate is not None:
            text += f" The current estimate is {_day(estimate)}."
        if not live or any(s.status in _NOT_LEFT for s in live):
            text += " It has not left the warehouse yet."
    return Answer(f"{text} {WAY_OUT}", CardType.ORDER, order.id)


def how_to_return(
    session: Session, *, principal: Principal, order_id: int, config: returns.Config, now: dt.datetime
) -> Answer:
    order, verdicts = returns.eligibility(session, principal=principal, order_id=order_id, now=now, config=config)
    open_return = session.scalar(
        select(ReturnRequest.id)
        .where(ReturnRequest.order_id == order.id, ReturnRequest.status.in_(OPEN_RETURNS))
        .order_by(ReturnRequest.id.desc())
    )
    returnable = [(lc, v) for lc, v in verdicts if v.returnable_quantity > 0]
    if returnable:
        parts = [
            f"{v.returnable_quantity} x {lc.line.title}"
            + (f" until {v.window_ends_at:%Y-%m-%d %H:%M} UTC" if v.window_ends_at else "")
            for lc, v in returnable
        ]
        text = (
            f"You can return {'; '.join(parts)}. To start, open order {order.id} and choose Return items "
            "(pick the items and the reason; damaged, defective or wrong items are covered longer)."
        )
    else:
        why = next((v.why_not for _, v in verdicts if v.why_not), None) or "nothing on it can be returned now"
        window = config.base.window_days
        text = f"Order {order.id} cannot be returned right now: {why}."
        if why == "not delivered yet":
            text += f" Once it is delivered you have {window} days to return it."
    if open_return is not None:
        text += f" Your return {open_return} for this order is already under way."
        return Answer(f"{text} {WAY_OUT}", CardType.RETURN, open_return)
    return Answer(f"{text} {WAY_OUT}", CardType.ORDER, order.id)


def answer(
    session: Session,
    *,
    intent: Intent,
    principal: Principal,
    order_id: int,
    returns_config: returns.Config,
    now: dt.datetime,
) -> Answer | None:
    """The automatic answer to ``intent`` about the order, or None when a person must answer."""
    if intent is Intent.WHERE_IS_MY_ORDER:
        return where_is_my_order(session, principal=principal, order_id=order_id)
    if intent is Intent.WHEN_ARRIVES:
        return when_arrives(session, principal=principal, order_id=order_id)
    if intent is Intent.HOW_TO_RETURN:
        return how_to_return(session, principal=principal, order_id=order_id, config=returns_config, now=now)
    return None
