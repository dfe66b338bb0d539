"""The operations console (operators only): the platform dashboard, the seller applications queue, the SLA
dashboard and the risk review queue with appeals.

Like the shopper's app (:mod:`shop`): pages call the domain services in process (never the HTTP API),
with the operator's own principal, so the services' checks and audit records are the API's. Every page
depends on :data:`session.Operator` (a sign-in redirect, or a 403 page for any other role); every write is
a CSRF-checked form (:data:`session.Form`) validated with the API's own request schemas, answered with a
303 back to the page (a notice in the query) or the page again with what went wrong.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from yellowcart.analytics import service as analytics
from yellowcart.analytics.metrics import SortKey, total
from yellowcart.auth.models import Role, User
from yellowcart.catalog import custody
from yellowcart.catalog.custody_api import offer_out as custody_out
from yellowcart.catalog.custody_models import OfferStatus
from yellowcart.catalog.custody_schemas import AcceptIn, CounterIn, RejectIn
from yellowcart.db import utcnow
from yellowcart.errors import DomainError, InvalidInput
from yellowcart.fulfillment import capacity, health
from yellowcart.fulfillment.models import CapacityUsage, Shipment, ShipmentStatus, SlaIncident, SlaKind
from yellowcart.http import PathId
from yellowcart.inventory.models import Warehouse
from yellowcart.orders.models import Order, OrderLine
from yellowcart.orders.state import OrderStatus
from yellowcart.redirect import cutover
from yellowcart.redirect.cutover_state import MARKET_PATTERN
from yellowcart.redirect.schemas import CutoverIn, CutoverOut
from yellowcart.returns import analytics as returns_analytics
from yellowcart.returns import inspection
from yellowcart.returns import requests as return_requests
from yellowcart.returns import service as returns_service
from yellowcart.returns.disposition import Grade
from yellowcart.returns.schemas import DecisionIn as ReturnDecisionIn
from yellowcart.returns.schemas import InspectionIn, ReturnOut
from yellowcart.returns.state import ReturnStatus
from yellowcart.risk import appeals, cases
from yellowcart.risk.case_models import ActionKind, AppealStatus, CaseStatus, RiskAppeal, RiskCase
from yellowcart.risk.case_schemas import AppealDecisionIn, CaseEventOut
from yellowcart.risk.case_schemas import DecisionIn as CaseDecisionIn
from yellowcart.sellers import onboarding, review
from yellowcart.sellers.models import ApplicationStatus, Seller, SellerApplication
from yellowcart.sellers.onboarding_schemas import DecisionIn as ApplicationDecisionIn
from yellowcart.sellers.onboarding_views import application_out
from yellowcart.support import conversations
from yellowcart.support.models import ConversationStatus
from yellowcart.web import ops_charts
from yellowcart.web import session as web
from yellowcart.web.pages import app_of, render, render_problem

router = APIRouter(include_in_schema=False)
WINDOW_DAYS = 30
QUEUE_LIMIT = 100
CACHE_TTL = dt.timedelta(seconds=60)
T = TypeVar("T")
#: Delivery time (order paid to parcel delivered) in whole days: the histogram's buckets.
DELIVERY_BUCKETS = ("≤1 d", "2 d", "3 d", "4 d", "5 d", "6-7 d", "8+ d")
NOTICES = {
    "approve": "Application approved: the seller is active.",
    "reject": "Application rejected.",
    "request_info": "More information requested from the seller.",
    "decided": "Decision recorded.",
    "uphold": "Appeal decided: the action stands.",
    "overturn": "Appeal decided: the action is lifted.",
    "offer_accept": "Offer accepted: the SKU is priced.",
    "offer_counter": "Counter-offer sent to the seller.",
    "offer_reject": "Offer rejected.",
    "return_approved": "Return approved: the shopper gets a label.",
    "return_rejected": "Return rejected.",
    "return_inspected": "Inspection recorded: dispositions set and the refund issued.",
    "cutover_scheduled": "Cutover scheduled: sellers see the countdown.",
    "cutover_cancelled": "Cutover cancelled: redirect links keep working.",
}


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _notice(done: str) -> str | None:
    return NOTICES.get(done[:32])


def _errors(err: ValidationError) -> str:
    """A pydantic error list as one sentence for the page."""
    parts = []
    for e in err.errors():
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "__root__")
        message = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def _seller_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Seller.id, Seller.name).where(Seller.id.in_(sorted(ids)))).all())


def _window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    until = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return until - dt.timedelta(days=WINDOW_DAYS), until


# ---- dashboard --------------------------------------------------------------------------------------------


def _daily_gmv(session: Session, since: dt.datetime, until: dt.datetime) -> list[tuple[dt.date, int]]:
    """GMV per UTC day (the analytics definition: goods paid, orders not cancelled), every day present."""
    rows = session.execute(
        select(Order.paid_at, func.sum(OrderLine.line_subtotal_cents - OrderLine.line_discount_cents))
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.paid_at >= since, Order.paid_at < until, Order.status != OrderStatus.CANCELLED)
        .group_by(Order.id, Order.paid_at)
    )
    by_day: Counter[dt.date] = Counter()
    for paid_at, cents in rows:
        if paid_at is None:
            continue
        by_day[paid_at.astimezone(dt.UTC).date()] += int(cents or 0)
    days = (until - since).days
    return [(d, by_day[d]) for d in (since.date() + dt.timedelta(days=i) for i in range(days))]


def _delivery_times(session: Session, since: dt.datetime, until: dt.datetime) -> list[tuple[str, int]]:
    """Parcels delivered in the window by days from payment to delivery."""
    rows = session.execute(
        select(Order.paid_at, Shipment.delivered_at)
        .join(Order, Order.id == Shipment.order_id)
        .where(Shipment.delivered_at >= since, Shipment.delivered_at < until, Order.paid_at.is_not(None))
    )
    counts = [0] * len(DELIVERY_BUCKETS)
    for paid_at, delivered_at in rows:
        if paid_at is None or delivered_at is None:
            continue
        days = max((delivered_at - paid_at).total_seconds() / 86_400, 0)
        whole = int(-(-days // 1))  # a parcel delivered within a day counts as 1 day
        index = 0 if whole <= 1 else whole - 1 if whole <= 5 else 5 if whole <= 7 else 6
        counts[index] += 1
    return list(zip(DELIVERY_BUCKETS, counts, strict=True))


def _percentile(buckets: Sequence[tuple[str, int]], share: float) -> str:
    """The bucket the ``share``-th parcel falls in (e.g. 0.9: nine in ten arrive within it)."""
    total_count = sum(n for _, n in buckets)
    if not total_count:
        return "n/a"
    seen = 0
    for name, n in buckets:
        seen += n
        if seen >= share * total_count:
            return name
    return buckets[-1][0]


def _cached(
    request: Request, name: str, key: object, now: dt.datetime, compute: Callable[[], T]
) -> tuple[T, dt.datetime]:
    """``compute()``, kept for :data:`CACHE_TTL` per app (one value per ``name``: nothing piles up); returns
    the value and when it was computed. For the platform-wide reads that cost most on the demo market: the
    analytics service counts feed impressions over the whole interaction log, seller health runs a few
    queries per seller. The same for every operator, and a minute old is as good on a dashboard."""
    store: dict[str, tuple[object, dt.datetime, Any]] | None = getattr(request.app.state, "ops_cache", None)
    if store is None:
        store = request.app.state.ops_cache = {}
    hit = store.get(name)
    if hit is not None and hit[0] == key and dt.timedelta(0) <= now - hit[1] < CACHE_TTL:
        return cast(T, hit[2]), hit[1]
    value = compute()
    store[name] = (key, now, value)
    return value, now


@router.get("/ops", response_class=HTMLResponse)
def dashboard(request: Request, user: web.Operator) -> Response:
    now = utcnow()
    since, until = _window(now)
    with app_of(request).db.transaction() as session:
        sellers, as_of = _cached(
            request,
            "figures",
            (since, until),
            now,
            lambda: analytics.all_sellers(
                session, principal=user.principal, window=analytics.Window(since, until), sort=SortKey.GMV,
                descending=True,
            ),
        )  # fmt: skip
        platform = total(s.total for s in sellers)
        returns = returns_analytics.report(session, since=since, until=until)
        daily = _daily_gmv(session, since, until)
        delivery = _delivery_times(session, since, until)
        pending = {
            "applications": session.scalar(
                select(func.count())
                .select_from(SellerApplication)
                .where(SellerApplication.status == ApplicationStatus.SUBMITTED)
            ),
            "cases": session.scalar(
                select(func.count()).select_from(RiskCase).where(RiskCase.status == CaseStatus.OPEN)
            ),
            "appeals": session.scalar(
                select(func.count()).select_from(RiskAppeal).where(RiskAppeal.status == AppealStatus.PENDING)
            ),
        }
    context = {
        "as_of": as_of,
        "since": since.date(),
        "until": (until - dt.timedelta(days=1)).date(),
        "platform": platform,
        "returns": returns,
        "top": sellers[:10],
        "gmv_chart": ops_charts.daily_gmv(daily),
        "delivery_chart": ops_charts.histogram(delivery, what="Parcels by days from payment to delivery"),
        "delivery": delivery,
        "delivery_p50": _percentile(delivery, 0.5),
        "delivery_p90": _percentile(delivery, 0.9),
        "pending": pending,
    }
    return render(request, "ops_dashboard.html", context)


# ---- seller applications ------------------------------------------------------------------------------------


@router.get("/ops/applications", response_class=HTMLResponse)
def applications(request: Request, user: web.Operator, status: str = "", done: str = "") -> Response:
    chosen = [s for s in (ApplicationStatus.SUBMITTED, ApplicationStatus.NEEDS_INFO) if s.value == status]
    statuses = chosen or [ApplicationStatus.SUBMITTED, ApplicationStatus.NEEDS_INFO]
    with app_of(request).db.transaction() as session:
        rows = review.review_queue(session, statuses=statuses, limit=QUEUE_LIMIT)
        names, reuse = review.seller_names(session, rows), review.reuse_of(session, rows)
        items = [
            {
                "a": a,
                "seller": names.get(a.seller_id, ""),
                "reuse": reuse.get(a.id),
                "failing": [r for r in a.evaluation or [] if not r.get("passed")],
            }
            for a in rows
        ]
    context = {"items": items, "status": chosen[0].value if chosen else "", "notice": _notice(done)}
    return render(request, "ops_applications.html", context)


def _application_page(
    request: Request, user: web.WebUser, application_id: int, *, error: str | None = None, status_code: int = 200
) -> Response:
    with app_of(request).db.transaction() as session:
        try:
            found = onboarding.get_application(session, principal=user.principal, application_id=application_id)
        except DomainError as err:
            return render_problem(request, err.status, err.title, err.detail)
        detail = application_out(review.details(session, application=found, for_operator=True))
    context = {"app": detail, "error": error, "notice": _notice(str(request.query_params.get("done", "")))}
    return render(request, "ops_application.html", context, status_code)


@router.get("/ops/applications/{application_id}", response_class=HTMLResponse)
def application_page(request: Request, application_id: PathId, user: web.Operator) -> Response:
    return _application_page(request, user, application_id)


@router.post("/ops/applications/{application_id}/decision", response_class=HTMLResponse)
def decide_application(request: Request, application_id: PathId, user: web.Operator, form: web.Form) -> Response:
    reason = web.field(form, "reason", limit=500)
    try:
        body = ApplicationDecisionIn.model_validate({"decision": web.field(form, "decision"), "reason": reason or None})
    except ValidationError as err:
        return _application_page(request, user, application_id, error=_errors(err), status_code=422)
    try:
        with app_of(request).db.transaction() as session:
            review.decide(
                session, principal=user.principal, application_id=application_id, decision=body.decision,
                reason=body.reason, now=utcnow(),
            )  # fmt: skip
    except DomainError as err:
        return _application_page(request, user, application_id, error=err.detail, status_code=err.status)
    return _see_other(f"/ops/applications?done={body.decision.value}")


# ---- full-custody price checks ----------------------------------------------------------------------------


def _cents(text: str) -> int | str:
    """Dollars as typed ("12", "12.5", "$1,234.99") to cents; the text itself when it is not an amount (the
    schema then refuses it with the field's name)."""
    cleaned = text.strip().removeprefix("$").replace(",", "")
    whole, _, frac = cleaned.partition(".")
    if not whole.isdigit() or len(whole) > 9 or not (frac == "" or (frac.isdigit() and len(frac) <= 2)):
        return text
    return int(whole) * 100 + int(frac.ljust(2, "0") or 0)


def _price_checks_page(
    request: Request, user: web.WebUser, *, notice: str | None = None, error: str | None = None, status_code: int = 200
) -> Response:
    app = app_of(request)
    minimum = app.settings.custody_min_margin_bps
    with app.db.transaction() as session:
        rows = custody.list_offers(session, principal=user.principal, status=OfferStatus.OPEN, limit=QUEUE_LIMIT)
        offers = [custody_out(v, minimum) for v in rows]
        names = _seller_names(session, {o.seller_id for o in offers})
    context = {"offers": offers, "names": names, "min_margin_bps": minimum, "notice": notice, "error": error}
    return render(request, "ops_price_checks.html", context, status_code)


@router.get("/ops/price-checks", response_class=HTMLResponse)
def price_checks(request: Request, user: web.Operator, done: str = "") -> Response:
    """The price-check queue: open supply offers of full-custody SKUs, newest first."""
    return _price_checks_page(request, user, notice=_notice(done))


@router.post("/ops/price-checks/{offer_id}", response_class=HTMLResponse)
def decide_price_check(request: Request, offer_id: PathId, user: web.Operator, form: web.Form) -> Response:
    """One form per offer; its ``action`` button says accept, counter or reject."""
    app = app_of(request)
    action = web.field(form, "action", limit=16)
    reason = web.field(form, "reason", limit=500) or None
    override = web.field(form, "override_margin") == "on"
    now, minimum = utcnow(), app.settings.custody_min_margin_bps
    try:
        with app.db.transaction() as session:
            if action == "accept":
                accept = AcceptIn.model_validate(
                    {"price_cents": _cents(web.field(form, "price")), "override_margin": override, "reason": reason}
                )
                custody.accept_offer(
                    session, principal=user.principal, offer_id=offer_id, price_cents=accept.price_cents,
                    min_margin_bps=minimum, override_margin=accept.override_margin, reason=accept.reason, now=now,
                )  # fmt: skip
            elif action == "counter":
                counter = CounterIn.model_validate(
                    {
                        "supply_price_cents": _cents(web.field(form, "counter_supply")),
                        "price_cents": _cents(web.field(form, "price")),
                        "override_margin": override,
                        "reason": reason,
                    }
                )
                custody.counter_offer(
                    session, principal=user.principal, offer_id=offer_id,
                    supply_price_cents=counter.supply_price_cents, price_cents=counter.price_cents,
                    min_margin_bps=minimum, override_margin=counter.override_margin, reason=counter.reason, now=now,
                )  # fmt: skip
            elif action == "reject":
                rejected = RejectIn.model_validate({"reason": reason})
                custody.reject_offer(
                    session, principal=user.principal, offer_id=offer_id, reason=rejected.reason, now=now
                )
            else:
                return render_problem(request, 422, "Unknown action", "Accept, counter or reject.")
    except ValidationError as err:
        return _price_checks_page(request, user, error=f"Offer #{offer_id}: {_errors(err)}", status_code=422)
    except DomainError as err:
        return _price_checks_page(request, user, error=f"Offer #{offer_id}: {err.detail}", status_code=err.status)
    return _see_other(f"/ops/price-checks?done=offer_{action}")


# ---- SLA ----------------------------------------------------------------------------------------------------


def _warehouse_sla(session: Session, since: dt.datetime) -> list[dict[str, Any]]:
    """Per warehouse: parcels created in the window, and SLA incidents of each kind detected in it."""
    shipped = dict(
        session.execute(
            select(Shipment.warehouse_id, func.count())
            .where(Shipment.created_at >= since, Shipment.status != ShipmentStatus.CANCELLED)
            .group_by(Shipment.warehouse_id)
        ).all()
    )
    incidents: dict[int, Counter[str]] = {}
    rows = session.execute(
        select(Shipment.warehouse_id, SlaIncident.kind, func.count())
        .join(Shipment, Shipment.id == SlaIncident.shipment_id)
        .where(SlaIncident.detected_at >= since)
        .group_by(Shipment.warehouse_id, SlaIncident.kind)
    )
    for warehouse_id, kind, n in rows:
        incidents.setdefault(warehouse_id, Counter())[SlaKind(kind).value] += int(n)
    ids = sorted(set(shipped) | set(incidents))
    houses = {w.id: w for w in session.scalars(select(Warehouse).where(Warehouse.id.in_(ids)))} if ids else {}
    return [
        {"warehouse": houses.get(i), "id": i, "parcels": int(shipped.get(i, 0)), "incidents": incidents.get(i, {})}
        for i in ids
    ]


@router.get("/ops/sla", response_class=HTMLResponse)
def sla_page(request: Request, user: web.Operator) -> Response:
    now = utcnow()
    since = now - dt.timedelta(days=WINDOW_DAYS)
    with app_of(request).db.transaction() as session:
        found, as_of = _cached(
            request,
            "health",
            WINDOW_DAYS,
            now,
            lambda: health.all_seller_health(
                session, principal=user.principal, now=now, window_days=WINDOW_DAYS, breached_only=False
            ),
        )
        names = _seller_names(session, {h.seller_id for h in found})
        lost = dict(
            session.execute(
                select(SlaIncident.seller_id, func.count())
                .where(SlaIncident.kind == SlaKind.LOST_PARCEL, SlaIncident.detected_at >= since)
                .group_by(SlaIncident.seller_id)
            ).all()
        )
        warehouses = _warehouse_sla(session, since)
    ranked = sorted(found, key=lambda h: (-len(h.breaches), names.get(h.seller_id, "")))  # breaches first
    sellers = [{"h": h, "name": names.get(h.seller_id, ""), "lost": int(lost.get(h.seller_id, 0))} for h in ranked]
    context = {"sellers": sellers, "warehouses": warehouses, "days": WINDOW_DAYS, "as_of": as_of}
    return render(request, "ops_sla.html", context)


# ---- returns and escalated conversations ---------------------------------------------------------------------


@router.get("/ops/returns", response_class=HTMLResponse)
def returns_queue(request: Request, user: web.Operator, done: str = "") -> Response:
    return _returns_page(request, user, notice=_notice(done))


def _returns_page(
    request: Request, user: web.WebUser, *, notice: str | None = None, error: str | None = None, status_code: int = 200
) -> Response:
    """Requests waiting for an answer, parcels at the warehouse waiting for inspection (grade, disposition,
    refund), and the conversations escalated to operators."""
    with app_of(request).db.transaction() as session:
        pending, received = (
            [
                ReturnOut.model_validate(r)
                for r in returns_service.list_returns(
                    session, principal=user.principal, status=status, after_id=None, limit=QUEUE_LIMIT
                )
            ]
            for status in (ReturnStatus.REQUEST_PENDING, ReturnStatus.RECEIVED)
        )
        escalated = conversations.list_conversations(
            session,
            principal=user.principal,
            filters=conversations.Filters(status=ConversationStatus.OPEN, escalated=True),
            before_id=None,
            limit=QUEUE_LIMIT,
        )
        names = _seller_names(session, {r.seller_id for r in [*pending, *received]} | {c.seller_id for c in escalated})
    context = {
        "pending": pending,
        "received": received,
        "escalated": escalated,
        "names": names,
        "grades": [g.value for g in Grade],
        "notice": notice,
        "error": error,
    }
    return render(request, "ops_returns.html", context, status_code)


@router.post("/ops/returns/{return_id}/decision", response_class=HTMLResponse)
def decide_return(request: Request, return_id: PathId, user: web.Operator, form: web.Form) -> Response:
    """Approve (a return label is bought on the platform's behalf) or reject with a note."""
    app = app_of(request)
    try:
        body = ReturnDecisionIn.model_validate(
            {"approve": web.field(form, "decision") == "approve", "note": web.field(form, "note") or None}
        )
        return_requests.decide(app, user.principal, return_id, approve=body.approve, note=body.note)
    except ValidationError as err:
        return _returns_page(request, user, error=f"Return #{return_id}: {_errors(err)}", status_code=422)
    except DomainError as err:
        return _returns_page(request, user, error=f"Return #{return_id}: {err.detail}", status_code=err.status)
    return _see_other(f"/ops/returns?done={'return_approved' if body.approve else 'return_rejected'}")


@router.post("/ops/returns/{return_id}/inspection", response_class=HTMLResponse)
def inspect_return(request: Request, return_id: PathId, user: web.Operator, form: web.Form) -> Response:
    """Grade each line (``grade_<order_line_id>``): its disposition and recovery follow, then the refund."""
    app = app_of(request)
    grades = {
        key.removeprefix("grade_"): value
        for key, value in form.items()
        if key.startswith("grade_") and isinstance(value, str) and value
    }
    try:
        body = InspectionIn.model_validate(
            {
                "outcome": web.field(form, "outcome") or "accepted",
                "grades": grades,
                "note": web.field(form, "note") or None,
            }
        )
        with app.db.transaction() as session:
            inspection.inspect(
                session, principal=user.principal, return_id=return_id, outcome=body.outcome, grades=body.grades,
                note=body.note, provider=app.provider, now=utcnow(), config=app.returns_config(),
            )  # fmt: skip
    except ValidationError as err:
        return _returns_page(request, user, error=f"Return #{return_id}: {_errors(err)}", status_code=422)
    except DomainError as err:
        return _returns_page(request, user, error=f"Return #{return_id}: {err.detail}", status_code=err.status)
    return _see_other("/ops/returns?done=return_inspected")


# ---- risk cases and appeals -----------------------------------------------------------------------------------


def _subjects(session: Session, rows: Sequence[Any]) -> dict[str, str]:
    """Display names of the cases' subjects: ``seller:<id>`` and ``user:<id>``."""
    seller_ids = {r.seller_id for r in rows if r.seller_id}
    user_ids = {r.user_id for r in rows if r.user_id}
    out: dict[str, str] = {}
    if seller_ids:
        query = select(Seller.id, Seller.name).where(Seller.id.in_(sorted(seller_ids)))
        out.update({f"seller:{i}": n for i, n in session.execute(query)})
    if user_ids:
        query = select(User.id, User.display_name).where(User.id.in_(sorted(user_ids)))
        out.update({f"user:{i}": n for i, n in session.execute(query)})
    return out


def _subject(row: Any, names: dict[str, str]) -> str:
    key = f"seller:{row.seller_id}" if row.seller_id else f"user:{row.user_id}"
    kind, ident = key.split(":")
    return f"{names.get(key) or kind} ({kind} {ident})"


@router.get("/ops/risk", response_class=HTMLResponse)
def risk_queue(request: Request, user: web.Operator, status: str = "open", done: str = "") -> Response:
    chosen = next((s for s in CaseStatus if s.value == status), None)
    with app_of(request).db.transaction() as session:
        rows = cases.list_cases(session, status=chosen, limit=QUEUE_LIMIT)
        by_case = cases.actions_by_case(session, [c.id for c in rows])
        pending = appeals.list_appeals(session, status=AppealStatus.PENDING, limit=QUEUE_LIMIT)
        names = _subjects(session, rows)
        items = [
            {"c": c, "subject": _subject(c, names), "awaiting": cases.awaiting_decision(c, by_case[c.id])} for c in rows
        ]
    context = {
        "items": items,
        "appeals": pending,
        "status": chosen.value if chosen else "",
        "statuses": [s.value for s in CaseStatus],
        "notice": _notice(done),
    }
    return render(request, "ops_risk.html", context)


def _case_page(
    request: Request, user: web.WebUser, case_id: int, *, error: str | None = None, status_code: int = 200
) -> Response:
    with app_of(request).db.transaction() as session:
        try:
            detail = cases.case_detail(session, case_id=case_id)
        except DomainError as err:
            return render_problem(request, err.status, err.title, err.detail)
        documents = appeals.documents_of(session, [a.id for a in detail.appeals])
        names = _subjects(session, [detail.case])
        context = {
            "c": detail.case,
            "subject": _subject(detail.case, names),
            "awaiting": cases.awaiting_decision(detail.case, detail.actions),
            "events": [CaseEventOut.model_validate(e) for e in detail.events],
            "actions": detail.actions,
            "appeals": [(a, documents.get(a.id, [])) for a in detail.appeals],
            "levels": [k.value for k in ActionKind],
            "current": detail.case.status in (CaseStatus.OPEN, CaseStatus.ACTIONED),
            "error": error,
            "notice": _notice(str(request.query_params.get("done", ""))),
        }
    return render(request, "ops_case.html", context, status_code)


@router.get("/ops/risk/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: PathId, user: web.Operator) -> Response:
    return _case_page(request, user, case_id)


@router.post("/ops/risk/cases/{case_id}/decision", response_class=HTMLResponse)
def decide_case(request: Request, case_id: PathId, user: web.Operator, form: web.Form) -> Response:
    decision = web.field(form, "decision", limit=16)
    raw: dict[str, Any] = {"decision": decision, "note": web.field(form, "note", limit=1000)}
    if decision == "action":
        raw["action"] = web.field(form, "action", limit=16)
    if decision == "lift":
        raw["action_id"] = web.field(form, "action_id", limit=12) or None
    try:
        body = CaseDecisionIn.model_validate(raw)
    except ValidationError as err:
        return _case_page(request, user, case_id, error=_errors(err), status_code=422)
    app = app_of(request)
    try:
        with app.db.transaction() as session:
            _, effects = cases.decide(
                session, principal=user.principal, case_id=case_id, decision=body.decision, note=body.note,
                now=utcnow(), action=body.action, action_id=body.action_id,
            )  # fmt: skip
    except DomainError as err:
        return _case_page(request, user, case_id, error=err.detail, status_code=err.status)
    if effects.tokens_revoked:
        app.tokens.clear()  # as the API does: revoked tokens stop working here at once
    return _see_other(f"/ops/risk/cases/{case_id}?done=decided")


@router.post("/ops/risk/appeals/{appeal_id}/decision", response_class=HTMLResponse)
def decide_appeal(request: Request, appeal_id: PathId, user: web.Operator, form: web.Form) -> Response:
    raw = {"outcome": web.field(form, "outcome", limit=16), "note": web.field(form, "note", limit=1000)}
    app = app_of(request)
    try:
        body = AppealDecisionIn.model_validate(raw)
    except ValidationError as err:
        with app.db.transaction() as session:
            try:
                case_id = appeals.get_appeal(session, appeal_id=appeal_id).case_id
            except DomainError as missing:
                return render_problem(request, missing.status, missing.title, missing.detail)
        return _case_page(request, user, case_id, error=_errors(err), status_code=422)
    try:
        with app.db.transaction() as session:
            appeal, effects = appeals.decide(
                session, principal=user.principal, appeal_id=appeal_id, outcome=body.outcome, note=body.note,
                now=utcnow(),
            )  # fmt: skip
            case_id = appeal.case_id
    except DomainError as err:
        return render_problem(request, err.status, err.title, err.detail)
    if effects.tokens_revoked:
        app.tokens.clear()
    return _see_other(f"/ops/risk/cases/{case_id}?done={body.outcome.value}")


# ---- warehouses and the redirect cutover ----------------------------------------------------------------------

CAPACITY_DAYS = 5
WAREHOUSE_NOTICES = {"warehouse_saved": "Warehouse settings saved: new promises and allocations use them."}


@dataclass(frozen=True, slots=True)
class WarehouseEdit:
    """A warehouse settings form that was refused: what was typed, and which field is wrong and why."""

    warehouse_id: int
    daily_capacity: str
    cutoff_local: str
    field: str | None
    message: str


@router.get("/ops/warehouses", response_class=HTMLResponse)
def warehouses(request: Request, user: web.Operator, done: str = "") -> Response:
    return _warehouses_page(request, user, notice=_notice(done) or WAREHOUSE_NOTICES.get(done[:32]))


@router.post("/ops/warehouses/{warehouse_id}/settings", response_class=HTMLResponse)
def change_warehouse_settings(request: Request, warehouse_id: PathId, user: web.Operator, form: web.Form) -> Response:
    """Daily capacity (empty: no limit) and cut-off, through the audited fulfilment service; a refused value
    shows the page again with the form open, what was typed, and the reason next to the field."""
    typed_capacity = web.field(form, "daily_capacity", limit=32)
    typed_cutoff = web.field(form, "cutoff_local", limit=16)
    try:
        schedule = capacity.parse_schedule(daily_capacity=typed_capacity, cutoff_local=typed_cutoff)
        with app_of(request).db.transaction() as session:
            capacity.change_schedule(session, principal=user.principal, warehouse_id=warehouse_id, schedule=schedule)
    except DomainError as err:
        field = err.extra.get("field")
        edit = WarehouseEdit(warehouse_id, typed_capacity, typed_cutoff, str(field) if field else None, err.detail)
        return _warehouses_page(request, user, error=err.detail, edit=edit, status_code=err.status)
    return _see_other(f"/ops/warehouses?done=warehouse_saved#warehouse-{warehouse_id}")


def _warehouses_page(
    request: Request,
    user: web.WebUser,
    *,
    notice: str | None = None,
    error: str | None = None,
    edit: WarehouseEdit | None = None,
    status_code: int = 200,
) -> Response:
    """Every warehouse with its cut-off, handling time and daily capacity against the orders booked on the
    next business days; and every market's redirect cutover with the form that schedules, moves or cancels it."""
    today = utcnow().date()
    days = [today + dt.timedelta(days=i) for i in range(CAPACITY_DAYS)]
    with app_of(request).db.transaction() as session:
        houses = session.scalars(select(Warehouse).order_by(Warehouse.operator, Warehouse.code)).all()
        booked: dict[tuple[int, dt.date], int] = {
            (w, d): int(n)
            for w, d, n in session.execute(
                select(CapacityUsage.warehouse_id, CapacityUsage.day, CapacityUsage.booked).where(
                    CapacityUsage.day >= days[0], CapacityUsage.day <= days[-1]
                )
            )
        }
        cutovers = [CutoverOut.model_validate(c) for c in cutover.list_cutovers(session, principal=user.principal)]
        rows = [{"w": w, "days": [(booked.get((w.id, d), 0), w.daily_capacity) for d in days]} for w in houses]
        owners = sorted({w.seller_id for w in houses if w.seller_id})
        names = (
            dict(session.execute(select(Seller.id, Seller.name).where(Seller.id.in_(owners))).all()) if owners else {}
        )
    context = {
        "rows": rows, "days": days, "names": names, "cutovers": cutovers, "notice": notice, "error": error,
        "edit": edit, "max_capacity": capacity.MAX_DAILY_CAPACITY,
    }  # fmt: skip
    return render(request, "ops_warehouses.html", context, status_code)


@router.post("/ops/cutovers", response_class=HTMLResponse)
def schedule_cutover(request: Request, user: web.Operator, form: web.Form) -> Response:
    """Schedule or move a market's cutover: the form's date and time are UTC."""
    market = web.field(form, "market", limit=16).upper()
    raw_at = web.field(form, "cutover_at", limit=32)
    try:
        if not re.fullmatch(MARKET_PATTERN, market):
            raise InvalidInput("A market code looks like US or US-XB.", field="market")
        body = CutoverIn.model_validate(
            {"cutover_at": f"{raw_at}+00:00" if raw_at else "", "note": web.field(form, "note", limit=300)}
        )
        with app_of(request).db.transaction() as session:
            cutover.schedule_cutover(
                session, principal=user.principal, market=market, at=body.cutover_at, note=body.note, now=utcnow()
            )
    except ValidationError as err:
        return _warehouses_page(request, user, error=_errors(err), status_code=422)
    except DomainError as err:
        return _warehouses_page(request, user, error=err.detail, status_code=err.status)
    return _see_other("/ops/warehouses?done=cutover_scheduled")


@router.post("/ops/cutovers/{market}/cancel", response_class=HTMLResponse)
def cancel_cutover(request: Request, market: str, user: web.Operator, form: web.Form) -> Response:
    try:
        if not re.fullmatch(MARKET_PATTERN, market):
            raise InvalidInput("A market code looks like US or US-XB.", field="market")
        with app_of(request).db.transaction() as session:
            cutover.cancel_cutover(session, principal=user.principal, market=market, now=utcnow())
    except DomainError as err:
        return _warehouses_page(request, user, error=err.detail, status_code=err.status)
    return _see_other("/ops/warehouses?done=cutover_cancelled")


@router.get("/ops/risk/appeals/{appeal_id}/documents/{document_id}")
def appeal_document(request: Request, appeal_id: PathId, document_id: PathId, user: web.Operator) -> Response:
    """An appeal's uploaded document, as the API serves it: an attachment, never rendered inline."""
    with app_of(request).db.transaction() as session:
        try:
            row = appeals.document(session, appeal_id=appeal_id, document_id=document_id)
        except DomainError as err:
            return render_problem(request, err.status, err.title, err.detail)
        data, kind, name = row.data, row.content_type, row.filename
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    return Response(data, media_type=kind, headers=headers)


web.HOME_BY_ROLE[Role.OPERATOR] = "/ops"  # where an operator's sign-in lands
