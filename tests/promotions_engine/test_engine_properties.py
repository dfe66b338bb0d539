"""The pricing engine and checkout pricing together, property-tested (pure: no database).

Each property draws a checkout (lines of several sellers and selling modes, deal lines among them) and
a set of offers of every kind, runs ``engine.apply`` and ``pricing.quote`` on them, and checks one
group of the stacking rules the engine's docstring promises.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promotions_engine.strategies import POLICY, line_inputs, offers, tax_rates
from yellowcart.checkout.pricing import LineInput, Quote, quote
from yellowcart.money import percent_of
from yellowcart.promotions import engine
from yellowcart.promotions.engine import Adjustment, Discounts, Offer
from yellowcart.promotions.models import DiscountKind, PromotionKind

K = PromotionKind
GOODS, SHIPPING = DiscountKind.GOODS, DiscountKind.SHIPPING
REASONS = {"min_spend", "min_quantity", "budget", "no_eligible_lines", "outbid"}
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(lines: list[LineInput], given_offers: list[Offer]) -> Discounts:
    return engine.apply([ln.for_engine() for ln in lines], given_offers, fee_for=POLICY.fee_for)


def priced(lines: list[LineInput], given_offers: list[Offer], rate: Decimal) -> tuple[Discounts, Quote]:
    discounts = run(lines, given_offers)
    return discounts, quote(lines, tax_rate=rate, policy=POLICY, discounts=discounts)


def goods(discounts: Discounts) -> list[Adjustment]:
    return [a for a in discounts.adjustments if a.kind is GOODS]


checkouts = st.tuples(line_inputs(), offers(), tax_rates)


@FAST
@given(checkouts)
def test_lines_stay_above_their_floor_and_deals_are_untouched(checkout: tuple) -> None:
    lines, given_offers, rate = checkout
    discounts, _ = priced(lines, given_offers, rate)
    for ln in lines:
        off = discounts.line_discount(ln.variant_id)
        paid = ln.unit_price_cents * ln.quantity - off
        assert paid >= 0
        if ln.selling_mode == "full_custody":
            assert ln.supply_price_cents is not None
            assert paid >= ln.supply_price_cents * ln.quantity  # the seller's supply price is always covered
        if ln.deal_id is not None:
            assert off == 0
            assert not [a for a in discounts.adjustments if a.line_key == ln.variant_id]
    for a in discounts.adjustments:
        assert a.amount_cents > 0
        assert (a.line_key is None) == (a.kind is SHIPPING)


@FAST
@given(checkouts)
def test_stacking_slots(checkout: tuple) -> None:
    lines, given_offers, rate = checkout
    discounts, _ = priced(lines, given_offers, rate)
    by_id = {o.promotion_id: o for o in given_offers}
    per_line: dict[tuple[int, PromotionKind], list[int]] = defaultdict(list)
    for a in goods(discounts):
        per_line[(a.line_key or 0, by_id[a.promotion_id].kind)].append(a.promotion_id)
    for (_, kind), ids in per_line.items():
        assert kind in (K.PRODUCT_DISCOUNT, K.BUNDLE, K.COUPON)
        if kind is not K.COUPON:
            assert len(ids) == 1, f"two {kind} on one line: {ids}"  # one price discount, one bundle per line
    coupons = {a.promotion_id for a in discounts.adjustments if by_id[a.promotion_id].kind is K.COUPON}
    platform = {pid for pid in coupons if by_id[pid].seller_id is None}
    assert len(platform) <= 1, "one platform coupon per checkout"
    for seller in {ln.seller_id for ln in lines}:
        assert len({pid for pid in coupons if by_id[pid].seller_id == seller}) <= 1, "one coupon per seller slot"
    shipping = [a for a in discounts.adjustments if a.kind is SHIPPING]
    assert len({a.seller_id for a in shipping}) == len(shipping), "one free shipping per seller order"
    assert all(by_id[a.promotion_id].kind is K.FREE_SHIPPING for a in shipping)
    assert all(by_id[a.promotion_id].kind is not K.FLASH_DEAL for a in discounts.adjustments)


@FAST
@given(checkouts)
def test_who_pays(checkout: tuple) -> None:
    """Each side's money adds up to the discount, follows the offer's share, and a seller only pays on
    its own seller-fulfilled goods (and the shipping of orders it ships itself)."""
    lines, given_offers, rate = checkout
    discounts, _ = priced(lines, given_offers, rate)
    by_id = {o.promotion_id: o for o in given_offers}
    by_key = {ln.variant_id: ln for ln in lines}
    per_promotion: dict[int, list[Adjustment]] = defaultdict(list)
    for a in discounts.adjustments:
        offer = by_id[a.promotion_id]
        assert a.seller_funded_cents >= 0 and a.platform_funded_cents >= 0
        assert a.seller_funded_cents + a.platform_funded_cents == a.amount_cents
        assert abs(a.seller_funded_cents * 10_000 - a.amount_cents * offer.seller_share_bps) < 10_000  # < 1 cent
        per_promotion[a.promotion_id].append(a)
        if a.seller_funded_cents == 0:
            continue
        assert offer.seller_id == a.seller_id
        if a.line_key is not None:
            assert by_key[a.line_key].seller_id == a.seller_id
            assert by_key[a.line_key].selling_mode == "seller_fulfilled"
        else:
            shipped = [ln for ln in lines if ln.seller_id == a.seller_id]
            assert all(ln.selling_mode == "seller_fulfilled" for ln in shipped)
    for pid, adjustments in per_promotion.items():
        total = sum(a.amount_cents for a in adjustments)
        seller = sum(a.seller_funded_cents for a in adjustments)
        assert abs(seller * 10_000 - total * by_id[pid].seller_share_bps) <= 5_000, "the checkout's split is half-up"
        assert discounts.by_promotion()[pid] == (
            total,
            seller,
            sum(a.platform_funded_cents for a in adjustments),
        )


@FAST
@given(checkouts)
def test_budgets_and_exclusive_coupons(checkout: tuple) -> None:
    lines, given_offers, rate = checkout
    discounts, _ = priced(lines, given_offers, rate)
    by_id = {o.promotion_id: o for o in given_offers}
    for pid, (amount, _, _) in discounts.by_promotion().items():
        left = by_id[pid].budget_left_cents
        assert left is None or amount <= left, f"promotion {pid} spent {amount} of {left}"
    seen: set[int] = set()
    sealed: set[int] = set()
    for a in goods(discounts):
        key = a.line_key or 0
        offer = by_id[a.promotion_id]
        assert key not in sealed, "an exclusive coupon's line takes nothing else"
        if offer.exclusive and offer.kind is K.COUPON:
            assert key not in seen, "an exclusive coupon only takes lines with no earlier discount"
            sealed.add(key)
        seen.add(key)
    applied = discounts.applied()
    for s in discounts.skipped:
        assert s.reason in REASONS
        assert s.promotion_id not in applied
        assert s.short_cents >= 0 and (s.short_cents > 0) == (s.reason == "min_spend")


@FAST
@given(checkouts)
def test_totals_add_up(checkout: tuple) -> None:
    lines, given_offers, rate = checkout
    discounts, q = priced(lines, given_offers, rate)
    assert q.discount_cents == sum(a.amount_cents for a in goods(discounts)), "every goods discount is charged"
    assert [o.seller_id for o in q.orders] == sorted({ln.seller_id for ln in lines})
    for order in q.orders:
        priced_lines = order.lines
        assert order.total_cents == order.subtotal_cents - order.discount_cents + order.shipping_cents + order.tax_cents
        assert order.subtotal_cents == sum(p.subtotal_cents for p in priced_lines)
        assert order.discount_cents == sum(p.discount_cents for p in priced_lines)
        assert order.tax_cents == sum(p.tax_cents for p in priced_lines)
        assert order.shipping_cents == sum(p.shipping_cents for p in priced_lines)
        net = order.subtotal_cents - order.discount_cents
        assert order.tax_cents == percent_of(net, rate), "tax is the half-up rate x discounted goods"
        fee = engine.shipping_fee(POLICY.fee_for, order.subtotal_cents, net)
        assert fee <= POLICY.fee_for(order.subtotal_cents), "a discount never brings a shipping fee back"
        assert order.shipping_cents + order.shipping_waived_cents == fee
        waived = [a for a in discounts.adjustments if a.kind is SHIPPING and a.seller_id == order.seller_id]
        assert order.shipping_waived_cents == sum(a.amount_cents for a in waived), "the waived fee is what is booked"
        numbers = [order.subtotal_cents, order.discount_cents, order.shipping_cents, order.tax_cents, net]
        numbers += [order.shipping_waived_cents, order.total_cents]
        for p in priced_lines:
            assert p.subtotal_cents == p.line.unit_price_cents * p.line.quantity
            assert p.discount_cents == discounts.line_discount(p.line.variant_id)
            numbers += [p.subtotal_cents, p.discount_cents, p.tax_cents, p.shipping_cents]
        assert all(isinstance(n, int) and n >= 0 for n in numbers)
    assert q.total_cents == q.subtotal_cents - q.discount_cents + q.shipping_cents + q.tax_cents


@FAST
@given(checkouts, st.randoms(use_true_random=False))
def test_offers_never_raise_the_price_and_the_engine_is_deterministic(checkout: tuple, rnd: object) -> None:
    lines, given_offers, rate = checkout
    discounts, q = priced(lines, given_offers, rate)
    plain = quote(lines, tax_rate=rate, policy=POLICY)
    assert q.total_cents <= plain.total_cents
    for mine, theirs in zip(q.orders, plain.orders, strict=True):
        assert mine.total_cents <= theirs.total_cents, "no seller order costs more for its promotions"
    assert run(lines, given_offers) == discounts
    shuffled = list(given_offers)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert run(lines, shuffled) == discounts
    assert run(lines, []) == engine.NONE
