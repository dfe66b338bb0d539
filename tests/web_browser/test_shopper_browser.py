"""The shopper's web app in a real browser (headless chromium): sign in, scroll the feed (its impressions
reach the events pipeline), open a product, add it to the cart, apply a coupon and read the price
explained, check out with the test card, follow the order's tracking to delivery and start a return.
Plus what must be refused: a write without the CSRF token, another role's pages, a revoked session."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select, update

from live_rooms.room_world import room_on_air, start_deal
from support import LiveServer, Market
from web_browser.browser_world import coupon, person, ship_and_deliver, shot, sign_in
from yellowcart.auth.models import ApiToken, Role
from yellowcart.db import utcnow
from yellowcart.interactions.models import InteractionEvent
from yellowcart.orders.models import Order
from yellowcart.returns.models import ReturnRequest


def _market(market: Market, products: int = 10) -> dict[str, Any]:
    acme = market.seller("acme")
    seller_token = market.user("acme-staff", Role.SELLER, seller_id=acme)
    skus = [market.product(acme, price_cents=2500 + 100 * n, title="Glow serum") for n in range(products)]
    shopper = person(market, "ada", Role.SHOPPER)
    seller = person(market, "sam", Role.SELLER, seller_id=acme)
    coupon(market, "SPRING", amount_off_cents=400, min_spend_cents=2000)
    return {"acme": acme, "seller_token": seller_token, "skus": skus, "shopper": shopper, "seller": seller}


def _count(market: Market, query: Any) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(query) or 0)


def test_shopper_buys_from_the_feed_follows_tracking_and_starts_a_return(
    server: LiveServer, market: Market, page: Any
) -> None:
    world = _market(market)
    base = server.base_url

    # Signing in lands a shopper on the feed: cards with creator-less posters, the yellow cart and price.
    sign_in(page, base, world["shopper"])
    assert page.url.endswith("/feed")
    cards = page.locator(".fcard")
    assert cards.count() == 8
    assert page.get_by_role("link", name=re.compile(r"^Buy Glow serum \d+ for \$\d+\.\d\d$")).count() == 8
    assert "Get it by" in page.locator(".fcard").first.inner_text()  # the delivery promise for the home ZIP
    shot(page, "shopper-feed")

    # Scrolling to the end loads the next page (HTMX, "revealed"); impressions and watch time are sent.
    page.locator(".feed-more").scroll_into_view_if_needed()
    page.wait_for_function("document.querySelectorAll('.fcard').length === 10")
    page.mouse.wheel(0, 400)
    page.evaluate("window.ycFlushEvents()")
    page.wait_for_function("Number(document.getElementById('feed').dataset.sent || 0) > 0")
    impressions = select(func.count()).select_from(InteractionEvent).where(InteractionEvent.type == "impression")
    assert _count(market, impressions) >= 1

    # Opening a card is a tap (cart_tap) and shows the product with its delivery date for ZIP 10118.
    page.locator(".fcard .fcard-title a").first.click()
    page.wait_for_url(re.compile(r"/products/\d+"))
    assert "Get it by" in page.locator("#delivery").inner_text()
    shot(page, "shopper-product")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url(re.compile(r"/cart$"))

    # A coupon applies and the price is explained line by line.
    page.get_by_label("Coupon code").fill("spring")
    page.get_by_role("button", name="Apply").click()
    assert "SPRING" in page.locator(".coupon-status.ok").inner_text()
    explained = page.locator(".explain").inner_text()
    assert "\u2212$4.00" in explained and "coupon SPRING" in explained
    shot(page, "shopper-cart")

    # Checkout: the address brings the tax and the delivery date; the test card pays.
    page.get_by_role("link", name="Check out").click()
    page.get_by_label("Full name").fill("Ada Shopper")
    page.get_by_label("Street address").fill("350 5th Ave")
    page.get_by_label("City").fill("New York")
    page.get_by_label("State").fill("NY")
    page.get_by_label("ZIP").fill("10118")
    page.get_by_role("button", name="Use this address").click()
    assert "NY" in page.locator(".totals").inner_text() and "Arrives by" in page.content()
    total = page.locator("[data-total]").get_attribute("data-total")
    shot(page, "shopper-checkout")
    page.get_by_label("A card that is declined (test card)").check()
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    assert "declined" in page.locator(".notice").inner_text().lower()  # and the cart is still there to retry
    page.get_by_label("Visa ending 4242 (test card)").check()
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    page.wait_for_url(re.compile(r"/orders/\d+"))
    order_id = int(re.search(r"/orders/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    assert "Thank you" in page.content()
    with market.db.transaction() as s:
        order = s.get(Order, order_id)
        assert order is not None and order.total_cents == int(total or 0) and order.discount_cents == 400

    # The order's tracking timeline follows it to the door; then a return starts from the order page.
    ship_and_deliver(server, market, world["seller_token"], order_id)
    page.goto(f"{base}/orders/{order_id}")
    timeline = page.locator("#timeline").inner_text()
    assert "Awaiting shipment" in timeline and "Delivered" in timeline
    assert page.locator("#order-status").inner_text() == "delivered"
    shot(page, "shopper-order")
    page.get_by_role("button", name="Start a return").click()
    page.wait_for_url(re.compile(r"/returns/\d+"))
    assert page.locator("#return-status").inner_text() != ""
    returns = select(func.count()).select_from(ReturnRequest).where(ReturnRequest.order_id == order_id)
    assert _count(market, returns) == 1
    shot(page, "shopper-return")

    # A message to the seller about the order.
    page.goto(f"{base}/orders/{order_id}")
    page.get_by_label("Your message").fill("Can I get the box without the leaflet?")
    page.get_by_role("button", name="Send").click()
    assert "without the leaflet" in page.locator("#messages").inner_text()


def test_writes_without_the_csrf_token_are_refused(server: LiveServer, market: Market, page: Any) -> None:
    world = _market(market, products=1)
    sign_in(page, server.base_url, world["shopper"])
    sku = world["skus"][0]

    # The page's own form carries the token; the same request forged without it (or with a wrong one) is a 403.
    missing = page.request.post(f"{server.base_url}/cart/lines", form={"sku": sku, "quantity": "1"})
    wrong = page.request.post(
        f"{server.base_url}/cart/lines", form={"sku": sku, "quantity": "1", "csrf_token": "not-the-token"}
    )
    events = page.request.post(f"{server.base_url}/app/events", data={"events": [{"type": "impression"}]})
    assert missing.status == 403 and "This form has expired" in missing.text()
    assert wrong.status == 403 and events.status == 403
    page.goto(f"{server.base_url}/cart")
    assert "Your cart is empty" in page.content()  # nothing was added

    # The sign-in form is protected too (an anonymous session's token), so no login CSRF either.
    anon = page.context.browser.new_context()
    try:
        forged = anon.request.post(f"{server.base_url}/signin", form={"email": world["shopper"], "password": "x"})
        assert forged.status == 403
    finally:
        anon.close()


def test_roles_see_only_their_pages_and_revoked_sessions_end(server: LiveServer, market: Market, page: Any) -> None:
    world = _market(market, products=1)
    base = server.base_url

    page.goto(f"{base}/orders")  # anonymous: sign in first, then back to where they were going
    assert "/signin?next=%2Forders" in page.url
    shot(page, "signin")

    sign_in(page, base, world["seller"])  # a seller is not a shopper: the shopper's pages are a 403 page
    for path in ("/cart", "/orders", "/checkout"):
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 403, path
        assert "Not for your account" in page.content()
    assert page.get_by_role("link", name="Cart", exact=True).count() == 0  # and the navigation does not offer them

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, base, world["shopper"], password="wrong password")
    assert "Email or password is wrong" in page.content()
    sign_in(page, base, world["shopper"], next_path="/orders")
    assert page.url.endswith("/orders")

    # Revoking the session's token (e.g. "log out everywhere") ends the web session too.
    with market.db.transaction() as s:
        s.execute(update(ApiToken).where(ApiToken.user_id == market.users["ada"]).values(revoked_at=utcnow()))
    server.container.tokens.clear()
    page.goto(f"{base}/orders")
    assert "/signin" in page.url


def test_a_live_room_shows_the_pinned_product_and_the_deal_countdown(
    server: LiveServer, market: Market, page: Any
) -> None:
    room = room_on_air(server, market)
    page.goto(f"{server.base_url}/live/{room.id}")
    page.wait_for_function("document.getElementById('live-state').textContent === 'live'")

    with server.client(room.host) as host:  # the host pins a listing: the page follows the SSE stream
        assert host.patch(f"/v1/content/{room.id}", json={"pinned_product_id": room.products[1]}).status_code == 200
    pinned = page.locator("#pinned a")
    pinned.wait_for()
    assert pinned.get_attribute("href") == f"/products/{room.products[1]}"
    start_deal(server, room, quantity=5, price_cents=500)
    deal = page.locator("#deals li").first
    deal.wait_for()
    assert re.search(r"\d+:\d\d left · 5 units", deal.inner_text())
    shot(page, "shopper-live")
