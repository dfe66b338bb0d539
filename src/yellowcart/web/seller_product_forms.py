"""The seller centre's product forms, read into the catalog API's own request models (:class:`ProductIn`,
:class:`ProductPatch`, :class:`VariantIn`, :class:`VariantPut`), so a page accepts exactly what the API
accepts. What goes wrong comes back as :class:`Problems`: a message per input (keyed by the input's name
and row) and for the form as a whole, in words a seller can act on, to re-render the form with.

The new-product form has rows of variants (options such as size and colour, SKU, price, compare-at price)
that share one set of option names; its "Add another variant" button is an ordinary submit that re-renders
the form with one more row and writes nothing, so it needs no script."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from starlette.datastructures import FormData

from yellowcart.catalog.schemas import ProductIn, ProductPatch, VariantIn, VariantPut
from yellowcart.catalog.service import SkuTaken
from yellowcart.errors import DomainError, InvalidInput
from yellowcart.money import format_usd
from yellowcart.web import session as web

OPTION_SLOTS = 2  # option names on the new-product form (more options: the API or a Shopify CSV)
MAX_ROWS = 20  # variant rows one form takes (a product takes up to 100: the API or a Shopify CSV)
BLANK_MEDIA_ROWS = 2
MONEY_FIELDS = frozenset({"price_cents", "compare_at_cents"})
Model = TypeVar("Model", bound=BaseModel)


def usd_cents(text: str, name: str) -> int:
    """ "19.99", "$1,250" -> cents; anything else (fractions of a cent, NaN, negatives) is refused."""
    try:
        value = Decimal(text.replace("$", "").replace(",", "").strip())
    except InvalidOperation:
        raise InvalidInput(f"{name}: enter an amount like 19.99.", field=name) from None
    if not value.is_finite() or value < 0 or value >= 1_000_000:
        raise InvalidInput(f"{name}: enter an amount between 0 and 999,999.99.", field=name)
    cents = value * 100
    if cents != cents.to_integral_value():
        raise InvalidInput(f"{name}: enter dollars and cents, like 19.99.", field=name)
    return int(cents)


@dataclass(eq=False)
class Problems(Exception):
    """What is wrong with a form: per input (its name, with ``-<row>`` for rows) and for the whole form."""

    fields: dict[str, str] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def add(self, key: str | None, message: str) -> None:
        if key and key not in self.fields:
            self.fields[key] = message
        elif not key:
            self.general.append(message)

    def messages(self, labels: Callable[[str], str]) -> list[str]:
        """Every problem as one line for the form's summary (the alert at its top)."""
        return [*self.general, *(f"{labels(key)}: {text}" for key, text in self.fields.items())]


def _friendly(error: ErrorDetails) -> str:
    """Pydantic's message in a seller's words. Messages never quote the input (``error["input"]``)."""
    kind, ctx, name = error["type"], error.get("ctx") or {}, str(error["loc"][-1]) if error["loc"] else ""
    money = name in MONEY_FIELDS
    if kind == "string_too_short":
        return "required." if ctx.get("min_length") == 1 else f"at least {ctx.get('min_length')} characters."
    if kind == "string_too_long":
        return f"at most {ctx.get('max_length')} characters."
    if kind == "string_pattern_mismatch" and name == "sku":
        return "letters, digits, dots, dashes and underscores only, starting with a letter or digit."
    if kind in ("less_than_equal", "greater_than_equal") and money:
        bound = int(ctx.get("le", ctx.get("ge", 0)))
        return f"at {'most' if kind == 'less_than_equal' else 'least'} {format_usd(bound)}."
    if kind == "value_error" and name == "compare_at_cents":
        return "at least the price, or left blank."
    if kind == "value_error":
        text = (
            str(error["msg"]).removeprefix("Value error, ").replace("SKUs repeated in the request", "SKUs on two rows")
        )
        return text + ("" if text.endswith(".") else ".")
    if kind == "too_long":
        return f"at most {ctx.get('max_length')} entries."
    return str(error["msg"]) + "."


def validated(model: type[Model], raw: dict[str, Any], key: Callable[[tuple[Any, ...]], str | None]) -> Model:
    """``model`` from ``raw``, or :class:`Problems` with each error at the input ``key(loc)`` names."""
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        problems = Problems()
        for error in err.errors():
            problems.add(key(tuple(error["loc"])), _friendly(error))
        raise problems from None


def _column(form: FormData, name: str, count: int, limit: int) -> list[str]:
    values = [v.strip()[:limit] if isinstance(v, str) else "" for v in form.getlist(name)][:count]
    return values + [""] * (count - len(values))


def _money(problems: Problems, key: str, text: str, label: str, *, required: bool) -> int | None:
    if not text:
        if required:
            problems.add(key, "enter a price, like 19.99.")
        return None
    try:
        return usd_cents(text, label)
    except InvalidInput as err:
        problems.add(key, err.detail.removeprefix(f"{label}: "))
        return None


# ---- variant rows (the new-product form's rows, the product page's "add a variant") -----------------------


@dataclass(frozen=True, slots=True)
class VariantRow:
    """One row of a variant form as typed (re-rendered as typed when something is wrong)."""

    sku: str = ""
    price: str = ""
    compare_at: str = ""
    values: tuple[str, ...] = ()  # one per option name

    def blank(self) -> bool:
        return not (self.sku or self.price or self.compare_at or any(self.values))


def option_names(form: FormData, slots: int) -> list[str]:
    return [_column(form, f"option_name_{k}", 1, 40)[0] for k in range(1, slots + 1)]


def variant_rows(form: FormData, slots: int, limit: int = MAX_ROWS) -> list[VariantRow]:
    count = min(len(form.getlist("sku")), limit)
    columns = [_column(form, f"option_value_{k}", count, 100) for k in range(1, slots + 1)]
    skus, prices = _column(form, "sku", count, 64), _column(form, "price", count, 20)
    compare = _column(form, "compare_at", count, 20)
    return [VariantRow(skus[i], prices[i], compare[i], tuple(column[i] for column in columns)) for i in range(count)]


def _options(problems: Problems, names: Sequence[str], row: VariantRow, i: int) -> dict[str, str]:
    options: dict[str, str] = {}
    for k, (name, value) in enumerate(zip(names, row.values, strict=False), start=1):
        if value and not name:
            problems.add(f"option_value_{k}-{i}", "name this option above first (for example Size).")
        elif name and not value:
            problems.add(f"option_value_{k}-{i}", f"give this variant's {name}.")
        elif name:
            options[name] = value
    return options


def variant_raw(problems: Problems, names: Sequence[str], row: VariantRow, i: int) -> dict[str, Any]:
    """A row as the API's ``VariantIn`` body; money and option problems go to ``problems`` (row ``i``)."""
    price = _money(problems, f"price-{i}", row.price, "price", required=True)
    compare_at = _money(problems, f"compare_at-{i}", row.compare_at, "compare_at", required=False)
    raw: dict[str, Any] = {"sku": row.sku, "options": _options(problems, names, row, i)}
    raw["price_cents"] = 0 if price is None else price
    if compare_at is not None:
        raw["compare_at_cents"] = compare_at
    return raw


def _merged(problems: Problems, validate: Callable[[], Model]) -> Model:
    """``validate()``'s model when neither it nor the checks before it found anything; else every problem
    (the earlier checks' message wins where both speak of the same input)."""
    try:
        model = validate()
    except Problems as more:
        problems.fields = {**more.fields, **problems.fields}
        problems.general += more.general
        raise problems from None
    if problems:
        raise problems
    return model


def _names_problems(names: Sequence[str]) -> Problems:
    problems = Problems()
    seen: set[str] = set()
    for k, name in enumerate(names, start=1):
        if name and name.casefold() in seen:
            problems.add(f"option_name_{k}", "two options have this name.")
        seen.add(name.casefold())
    return problems


ROW_FIELDS = {"sku": "sku", "price_cents": "price", "compare_at_cents": "compare_at", "options": "option_value_1"}


def _row_key(loc: tuple[Any, ...], rows: Sequence[int]) -> str | None:
    """``("variants", 2, "price_cents")`` -> ``"price-<form row of variant 2>"``."""
    if len(loc) >= 3 and loc[0] == "variants" and isinstance(loc[1], int) and loc[1] < len(rows):
        name = ROW_FIELDS.get(str(loc[2]))
        return f"{name}-{rows[loc[1]]}" if name else None
    return None


EMPTY_ROW = VariantRow(values=("",) * OPTION_SLOTS)


# ---- the new-product form ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewProductForm:
    """The new-product form's state: empty, or as the seller typed it."""

    title: str = ""
    description: str = ""
    category: str = ""
    status: str = "draft"
    names: tuple[str, ...] = ("",) * OPTION_SLOTS
    rows: tuple[VariantRow, ...] = (EMPTY_ROW,)
    adding_row: bool = False

    @classmethod
    def read(cls, form: FormData) -> NewProductForm:
        rows = tuple(variant_rows(form, OPTION_SLOTS)) or (EMPTY_ROW,)
        return cls(
            title=_column(form, "title", 1, 201)[0],
            description=_column(form, "description", 1, 20_001)[0],
            category=_column(form, "category", 1, 160)[0],
            status=_column(form, "status", 1, 16)[0] or "draft",
            names=tuple(option_names(form, OPTION_SLOTS)),
            rows=rows,
            adding_row=bool(form.get("add_row")),
        )

    def with_another_row(self) -> NewProductForm:
        if len(self.rows) >= MAX_ROWS:
            return replace(self, adding_row=False)
        return replace(self, rows=(*self.rows, EMPTY_ROW), adding_row=False)

    def filled(self) -> list[tuple[int, VariantRow]]:
        return [(i, row) for i, row in enumerate(self.rows) if not row.blank()]

    def draft(self) -> ProductIn:
        """The API's create body, or :class:`Problems` (every one found, not only the first)."""
        problems = _names_problems(self.names)
        filled = self.filled()
        if not filled:
            problems.add("sku-0", "add at least one variant (a SKU and a price).")
        variants = [variant_raw(problems, self.names, row, i) for i, row in filled]
        raw = {
            "title": self.title,
            "description": self.description,
            "category": self.category,
            "status": self.status,
            "variants": variants,
        }
        rows = [i for i, _ in filled]
        return _merged(problems, lambda: validated(ProductIn, raw, lambda loc: _row_key(loc, rows) or _top_key(loc)))

    def problems_of(self, err: DomainError) -> Problems:
        """A service's refusal, put next to the input it is about."""
        problems = Problems()
        if isinstance(err, SkuTaken):
            taken = set(err.extra.get("skus") or [])
            for i, row in self.filled():
                if row.sku in taken:
                    problems.add(f"sku-{i}", "already in use; every SKU is unique across the platform.")
            if problems:
                return problems
        name = err.extra.get("field")
        problems.add(name if name in ("title", "category", "status", "description") else None, err.detail)
        return problems


def _top_key(loc: tuple[Any, ...]) -> str | None:
    return str(loc[0]) if len(loc) == 1 and loc[0] in ("title", "description", "category", "status", "brand") else None


NEW_PRODUCT_LABELS = {"title": "Title", "description": "Description", "category": "Category", "status": "Status"}


def new_product_label(key: str) -> str:
    """The summary's name for an input: ``price-1`` -> ``Variant 2 price``."""
    base, _, row = key.rpartition("-")
    if base and row.isdigit():
        what = {"sku": "SKU", "price": "price", "compare_at": "compare-at price"}.get(base, "option")
        return f"Variant {int(row) + 1} {what}"
    if key.startswith("option_name_"):
        return f"Option {key.removeprefix('option_name_')} name"
    return NEW_PRODUCT_LABELS.get(key, key)


# ---- the product page's forms -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MediaRow:
    type: str = "image"
    url: str = ""
    alt: str = ""


@dataclass(frozen=True, slots=True)
class DetailsForm:
    """A product's title, description, brand, category, status and media, as on file or as typed."""

    title: str
    description: str
    brand: str
    category: str
    status: str  # "" when the seller may not change it (a suspended listing)
    media: tuple[MediaRow, ...]

    @classmethod
    def read(cls, form: FormData) -> DetailsForm:
        count = min(len(form.getlist("media_url")), 20 + BLANK_MEDIA_ROWS)
        types, urls = _column(form, "media_type", count, 8), _column(form, "media_url", count, 501)
        alts = _column(form, "media_alt", count, 201)
        return cls(
            title=_column(form, "title", 1, 201)[0],
            description=_column(form, "description", 1, 20_001)[0],
            brand=_column(form, "brand", 1, 121)[0],
            category=_column(form, "category", 1, 160)[0],
            status=_column(form, "status", 1, 16)[0],
            media=tuple(MediaRow(types[i] or "image", urls[i], alts[i]) for i in range(count)),
        )

    def with_blank_media(self) -> DetailsForm:
        kept = tuple(m for m in self.media if m.url)
        return replace(self, media=(*kept, *(MediaRow(),) * BLANK_MEDIA_ROWS))

    def patch(self) -> ProductPatch:
        """The API's PATCH body: every field of the form (media replace the list whole; blank rows dropped)."""
        shown = [i for i, m in enumerate(self.media) if m.url or m.alt]
        media = [
            {"type": self.media[i].type, "url": self.media[i].url, "alt": self.media[i].alt or None} for i in shown
        ]
        raw: dict[str, Any] = {
            "title": self.title,
            "description": self.description,
            "brand": self.brand or None,
            "category": self.category,
            "media": media,
        }
        if self.status:
            raw["status"] = self.status

        def key(loc: tuple[Any, ...]) -> str | None:
            if len(loc) >= 2 and loc[0] == "media" and isinstance(loc[1], int) and loc[1] < len(shown):
                return f"media_{'alt' if loc[-1] == 'alt' else 'url'}-{shown[loc[1]]}"
            return _top_key(loc)

        return validated(ProductPatch, raw, key)


def details_label(key: str) -> str:
    base, _, row = key.rpartition("-")
    if base.startswith("media_") and row.isdigit():
        return f"Media {int(row) + 1} {'text alternative' if base == 'media_alt' else 'link'}"
    return {**NEW_PRODUCT_LABELS, "brand": "Brand"}.get(key, key)


def variant_row(form: FormData, slots: int) -> VariantRow:
    """The product page's "add a variant" row, as typed."""
    return next(iter(variant_rows(form, slots, limit=1)), VariantRow(values=("",) * slots))


def variant_spec(row: VariantRow, names: Sequence[str]) -> VariantIn:
    """The row as the API's ``VariantIn``, or :class:`Problems` (keys ``sku-0``, ``price-0``, ...)."""
    problems = _names_problems(names)
    raw = variant_raw(problems, names, row, 0)

    def key(loc: tuple[Any, ...]) -> str | None:
        return f"{ROW_FIELDS.get(str(loc[0]), 'sku')}-0" if loc else None

    return _merged(problems, lambda: validated(VariantIn, raw, key))


def new_price(form: FormData) -> VariantPut:
    """A variant's new price and compare-at price (blank compare-at: none) as the API's ``VariantPut``."""
    problems = Problems()
    price = _money(problems, "price", web.field(form, "price", limit=20), "price", required=True)
    compare_at = _money(problems, "compare_at", web.field(form, "compare_at", limit=20), "compare_at", required=False)
    if problems:
        raise problems
    raw = {"price_cents": price, "compare_at_cents": compare_at}
    return validated(VariantPut, raw, lambda loc: "compare_at" if loc and loc[0] == "compare_at_cents" else "price")


__all__ = [
    "DetailsForm",
    "NewProductForm",
    "Problems",
    "VariantRow",
    "new_price",
    "usd_cents",
    "variant_row",
    "variant_spec",
]
