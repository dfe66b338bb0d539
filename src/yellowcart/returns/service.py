"""The returns flow: request -> (auto-)approval -> label -> shipped back -> received -> inspected and
refunded; or rejected, receive-rejected, cancelled. Services take a session and never commit; the
carrier is called by the API layer between two transactions (see ``label_job``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.checkout.payments import PaymentProvider
from yellowcart.errors import Conflict, Forbidden, InvalidInput, NotFound
from yellowcart.events import emit
from yellowcart.fulfillment import calendar
from yellowcart.fulfillment.carriers.tracking_numbers import validate_tracking_number
from yellowcart.orders.models import Order
from yellowcart.returns import facts, refunds, signals
from yellowcart.returns import policy as rules
from yellowcart.returns.models import ReturnEvent, ReturnLine, ReturnRequest
from yellowcart.returns.state import ReturnStatus, check

R = ReturnStatus

#: Built in beneath the operators' rules (a rule with the same scope and key replaces it).
BUILT_IN_RULES = (rules.Rule("category", "grocery/", {"returnable": False}),)


@dataclass(frozen=True, slots=True)
class Config:
    base: rules.Policy = field(default_factory=rules.Policy)
    response_hours: int = 48
    lost_return_days: int = 21  # shipped back and never received: refunded on proof of shipment
    refund_business_days: int = 5
    label_estimate_cents: int = 800  # before a label is bought: for the returnless test
    thresholds: signals.Thresholds = field(default_factory=signals.Thresholds)


class ReturnNotAllowed(InvalidInput):
    code, title = "return_not_allowed", "These units cannot be returned"


def move(
    session: Session,
    ret: ReturnRequest,
    target: ReturnStatus,
    actor: Principal | None,
    note: str | None,
    *,
    at: dt.datetime,
) -> None:
    check(ret.status, target)
    session.add(
        ReturnEvent(
            return_id=ret.id,
            at=at,
            actor_user_id=actor.user_id if actor else None,
            actor_role=actor.role.value if actor else "system",
            from_status=ret.status,
            to_status=target,
            note=note[:500] if note else None,
        )
    )
    ret.status = target
    emit(session, f"return.{target.value}", return_id=ret.id, order_id=ret.order_id, seller_id=ret.seller_id)


def get_return(session: Session, *, principal: Principal, return_id: int, lock: bool = False) -> ReturnRequest:
    """The caller's return: the shopper's own, a seller's own orders', any for operators; else 404."""
    query = select(ReturnRequest).where(ReturnRequest.id == return_id)
    if principal.role is Role.SHOPPER:
        query = query.where(ReturnRequest.shopper_id == principal.user_id)
    elif principal.role is Role.SELLER:
        query = query.where(ReturnRequest.seller_id == (principal.seller_id or -1))
    elif principal.role is not Role.OPERATOR:
        raise NotFound(f"Return {return_id} does not exist.")
    ret = session.scalar(query.with_for_update() if lock else query)
    if ret is None:
        raise NotFound(f"Return {return_id} does not exist.")
    return ret


def list_returns(
    session: Session,
    *,
    principal: Principal,
    status: ReturnStatus | None,
    after_id: int | None,
    limit: int,
    order_id: int | None = None,
) -> Sequence[ReturnRequest]:
    """Shoppers their own; sellers their orders'; operators all (``status=request_pending``: the queue);
    ``order_id``: one order's. Oldest first."""
    query = select(ReturnRequest)
    if principal.role is Role.SHOPPER:
        query = query.where(ReturnRequest.shopper_id == principal.user_id)
    elif principal.role is Role.SELLER:
        query = query.where(ReturnRequest.seller_id == (principal.seller_id or -1))
    elif principal.role is not Role.OPERATOR:
        return []
    if status is not None:
        query = query.where(ReturnRequest.status == status)
    if order_id is not None:
        query = query.where(ReturnRequest.order_id == order_id)
    if after_id is not None:
        query = query.where(ReturnRequest.id > after_id)
    return session.scalars(query.order_by(ReturnRequest.id).limit(limit)).all()


def _shoppers_order(session: Session, principal: Principal, order_id: int, *, lock: bool) -> Order:
    query = select(Order).where(Order.id == order_id)
    if not principal.is_operator:
        query = query.where(Order.shopper_id == principal.user_id)
    order = session.scalar(query.with_for_update() if lock else query)
    if order is None:
        raise NotFound(f"Order {order_id} does not exist.")
    return order


def _context(session: Session, order: Order, config: Config) -> facts.OrderContext:
    return facts.order_context(session, order=order, base=config.base, built_in=BUILT_IN_RULES)


def eligibility(
    session: Session, *, principal: Principal, order_id: int, now: dt.datetime, config: Config
) -> tuple[Order, list[tuple[facts.LineContext, rules.LineEligibility]]]:
    order = _shoppers_order(session, principal, order_id, lock=False)
    return order, facts.eligibility(_context(session, order, config), now=now)


@dataclass(frozen=True, slots=True)
class Wanted:
    order_line_id: int
    quantity: int


def _check_lines(wanted: Sequence[Wanted], verdicts: dict[int, rules.LineEligibility], reason: rules.Reason) -> None:
    if not wanted:
        raise InvalidInput("Name at least one line to return.", field="lines")
    if len({w.order_line_id for w in wanted}) != len(wanted):
        raise InvalidInput("Each order line may appear once.", field="lines")
    for w in wanted:
        v = verdicts.get(w.order_line_id)
        if v is None:
            raise InvalidInput(f"Line {w.order_line_id} is not part of this order.", field="lines")
        if w.quantity > v.returnable_quantity:
            why = v.why_not or f"only {v.returnable_quantity} can be returned"
            raise ReturnNotAllowed(
                f"Line {w.order_line_id}: {w.quantity} asked, {why}.",
                field="lines",
                order_line_id=w.order_line_id,
                returnable_quantity=v.returnable_quantity,
            )
        if reason not in v.reasons:
            accepted = [r.value for r in v.reasons]
            raise ReturnNotAllowed(
                f"Line {w.order_line_id} cannot be returned as {reason.value} now (accepted: {', '.join(accepted)}).",
                field="reason",
                accepted=accepted,
            )


def _shape(
    ctx: facts.OrderContext,
    wanted: Sequence[Wanted],
    verdicts: dict[int, rules.LineEligibility],
    reason: rules.Reason,
    now: dt.datetime,
) -> signals.RequestShape:
    late = any(
        ctx.lines[w.order_line_id].category_path.startswith(signals.APPAREL)
        and (end := verdicts[w.order_line_id].window_ends_at) is not None
        and end - now <= signals.LATE_IN_WINDOW
        for w in wanted
    )
    by_product: dict[int, list[int]] = {}
    for lc in ctx.lines.values():
        by_product.setdefault(lc.product_id, []).append(lc.line.id)
    asked = {w.order_line_id for w in wanted}
    bracket = any(len(ids) >= 2 and len(set(ids) - asked) == 1 for ids in by_product.values() if set(ids) & asked)
    return signals.RequestShape(reason, late, bracket)


def request_return(
    session: Session,
    *,
    principal: Principal,
    order_id: int,
    wanted: Sequence[Wanted],
    reason: rules.Reason,
    comment: str | None,
    photos: Sequence[str],
    provider: PaymentProvider,
    now: dt.datetime,
    config: Config,
) -> ReturnRequest:
    """Validate against the policy (the order row locked: two requests cannot take the same units),
    raise abuse signals, then approve at once (change of mind, no signal), refund at once (returnless)
    or wait for the reviewer."""
    order = _shoppers_order(session, principal, order_id, lock=True)
    if principal.role is not Role.SHOPPER:
        raise Forbidden("Only the shopper who placed the order requests its return.")
    ctx = _context(session, order, config)
    verdicts = {lc.line.id: v for lc, v in facts.eligibility(ctx, now=now)}
    _check_lines(wanted, verdicts, reason)
    first = ctx.lines[wanted[0].order_line_id]
    modes = {ctx.lines[w.order_line_id].line.selling_mode.value for w in wanted}
    raised = signals.flags(
        signals.history(session, shopper_id=order.shopper_id, now=now),
        _shape(ctx, wanted, verdicts, reason, now),
        config.thresholds,
    )
    delivered = first.delivered
    ret = ReturnRequest(
        order_id=order.id,
        shopper_id=order.shopper_id,
        seller_id=order.seller_id,
        status=R.REQUEST_PENDING,
        reason=reason,
        comment=comment,
        photos=list(photos),
        reviewer="seller" if modes == {"seller_fulfilled"} else "operator",
        review_flags=raised,
        respond_by=now + dt.timedelta(hours=config.response_hours),
        label_payer=first.policy.payer(reason),
        warehouse_id=delivered.warehouse_id if delivered else None,
        lines=[ReturnLine(order_line_id=w.order_line_id, quantity=w.quantity) for w in wanted],
        created_at=now,
    )
    session.add(ret)
    session.flush()
    session.add(
        ReturnEvent(
            return_id=ret.id, at=now, actor_user_id=principal.user_id, actor_role="shopper", to_status=R.REQUEST_PENDING
        )
    )
    emit(session, "return.request_pending", return_id=ret.id, order_id=order.id, seller_id=order.seller_id)
    needs_review = bool(signals.REVIEW_FLAGS & set(raised))
    if reason in rules.NO_FAULT_REASONS and not needs_review:
        approve_return(
            session,
            ret=ret,
            ctx=ctx,
            actor=None,
            note="policy: change of mind within the window",
            provider=provider,
            now=now,
            config=config,
        )
    return ret


def approve_return(
    session: Session,
    *,
    ret: ReturnRequest,
    ctx: facts.OrderContext,
    actor: Principal | None,
    note: str | None,
    provider: PaymentProvider,
    now: dt.datetime,
    config: Config,
) -> None:
    ret.decided_at, ret.decided_by, ret.decision_note = now, actor.user_id if actor else None, note
    estimate = sum(p.total_cents for p in refunds.quote(session, ret, ctx, label_cents=0).values())
    first = ctx.lines[ret.lines[0].order_line_id].policy
    if rules.returnless(first, refund_cents=estimate, label_cents=config.label_estimate_cents):
        ret.returnless = True
        refunds.refund(session, ret=ret, ctx=ctx, provider=provider, now=now)
        move(session, ret, R.COMPLETED, actor, "returnless refund: keep the item", at=now)
        refunds.follow_order(session, order=ctx.order, actor=actor)
        return
    move(session, ret, R.AWAITING_BUYER_SHIP, actor, note, at=now)


def _may_review(principal: Principal, ret: ReturnRequest) -> None:
    if principal.is_operator:
        return
    if principal.role is Role.SELLER and ret.reviewer == "seller" and principal.seller_id == ret.seller_id:
        return
    raise Forbidden("The platform reviews this return." if principal.role is Role.SELLER else "Not allowed.")


def decide(
    session: Session,
    *,
    principal: Principal,
    return_id: int,
    approve: bool,
    note: str | None,
    provider: PaymentProvider,
    now: dt.datetime,
    config: Config,
) -> ReturnRequest:
    """The reviewer's answer: approve, or reject with a reason the shopper reads."""
    ret = get_return(session, principal=principal, return_id=return_id, lock=True)
    _may_review(principal, ret)
    if ret.status is not R.REQUEST_PENDING:
        raise Conflict(f"Return {ret.id} is {ret.status.value}, not waiting for an answer.", field="status")
    if not approve:
        if not note or not note.strip():
            raise InvalidInput("A rejection needs a reason for the shopper.", field="note")
        ret.decided_at, ret.decided_by, ret.decision_note = now, principal.user_id, note
        move(session, ret, R.REJECTED, principal, note, at=now)
        return ret
    order = session.get(Order, ret.order_id)
    assert order is not None
    approve_return(
        session,
        ret=ret,
        ctx=_context(session, order, config),
        actor=principal,
        note=note,
        provider=provider,
        now=now,
        config=config,
    )
    return ret


def cancel(session: Session, *, principal: Principal, return_id: int, now: dt.datetime) -> ReturnRequest:
    ret = get_return(session, principal=principal, return_id=return_id, lock=True)
    if principal.role is not Role.SHOPPER:
        raise Forbidden("Only the shopper withdraws a return.")
    if ret.status not in (R.REQUEST_PENDING, R.AWAITING_BUYER_SHIP):
        raise Conflict(f"Return {ret.id} is {ret.status.value}: too late to withdraw it.", field="status")
    move(session, ret, R.CANCELLED, principal, "withdrawn by the shopper", at=now)
    return ret


def mark_shipped(
    session: Session,
    *,
    principal: Principal,
    return_id: int,
    carrier: str | None,
    tracking_number: str | None,
    now: dt.datetime,
) -> ReturnRequest:
    """The shopper sends it back: with the platform's label, or its own carrier and tracking number."""
    ret = get_return(session, principal=principal, return_id=return_id, lock=True)
    if principal.role is not Role.SHOPPER:
        raise Forbidden("The shopper ships a return.")
    if ret.status is not R.AWAITING_BUYER_SHIP:
        raise Conflict(f"Return {ret.id} is {ret.status.value}, not waiting to be sent.", field="status")
    if tracking_number or carrier:
        if not (tracking_number and carrier):
            raise InvalidInput("Give both carrier and tracking_number.", field="tracking_number")
        ret.tracking_number = validate_tracking_number(carrier, tracking_number)
        ret.label_carrier, ret.label_provider = carrier, None
    if not ret.tracking_number:
        raise InvalidInput("Use the return label or give your carrier and tracking number.", field="tracking_number")
    ret.shipped_at = now
    move(session, ret, R.BUYER_SHIPPED, principal, None, at=now)
    return ret


def check_warehouse_role(principal: Principal, ret: ReturnRequest) -> None:
    if principal.is_operator:
        return
    if principal.role is Role.SELLER and ret.reviewer == "seller" and principal.seller_id == ret.seller_id:
        return
    raise Forbidden("The platform's warehouse receives this return.")


def receive(
    session: Session, *, principal: Principal, return_id: int, now: dt.datetime, config: Config
) -> ReturnRequest:
    """The parcel is at the warehouse: the refund is now due within ``refund_business_days``."""
    ret = get_return(session, principal=principal, return_id=return_id, lock=True)
    check_warehouse_role(principal, ret)
    if ret.status is R.AWAITING_BUYER_SHIP:  # arrived before anyone said it left
        ret.shipped_at = ret.shipped_at or now
        move(session, ret, R.BUYER_SHIPPED, principal, "received without a shipping scan", at=now)
    if ret.status is not R.BUYER_SHIPPED:
        raise Conflict(f"Return {ret.id} is {ret.status.value}, not on its way back.", field="status")
    ret.received_at = now
    due = calendar.add_business_days(now.date(), config.refund_business_days)
    ret.refund_due_by = dt.datetime.combine(due, dt.time(23, 59, 59), tzinfo=dt.UTC)
    move(session, ret, R.RECEIVED, principal, None, at=now)
    return ret
