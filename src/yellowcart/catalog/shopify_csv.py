"""Shopify's product CSV -> products with variants and images. Pure: bytes or text in, data out.

Both header sets are read: the current template (Title, URL handle, Description, ..., SKU, Price,
Inventory quantity, Weight value (grams), Product image URL) and the legacy export (Handle, Title, Body
(HTML), ..., Variant SKU, Variant Price, Variant Grams, Image Src). Headers match case- and
space-insensitively; unknown columns (metafields, SEO, Google Shopping) are ignored. Rows sharing a
handle are one product; the first non-blank value of a product field wins (Shopify writes them on the
first row only). A row with only image cells adds an image. Problems are collected per row: a
product with any is skipped whole by the importer, never half-written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from yellowcart.catalog.category_match import split_path
from yellowcart.catalog.import_rows import (
    Columns,
    FileFormat,
    NotShopifyCsv,
    ParsedProduct,
    ParsedVariant,
    Row,
    RowNote,
    SourceStatus,
    build_media,
    product_status,
    text_field,
)
from yellowcart.catalog.import_values import (
    ValueProblem,
    derive_sku,
    fit_html,
    normalise_sku,
    parse_bool,
    parse_cents,
    parse_quantity,
    parse_weight,
    title_handle,
)

MAX_PRICE_CENTS = 10_000_000
MAX_WEIGHT_GRAMS = 100_000
MAX_DESCRIPTION = 20_000
MAX_TITLE = 200
MAX_BRAND = 120
MAX_HANDLE = 255
MAX_OPTION_NAME = 40
MAX_OPTION_VALUE = 100
DEFAULT_TITLE = "Default Title"
# Shopify bodies can be long; the csv module's 128 KiB cell limit would reject a real export.
csv.field_size_limit(max(csv.field_size_limit(), 32 * 1024 * 1024))


@dataclass
class ParsedFile:
    format: FileFormat
    rows: int  # data rows read (the header not counted)
    products: list[ParsedProduct]
    notes: list[str] = field(default_factory=list)
    errors: list[RowNote] = field(default_factory=list)  # rows that belong to no product


# ---- bytes -> records -----------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM, as Shopify and Excel write it) or UTF-16 with a BOM; anything
    else, or anything binary, is refused before a single row is read."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise NotShopifyCsv("The file is not valid UTF-16 text.") from exc
    else:
        if b"\x00" in data:
            raise NotShopifyCsv("The file is binary, not a CSV text file.")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise NotShopifyCsv(
                f"The file is not UTF-8 text (byte {exc.start}); export it again as 'CSV UTF-8'."
            ) from exc
    if "\x00" in text:
        raise NotShopifyCsv("The file is binary, not a CSV text file.")
    return text.lstrip("\ufeff")


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def records(text: str) -> list[list[str]]:
    """CSV records, quoted multi-line cells and CRLF included; broken quoting rejects the file."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    out: list[list[str]] = []
    try:
        for record in reader:
            out.append(record)
    except csv.Error as exc:
        raise NotShopifyCsv(f"The CSV is malformed near row {len(out) + 1}: {exc}.", row=len(out) + 1) from exc
    return out


# ---- records -> rows grouped by handle ------------------------------------------------------------


def _rows(columns: Columns, body: list[list[str]], errors: list[RowNote]) -> Iterable[tuple[str, Row]]:
    """(handle key, row) in file order; rows without a handle continue the product above them, or
    start one named after their title (the current template lets a new product's handle be blank)."""
    width = len(columns.header)
    previous: str | None = None
    for offset, cells in enumerate(body):
        number = offset + 2  # the header is row 1, as a spreadsheet shows it
        if not any(c.strip() for c in cells):
            continue
        broken = len(cells) != width and not (len(cells) > width and not any(c.strip() for c in cells[width:]))
        row = Row(number, columns, cells[:width] + [""] * (width - len(cells)))
        key = row.get("handle").strip().lower()
        if not key and not broken and row.get("title").strip():
            key = title_handle(row.get("title"))
        key = key or (previous or "")
        if broken:
            row.broken = (
                f"row {number} has {len(cells)} cells, the header has {width} (an unquoted comma or line break?)"
            )
        if not key:
            errors.append(RowNote(number, "no handle or title, and no product above it"))
            continue
        previous = key
        yield key, row


def _groups(columns: Columns, body: list[list[str]], errors: list[RowNote]) -> dict[str, list[Row]]:
    groups: dict[str, list[Row]] = {}
    for key, row in _rows(columns, body, errors):
        groups.setdefault(key, []).append(row)
    return groups


# ---- one product ----------------------------------------------------------------------------------


def _first(rows: list[Row], name: str) -> str:
    return next((v for r in rows if (v := r.get(name).strip())), "")


def _product_fields(product: ParsedProduct, rows: list[Row]) -> None:
    head = rows[0].number
    product.title = text_field(product, head, _first(rows, "title"), MAX_TITLE, "title")
    if not product.title:
        product.problem(head, "no Title on any row of this product")
    body = _first(rows, "body")
    product.description = fit_html(body, MAX_DESCRIPTION) if body else ""
    if body and len(product.description) == MAX_DESCRIPTION:
        product.note(head, f"description cut to {MAX_DESCRIPTION} characters")
    product.brand = text_field(product, head, _first(rows, "vendor"), MAX_BRAND, "vendor") or None
    product.category_path = split_path(_first(rows, "category") or _first(rows, "google_category"))
    product.product_type = _first(rows, "type") or None
    product.status = product_status(product, head, rows)
    product.gift_card = parse_bool(_first(rows, "gift_card")) is True
    if len(product.handle) > MAX_HANDLE:
        product.problem(head, f"handle longer than {MAX_HANDLE} characters")


def _options(product: ParsedProduct, row: Row, names: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for index, name in enumerate(names, start=1):
        value = row.get(f"option{index}_value").strip()
        if not value:
            continue
        key = name or f"Option{index}"
        if len(key) > MAX_OPTION_NAME or len(value) > MAX_OPTION_VALUE:
            product.problem(row.number, f"option {key!r} = {value!r} is too long (40 / 100 characters)")
        options[key] = value
    if list(options.values()) == [DEFAULT_TITLE]:
        return {}  # Shopify's single variant of a product without options
    return options


def _money(product: ParsedProduct, row: Row) -> tuple[int | None, int | None]:
    """Price and compare-at in cents: the United States market's columns when set, else the base ones."""
    market = row.columns.market
    use_market = market is not None and bool(row.get(f"price@{market}").strip())
    suffix = f"@{market}" if use_market else ""
    price = parse_cents(row.get(f"price{suffix}"), "price")
    compare_at = parse_cents(row.get(f"compare_at{suffix}"), "compare-at price")
    if price is None:
        product.problem(row.number, "no price")
    elif price > MAX_PRICE_CENTS:
        product.problem(row.number, f"price {price / 100:.2f} is over the {MAX_PRICE_CENTS // 100} limit")
    if compare_at == 0:
        compare_at = None
    if compare_at is not None and price is not None and compare_at < price:
        product.note(row.number, "compare-at price below the price ignored (it would advertise no discount)")
        compare_at = None
    if compare_at is not None and compare_at > MAX_PRICE_CENTS:
        product.note(row.number, "compare-at price over the limit ignored")
        compare_at = None
    return price, compare_at


def _weight(product: ParsedProduct, row: Row) -> int:
    """Grams from a grams column (Variant Grams, Weight value (grams)), else a weight in its unit."""
    grams = row.get("grams")
    value = parse_weight(grams, "g") if grams.strip() else parse_weight(row.get("weight"), row.get("weight_unit"))
    if value is None:
        return 0
    if value > MAX_WEIGHT_GRAMS:
        product.problem(row.number, f"weight {value} g is over the {MAX_WEIGHT_GRAMS // 1000} kg limit")
    return value


def _quantity(product: ParsedProduct, row: Row) -> int | None:
    quantity = parse_quantity(row.get("quantity"))
    if quantity is not None and quantity < 0:
        product.note(row.number, f"inventory quantity {quantity} (oversold in the store) imported as 0")
        return 0
    return quantity


def _sku(product: ParsedProduct, row: Row, options: dict[str, str], seller_id: int) -> str:
    raw = row.get("sku").strip()
    if not raw:
        sku = derive_sku(seller_id, product.handle, options)
        product.note(row.number, f"no SKU in the file; derived {sku}")
        return sku
    sku = normalise_sku(raw)
    if sku != raw:
        product.note(row.number, f"SKU {raw!r} stored as {sku!r} (letters, digits, '.', '_' and '-' only)")
    return sku


def _variant(product: ParsedProduct, row: Row, names: list[str], seller_id: int) -> ParsedVariant | None:
    options = _options(product, row, names)
    try:
        price, compare_at = _money(product, row)
        weight, quantity = _weight(product, row), _quantity(product, row)
    except ValueProblem as exc:
        product.problem(row.number, str(exc))
        return None
    if price is None:
        return None
    sku = _sku(product, row, options, seller_id)
    return ParsedVariant(row.number, sku, options, price, compare_at, weight, quantity)


def _is_variant_row(row: Row, is_head: bool) -> bool:
    market = row.columns.market
    fields = ["sku", "price", "compare_at", "grams", "weight", "quantity", "option1_value", "option2_value"]
    fields += ["option3_value", *([f"price@{market}"] if market else [])]
    return any(row.get(f).strip() for f in fields) or (is_head and bool(row.get("title").strip()))


def _variants(product: ParsedProduct, rows: list[Row], seller_id: int) -> None:
    names = [_first(rows, f"option{i}_name") for i in (1, 2, 3)]
    if names[0] == "Title" and not names[1] and not names[2]:
        names[0] = ""  # "Title" / "Default Title": no options
    seen: dict[tuple[tuple[str, str], ...], int] = {}
    for index, row in enumerate(rows):
        if row.broken:
            product.problem(row.number, row.broken)
            continue
        if not _is_variant_row(row, is_head=index == 0):
            has_image = bool(row.get("image").strip() or row.get("variant_image").strip())
            product.row_kinds[row.number] = "image" if has_image else "empty"
            continue
        product.row_kinds[row.number] = "variant"
        variant = _variant(product, row, names, seller_id)
        if variant is None:
            continue
        combo = tuple(sorted(variant.options.items()))
        if combo in seen:
            product.problem(row.number, f"the same options as row {seen[combo]} ({dict(combo) or 'none'})")
            continue
        seen[combo] = row.number
        product.variants.append(variant)
    if not product.variants and not product.problems:
        product.problem(rows[0].number, "no variant rows (no price, SKU or option values)")


def parse_product(handle: str, rows: list[Row], *, seller_id: int) -> ParsedProduct:
    """One product from its rows (file order); problems and notes say what happened to each row."""
    product = ParsedProduct(handle=handle, rows=[r.number for r in rows])
    _product_fields(product, rows)
    _variants(product, rows, seller_id)
    product.media = build_media(product, rows)
    return product


def _duplicate_skus(products: list[ParsedProduct]) -> None:
    """A SKU is one variant: the second product (in file order) to claim one is not imported."""
    owner: dict[str, tuple[str, int]] = {}
    for product in products:
        for variant in product.variants:
            first = owner.setdefault(variant.sku, (product.handle, variant.row))
            if first[0] != product.handle:
                product.problem(variant.row, f"SKU {variant.sku} is also on row {first[1]} (product {first[0]!r})")


def parse_shopify_csv(data: bytes | str, *, seller_id: int) -> ParsedFile:
    """The whole file, parsed and validated; raises NotShopifyCsv when it is not a product CSV at all."""
    text = decode(data) if isinstance(data, bytes) else data.lstrip("\ufeff")
    if not text.strip():
        raise NotShopifyCsv("The file is empty.")
    table = records(text)
    columns = Columns.of(table[0])
    errors: list[RowNote] = []
    groups = _groups(columns, table[1:], errors)
    products = [parse_product(handle, rows, seller_id=seller_id) for handle, rows in groups.items()]
    _duplicate_skus(products)
    notes = list(columns.notes)
    if columns.market is not None:
        notes.append(f"prices from the {columns.market_label!r} market columns where set, else the base price columns")
    return ParsedFile(columns.format, len(table) - 1, products, notes, errors)


__all__ = [
    "NotShopifyCsv",
    "ParsedFile",
    "ParsedProduct",
    "ParsedVariant",
    "SourceStatus",
    "parse_shopify_csv",
]
