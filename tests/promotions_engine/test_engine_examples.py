"""The pricing engine's documented behaviour on small checkouts a shopper would recognise: the order of
application and the labels of the explanation, minimum-spend shortfalls, the free-shipping threshold
on discounted goods, funding splits and their rounding, exclusive coupons, floors and budgets."""

from __future__ import annotations

from decimal import Decimal

from yellowcart.checkout import explain
from yellowcart.checkout.pricing import LineInput, Quote, ShippingPolicy, quote
from yellowcart.promotions import engine
from yellowcart.promotions.engine import Adjustment, Discounts, Offer, Skipped
from yellowcart.promotions.models import DiscountKind, PromotionKind

K = PromotionKind
GOODS, SHIPPING = DiscountKind.GOODS, DiscountKind.SHIPPING
POLICY = ShippingPolicy(flat_fee_cents=599, free_threshold_cents=3500)
RATE = Decimal("0.0625")
SELLER = 7


def line(key: int, cents: int, qty: int = 1, **kw: object) -> LineInput:
    fields: dict = {"seller_id": SELLER, "selling_mode": "seller_fulfilled", "product_id": 70, "category_path": "home/"}
    fields.update(kw)
    return LineInput(
        variant_id=key, sku=f"MUG-{key}", title="mug", quantity=qty, unit_price_cents=cents, **fields
    )  # fmt: skip


BUNDLE = Offer(1, K.BUNDLE, "bundle: buy 2, 10% off", SELLER, 10_000, percent_off_bps=1_000, min_quantity=2)
SPRING = Offer(2, K.COUPON, "coupon SPRING", None, 0, amount_off_cents=400, min_spend_cents=4_000, code="SPRING")


def run(lines: list[LineInput], offers: list[Offer]) -> Discounts:
    return engine.apply([ln.for_engine() for ln in lines], offers, fee_for=POLICY.fee_for)


def explained(q: Quote, discounts: Discounts) -> dict[int, str]:
    """Each line's price explanation as carts and orders show it."""
    return {
        pl.line.variant_id: explain.sentence(pl, explain.line_discounts(discounts, pl.line.variant_id))
        for order in q.orders
        for pl in order.lines
    }


def test_bundle_then_coupon_explained_line_by_line() -> None:
    """Two $24.00 mugs: the bundle takes 10% of each, then SPRING's $4.00 (over $40.00 after the bundle:
    $43.20) is shared by the lines in proportion; tax is on what is left."""
    lines = [line(1, 2_400), line(2, 2_400)]
    discounts = run(lines, [SPRING, BUNDLE])  # any order in, the documented order out
    assert [(a.promotion_id, a.line_key, a.amount_cents) for a in discounts.adjustments] == [
        (1, 1, 240),
        (1, 2, 240),
        (2, 1, 200),
        (2, 2, 200),
    ]
    assert discounts.skipped == ()
    q = quote(lines, tax_rate=RATE, policy=POLICY, discounts=discounts)
    assert explained(q, discounts) == {
        1: "was $24.00, -$2.40 bundle: buy 2, 10% off, -$2.00 coupon SPRING",
        2: "was $24.00, -$2.40 bundle: buy 2, 10% off, -$2.00 coupon SPRING",
    }
    (order,) = q.orders
    assert (order.subtotal_cents, order.discount_cents, order.shipping_cents) == (4_800, 880, 0)
    assert order.tax_cents == 245  # 6.25% of $39.20 = $2.45
    assert order.total_cents == 4_800 - 880 + 245
    assert [(p.discount_cents, p.tax_cents) for p in order.lines] == [(440, 123), (440, 122)]
    # the seller funds its bundle, the platform its coupon
    assert discounts.by_promotion() == {1: (480, 480, 0), 2: (400, 0, 400)}


def test_one_line_of_two_units() -> None:
    lines = [line(1, 2_400, qty=2)]
    discounts = run(lines, [BUNDLE, SPRING])
    assert [(a.label, a.amount_cents) for a in discounts.adjustments] == [
        ("bundle: buy 2, 10% off", 480),
        ("coupon SPRING", 400),
    ]
    q = quote(lines, tax_rate=RATE, policy=POLICY, discounts=discounts)
    assert explained(q, discounts) == {
        1: "was $48.00 (2 x $24.00), -$4.80 bundle: buy 2, 10% off, -$4.00 coupon SPRING"
    }
    assert explained(quote(lines, tax_rate=RATE, policy=POLICY), engine.NONE) == {1: ""}


def test_min_spend_is_measured_after_bundles_and_the_shortfall_is_reported() -> None:
    lines = [line(1, 2_400), line(2, 1_600)]
    without_bundle = run(lines, [SPRING])
    assert without_bundle.by_promotion() == {2: (400, 0, 400)}  # exactly $40.00 qualifies
    discounts = run(lines, [BUNDLE, SPRING])  # the bundle leaves $36.00
    assert discounts.applied() == {1}
    assert discounts.skipped == (Skipped(2, "coupon SPRING", "min_spend", short_cents=400),)


def test_a_bundle_short_of_units_says_so() -> None:
    discounts = run([line(1, 2_400)], [BUNDLE])
    assert discounts == Discounts((), (Skipped(1, "bundle: buy 2, 10% off", "min_quantity"),))


def test_free_shipping_threshold_is_measured_on_discounted_goods() -> None:
    free = Offer(3, K.FREE_SHIPPING, "free shipping over $30.00", None, 0, min_spend_cents=3_000)
    tenth = Offer(4, K.PRODUCT_DISCOUNT, "10% off", SELLER, 10_000, percent_off_bps=1_000)
    lines = [line(1, 3_200)]
    plain = run(lines, [free])
    assert [(a.kind, a.seller_id, a.amount_cents, a.platform_funded_cents) for a in plain.adjustments] == [
        (SHIPPING, SELLER, 599, 599)
    ]
    assert quote(lines, tax_rate=RATE, policy=POLICY, discounts=plain).orders[0].shipping_cents == 0
    discounted = run(lines, [free, tenth])  # $28.80 left: $1.20 short of free shipping
    assert discounted.applied() == {4}
    assert discounted.skipped == (Skipped(3, "free shipping over $30.00", "min_spend", short_cents=120),)
    order = quote(lines, tax_rate=RATE, policy=POLICY, discounts=discounted).orders[0]
    assert (order.discount_cents, order.shipping_cents, order.shipping_waived_cents) == (320, 599, 0)
    assert order.tax_cents == 180  # 6.25% of $28.80


def test_a_discount_never_costs_the_free_shipping_an_order_had() -> None:
    """$35.00 ships free; $2.00 off must not bring back a $5.99 fee (the shopper would pay more)."""
    lines = [line(1, 3_500)]
    two_off = Offer(4, K.PRODUCT_DISCOUNT, "$2.00 off", SELLER, 10_000, amount_off_cents=200)
    order = quote(lines, tax_rate=RATE, policy=POLICY, discounts=run(lines, [two_off])).orders[0]
    assert (order.discount_cents, order.shipping_cents, order.tax_cents) == (200, 0, 206)
    assert order.total_cents < quote(lines, tax_rate=RATE, policy=POLICY).total_cents
    # below the threshold before any promotion, the fee stays what it was
    small = [line(1, 3_000)]
    order = quote(small, tax_rate=RATE, policy=POLICY, discounts=run(small, [two_off])).orders[0]
    assert (order.discount_cents, order.shipping_cents) == (200, 599)


def test_deal_lines_count_toward_free_shipping_only_in_its_scope() -> None:
    beauty = Offer(3, K.FREE_SHIPPING, "free shipping on beauty over $30.00", None, 0, min_spend_cents=3_000,
                   category_path="beauty/")  # fmt: skip
    serum = line(1, 1_000, category_path="beauty/skin-care/")
    pan_deal = line(2, 2_400, category_path="home/kitchen/", deal_id=55)
    serum_deal = line(3, 2_400, category_path="beauty/", deal_id=56)
    assert run([serum, pan_deal], [beauty]).skipped == (
        Skipped(3, "free shipping on beauty over $30.00", "min_spend", short_cents=2_000),
    )
    waived = run([serum, serum_deal], [beauty])
    assert [(a.kind, a.amount_cents) for a in waived.adjustments] == [(SHIPPING, 599)]


def test_split_funding_rounds_once_per_promotion() -> None:
    """Each line's share rounds half-up on its own in the old engine (three 1-cent halves: the seller paid
    all 3 cents); the running split keeps the promotion at its share of the total, half-up."""
    cent_off = Offer(5, K.PRODUCT_DISCOUNT, "1¢ off", SELLER, 5_000, amount_off_cents=1)
    lines = [line(1, 500), line(2, 600), line(3, 700)]
    discounts = run(lines, [cent_off])
    assert discounts.by_promotion() == {5: (3, 2, 1)}
    assert [(a.seller_funded_cents, a.platform_funded_cents) for a in discounts.adjustments] == [(1, 0), (0, 1), (1, 0)]
    assert engine.split(1_001, 3_333) == (334, 667)  # 333.63 -> 334
    assert engine.split(599, 5_000) == (300, 299)  # 299.5 rounds up for the seller
    third = Offer(6, K.COUPON, "coupon THIRD", SELLER, 3_333, amount_off_cents=1_001)
    adj = run([line(1, 5_000)], [third]).adjustments
    assert adj == (Adjustment(6, GOODS, SELLER, 1, 1_001, 334, 667, "coupon THIRD"),)


def test_an_exclusive_coupon_combines_with_nothing() -> None:
    """Line 1 has a price discount: the exclusive seller coupon only takes line 2, and the platform
    coupon after it may not stack on line 2."""
    five = Offer(4, K.PRODUCT_DISCOUNT, "$5.00 off", SELLER, 10_000, amount_off_cents=500, variant_ids=frozenset({1}))
    solo = Offer(8, K.COUPON, "coupon SOLO", SELLER, 10_000, percent_off_bps=2_000, exclusive=True, code="SOLO")
    welcome = Offer(9, K.COUPON, "coupon WELCOME", None, 0, amount_off_cents=300)
    lines = [line(1, 3_000), line(2, 2_000)]
    discounts = run(lines, [welcome, solo, five])
    assert [(a.promotion_id, a.line_key, a.amount_cents) for a in discounts.adjustments] == [
        (4, 1, 500),
        (8, 2, 400),
        (9, 1, 300),
    ]
    only_discounted = run([line(1, 3_000)], [solo, five])
    assert only_discounted.skipped == (Skipped(8, "coupon SOLO", "no_eligible_lines"),)


def test_one_coupon_per_slot_the_one_worth_most() -> None:
    a = Offer(10, K.COUPON, "coupon A", SELLER, 10_000, amount_off_cents=300)
    b = Offer(11, K.COUPON, "coupon B", SELLER, 10_000, percent_off_bps=1_000)  # $5.00 on $50.00
    p1 = Offer(12, K.COUPON, "coupon P1", None, 0, amount_off_cents=100)
    p2 = Offer(13, K.COUPON, "coupon P2", None, 0, amount_off_cents=100)  # a tie: the older one wins
    discounts = run([line(1, 5_000)], [p2, a, b, p1])
    assert discounts.by_promotion() == {11: (500, 500, 0), 12: (100, 0, 100)}
    assert {(s.promotion_id, s.reason) for s in discounts.skipped} == {(10, "outbid"), (13, "outbid")}


def test_full_custody_floor_and_seller_money() -> None:
    """The platform's 90% coupon stops at the supply price; a seller's own coupon never touches goods
    whose price the platform sets."""
    custody = line(1, 2_000, qty=2, selling_mode="full_custody", supply_price_cents=1_500)
    ninety = Offer(20, K.COUPON, "coupon NINETY", None, 0, percent_off_bps=9_000)
    mine = Offer(21, K.COUPON, "coupon MINE", SELLER, 10_000, amount_off_cents=100)
    discounts = run([custody], [ninety, mine])
    assert discounts.by_promotion() == {20: (1_000, 0, 1_000)}  # $40.00 - $30.00 of supply price
    assert discounts.skipped == (Skipped(21, "coupon MINE", "no_eligible_lines"),)


def test_budgets_are_never_shaved() -> None:
    tight = Offer(30, K.COUPON, "coupon TIGHT", None, 0, amount_off_cents=400, budget_left_cents=399)
    assert run([line(1, 5_000)], [tight]) == Discounts((), (Skipped(30, "coupon TIGHT", "budget"),))
    # a price discount with room for two lines' worth of its budget, not three
    two_off = Offer(31, K.PRODUCT_DISCOUNT, "$2.00 off", SELLER, 10_000, amount_off_cents=200, budget_left_cents=450)
    discounts = run([line(1, 1_000), line(2, 1_000), line(3, 1_000)], [two_off])
    assert [(a.line_key, a.amount_cents) for a in discounts.adjustments] == [(1, 200), (2, 200)]


def test_deal_lines_take_no_promotion_and_flash_deals_are_not_applied() -> None:
    deal = line(1, 1_500, deal_id=42, was_cents=2_400)
    everything = [
        Offer(40, K.PRODUCT_DISCOUNT, "50% off", None, 0, percent_off_bps=5_000),
        Offer(41, K.COUPON, "coupon ALL", None, 0, amount_off_cents=100),
        Offer(42, K.FLASH_DEAL, "flash deal 30% off", SELLER, 10_000, percent_off_bps=3_000),
    ]
    discounts = run([deal], everything)
    assert discounts.adjustments == ()
    assert discounts.skipped == (Skipped(41, "coupon ALL", "no_eligible_lines"),)
