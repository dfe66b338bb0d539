"""Pure value rules for catalogue imports: money to cents, weights to grams, quantities, SKUs, handles,
HTML sanitising. No I/O. Every parser raises :class:`ValueProblem` with a message a seller can act on.

Money is parsed with ``Decimal`` and never goes through a float: "19.99" is 1999 cents exactly, and an
amount with a fraction of a cent is refused rather than rounded (a price is not a measurement).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import nh3

#: Grams per unit; Shopify's own units (g, kg, lb, oz) and their spelled-out names.
GRAMS_PER_UNIT: dict[str, Decimal] = {
    "g": Decimal(1),
    "gram": Decimal(1),
    "grams": Decimal(1),
    "kg": Decimal(1000),
    "kgs": Decimal(1000),
    "kilogram": Decimal(1000),
    "kilograms": Decimal(1000),
    "lb": Decimal("453.59237"),
    "lbs": Decimal("453.59237"),
    "pound": Decimal("453.59237"),
    "pounds": Decimal("453.59237"),
    "oz": Decimal("28.349523125"),
    "ounce": Decimal("28.349523125"),
    "ounces": Decimal("28.349523125"),
}

_SKU_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SKU_BAD_RUN = re.compile(r"[^A-Za-z0-9._-]+")
_CURRENCY_AFFIX = re.compile(r"^(?:[A-Za-z]{3}|US)?\s*[$€£¥]?\s*|\s*(?:[A-Za-z]{3})?\s*$")
_THOUSANDS_COMMA = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_THOUSANDS_DOT = re.compile(r"^\d{1,3}(?:\.\d{3})+(?:,\d+)?$")
_DECIMAL_COMMA = re.compile(r"^\d+,\d{1,2}$")
_PLAIN_NUMBER = re.compile(r"^\d+(?:\.\d+)?$|^\.\d+$")
_WEIGHT_WITH_UNIT = re.compile(r"^([0-9.,\s]+?)\s*([A-Za-z]+)\.?$")
MAX_SKU = 64


class ValueProblem(ValueError):
    """A cell whose value cannot be used; the message names what is wrong with it."""


def _number(text: str, what: str) -> Decimal:
    """A non-negative decimal from "1,299.00", "1.299,00", "19,99", "5" or "$5" (separators inferred)."""
    raw = text.strip().replace("\u00a0", " ")
    cleaned = _CURRENCY_AFFIX.sub("", raw).replace(" ", "").replace("'", "")
    if cleaned.startswith("-"):
        raise ValueProblem(f"{what} {text.strip()!r} is negative")
    if _THOUSANDS_COMMA.match(cleaned):
        cleaned = cleaned.replace(",", "")
    elif _THOUSANDS_DOT.match(cleaned) and "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif _DECIMAL_COMMA.match(cleaned):
        cleaned = cleaned.replace(",", ".")
    if not _PLAIN_NUMBER.match(cleaned):
        raise ValueProblem(f"{what} {text.strip()!r} is not a number")
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the pattern above admits only digits
        raise ValueProblem(f"{what} {text.strip()!r} is not a number") from exc


def parse_cents(text: str, what: str = "price") -> int | None:
    """Integer cents from a price cell; None when blank. A fraction of a cent is refused."""
    if not text.strip():
        return None
    cents = _number(text, what) * 100
    if cents != cents.to_integral_value():
        raise ValueProblem(f"{what} {text.strip()!r} has a fraction of a cent")
    return int(cents)


def grams_of(value: Decimal, unit: str) -> int:
    """``value`` in ``unit`` as whole grams, rounded half-up."""
    factor = GRAMS_PER_UNIT.get(unit.strip().lower().rstrip("."))
    if factor is None:
        raise ValueProblem(f"weight unit {unit.strip()!r} is not one of g, kg, lb, oz")
    return int((value * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_weight(text: str, unit: str = "g") -> int | None:
    """Grams from a weight cell in ``unit`` ("680.3886" grams, "1.5" kg); a unit written in the cell
    itself ("1.5 kg", "12 oz") wins over ``unit``. None when blank."""
    raw = text.strip()
    if not raw:
        return None
    with_unit = _WEIGHT_WITH_UNIT.match(raw)
    if with_unit and with_unit.group(2).lower() in GRAMS_PER_UNIT:
        return grams_of(_number(with_unit.group(1), "weight"), with_unit.group(2))
    return grams_of(_number(raw, "weight"), unit or "g")


def parse_quantity(text: str) -> int | None:
    """A stock count; None when blank. Negative counts (oversold in the store) are returned as they are."""
    raw = text.strip().replace(",", "")
    if not raw:
        return None
    negative = raw.startswith("-")
    digits = raw[1:] if negative else raw
    try:
        value = Decimal(digits)
    except InvalidOperation as exc:
        raise ValueProblem(f"inventory quantity {text.strip()!r} is not a whole number") from exc
    if not digits.replace(".", "", 1).isdigit() or value != value.to_integral_value():
        raise ValueProblem(f"inventory quantity {text.strip()!r} is not a whole number")
    return -int(value) if negative else int(value)


def parse_bool(text: str) -> bool | None:
    """Shopify writes TRUE/FALSE; people write yes/no and 1/0. None when blank or unreadable."""
    value = text.strip().lower()
    if value in ("true", "yes", "y", "1"):
        return True
    if value in ("false", "no", "n", "0"):
        return False
    return None


def slugify(text: str) -> str:
    """ASCII lowercase words joined by hyphens ("Café Crème!" -> "cafe-creme")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:10]


def title_handle(title: str) -> str:
    """The handle Shopify would give a new product without one: its title, slugified; a title with no
    Latin letters or digits gets a stable one from its digest."""
    return slugify(title) or f"product-{_digest(title.strip())}"


def derive_sku(seller_id: int, handle: str, options: dict[str, str]) -> str:
    """A stable SKU for a variant the store left without one: the same seller, handle and options give
    the same SKU on every import. The seller's id is part of it, so two sellers importing the same
    handle never collide."""
    key = "\x1e".join(f"{k}={v}" for k, v in sorted(options.items()))
    stem = slugify(handle)[:36].strip("-") or "item"
    return f"S{seller_id}-{stem}-{_digest(str(seller_id), handle, key)}"


def normalise_sku(raw: str) -> str:
    """The store's SKU as ours: kept when it fits ``[A-Za-z0-9][A-Za-z0-9._-]*`` (max 64); otherwise
    other characters become hyphens ("TS/BLK M" -> "TS-BLK-M") and an over-long one is shortened with
    a digest of the original, so the same store SKU always maps to the same SKU here."""
    sku = raw.strip()
    if _SKU_OK.match(sku) and len(sku) <= MAX_SKU:
        return sku
    cleaned = _SKU_BAD_RUN.sub("-", sku).strip("-._")
    if not cleaned:
        return f"X-{_digest(sku)}"
    if len(cleaned) > MAX_SKU:
        cleaned = f"{cleaned[: MAX_SKU - 11].rstrip('-._')}-{_digest(sku)}"
    return cleaned


# ---- HTML descriptions ----------------------------------------------------------------------------

_ALLOWED_TAGS = {
    "p", "br", "hr", "div", "span", "strong", "b", "em", "i", "u", "s", "small", "sub", "sup", "mark",
    "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "pre", "code",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "a", "img", "figure", "figcaption",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
_CLEANER = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    clean_content_tags={"script", "style", "template", "iframe", "object", "noscript", "svg", "math"},
    attributes=_ALLOWED_ATTRIBUTES,
    url_schemes={"https", "http", "mailto"},
    url_relative="deny",  # a store-relative link would point into our site, not the seller's
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
)


def sanitize_html(html: str) -> str:
    """An allow-list of formatting tags: no script/style, no ``on*`` handlers, no ``style`` attributes,
    no javascript: or relative URLs. Line endings become ``\\n``."""
    cleaned: str = _CLEANER.clean(html.replace("\r\n", "\n").replace("\r", "\n"))
    return cleaned.strip()


def fit_html(html: str, limit: int) -> str:
    """Sanitised HTML of at most ``limit`` characters: cut, then cleaned again (which closes tags the
    cut left open), shortened further if closing them went over."""
    cut = limit
    while True:
        fitted = sanitize_html(html[:cut])
        if len(fitted) <= limit or cut <= 0:
            return fitted[:limit]
        cut -= max(len(fitted) - limit, 16)
