"""Order endpoints: list and read what the caller may see, cancel, move along, history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from yellowcart.http import Caller, Db, PathId, decode_cursor, next_cursor, problems
from yellowcart.orders import service
from yellowcart.orders.schemas import CancelIn, HistoryOut, OrderOut, OrderPage, TransitionIn
from yellowcart.orders.state import OrderStatus

router = APIRouter(prefix="/v1/orders", tags=["orders"])
PROBLEMS = problems(s409="Illegal transition")
OrderId = PathId


@router.get("", response_model=OrderPage, responses=PROBLEMS, summary="Orders I may see, newest first")
def list_orders(
    db: Db,
    who: Caller,
    status: OrderStatus | None = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> OrderPage:
    with db.transaction() as session:
        rows = service.list_orders(
            session, principal=who, status=status, after_id=decode_cursor(cursor), limit=limit + 1
        )
        items = [OrderOut.model_validate(o) for o in rows[:limit]]
    return OrderPage(items=items, next_cursor=next_cursor(items, len(rows) > limit))


@router.get("/{order_id}", response_model=OrderOut, responses=PROBLEMS)
def get_order(order_id: OrderId, db: Db, who: Caller) -> OrderOut:
    with db.transaction() as session:
        return OrderOut.model_validate(service.get_order(session, principal=who, order_id=order_id))


@router.get("/{order_id}/history", response_model=list[HistoryOut], responses=PROBLEMS)
def order_history(order_id: OrderId, db: Db, who: Caller) -> list[HistoryOut]:
    with db.transaction() as session:
        return [HistoryOut.model_validate(h) for h in service.history(session, principal=who, order_id=order_id)]


@router.post("/{order_id}/cancel", response_model=OrderOut, responses=PROBLEMS, summary="Cancel before shipment")
def cancel_order(order_id: OrderId, body: CancelIn, db: Db, who: Caller) -> OrderOut:
    with db.transaction() as session:
        order = service.cancel_order(session, principal=who, order_id=order_id, reason=body.reason)
        return OrderOut.model_validate(order)


@router.post(
    "/{order_id}/transitions", response_model=OrderOut, responses=PROBLEMS, summary="Move an order (seller, operator)"
)
def move_order(order_id: OrderId, body: TransitionIn, db: Db, who: Caller) -> OrderOut:
    with db.transaction() as session:
        order = service.move_order(session, principal=who, order_id=order_id, target=body.to, reason=body.reason)
        return OrderOut.model_validate(order)
