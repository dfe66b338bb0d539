"""Hypothesis strategies for the pricing engine: a checkout's lines and the offers a shopper may use.

Lines: 1-6 variants of 1-3 sellers in every closed-loop mode (full-custody supply prices below the
list price), some bought at a deal's price, 1-5 units at 1..50,000 cents, in a small category tree.
Offers: every kind the engine applies (and flash deals, which it must ignore), percent or amount off,
scoped to variants, listings or a category (or unscoped), funded as the schema allows (a platform
promotion for every seller is platform-funded; a seller's may be seller, platform or split funded),
with minimum spends and quantities, exclusive coupons and budgets down to a cent or two.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from yellowcart.checkout.pricing import LineInput, ShippingPolicy
from yellowcart.promotions.engine import Offer
from yellowcart.promotions.models import PromotionKind

K = PromotionKind
POLICY = ShippingPolicy(flat_fee_cents=599, free_threshold_cents=3500)
MODES = ("seller_fulfilled", "full_custody", "platform_owned")
CATEGORIES = ("home/", "home/kitchen/", "home/kitchen/knives/", "beauty/", "beauty/skin-care/")
SELLERS = (1, 2, 3)
VARIANTS = range(1, 9)

tax_rates = st.decimals(min_value=Decimal(0), max_value=Decimal("0.12"), places=4)


def product_of(seller_id: int, n: int) -> int:
    """Listings belong to one seller: seller 2's are 20, 21, 22."""
    return seller_id * 10 + n


@st.composite
def line_inputs(draw: st.DrawFn) -> list[LineInput]:
    sellers = draw(st.lists(st.sampled_from(SELLERS), min_size=1, max_size=3, unique=True))
    keys = draw(st.lists(st.sampled_from(VARIANTS), min_size=1, max_size=6, unique=True))
    lines = []
    for key in keys:
        seller = draw(st.sampled_from(sellers))
        mode = draw(st.sampled_from(MODES))
        unit = draw(st.integers(1, 50_000))
        supply = draw(st.integers(0, unit - 1)) if mode == "full_custody" and unit > 1 else None
        if mode == "full_custody" and supply is None:
            supply = 0
        deal = draw(st.integers(0, 5)) == 0
        lines.append(
            LineInput(
                variant_id=key, sku=f"SKU-{key}", title=f"item {key}", seller_id=seller, selling_mode=mode,
                quantity=draw(st.integers(1, 5)), unit_price_cents=unit, supply_price_cents=supply,
                deal_id=900 + key if deal else None, was_cents=unit + 100 if deal else None,
                product_id=product_of(seller, draw(st.integers(0, 2))),
                category_path=draw(st.sampled_from(CATEGORIES)),
            )
        )  # fmt: skip
    return lines


budgets = st.one_of(st.none(), st.integers(1, 50), st.integers(51, 20_000))


@st.composite
def offer(draw: st.DrawFn, promotion_id: int) -> Offer:
    kind = draw(st.sampled_from([K.PRODUCT_DISCOUNT, K.COUPON, K.COUPON, K.FREE_SHIPPING, K.BUNDLE, K.FLASH_DEAL]))
    seller_id = draw(st.one_of(st.none(), st.sampled_from(SELLERS)))
    share = 0 if seller_id is None else draw(st.sampled_from([0, 10_000, 2_500, 5_000, 3_333, 1]))
    percent = amount = None
    if kind is not K.FREE_SHIPPING:
        if draw(st.booleans()):
            percent = draw(st.integers(1, 9_000))
        else:
            amount = draw(st.integers(1, 20_000))
    scope = draw(st.sampled_from(["none", "variants", "products", "category"]))
    variant_ids = product_ids = None
    category = None
    if scope == "variants":
        variant_ids = frozenset(draw(st.lists(st.sampled_from(VARIANTS), min_size=1, max_size=4)))
    elif scope == "products":
        owners = SELLERS if seller_id is None else (seller_id,)
        picks = st.tuples(st.sampled_from(owners), st.integers(0, 2)).map(lambda p: product_of(*p))
        product_ids = frozenset(draw(st.lists(picks, min_size=1, max_size=3)))
    elif scope == "category":
        category = draw(st.sampled_from(CATEGORIES))
    spends = st.sampled_from([0, 0, 500, 2_000, 4_000, 10_000]) if kind in (K.COUPON, K.FREE_SHIPPING) else st.just(0)
    return Offer(
        promotion_id=promotion_id, kind=kind, label=f"{kind.value} #{promotion_id}", seller_id=seller_id,
        seller_share_bps=share, percent_off_bps=percent, amount_off_cents=amount, product_ids=product_ids,
        variant_ids=variant_ids, category_path=category, min_spend_cents=draw(spends),
        min_quantity=draw(st.integers(2, 4)) if kind is K.BUNDLE else 1,
        exclusive=kind is K.COUPON and draw(st.integers(0, 3)) == 0, budget_left_cents=draw(budgets),
        code=f"CODE{promotion_id}" if kind is K.COUPON and draw(st.booleans()) else None,
    )  # fmt: skip


@st.composite
def offers(draw: st.DrawFn, max_size: int = 7) -> list[Offer]:
    ids = draw(st.lists(st.integers(1, 60), min_size=0, max_size=max_size, unique=True))
    return [draw(offer(pid)) for pid in ids]
