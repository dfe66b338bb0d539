"""Promotions in the demo market: the platform's welcome coupon (claimable, first orders), two sellers'
coupons with codes and a minimum spend, a bundle, a seller's free shipping over $25 co-funded by the
platform, a platform 10%-off sale of the busiest department with a 10% hold-out, and a flash deal on
air at the demo's "now".

Past orders placed inside the promotions' windows got their discounts the way checkout gives them: the
real pricing engine decides what applies (the category sale to shoppers not held out, the bundle
where the order qualifies, a coupon for some shoppers who had its code or claimed it), checkout's
pricing re-prices the order (tax on the discounted goods), and the order's lines, totals and payment,
its ``order_discounts`` rows and one redemption per promotion (USED when paid, RELEASED when the payment
was declined) are written as checkout would have, with the promotions' counters to match. The ledger
backfill that runs next books their funding. The standard shipping rule (free from $35) already covers
orders over $35, so the free-shipping promotion (from $25) starts at the demo's "now": past orders keep
the standard fee, as the demo's own invariants expect. Orders partially returned or cancelled after
payment keep their prices (what was refunded for them is not recorded line by line).

Runs after the market is written, before attribution and the ledger backfill; deterministic per seed,
times laid out from the reference instant. A few hundred orders are re-priced in one transaction.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from yellowcart.auth.models import Role, User
from yellowcart.catalog.models import Category, Product, ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.checkout.models import Payment
from yellowcart.checkout.pricing import LineInput, ShippingPolicy, quote_seller
from yellowcart.db import Database
from yellowcart.demo.plan import rng_for
from yellowcart.errors import DomainError
from yellowcart.inventory.models import Stock
from yellowcart.orders.models import Order, OrderLine
from yellowcart.orders.state import SHIPPED, OrderStatus
from yellowcart.promotions import engine, flash, holdout, offers
from yellowcart.promotions.models import (
    CouponClaim,
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
from yellowcart.sellers.models import Seller, SellerStatus

K = PromotionKind
SHIPPING = ShippingPolicy(flat_fee_cents=599, free_threshold_cents=3500)  # as demo.generate's
DAY, HOUR = dt.timedelta(days=1), dt.timedelta(hours=1)
CODE_SHARE = 0.35  # orders of a coupon's seller whose shopper had its code
WELCOME_SHARE = 0.35  # first orders whose shopper had claimed the welcome coupon
FLASH_CAP = 40
CHUNK = 900  # ids per IN (...)
MONEY = ("amount_cents", "captured_cents", "refunded_cents")  # a payment's columns a discount moves


@dataclass(frozen=True)
class PromotionSummary:
    promotions: int
    discounted_orders: int
    discount_cents: int
    flash_deal_id: int | None


def add_promotions(db: Database, *, seed: int, reference: dt.datetime) -> PromotionSummary:
    """Create the demo's promotions and give the past orders in their windows their discounts."""
    rng = rng_for(seed, "promotions")
    with db.transaction() as session:
        ops = session.scalar(select(User.id).where(User.role == Role.OPERATOR).order_by(User.id))
        sellers = _busiest_sellers(session, reference)
        if ops is None or len(sellers) < 2:
            return PromotionSummary(0, 0, 0, None)
        made = _create(session, ops, sellers, reference)
        orders, cents = _discount_past_orders(session, rng, made, reference)
        deal_id = _flash_deal(session, ops, sellers[0], reference)
        count = int(session.scalar(select(func.count()).select_from(Promotion)) or 0)
        return PromotionSummary(count, orders, cents, deal_id)


# ---- the promotions --------------------------------------------------------------------------------


def _busiest_sellers(session: Session, reference: dt.datetime) -> list[int]:
    """Active sellers by orders of their seller-fulfilled listings in the last sixty days (their own
    promotions apply to those), the demo seller (#1) first when it sells that way."""
    rows = session.execute(
        select(Order.seller_id, func.count(func.distinct(Order.id)))
        .join(Seller, Seller.id == Order.seller_id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(
            Seller.status == SellerStatus.ACTIVE,
            Order.placed_at >= reference - 60 * DAY,
            OrderLine.selling_mode == SellingMode.SELLER_FULFILLED,
        )
        .group_by(Order.seller_id)
    ).all()
    counts = {int(sid): int(n) for sid, n in rows}
    ranked = [sid for sid, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    top = ranked[:3] if 1 in ranked[:3] or 1 not in ranked else [1, *ranked[:2]]
    return sorted(top, key=lambda sid: (sid != 1, ranked.index(sid)))


def _department(session: Session) -> Category | None:
    """The top-level category with the most active listings (the one most orders fall in)."""
    by_department: Counter[str] = Counter()
    for path, n in session.execute(
        select(Category.path, func.count(Product.id))
        .join(Product, Product.category_id == Category.id)
        .where(Product.status == ProductStatus.ACTIVE)
        .group_by(Category.path)
    ):
        by_department[path.split("/", 1)[0] + "/"] += int(n)
    if not by_department:
        return None
    top = sorted(by_department.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    return session.scalar(select(Category).where(Category.path == top))


def _code_of(session: Session, seller_id: int, suffix: str) -> str:
    name = session.scalar(select(Seller.name).where(Seller.id == seller_id)) or f"SHOP{seller_id}"
    letters = re.sub(r"[^A-Z0-9]", "", name.upper())[:10] or f"SHOP{seller_id}"
    return f"{letters}{suffix}"


def _promotion(session: Session, ops: int, reference: dt.datetime, **values: Any) -> Promotion:
    share = values.pop("seller_share_bps", 0)
    funder = Funder.PLATFORM if share == 0 else Funder.SELLER if share == 10_000 else Funder.SPLIT
    starts, ends = values.pop("window")
    p = Promotion(
        status=PromotionStatus.ACTIVE, created_by=ops, funder=funder, seller_share_bps=share,
        starts_at=reference + starts, ends_at=reference + ends, created_at=reference + starts - 2 * DAY,
        updated_at=reference + starts - 2 * DAY, **values,
    )  # fmt: skip
    session.add(p)
    session.flush()
    return p


def _create(session: Session, ops: int, sellers: Sequence[int], reference: dt.datetime) -> list[Promotion]:
    first, second = sellers[0], sellers[1]
    welcome = _promotion(session, ops, reference, kind=K.COUPON, name="Welcome $5", amount_off_cents=500,
                         min_spend_cents=2000, claimable=True, new_customer_only=True, per_shopper_limit=1,
                         budget_cents=2_000_000, window=(-60 * DAY, 60 * DAY))  # fmt: skip
    own = _promotion(session, ops, reference, kind=K.COUPON, name="10% off $30", seller_id=first,
                     seller_share_bps=10_000, percent_off_bps=1000, min_spend_cents=3000, per_shopper_limit=2,
                     window=(-45 * DAY, 30 * DAY))  # fmt: skip
    other = _promotion(session, ops, reference, kind=K.COUPON, name="$5 off $40", seller_id=second,
                       seller_share_bps=10_000, amount_off_cents=500, min_spend_cents=4000, per_shopper_limit=3,
                       window=(-30 * DAY, 45 * DAY))  # fmt: skip
    session.add_all([
        CouponCode(promotion_id=own.id, code=_code_of(session, first, "10"), created_at=own.created_at),
        CouponCode(promotion_id=other.id, code=_code_of(session, second, "5"), created_at=other.created_at),
    ])  # fmt: skip
    bundle = _promotion(session, ops, reference, kind=K.BUNDLE, name="Buy 2, save 10%", seller_id=sellers[-1],
                        seller_share_bps=5000, percent_off_bps=1000, min_quantity=2,
                        window=(-40 * DAY, 20 * DAY))  # fmt: skip
    _promotion(session, ops, reference, kind=K.FREE_SHIPPING, name="Free shipping over $25", seller_id=first,
               seller_share_bps=5000, min_spend_cents=2500, window=(0 * DAY, 30 * DAY))  # fmt: skip
    made = [welcome, own, other, bundle]
    department = _department(session)
    if department is not None:
        sale = _promotion(session, ops, reference, kind=K.PRODUCT_DISCOUNT, name=f"{department.name} week",
                          percent_off_bps=1000, category_id=department.id, holdout_bps=1000,
                          window=(-21 * DAY, 9 * DAY))  # fmt: skip
        made.append(sale)
    return made


def _flash_deal(session: Session, ops: int, seller_id: int, reference: dt.datetime) -> int | None:
    """20% off the seller's best-stocked listing for three hours from a quarter of an hour ago, its
    units set aside now (``promotions.flash``: the same machinery as live deals)."""
    stocked = session.execute(
        select(Variant.id, func.sum(Stock.on_hand - Stock.reserved).label("free"))
        .join(Product, Product.id == Variant.product_id)
        .join(Stock, Stock.variant_id == Variant.id)
        .where(
            Product.seller_id == seller_id,
            Product.status == ProductStatus.ACTIVE,
            Product.selling_mode == SellingMode.SELLER_FULFILLED,
            Variant.is_active.is_(True),
            Variant.price_cents >= 1000,
        )
        .group_by(Variant.id)
        .order_by(func.sum(Stock.on_hand - Stock.reserved).desc(), Variant.id)
        .limit(1)
    ).first()
    if stocked is None or int(stocked[1] or 0) < 2:
        return None
    variant_id, free = int(stocked[0]), int(stocked[1])
    p = _promotion(session, ops, reference, kind=K.FLASH_DEAL, name="Flash deal: 20% off", seller_id=seller_id,
                   seller_share_bps=5000, percent_off_bps=2000, variant_ids=[variant_id],
                   quantity_cap=min(FLASH_CAP, free // 2), per_shopper_limit=2,
                   window=(-dt.timedelta(minutes=15), dt.timedelta(hours=3)))  # fmt: skip
    try:
        with session.begin_nested():
            deal = flash.open_deal(session, p, now=reference)
    except DomainError:  # the listing cannot carry it after all: leave the promotion a draft
        p.status = PromotionStatus.DRAFT
        return None
    return deal.id


# ---- past orders -----------------------------------------------------------------------------------
# Read and written as plain rows (Core): a few thousand orders, not worth an ORM identity each.


@dataclass(frozen=True, slots=True)
class _Order:
    id: int
    shopper_id: int
    seller_id: int
    payment_id: int | None  # every demo order has one
    status: OrderStatus
    tax_rate: str
    total_cents: int
    placed_at: dt.datetime
    paid_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    cancel_reason: str | None


@dataclass
class _Book:
    """What the re-pricing changed, written in bulk at the end."""

    orders: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    payments: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    discounts: list[dict[str, Any]] = field(default_factory=list)
    redemptions: list[dict[str, Any]] = field(default_factory=list)
    uses: Counter[tuple[int, int]] = field(default_factory=Counter)  # (promotion, shopper) -> paid uses


def _discount_past_orders(
    session: Session, rng: random.Random, made: Sequence[Promotion], reference: dt.datetime
) -> tuple[int, int]:
    earliest = min(p.starts_at for p in made)
    window = (Order.placed_at >= earliest, Order.placed_at < reference)
    first_paid = dict(
        session.execute(select(Order.shopper_id, func.min(Order.paid_at)).group_by(Order.shopper_id)).all()
    )
    orders = [
        _Order(*row)
        for row in session.execute(
            select(Order.id, Order.shopper_id, Order.seller_id, Order.payment_id, Order.status, Order.tax_rate,
                   Order.total_cents, Order.placed_at, Order.paid_at, Order.cancelled_at, Order.cancel_reason)
            .where(*window)
            .order_by(Order.placed_at, Order.id)
        )
    ]  # fmt: skip
    lines = _lines(session, window)
    offers_of = _Offers(made, offers.category_paths(session, made))
    book = _Book()
    for order in orders:
        if _repriceable(order):
            chosen = offers_of.for_order(rng, order, first_paid, book.uses)
            if chosen:
                _reprice(order, lines[order.id], chosen, book)
    _write(session, book, made)
    return len(book.orders), sum(d["amount_cents"] for d in book.discounts)


def _lines(session: Session, window: tuple[ColumnElement[bool], ...]) -> dict[int, list[tuple[int, LineInput]]]:
    """order -> [(line id, the line as checkout priced it)], with each listing's product and category."""
    rows = session.execute(
        select(OrderLine.order_id, OrderLine.id, OrderLine.variant_id, OrderLine.sku, OrderLine.title, Order.seller_id,
               OrderLine.selling_mode, OrderLine.quantity, OrderLine.unit_price_cents, OrderLine.supply_price_cents,
               Variant.product_id, Category.path)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Variant, Variant.id == OrderLine.variant_id)
        .join(Product, Product.id == Variant.product_id)
        .join(Category, Category.id == Product.category_id)
        .where(*window)
        .order_by(OrderLine.id)
    )  # fmt: skip
    out: dict[int, list[tuple[int, LineInput]]] = defaultdict(list)
    for oid, lid, vid, sku, title, sid, mode, qty, unit, supply, pid, path in rows:
        out[oid].append((lid, LineInput(vid, sku, title, sid, mode.value, qty, unit, supply, product_id=pid,
                                        category_path=path)))  # fmt: skip
    return out


def _repriceable(order: _Order) -> bool:
    """Paid orders still standing (or fully returned), and declined ones (their redemption released)."""
    if order.status is OrderStatus.PARTIALLY_RETURNED:
        return False
    if order.status is OrderStatus.CANCELLED:
        return order.paid_at is None and order.cancel_reason == "payment_declined"
    return order.paid_at is not None


class _Offers:
    """Which promotions an order's shopper would have been offered, as engine offers (built once each)."""

    def __init__(self, made: Sequence[Promotion], paths: dict[int, str]) -> None:
        self.made = made
        paths_of = {p.id: paths.get(p.category_id or 0) for p in made}
        self.built = {p.id: offers.to_offer(p, category_path=paths_of[p.id]) for p in made}

    def for_order(
        self,
        rng: random.Random,
        order: _Order,
        first_paid: dict[int, dt.datetime | None],
        uses: Counter[tuple[int, int]],
    ) -> list[engine.Offer]:
        chosen = []
        for p in self.made:
            if not p.starts_at <= order.placed_at < p.ends_at or p.seller_id not in (None, order.seller_id):
                continue
            if p.per_shopper_limit is not None and uses[(p.id, order.shopper_id)] >= p.per_shopper_limit:
                continue
            if p.kind is K.COUPON and p.new_customer_only:  # claimed by some, on their first paid order
                if first_paid.get(order.shopper_id) != order.paid_at or rng.random() >= WELCOME_SHARE:
                    continue
            elif p.kind is K.COUPON and rng.random() >= CODE_SHARE:  # the seller's code: some shoppers had it
                continue
            if holdout.held_out(p.id, order.shopper_id, p.holdout_bps):
                continue
            chosen.append(self.built[p.id])
        return chosen


def _reprice(order: _Order, lines: list[tuple[int, LineInput]], chosen: list[engine.Offer], book: _Book) -> None:
    inputs = [ln for _, ln in lines]
    discounts = engine.apply([ln.for_engine() for ln in inputs], chosen, fee_for=SHIPPING.fee_for)
    if not discounts.adjustments:
        return
    priced = quote_seller(order.seller_id, inputs, Decimal(order.tax_rate), SHIPPING, discounts)
    book.orders.append({"id": order.id, "discount_cents": priced.discount_cents, "tax_cents": priced.tax_cents,
                        "shipping_cents": priced.shipping_cents, "total_cents": priced.total_cents})  # fmt: skip
    line_of = {ln.variant_id: lid for lid, ln in lines}
    for pl in priced.lines:
        book.lines.append({"id": line_of[pl.line.variant_id], "line_discount_cents": pl.discount_cents,
                           "line_tax_cents": pl.tax_cents, "line_shipping_cents": pl.shipping_cents})  # fmt: skip
    delta, money = order.total_cents - priced.total_cents, book.payments[order.payment_id or 0]
    money["amount_cents"] += delta
    if order.status in SHIPPED:
        money["captured_cents"] += delta
    if order.status is OrderStatus.RETURNED:
        money["refunded_cents"] += delta
    _record(order, discounts, line_of, {ln.variant_id: ln.quantity for ln in inputs}, book)


def _record(
    order: _Order, discounts: engine.Discounts, line_of: dict[int, int], units: dict[int, int], book: _Book
) -> None:
    paid = order.paid_at is not None
    for a in discounts.adjustments:
        book.discounts.append({
            "order_id": order.id, "order_line_id": None if a.line_key is None else line_of[a.line_key],
            "promotion_id": a.promotion_id, "kind": a.kind, "amount_cents": a.amount_cents,
            "seller_funded_cents": a.seller_funded_cents, "platform_funded_cents": a.platform_funded_cents,
            "label": a.label,
        })  # fmt: skip
    for pid, (amount, seller, platform) in sorted(discounts.by_promotion().items()):
        keys = {a.line_key for a in discounts.adjustments if a.promotion_id == pid and a.line_key is not None}
        book.redemptions.append({
            "promotion_id": pid, "shopper_id": order.shopper_id, "payment_id": order.payment_id,
            "order_id": order.id, "code": None, "discount_cents": amount, "seller_funded_cents": seller,
            "platform_funded_cents": platform, "units": sum(units[k] for k in keys),
            "status": RedemptionStatus.USED if paid else RedemptionStatus.RELEASED, "created_at": order.placed_at,
            "settled_at": order.paid_at if paid else order.cancelled_at,
        })  # fmt: skip
        if paid:
            book.uses[(pid, order.shopper_id)] += 1


def _write(session: Session, book: _Book, made: Sequence[Promotion]) -> None:
    """The re-priced rows, the discounts, redemptions, claims and counters, in bulk."""
    if not book.orders:
        return
    session.execute(update(Order), book.orders)
    session.execute(update(OrderLine), book.lines)
    ids, now = sorted(book.payments), {}
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(Payment.id, Payment.amount_cents, Payment.captured_cents, Payment.refunded_cents).where(
                Payment.id.in_(ids[start : start + CHUNK])
            )
        )
        now.update({pid: (amount, captured, refunded) for pid, amount, captured, refunded in rows})
    changes = [
        {"id": pid, **{k: v - m[k] for k, v in zip(MONEY, now[pid], strict=True)}}
        for pid, m in sorted(book.payments.items())
    ]
    session.execute(update(Payment), changes)
    codes = dict(session.execute(select(CouponCode.promotion_id, CouponCode.code)).all())
    for r in book.redemptions:
        r["code"] = codes.get(r["promotion_id"])
    session.execute(insert(OrderDiscount), book.discounts)
    session.execute(insert(Redemption), book.redemptions)
    _counters(session, book, made)


def _counters(session: Session, book: _Book, made: Sequence[Promotion]) -> None:
    """Each promotion's redemptions and budget used, its shoppers' uses, the welcome coupon's claims."""
    live: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in book.redemptions:
        if r["status"] is not RedemptionStatus.RELEASED:
            live[r["promotion_id"]].append(r)
    claims = []
    for p in made:
        p.redemptions = len(live[p.id])
        p.budget_used_cents = sum(r["discount_cents"] for r in live[p.id])
        if p.claimable:  # those who used it had claimed it first
            claims += [{"promotion_id": p.id, "shopper_id": r["shopper_id"], "claimed_at": r["created_at"] - 2 * HOUR}
                       for r in live[p.id]]  # fmt: skip
    if claims:
        session.execute(insert(CouponClaim), claims)
    caps = {p.id: p.per_shopper_limit for p in made}
    shoppers = [{"promotion_id": pid, "shopper_id": sid, "uses": n, "cap": caps[pid]}
                for (pid, sid), n in sorted(book.uses.items())]  # fmt: skip
    if shoppers:
        session.execute(insert(PromotionShopper), shoppers)
    session.flush()
