"""Importing Shopify CSVs into the catalogue on SQLite and PostgreSQL: given a seller with one
warehouse and a small category tree, when files are imported (again, changed, half bad, dry), then
products, variants, categories and stock are exactly what the file says, once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from catalog_import.import_world import (
    LEGACY_IMPORTED,
    category_slug,
    csv_bytes,
    fixture,
    on_hand,
    products,
    run,
    set_seller,
    world,
)
from support import Market
from yellowcart.catalog.import_schemas import ImportReport
from yellowcart.catalog.models import Category, Product, ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.inventory.models import Warehouse, WarehouseOperator
from yellowcart.sellers.models import SellerStatus

HEADER = ["Handle", "Title", "Body (HTML)", "Product Category", "Option1 Name", "Option1 Value", "Variant SKU",
          "Variant Price", "Variant Inventory Qty", "Image Src", "Status"]  # fmt: skip


def _three(middle_price: str = "12.00", first_status: str = "active") -> bytes:
    """Three products; the middle one's second variant carries ``middle_price``."""
    return csv_bytes(
        HEADER,
        {"Handle": "first", "Title": "First", "Variant SKU": "F-1", "Variant Price": "10.00", "Status": first_status},
        {"Handle": "middle", "Title": "Middle", "Option1 Name": "Size", "Option1 Value": "S", "Variant SKU": "M-S",
         "Variant Price": "12.00", "Status": "active"},
        {"Handle": "middle", "Option1 Value": "L", "Variant SKU": "M-L", "Variant Price": middle_price},
        {"Handle": "last", "Title": "Last", "Variant SKU": "L-1", "Variant Price": "14.00", "Status": "active"},
    )  # fmt: skip


def test_legacy_export_creates_products_variants_categories_and_stock(market: Market) -> None:
    w = world(market)
    report = run(market.db, w.seller, fixture("legacy_export.csv"))
    assert (report.products, report.variants, report.created, report.updated, report.skipped) == (5, 8, 3, 0, 2)
    assert report.errors == []  # archived and gift card are skipped by policy, not errors
    made = products(market.db, w.seller)
    assert set(made) == LEGACY_IMPORTED
    tee = made["classic-tee"]
    assert tee.status is ProductStatus.ACTIVE and tee.selling_mode is SellingMode.SELLER_FULFILLED
    assert category_slug(market.db, tee.category_id) == "t-shirts"
    assert [(v.sku, v.price_cents, v.compare_at_cents, v.weight_grams) for v in tee.variants] == [
        ("NB-TEE-BLK-S", 2900, 3600, 227), ("NB-TEE-BLK-M", 2900, 3600, 236), ("NB-TEE-BLK-L", 2800, None, 245),
    ]  # fmt: skip
    assert len(tee.media) == 4 and "<script" not in tee.description and "<li>" in tee.description
    assert category_slug(market.db, made["stoneware-mug"].category_id) == "uncategorized"  # no mugs here
    assert made["winter-beanie"].status is ProductStatus.DRAFT
    stock = on_hand(market.db, w.warehouse)
    assert [stock.get(v.id) for v in tee.variants] == [12, 20, None]  # the oversold -2 is 0: no row needed
    rows = {r.row: r for r in report.row_reports}
    assert rows[5].kind == "image" and rows[5].outcome == "imported"
    assert rows[9].outcome == "skipped" and "archived" in (rows[9].reason or "")


def test_importing_the_same_file_again_changes_nothing(market: Market) -> None:
    w = world(market)
    for name in ("legacy_export.csv", "current_export.csv"):
        run(market.db, w.seller, fixture(name))
    before = products(market.db, w.seller)
    stock = on_hand(market.db, w.warehouse)
    for name, count in (("legacy_export.csv", 5), ("current_export.csv", 3)):
        again = run(market.db, w.seller, fixture(name))
        assert (again.created, again.updated, again.skipped) == (0, 0, count), again.results
        assert {p.outcome for p in again.results} <= {"unchanged", "skipped"}
    after = products(market.db, w.seller)
    assert {h: p.updated_at for h, p in after.items()} == {h: p.updated_at for h, p in before.items()}
    assert {h: [(v.id, v.price_cents, v.is_active) for v in p.variants] for h, p in after.items()} == {
        h: [(v.id, v.price_cents, v.is_active) for v in p.variants] for h, p in before.items()
    }
    assert on_hand(market.db, w.warehouse) == stock


def test_a_changed_price_updates_only_that_product(market: Market) -> None:
    w = world(market)
    run(market.db, w.seller, _three())
    before = products(market.db, w.seller)
    report = run(market.db, w.seller, _three(middle_price="13.50"))
    assert (report.created, report.updated, report.skipped, report.unchanged) == (0, 1, 2, 2)
    changed = next(r for r in report.results if r.handle == "middle")
    assert changed.changes == ["variant M-L"]
    after = products(market.db, w.seller)
    assert [v.price_cents for v in after["middle"].variants] == [1200, 1350]
    assert after["first"].updated_at == before["first"].updated_at


def test_a_half_bad_file_imports_the_good_products_and_nothing_of_the_bad_one(market: Market) -> None:
    w = world(market)
    report = run(market.db, w.seller, _three(middle_price="twelve"))
    assert (report.created, report.skipped) == (2, 1)
    assert report.errors == ["middle: row 4: price 'twelve' is not a number"]
    assert set(products(market.db, w.seller)) == {"first", "last"}
    with market.db.transaction() as s:
        assert s.scalar(select(func.count()).where(Variant.sku.in_(["M-S", "M-L"]))) == 0
    rows = {r.row: r for r in report.row_reports}
    assert rows[3].outcome == rows[4].outcome == "skipped" and rows[2].outcome == "imported"


def test_a_product_refused_by_the_database_rules_is_rolled_back_alone(market: Market) -> None:
    w = world(market)
    other = market.seller("someone-else")
    taken = market.product(other)  # another seller's SKU
    data = csv_bytes(
        HEADER,
        {"Handle": "clash", "Title": "Clash", "Option1 Name": "Size", "Option1 Value": "S", "Variant SKU": "C-S",
         "Variant Price": "5", "Variant Inventory Qty": "3"},
        {"Handle": "clash", "Option1 Value": "M", "Variant SKU": taken, "Variant Price": "5"},
        {"Handle": "fine", "Title": "Fine", "Variant SKU": "FINE-1", "Variant Price": "5"},
    )  # fmt: skip
    report = run(market.db, w.seller, data)
    assert (report.created, report.skipped) == (1, 1)
    assert "another seller" in report.errors[0]
    assert set(products(market.db, w.seller)) == {"fine"}
    with market.db.transaction() as s:
        assert s.scalar(select(func.count()).where(Variant.sku == "C-S")) == 0


def test_dry_run_reports_the_same_and_writes_nothing(market: Market) -> None:
    w = world(market)
    dry = run(market.db, w.seller, fixture("legacy_export.csv"), dry_run=True)
    assert dry.dry_run and (dry.created, dry.skipped) == (3, 2)
    assert all(r.product_id is None for r in dry.results)
    with market.db.transaction() as s:
        assert s.scalar(select(func.count(Product.id))) == 0
        assert s.scalar(select(Category.id).where(Category.slug == "uncategorized")) is None
    real = run(market.db, w.seller, fixture("legacy_export.csv"))
    assert [(r.handle, r.outcome) for r in real.results] == [(r.handle, r.outcome) for r in dry.results]


def test_archived_in_the_store_takes_an_imported_product_off_sale(market: Market) -> None:
    w = world(market)
    run(market.db, w.seller, _three())
    archived = _three(first_status="archived")
    report = run(market.db, w.seller, archived)
    first = next(r for r in report.results if r.handle == "first")
    assert first.outcome == "updated" and first.changes == ["status"]
    assert products(market.db, w.seller)["first"].status is ProductStatus.DRAFT
    assert next(r for r in run(market.db, w.seller, archived).results if r.handle == "first").outcome == "unchanged"


def test_redirect_sellers_link_to_their_store_or_are_told_why_not(market: Market) -> None:
    w = world(market)
    set_seller(market.db, w.seller, default_selling_mode=SellingMode.REDIRECT, store_url=None)
    refused = run(market.db, w.seller, _three())
    assert refused.created == 0 and refused.skipped == 3 and "store_url" in refused.errors[0]
    set_seller(market.db, w.seller, store_url="https://shop.northbound.example/")
    report = run(market.db, w.seller, _three())
    assert report.created == 3
    made = products(market.db, w.seller)
    assert made["first"].selling_mode is SellingMode.REDIRECT
    assert made["first"].redirect_url == "https://shop.northbound.example/products/first"


def test_stock_needs_exactly_one_seller_warehouse(market: Market) -> None:
    w = world(market)
    with market.db.transaction() as s:
        s.add(Warehouse(code="WH-2", name="second", operator=WarehouseOperator.SELLER, seller_id=w.seller,
                        line1="2 Side St", city="Austin", state="TX", zip="73301"))  # fmt: skip
    data = csv_bytes(HEADER, {"Handle": "x", "Title": "X", "Variant SKU": "X-1", "Variant Price": "5",
                              "Variant Inventory Qty": "4"})  # fmt: skip
    report = run(market.db, w.seller, data)
    assert report.created == 1 and "stock not applied: the seller has 2 warehouses" in report.results[0].notes
    with market.db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Warehouse).where(Warehouse.seller_id == w.seller)) == 2
    assert on_hand(market.db, w.warehouse) == {}


def test_seller_and_platform_decisions_are_kept(market: Market) -> None:
    w = world(market)
    set_seller(market.db, w.seller, status=SellerStatus.PENDING)
    pending = run(market.db, w.seller, _three())
    assert pending.created == 3 and all(p.status is ProductStatus.DRAFT for p in products(market.db, w.seller).values())
    assert any("pending" in note for note in pending.results[0].notes)
    set_seller(market.db, w.seller, status=SellerStatus.ACTIVE)
    assert run(market.db, w.seller, _three()).updated == 3  # now it may publish
    with market.db.transaction() as s:
        s.execute(Product.__table__.update().where(Product.handle == "first").values(status=ProductStatus.SUSPENDED))
    kept = run(market.db, w.seller, _three())
    assert products(market.db, w.seller)["first"].status is ProductStatus.SUSPENDED
    assert kept.updated == 0 and "suspended by the platform: status kept" in kept.results[0].notes


def test_a_product_made_by_hand_is_adopted_by_its_sku_and_missing_variants_retire(market: Market) -> None:
    w = world(market)
    sku = market.product(w.seller, price_cents=999)  # handle-less, one variant
    data = csv_bytes(
        HEADER,
        {"Handle": "serum", "Title": "Serum", "Option1 Name": "Size", "Option1 Value": "30ml", "Variant SKU": sku,
         "Variant Price": "9.99", "Status": "active"},
        {"Handle": "serum", "Option1 Value": "50ml", "Variant SKU": "SER-50", "Variant Price": "14.99"},
    )  # fmt: skip
    report = run(market.db, w.seller, data)
    assert (report.created, report.updated) == (0, 1)
    adopted = products(market.db, w.seller)["serum"]
    assert [(v.sku, v.is_active) for v in adopted.variants] == [(sku, True), ("SER-50", True)]
    only_fifty = data.replace(
        f"serum,Serum,,,Size,30ml,{sku},9.99,,,active".encode(), b"serum,Serum,,,Size,50ml,SER-50,14.99,,,active"
    )
    only_fifty = b"\r\n".join(line for line in only_fifty.split(b"\r\n") if not line.startswith(b"serum,,,,,50ml"))
    again = run(market.db, w.seller, only_fifty)
    assert f"variant {sku} deactivated (not in the file)" in again.results[0].changes
    assert [(v.sku, v.is_active) for v in products(market.db, w.seller)["serum"].variants] == [
        (sku, False),
        ("SER-50", True),
    ]


def test_two_imports_of_one_file_at_once_make_each_product_once(market: Market) -> None:
    w = world(market)
    data = fixture("legacy_export.csv")
    barrier = threading.Barrier(2)

    def one() -> ImportReport:
        barrier.wait()
        return run(market.db, w.seller, data)

    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda _: one(), range(2)))
    assert sum(r.created for r in reports) == 3  # the loser saw them (unchanged) or was refused (retry)
    made = products(market.db, w.seller)
    assert set(made) == LEGACY_IMPORTED and sum(len(p.variants) for p in made.values()) == 6
    assert run(market.db, w.seller, data).unchanged == 3  # and a later run finds everything in place
