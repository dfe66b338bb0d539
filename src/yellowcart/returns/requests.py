"""A shopper's return, end to end, for every door it comes through (the API's routes and the shopper's web
pages): what can be returned, asking for it, and the return label, bought between two transactions so no
lock waits on the carrier.

The rules are :mod:`service`'s; this module adds what spans transactions and adapters (the payment
provider for returnless refunds, the carrier for labels) and the shapes both doors show."""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from yellowcart.auth.service import Principal
from yellowcart.bootstrap import Container
from yellowcart.db import utcnow
from yellowcart.errors import Conflict
from yellowcart.fulfillment import shipping
from yellowcart.fulfillment.carriers.errors import CarrierError
from yellowcart.returns import facts, labels, service
from yellowcart.returns.schemas import EligibilityOut, LineEligibilityOut, ReturnIn, ReturnOut
from yellowcart.returns.state import ReturnStatus

log = structlog.get_logger(__name__)


def eligibility(app: Container, who: Principal, order_id: int) -> EligibilityOut:
    """Line by line: what can be returned, until when, for which reasons, and why not."""
    with app.db.transaction() as session:
        order, verdicts = service.eligibility(
            session, principal=who, order_id=order_id, now=utcnow(), config=app.returns_config()
        )
        return EligibilityOut(
            order_id=order.id,
            order_status=order.status.value,
            shopper_time_zone=facts.shopper_tz(order),
            lines=[
                LineEligibilityOut(
                    order_line_id=lc.line.id,
                    sku=lc.line.sku,
                    title=lc.line.title,
                    quantity=lc.line.quantity,
                    returnable_quantity=v.returnable_quantity,
                    window_ends_at=v.window_ends_at,
                    guarantee_ends_at=v.guarantee_ends_at,
                    reasons=list(v.reasons),
                    why_not=v.why_not,
                    note=v.note,
                    return_shipping_payer=dict(lc.policy.return_shipping_payer),
                    restocking_fee_bps=lc.policy.restocking_fee_bps,
                )
                for lc, v in verdicts
            ],
        )


def buy_label(app: Container, who: Principal, return_id: int) -> None:
    """The return label: the job read in one transaction, bought from the carrier outside any, recorded in
    another (a repeat is a no-op once recorded)."""
    with app.db.transaction() as session:
        job = labels.label_job(session, principal=who, return_id=return_id)
    if app.carrier is None:
        raise Conflict("No carrier is configured for return labels.")
    label = shipping.buy_label(app.carrier, job)
    with app.db.transaction() as session:
        labels.record_label(session, return_id=return_id, label=label)


def request_return(app: Container, who: Principal, order_id: int, body: ReturnIn) -> int:
    """Ask for a return; an approved one gets its label at once, best effort (the shopper can ask again
    with ``POST /v1/returns/{id}/label``). Returns the return's id."""
    with app.db.transaction() as session:
        ret = service.request_return(
            session,
            principal=who,
            order_id=order_id,
            wanted=[service.Wanted(w.order_line_id, w.quantity) for w in body.lines],
            reason=body.reason,
            comment=body.comment,
            photos=body.photos,
            provider=app.provider,
            now=utcnow(),
            config=app.returns_config(),
        )
        return_id, waiting = ret.id, ret.status is ReturnStatus.AWAITING_BUYER_SHIP
    if waiting:
        try:
            buy_label(app, who, return_id)
        except (CarrierError, Conflict) as err:
            log.warning("return_label_failed", return_id=return_id, error=type(err).__name__)
    return return_id


def read(app: Container, who: Principal, return_id: int) -> ReturnOut:
    with app.db.transaction() as session:
        return ReturnOut.model_validate(service.get_return(session, principal=who, return_id=return_id))


def of_order(app: Container, who: Principal, order_id: int, limit: int = 100) -> Sequence[ReturnOut]:
    """The caller's returns of one order, oldest first."""
    with app.db.transaction() as session:
        rows = service.list_returns(session, principal=who, status=None, after_id=None, limit=limit, order_id=order_id)
        return [ReturnOut.model_validate(r) for r in rows]


def decide(app: Container, who: Principal, return_id: int, *, approve: bool, note: str | None) -> ReturnStatus:
    """The seller's or an operator's answer; an approval gets the label bought on the platform's behalf
    after the commit. Returns the return's new status."""
    with app.db.transaction() as session:
        ret = service.decide(
            session, principal=who, return_id=return_id, approve=approve, note=note, provider=app.provider,
            now=utcnow(), config=app.returns_config(),
        )  # fmt: skip
        status = ret.status
    if status is ReturnStatus.AWAITING_BUYER_SHIP and app.carrier is not None:
        labels.issue_label(app.db, app.carrier, return_id=return_id)
    return status
