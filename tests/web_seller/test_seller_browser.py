"""The seller centre in a real browser (headless chromium): a seller signs in onto its home (the numbers
and what needs doing), buys a label and ships an order, checks a Shopify CSV with a bad row (the per-row
report) and applies it; a pending seller fills in the application and reads each rule's result and what
to fix. And what must be refused: a shopper on /seller pages, one seller touching another's order."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select

from sellers.onboarding_world import sign_up
from shipping.shipping_world import buy, drain
from support import LiveServer, Market
from web_browser.browser_world import PASSWORD, person, ship_and_deliver, shot, sign_in
from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog.models import Product
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import utcnow
from yellowcart.fulfillment.models import Shipment, ShipmentStatus
from yellowcart.redirect.cutover import schedule_cutover
from yellowcart.redirect.cutover_state import default_market
from yellowcart.returns.models import ReturnRequest
from yellowcart.returns.state import ReturnStatus
from yellowcart.sellers.policies import seed_markets

CSV = (
    "Handle,Title,Body (HTML),Vendor,Variant SKU,Variant Price,Variant Inventory Qty\n"
    "glow-mist,Glow mist,<p>Fine mist</p>,Acme,MIST-1,18.00,5\n"
    "broken-balm,Broken balm,<p>No price</p>,Acme,BALM-1,not-a-price,5\n"
)


def _shop(market: Market, name: str) -> dict[str, Any]:
    seller_id = market.seller(name)
    return {"id": seller_id, "email": person(market, f"{name}-staff", Role.SELLER, seller_id=seller_id)}


def _order(server: LiveServer, market: Market, seller_id: int, shopper: str, price_cents: int) -> int:
    sku = market.product(seller_id, price_cents=price_cents, title="Glow serum")
    order = buy(server, shopper, [(sku, 1)])["orders"][0]
    drain(server)  # order.paid -> allocated to the seller's own warehouse
    return int(order["id"])


def _post_status(page: Any, url: str) -> int:
    """A write from the signed-in page with its session's CSRF header (as HTMX would send it)."""
    script = (
        "async (u) => (await fetch(u, {method: 'POST', headers: "
        "{'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content}})).status"
    )
    return int(page.evaluate(script, url))


def _products(market: Market, seller_id: int) -> int:
    with market.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(Product).where(Product.seller_id == seller_id)) or 0)


def test_seller_sees_numbers_ships_an_order_and_imports_a_csv(server: LiveServer, market: Market, desk: Any) -> None:
    acme, beta = _shop(market, "acme"), _shop(market, "beta")
    shopper = market.user("shopper", Role.SHOPPER)
    order_id = _order(server, market, acme["id"], shopper, 2500)
    other_order = _order(server, market, beta["id"], shopper, 4100)
    base = server.base_url

    # Sign-in lands on the seller centre: this month's GMV and orders (an HTMX fragment), one order to ship.
    sign_in(desk, base, acme["email"])
    assert desk.url.endswith("/seller")
    numbers = desk.locator("#numbers").inner_text()
    assert "$25.00" in numbers and "$41.00" not in numbers  # its own sale only
    assert re.search(r"\b1\s+orders\b", numbers)
    assert (
        "late dispatch" in desk.locator("#health").inner_text() and "at most 4%" in desk.locator("#health").inner_text()
    )
    assert desk.get_by_role("img", name=re.compile(r"GMV per week over the last 8 weeks, \$25\.00 in all")).count() == 1
    assert re.search(r"\b1\s+orders to ship", desk.locator("#todo").inner_text())
    shot(desk, "seller-home")
    desk.goto(base + "/seller/numbers")
    assert desk.get_by_role("img").count() >= 4  # GMV, return rate, late dispatch per week; conversion by mode
    shot(desk, "seller-numbers")
    desk.go_back()

    # Orders to ship: only its own; buy the label (a tracking number), then mark it shipped.
    desk.get_by_role("link", name="Orders to ship").first.click()
    to_ship = desk.locator("#to-ship").inner_text()
    assert f"Order #{order_id}" in to_ship and f"#{other_order}" not in desk.content()
    desk.get_by_role("button", name=f"Buy label for order #{order_id}").click()
    assert "Label bought" in desk.locator(".notice.ok").inner_text()
    assert re.search(r"tracking \S+", desk.locator("#to-ship").inner_text())
    shot(desk, "seller-orders")
    desk.get_by_role("button", name=f"Mark order #{order_id} shipped").click()
    assert "marked shipped" in desk.locator(".notice.ok").inner_text()
    assert f"#{order_id}" in desk.locator("#shipped").inner_text()
    with market.db.transaction() as s:
        status = s.scalar(select(Shipment.status).where(Shipment.order_id == order_id))
        beta_shipment = s.scalar(select(Shipment.id).where(Shipment.order_id == other_order))
    assert status is ShipmentStatus.AWAITING_COLLECTION

    # Another seller's package reads as missing, even with a valid session and CSRF token.
    assert _post_status(desk, f"/seller/shipments/{beta_shipment}/label") == 404
    assert _post_status(desk, f"/seller/shipments/{beta_shipment}/ship") == 404
    # ...and without the CSRF token the write is refused before any work.
    assert desk.evaluate("async (u) => (await fetch(u, {method: 'POST'})).status", "/seller/import") == 403

    # Shopify CSV: the dry run reports every row (the bad one skipped with its reason) and writes nothing.
    before = _products(market, acme["id"])
    desk.get_by_role("link", name="Import products").click()
    desk.get_by_label("Shopify product CSV").set_input_files(
        files=[{"name": "products.csv", "mimeType": "text/csv", "buffer": CSV.encode()}]
    )
    desk.get_by_role("button", name="Check file").click()
    report = desk.locator("#row-report")
    rows = report.locator("tbody tr")
    assert rows.count() == 2
    assert "MIST-1" in rows.nth(0).inner_text() and "imported" in rows.nth(0).inner_text()
    bad = rows.nth(1).inner_text()
    assert "broken-balm" in bad and "skipped" in bad and "price" in bad.lower()
    assert _products(market, acme["id"]) == before
    shot(desk, "seller-import")
    desk.get_by_role("button", name="Apply this import").click()
    assert "1 created" in desk.locator("#import-summary").inner_text()
    assert _products(market, acme["id"]) == before + 1


def test_seller_answers_a_return_and_reads_stock_and_statements(server: LiveServer, market: Market, desk: Any) -> None:
    acme = _shop(market, "acme")
    seller_token = market.user("acme-api", Role.SELLER, seller_id=acme["id"])
    shopper = market.user("shopper", Role.SHOPPER)
    order_id = _order(server, market, acme["id"], shopper, 3000)
    ship_and_deliver(server, market, seller_token, order_id)
    with server.client(shopper) as c:
        [line] = c.get(f"/v1/orders/{order_id}").json()["lines"]
        body = {"lines": [{"order_line_id": line["id"], "quantity": 1}], "reason": "damaged", "comment": "Cracked cap"}
        response = c.post(f"/v1/orders/{order_id}/returns", json=body)
    assert response.status_code == 201, response.text
    return_id = response.json()["id"]

    sign_in(desk, server.base_url, acme["email"])
    assert re.search(r"\b1\s+returns to answer", desk.locator("#todo").inner_text())
    desk.get_by_role("link", name="Returns", exact=True).click()
    item = desk.locator(f"#return-{return_id}")
    assert "damaged" in item.inner_text() and "Cracked cap" in item.inner_text() and "left" in item.inner_text()
    # A rejection without a reason for the shopper is refused; an approval goes through.
    desk.get_by_role("button", name=f"Reject return #{return_id}").click()
    assert "needs a reason" in desk.locator("main").inner_text()
    desk.go_back()
    desk.get_by_role("button", name=f"Approve return #{return_id}").click()
    assert f"Return {return_id} approved" in desk.locator(".notice.ok").inner_text()
    with market.db.transaction() as s:
        status = s.scalar(select(ReturnRequest.status).where(ReturnRequest.id == return_id))
    assert status is ReturnStatus.AWAITING_BUYER_SHIP

    # Products: the sold listing with its conversion figures; a new one, then a switch to redirect.
    desk.get_by_role("link", name="Products", exact=True).click()
    assert re.search(
        r"Glow serum.*seller fulfilled.*\$30\.00\s+0\s+1\s+n/a", desk.locator("#products").inner_text(), re.S
    )
    new = desk.locator("#new-product")
    new.get_by_label("Title").fill("Travel mirror")
    new.get_by_label("Category").select_option(label="Beauty")
    new.get_by_label("SKU").fill("MIRROR-1")
    new.get_by_label("Price (USD)").fill("12.50")
    new.get_by_role("button", name="Create product").click()
    assert re.search(r"Product \d+ created", desk.locator(".notice.ok").inner_text())
    row = desk.locator("#products tbody tr", has_text="Travel mirror")
    row.get_by_text("Edit Travel mirror").click()
    row.get_by_label("Switch selling mode to").select_option("redirect")
    row.get_by_label("Store link (redirect)").fill("https://acme.example.com/mirror")
    row.get_by_label("Why").fill("Sold on our own store")
    row.get_by_role("button", name="Switch mode").click()
    assert "now sells as redirect" in desk.locator(".notice.ok").inner_text()
    assert "redirect" in desk.locator("#products tbody tr", has_text="Travel mirror").inner_text()

    # Promotions: a seller-funded coupon with a code and a budget, activated, then its results.
    desk.get_by_role("link", name="Promotions").click()
    new = desk.locator("#new-promotion")
    new.get_by_label("Kind").select_option("coupon")
    new.get_by_label("Name").fill("Spring sale")
    new.get_by_label("Percent off").fill("10")
    new.get_by_label("Coupon code").fill("spring10")
    new.get_by_label("Budget (USD, optional)").fill("50")
    new.get_by_role("button", name="Create promotion").click()
    assert "created as a draft" in desk.locator(".notice.ok").inner_text()
    desk.get_by_role("button", name="Activate Spring sale").click()
    row = desk.locator("#promotions tbody tr", has_text="Spring sale").inner_text()
    assert "active" in row and "$0.00 of $50.00" in row and "10% off" in row
    desk.get_by_role("link", name="Spring sale").click()
    assert "0" in desk.locator("#promotion-figures").inner_text()
    assert desk.get_by_role("img", name="Analytics of promotion Spring sale").count() == 1
    shot(desk, "seller-promotion")

    # The redirect cutover: its countdown, and a redirect listing migrated in one click.
    desk.get_by_role("link", name="Cutover").click()
    assert "No cutover is scheduled" in desk.locator("#countdown").inner_text()
    with market.db.transaction() as s:
        operator = Principal(user_id=market.users["shopper"], role=Role.OPERATOR)
        at = utcnow() + dt.timedelta(days=3, hours=5)
        schedule_cutover(s, principal=operator, market=default_market(), at=at, note="", now=utcnow())
    redirect_sku = market.product(acme["id"], mode=SellingMode.REDIRECT, title="Store lamp")
    desk.reload()
    assert re.search(
        r"3 d [45] h \d+ min\s+until redirect listings stop selling", desk.locator("#countdown").inner_text()
    )
    item = desk.locator("#to-migrate li", has_text="Store lamp")
    assert redirect_sku in item.inner_text()
    item.get_by_label("Units per SKU for Store lamp").fill("4")
    item.get_by_role("button", name=re.compile(r"^Migrate Store lamp")).click()
    assert "now sells in the app (seller fulfilled)" in desk.locator(".notice.ok").inner_text()
    left = desk.locator("#to-migrate").inner_text()
    assert "Store lamp" not in left and "Travel mirror" in left  # the listing switched to redirect above

    # Inventory per warehouse: the seller's own SKU in its own warehouse.
    desk.get_by_role("link", name="Inventory").click()
    assert "WH-acme" in desk.locator("#stock").inner_text()
    shot(desk, "seller-inventory")

    # Statements: this period's ledger lines and its CSV.
    desk.get_by_role("link", name="Statements").click()
    assert desk.locator("#statement").count() == 1
    with desk.expect_download() as download:
        desk.get_by_role("link", name=re.compile(r"^Download CSV for ")).click()
    path = download.value.path()
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    assert "opening_balance" in text and "closing_balance" in text
    shot(desk, "seller-statements")


def test_pending_seller_applies_and_a_shopper_is_refused(server: LiveServer, market: Market, desk: Any) -> None:
    with market.db.transaction() as s:
        seed_markets(s)
    signed = sign_up(server, "nova")
    sign_in(desk, server.base_url, "nova@sellers.example.com", PASSWORD)
    assert "not approved yet" in desk.locator("main").inner_text()
    desk.get_by_role("link", name="See each rule's result and what to fix").click()
    assert desk.url.endswith("/seller/application")
    assert desk.locator("#application-status").inner_text() == "draft"

    # A bad phone number is refused at the edge with what is wrong; nothing is saved.
    desk.get_by_label("Phone (US)").fill("12")
    desk.get_by_role("button", name="Save and check again").click()
    assert "phone" in desk.get_by_role("alert").inner_text().lower()

    desk.get_by_label("Phone (US)").fill("(212) 736-0142")
    desk.get_by_label("Shipping origin ZIP").fill("07102")
    desk.get_by_label("Social handle").fill("@novashop")
    desk.get_by_label("Followers").fill("150")
    desk.get_by_role("button", name="Save and check again").click()
    assert "checked again" in desk.locator(".notice.ok").inner_text()
    rules = desk.locator("#rules tbody tr")
    assert rules.count() >= 3
    failing = desk.locator("#rules tr.fail")
    assert failing.count() >= 1
    assert all(failing.nth(i).locator("td").nth(2).inner_text().strip() for i in range(failing.count()))
    assert desk.get_by_role("button", name="Submit for review").is_disabled()
    assert signed["application"]["status"] == "draft"
    shot(desk, "seller-application")

    # A shopper gets a 403 page on every seller page; an anonymous visitor is sent to sign in first.
    desk.context.clear_cookies()
    sign_in(desk, server.base_url, person(market, "ada", Role.SHOPPER))
    for path in ("/seller", "/seller/numbers", "/seller/orders", "/seller/returns", "/seller/products",
                 "/seller/import", "/seller/promotions", "/seller/inventory", "/seller/statements",
                 "/seller/cutover", "/seller/application"):  # fmt: skip
        response = desk.goto(server.base_url + path)
        assert response is not None and response.status == 403, path
    assert "for seller accounts" in desk.locator("main").inner_text()
    desk.context.clear_cookies()
    desk.goto(server.base_url + "/seller/orders")
    assert "/signin?next=%2Fseller%2Forders" in desk.url
