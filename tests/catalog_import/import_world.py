"""Helpers for the catalogue import tests: the hand-written fixture CSVs, a small category tree, sellers
in each selling mode, and what the database holds afterwards."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from support import Market
from yellowcart.catalog.import_schemas import ImportReport
from yellowcart.catalog.importer import command_line_operator, import_shopify_csv
from yellowcart.catalog.models import Category, Product
from yellowcart.db import Database
from yellowcart.inventory.models import Stock
from yellowcart.sellers.models import Seller

FIXTURES = Path(__file__).parent / "fixtures"
#: The legacy fixture's products that are imported (the archived hoodie and the gift card are not).
LEGACY_IMPORTED = {"classic-tee", "stoneware-mug", "winter-beanie"}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def csv_bytes(header: list[str], *rows: dict[str, str], bom: bool = False) -> bytes:
    """A CSV written the way Shopify writes one (quoted where needed, CRLF), from header + row dicts."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        assert set(row) <= set(header), set(row) - set(header)
        writer.writerow([row.get(h, "") for h in header])
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode()


def categories(db: Database) -> dict[str, int]:
    """Fashion > Men's clothing > T-shirts, Sports > Yoga > Yoga mats, Beauty > Skin care > Serums."""
    tree = [
        ("fashion", "Fashion", None),
        ("mens-clothing", "Men's clothing", "fashion"),
        ("t-shirts", "T-shirts", "mens-clothing"),
        ("sports", "Sports & Outdoors", None),
        ("yoga", "Yoga", "sports"),
        ("yoga-mats", "Yoga mats", "yoga"),
        ("beauty", "Beauty", None),
        ("skin-care", "Skin care", "beauty"),
        ("serums", "Serums", "skin-care"),
    ]
    ids: dict[str, int] = {}
    paths: dict[str, str] = {}
    with db.transaction() as s:
        for slug, name, parent in tree:
            paths[slug] = (paths[parent] if parent else "") + slug + "/"
            row = Category(slug=slug, name=name, parent_id=ids.get(parent or ""), path=paths[slug])
            s.add(row)
            s.flush()
            ids[slug] = row.id
    return ids


@dataclass
class World:
    seller: int  # seller-fulfilled, active, one warehouse
    warehouse: int
    categories: dict[str, int]


def world(market: Market) -> World:
    seller = market.seller("northbound")
    return World(seller, market.warehouse_ids[-1], categories(market.db))


def set_seller(db: Database, seller_id: int, **values: object) -> None:
    """Change seller columns (default_selling_mode, store_url, status) directly."""
    with db.transaction() as s:
        s.execute(update(Seller).where(Seller.id == seller_id).values(**values))


def run(db: Database, seller_id: int, data: bytes, *, dry_run: bool = False) -> ImportReport:
    return import_shopify_csv(db, principal=command_line_operator(), seller_id=seller_id, data=data, dry_run=dry_run)


def products(db: Database, seller_id: int | None = None) -> dict[str, Product]:
    """The seller's (or everyone's) products by handle, with variants, detached."""
    with db.transaction() as s:
        query = select(Product).options(selectinload(Product.variants)).order_by(Product.id)
        if seller_id is not None:
            query = query.where(Product.seller_id == seller_id)
        rows = list(s.scalars(query))
        s.expunge_all()
    return {str(p.handle): p for p in rows}


def on_hand(db: Database, warehouse_id: int) -> dict[int, int]:
    """variant id -> on_hand in the warehouse."""
    with db.transaction() as s:
        rows = s.execute(select(Stock.variant_id, Stock.on_hand).where(Stock.warehouse_id == warehouse_id))
        return {variant: count for variant, count in rows}


def category_slug(db: Database, category_id: int) -> str:
    with db.transaction() as s:
        return s.get_one(Category, category_id).slug
