"""Storefront pages: home (search, categories, product grid), one product, and /status.

Thin like the API routers: read the query, call the catalog service, shape with :mod:`views`, render.
A browser sends no API token, so pages show exactly the public shop window. None of them is in the
OpenAPI schema: they are not API, and the API fuzz tests must not walk them.
"""

from __future__ import annotations

import inspect
import re
import zlib
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select
from starlette.exceptions import HTTPException as StarletteHTTPException

from yellowcart import __version__
from yellowcart.auth.models import User
from yellowcart.bootstrap import Container
from yellowcart.catalog import service as catalog
from yellowcart.catalog.models import Category
from yellowcart.catalog.schemas import MAX_ID
from yellowcart.errors import InvalidInput, NotFound
from yellowcart.http import Db, decode_cursor, encode_cursor
from yellowcart.money import format_usd
from yellowcart.web import session, status, views

PAGE_SIZE = 24
_HERE = Path(__file__).parent

router = APIRouter(include_in_schema=False)
#: Mounted at /static by the app, after ``router`` so /static/demo/* reaches the placeholder route.
STATIC_FILES = StaticFiles(directory=_HERE / "static")


def home_url(**params: str | None) -> str:
    """``/`` with the non-empty query parameters, e.g. ``/?q=serum&category=beauty``."""
    query = urlencode({k: v for k, v in params.items() if v})
    return f"/?{query}" if query else "/"


def age(seconds: int | None) -> str:
    if seconds is None:
        return "none"
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{max(seconds, 0)} s"


def percent(rate: Any) -> str:
    """A tax rate as people read it: "0.088750" -> "8.875%"."""
    try:
        value = (Decimal(str(rate)) * 100).normalize()
    except InvalidOperation:
        return str(rate)
    return f"{value:f}%"


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(_HERE / "templates"), autoescape=True, undefined=StrictUndefined)
    env.filters.update(usd=format_usd, age=age, percent=percent)
    env.globals.update(home_url=home_url, version=__version__)
    return env


def _session_context(request: Request) -> dict[str, Any]:
    """Every page: the navigation's user (from the signed cookie) and the session's CSRF token."""
    found = session.read(request)
    nav = (
        found if found is not None and found.token and not getattr(request.state, "web_session_ended", False) else None
    )
    return {"nav_user": nav, "csrf": session.csrf_token(request), "path": request.url.path}


templates = Jinja2Templates(env=_environment(), context_processors=[_session_context])


def _render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["Vary"] = "HX-Request, HX-Target, Cookie"  # fragments and full pages share URLs
    if getattr(request.state, "web_session_ended", False):
        session.signed_out(request, response)  # its token was revoked or expired: drop it
    else:
        session.save_if_new(request, response)
    return response


def fixed_notice(notices: Mapping[str, str], done: str, ref: str) -> str:
    """The notice a write's redirect names (``?done=<outcome>&ref=<id>``): a fixed text per outcome, with
    the id only when it is a short run of digits, so a crafted link cannot put words on someone's page."""
    text = notices.get(done[:40], "")
    if "{ref}" in text:
        return text.format(ref=ref) if ref.isascii() and ref.isdigit() and len(ref) <= 10 else ""
    return text


def app_of(request: Request) -> Container:
    """The app's container (settings, database, adapters), for pages that call the services in process."""
    return request.app.state.container  # type: ignore[no-any-return]


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """A page of the web apps (shopper, seller centre, operations console): private, never cached."""
    response = _render(request, name, context, status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


def render_problem(request: Request, status_code: int, title: str, detail: str) -> HTMLResponse:
    """An error as a page (the API's problem+json, for people)."""
    return render(request, "problem.html", {"status": status_code, "title": title, "detail": detail}, status_code)


#: Paths that are not pages: the API, its schema and docs, health, metrics and static files keep their own
#: error answers (RFC 9457 problem+json, from ``http.install_error_handlers``).
NOT_PAGES = ("/v1/", "/healthz", "/metrics", "/openapi", "/docs", "/redoc", "/static/", "/static-offline-docs/")
PAGE_ERRORS = {
    404: ("Page not found", "There is no page at this address: the link may be mistyped or out of date."),
    405: ("Not allowed here", "This address does not take that kind of request."),
}


def is_page(path: str) -> bool:
    """Whether an error at ``path`` is answered with an HTML page (a person reads it) rather than JSON."""
    return path != "/v1" and not path.startswith(NOT_PAGES)


def _where(error: Any) -> str:
    """``("query", "status")`` -> ``status``: the field as the page's link or form names it."""
    return ".".join(str(part) for part in tuple(error.get("loc", ()))[1:]) or "form"


def invalid_request_page(request: Request, exc: RequestValidationError) -> HTMLResponse:
    """A path segment that cannot be an id (``/orders/abc``, ``/seller/promotions/-1``) names nothing: 404.
    A bad query or form value: 422, naming the field."""
    errors = exc.errors()
    in_path = next((e for e in errors if tuple(e.get("loc", ()))[:1] == ("path",)), None)
    if in_path is not None:
        thing = str(tuple(in_path["loc"])[-1]).removesuffix("_id").replace("_", " ")
        return render_problem(request, 404, "Not found", f"There is no such {thing}: the link may be mistyped.")
    said = "; ".join(f"{_where(e)}: {e.get('msg', 'not valid')}" for e in errors[:3])
    return render_problem(request, 422, "Invalid input", f"Check the link or the form and try again ({said}).")


def _phrase(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"


async def _answer(handler: Any, request: Request, exc: Exception) -> Response:
    answer = handler(request, exc)
    return await answer if inspect.isawaitable(answer) else answer  # type: ignore[no-any-return]


def install(app: FastAPI) -> None:
    """The web apps' answers to :mod:`session`'s exceptions: sign in first (a redirect), or a 403 page; and
    to invalid requests and unknown routes on page URLs (:func:`is_page`): the problem page, where the API
    keeps its problem+json (call after ``http.install_error_handlers``, whose handlers are kept for those)."""
    api_invalid = app.exception_handlers.get(RequestValidationError, request_validation_exception_handler)
    api_http = app.exception_handlers.get(StarletteHTTPException, http_exception_handler)

    async def invalid_request(request: Request, exc: Exception) -> Response:
        if not is_page(request.url.path) or not isinstance(exc, RequestValidationError):
            return await _answer(api_invalid, request, exc)
        return invalid_request_page(request, exc)

    async def http_error(request: Request, exc: Exception) -> Response:
        if not is_page(request.url.path) or not isinstance(exc, StarletteHTTPException) or exc.status_code < 400:
            return await _answer(api_http, request, exc)
        phrase = _phrase(exc.status_code)
        title, detail = PAGE_ERRORS.get(exc.status_code, (phrase, str(exc.detail or phrase)))
        response = render_problem(request, exc.status_code, title, detail)
        response.headers.update(exc.headers or {})  # 405: Allow
        return response

    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)

    async def sign_in_first(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, session.SignInRequired)
        return RedirectResponse(f"/signin?{urlencode({'next': exc.next_url})}", status_code=303)

    async def forbidden(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, session.PageForbidden)
        return render_problem(request, 403, exc.title, exc.detail)

    app.add_exception_handler(session.SignInRequired, sign_in_first)
    app.add_exception_handler(session.PageForbidden, forbidden)


def _not_found(request: Request, what: str) -> HTMLResponse:
    return _render(request, "not_found.html", {"what": what}, status_code=404)


# ---- home -----------------------------------------------------------------------------------------


def _fragment(request: Request) -> str:
    """Which template answers: HTMX asks for the grid's next cards or the results block only."""
    headers = request.headers
    partial = headers.get("HX-Request") == "true" and headers.get("HX-History-Restore-Request") != "true"
    target = headers.get("HX-Target") if partial else None
    return {"grid": "_cards.html", "results": "_results.html"}.get(target or "", "home.html")


def _category_context(categories: list[Category], slug: str) -> dict[str, Any]:
    selected = next((c for c in categories if c.slug == slug), None)
    trail = views.trail(categories, selected.path) if selected else []
    return {
        "selected": selected,
        "trail": trail,
        "roots": [c for c in categories if c.parent_id is None],
        "subs": views.subcategories(categories, selected),
    }


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: Db, q: str = "", category: str = "", cursor: str = "") -> HTMLResponse:
    q, slug = " ".join(q.split())[:200], category.strip()[:160]
    filters = catalog.ProductFilter(q=q or None, category=slug or None)
    notice, status_code = None, 200
    with db.transaction() as session:
        categories = list(catalog.list_categories(session))
        try:
            after_id = decode_cursor(cursor[:64] or None)
            rows = catalog.search_products(
                session, principal=None, filters=filters, after_id=after_id, limit=PAGE_SIZE + 1
            )
        except catalog.UnknownCategory:
            rows, notice, status_code = [], f"There is no category “{slug}”.", 404
        except InvalidInput:
            rows, notice, status_code = [], "That page link is no longer valid; start again from the top.", 400
        cards = views.cards(session, rows[:PAGE_SIZE])
    more = None
    if len(rows) > PAGE_SIZE:
        more = home_url(q=q, category=slug, cursor=encode_cursor(rows[PAGE_SIZE - 1].product.id))
    context = {"q": q, "cards": cards, "more": more, "notice": notice, **_category_context(categories, slug)}
    return _render(request, _fragment(request), context, status_code)


# ---- product --------------------------------------------------------------------------------------


def _product_id(ref: str) -> int | None:
    if not (ref.isascii() and ref.isdigit() and len(ref) <= 10):
        return None
    value = int(ref)
    return value if 1 <= value <= MAX_ID else None


_ZIP = re.compile(r"^\d{5}$")


@router.get("/products/{ref}", response_class=HTMLResponse)
def product_page(request: Request, ref: str, db: Db, user: session.MaybeUser, zip: str = "") -> HTMLResponse:
    """Public; a signed-in shopper also gets the add-to-cart form and the delivery date for their ZIP."""
    product_id = _product_id(ref)
    if product_id is None:
        return _not_found(request, "product")
    with db.transaction() as db_session:
        try:
            listing = catalog.get_product(db_session, principal=None, product_id=product_id)
        except NotFound:
            return _not_found(request, "product")
        view = views.product_view(db_session, listing, catalog.list_categories(db_session))
        if not _ZIP.match(zip) and user is not None:
            zip = db_session.scalar(select(User.home_zip).where(User.id == user.user_id)) or ""
        delivery = views.delivery(db_session, product_id, zip) if _ZIP.match(zip) and view.closed_loop else None
    context = {"p": view, "user": user, "delivery": delivery, "zip": zip if _ZIP.match(zip) else ""}
    response = _render(request, "product.html", context)
    if user is not None:
        response.headers["Cache-Control"] = "no-store"
    return response


# ---- operations -----------------------------------------------------------------------------------


@router.get("/status", response_class=HTMLResponse)
def status_page(request: Request, db: Db) -> HTMLResponse:
    with db.transaction() as session:
        snap = status.snapshot(session, dialect=db.dialect)
    response = _render(request, "status.html", {"snap": snap})
    response.headers["Cache-Control"] = "no-store"
    return response


# ---- demo media -----------------------------------------------------------------------------------

_TINTS = (("#fff4c2", "#e0b400"), ("#e8f1ff", "#5b86c9"), ("#fde8ef", "#c96b8a"), ("#e6f6ee", "#4f9c76"))
_PLACEHOLDER = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400" preserveAspectRatio="xMidYMid slice">'
    '<rect width="400" height="400" fill="{bg}"/>'
    '<g fill="none" stroke="{fg}" stroke-width="8" stroke-linejoin="round" stroke-linecap="round" opacity=".55">'
    '<rect x="145" y="155" width="110" height="90" rx="14"/>'
    '<path d="M154 236l30-34 22 23 15-15 26 26"/></g>'
    '<circle cx="227" cy="182" r="10" fill="{fg}" opacity=".55"/></svg>'
)


@router.api_route("/static/demo/{name:path}", methods=["GET", "HEAD"])
def demo_media(name: str) -> Response:
    """The demo market references media it never ships; every such path gets one tinted placeholder."""
    bg, fg = _TINTS[zlib.crc32(name.encode()) % len(_TINTS)]
    return Response(
        _PLACEHOLDER.format(bg=bg, fg=fg),
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )
