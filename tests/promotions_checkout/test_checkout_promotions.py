"""Promotions through real checkout HTTP calls: the price shown is the price charged, explained line by
line; coupon abuse gets clear errors and changes nothing; budgets and per-shopper limits hold exactly
under concurrency; a cancelled checkout gives back what it took."""

from __future__ import annotations

import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import func, select

from support import ADDRESS, LiveServer, Market
from yellowcart.auth.models import Role
from yellowcart.catalog.models import Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import utcnow
from yellowcart.money import percent_of
from yellowcart.orders.models import Order, OrderLine
from yellowcart.promotions.models import (
    CouponCode,
    Funder,
    OrderDiscount,
    Promotion,
    PromotionKind,
    PromotionShopper,
    PromotionStatus,
    Redemption,
    RedemptionStatus,
)

K = PromotionKind
NJ = {**ADDRESS}  # tests/support's address (New Jersey, 6.625%)


def promo(
    market: Market, kind: PromotionKind, *, code: str | None = None, shopper: str | None = None, **kw: Any
) -> int:
    """A running promotion written straight to the database (the admin API has its own tests)."""
    now = utcnow()
    funder = kw.pop("funder", Funder.PLATFORM)
    share = {Funder.PLATFORM: 0, Funder.SELLER: 10_000}.get(funder, kw.pop("seller_share_bps", 5_000))
    fields: dict[str, Any] = {
        "kind": kind,
        "name": kw.pop("name", kind.value),
        "status": PromotionStatus.ACTIVE,
        "created_by": market.users[next(iter(market.users))],
        "funder": funder,
        "seller_share_bps": share,
        "starts_at": now - dt.timedelta(hours=1),
        "ends_at": now + dt.timedelta(days=1),
    }
    fields.update(kw)
    with market.db.transaction() as s:
        p = Promotion(**fields)
        s.add(p)
        s.flush()
        if code is not None:
            s.add(CouponCode(promotion_id=p.id, code=code, shopper_id=market.users[shopper] if shopper else None))
        return p.id


def variant_of(market: Market, sku: str) -> Variant:
    with market.db.transaction() as s:
        v = s.scalar(select(Variant).where(Variant.sku == sku))
        assert v is not None
        s.expunge(v)
        return v


def cart_with(c: httpx.Client, *lines: tuple[str, int]) -> dict[str, Any]:
    cart = c.post("/v1/carts").json()
    for sku, qty in lines:
        r = c.put(f"/v1/carts/{cart['id']}/lines", json={"sku": sku, "quantity": qty})
        assert r.status_code == 200, r.text
    r = c.put(f"/v1/carts/{cart['id']}/address", json=NJ)
    assert r.status_code == 200, r.text
    return dict(r.json())


def checkout(c: httpx.Client, cart_id: int, **extra: Any) -> httpx.Response:
    body = {"cart_id": cart_id, "payment_method": "tok_visa", **extra}
    return c.post("/v1/checkout", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})


def counts(market: Market) -> tuple[int, int, int]:
    with market.db.transaction() as s:
        return (
            s.scalar(select(func.count(Order.id))) or 0,
            s.scalar(select(func.count(Redemption.id))) or 0,
            s.scalar(select(func.count(OrderDiscount.id))) or 0,
        )


def test_the_cart_explains_each_discount_and_checkout_charges_exactly_that(server: LiveServer, market: Market) -> None:
    """$12.00 x 2 with a 2-for-10%-off bundle and a $4 coupon over $20, free shipping from $15."""
    seller = market.seller("glow")
    market.user("ops", Role.OPERATOR)
    sku = market.product(seller, price_cents=1200, stock=10)
    token = market.user("ann", Role.SHOPPER)
    bundle = promo(market, K.BUNDLE, name="Pair up", funder=Funder.SELLER, seller_id=seller, percent_off_bps=1000,
                   min_quantity=2)  # fmt: skip
    spring = promo(market, K.COUPON, code="SPRING", amount_off_cents=400, min_spend_cents=2000)
    ship = promo(market, K.FREE_SHIPPING, name="Ships free", min_spend_cents=1500, budget_cents=100_000)
    with server.client(token) as c:
        cart = cart_with(c, (sku, 2))
        r = c.post(f"/v1/carts/{cart['id']}/coupons", json={"code": " spring "})
        assert r.status_code == 200, r.text
        cart = r.json()
        line = cart["lines"][0]
        # 2,400 - 240 (bundle) = 2,160 >= 2,000 so SPRING applies: -400 -> 1,760 >= 1,500: ships free.
        assert [d["amount_cents"] for d in line["discounts"]] == [240, 400]
        assert (
            line["explain"] == "was $24.00 (2 x $12.00), -$2.40 Pair up: bundle: buy 2, 10% off, -$4.00 coupon SPRING"
        )
        assert cart["coupons"] == [
            {"code": "SPRING", "applied": True, "promotion_id": spring, "reason": None, "short_cents": 0}
        ]
        totals = cart["totals"]
        tax = percent_of(1760, Decimal(totals["tax_rate"]))
        assert tax > 0
        assert totals["discount_cents"] == 640
        assert (totals["shipping_cents"], totals["shipping_waived_cents"]) == (0, 599)
        assert totals["tax_cents"] == tax
        assert totals["total_cents"] == 1760 + tax

        r = checkout(c, cart["id"])
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["total_cents"] == totals["total_cents"] == body["payment"]["amount_cents"]
        assert {(d["promotion_id"], d["kind"], d["amount_cents"]) for d in body["discounts"]} == {
            (bundle, "goods", 240),
            (spring, "goods", 400),
            (ship, "shipping", 599),
        }
    with market.db.transaction() as s:
        order = s.scalars(select(Order)).one()
        assert (order.subtotal_cents, order.discount_cents, order.shipping_cents) == (2400, 640, 0)
        assert order.total_cents == 1760 + tax
        line_row = s.scalars(select(OrderLine)).one()
        assert (line_row.line_discount_cents, line_row.line_tax_cents) == (640, tax)
        used = {
            (r.promotion_id, r.status, r.discount_cents, r.seller_funded_cents) for r in s.scalars(select(Redemption))
        }
        assert used == {
            (bundle, RedemptionStatus.USED, 240, 240),  # the seller funds its bundle
            (spring, RedemptionStatus.USED, 400, 0),
            (ship, RedemptionStatus.USED, 599, 0),
        }
        assert s.get(Promotion, ship).budget_used_cents == 599  # type: ignore[union-attr]
        assert s.get(Promotion, spring).redemptions == 1  # type: ignore[union-attr]


def test_a_promotion_that_ends_between_cart_and_payment_is_a_409_never_a_silent_change(
    server: LiveServer, market: Market
) -> None:
    seller = market.seller("s")
    market.user("ops", Role.OPERATOR)
    sku = market.product(seller, price_cents=5000, stock=5)
    sale = promo(market, K.PRODUCT_DISCOUNT, name="Weekend", percent_off_bps=2000)
    token = market.user("bo", Role.SHOPPER)
    with server.client(token) as c:
        cart = cart_with(c, (sku, 1))
        shown = cart["totals"]["total_cents"]
        assert cart["lines"][0]["line_discount_cents"] == 1000
        with market.db.transaction() as s:
            s.get(Promotion, sale).ends_at = utcnow() - dt.timedelta(seconds=1)  # type: ignore[union-attr]
        r = checkout(c, cart["id"])
        assert r.status_code == 409, r.text
        problem = r.json()
        assert problem["code"] == "price_changed"
        assert problem["shown_total_cents"] == shown and problem["total_cents"] > shown
        assert r.headers["content-type"].startswith("application/problem+json")
        assert counts(market) == (0, 0, 0) and market.stock(sku) == (5, 0)
        # Seeing the cart again shows the new price; checking out then charges it.
        again = c.get(f"/v1/carts/{cart['id']}").json()
        assert again["totals"]["total_cents"] == problem["total_cents"]
        r = checkout(c, cart["id"])
        assert r.status_code == 201, r.text
        assert r.json()["total_cents"] == problem["total_cents"]
        # A direct purchase may name the total it was shown, with the same guarantee.
        r = c.post(
            "/v1/checkout",
            json={
                "items": [{"sku": sku, "quantity": 1}],
                "shipping_address": NJ,
                "payment_method": "tok_visa",
                "expected_total_cents": shown,
            },
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert r.status_code == 409 and r.json()["code"] == "price_changed"


def test_coupon_abuse_gets_clear_errors_and_changes_nothing(server: LiveServer, market: Market) -> None:
    seller = market.seller("s")
    market.user("ops", Role.OPERATOR)
    sku = market.product(seller, price_cents=3000, stock=20)
    eve, ann = market.user("eve", Role.SHOPPER), market.user("ann", Role.SHOPPER)
    promo(market, K.COUPON, code="ANNONLY", shopper="ann", amount_off_cents=500)
    old = promo(market, K.COUPON, code="OLD", amount_off_cents=500)
    with market.db.transaction() as s:
        s.get(Promotion, old).ends_at = utcnow() - dt.timedelta(minutes=1)  # type: ignore[union-attr]
    once = promo(market, K.COUPON, code="ONCE", seller_id=seller, amount_off_cents=500, per_shopper_limit=1)
    first = promo(market, K.COUPON, code="FIRST", amount_off_cents=700, new_customer_only=True)
    with server.client(eve) as c:
        cart = cart_with(c, (sku, 1))
        for code, status, problem in [
            ("NOPE", 404, "coupon_unknown"),
            ("annonly", 409, "coupon_not_yours"),
            ("OLD", 409, "coupon_expired"),
            ("bad code!", 422, None),
        ]:
            r = c.post(f"/v1/carts/{cart['id']}/coupons", json={"code": code})
            assert r.status_code == status, (code, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            if problem:
                assert r.json()["code"] == problem
        assert c.get(f"/v1/carts/{cart['id']}").json()["coupons"] == []
        # Naming another shopper's code at checkout: refused whole, nothing held.
        r = checkout(c, cart["id"], coupon_codes=["ANNONLY"])
        assert r.status_code == 409 and r.json()["code"] == "coupon_not_yours"
        assert counts(market) == (0, 0, 0) and market.stock(sku) == (20, 0)
        # ONCE works once; the second checkout with it is refused.
        assert c.post(f"/v1/carts/{cart['id']}/coupons", json={"code": "once"}).status_code == 200
        assert c.post(f"/v1/carts/{cart['id']}/coupons", json={"code": "FIRST"}).status_code == 200
        r = checkout(c, cart["id"])
        assert r.status_code == 201, r.text
        assert {d["promotion_id"] for d in r.json()["discounts"]} == {once, first}
        cart2 = cart_with(c, (sku, 1))
        r = c.post(f"/v1/carts/{cart2['id']}/coupons", json={"code": "ONCE"})
        assert r.status_code == 409 and r.json()["code"] == "coupon_used_up"
        r = c.post(f"/v1/carts/{cart2['id']}/coupons", json={"code": "FIRST"})
        assert r.status_code == 409 and r.json()["code"] == "coupon_new_customers_only"
        before = counts(market)
        r = checkout(c, cart2["id"], coupon_codes=["ONCE"])
        assert r.status_code == 409 and r.json()["code"] == "coupon_used_up"
        assert counts(market) == before
    with server.client(ann) as c:  # the personal code works for its owner
        cart = cart_with(c, (sku, 1))
        r = c.post(f"/v1/carts/{cart['id']}/coupons", json={"code": "ANNONLY"})
        assert r.status_code == 200 and r.json()["coupons"][0]["applied"] is True
        other = c.post("/v1/carts").json()["id"]
    with server.client(eve) as c:  # and nobody else touches her cart
        assert c.post(f"/v1/carts/{other}/coupons", json={"code": "ONCE"}).status_code == 404


def test_min_spend_shortfall_is_shown_and_the_coupon_waits(server: LiveServer, market: Market) -> None:
    seller = market.seller("s")
    market.user("ops", Role.OPERATOR)
    sku = market.product(seller, price_cents=1500, stock=20)
    big = promo(market, K.COUPON, code="BIG", amount_off_cents=1000, min_spend_cents=5000)
    ship = promo(market, K.FREE_SHIPPING, name="Ships free", min_spend_cents=3500)
    with server.client(market.user("cy", Role.SHOPPER)) as c:
        cart = cart_with(c, (sku, 2))
        cart = c.post(f"/v1/carts/{cart['id']}/coupons", json={"code": "BIG"}).json()
        assert cart["coupons"] == [
            {"code": "BIG", "applied": False, "promotion_id": big, "reason": "min_spend", "short_cents": 2000}
        ]
        assert {(h["promotion_id"], h["short_cents"]) for h in cart["hints"]} == {(ship, 500)}
        cart = c.put(f"/v1/carts/{cart['id']}/lines", json={"sku": sku, "quantity": 4}).json()
        assert cart["coupons"][0]["applied"] is True and cart["hints"] == []


def test_full_custody_is_never_discounted_below_its_supply_price(server: LiveServer, market: Market) -> None:
    seller = market.seller("s")
    market.user("ops", Role.OPERATOR)
    sku = market.product(seller, price_cents=10_000, stock=5, mode=SellingMode.FULL_CUSTODY)  # supply $60
    promo(market, K.PRODUCT_DISCOUNT, name="Mega", percent_off_bps=7000)  # would be $30
    seller_sale = promo(market, K.PRODUCT_DISCOUNT, name="Own", funder=Funder.SELLER, seller_id=seller,
                        percent_off_bps=5000)  # fmt: skip
    with server.client(market.user("di", Role.SHOPPER)) as c:
        cart = cart_with(c, (sku, 1))
        line = cart["lines"][0]
        assert line["line_discount_cents"] == 4000  # capped: $100 -> $60, the supply price
        assert seller_sale not in {d["promotion_id"] for d in line["discounts"]}  # sellers do not price custody goods


def test_a_declined_card_gives_the_budget_and_the_use_back(server: LiveServer, market: Market) -> None:
    seller = market.seller("s")
    market.user("ops", Role.OPERATOR)
    sku = market.product(seller, price_cents=4000, stock=5)
    pid = promo(market, K.COUPON, code="ONE", amount_off_cents=1000, budget_cents=1000, per_shopper_limit=1)
    with server.client(market.user("fay", Role.SHOPPER)) as c:
        cart = cart_with(c, (sku, 1))
        c.post(f"/v1/carts/{cart['id']}/coupons", json={"code": "ONE"})
        r = checkout(c, cart["id"], payment_method="tok_chargeDeclined")
        assert r.status_code == 402, r.text
        with market.db.transaction() as s:
            p = s.get(Promotion, pid)
            assert p is not None and (p.budget_used_cents, p.redemptions) == (0, 0)
            assert s.scalars(select(PromotionShopper.uses)).all() == [0]
            assert s.scalars(select(Redemption.status)).all() == [RedemptionStatus.RELEASED]
        r = checkout(c, cart["id"])
        assert r.status_code == 201, r.text
        assert r.json()["discounts"][0]["amount_cents"] == 1000


def _race(server: LiveServer, tokens: list[str], body: dict[str, Any], threads: int) -> list[httpx.Response]:
    def attempt(token: str) -> httpx.Response:
        with server.client(token) as c:
            return c.post("/v1/checkout", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(attempt, tokens))


def test_a_budget_is_spent_exactly_under_concurrency(server: LiveServer, market: Market, backend: str) -> None:
    """Each checkout takes $5 of a $50 budget: 10 get it, the rest are told it ran out; never $55."""
    clients, threads = (40, 16) if backend == "postgres" else (16, 8)
    seller = market.seller("s")
    market.user("ops", Role.OPERATOR)
    sku = market.product(seller, price_cents=2500, stock=100)
    pid = promo(market, K.COUPON, code="RUSH", amount_off_cents=500, budget_cents=5000)
    tokens = [market.user(f"b{i}", Role.SHOPPER) for i in range(clients)]
    body = {"items": [{"sku": sku, "quantity": 1}], "shipping_address": NJ, "payment_method": "tok_visa",
            "coupon_codes": ["RUSH"]}  # fmt: skip
    responses = _race(server, tokens, body, threads)
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 10, [r.text for r in responses if r.status_code not in (201, 409)]
    assert {r.json()["code"] for r in responses if r.status_code == 409} <= {"promotion_unavailable", "coupon_used_up"}
    assert codes.count(409) == clients - 10
    with market.db.transaction() as s:
        p = s.get(Promotion, pid)
        assert p is not None and (p.budget_used_cents, p.redemptions) == (5000, 10)
        assert s.scalar(select(func.sum(Redemption.discount_cents))) == 5000
        assert s.scalar(select(func.count(Order.id))) == 10
    assert market.stock(sku) == (100, 10)  # refused checkouts left no hold behind


def test_one_shopper_racing_a_once_only_coupon_gets_it_once(server: LiveServer, market: Market, backend: str) -> None:
    seller = market.seller("s")
    market.user("ops", Role.OPERATOR)
    sku = market.product(seller, price_cents=2500, stock=100)
    promo(market, K.COUPON, code="SOLO", amount_off_cents=500, per_shopper_limit=1)
    token = market.user("greedy", Role.SHOPPER)
    body = {"items": [{"sku": sku, "quantity": 1}], "shipping_address": NJ, "payment_method": "tok_visa",
            "coupon_codes": ["SOLO"]}  # fmt: skip
    n = 12 if backend == "postgres" else 6
    responses = _race(server, [token] * n, body, n)
    assert sorted(r.status_code for r in responses) == [201] + [409] * (n - 1), [r.text for r in responses]
    with market.db.transaction() as s:
        assert s.scalars(select(PromotionShopper.uses)).all() == [1]
        assert s.scalar(select(func.count(Order.id))) == 1
