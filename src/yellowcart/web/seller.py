"""The seller centre at /seller: the shop's numbers and what needs doing, orders to ship (label, ship),
returns to answer, products (create, edit, selling mode, Shopify CSV import with its per-row report),
promotions (seller-funded, budget, results), statements with their CSV,
the redirect cutover countdown with one-click migration, and the onboarding application with each rule's
result and what to fix.

Like the shopper's app (:mod:`yellowcart.web.shop`), pages call the domain services in process with the
signed-in member's principal, so a seller sees only its own shop (the services scope every query by
``principal.seller_id``; another seller's shipment, return, product or promotion reads as missing).
Writes are forms checked for the session's CSRF token; each answers with a 303 redirect and a fixed
notice (:data:`NOTICES`), or the problem page with what went wrong."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session, selectinload
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from yellowcart.analytics import service as analytics
from yellowcart.analytics import trends
from yellowcart.analytics.metrics import Figures
from yellowcart.auth.models import Role
from yellowcart.catalog import mode_change
from yellowcart.catalog import service as catalog
from yellowcart.catalog.importer import import_shopify_csv
from yellowcart.catalog.models import Product, ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.catalog.schemas import ProductPatch
from yellowcart.db import utcnow
from yellowcart.errors import DomainError, InvalidInput
from yellowcart.fulfillment import health, shipping
from yellowcart.fulfillment.models import Shipment, ShipmentStatus
from yellowcart.fulfillment.shipping_api import follow_own_tracking
from yellowcart.http import PathId
from yellowcart.interactions.models import EventType, InteractionEvent
from yellowcart.inventory.models import Warehouse
from yellowcart.ledger import settlement
from yellowcart.ledger.periods import Period, parse_period
from yellowcart.orders.models import Order, OrderLine
from yellowcart.orders.state import OrderStatus
from yellowcart.promotions import admin as promo_admin
from yellowcart.promotions import analytics as promo_analytics
from yellowcart.promotions import analytics_chart
from yellowcart.promotions import codes as promo_codes
from yellowcart.promotions.models import PromotionKind, PromotionStatus
from yellowcart.promotions.schemas import CodesIn, PromotionIn
from yellowcart.redirect import cutover
from yellowcart.returns import requests as return_requests
from yellowcart.returns import service as returns
from yellowcart.returns.models import ReturnRequest
from yellowcart.returns.state import ReturnStatus
from yellowcart.sellers import identity, onboarding, review
from yellowcart.sellers.models import ApplicationStatus, Seller, SellerApplication
from yellowcart.sellers.onboarding_schemas import ApplicationPatch
from yellowcart.sellers.onboarding_views import application_out
from yellowcart.support import conversations
from yellowcart.web import seller_application_forms as application_forms
from yellowcart.web import seller_chart
from yellowcart.web import seller_product_forms as product_forms
from yellowcart.web import session as web
from yellowcart.web.pages import app_of, fixed_notice, render, render_problem

router = APIRouter(include_in_schema=False)
web.HOME_BY_ROLE[Role.SELLER] = "/seller"  # where a seller's sign-in lands
WINDOW_DAYS = 30
CHART_WEEKS = 8
LIST_LIMIT = 50
MAX_CSV_BYTES = 1_000_000
STATEMENT_LINES = 200
PRODUCT_ROWS = 100


#: What a write tells the page it redirects to: a fixed text per outcome (``?done=``), with the id it was
#: about (``&ref=``, digits only), so a crafted link cannot put words of its own on a seller's page.
NOTICES = {
    "label": "Label bought for shipment {ref}: print it, then mark the package shipped.",
    "shipped": "Shipment {ref} marked shipped.",
    "return_approved": "Return {ref} approved: the shopper gets a label.",
    "return_rejected": "Return {ref} rejected: the shopper reads your reason.",
    "application_saved": "Saved; every rule was checked again.",
    "application_submitted": "Submitted for review.",
    "product_created": "Product {ref} created.",
    "product_saved": "Product {ref} saved.",
    "promotion_created": "Promotion {ref} created as a draft: activate it to start.",
    **{f"promotion_{s.value}": f"Promotion {{ref}} is {s.value}." for s in PromotionStatus},
    **{f"mode_{m.value}": f"Product {{ref}} now sells as {m.value.replace('_', ' ')}." for m in SellingMode},
    **{
        f"migrated_{m.value}": f"Product {{ref}} now sells in the app ({m.value.replace('_', ' ')})."
        for m in SellingMode
    },
}


def _see_other(url: str, done: str | None = None, ref: int | None = None) -> RedirectResponse:
    query = {k: v for k, v in (("done", done), ("ref", None if ref is None else str(ref))) if v}
    return RedirectResponse(f"{url}?{urlencode(query)}" if query else url, status_code=303)


def _failed(request: Request, err: DomainError) -> HTMLResponse:
    return render_problem(request, err.status, err.title, err.detail)


def _notice(done: str, ref: str) -> str:
    return fixed_notice(NOTICES, done, ref)


# ---- home: the numbers and what needs doing --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModeRow:
    mode: str
    figures: Figures


@dataclass(frozen=True, slots=True)
class Waiting:
    conversation_id: int
    order_id: int
    due_at: dt.datetime | None
    seconds_left: int | None  # negative: overdue


def _weekly_gmv(session: Session, seller_id: int, now: dt.datetime) -> list[tuple[dt.date, int]]:
    """GMV per week, oldest first, the last week ending now (``analytics.trends``: two grouped queries, not
    the analytics service's run per window, whose impressions query the chart does not need)."""
    weeks = trends.Weeks.ending(now, CHART_WEEKS)
    totals = trends.weekly_gmv(session, seller_id=seller_id, weeks=weeks)
    return [(start.date(), cents) for start, cents in zip(weeks.starts, totals, strict=True)]


def _waiting(session: Session, who: web.WebUser, now: dt.datetime) -> list[Waiting]:
    rows = conversations.list_conversations(
        session,
        principal=who.principal,
        filters=conversations.Filters(awaiting_response=True),
        before_id=None,
        limit=LIST_LIMIT,
    )
    out = []
    for conv in sorted(rows, key=lambda c: c.first_response_due_at or now):
        due = conv.first_response_due_at
        left = int((due - now).total_seconds()) if due else None
        out.append(Waiting(conv.id, conv.order_id, due, left))
    return out


def _to_ship(session: Session, who: web.WebUser) -> Sequence[Shipment]:
    rows = shipping.list_shipments(
        session, principal=who.principal, status=ShipmentStatus.ALLOCATED, after_id=None, limit=LIST_LIMIT
    )
    return [s for s in rows if s.fulfilled_by == "seller"]


def _pending_returns(session: Session, who: web.WebUser) -> Sequence[ReturnRequest]:
    rows = returns.list_returns(
        session, principal=who.principal, status=ReturnStatus.REQUEST_PENDING, after_id=None, limit=LIST_LIMIT
    )
    return [r for r in rows if r.reviewer == "seller"]


def clock(seconds: int | None) -> str:
    """A response-time clock: "3 h 20 min left" or "overdue by 2 h"."""
    if seconds is None:
        return "no deadline"
    span = abs(seconds)
    hours, minutes = span // 3600, span % 3600 // 60
    text = f"{hours} h {minutes} min" if hours else f"{minutes} min"
    return f"{text} left" if seconds >= 0 else f"overdue by {text}"


def _application(session: Session, seller_id: int) -> SellerApplication | None:
    return session.scalar(select(SellerApplication).where(SellerApplication.seller_id == seller_id))


@router.get("/seller", response_class=HTMLResponse)
def home(request: Request, user: web.Seller, done: str = "", ref: str = "") -> Response:
    """What needs doing, late dispatch and the GMV chart; the analytics figures come in a fragment
    (``/seller/numbers``, loaded by HTMX) so the page does not wait for their impressions query."""
    seller_id = user.principal.seller_id
    assert seller_id is not None
    now = utcnow()
    with app_of(request).db.transaction() as session:
        name = session.scalar(select(Seller.name).where(Seller.id == seller_id)) or ""
        late = health.get_seller_health(
            session, principal=user.principal, seller_id=seller_id, now=now, window_days=WINDOW_DAYS
        ).late_dispatch
        chart = seller_chart.render(_weekly_gmv(session, seller_id, now))
        to_ship = len(_to_ship(session, user))
        to_answer = len(_pending_returns(session, user))
        waiting = _waiting(session, user, now)
        application = _application(session, seller_id)
        pending = application is not None and application.status is not ApplicationStatus.APPROVED
        migration = cutover.seller_cutover(session, principal=user.principal, seller_id=seller_id, now=now)
    context = {
        "name": name,
        "late": late,
        "chart": Markup(chart),  # built from numbers and escaped text only
        "to_ship": to_ship,
        "to_answer": to_answer,
        "waiting": waiting,
        "clock": clock,
        "application": application if pending else None,
        "to_migrate": len(migration.listings),
        "countdown": migration.countdown,
        "window_days": WINDOW_DAYS,
        "notice": _notice(done, ref),
    }
    return render(request, "seller_home.html", context)


@router.get("/seller/numbers", response_class=HTMLResponse)
def numbers(request: Request, user: web.Seller) -> Response:
    """The last 30 days per the analytics service: a fragment for the home page (HTMX), else the page with
    the charts (``analytics.trends``): GMV, return rate and late dispatch per week, conversion by product
    and by selling mode, each with its numbers in a table."""
    seller_id = user.principal.seller_id
    assert seller_id is not None
    now, fragment = utcnow(), web.is_htmx(request)
    who, window = user.principal, analytics.Window(now - dt.timedelta(days=WINDOW_DAYS), now)
    with app_of(request).db.transaction() as session:
        if fragment:
            figures = analytics.seller_analytics(session, principal=who, seller_id=seller_id, window=window)
        else:  # the figures and the product ranking share one read of the window's impressions
            found = trends.seller_numbers(session, principal=who, seller_id=seller_id, window=window)
            figures, products = found.figures, found.products
            weeks = trends.seller_weeks(session, principal=who, seller_id=seller_id, now=now, count=CHART_WEEKS)
    context: dict[str, Any] = {
        "total": figures.total,
        "modes": [ModeRow(mode.value.replace("_", " "), f) for mode, f in figures.modes.items()],
        "window_days": WINDOW_DAYS,
        "notice": "",
        "charts": None,
    }
    if not fragment:
        charts = seller_chart.numbers_charts(weeks, products, figures.modes)
        context.update(charts=charts, weeks=weeks, products=products, min_impressions=trends.MIN_IMPRESSIONS)
    return render(request, "_seller_numbers.html" if fragment else "seller_numbers.html", context)


# ---- orders to ship ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ToShip:
    shipment: Shipment
    items: list[str]


def _shipment_rows(session: Session, rows: Sequence[Shipment]) -> list[ToShip]:
    line_ids = [line.order_line_id for s in rows for line in s.lines]
    titles = {}
    if line_ids:
        found = session.execute(select(OrderLine.id, OrderLine.title, OrderLine.sku).where(OrderLine.id.in_(line_ids)))
        titles = {lid: f"{title} ({sku})" for lid, title, sku in found}
    return [ToShip(s, [f"{line.quantity} x {titles.get(line.order_line_id, '?')}" for line in s.lines]) for s in rows]


@router.get("/seller/orders", response_class=HTMLResponse)
def orders_page(request: Request, user: web.Seller, done: str = "", ref: str = "") -> Response:
    with app_of(request).db.transaction() as session:
        open_rows = shipping.list_shipments(session, principal=user.principal, status=None, after_id=None, limit=100)
        waiting = [s for s in open_rows if s.status in (ShipmentStatus.ALLOCATED, ShipmentStatus.LABEL_CREATED)]
        shipped = [s for s in open_rows if s.status not in (ShipmentStatus.ALLOCATED, ShipmentStatus.LABEL_CREATED)]
        context = {
            "to_ship": _shipment_rows(session, waiting),
            "shipped": _shipment_rows(session, shipped[:20]),
            "notice": _notice(done, ref),
        }
        return render(request, "seller_orders.html", context)


@router.post("/seller/shipments/{shipment_id}/label")
def buy_label(request: Request, shipment_id: PathId, form: web.Form, user: web.Seller) -> Response:
    """The API's label purchase: read in one transaction, buy outside any, record in another."""
    app = app_of(request)
    try:
        with app.db.transaction() as session:
            shipment = shipping.get_shipment(session, principal=user.principal, shipment_id=shipment_id)
            if shipment.fulfilled_by != "seller":
                raise InvalidInput("The platform ships this package.")
            job = shipping.label_job(session, shipment)
        if app.carrier is None:
            raise InvalidInput("No carrier is configured: ship with your own carrier and tracking number.")
        label = shipping.buy_label(app.carrier, job)
        with app.db.transaction() as session:
            recorded = shipping.record_label(session, shipment_id=shipment_id, label=label)
            if recorded is None:
                raise InvalidInput(f"Shipment {shipment_id} does not exist.")
    except DomainError as err:
        return _failed(request, err)
    return _see_other("/seller/orders", "label", shipment_id)


@router.post("/seller/shipments/{shipment_id}/ship")
def ship(request: Request, shipment_id: PathId, form: web.Form, user: web.Seller) -> Response:
    """Hand the package over: with the platform label, or with the seller's own carrier and number."""
    carrier = web.field(form, "carrier", limit=32) or None
    number = web.field(form, "tracking_number", limit=64) or None
    app = app_of(request)
    try:
        with app.db.transaction() as session:
            shipping.mark_shipped(
                session, principal=user.principal, shipment_id=shipment_id, carrier=carrier,
                tracking_number=number, now=utcnow(),
            )  # fmt: skip
            own = shipping.own_tracking(session, shipment_id=shipment_id) if number else None
    except DomainError as err:
        return _failed(request, err)
    if own is not None and app.carrier is not None:
        follow_own_tracking(app, app.carrier, shipment_id, own)
    return _see_other("/seller/orders", "shipped", shipment_id)


# ---- returns to answer ------------------------------------------------------------------------------------


@router.get("/seller/returns", response_class=HTMLResponse)
def returns_page(request: Request, user: web.Seller, done: str = "", ref: str = "") -> Response:
    now = utcnow()
    with app_of(request).db.transaction() as session:
        pending = _pending_returns(session, user)
        rows = [(r, clock(int((r.respond_by - now).total_seconds())) if r.respond_by else "") for r in pending]
        return render(request, "seller_returns.html", {"returns": rows, "notice": _notice(done, ref)})


@router.post("/seller/returns/{return_id}/decision")
def decide_return(request: Request, return_id: PathId, form: web.Form, user: web.Seller) -> Response:
    approve = web.field(form, "decision") == "approve"
    note = web.field(form, "note", limit=500) or None
    app = app_of(request)
    try:
        return_requests.decide(app, user.principal, return_id, approve=approve, note=note)
    except DomainError as err:
        return _failed(request, err)
    return _see_other("/seller/returns", "return_approved" if approve else "return_rejected", return_id)


# ---- onboarding application -------------------------------------------------------------------------------


def _application_context(session: Session, application: SellerApplication, who: web.WebUser) -> dict[str, Any]:
    """What is on file (numbers masked, as the API shows them) and the forms filled in from it."""
    out = application_out(review.details(session, application=application, for_operator=False))
    editable = application.status in (ApplicationStatus.DRAFT, ApplicationStatus.NEEDS_INFO)
    return {
        "a": out,
        "editable": editable,
        "errors": [],
        "section": "",
        "values": application_forms.on_file_values(out),
        "entity_types": application_forms.ENTITY_TYPES,
        "document_types": application_forms.DOCUMENT_TYPES,
    }


@router.get("/seller/application", response_class=HTMLResponse)
def application_page(request: Request, user: web.Seller, done: str = "", ref: str = "") -> Response:
    seller_id = user.principal.seller_id
    assert seller_id is not None
    with app_of(request).db.transaction() as session:
        application = _application(session, seller_id)
        if application is None:
            return render(request, "seller_application.html", {"a": None, "notice": _notice(done, ref)})
        context = _application_context(session, application, user)
    return render(request, "seller_application.html", {**context, "notice": _notice(done, ref)})


def _contact(form: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    phone = web.field(form, "phone", limit=32)
    if phone:
        raw["phone"] = {"phone": phone}
    origin = web.field(form, "origin_zip", limit=12)
    if origin:
        raw["shipping_origin"] = {"country": "US", "postal_code": origin}
    handle = web.field(form, "social_handle", limit=70)
    if handle:
        followers = web.field(form, "social_followers", limit=12).replace(",", "")
        raw["social"] = {
            "platform": web.field(form, "social_platform", limit=16) or "tiktok",
            "handle": handle,
            "follower_count": followers or "0",
        }
    return raw


def _patch(form: Any, section: str) -> tuple[ApplicationPatch | None, list[str]]:
    """The form's section(s) as the API's patch (validated by the same schema), or the errors: the contact
    form's filled-in sections, or the business entity, or the ID document."""
    if section == "entity":
        raw: dict[str, Any] = {"entity": application_forms.entity_section(form)}
    elif section == "document":
        raw = {"document": application_forms.document_section(form)}
    else:
        raw = _contact(form)
    if not raw:
        return None, ["Fill in at least one section."]
    try:
        return ApplicationPatch.model_validate(raw), []
    except ValidationError as err:
        return None, application_forms.messages(err)


@router.post("/seller/application", response_class=HTMLResponse)
def update_application(request: Request, form: web.Form, user: web.Seller) -> Response:
    """One form's section(s), through the onboarding service (numbers kept as last four and keyed hash);
    a refused save shows the form again as typed, except the EIN and document number (never echoed)."""
    app = app_of(request)
    seller_id = user.principal.seller_id
    assert seller_id is not None
    section = web.field(form, "section", limit=16)
    section = section if section in application_forms.SECTIONS else "contact"
    patch, errors = _patch(form, section)
    try:
        with app.db.transaction() as session:
            application = _application(session, seller_id)
            if application is None:
                raise InvalidInput("Your shop has no application.")
            if patch is not None:
                onboarding.update_application(
                    session, principal=user.principal, application_id=application.id, patch=patch,
                    key=identity.pii_key(app.settings.pii_hash_key), now=utcnow(),
                )  # fmt: skip
                return _see_other("/seller/application", "application_saved")
            context = _application_context(session, application, user)
    except DomainError as err:
        return _failed(request, err)
    values = {**context["values"], **application_forms.typed_values(form, section)}
    context.update(errors=errors, section=section, values=values, notice="")
    return render(request, "seller_application.html", context, status_code=422)


@router.post("/seller/application/submit")
def submit_application(request: Request, form: web.Form, user: web.Seller) -> Response:
    seller_id = user.principal.seller_id
    assert seller_id is not None
    try:
        with app_of(request).db.transaction() as session:
            application = _application(session, seller_id)
            if application is None:
                raise InvalidInput("Your shop has no application.")
            onboarding.submit(session, principal=user.principal, application_id=application.id, now=utcnow())
    except DomainError as err:
        return _failed(request, err)
    return _see_other("/seller/application", "application_submitted")


# ---- products: Shopify CSV import -------------------------------------------------------------------------


async def _csv_bytes(form: Any) -> bytes | None:
    upload = form.get("file")
    if isinstance(upload, UploadFile):
        data = await upload.read(MAX_CSV_BYTES + 1)
        return data or None
    carried = form.get("carried")  # the dry run's file, carried to "apply" in the page
    if isinstance(carried, str) and carried:
        try:
            return base64.b64decode(carried, validate=True)
        except (binascii.Error, ValueError):
            return None
    return None


@router.get("/seller/import", response_class=HTMLResponse)
def import_page(request: Request, user: web.Seller) -> Response:
    return render(request, "seller_import.html", {"report": None, "carried": "", "error": None})


@router.post("/seller/import", response_class=HTMLResponse)
async def import_csv(request: Request, form: web.Form, user: web.Seller) -> Response:
    """Dry run first (nothing written, the per-row report and an "apply" button), then apply."""
    data = await _csv_bytes(form)
    dry_run = web.field(form, "mode") != "apply"
    error = None
    if data is None:
        error = "Choose a Shopify product CSV file."
    elif len(data) > MAX_CSV_BYTES:
        error = "The file is larger than 1 MB; import it with the API or the command line."
    if error is not None or data is None:
        return render(request, "seller_import.html", {"report": None, "carried": "", "error": error}, 422)
    seller_id = user.principal.seller_id
    assert seller_id is not None

    def run() -> Any:
        return import_shopify_csv(
            app_of(request).db, principal=user.principal, seller_id=seller_id, data=data, dry_run=dry_run
        )

    try:
        report = await run_in_threadpool(run)
    except DomainError as err:
        return render(request, "seller_import.html", {"report": None, "carried": "", "error": err.detail}, 422)
    carried = base64.b64encode(data).decode() if dry_run else ""
    return render(request, "seller_import.html", {"report": report, "carried": carried, "error": None})


# ---- products: list, create, edit, selling mode -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProductRow:
    listing: catalog.Listing
    impressions: int
    orders: int

    @property
    def conversion_per_mille(self) -> float | None:
        """Orders per 1,000 feed impressions of the listing's own card (as the analytics service counts)."""
        return round(1000 * self.orders / self.impressions, 1) if self.impressions else None


def _product_counts(
    session: Session, product_ids: list[int], window: analytics.Window
) -> tuple[dict[int, int], dict[int, int]]:
    """Two grouped queries: card impressions and paid orders (not cancelled) per product in the window."""
    if not product_ids:
        return {}, {}
    e = InteractionEvent
    impressions = session.execute(
        select(e.product_id, func.count())
        .where(e.type == EventType.IMPRESSION, e.product_id.in_(product_ids))
        .where(e.occurred_at >= window.since, e.occurred_at < window.until)
        .group_by(e.product_id)
    )
    orders = session.execute(
        select(Variant.product_id, func.count(distinct(Order.id)))
        .join(OrderLine, OrderLine.variant_id == Variant.id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Variant.product_id.in_(product_ids), Order.status != OrderStatus.CANCELLED)
        .where(Order.paid_at >= window.since, Order.paid_at < window.until)
        .group_by(Variant.product_id)
    )
    return {int(k): int(v) for k, v in impressions if k}, {int(k): int(v) for k, v in orders}


def _products_context(session: Session, user: web.WebUser, now: dt.datetime) -> dict[str, Any]:
    window = analytics.Window(now - dt.timedelta(days=WINDOW_DAYS), now)
    listings: list[catalog.Listing] = []
    for status in ProductStatus:
        listings += catalog.search_products(
            session,
            principal=user.principal,
            filters=catalog.ProductFilter(status=status),
            after_id=None,
            limit=PRODUCT_ROWS,
        )
    listings.sort(key=lambda row: row.product.id, reverse=True)
    listings = listings[:PRODUCT_ROWS]
    ids = [row.product.id for row in listings]
    if ids:  # every listing's variants in one query (not one per row)
        session.scalars(select(Product).where(Product.id.in_(ids)).options(selectinload(Product.variants))).all()
    shown, ordered = _product_counts(session, [row.product.id for row in listings], window)
    rows = [ProductRow(row, shown.get(row.product.id, 0), ordered.get(row.product.id, 0)) for row in listings]
    categories = [(c.slug, c.name) for c in catalog.list_categories(session)]
    warehouses = session.execute(
        select(Warehouse.id, Warehouse.code).where(
            Warehouse.seller_id == user.principal.seller_id, Warehouse.is_active.is_(True)
        )
    ).all()
    return {
        "rows": rows,
        "categories": categories,
        "warehouses": warehouses,
        "modes": [m.value for m in SellingMode if m is not SellingMode.PLATFORM_OWNED],
        "window_days": WINDOW_DAYS,
        "form": product_forms.NewProductForm(),
        "problems": product_forms.Problems(),
        "summary": [],
        "max_rows": product_forms.MAX_ROWS,
        "focus_row": -1,
        "notice": "",
    }


def _products_again(
    request: Request, user: web.WebUser, form: product_forms.NewProductForm, problems: product_forms.Problems
) -> Response:
    """The products page with the new-product form as typed: one more row (200), or what is wrong (422)."""
    with app_of(request).db.transaction() as session:
        context = _products_context(session, user, utcnow())
        context.update(form=form, problems=problems, summary=problems.messages(product_forms.new_product_label))
        context["focus_row"] = -1 if problems else len(form.rows) - 1
        return render(request, "seller_products.html", context, status_code=422 if problems else 200)


@router.get("/seller/products", response_class=HTMLResponse)
def products_page(request: Request, user: web.Seller, done: str = "", ref: str = "") -> Response:
    with app_of(request).db.transaction() as session:
        context = _products_context(session, user, utcnow())
        return render(request, "seller_products.html", {**context, "notice": _notice(done, ref)})


_cents = product_forms.usd_cents


def _validation_error(err: ValidationError) -> InvalidInput:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return InvalidInput(f"{where}: {first['msg']}" if where else str(first["msg"]))


@router.post("/seller/products")
def create_product(request: Request, form: web.Form, user: web.Seller) -> Response:
    """A listing with one or more variants (option values, SKU, price, compare-at price), validated as the
    API validates it; "Add another variant" re-renders the form with one more row and writes nothing."""
    typed = product_forms.NewProductForm.read(form)
    if typed.adding_row:
        return _products_again(request, user, typed.with_another_row(), product_forms.Problems())
    try:
        draft = typed.draft()
        with app_of(request).db.transaction() as session:
            made = catalog.create_product(session, principal=user.principal, draft=draft)
            product_id = made.product.id
    except product_forms.Problems as problems:
        return _products_again(request, user, typed, problems)
    except DomainError as err:
        return _products_again(request, user, typed, typed.problems_of(err))
    return _see_other("/seller/products", "product_created", product_id)


@router.post("/seller/products/{product_id}")
def edit_product(request: Request, product_id: PathId, form: web.Form, user: web.Seller) -> Response:
    raw: dict[str, Any] = {"title": web.field(form, "title", limit=200)}
    status = web.field(form, "status", limit=16)
    if status:
        raw["status"] = status
    try:
        patch = ProductPatch.model_validate(raw)
        with app_of(request).db.transaction() as session:
            catalog.update_product(session, principal=user.principal, product_id=product_id, patch=patch)
    except ValidationError as err:
        return _failed(request, _validation_error(err))
    except DomainError as err:
        return _failed(request, err)
    return _see_other("/seller/products", "product_saved", product_id)


def _mode_data(form: Any, target: SellingMode, skus: list[str]) -> mode_change.ModeData:
    """What ``target`` needs, from the form: the store link, or a warehouse and units per SKU, or a supply
    price per SKU (one value for every SKU of the listing; per-SKU values: the API)."""
    if target is SellingMode.REDIRECT:
        return mode_change.ModeData(redirect_url=web.field(form, "redirect_url", limit=500) or None)
    if target is SellingMode.SELLER_FULFILLED:
        warehouse, units = web.field(form, "warehouse_id", limit=10), web.field(form, "stock", limit=6)
        return mode_change.ModeData(
            warehouse_id=int(warehouse) if warehouse.isdigit() else None,
            stock={sku: int(units) for sku in skus} if units.isdigit() else {},
        )
    if target is SellingMode.FULL_CUSTODY:
        supply = web.field(form, "supply_price", limit=20)
        price = _cents(supply, "supply_price") if supply else None
        return mode_change.ModeData(supply_prices={sku: price for sku in skus} if price is not None else {})
    return mode_change.ModeData()


@router.post("/seller/products/{product_id}/mode")
def switch_mode(request: Request, product_id: PathId, form: web.Form, user: web.Seller) -> Response:
    """The audited mode switch (catalog.mode_change), with what the target mode needs from the form."""
    try:
        target = SellingMode(web.field(form, "target", limit=24))
    except ValueError:
        return render_problem(request, 422, "Invalid input", "Choose a selling mode.")
    try:
        with app_of(request).db.transaction() as session:
            listing = catalog.get_product(session, principal=user.principal, product_id=product_id)
            data = _mode_data(form, target, [v.sku for v in listing.product.variants])
            mode_change.change_selling_mode(
                session, principal=user.principal, product_id=product_id, target=target,
                reason=web.field(form, "reason", limit=500), now=utcnow(), data=data,
            )  # fmt: skip
    except DomainError as err:
        return _failed(request, err)
    return _see_other("/seller/products", f"mode_{target.value}", product_id)


# ---- promotions: create (seller-funded), budget, results ---------------------------------------------------

SELLER_KINDS = (PromotionKind.PRODUCT_DISCOUNT, PromotionKind.COUPON, PromotionKind.FREE_SHIPPING, PromotionKind.BUNDLE)
LIFECYCLE = {
    "activate": promo_admin.activate,
    "pause": promo_admin.pause,
    "resume": promo_admin.resume,
    "end": promo_admin.end,
}


@router.get("/seller/promotions", response_class=HTMLResponse)
def promotions_page(request: Request, user: web.Seller, done: str = "", ref: str = "") -> Response:
    with app_of(request).db.transaction() as session:
        rows = promo_admin.list_promotions(
            session, principal=user.principal, status=None, kind=None, seller_id=None, after_id=None, limit=100
        )
        context = {
            "promotions": sorted(rows, key=lambda p: p.id, reverse=True),
            "kinds": [k.value for k in SELLER_KINDS],
            "notice": _notice(done, ref),
        }
        return render(request, "seller_promotions.html", context)


def _optional_int(form: Any, name: str, scale: int = 1, limit: int = 12) -> int | None:
    text = web.field(form, name, limit=limit).replace(",", "").replace("$", "").replace("%", "")
    if not text:
        return None
    try:
        return int((Decimal(text) * scale).to_integral_value())
    except InvalidOperation:
        raise InvalidInput(f"{name}: enter a number.", field=name) from None


def _promotion_in(form: Any, now: dt.datetime) -> PromotionIn:
    days = _optional_int(form, "days") or 7
    raw: dict[str, Any] = {
        "kind": web.field(form, "kind", limit=24),
        "name": web.field(form, "name", limit=120),
        "percent_off_bps": _optional_int(form, "percent_off", 100),
        "amount_off_cents": _optional_int(form, "amount_off", 100),
        "min_spend_cents": _optional_int(form, "min_spend", 100) or 0,
        "min_quantity": _optional_int(form, "min_quantity") or 1,
        "budget_cents": _optional_int(form, "budget", 100),
        "holdout_bps": _optional_int(form, "holdout", 100) or 0,
        "ends_at": now + dt.timedelta(days=max(1, min(days, 365))),
    }
    try:
        return PromotionIn.model_validate(raw)
    except ValidationError as err:
        raise _validation_error(err) from None


@router.post("/seller/promotions")
def create_promotion(request: Request, form: web.Form, user: web.Seller) -> Response:
    """A seller-funded promotion on the seller's own listings, as a draft; a coupon gets its code."""
    now = utcnow()
    code = web.field(form, "code", limit=32)
    try:
        data = _promotion_in(form, now)
        if data.kind not in SELLER_KINDS:
            raise InvalidInput("Flash deals are set up by operators.", field="kind")
        with app_of(request).db.transaction() as session:
            made = promo_admin.create(session, principal=user.principal, data=data, now=now)
            if data.kind is PromotionKind.COUPON and code:
                promo_codes.add_codes(
                    session, principal=user.principal, promotion_id=made.id, data=CodesIn(code=code), now=now
                )
            promotion_id = made.id
    except ValidationError as err:
        return _failed(request, _validation_error(err))
    except DomainError as err:
        return _failed(request, err)
    return _see_other("/seller/promotions", "promotion_created", promotion_id)


@router.post("/seller/promotions/{promotion_id}/{action}")
def promotion_action(request: Request, promotion_id: PathId, action: str, form: web.Form, user: web.Seller) -> Response:
    move = LIFECYCLE.get(action)
    if move is None:
        return render_problem(request, 404, "Not found", "There is no such action.")
    try:
        with app_of(request).db.transaction() as session:
            done = move(session, principal=user.principal, promotion_id=promotion_id, now=utcnow())
            status = done.status.value
    except DomainError as err:
        return _failed(request, err)
    return _see_other("/seller/promotions", f"promotion_{status}", promotion_id)


@router.get("/seller/promotions/{promotion_id}", response_class=HTMLResponse)
def promotion_results(request: Request, promotion_id: PathId, user: web.Seller) -> Response:
    """Results: the analytics service's figures and its chart (inline SVG)."""
    try:
        with app_of(request).db.transaction() as session:
            found = promo_analytics.promotion_analytics(
                session, principal=user.principal, promotion_id=promotion_id, now=utcnow()
            )
            promotion = promo_admin.get_promotion(session, principal=user.principal, promotion_id=promotion_id)
            context = {"p": promotion, "a": found, "chart": Markup(analytics_chart.render(found)), "notice": ""}
            return render(request, "seller_promotion.html", context)
    except DomainError as err:
        return _failed(request, err)


# ---- settlements and statements ---------------------------------------------------------------------------


def _period(text: str, now: dt.datetime) -> Period | None:
    if not text:
        return Period.containing(now)
    try:
        return parse_period(text[:10])
    except ValueError:
        return None


@router.get("/seller/statements", response_class=HTMLResponse)
def statements_page(request: Request, user: web.Seller, period: str = "") -> Response:
    """The closed periods (with their CSV) and one period's statement, the current one by default."""
    seller_id = user.principal.seller_id
    assert seller_id is not None
    now = utcnow()
    chosen = _period(period, now)
    if chosen is None:
        return render_problem(request, 404, "Not found", "There is no such settlement period.")
    with app_of(request).db.transaction() as session:
        closed = settlement.list_statements(session, principal=user.principal, seller_id=seller_id)
        statement = settlement.get_statement(session, principal=user.principal, seller_id=seller_id, period=chosen)
        context = {
            "closed": closed,
            "st": statement,
            "current": chosen == Period.containing(now),
            "lines": statement.lines[-STATEMENT_LINES:],
            "more_lines": max(0, len(statement.lines) - STATEMENT_LINES),
            "notice": "",
        }
        return render(request, "seller_statements.html", context)


@router.get("/seller/statements/{period}.csv")
def statement_csv(request: Request, period: str, user: web.Seller) -> Response:
    seller_id = user.principal.seller_id
    assert seller_id is not None
    chosen = _period(period, utcnow())
    if chosen is None:
        return render_problem(request, 404, "Not found", "There is no such settlement period.")
    with app_of(request).db.transaction() as session:
        statement = settlement.get_statement(session, principal=user.principal, seller_id=seller_id, period=chosen)
        body = settlement.statement_csv(statement)
    name = f"statement-seller-{seller_id}-{chosen.label}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


# ---- the redirect cutover: countdown and one-click migration ----------------------------------------------


@router.get("/seller/cutover", response_class=HTMLResponse)
def cutover_page(request: Request, user: web.Seller, done: str = "", ref: str = "") -> Response:
    seller_id = user.principal.seller_id
    assert seller_id is not None
    with app_of(request).db.transaction() as session:
        found = cutover.seller_cutover(session, principal=user.principal, seller_id=seller_id, now=utcnow())
        listings = [(p, cutover.active_variants(p)) for p in found.listings]
        context = {"c": found, "listings": listings, "notice": _notice(done, ref)}
        return render(request, "seller_cutover.html", context)


@router.post("/seller/products/{product_id}/migrate")
def migrate(request: Request, product_id: PathId, form: web.Form, user: web.Seller) -> Response:
    """One click: a redirect listing moves in-app with the data its target needs (from the same form)."""
    try:
        target = SellingMode(web.field(form, "target", limit=24))
    except ValueError:
        return render_problem(request, 422, "Invalid input", "Choose seller fulfilled or full custody.")
    try:
        with app_of(request).db.transaction() as session:
            listing = catalog.get_product(session, principal=user.principal, product_id=product_id)
            data = _mode_data(form, target, [v.sku for v in cutover.active_variants(listing.product)])
            cutover.migrate_listing(
                session, principal=user.principal, product_id=product_id, target=target, data=data, now=utcnow()
            )
    except DomainError as err:
        return _failed(request, err)
    return _see_other("/seller/cutover", f"migrated_{target.value}", product_id)


__all__ = ["router"]
