"""Inspection at the warehouse: grade each line, run its disposition (stock back, open-box resale,
liquidation, back to the consignor, disposal), record what the units will recover, and refund.

A box that arrives empty or with another item is *receive rejected*: no refund, and the shopper's
next request goes to a person (``signals.failed_inspection``). When the refund SLA already refunded
the return before anyone inspected it, the grades are still recorded, and a failed inspection only
marks the shopper's history: money refunded is not clawed back by this flow.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping

from sqlalchemy.orm import Session

from yellowcart.auth.service import Principal
from yellowcart.catalog.open_box import open_box_variant
from yellowcart.checkout.payments import PaymentProvider
from yellowcart.errors import Conflict, InvalidInput
from yellowcart.inventory.receiving import add_to_stock
from yellowcart.orders.models import Order
from yellowcart.returns import disposition as disp
from yellowcart.returns import facts, refunds
from yellowcart.returns.models import ReturnLine, ReturnRequest
from yellowcart.returns.service import BUILT_IN_RULES, Config, check_warehouse_role, get_return, move
from yellowcart.returns.signals import INSPECTION_FAILED
from yellowcart.returns.state import ReturnStatus

R = ReturnStatus


class Outcome(enum.StrEnum):
    ACCEPTED = "accepted"
    EMPTY = "empty"
    WRONG_ITEM = "wrong_item"


def _apply(session: Session, ret: ReturnRequest, rl: ReturnLine, lc: facts.LineContext, grade: disp.Grade) -> int:
    kind = disp.disposition(grade, category_path=lc.category_path, mode=lc.line.selling_mode.value)
    rl.grade, rl.disposition = grade.value, kind.value
    rl.recovery_cents = disp.recovery_cents(kind, unit_price_cents=lc.line.unit_price_cents, units=rl.quantity)
    if ret.warehouse_id is not None and kind is disp.Disposition.RESTOCK:
        add_to_stock(session, warehouse_id=ret.warehouse_id, units={lc.line.variant_id: rl.quantity})
        rl.resale_variant_id = lc.line.variant_id
    elif ret.warehouse_id is not None and kind is disp.Disposition.OPEN_BOX:
        twin = open_box_variant(session, variant_id=lc.line.variant_id, discount_bps=disp.OPEN_BOX_DISCOUNT_BPS)
        add_to_stock(session, warehouse_id=ret.warehouse_id, units={twin.id: rl.quantity})
        rl.resale_variant_id = twin.id
    return rl.recovery_cents


def inspect(
    session: Session,
    *,
    principal: Principal,
    return_id: int,
    outcome: Outcome,
    grades: Mapping[int, disp.Grade],
    note: str | None,
    provider: PaymentProvider,
    now: dt.datetime,
    config: Config,
) -> ReturnRequest:
    ret = get_return(session, principal=principal, return_id=return_id, lock=True)
    check_warehouse_role(principal, ret)
    graded = any(rl.grade for rl in ret.lines)
    if ret.returnless or graded or ret.status not in (R.RECEIVED, R.COMPLETED):
        raise Conflict(f"Return {ret.id} is {ret.status.value}: nothing to inspect.", field="status")
    if outcome is not Outcome.ACCEPTED:
        ret.review_flags = [*ret.review_flags, INSPECTION_FAILED]
        if ret.status is R.RECEIVED:
            move(session, ret, R.RECEIVE_REJECTED, principal, note or f"inspection: {outcome.value}", at=now)
        return ret
    if set(grades) != {rl.order_line_id for rl in ret.lines}:
        raise InvalidInput("Grade every returned line, and only those.", field="grades")
    order = session.get(Order, ret.order_id)
    assert order is not None
    ctx = facts.order_context(session, order=order, base=config.base, built_in=BUILT_IN_RULES)
    ret.recovery_cents = sum(
        _apply(session, ret, rl, ctx.lines[rl.order_line_id], grades[rl.order_line_id]) for rl in ret.lines
    )
    if ret.status is R.RECEIVED:
        refunds.refund(session, ret=ret, ctx=ctx, provider=provider, now=now)
        move(session, ret, R.COMPLETED, principal, note, at=now)
        refunds.follow_order(session, order=order, actor=principal)
    return ret
