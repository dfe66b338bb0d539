"""Public redirect entry points, outside /v1 and the OpenAPI schema: ``GET /r/{click_id}`` (the tracked
hop to the seller's store) and the product page's "buy on the seller's store" form.

From the market's cutover instant neither ever answers with the external store: a listing now sold
in-app gets its in-app page (302), anything else a clear "no longer available" page (410).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yellowcart.db import utcnow
from yellowcart.errors import DomainError, NotFound
from yellowcart.http import Db, MaybeCaller, PathId
from yellowcart.redirect import clicks
from yellowcart.redirect.clicks import Destination, Outcome
from yellowcart.redirect.models import ClickMedium
from yellowcart.web.pages import templates

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _page(request: Request, name: str, context: dict[str, str], status_code: int) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(NO_STORE)
    return response


def answer(request: Request, found: Destination) -> Response:
    """A destination as an HTTP answer: 302 to the store or the in-app page, 410 or 404 pages."""
    if found.outcome in (Outcome.STORE, Outcome.IN_APP) and found.url:
        return RedirectResponse(found.url, status_code=302, headers=NO_STORE)
    if found.outcome is Outcome.GONE:
        return _page(request, "redirect_gone.html", {}, 410)
    return _page(request, "not_found.html", {"what": "link"}, 404)


@router.get("/r/{click_id}")
def follow_click(click_id: str, request: Request, db: Db) -> Response:
    with db.transaction() as session:
        found = clicks.destination(session, click_id=click_id[:64], now=utcnow())
    return answer(request, found)


@router.post("/products/{product_id}/store")
def buy_on_store(product_id: PathId, request: Request, db: Db, who: MaybeCaller) -> Response:
    """The product page's button (a form, so it works without JavaScript): record the click, then hop
    through ``/r/{id}`` like every other tap."""
    now = utcnow()
    try:
        with db.transaction() as session:
            click = clicks.create_click(
                session,
                principal=who,
                product_id=product_id,
                content_id=None,
                source=ClickMedium.PRODUCT_PAGE,
                user_agent=request.headers.get("user-agent"),
                now=now,
            )
        return RedirectResponse(clicks.click_path(click.id), status_code=303, headers=NO_STORE)
    except NotFound:
        return answer(request, Destination(Outcome.UNKNOWN))
    except DomainError:  # links ended, or the listing now sells in the app
        with db.transaction() as session:
            found = clicks.product_destination(session, product_id=product_id, now=now)
        return answer(request, found)
