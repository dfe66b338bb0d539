"""Parsing Shopify product CSVs, no database: both header sets, continuation rows, quoted HTML, market
prices, weights, SKUs, and files that are not Shopify CSVs at all."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog_import.import_world import csv_bytes, fixture
from yellowcart.catalog.category_match import CategoryNode, match_category, split_path
from yellowcart.catalog.import_values import (
    ValueProblem,
    derive_sku,
    normalise_sku,
    parse_cents,
    parse_quantity,
    parse_weight,
    sanitize_html,
)
from yellowcart.catalog.shopify_csv import NotShopifyCsv, ParsedProduct, SourceStatus, parse_shopify_csv

LEGACY = ["Handle", "Title", "Body (HTML)", "Vendor", "Option1 Name", "Option1 Value", "Variant SKU", "Variant Price"]


def _by_handle(data: bytes, seller_id: int = 7) -> dict[str, ParsedProduct]:
    return {p.handle: p for p in parse_shopify_csv(data, seller_id=seller_id).products}


def test_legacy_export_groups_rows_by_handle_with_market_prices_and_continuation_images() -> None:
    parsed = parse_shopify_csv(fixture("legacy_export.csv"), seller_id=7)
    assert parsed.format == "legacy" and parsed.rows == 9
    assert [p.handle for p in parsed.products] == [
        "classic-tee", "stoneware-mug", "winter-beanie", "retired-hoodie", "gift-card",
    ]  # fmt: skip
    tee = parsed.products[0]
    assert tee.title == "Classic Heavyweight Tee" and tee.brand == "Northbound" and not tee.problems
    assert [(v.sku, v.options) for v in tee.variants] == [
        ("NB-TEE-BLK-S", {"Size": "S", "Color": "Black"}),
        ("NB-TEE-BLK-M", {"Size": "M", "Color": "Black"}),
        ("NB-TEE-BLK-L", {"Size": "L", "Color": "Black"}),
    ]
    # "Price / United States" wins over "Variant Price" where set; row 4 has none, so the base price.
    assert [(v.price_cents, v.compare_at_cents) for v in tee.variants] == [(2900, 3600), (2900, 3600), (2800, None)]
    assert any("United States" in note for note in parsed.notes)
    # Variant Grams is grams whatever the display unit (lb here): 226.796 g -> 227 g.
    assert [v.weight_grams for v in tee.variants] == [227, 236, 245]
    assert [v.quantity for v in tee.variants] == [12, 20, 0]  # -2 (oversold) -> 0, noted
    assert any("oversold" in n.message for n in tee.notes)
    assert tee.row_kinds == {2: "variant", 3: "variant", 4: "variant", 5: "image"}
    assert [m["url"].split("/")[-1].split("?")[0] for m in tee.media] == [
        "tee-black-front.jpg", "tee-black-back.jpg", "tee-detail.jpg", "tee-black-l.jpg",
    ]  # fmt: skip
    assert tee.media[2]["alt"] == "Collar detail"
    assert tee.category_path[-1] == "T-Shirts" and tee.product_type == "T-Shirt"


def test_legacy_export_statuses_default_title_thousands_and_derived_skus() -> None:
    products = _by_handle(fixture("legacy_export.csv"))
    mug = products["stoneware-mug"]
    assert [(v.options, v.price_cents, v.quantity, v.weight_grams) for v in mug.variants] == [({}, 129900, 1250, 400)]
    beanie = products["winter-beanie"]
    assert beanie.status is SourceStatus.DRAFT
    skus = [v.sku for v in beanie.variants]
    assert len(set(skus)) == 2 and all(s.startswith("S7-winter-beanie-") for s in skus)
    assert skus == [v.sku for v in _by_handle(fixture("legacy_export.csv"))["winter-beanie"].variants]  # stable
    assert not set(skus) & {
        v.sku for v in _by_handle(fixture("legacy_export.csv"), seller_id=8)["winter-beanie"].variants
    }
    assert products["retired-hoodie"].status is SourceStatus.ARCHIVED
    assert products["gift-card"].gift_card is True


def test_descriptions_are_sanitised_keeping_formatting() -> None:
    tee = _by_handle(fixture("legacy_export.csv"))["classic-tee"]
    body = tee.description
    assert "<ul>" in body and "<li>100% organic cotton, 220 gsm</li>" in body and "garment-dyed." in body
    for banned in ("<script", "alert(", "onclick", "style=", "javascript:", "<meta", "data-mce", "\r"):
        assert banned not in body, banned
    serum = _by_handle(fixture("current_export.csv"))["glow-serum"]
    assert '<img src="https://cdn.shopify.com/s/files/1/serum-texture.jpg" alt="texture">' in serum.description
    assert (
        "onerror" not in serum.description
        and "<style" not in serum.description
        and "color:red" not in serum.description
    )


def test_current_template_headers() -> None:
    parsed = parse_shopify_csv(fixture("current_export.csv"), seller_id=7)
    assert parsed.format == "current"
    products = {p.handle: p for p in parsed.products}
    serum = products["glow-serum"]
    assert [
        (v.sku, v.options, v.price_cents, v.compare_at_cents, v.weight_grams, v.quantity) for v in serum.variants
    ] == [
        ("DD-SERUM-30", {"Size": "30 ml"}, 2400, 3000, 90, 40),  # "Weight value (grams)": grams, display oz
        ("DD-SERUM-50", {"Size": "50 ml"}, 3400, None, 140, 15),
    ]
    assert serum.status is SourceStatus.ACTIVE  # "Active", any case
    mat = products["cork-yoga-mat"]
    assert mat.variants[0].price_cents == 8900 and mat.variants[0].options == {}  # "$89.00", Default Title
    trio = products["travel-candle-trio"]
    assert trio.status is SourceStatus.DRAFT and trio.media == [] and trio.variants[0].quantity is None
    assert any("https" in n.message for n in trio.notes)  # the http:// image was dropped, and said so


def test_headers_match_case_and_space_insensitively_and_unknown_columns_are_ignored() -> None:
    header = [
        "  handle ",
        "TITLE",
        "variant   price",
        "Variant SKU",
        "Some App / Metafield",
        "option1 name",
        "OPTION1 VALUE",
    ]
    cells = ["Mug", "Mug", "9.5", "M-1", "x", "Colour", "Blue"]
    data = csv_bytes(header, dict(zip(header, cells, strict=True)))
    product = _by_handle(data)["mug"]
    assert [(v.sku, v.price_cents, v.options) for v in product.variants] == [("M-1", 950, {"Colour": "Blue"})]


def test_bom_crlf_and_quoted_multiline_html_with_commas() -> None:
    body = '<p>Soft, warm, and\r\nmachine-washable, "cosy" &amp; light.</p>\r\n<p>Second paragraph</p>'
    data = csv_bytes(LEGACY, {"Handle": "throw", "Title": "Throw, Knitted", "Body (HTML)": body,
                              "Variant SKU": "T-1", "Variant Price": "45.00"}, bom=True)  # fmt: skip
    assert data.startswith(b"\xef\xbb\xbf") and b'"<p>Soft, warm, and\r\nmachine' in data
    product = _by_handle(data)["throw"]
    assert product.title == "Throw, Knitted" and not product.problems
    assert (
        product.description == '<p>Soft, warm, and\nmachine-washable, "cosy" &amp; light.</p>\n<p>Second paragraph</p>'
    )


def test_rows_without_handle_take_the_title_or_continue_the_product_above() -> None:
    header = ["Title", "URL handle", "Option1 name", "Option1 value", "SKU", "Price", "Product image URL"]
    data = csv_bytes(
        header,
        {"Title": "Café Crème Candle", "Option1 name": "Size", "Option1 value": "Small", "SKU": "C-S", "Price": "10"},
        {"Option1 value": "Large", "SKU": "C-L", "Price": "15"},
        {"Product image URL": "https://cdn.example.com/candle.jpg"},
    )
    products = _by_handle(data)
    assert list(products) == ["cafe-creme-candle"]
    candle = products["cafe-creme-candle"]
    assert [v.sku for v in candle.variants] == ["C-S", "C-L"] and len(candle.media) == 1


def test_a_broken_row_spoils_only_its_own_product() -> None:
    good = "Handle,Title,Variant SKU,Variant Price\r\nok,Fine,OK-1,5.00\r\n"
    broken = "bad,Broken,BAD-1,5.00\r\nbad,<p>unquoted\r\nline</p>,,,,,\r\n"
    products = _by_handle((good + broken).encode())
    assert not products["ok"].problems and len(products["ok"].variants) == 1
    assert products["bad"].problems and "cells" in products["bad"].problems[0].message


@pytest.mark.parametrize(
    ("price", "message"),
    [("abc", "not a number"), ("19.999", "fraction of a cent"), ("-5", "negative"), ("", "no price")],
)
def test_bad_prices_are_row_problems(price: str, message: str) -> None:
    data = csv_bytes(LEGACY, {"Handle": "x", "Title": "X", "Variant SKU": "X-1", "Variant Price": price})
    problems = _by_handle(data)["x"].problems
    assert [p.row for p in problems] == [2] and message in problems[0].message


def test_duplicate_variants_and_skus_are_refused() -> None:
    data = csv_bytes(
        LEGACY,
        {
            "Handle": "a",
            "Title": "A",
            "Option1 Name": "Size",
            "Option1 Value": "M",
            "Variant SKU": "A-M",
            "Variant Price": "1",
        },
        {"Handle": "a", "Option1 Value": "M", "Variant SKU": "A-M2", "Variant Price": "1"},
        {"Handle": "b", "Title": "B", "Variant SKU": "SHARED", "Variant Price": "1"},
        {"Handle": "c", "Title": "C", "Variant SKU": "SHARED", "Variant Price": "1"},
    )
    products = _by_handle(data)
    assert "same options as row 2" in products["a"].problems[0].message
    assert not products["b"].problems
    assert "SKU SHARED is also on row 4" in products["c"].problems[0].message


def test_us_market_inclusion_and_other_markets() -> None:
    header = ["Handle", "Title", "Variant Price", "Price / International", "Included / United States", "Status"]
    data = csv_bytes(header, {"Handle": "x", "Title": "X", "Variant Price": "10", "Price / International": "99",
                              "Included / United States": "FALSE", "Status": "active"})  # fmt: skip
    product = _by_handle(data)["x"]
    assert product.variants[0].price_cents == 1000  # other markets' prices are not ours
    assert product.status is SourceStatus.DRAFT and "United States" in product.notes[0].message


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "Handle,Title\nmug,Caf\u00e9".encode("latin-1"),
        b"name,email\nAda,ada@example.com\n",
        b'Handle,Title,Variant Price\nmug,"Mug,3\n',
    ],
    ids=["empty", "binary", "latin-1", "not-shopify", "unterminated-quote"],
)
def test_files_that_are_not_shopify_csvs_are_refused_whole(data: bytes) -> None:
    with pytest.raises(NotShopifyCsv):
        parse_shopify_csv(data, seller_id=1)


@given(st.integers(min_value=0, max_value=10**9))
def test_prices_to_cents_exactly(cents: int) -> None:
    dollars, rest = divmod(cents, 100)
    assert parse_cents(f"{dollars}.{rest:02d}") == cents
    assert parse_cents(f"${dollars:,}.{rest:02d}") == cents
    assert parse_cents(f"{dollars:,}.{rest:02d} USD") == cents
    assert parse_cents(str(Decimal(cents) / 100)) == cents


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("19.99", 1999),
        ("1,299.00", 129900),
        ("$5", 500),
        ("0.29", 29),
        ("1.299,00", 129900),
        ("19,99", 1999),
        ("", None),
    ],
)
def test_price_spellings(text: str, cents: int | None) -> None:
    assert parse_cents(text) == cents


@pytest.mark.parametrize(
    ("value", "unit", "grams"),
    [
        ("680.3886", "g", 680),
        ("1.5", "kg", 1500),
        ("2", "lb", 907),
        ("16", "oz", 454),
        ("1.2 kg", "g", 1200),
        ("", "kg", None),
    ],
)
def test_weights_to_grams(value: str, unit: str, grams: int | None) -> None:
    assert parse_weight(value, unit) == grams


def test_weight_value_with_unit_columns() -> None:
    header = ["Handle", "Title", "Variant Price", "Variant Weight", "Variant Weight Unit"]
    data = csv_bytes(header, {"Handle": "x", "Title": "X", "Variant Price": "1", "Variant Weight": "2.5",
                              "Variant Weight Unit": "lb"})  # fmt: skip
    assert _by_handle(data)["x"].variants[0].weight_grams == 1134
    with pytest.raises(ValueProblem):
        parse_weight("3", "stone")


def test_quantities_skus_and_html() -> None:
    assert parse_quantity("1,250") == 1250 and parse_quantity("-3") == -3 and parse_quantity(" ") is None
    with pytest.raises(ValueProblem):
        parse_quantity("2.5")
    assert normalise_sku("NB-TEE-BLK-S") == "NB-TEE-BLK-S"
    assert normalise_sku("TS/BLK M") == "TS-BLK-M"
    long = normalise_sku("A" * 80)
    assert len(long) <= 64 and long == normalise_sku("A" * 80) and long != normalise_sku("A" * 81)
    assert (
        derive_sku(1, "mug", {"Size": "L"})
        == derive_sku(1, "mug", {"Size": "L"})
        != derive_sku(2, "mug", {"Size": "L"})
    )
    assert sanitize_html('<a href="https://x.example/p" onclick="x()">p</a>') == (
        '<a href="https://x.example/p" rel="noopener noreferrer nofollow">p</a>'
    )
    assert sanitize_html('<img src="javascript:alert(1)"><iframe src="https://evil">x</iframe>ok') == "<img>ok"


TREE = [
    CategoryNode(1, "fashion", "Fashion", "fashion/"),
    CategoryNode(2, "mens-clothing", "Men's clothing", "fashion/mens-clothing/"),
    CategoryNode(3, "t-shirts", "T-shirts", "fashion/mens-clothing/t-shirts/"),
    CategoryNode(4, "home-kitchen", "Home & Kitchen", "home-kitchen/"),
    CategoryNode(5, "cookware", "Cookware", "home-kitchen/cookware/"),
    CategoryNode(6, "frying-pans-skillets", "Frying pans & skillets", "home-kitchen/cookware/frying-pans-skillets/"),
    CategoryNode(7, "yoga-mats", "Yoga mats", "sports/yoga/yoga-mats/"),
    CategoryNode(8, "dogs", "Dogs", "pets/dogs/"),
    CategoryNode(9, "dog-toys", "Dog toys", "pets/dogs/dog-toys/"),
    CategoryNode(10, "cats", "Cats", "pets/cats/"),
    CategoryNode(11, "cat-toys", "Cat toys", "pets/cats/cat-toys/"),
]


@pytest.mark.parametrize(
    ("path", "kind", "slug"),
    [
        ("Apparel & Accessories > Clothing > Shirts & Tops > T-Shirts", None, "t-shirts"),
        ("Home & Garden > Kitchen & Dining > Cookware & Bakeware > Cookware > Skillets & Frying Pans", None,
         "frying-pans-skillets"),
        ("Sporting Goods > Athletics > Yoga & Pilates > Yoga Mats", "Mat", "yoga-mats"),
        ("Animals & Pet Supplies > Pet Supplies > Cat Supplies > Cat Toys", None, "cat-toys"),
        ("", "T-Shirt", "t-shirts"),
        ("Home & Garden > Kitchen & Dining > Cookware & Bakeware > Cookware", None, "cookware"),
        ("Vehicles & Parts > Vehicle Parts", "Spark plug", None),
        ("gid://shopify/TaxonomyCategory/aa-1-13-8", None, None),
    ],
)  # fmt: skip
def test_store_categories_map_onto_our_tree(path: str, kind: str | None, slug: str | None) -> None:
    found = match_category(split_path(path), kind, TREE)
    assert (found.slug if found else None) == slug


CELLS = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


@given(st.lists(st.lists(CELLS, min_size=0, max_size=9), max_size=8))
def test_any_text_under_a_shopify_header_parses_or_is_refused_cleanly(rows: list[list[str]]) -> None:
    """Whatever the cells hold, the parser answers with products (each with problems or variants) or
    NotShopifyCsv: never another exception, never a variant without a price."""
    header = [*LEGACY, "Status"]
    data = csv_bytes(header, *(dict(zip(header, r, strict=False)) for r in rows))
    try:
        parsed = parse_shopify_csv(data, seller_id=3)
    except NotShopifyCsv:
        return
    for product in parsed.products:
        assert product.problems or product.variants or product.status is SourceStatus.ARCHIVED
        for variant in product.variants:
            assert 0 <= variant.price_cents <= 10_000_000 and len(variant.sku) <= 64


def test_a_title_without_latin_letters_still_gets_its_own_product() -> None:
    header = ["Title", "URL handle", "SKU", "Price"]
    data = csv_bytes(
        header, {"Title": "Mug", "SKU": "M-1", "Price": "5"}, {"Title": "茶碗", "SKU": "C-1", "Price": "7"}
    )
    products = _by_handle(data)
    assert len(products) == 2 and "mug" in products
    assert [v.sku for p in products.values() for v in p.variants] == ["M-1", "C-1"]
