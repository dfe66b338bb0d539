"""Returns endpoints: eligibility, the request and its whole lifecycle, the review queue, and the
operators' policy overrides."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import structlog
from fastapi import APIRouter, Query

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.bootstrap import Container
from yellowcart.db import utcnow
from yellowcart.errors import InvalidInput, NotFound
from yellowcart.http import App, Caller, PathId, decode_cursor, next_cursor, problems, require
from yellowcart.returns import analytics, inspection, requests, rules_admin, service
from yellowcart.returns.schemas import (
    DecisionIn,
    EligibilityOut,
    InspectionIn,
    PolicyRuleIn,
    PolicyRuleOut,
    RateOut,
    ReturnAnalyticsOut,
    ReturnIn,
    ReturnOut,
    ReturnPage,
    ShipBackIn,
)
from yellowcart.returns.state import ReturnStatus

router = APIRouter(tags=["returns"])
log = structlog.get_logger(__name__)
PROBLEMS = problems(s404="Unknown order or return (or not yours)", s409="Not in a state for this", s422="Invalid input")
Operator = Annotated[Principal, require(Role.OPERATOR)]


def config(app: Container) -> service.Config:
    return app.returns_config()


@router.get(
    "/v1/orders/{order_id}/return-eligibility",
    response_model=EligibilityOut,
    responses=PROBLEMS,
    summary="Line by line: what can be returned, until when, for which reasons, and why not",
)
def eligibility(order_id: PathId, app: App, who: Caller) -> EligibilityOut:
    return requests.eligibility(app, who, order_id)


@router.post(
    "/v1/orders/{order_id}/returns",
    response_model=ReturnOut,
    status_code=201,
    responses=PROBLEMS,
    summary="Request a return (auto-approved for a change of mind within the window)",
)
def request_return(order_id: PathId, body: ReturnIn, app: App, who: Caller) -> ReturnOut:
    return requests.read(app, who, requests.request_return(app, who, order_id, body))


@router.get(
    "/v1/returns", response_model=ReturnPage, responses=PROBLEMS, summary="My returns; sellers' and operators' queues"
)
def list_returns(
    app: App,
    who: Caller,
    status: ReturnStatus | None = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ReturnPage:
    with app.db.transaction() as session:
        rows = service.list_returns(
            session, principal=who, status=status, after_id=decode_cursor(cursor), limit=limit + 1
        )
        items = [ReturnOut.model_validate(r) for r in rows[:limit]]
    return ReturnPage(items=items, next_cursor=next_cursor(items, len(rows) > limit))


@router.get("/v1/returns/{return_id}", response_model=ReturnOut, responses=PROBLEMS)
def get_return(return_id: PathId, app: App, who: Caller) -> ReturnOut:
    return requests.read(app, who, return_id)


@router.post(
    "/v1/returns/{return_id}/decision",
    response_model=ReturnOut,
    responses=PROBLEMS,
    summary="Approve, or reject with a reason (the seller for seller-fulfilled orders; operators)",
)
def decide(return_id: PathId, body: DecisionIn, app: App, who: Caller) -> ReturnOut:
    requests.decide(app, who, return_id, approve=body.approve, note=body.note)
    return requests.read(app, who, return_id)


@router.post(
    "/v1/returns/{return_id}/label", response_model=ReturnOut, responses=PROBLEMS, summary="Get the return label"
)
def label(return_id: PathId, app: App, who: Caller) -> ReturnOut:
    requests.buy_label(app, who, return_id)
    return requests.read(app, who, return_id)


@router.post(
    "/v1/returns/{return_id}/ship",
    response_model=ReturnOut,
    responses=PROBLEMS,
    summary="Sent back: with the label, or the shopper's own carrier and tracking number",
)
def ship_back(return_id: PathId, body: ShipBackIn, app: App, who: Caller) -> ReturnOut:
    with app.db.transaction() as session:
        ret = service.mark_shipped(
            session, principal=who, return_id=return_id, carrier=body.carrier,
            tracking_number=body.tracking_number, now=utcnow(),
        )  # fmt: skip
        return ReturnOut.model_validate(ret)


@router.post(
    "/v1/returns/{return_id}/cancel", response_model=ReturnOut, responses=PROBLEMS, summary="Withdraw a return"
)
def cancel(return_id: PathId, app: App, who: Caller) -> ReturnOut:
    with app.db.transaction() as session:
        return ReturnOut.model_validate(service.cancel(session, principal=who, return_id=return_id, now=utcnow()))


@router.post(
    "/v1/returns/{return_id}/receive",
    response_model=ReturnOut,
    responses=PROBLEMS,
    summary="At the warehouse (the refund is due within 5 business days)",
)
def receive(return_id: PathId, app: App, who: Caller) -> ReturnOut:
    with app.db.transaction() as session:
        ret = service.receive(session, principal=who, return_id=return_id, now=utcnow(), config=config(app))
        return ReturnOut.model_validate(ret)


@router.post(
    "/v1/returns/{return_id}/inspection",
    response_model=ReturnOut,
    responses=PROBLEMS,
    summary="Grade each line (A-D): disposition, recovery, then the refund; or reject an empty/wrong box",
)
def inspect(return_id: PathId, body: InspectionIn, app: App, who: Caller) -> ReturnOut:
    with app.db.transaction() as session:
        ret = inspection.inspect(
            session, principal=who, return_id=return_id, outcome=body.outcome, grades=body.grades,
            note=body.note, provider=app.provider, now=utcnow(), config=config(app),
        )  # fmt: skip
        return ReturnOut.model_validate(ret)


@router.get("/v1/operator/return-policy-rules", response_model=list[PolicyRuleOut], responses=PROBLEMS)
def list_rules(app: App, who: Operator) -> list[PolicyRuleOut]:
    with app.db.transaction() as session:
        return [PolicyRuleOut.model_validate(r) for r in rules_admin.list_rules(session)]


@router.put(
    "/v1/operator/return-policy-rules",
    response_model=PolicyRuleOut,
    responses=PROBLEMS,
    summary="Create or replace the override for a mode, a category path or a seller",
)
def put_rule(body: PolicyRuleIn, app: App, who: Operator) -> PolicyRuleOut:
    with app.db.transaction() as session:
        rule = rules_admin.upsert_rule(session, principal=who, scope=body.scope, key=body.key, settings=body.settings)
        return PolicyRuleOut.model_validate(rule)


@router.delete("/v1/operator/return-policy-rules/{rule_id}", status_code=204, responses=PROBLEMS)
def delete_rule(rule_id: PathId, app: App, who: Operator) -> None:
    with app.db.transaction() as session:
        rules_admin.delete_rule(session, rule_id=rule_id)


def _rate(r: analytics.Rate) -> RateOut:
    return RateOut(
        key=r.key, sold_units=r.sold_units, returned_units=r.returned_units, sold_cents=r.sold_cents,
        returned_cents=r.returned_cents, unit_rate=r.unit_rate, value_rate=r.value_rate,
    )  # fmt: skip


def _analytics(
    app: Container, since: dt.datetime | None, until: dt.datetime | None, seller_id: int | None
) -> ReturnAnalyticsOut:
    until = until or utcnow()
    since = since or until - dt.timedelta(days=30)
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidInput("from and to need a UTC offset (e.g. 2026-11-01T00:00:00Z).", field="from")
    if since >= until or until - since > dt.timedelta(days=366):
        raise InvalidInput("from must be before to, at most a year apart.", field="from")
    with app.db.transaction() as session:
        rep = analytics.report(session, since=since, until=until, seller_id=seller_id)
    return ReturnAnalyticsOut(
        since=since, until=until, seller_id=seller_id, total=_rate(rep.total),
        by_department=[_rate(r) for r in rep.by_department], by_seller=[_rate(r) for r in rep.by_seller],
        by_mode=[_rate(r) for r in rep.by_mode], by_reason=[_rate(r) for r in rep.by_reason],
        by_lateness=[_rate(r) for r in rep.by_lateness], returns=rep.returns, refund_cents=rep.refund_cents,
        recovery_cents=rep.recovery_cents, net_loss_cents=rep.net_loss_cents,
        hours_to_refund_p50=rep.hours_to_refund_p50, hours_to_refund_p90=rep.hours_to_refund_p90,
    )  # fmt: skip


Since = Annotated[dt.datetime | None, Query(alias="from", description="Orders placed from (default: 30 days ago)")]
Until = Annotated[dt.datetime | None, Query(alias="to", description="Orders placed before (default: now)")]


@router.get(
    "/v1/operator/returns/analytics",
    response_model=ReturnAnalyticsOut,
    responses=PROBLEMS,
    summary="Return rates by department, seller, mode, reason and lateness; net loss; time to refund",
)
def operator_analytics(app: App, who: Operator, since: Since = None, until: Until = None) -> ReturnAnalyticsOut:
    return _analytics(app, since, until, None)


@router.get(
    "/v1/sellers/{seller_id}/returns/analytics",
    response_model=ReturnAnalyticsOut,
    responses=PROBLEMS,
    summary="A seller's own return analytics (the seller; operators)",
)
def seller_analytics(
    seller_id: PathId, app: App, who: Caller, since: Since = None, until: Until = None
) -> ReturnAnalyticsOut:
    if not who.is_operator and not (who.role is Role.SELLER and who.seller_id == seller_id):
        raise NotFound(f"Seller {seller_id} does not exist.")
    return _analytics(app, since, until, seller_id)
