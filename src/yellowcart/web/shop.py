"""The shopper's web app: sign-in, the feed, cart, checkout, orders with tracking, returns, messages.

Pages call the same services (and, where an API module already shapes a reply, the same shaping
functions) as the API, in process: never the HTTP API over the network. Writes are HTML forms (or
HTMX) checked for the session's CSRF token by :data:`session.Form`; each answers with a redirect
(303, so a reload never posts twice) or the page again with what went wrong.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from yellowcart.audit.throttle import ThrottlePolicy, account_key, locked_for, record_failure, record_success
from yellowcart.auth import service as auth
from yellowcart.auth.api import LOGIN_TTL
from yellowcart.auth.models import User
from yellowcart.bootstrap import Container
from yellowcart.checkout import explain, idempotency
from yellowcart.checkout import service as checkout
from yellowcart.checkout.address import ShippingAddress
from yellowcart.checkout.api import cart_out
from yellowcart.checkout.schemas import CheckoutRequest
from yellowcart.db import MAX_ID, utcnow
from yellowcart.errors import DomainError, InvalidInput, NotFound, Unauthorized
from yellowcart.feed import service as feed_service
from yellowcart.feed.api import feed_cards
from yellowcart.fulfillment import shipping
from yellowcart.fulfillment.geo import destination
from yellowcart.http import PathId
from yellowcart.interactions import service as interactions
from yellowcart.live import rooms
from yellowcart.orders import service as orders
from yellowcart.promotions import claims, offers
from yellowcart.returns import requests as return_requests
from yellowcart.returns.schemas import ReturnIn, WantedIn
from yellowcart.risk import checks as risk_checks
from yellowcart.risk.context import current as risk_context
from yellowcart.sellers.identity import pii_key
from yellowcart.support import conversations, live_messages, thread
from yellowcart.support import messages as support_messages
from yellowcart.support.shapes import message_out
from yellowcart.web import session as web
from yellowcart.web.pages import app_of, render, render_problem

router = APIRouter(include_in_schema=False)
FEED_PAGE = 8
TEST_CARDS = (
    ("tok_visa", "Visa ending 4242 (test card)"),
    ("tok_mastercard", "Mastercard ending 4444 (test card)"),
    ("tok_chargeDeclined", "A card that is declined (test card)"),
)


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _failed(request: Request, err: DomainError) -> HTMLResponse:
    return render_problem(request, err.status, err.title, err.detail)


# ---- sign-in ------------------------------------------------------------------------------------------


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request, user: web.MaybeUser, next: str = "") -> Response:
    if user is not None:
        return _see_other(web.safe_next(next, web.home_for(user.role)))
    return render(request, "signin.html", {"next": web.safe_next(next, ""), "email": "", "error": None})


def _sign_in(app: Container, email: str, password: str) -> tuple[str, User]:
    """The API's login (same users, passwords, risk checks and lockouts), for a form instead of JSON."""
    policy = ThrottlePolicy.from_settings(app.settings)
    key = account_key(pii_key(app.settings.pii_hash_key), email)
    with app.db.transaction() as session:
        wait = locked_for(session, keys=[key], now=utcnow())
        if wait is not None:
            raise Unauthorized(f"Too many failed sign-ins; try again in {max(1, int(wait))} s.")
    try:
        with app.db.transaction() as session:
            token, user = auth.login(session, email=email, password=password, ttl=LOGIN_TTL)
            risk_checks.login(session, user_id=user.id, seller_id=user.seller_id, context=risk_context(), now=utcnow())
            record_success(session, key=key)
            session.expunge(user)
            return token, user
    except Unauthorized:
        with app.db.transaction() as session:
            record_failure(session, key=key, policy=policy, now=utcnow())
        raise


@router.post("/signin", response_class=HTMLResponse)
def signin(request: Request, form: web.Form) -> Response:
    email, password = web.field(form, "email", limit=254), web.field(form, "password", limit=200)
    nxt = web.safe_next(web.field(form, "next"), "")
    try:
        if not email or not password:
            raise Unauthorized("Enter your email and password.")
        token, user = _sign_in(app_of(request), email, password)
    except DomainError as err:
        context = {"next": nxt, "email": email, "error": err.detail}
        return render(request, "signin.html", context, status_code=401 if err.status == 401 else err.status)
    response = _see_other(nxt or web.home_for(user.role))
    web.signed_in(request, response, token=token, user=user)
    return response


@router.post("/signout")
def signout(request: Request, form: web.Form, user: web.MaybeUser) -> Response:
    if user is not None:
        app = app_of(request)
        with app.db.transaction() as session:
            auth.revoke_token(session, principal=user.principal, token=user.token)
        app.tokens.clear()
    response = _see_other("/")
    web.signed_out(request, response)
    return response


# ---- feed ---------------------------------------------------------------------------------------------


def _home_zip(app: Container, user: web.WebUser | None) -> str | None:
    if user is None:
        return None
    with app.db.transaction() as session:
        return session.scalar(select(User.home_zip).where(User.id == user.user_id))


def _creators(app: Container, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    with app.db.transaction() as session:
        return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(sorted(ids)))).all())


@router.get("/feed", response_class=HTMLResponse)
def feed_page(request: Request, user: web.MaybeUser, cursor: str = "") -> Response:
    """A vertical feed of shoppable cards; HTMX asks for the next page when the last card scrolls in."""
    app = app_of(request)
    zip_code = _home_zip(app, user)
    dest = None
    if zip_code:
        try:
            dest = destination(zip_code)
        except InvalidInput:
            dest = None
    try:
        seen = feed_service.decode_seen(cursor[:4096] or None)
    except InvalidInput:
        seen = []
    with app.db.transaction() as session:
        now = utcnow()
        result = feed_service.build_feed(
            session,
            user_id=user.user_id if user else None,
            limit=FEED_PAGE,
            seen=seen,
            signals=app.feed_signals,
            now=now,
        )
        content = app.feed_signals.content.get(session, now)
        items = feed_cards(session, result, content, dest, now, shopper_id=user.user_id if user else None)
    creators = _creators(app, {i.content.owner_user_id for i in items if i.content and i.content.owner_user_id})
    more = f"/feed?cursor={feed_service.encode_seen(result.seen)}" if items else None
    context = {"items": items, "more": more, "creators": creators, "zip": zip_code, "tracking": user is not None}
    if web.is_htmx(request) and cursor:
        return render(request, "_feed_items.html", context)
    return render(request, "feed.html", context)


@router.post("/app/events")
async def page_events(request: Request, user: web.MaybeUser) -> Response:
    """The feed's interactions (impressions, watch time, taps) as the page reports them: POST /v1/events'
    contract, authenticated by the session and its CSRF header instead of a bearer token."""
    session = web.read(request)
    if session is None or not web.csrf_matches(session.csrf, request.headers.get(web.CSRF_HEADER)):
        return JSONResponse({"title": "CSRF token missing or wrong", "status": 403}, status_code=403)
    if user is None:
        return JSONResponse({"title": "Sign in first", "status": 401}, status_code=401)
    try:
        body = json.loads(await request.body())
    except ValueError:
        return JSONResponse({"title": "Not JSON", "status": 400}, status_code=400)
    rows = body.get("events") if isinstance(body, dict) else None
    if not isinstance(rows, list) or not 1 <= len(rows) <= 1000:
        return JSONResponse({"title": "events: 1 to 1,000 objects", "status": 422}, status_code=422)

    def record() -> interactions.Recorded:
        with app_of(request).db.transaction() as db_session:
            return interactions.record_events(db_session, user_id=user.user_id, rows=rows)

    done = await run_in_threadpool(record)
    return JSONResponse({"accepted": done.accepted, "duplicates": done.duplicates, "rejected": len(done.rejected)})


# ---- live rooms ------------------------------------------------------------------------------------------


@router.get("/live/{room_id}", response_class=HTMLResponse)
def live_page(request: Request, room_id: PathId) -> Response:
    """The room's shell; its state (pinned product, deals' countdowns) arrives on the room's SSE stream."""
    app = app_of(request)
    with app.db.transaction() as session:
        try:
            room = rooms.live_room(session, principal=None, room_id=room_id)
        except NotFound:
            return render_problem(request, 404, "Not found", "There is no such live room.")
        title = room.title
    return render(request, "live.html", {"room_id": room_id, "title": title})


# ---- product: add to cart -------------------------------------------------------------------------------


@router.post("/cart/lines")
def add_to_cart(request: Request, form: web.Form, user: web.Shopper) -> Response:
    sku = web.field(form, "sku", limit=64)
    try:
        quantity = int(web.field(form, "quantity", "1", limit=4) or "1")
    except ValueError:
        quantity = 1
    app = app_of(request)
    try:
        with app.db.transaction() as session:
            cart = checkout.active_cart(session, principal=user.principal)
            checkout.set_cart_line(
                session, principal=user.principal, cart_id=cart.id, sku=sku, quantity=max(0, min(quantity, 999))
            )
    except DomainError as err:
        return _failed(request, err)
    return _see_other("/cart")


# ---- cart -------------------------------------------------------------------------------------------------


def _cart_view(app: Container, user: web.WebUser) -> Any:
    with app.db.transaction() as session:
        cart = checkout.active_cart(session, principal=user.principal)
        return cart_out(session, cart, app)


@router.get("/cart", response_class=HTMLResponse)
def cart_page(request: Request, user: web.Shopper) -> Response:
    return render(request, "cart.html", {"cart": _cart_view(app_of(request), user), "error": None})


@router.post("/cart/coupons", response_class=HTMLResponse)
def add_coupon(request: Request, form: web.Form, user: web.Shopper) -> Response:
    app = app_of(request)
    code = offers.normalise_code(web.field(form, "code", limit=32))
    try:
        with app.db.transaction() as session:
            cart = checkout.active_cart(session, principal=user.principal)
            offers.check_code(session, code=code, shopper_id=user.user_id, now=utcnow())
            codes = list(cart.coupon_codes or [])
            if code not in codes:
                if len(codes) >= 5:
                    raise InvalidInput("At most 5 coupon codes per cart.", field="code")
                cart.coupon_codes = [*codes, code]
    except DomainError as err:
        return render(request, "cart.html", {"cart": _cart_view(app, user), "error": err.detail}, err.status)
    return _see_other("/cart")


@router.post("/cart/coupons/remove")
def remove_coupon(request: Request, form: web.Form, user: web.Shopper) -> Response:
    code = offers.normalise_code(web.field(form, "code", limit=32))
    with app_of(request).db.transaction() as session:
        cart = checkout.active_cart(session, principal=user.principal)
        cart.coupon_codes = [c for c in cart.coupon_codes or [] if c != code]
    return _see_other("/cart")


# ---- checkout -------------------------------------------------------------------------------------------

ADDRESS_FIELDS = ("name", "line1", "line2", "city", "state", "zip", "phone")


def _address(value: Any) -> dict[str, str]:
    """The address form's values: a saved address, what was typed, or blanks."""
    found = value.model_dump() if isinstance(value, ShippingAddress) else dict(value or {})
    return {k: str(found.get(k) or "") for k in ADDRESS_FIELDS}


@router.get("/checkout", response_class=HTMLResponse)
def checkout_page(request: Request, user: web.Shopper) -> Response:
    cart = _cart_view(app_of(request), user)
    if not cart.lines:
        return _see_other("/cart")
    context = {"cart": cart, "cards": TEST_CARDS, "key": str(uuid.uuid4()), "error": None}
    context["address"] = _address(cart.ship_to)
    return render(request, "checkout.html", context)


@router.post("/checkout/address", response_class=HTMLResponse)
def checkout_address(request: Request, form: web.Form, user: web.Shopper) -> Response:
    app = app_of(request)
    fields = {k: web.field(form, k, limit=200) for k in ADDRESS_FIELDS}
    try:
        address = ShippingAddress.model_validate({k: v for k, v in fields.items() if v})
    except ValidationError as err:
        reasons = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'address'}: {e['msg']}" for e in err.errors())
        cart = _cart_view(app, user)
        context = {"cart": cart, "cards": TEST_CARDS, "key": str(uuid.uuid4()), "error": reasons, "address": fields}
        return render(request, "checkout.html", context, status_code=422)
    with app.db.transaction() as session:
        cart = checkout.active_cart(session, principal=user.principal)
        checkout.set_cart_address(session, principal=user.principal, cart_id=cart.id, address=address)
    return _see_other("/checkout")


@router.post("/checkout/pay", response_class=HTMLResponse)
def checkout_pay(request: Request, form: web.Form, user: web.Shopper) -> Response:
    app = app_of(request)
    method = web.field(form, "payment_method", limit=120)
    cart = _cart_view(app, user)
    status, key = 422, ""
    try:
        key = idempotency.validate_key(web.field(form, "idempotency_key", limit=255) or str(uuid.uuid4()))
        body = CheckoutRequest(cart_id=cart.id, payment_method=method)
        outcome = app.checkout.checkout(principal=user.principal, key=key, request=body)
    except ValidationError:
        outcome = None
        error = "Choose a card."
    except DomainError as err:
        outcome, error, status = None, err.detail, err.status
    if outcome is not None and outcome.status < 400:
        placed = outcome.body.get("orders") or []
        return _see_other(f"/orders/{placed[0]['id']}?placed=1" if len(placed) == 1 else "/orders?placed=1")
    if outcome is not None:
        error = str(outcome.body.get("detail") or outcome.body.get("title") or "The payment did not go through.")
        status = outcome.status
    # After a provider timeout (503) the retry must reuse the key: it resumes the same orders, never charges
    # twice. After a decline the orders are cancelled and the stock is back: a retry is a new checkout.
    retry_key = key if status == 503 and key else str(uuid.uuid4())
    context = {"cart": _cart_view(app, user), "cards": TEST_CARDS, "key": retry_key, "error": error}
    context["address"] = _address(context["cart"].ship_to)
    return render(request, "checkout.html", context, status_code=status)


# ---- orders, tracking, returns, messages -------------------------------------------------------------------


@router.get("/orders", response_class=HTMLResponse)
def orders_page(request: Request, user: web.Shopper) -> Response:
    with app_of(request).db.transaction() as session:
        rows = orders.list_orders(session, principal=user.principal, status=None, after_id=None, limit=50)
        items = [
            {"id": o.id, "status": o.status.value, "total": o.total_cents, "placed_at": o.placed_at, "lines": o.lines}
            for o in rows
        ]
    return render(request, "orders.html", {"orders": items})


def _timeline(history: Any, tracked: list[shipping.Tracked]) -> list[dict[str, Any]]:
    """The order's story, oldest first: its status changes and every carrier scan of its parcels."""
    steps: list[dict[str, Any]] = [
        {"at": h.at, "what": h.to_status.value.replace("_", " ").capitalize(), "where": None, "kind": "status"}
        for h in history
    ]
    for t in tracked:
        for e in t.events:
            what = (e.description or e.status).replace("_", " ").capitalize()
            steps.append({"at": e.occurred_at, "what": what, "where": e.location, "kind": "scan"})
    return sorted(steps, key=lambda s: s["at"])


def _order_context(app: Container, user: web.WebUser, order_id: int) -> dict[str, Any]:
    with app.db.transaction() as session:
        order = orders.get_order(session, principal=user.principal, order_id=order_id)
        _, tracked = shipping.order_tracking(session, principal=user.principal, order_id=order_id)
        timeline = _timeline(orders.history(session, principal=user.principal, order_id=order_id), tracked)
        parcels = [
            {"carrier": t.shipment.carrier, "tracking": t.shipment.tracking_number, "status": t.shipment.status.value}
            for t in tracked
        ]
        discounts = explain.of_orders(session, [order.id])
        view = {
            "id": order.id,
            "status": order.status.value,
            "lines": list(order.lines),
            "subtotal": order.subtotal_cents,
            "discount": order.discount_cents,
            "shipping": order.shipping_cents,
            "tax": order.tax_cents,
            "total": order.total_cents,
            "ship_to": order.ship_to,
            "promised": order.promised_delivery_date,
            "placed_at": order.placed_at,
        }
    try:
        eligibility = return_requests.eligibility(app, user.principal, order_id)
    except DomainError:
        eligibility = None
    returns = return_requests.of_order(app, user.principal, order_id)
    with app.db.transaction() as session:
        found = conversations.list_conversations(
            session, principal=user.principal, filters=conversations.Filters(order_id=order_id), before_id=None, limit=1
        )
        conv = found[0] if found else None
        said = []
        if conv is not None:
            _, rows = support_messages.list_messages(
                session, principal=user.principal, conversation_id=conv.id, before_id=None, after_id=0, limit=100
            )
            said = [message_out(m, user.principal) for m in rows]
    return {
        "order": view,
        "timeline": timeline,
        "parcels": parcels,
        "discounts": discounts,
        "eligibility": eligibility,
        "returns": returns,
        "conversation": conv,
        "messages": said,
    }


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_page(request: Request, order_id: PathId, user: web.Shopper, placed: int = 0) -> Response:
    try:
        context = _order_context(app_of(request), user, order_id)
    except NotFound:
        return render_problem(request, 404, "Not found", "We couldn't find that order.")
    return render(request, "order.html", {**context, "placed": bool(placed)})


@router.post("/orders/{order_id}/returns")
def start_return(request: Request, order_id: PathId, form: web.Form, user: web.Shopper) -> Response:
    wanted = []
    for name, value in form.multi_items():
        if name.startswith("qty_") and isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
            line_id = name.removeprefix("qty_")
            if line_id.isdigit():
                wanted.append(WantedIn(order_line_id=int(line_id), quantity=min(int(value), 999)))
    try:
        if not wanted:
            raise InvalidInput("Choose at least one item to return.")
        body = ReturnIn.model_validate(
            {
                "lines": wanted,
                "reason": web.field(form, "reason", limit=40) or "no_reason",
                "comment": web.field(form, "comment", limit=1000) or None,
            }
        )
        return_id = return_requests.request_return(app_of(request), user.principal, order_id, body)
    except ValidationError:
        return render_problem(request, 422, "Invalid return", "Choose a reason from the list.")
    except DomainError as err:
        return _failed(request, err)
    return _see_other(f"/returns/{return_id}")


@router.get("/returns/{return_id}", response_class=HTMLResponse)
def return_page(request: Request, return_id: PathId, user: web.Shopper) -> Response:
    try:
        ret = return_requests.read(app_of(request), user.principal, return_id)
    except NotFound:
        return render_problem(request, 404, "Not found", "We couldn't find that return.")
    return render(request, "return.html", {"r": ret})


@router.post("/orders/{order_id}/messages")
def send_message(request: Request, order_id: PathId, form: web.Form, user: web.Shopper) -> Response:
    app = app_of(request)
    text = web.field(form, "text", limit=2000)
    try:
        if not text:
            raise InvalidInput("Write a message first.")
        posting = support_messages.Posting(config=app.support.config, returns_config=app.returns_config())
        with app.db.transaction() as session:
            conv, _ = conversations.open_conversation(
                session, principal=user.principal, order_id=order_id, counterpart=None, now=utcnow()
            )
            thread.post(
                session, principal=user.principal, conversation_id=conv.id, draft=support_messages.Draft(text=text),
                settings=posting, now=utcnow(),
            )  # fmt: skip
            conversation_id = conv.id
        app.support.changed(conversation_id, "message")
    except DomainError as err:
        return _failed(request, err)
    return _see_other(f"/orders/{order_id}#messages")


@router.get("/app/conversations/{conversation_id}/stream")
async def stream_messages(
    request: Request,
    conversation_id: PathId,
    user: web.MaybeUser,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    last_event_id: Annotated[int | None, Header(alias="Last-Event-ID", ge=0, le=MAX_ID)] = None,
) -> Response:
    """The order page's live messages (SSE): ``GET /v1/conversations/{id}/stream`` for the session's user, as
    an EventSource sends the cookie but never a bearer header. Participants only: anyone else gets 404."""
    if user is None:
        return JSONResponse({"title": "Sign in first", "status": 401}, status_code=401)
    try:
        return await live_messages.conversation_stream(
            app_of(request), user.principal, conversation_id, after=after, last_event_id=last_event_id
        )
    except NotFound:
        return JSONResponse({"title": "Not found", "status": 404}, status_code=404)


@router.post("/promotions/{promotion_id}/claim")
def claim_coupon(request: Request, promotion_id: PathId, form: web.Form, user: web.Shopper) -> Response:
    try:
        with app_of(request).db.transaction() as session:
            claims.claim(session, principal=user.principal, promotion_id=promotion_id, now=utcnow())
    except DomainError as err:
        return _failed(request, err)
    return _see_other(web.safe_next(web.field(form, "next"), "/cart"))
