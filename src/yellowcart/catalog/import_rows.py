"""The columns of a Shopify product CSV and the row-level rules shared by its parser: which header is
which field, the United States market's price columns, product status, images. Pure: no I/O."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Literal, NamedTuple
from urllib.parse import urlsplit

from yellowcart.catalog.import_values import parse_bool
from yellowcart.errors import InvalidInput

#: Normalised header -> field. Current template and legacy export; a few common spellings besides.
FIELDS: dict[str, str] = {
    "handle": "handle",
    "url handle": "handle",
    "title": "title",
    "body (html)": "body",
    "body html": "body",
    "body": "body",
    "description": "body",
    "vendor": "vendor",
    "product category": "category",
    "standard product type": "category",
    "google shopping / google product category": "google_category",
    "type": "type",
    "product type": "type",
    "custom product type": "type",
    "published": "published",
    "published on online store": "published",
    "status": "status",
    "variant sku": "sku",
    "sku": "sku",
    "variant price": "price",
    "price": "price",
    "variant compare at price": "compare_at",
    "compare-at price": "compare_at",
    "compare at price": "compare_at",
    "variant inventory qty": "quantity",
    "variant inventory quantity": "quantity",
    "inventory quantity": "quantity",
    "variant grams": "grams",
    "weight value (grams)": "grams",
    "variant weight": "weight",
    "weight value": "weight",
    "weight": "weight",
    "variant weight unit": "weight_unit",
    "weight unit for display": "weight_unit",
    "weight unit": "weight_unit",
    "image src": "image",
    "product image url": "image",
    "image url": "image",
    "image position": "image_position",
    "image alt text": "image_alt",
    "variant image": "variant_image",
    "variant image url": "variant_image",
    "gift card": "gift_card",
}
_OPTION = re.compile(r"^option\s*([123])\s*(name|value)$")
_MARKET = re.compile(r"^(price|compare[- ]?at price|included)\s*/\s*(.+)$")
_MARKET_FIELD = {"price": "price", "included": "included"}
#: Market names that mean the United States (Shopify names a country market after the country).
US_MARKETS = frozenset({"united states", "united states of america", "us", "usa"})
MAX_MEDIA = 20
MAX_ALT = 200


class NotShopifyCsv(InvalidInput):
    code, title = "not_shopify_csv", "Not a Shopify product CSV"


RowKind = Literal["variant", "image", "empty"]
FileFormat = Literal["current", "legacy"]


class RowNote(NamedTuple):
    row: int
    message: str


class SourceStatus(enum.StrEnum):
    ACTIVE = "active"
    DRAFT = "draft"
    ARCHIVED = "archived"


@dataclass(frozen=True, slots=True)
class ParsedVariant:
    row: int
    sku: str
    options: dict[str, str]
    price_cents: int
    compare_at_cents: int | None
    weight_grams: int
    quantity: int | None  # None: the file says nothing about stock


@dataclass
class ParsedProduct:
    handle: str
    rows: list[int]
    title: str = ""
    description: str = ""
    brand: str | None = None
    category_path: list[str] = field(default_factory=list)
    product_type: str | None = None
    status: SourceStatus = SourceStatus.ACTIVE
    gift_card: bool = False
    variants: list[ParsedVariant] = field(default_factory=list)
    media: list[dict[str, str | None]] = field(default_factory=list)
    notes: list[RowNote] = field(default_factory=list)  # what was adapted; the product still imports
    problems: list[RowNote] = field(default_factory=list)  # why it cannot be imported
    row_kinds: dict[int, RowKind] = field(default_factory=dict)

    def note(self, row: int, message: str) -> None:
        self.notes.append(RowNote(row, message))

    def problem(self, row: int, message: str) -> None:
        self.problems.append(RowNote(row, message))


def normalise_header(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").replace("\u200b", "").strip().lower().split())


def us_market(name: str) -> bool:
    return normalise_header(name) in US_MARKETS


@dataclass
class Columns:
    """Where each field is in the header; market columns are ``price@<market>``-style fields."""

    header: list[str]
    index: dict[str, int] = field(default_factory=dict)
    market: str | None = None  # the United States market's normalised name, when the file has one
    market_label: str = ""
    format: FileFormat = "current"
    notes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, header: list[str]) -> Columns:
        columns = cls(header=header)
        for position, raw in enumerate(header):
            columns._place(normalise_header(raw), raw, position)
        if "title" not in columns.index and "handle" not in columns.index:
            raise NotShopifyCsv(
                "No Title or Handle column: this is not a Shopify product CSV.",
                columns=header[:20],
            )
        legacy = "variant sku" in map(normalise_header, header) or "handle" in map(normalise_header, header)
        columns.format = "legacy" if legacy else "current"
        return columns

    def _place(self, name: str, raw: str, position: int) -> None:
        key = FIELDS.get(name)
        option, market = _OPTION.match(name), _MARKET.match(name)
        if option:
            key = f"option{option.group(1)}_{option.group(2)}"
        elif market:
            kind = _MARKET_FIELD.get(market.group(1), "compare_at")
            if not us_market(market.group(2)):
                return  # other markets sell in other currencies; not ours
            self.market, self.market_label = normalise_header(market.group(2)), raw.split("/", 1)[1].strip()
            key = f"{kind}@{self.market}"
        if key is None:
            return
        if key in self.index:
            self.notes.append(f"column {raw!r} repeats another; the first one is used")
            return
        self.index[key] = position


class Row:
    """One record with its spreadsheet row number; ``get`` answers "" for a column the file lacks."""

    __slots__ = ("broken", "cells", "columns", "number")

    def __init__(self, number: int, columns: Columns, cells: list[str]) -> None:
        self.number, self.columns, self.cells = number, columns, cells
        self.broken: str | None = None

    def get(self, name: str) -> str:
        position = self.columns.index.get(name)
        return self.cells[position] if position is not None else ""


def _first(rows: list[Row], name: str) -> str:
    return next((v for r in rows if (v := r.get(name).strip())), "")


def text_field(product: ParsedProduct, row: int, value: str, limit: int, name: str) -> str:
    """Plain text, whitespace collapsed, cut to ``limit`` with a note."""
    text = " ".join(value.split())
    if len(text) > limit:
        product.note(row, f"{name} cut to {limit} characters")
        return text[:limit].rstrip()
    return text


def product_status(product: ParsedProduct, row: int, rows: list[Row]) -> SourceStatus:
    """Status column (active/draft/archived; Shopify's "unlisted" reads as draft here: not in the shop
    window); without one, the legacy Published flag (FALSE: draft). Not in the United States market:
    draft, since it is not for sale to US shoppers."""
    raw = _first(rows, "status").lower()
    if raw in ("active", "draft", "archived"):
        status = SourceStatus(raw)
    elif raw == "unlisted":
        product.note(row, "status 'unlisted' imported as draft")
        status = SourceStatus.DRAFT
    else:
        if raw:
            product.note(row, f"status {raw!r} not known; read as active")
        status = SourceStatus.DRAFT if parse_bool(_first(rows, "published")) is False else SourceStatus.ACTIVE
    market = rows[0].columns.market
    if status is SourceStatus.ACTIVE and market and parse_bool(_first(rows, f"included@{market}")) is False:
        product.note(row, "not included in the United States market: imported as draft")
        return SourceStatus.DRAFT
    return status


def _image_url(product: ParsedProduct, row: int, raw: str) -> str | None:
    url = raw.strip()
    if url.startswith("//"):
        url = "https:" + url  # protocol-relative, as Shopify's CDN links sometimes are
    if not url.startswith("https://") or not urlsplit(url).hostname or any(c.isspace() for c in url) or len(url) > 500:
        product.note(row, f"image {url[:80]!r} skipped (only https URLs up to 500 characters)")
        return None
    return url


def _position(text: str) -> int:
    return int(text) if text.strip().isdigit() else 1_000_000


def build_media(product: ParsedProduct, rows: list[Row]) -> list[dict[str, str | None]]:
    """Product images in Image Position order (then file order), variant images after them, each URL
    once, at most 20."""
    found: list[tuple[int, int, str, str | None]] = []
    for order, row in enumerate(rows):
        for name, alt_name in (("image", "image_alt"), ("variant_image", "")):
            raw = row.get(name)
            link = _image_url(product, row.number, raw) if raw.strip() else None
            if link is None:
                continue
            text = " ".join(row.get(alt_name).split())[:MAX_ALT] if alt_name else ""
            rank = _position(row.get("image_position")) if name == "image" else 2_000_000
            found.append((rank, order, link, text or None))
    media: list[dict[str, str | None]] = []
    seen: set[str] = set()
    for _, _, url, alt in sorted(found, key=lambda f: (f[0], f[1])):
        if url not in seen:
            seen.add(url)
            media.append({"type": "image", "url": url, "alt": alt})
    if len(media) > MAX_MEDIA:
        product.note(product.rows[0], f"{len(media)} images; the first {MAX_MEDIA} kept")
    return media[:MAX_MEDIA]
