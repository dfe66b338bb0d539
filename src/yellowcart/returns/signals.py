"""Return-abuse signals. A signal never denies a lawful return: it takes the request off the automatic
path and puts it in front of a person (the reviewer), who must still answer on time.

* ``serial_returner``: in the last 90 days the shopper returned at least ``min_returns`` times and at
  least half of the units bought.
* ``wardrobing``: an apparel item (category ``fashion/``) returned for a change of mind in the last
  3 days of its window, or a "bracket" (several sizes of one product bought, all but one returned) by a
  shopper who brackets repeatedly.
* ``failed_inspection``: an earlier return of this shopper arrived empty or with another item.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yellowcart.orders.models import Order, OrderLine
from yellowcart.orders.state import OrderStatus
from yellowcart.returns.models import ReturnLine, ReturnRequest
from yellowcart.returns.policy import NO_FAULT_REASONS, Reason
from yellowcart.returns.state import OPEN, ReturnStatus

WINDOW = dt.timedelta(days=90)
APPAREL = "fashion/"
LATE_IN_WINDOW = dt.timedelta(days=3)
BRACKET = "bracket"
#: Put on a request by an inspection that found the box empty or another item (see ``inspection``).
INSPECTION_FAILED = "inspection_failed"
#: The flags that take a request off the automatic path.
REVIEW_FLAGS = frozenset({"serial_returner", "wardrobing", "failed_inspection"})


@dataclass(frozen=True, slots=True)
class Thresholds:
    min_returns: int = 4
    min_unit_share: float = 0.5
    bracket_repeats: int = 2


@dataclass(frozen=True, slots=True)
class History:
    returns: int  # requests in the window (open or completed)
    returned_units: int
    bought_units: int
    failed_inspections: int  # ever (a year back)
    brackets: int  # earlier orders where several sizes of one product were bought and all but one returned


@dataclass(frozen=True, slots=True)
class RequestShape:
    reason: Reason
    apparel_late_in_window: bool  # an apparel line in its last days
    bracket: bool  # this request returns all but one size of a product bought in several


def flags(history: History, request: RequestShape, limits: Thresholds = Thresholds()) -> list[str]:
    """Pure: the signals this request raises, given the shopper's history."""
    out = []
    bought = max(history.bought_units, 1)
    if history.returns >= limits.min_returns and history.returned_units / bought >= limits.min_unit_share:
        out.append("serial_returner")
    no_fault = request.reason in NO_FAULT_REASONS
    if no_fault and (
        request.apparel_late_in_window or (request.bracket and history.brackets >= limits.bracket_repeats)
    ):
        out.append("wardrobing")
    if history.failed_inspections:
        out.append("failed_inspection")
    if request.bracket:
        out.append(BRACKET)  # a marker for later requests, not a reason for review by itself
    return out


def history(session: Session, *, shopper_id: int, now: dt.datetime) -> History:
    since = now - WINDOW
    returns, returned = session.execute(
        select(func.count(func.distinct(ReturnRequest.id)), func.coalesce(func.sum(ReturnLine.quantity), 0))
        .join(ReturnLine, ReturnLine.return_id == ReturnRequest.id)
        .where(
            ReturnRequest.shopper_id == shopper_id,
            ReturnRequest.created_at >= since,
            ReturnRequest.status.in_(OPEN),
        )
    ).one()
    bought = session.scalar(
        select(func.coalesce(func.sum(OrderLine.quantity), 0))
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.shopper_id == shopper_id, Order.placed_at >= since, Order.status != OrderStatus.UNPAID)
    )
    # The shopper's requests over a year, read once (a handful of rows): failed inspections (receive
    # rejected, or flagged after a refund already went out) and earlier brackets.
    earlier = session.execute(
        select(ReturnRequest.status, ReturnRequest.review_flags, ReturnRequest.created_at).where(
            ReturnRequest.shopper_id == shopper_id, ReturnRequest.created_at >= now - dt.timedelta(days=365)
        )
    ).all()
    failed = sum(1 for st, fl, _ in earlier if st is ReturnStatus.RECEIVE_REJECTED or INSPECTION_FAILED in (fl or []))
    bracket_count = sum(1 for _, fl, at in earlier if at >= since and BRACKET in (fl or []))
    return History(int(returns or 0), int(returned or 0), int(bought or 0), int(failed or 0), bracket_count)
