"""Sellers' templates and quick replies, and a seller's customer-service numbers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.db import MAX_ID, utcnow
from yellowcart.http import App, PathId, problems, require
from yellowcart.support import stats, templates
from yellowcart.support.models import TemplateKind
from yellowcart.support.placeholders import PLACEHOLDERS
from yellowcart.support.schemas import RateOut, SupportStatsOut, TemplateIn, TemplateList, TemplateOut

router = APIRouter(tags=["customer service"])
PROBLEMS = problems(s403="Not a seller or operator account", s404="Unknown template or seller (or not yours)")
Manager = Annotated[Principal, require(Role.SELLER, Role.OPERATOR)]
SellerParam = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Operators: whose templates")]


@router.get("/v1/support/templates", response_model=TemplateList, responses=PROBLEMS,
            summary="My templates and quick replies, with the placeholders they may use")  # fmt: skip
def list_templates(
    app: App, who: Manager, kind: TemplateKind | None = None, seller_id: SellerParam = None
) -> TemplateList:
    with app.db.transaction() as session:
        rows = templates.list_templates(session, principal=who, seller_id=seller_id, kind=kind)
        return TemplateList(items=[TemplateOut.model_validate(t) for t in rows], placeholders=PLACEHOLDERS)


@router.post("/v1/support/templates", response_model=TemplateOut, status_code=201,
             responses=problems(s403="Not a seller or operator account", s409="A template with this title exists"),
             summary="Create a template or quick reply (placeholders are checked)")  # fmt: skip
def create_template(body: TemplateIn, app: App, who: Manager) -> TemplateOut:
    with app.db.transaction() as session:
        made = templates.create_template(
            session, principal=who, seller_id=body.seller_id, kind=body.kind, title=body.title, body=body.body,
            shortcut=body.shortcut,
        )  # fmt: skip
        return TemplateOut.model_validate(made)


@router.get("/v1/support/templates/{template_id}", response_model=TemplateOut, responses=PROBLEMS,
            summary="One template")  # fmt: skip
def get_template(template_id: PathId, app: App, who: Manager) -> TemplateOut:
    with app.db.transaction() as session:
        return TemplateOut.model_validate(templates.get_template(session, principal=who, template_id=template_id))


@router.put("/v1/support/templates/{template_id}", response_model=TemplateOut,
            responses=problems(s404="Unknown template (or not yours)", s409="A template with this title exists"),
            summary="Change a template")  # fmt: skip
def update_template(template_id: PathId, body: TemplateIn, app: App, who: Manager) -> TemplateOut:
    with app.db.transaction() as session:
        changed = templates.update_template(
            session, principal=who, template_id=template_id, kind=body.kind, title=body.title, body=body.body,
            shortcut=body.shortcut,
        )  # fmt: skip
        return TemplateOut.model_validate(changed)


@router.delete("/v1/support/templates/{template_id}", status_code=204, responses=PROBLEMS, summary="Delete a template")
def delete_template(template_id: PathId, app: App, who: Manager) -> Response:
    with app.db.transaction() as session:
        templates.delete_template(session, principal=who, template_id=template_id)
    return Response(status_code=204)


@router.get(
    "/v1/sellers/{seller_id}/support-stats",
    response_model=SupportStatsOut,
    responses=problems(s403="Not a seller or operator account", s404="Unknown seller (or another seller's)"),
    summary="A seller's customer service over a window: first responses within the SLA, resolution times",
)
def seller_stats(
    seller_id: PathId, app: App, who: Manager, window_days: Annotated[int, Query(ge=1, le=365)] = 30
) -> SupportStatsOut:
    with app.db.transaction() as session:
        found = stats.seller_stats(session, principal=who, seller_id=seller_id, now=utcnow(), window_days=window_days)
    rate = found.first_response
    return SupportStatsOut(
        seller_id=found.seller_id,
        since=found.since,
        until=found.until,
        first_response=RateOut(
            count=rate.count,
            total=rate.total,
            rate=rate.value,
            threshold=rate.threshold.per_mille / 1000,
            breached=rate.breached,
        ),
        first_response_hours=app.support.config.first_response_hours,
        median_first_response_minutes=found.median_first_response_minutes,
        resolved=found.resolved,
        median_resolution_hours=found.median_resolution_hours,
        open=found.open,
        breaches=found.breaches,
    )
