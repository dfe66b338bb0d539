"""Sellers and their listings: shop names, selling modes, products, variants, prices and media."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from itertools import accumulate, product
from typing import TypeVar

from yellowcart.catalog.models import ProductStatus
from yellowcart.catalog.modes import SellingMode
from yellowcart.demo.leaves import BRANDS, LEAVES
from yellowcart.demo.names import SHOP_PREFIXES, SHOP_SUFFIXES
from yellowcart.demo.plan import Row, SellerPlan, VariantPlan, weighted_index
from yellowcart.demo.taxonomy import OPTIONS, Leaf, OptionSpec, slugify
from yellowcart.sellers.models import SellerStatus

M = SellingMode
T = TypeVar("T")
PLATFORM_STORE = "Yellowcart Basics"
PLATFORM_DEPARTMENTS = ("home", "health", "electronics", "grocery", "baby")
#: How a seller's listings spread over modes, given the seller's default mode.
LISTING_MODES: dict[SellingMode, tuple[tuple[SellingMode, ...], tuple[int, ...]]] = {
    M.SELLER_FULFILLED: ((M.SELLER_FULFILLED, M.FULL_CUSTODY, M.REDIRECT), (82, 13, 5)),
    M.FULL_CUSTODY: ((M.FULL_CUSTODY, M.SELLER_FULFILLED), (75, 25)),
    M.REDIRECT: ((M.REDIRECT, M.SELLER_FULFILLED), (65, 35)),  # moving to closed loop before the cutover
    M.PLATFORM_OWNED: ((M.PLATFORM_OWNED,), (1,)),
}
#: Share of the other sellers (not #1, not the platform store) per default mode and per status, dealt
#: as shuffled decks so every market, even a small one, gets the same mix.
MODE_SHARES = {M.FULL_CUSTODY: 0.28, M.REDIRECT: 0.12}  # the rest is seller-fulfilled
STATUS_SHARES = {SellerStatus.PENDING: 0.05, SellerStatus.SUSPENDED: 0.05}  # the rest is active
_ORDERED_AXES = frozenset({"Size", "Thickness", "Length", "Pieces", "Capacity", "Count", "Set", "Pack", "Weight"})
_ENDINGS = ((99, 49, 95, 0, 97, 50), (56, 14, 10, 10, 5, 5))


@dataclass(frozen=True, slots=True)
class Catalog:
    sellers: list[SellerPlan]
    products: list[Row]
    variants: list[Row]
    variant_plans: list[VariantPlan]


# ---- sellers ---------------------------------------------------------------------------------------


def build_sellers(rng: random.Random, count: int, reference: dt.datetime) -> list[SellerPlan]:
    """Seller 1 is the demo seller (active, seller-fulfilled, beauty); seller 2 is the platform's own store."""
    departments = list(SHOP_SUFFIXES)
    taken: set[str] = set()
    modes = _deck(rng, count - 2, MODE_SHARES, M.SELLER_FULFILLED)
    statuses = _deck(rng, count - 2, STATUS_SHARES, SellerStatus.ACTIVE)
    sellers = []
    for sid in range(1, count + 1):
        if sid == 2:
            sellers.append(_platform_store(rng, reference))
            continue
        primary = "beauty" if sid == 1 else rng.choice(departments)
        depts = (primary,) if rng.random() < 0.7 or sid == 1 else (primary, rng.choice(departments))
        brand, name = _shop_name(rng, primary, taken)
        status = statuses.pop()
        slug = slugify(name)
        sellers.append(
            SellerPlan(
                id=sid, name=name, slug=slug, status=status, mode=modes.pop(), departments=tuple(dict.fromkeys(depts)),
                store_url=f"https://{slug}.myshopify.com", created_at=reference - _days(rng, 100, 720),
                house_brand=brand,
                weight=_catalogue_weight(rng, sid, status),
            )
        )  # fmt: skip
    return sellers


def _deck(rng: random.Random, others: int, shares: dict[T, float], rest: T) -> list[T]:
    """``others`` cards in fixed proportions, shuffled, plus a last card of ``rest`` (popped first,
    for seller 1, which must be active and seller-fulfilled)."""
    deck = [value for value, share in shares.items() for _ in range(round(share * others))]
    deck += [rest] * (others - len(deck))
    rng.shuffle(deck)
    return [*deck, rest]


def _catalogue_weight(rng: random.Random, sid: int, status: SellerStatus) -> float:
    """Heavy-tailed catalogue sizes; sellers still onboarding have listed little so far."""
    weight = rng.lognormvariate(0, 0.75)
    if sid == 1:
        return max(2.0, weight)  # the demo seller has a catalogue worth browsing
    return weight * 0.3 if status is SellerStatus.PENDING else weight


def _platform_store(rng: random.Random, reference: dt.datetime) -> SellerPlan:
    return SellerPlan(
        id=2,
        name=PLATFORM_STORE,
        slug="yellowcart-basics",
        status=SellerStatus.ACTIVE,
        mode=M.PLATFORM_OWNED,
        departments=PLATFORM_DEPARTMENTS,
        store_url="https://www.yellowcart.test/stores/yellowcart-basics",
        created_at=reference - _days(rng, 700, 730),
        house_brand=PLATFORM_STORE,
        weight=5.0,
    )


def _shop_name(rng: random.Random, department: str, taken: set[str]) -> tuple[str, str]:
    """(house brand, shop name): "Golden Hour" sells as "Golden Hour Beauty"."""
    while True:
        brand = rng.choice(SHOP_PREFIXES)
        name = f"{brand} {rng.choice(SHOP_SUFFIXES[department])}"
        if name not in taken:
            taken.add(name)
            return brand, name


def seller_rows(sellers: list[SellerPlan]) -> list[Row]:
    return [
        {
            "id": s.id, "name": s.name, "status": s.status, "default_selling_mode": s.mode,
            "store_url": s.store_url, "created_at": s.created_at,
        }
        for s in sellers
    ]  # fmt: skip


# ---- products --------------------------------------------------------------------------------------


def products_per_seller(total: int, sellers: list[SellerPlan]) -> list[int]:
    """Largest-remainder split of ``total`` listings by seller weight, at least three each."""
    floor = min(3, total // len(sellers))
    spare = total - floor * len(sellers)
    weight_sum = sum(s.weight for s in sellers)
    exact = [spare * s.weight / weight_sum for s in sellers]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(sellers)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: spare - sum(counts)]:
        counts[i] += 1
    return [c + floor for c in counts]


def build_catalog(
    rng: random.Random,
    sellers: list[SellerPlan],
    total: int,
    leaf_ids: dict[tuple[str, ...], int],
    reference: dt.datetime,
) -> Catalog:
    """Products in creation order (ids follow created_at), each with 1-4 variants."""
    drafts = []
    for seller, count in zip(sellers, products_per_seller(total, sellers), strict=True):
        leaves = [leaf for leaf in LEAVES if leaf.department in seller.departments]
        cum = list(accumulate(leaf.popularity for leaf in leaves))
        latest = max(seller.created_at + dt.timedelta(days=1), reference - dt.timedelta(days=91))
        for _ in range(count):
            created = seller.created_at + (latest - seller.created_at) * rng.random()
            drafts.append((created, seller, leaves[weighted_index(rng, cum)]))
    drafts.sort(key=lambda d: (d[0], d[1].id))
    products: list[Row] = []
    variants: list[Row] = []
    plans: list[VariantPlan] = []
    for pid, (created, seller, leaf) in enumerate(drafts, start=1):
        row, vrows, vplans = _product(rng, pid, seller, leaf, leaf_ids[leaf.path], created, len(variants))
        products.append(row)
        variants += vrows
        plans += vplans
    return Catalog(sellers, products, variants, plans)


def _product(
    rng: random.Random, pid: int, seller: SellerPlan, leaf: Leaf, category_id: int, created: dt.datetime, vbase: int
) -> tuple[Row, list[Row], list[VariantPlan]]:
    own_brand_share = 0.7 if seller.mode is M.PLATFORM_OWNED else 0.55
    brand = seller.house_brand if rng.random() < own_brand_share else rng.choice(BRANDS[leaf.department].split("|"))
    noun, extra = rng.choice(leaf.nouns), rng.choice(leaf.extras)
    descriptor = _descriptor_for(rng, leaf, noun)
    title = f"{brand} {descriptor} {noun}" + (f", {extra}" if extra else "")
    features = rng.sample(leaf.features, k=min(len(leaf.features), rng.choice((2, 3))))
    description = f"{descriptor} {noun.lower()} by {brand}. " + " ".join(features)
    mode = rng.choices(*LISTING_MODES[seller.mode])[0]
    status = _product_status(rng, seller)
    row: Row = {
        "id": pid, "seller_id": seller.id, "category_id": category_id, "title": title[:200],
        "description": description, "brand": brand, "status": status, "selling_mode": mode,
        "redirect_url": f"{seller.store_url}/products/{slugify(title)[:80]}-{pid}" if mode is M.REDIRECT else None,
        "media": _media(rng, pid, title), "created_at": created, "updated_at": created,
    }  # fmt: skip
    sellable = status is ProductStatus.ACTIVE and seller.status is SellerStatus.ACTIVE and mode.closed_loop
    vrows, vplans = _variants(rng, pid, seller, leaf, title, mode, sellable, vbase)
    return row, vrows, vplans


def _descriptor_for(rng: random.Random, leaf: Leaf, noun: str) -> str:
    """A descriptor that does not repeat a word of the noun ("Smart Smart Light Strip")."""
    words = set(noun.lower().split())
    descriptor = rng.choice(leaf.descriptors)
    for _ in range(6):
        if not words & set(descriptor.lower().split()):
            break
        descriptor = rng.choice(leaf.descriptors)
    return descriptor


def _product_status(rng: random.Random, seller: SellerPlan) -> ProductStatus:
    if seller.status is SellerStatus.PENDING:
        return ProductStatus.DRAFT  # not approved yet: listings wait as drafts
    return rng.choices((ProductStatus.ACTIVE, ProductStatus.DRAFT, ProductStatus.SUSPENDED), (96, 3, 1))[0]


def _media(rng: random.Random, pid: int, title: str) -> list[Row]:
    images = [{"type": "image", "url": f"/static/demo/p{pid}.jpg", "alt": title[:120]}]
    images += [{"type": "image", "url": f"/static/demo/p{pid}-{n}.jpg"} for n in range(2, rng.randint(1, 5) + 1)]
    if rng.random() < 0.15:
        images.append({"type": "video", "url": f"/static/demo/p{pid}.mp4"})
    return images


# ---- variants --------------------------------------------------------------------------------------


def _variants(
    rng: random.Random,
    pid: int,
    seller: SellerPlan,
    leaf: Leaf,
    title: str,
    mode: SellingMode,
    sellable: bool,
    vbase: int,
) -> tuple[list[Row], list[VariantPlan]]:
    base = leaf.price[0] + (leaf.price[1] - leaf.price[0]) * rng.random() ** 1.6  # most items sit low in the range
    grams = rng.randint(*leaf.grams)
    ending = rng.choices(*_ENDINGS)[0]
    discount = rng.uniform(0.15, 0.45) if rng.random() < 0.25 else 0.0
    rows, plans = [], []
    for i, (options, mult) in enumerate(_option_combos(rng, leaf)):
        price = charm(base * mult, ending)
        vid = vbase + i + 1
        sku = f"{_sku_prefix(seller)}-{pid:06d}-{i + 1:02d}"
        active = rng.random() >= 0.03
        rows.append({
            "id": vid, "product_id": pid, "sku": sku, "options": options, "price_cents": price,
            "compare_at_cents": max(price + 100, charm(base * mult / (1 - discount), ending)) if discount else None,
            "weight_grams": max(5, int(grams * mult)), "is_active": active,
            "supply_price_cents": supply_price(vid, price, mode),
        })  # fmt: skip
        label = " / ".join(options.values())
        line_title = f"{title} ({label})"[:250] if label else title[:250]
        plans.append(VariantPlan(vid, pid, seller.id, sku, line_title, mode, price, sellable and active))
    return rows, plans


def supply_price(variant_id: int, price_cents: int, mode: SellingMode) -> int | None:
    """Full custody: the supply price the platform accepted, 50-65% of retail (no draw from the rng, so
    the rest of the market does not move)."""
    return price_cents * (50 + variant_id % 16) // 100 if mode is SellingMode.FULL_CUSTODY else None


def _option_combos(rng: random.Random, leaf: Leaf) -> list[tuple[dict[str, str], float]]:
    """1-4 variants: one axis (sizes in a run, colours at random) or two axes crossed."""
    specs = [OPTIONS[key] for key in leaf.options]
    if not specs:
        return [({}, 1.0)]
    counts: tuple[int, ...]
    if len(specs) == 1:
        counts = (rng.choices((1, 2, 3, 4), (35, 25, 22, 18))[0],)
    else:
        counts = rng.choices(
            ((1, 1), (1, 2), (1, 3), (1, 4), (2, 2), (2, 1), (3, 1), (4, 1)), (8, 14, 16, 22, 16, 8, 8, 8)
        )[0]
    axes = [_pick_values(rng, spec, n) for spec, n in zip(specs, counts, strict=True)]
    combos = []
    for picked in product(*axes):
        options = {spec.label: spec.values[idx] for spec, idx in zip(specs, picked, strict=True)}
        mult = 1.0
        for spec, idx in zip(specs, picked, strict=True):
            mult *= spec.multipliers[idx]
        combos.append((options, mult))
    return combos


def _pick_values(rng: random.Random, spec: OptionSpec, n: int) -> list[int]:
    n = min(n, len(spec.values))
    if spec.label in _ORDERED_AXES:
        start = rng.randint(0, len(spec.values) - n)
        return list(range(start, start + n))
    return sorted(rng.sample(range(len(spec.values)), n))


def _sku_prefix(seller: SellerPlan) -> str:
    letters = "".join(w[0] for w in seller.name.replace("&", "").split() if w[:1].isalpha()).upper()
    return (letters + "XX")[:3]


def charm(dollars: float, ending: int) -> int:
    """A US shelf price in cents: whole dollars then .99/.49/.95/.00 ... (never below $1.49)."""
    whole = max(2, round(dollars))
    return whole * 100 if ending == 0 else (whole - 1) * 100 + ending


def _days(rng: random.Random, low: float, high: float) -> dt.timedelta:
    return dt.timedelta(days=rng.uniform(low, high))
