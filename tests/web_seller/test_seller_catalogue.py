"""The seller centre's products with variants and the application's entity and ID-document forms.

In a real browser: a seller creates a product with two variants (size and colour) through the repeating rows
of the new-product form, adds a third on the product's page, changes a price and takes one variant off sale,
and the public product API shows exactly that; a pending seller fills in its business entity and ID document,
sees the two rules flip to passed, and never sees the EIN or document number again, not even after a
refused save. Over plain HTTP: another shop's product is missing, a duplicate SKU or a bad price is refused
next to its input and writes nothing, and a form without its CSRF token is refused."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import func, select

from sellers.onboarding_world import DOC_NUMBER, EIN, sign_up, today
from support import LiveServer, Market
from web.web_client import signed_in
from web_browser.browser_world import PASSWORD, person, shot, sign_in
from yellowcart.auth.models import Role
from yellowcart.catalog.models import Category, Product, Variant
from yellowcart.sellers.models import SellerApplication, SellerIdDocument
from yellowcart.sellers.policies import seed_markets


def _category(market: Market, slug: str = "apparel") -> None:
    with market.db.transaction() as s:
        s.add(Category(slug=slug, name=slug.title(), path=f"{slug}/"))


def _counts(market: Market) -> tuple[int, int]:
    with market.db.transaction() as s:
        products = s.scalar(select(func.count()).select_from(Product)) or 0
        variants = s.scalar(select(func.count()).select_from(Variant)) or 0
    return int(products), int(variants)


def _product_id(market: Market, sku: str) -> int:
    with market.db.transaction() as s:
        return int(s.scalars(select(Variant.product_id).where(Variant.sku == sku)).one())


def _prices(market: Market, product_id: int) -> dict[str, tuple[int, int | None, bool]]:
    with market.db.transaction() as s:
        rows = s.execute(
            select(Variant.sku, Variant.price_cents, Variant.compare_at_cents, Variant.is_active).where(
                Variant.product_id == product_id
            )
        )
        return {sku: (price, compare_at, active) for sku, price, compare_at, active in rows}


# ---- in a real browser ---------------------------------------------------------------------------------------


def test_seller_creates_a_product_with_variants_adds_one_and_reprices(
    server: LiveServer, market: Market, desk: Any
) -> None:
    acme = market.seller("acme")
    _category(market)
    sign_in(desk, server.base_url, person(market, "acme-staff", Role.SELLER, seller_id=acme))
    desk.get_by_role("link", name="Products", exact=True).click()

    # Two variants: name the options, fill the first row, ask for another row (a plain submit: no script).
    new = desk.locator("#new-product")
    new.get_by_label("Title").fill("Linen shirt")
    new.get_by_label("Category").select_option(label="Apparel")
    new.get_by_label("Option 1 name").fill("Size")
    new.get_by_label("Option 2 name").fill("Colour")
    first = desk.locator("#new-variant-1")
    first.get_by_label("Option 1 value").fill("M")
    first.get_by_label("Option 2 value").fill("Sand")
    first.get_by_label("SKU").fill("SHIRT-M-SAND")
    first.get_by_label("Price (USD)").fill("30")
    new.get_by_role("button", name="Add another variant").click()
    assert _counts(market) == (0, 0)  # another row, nothing written
    assert desk.locator("#new-variant-1").get_by_label("SKU").input_value() == "SHIRT-M-SAND"
    second = desk.locator("#new-variant-2")
    second.get_by_label("Size").fill("L")  # the rows are now labelled with the option names
    second.get_by_label("Colour").fill("Sand")
    second.get_by_label("SKU").fill("SHIRT-L-SAND")
    second.get_by_label("Price (USD)").fill("32.00")
    second.get_by_label("Compare-at price in USD (optional)").fill("40")
    desk.locator("#new-product").get_by_label("Status").select_option("active")
    desk.locator("#new-product").get_by_role("button", name="Create product").click()
    assert re.search(r"Product \d+ created", desk.locator(".notice.ok").inner_text())
    product_id = _product_id(market, "SHIRT-M-SAND")
    assert _prices(market, product_id) == {"SHIRT-M-SAND": (3000, None, True), "SHIRT-L-SAND": (3200, 4000, True)}

    # The product's page: its variants, then a third one (a value for each of the product's options).
    desk.get_by_role("link", name="Linen shirt").click()
    assert desk.url.endswith(f"/seller/products/{product_id}")
    assert desk.locator("#variants tbody tr").count() == 2
    add = desk.locator("#add-variant")
    add.get_by_label("Size").fill("S")
    add.get_by_label("Colour").fill("Sand")
    add.get_by_label("SKU").fill("SHIRT-S-SAND")
    add.get_by_label("Price (USD)").fill("28")
    add.get_by_role("button", name="Add variant").click()
    assert desk.locator(".notice.ok").inner_text() == "Variant added."
    assert desk.locator("#variants tbody tr").count() == 3
    assert "Size: S · Colour: Sand" in desk.locator("#variant-SHIRT-S-SAND").inner_text()

    # A new price for one variant; another taken off sale.
    row = desk.locator("#variant-SHIRT-M-SAND")
    row.get_by_label("Price of SHIRT-M-SAND (USD)").fill("29.50")
    row.get_by_role("button", name="Save price (SHIRT-M-SAND)").click()
    assert desk.locator(".notice.ok").inner_text() == "Price saved."
    assert desk.locator("#variant-SHIRT-M-SAND").get_by_label("Price of SHIRT-M-SAND (USD)").input_value() == "29.50"
    desk.get_by_role("button", name="Take off sale (SHIRT-L-SAND)").click()
    assert desk.locator(".notice.ok").inner_text() == "Variant taken off sale."
    shot(desk, "seller-product")

    # The shop's product API shows the variants on sale, with their options and prices.
    with server.client() as c:
        body = c.get(f"/v1/products/{product_id}").json()
    shown = {v["sku"]: (v["options"], v["price_cents"]) for v in body["variants"]}
    assert shown == {
        "SHIRT-M-SAND": ({"Size": "M", "Colour": "Sand"}, 2950),
        "SHIRT-S-SAND": ({"Size": "S", "Colour": "Sand"}, 2800),
    }


def test_pending_seller_fills_entity_and_id_document_and_sees_only_masked_numbers(
    server: LiveServer, market: Market, desk: Any
) -> None:
    with market.db.transaction() as s:
        seed_markets(s)
    signed = sign_up(server, "nova")
    sign_in(desk, server.base_url, "nova@sellers.example.com", PASSWORD)
    desk.goto(server.base_url + "/seller/application")
    entity_rule, document_rule = (
        desk.locator("#rules tr", has_text="us entity with ein"),
        desk.locator("#rules tr", has_text="id document"),
    )
    assert "failed" in entity_rule.inner_text() and "failed" in document_rule.inner_text()

    # A refused save (no such state) keeps what was typed, except the EIN, and writes nothing.
    entity = desk.locator("#entity")
    entity.get_by_label("Business type").select_option("llc")
    entity.get_by_label("Legal name").fill("Nova Goods LLC")
    entity.get_by_label("EIN").fill(EIN)
    entity.get_by_label("Street address").fill("350 5th Ave")
    entity.get_by_label("City").fill("New York")
    entity.get_by_label("State").fill("ZZ")
    entity.get_by_label("Business ZIP code").fill("10118")
    entity.get_by_role("button", name="Save business entity").click()
    assert "two-letter US state" in desk.locator("#entity").get_by_role("alert").inner_text()
    assert desk.locator("#entity").get_by_label("Legal name").input_value() == "Nova Goods LLC"
    assert desk.locator("#entity").get_by_label("EIN").input_value() == ""
    assert EIN not in desk.content() and EIN.replace("-", "") not in desk.content()
    with market.db.transaction() as s:
        assert s.scalar(select(SellerApplication.legal_name)) is None

    entity = desk.locator("#entity")
    entity.get_by_label("EIN").fill(EIN)
    entity.get_by_label("State").fill("NY")
    entity.get_by_role("button", name="Save business entity").click()
    assert "checked again" in desk.locator(".notice.ok").inner_text()
    # Another form's refused save keeps the entity form filled in from what is on file (the EIN masked only).
    desk.get_by_label("Phone (US)").fill("12")
    desk.get_by_role("button", name="Save and check again").click()
    assert "Phone" in desk.get_by_role("alert").inner_text()
    assert desk.locator("#entity").get_by_label("Legal name").input_value() == "Nova Goods LLC"
    assert "On file: **-***8263" in desk.locator("#ein-hint").inner_text()

    document = desk.locator("#document")
    document.get_by_label("Document type").select_option("drivers_license")
    document.get_by_label("Issuing state").fill("NY")
    document.get_by_label("Document number").fill(DOC_NUMBER)
    document.get_by_label("Expiry date").fill((today() + dt.timedelta(days=1100)).isoformat())
    document.get_by_role("button", name="Save ID document").click()
    assert "checked again" in desk.locator(".notice.ok").inner_text()

    # Both rules now pass; the page shows the numbers masked, never in full.
    assert "passed" in desk.locator("#rules tr", has_text="us entity with ein").inner_text()
    assert "passed" in desk.locator("#rules tr", has_text="id document").inner_text()
    assert desk.locator("#ein-on-file").inner_text() == "**-***8263"
    assert f"****{DOC_NUMBER[-4:]}" in desk.locator("#document-on-file").inner_text()
    html = desk.content()
    for secret in (EIN, EIN.replace("-", ""), DOC_NUMBER):
        assert secret not in html
    assert desk.locator("#document").get_by_label("Document number").input_value() == ""
    shot(desk, "seller-application-identity")
    with market.db.transaction() as s:
        application = s.scalars(select(SellerApplication)).one()
        doc = s.scalars(select(SellerIdDocument)).one()
        assert application.id == signed["application"]["id"]
        assert (application.ein_last4, len(application.ein_hmac or "")) == ("8263", 64)
        assert (doc.number_last4, doc.issuing_state, len(doc.number_hmac)) == (DOC_NUMBER[-4:], "NY", 64)


# ---- over plain HTTP -----------------------------------------------------------------------------------------


def test_another_sellers_product_is_missing_on_every_page_and_form(server: LiveServer, market: Market) -> None:
    acme, beta = market.seller("acme"), market.seller("beta")
    sku = market.product(beta, price_cents=2500)  # on sale: the shop window shows it to anyone
    product_id = _product_id(market, sku)
    before = (_counts(market), _prices(market, product_id))
    with signed_in(server, person(market, "acme-staff", Role.SELLER, seller_id=acme), PASSWORD) as (c, csrf):
        assert c.get(f"/seller/products/{product_id}").status_code == 404
        writes = {
            f"/seller/products/{product_id}/details": {"title": "Mine now", "category": "beauty"},
            f"/seller/products/{product_id}/variants": {"sku": "STOLEN-1", "price": "1"},
            f"/seller/products/{product_id}/variants/{sku}": {"price": "1"},
            f"/seller/products/{product_id}/variants/{sku}/active": {"active": "0"},
        }
        for path, data in writes.items():
            response = c.post(path, data={"csrf_token": csrf, **data})
            assert response.status_code == 404, path
            assert "Mine now" not in response.text
    assert (_counts(market), _prices(market, product_id)) == before


def test_duplicate_sku_and_bad_prices_are_refused_inline_and_write_nothing(server: LiveServer, market: Market) -> None:
    acme, beta = market.seller("acme"), market.seller("beta")
    theirs = market.product(beta)
    ours = market.product(acme, price_cents=1999)
    ours_id = _product_id(market, ours)
    before = (_counts(market), _prices(market, ours_id))
    new = {"title": "Travel kit", "category": "beauty", "option_name_1": "Size", "option_name_2": "",
           "sku": ["KIT-S", theirs], "price": ["12", "14"], "compare_at": ["", ""],
           "option_value_1": ["S", "M"], "option_value_2": ["", ""]}  # fmt: skip
    with signed_in(server, person(market, "acme-staff", Role.SELLER, seller_id=acme), PASSWORD) as (c, csrf):
        # Another shop's SKU on the second row: refused next to that row, the form as typed, nothing written.
        response = c.post("/seller/products", data={"csrf_token": csrf, **new})
        assert response.status_code == 422
        assert 'id="err-new-sku-1"' in response.text and "already in use" in response.text
        assert 'aria-invalid="true" aria-describedby="err-new-sku-1"' in response.text
        assert 'value="KIT-S"' in response.text and 'value="Travel kit"' in response.text

        # A bad price and a compare-at price below the price: both named, per row.
        bad = {**new, "sku": ["KIT-S", "KIT-M"], "price": ["12.345", "14"], "compare_at": ["", "9"]}
        response = c.post("/seller/products", data={"csrf_token": csrf, **bad})
        assert response.status_code == 422
        assert "Variant 1 price: enter dollars and cents" in response.text
        assert "Variant 2 compare-at price: at least the price" in response.text

        # On the product's page: a SKU already taken, and a price that is not a number.
        page = f"/seller/products/{ours_id}"
        response = c.post(f"{page}/variants", data={"csrf_token": csrf, "option_value_1": "50ml", "sku": theirs,
                                                    "price": "10"})  # fmt: skip
        assert response.status_code == 422 and "SKU already in use" in response.text
        response = c.post(f"{page}/variants/{ours}", data={"csrf_token": csrf, "price": "ten", "compare_at": ""})
        assert response.status_code == 422 and "enter an amount like 19.99" in response.text
        assert 'value="ten"' in response.text
    assert (_counts(market), _prices(market, ours_id)) == before


def test_forms_without_their_csrf_token_are_refused(server: LiveServer, market: Market) -> None:
    acme = market.seller("acme")
    ours = market.product(acme)
    product_id = _product_id(market, ours)
    before = (_counts(market), _prices(market, product_id))
    with market.db.transaction() as s:
        seed_markets(s)
    sign_up(server, "nova")
    with signed_in(server, person(market, "acme-staff", Role.SELLER, seller_id=acme), PASSWORD) as (c, _):
        for path, data in {
            "/seller/products": {"title": "No token", "category": "beauty", "sku": "NT-1", "price": "5"},
            f"/seller/products/{product_id}/variants": {"sku": "NT-2", "price": "5", "option_value_1": "1"},
            f"/seller/products/{product_id}/variants/{ours}": {"price": "1"},
        }.items():
            assert c.post(path, data=data).status_code == 403, path
    with signed_in(server, "nova@sellers.example.com", PASSWORD) as (c, csrf):
        entity = {"section": "entity", "entity_type": "llc", "legal_name": "Nova LLC", "ein": EIN,
                  "line1": "350 5th Ave", "city": "New York", "state": "NY", "postal_code": "10118"}  # fmt: skip
        assert c.post("/seller/application", data=entity).status_code == 403
        assert c.post("/seller/application", data={**entity, "csrf_token": csrf + "x"}).status_code == 403
    assert (_counts(market), _prices(market, product_id)) == before
    with market.db.transaction() as s:
        assert s.scalar(select(SellerApplication.ein_last4)) is None
