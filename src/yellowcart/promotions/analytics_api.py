"""Promotion analytics endpoints: the figures as JSON and as a chart (operators, or the promotion's seller)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from yellowcart.db import utcnow
from yellowcart.http import App, Caller, PathId, problems
from yellowcart.promotions import analytics, analytics_chart
from yellowcart.promotions.analytics_schemas import PromotionAnalyticsOut

router = APIRouter(tags=["promotions"])
PROBLEMS = problems(s404="Unknown promotion (or another seller's)")


@router.get(
    "/v1/promotions/{promotion_id}/analytics",
    response_model=PromotionAnalyticsOut,
    responses=PROBLEMS,
    summary="A promotion's redemptions, discount cost by funder, GMV, and incremental GMV against its hold-out",
)
def get_analytics(promotion_id: PathId, app: App, who: Caller) -> PromotionAnalyticsOut:
    with app.db.transaction() as session:
        return analytics.promotion_analytics(session, principal=who, promotion_id=promotion_id, now=utcnow())


@router.get(
    "/v1/promotions/{promotion_id}/analytics.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}, **PROBLEMS},
    summary="A promotion's analytics as a chart (SVG rendered on the server)",
)
def get_analytics_chart(promotion_id: PathId, app: App, who: Caller) -> Response:
    with app.db.transaction() as session:
        found = analytics.promotion_analytics(session, principal=who, promotion_id=promotion_id, now=utcnow())
    return Response(analytics_chart.render(found), media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
