"""Live room pages beside the room itself (:mod:`shop` serves ``/live/{room_id}``): the host's recap of a
room, the link to it on the room's page once the room has ended, and the seller centre's list of the
shop's rooms.

The recap is the API's (:func:`yellowcart.live.recap.room_recap`), read in process with the signed-in
user's principal, so who may see it is decided in one place: the room's host and operators. Anyone else
signed in gets the same 404 page as for a room that does not exist (the API answers 404 too), so a recap's
existence is not given away; a signed-out visitor is asked to sign in first, whatever the room.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from starlette.responses import Response

from yellowcart.auth.models import Role
from yellowcart.content.models import LiveState
from yellowcart.db import utcnow
from yellowcart.errors import NotFound
from yellowcart.http import PathId
from yellowcart.live import hosted, recap, recap_chart, rooms
from yellowcart.live.room_schemas import RecapOut
from yellowcart.money import format_usd
from yellowcart.web import session as web
from yellowcart.web.pages import app_of, render, render_problem

router = APIRouter(include_in_schema=False)
CHART_TITLE_ID, CHART_DESC_ID = "recap-chart-title", "recap-chart-desc"


def _not_found(request: Request) -> Response:
    return render_problem(request, 404, "Not found", "There is no such live room recap.")


# ---- the recap's chart, described ----------------------------------------------------------------------


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def chart_description(r: RecapOut) -> str:
    """The chart in words (its ``<desc>``): what a screen reader says instead of drawing it."""
    peak = max(r.viewers_per_minute, key=lambda m: m.viewers, default=None)
    at = f" at {peak.minute.strftime('%H:%M')} UTC" if peak is not None and peak.viewers else ""
    parts = [
        f"{_count(r.unique_viewers, 'unique viewer')}, at most {r.peak_viewers:,} at once{at},",
        f"over {_count(len(r.viewers_per_minute), 'minute')} on air;",
        f"{_count(r.cart_taps, 'cart tap')}, {_count(r.orders, 'order')}, {_count(r.units, 'deal unit')} sold,",
        f"{format_usd(r.gmv_cents)} GMV.",
    ]
    if r.top_products:
        best = ", ".join(f"{p.title} ({format_usd(p.gmv_cents)}, {_count(p.units, 'unit')})" for p in r.top_products)
        parts.append(f"Top products by GMV: {best}.")
    return " ".join(parts)


def accessible_chart(r: RecapOut) -> Markup:
    """The recap's SVG for inline use: named by a ``<title>`` and described by a ``<desc>`` (referenced
    from ``aria-labelledby``/``aria-describedby``, which screen readers honour inline), and scaled down to
    fit narrow screens. ``recap_chart.render`` makes a standalone document with an ``aria-label`` only."""
    svg = recap_chart.render(r)
    head, sep, body = svg.partition(">")
    if not sep or not head.startswith("<svg"):
        raise ValueError("recap_chart.render did not return an <svg> element")
    label = f'aria-label="Recap of {escape(r.title)}"'
    described = f'aria-labelledby="{CHART_TITLE_ID}" aria-describedby="{CHART_DESC_ID}" class="ops-chart"'
    head = head.replace(label, described) if label in head else f"{head} {described}"
    title = f'<title id="{CHART_TITLE_ID}">Recap chart of {escape(r.title)}</title>'
    desc = f'<desc id="{CHART_DESC_ID}">{escape(chart_description(r))}</desc>'
    return Markup(f"{head}>{title}{desc}{body}")  # every text in it is escaped above


# ---- pages ---------------------------------------------------------------------------------------------


@router.get("/live/{room_id}/recap", response_class=HTMLResponse)
def recap_page(request: Request, room_id: PathId, user: web.MaybeUser) -> Response:
    """The host's (or an operator's) look back at a room: the figures, the chart and the top products."""
    if user is None:
        raise web.SignInRequired(request.url.path)
    with app_of(request).db.transaction() as session:
        try:
            found = recap.room_recap(session, principal=user.principal, room_id=room_id, now=utcnow())
        except NotFound:
            return _not_found(request)
    back = "/seller/live" if user.role is Role.SELLER else None
    context = {"r": found, "chart": accessible_chart(found), "back": back, "ended": found.live_state is LiveState.ENDED}
    return render(request, "live_recap.html", context)


@router.get("/live/{room_id}/recap-link", response_class=HTMLResponse)
def recap_link(request: Request, room_id: PathId, user: web.MaybeUser) -> Response:
    """The room page's link to its recap (fetched by htmx when the page loads): only for the room's host or
    an operator, and only once the room has ended; anyone else gets an empty fragment."""
    show = False
    if user is not None:
        with app_of(request).db.transaction() as session:
            try:
                room = rooms.live_room(session, principal=user.principal, room_id=room_id, manage=True)
            except NotFound:
                room = None
            show = room is not None and room.live_state is LiveState.ENDED
    return render(request, "_live_recap_link.html", {"room_id": room_id, "show": show})


@router.get("/seller/live", response_class=HTMLResponse)
def seller_rooms(request: Request, user: web.Seller) -> Response:
    """The shop's live rooms with their state, and a recap link on those the member hosted."""
    with app_of(request).db.transaction() as session:
        found = hosted.seller_rooms(session, principal=user.principal)
    return render(request, "seller_live.html", {"rooms": found, "notice": None})
