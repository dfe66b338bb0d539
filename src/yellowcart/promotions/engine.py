"""The pricing engine: which promotions apply to a checkout's lines, in what order, and who pays.

Pure (no I/O); ``checkout.pricing`` turns its result into taxed order totals. The order and the
stacking rules (docs/api.md, "Promotions"):

1. **Price discounts** (``product_discount``): the best one per line; they never combine with each other.
2. **Bundles**: per seller order, when the order holds ``min_quantity`` units of the bundle's scope, its
   discount comes off those lines (after step 1). One bundle per line: the bundle worth most goes first.
3. **Coupons**: one seller coupon per seller order (a coupon of that seller's, whoever funds it), then
   one platform coupon per checkout; each comes off its eligible lines' amounts after steps 1-2 and
   needs ``min_spend_cents`` of them. An ``exclusive`` coupon combines with nothing: it only takes
   lines with no discount yet, and the lines it takes take no other coupon after it. Where several
   coupons could fill a slot, the one worth most is used.
4. **Free shipping**: a seller order's fee (``shipping_fee``: computed on its discounted goods, but
   never more than on its goods before promotions, so a discount never costs the shopper the free
   shipping they had) is waived by a free-shipping promotion whose threshold the discounted goods in
   its scope (deal lines in scope count) reach.

Everywhere: a line taken by a deal (live or flash) takes no other promotion; a discount funded by a
seller only applies to that seller's seller-fulfilled lines (the platform sets full-custody prices);
a line's goods never go below zero, and a full-custody line never below its supply price (the seller
is owed that whatever the shopper pays, so the platform never funds a loss below it); a promotion's
discounts in one checkout never pass its budget left (a promotion that does not fit is skipped
whole on that line or order, never shaved); amounts are cents, percentages round half-up per line.
Funding: each promotion's seller-funded cents over the checkout are its share of its discount rounded
half-up once, and each adjustment carries the running difference (within a cent of its own share), so
per-line rounding never drifts toward either side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from yellowcart.money import allocate, percent_of
from yellowcart.promotions.models import DiscountKind, PromotionKind

BPS = Decimal(10_000)
K = PromotionKind


@dataclass(frozen=True, slots=True)
class Offer:
    """A promotion as the engine sees it: the service has already checked its status, window, limits,
    hold-out, claims and codes for this shopper."""

    promotion_id: int
    kind: PromotionKind
    label: str  # "coupon SPRING", "15% off", "bundle: 2+ get 10% off", "free shipping over $35.00"
    seller_id: int | None  # whose listings; None: any seller's (platform promotions)
    seller_share_bps: int  # the seller's share of the discount (0: platform-funded)
    percent_off_bps: int | None = None
    amount_off_cents: int | None = None  # per unit (price discounts), else per order
    product_ids: frozenset[int] | None = None
    variant_ids: frozenset[int] | None = None
    category_path: str | None = None  # a line matches its category and everything below
    min_spend_cents: int = 0
    min_quantity: int = 1
    exclusive: bool = False
    budget_left_cents: int | None = None  # None: no budget
    code: str | None = None  # the code that brought the coupon in, if any


@dataclass(frozen=True, slots=True)
class Line:
    key: int  # the variant id (one line per variant in a checkout)
    product_id: int
    seller_id: int
    category_path: str
    selling_mode: str  # seller_fulfilled, full_custody or platform_owned
    quantity: int
    unit_price_cents: int  # the price charged before promotions (a deal line: the deal price)
    supply_price_cents: int | None = None  # full custody
    deal: bool = False  # priced by a deal: no other promotion

    @property
    def subtotal_cents(self) -> int:
        return self.unit_price_cents * self.quantity

    @property
    def floor_cents(self) -> int:
        """What the line's goods may not go below."""
        if self.selling_mode == "full_custody" and self.supply_price_cents is not None:
            return min(self.subtotal_cents, self.supply_price_cents * self.quantity)
        return 0


@dataclass(frozen=True, slots=True)
class Adjustment:
    """``amount_cents`` off a line's goods (``line_key``) or off a seller order's shipping."""

    promotion_id: int
    kind: DiscountKind
    seller_id: int
    line_key: int | None
    amount_cents: int
    seller_funded_cents: int
    platform_funded_cents: int
    label: str


@dataclass(frozen=True, slots=True)
class Skipped:
    """An offer that did not apply, and why: ``min_spend`` (``short_cents`` more would do),
    ``min_quantity`` (a bundle short of units), ``budget`` (not enough left), ``no_eligible_lines``,
    ``outbid`` (another filled its slot)."""

    promotion_id: int
    label: str
    reason: str
    short_cents: int = 0


@dataclass(frozen=True, slots=True)
class Discounts:
    adjustments: tuple[Adjustment, ...] = ()
    skipped: tuple[Skipped, ...] = ()

    def line_discount(self, key: int) -> int:
        return sum(a.amount_cents for a in self.adjustments if a.line_key == key and a.kind is DiscountKind.GOODS)

    def shipping_waived(self, seller_id: int) -> int:
        return sum(
            a.amount_cents for a in self.adjustments if a.seller_id == seller_id and a.kind is DiscountKind.SHIPPING
        )

    def applied(self) -> set[int]:
        return {a.promotion_id for a in self.adjustments}

    def by_promotion(self) -> dict[int, tuple[int, int, int]]:
        """promotion id -> (amount, seller-funded, platform-funded) over the checkout."""
        out: dict[int, tuple[int, int, int]] = {}
        for a in self.adjustments:
            amount, seller, platform = out.get(a.promotion_id, (0, 0, 0))
            out[a.promotion_id] = (
                amount + a.amount_cents,
                seller + a.seller_funded_cents,
                platform + a.platform_funded_cents,
            )
        return out


NONE = Discounts()


def split(amount: int, seller_share_bps: int) -> tuple[int, int]:
    """(seller-funded, platform-funded) shares of ``amount``; the seller's rounds half-up."""
    seller = percent_of(amount, Decimal(seller_share_bps) / BPS)
    return seller, amount - seller


def shipping_fee(fee_for: Callable[[int], int], goods_cents: int, discounted_cents: int) -> int:
    """A seller order's shipping fee: ``fee_for`` its discounted goods, but never more than ``fee_for``
    its goods before promotions (a discount that takes an order under the free-shipping threshold
    must not make the shopper pay more than without it)."""
    return min(fee_for(discounted_cents), fee_for(goods_cents))


def matches(offer: Offer, line: Line) -> bool:
    """Whether the offer may touch the line at all (deals, seller, funding, scope)."""
    if line.deal:
        return False
    if offer.seller_share_bps > 0 and line.selling_mode != "seller_fulfilled":
        return False
    return in_scope(offer, line)


def in_scope(offer: Offer, line: Line) -> bool:
    """Whether the line is among the offer's listings (its seller's, its variants, products, category)."""
    if offer.seller_id is not None and offer.seller_id != line.seller_id:
        return False
    scoped = offer.product_ids is not None or offer.variant_ids is not None or offer.category_path is not None
    if not scoped:
        return True
    return (
        (offer.variant_ids is not None and line.key in offer.variant_ids)
        or (offer.product_ids is not None and line.product_id in offer.product_ids)
        or (offer.category_path is not None and line.category_path.startswith(offer.category_path))
    )


@dataclass
class _State:
    lines: dict[int, Line]
    net: dict[int, int]  # goods left per line
    touched: set[int] = field(default_factory=set)  # lines with a discount already
    bundled: set[int] = field(default_factory=set)
    sealed: set[int] = field(default_factory=set)  # lines an exclusive coupon took: nothing more
    budget: dict[int, int | None] = field(default_factory=dict)
    funded: dict[int, tuple[int, int]] = field(default_factory=dict)  # promotion -> (amount, seller-funded)
    adjustments: list[Adjustment] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def room(self, key: int) -> int:
        return self.net[key] - self.lines[key].floor_cents

    def fits(self, offer: Offer, amount: int) -> bool:
        left = self.budget.get(offer.promotion_id, offer.budget_left_cents)
        return left is None or amount <= left

    def take(self, offer: Offer, shares: dict[int, int]) -> None:
        """Book an offer's goods discount over lines (shares already within each line's room)."""
        for key, amount in shares.items():
            if amount > 0:
                self.net[key] -= amount
                self.touched.add(key)
                if offer.exclusive and offer.kind is K.COUPON:
                    self.sealed.add(key)
                self.book(offer, DiscountKind.GOODS, self.lines[key].seller_id, key, amount)

    def book(self, offer: Offer, kind: DiscountKind, seller_id: int, key: int | None, amount: int) -> None:
        """Record one adjustment: spend the budget, and fund it so that the promotion's seller-funded
        total stays its share of the promotion's total rounded half-up (the running difference)."""
        left = self.budget.get(offer.promotion_id, offer.budget_left_cents)
        if left is not None:
            self.budget[offer.promotion_id] = left - amount
        total, seller_total = self.funded.get(offer.promotion_id, (0, 0))
        seller = split(total + amount, offer.seller_share_bps)[0] - seller_total
        self.funded[offer.promotion_id] = (total + amount, seller_total + seller)
        self.adjustments.append(
            Adjustment(offer.promotion_id, kind, seller_id, key, amount, seller, amount - seller, offer.label)
        )

    def skip(self, offer: Offer, reason: str, short: int = 0) -> None:
        self.skipped.append(Skipped(offer.promotion_id, offer.label, reason, short))


def _off(offer: Offer, base: int, units: int, *, per_unit: bool) -> int:
    """The offer's discount on ``base`` cents (``units`` units), before caps."""
    if offer.percent_off_bps is not None:
        return percent_of(base, Decimal(offer.percent_off_bps) / BPS)
    amount = offer.amount_off_cents or 0
    return min(base, amount * units if per_unit else amount)


def _spread(state: _State, keys: Sequence[int], amount: int) -> dict[int, int]:
    """``amount`` over lines in proportion to their goods left, each capped at its room."""
    parts = allocate(amount, [state.net[k] for k in keys])
    return {k: min(p, state.room(k)) for k, p in zip(keys, parts, strict=True)}


def _price_discounts(state: _State, offers: Sequence[Offer]) -> None:
    for key, line in state.lines.items():
        best: tuple[int, int, Offer] | None = None
        for offer in offers:
            if not matches(offer, line):
                continue
            amount = min(_off(offer, line.subtotal_cents, line.quantity, per_unit=True), state.room(key))
            if amount > 0 and state.fits(offer, amount) and (best is None or (amount, -offer.promotion_id) > best[:2]):
                best = (amount, -offer.promotion_id, offer)
        if best is not None:
            state.take(best[2], {key: best[0]})


def _bundles(state: _State, offers: Sequence[Offer]) -> None:
    sellers = sorted({ln.seller_id for ln in state.lines.values()})
    for seller in sellers:
        candidates: list[tuple[int, int, Offer, dict[int, int]]] = []
        for offer in offers:
            keys = [k for k, ln in state.lines.items() if ln.seller_id == seller and matches(offer, ln)]
            units = sum(state.lines[k].quantity for k in keys)
            if not keys:
                continue
            if units < offer.min_quantity:
                state.skip(offer, "min_quantity", 0)
                continue
            amount = _off(offer, sum(state.net[k] for k in keys), units, per_unit=False)
            shares = _spread(state, keys, amount)
            candidates.append((sum(shares.values()), -offer.promotion_id, offer, shares))
        for _, _, offer, _shares in sorted(candidates, key=lambda c: (c[0], c[1]), reverse=True):
            keys = [k for k in _shares if k not in state.bundled]
            if len(keys) < len(_shares):  # a line went to a better bundle: recount what is left
                units = sum(state.lines[k].quantity for k in keys)
                if units < offer.min_quantity:
                    state.skip(offer, "outbid")
                    continue
            amount = _off(
                offer, sum(state.net[k] for k in keys), sum(state.lines[k].quantity for k in keys), per_unit=False
            )
            shares = _spread(state, keys, amount)
            if sum(shares.values()) <= 0:
                continue
            if not state.fits(offer, sum(shares.values())):
                state.skip(offer, "budget")
                continue
            state.take(offer, shares)
            state.bundled.update(keys)


def _best_coupon(state: _State, offers: Iterable[Offer], keys_of: Callable[[Offer], list[int]]) -> None:
    """Fill one coupon slot with the coupon worth most; the others are skipped with their reason."""
    scored: list[tuple[int, int, Offer, dict[int, int]]] = []
    for offer in offers:
        keys = [k for k in keys_of(offer) if k not in state.sealed and not (offer.exclusive and k in state.touched)]
        if not keys:
            state.skip(offer, "no_eligible_lines")
            continue
        base = sum(state.net[k] for k in keys)
        if base < offer.min_spend_cents:
            state.skip(offer, "min_spend", offer.min_spend_cents - base)
            continue
        shares = _spread(state, keys, _off(offer, base, 0, per_unit=False))
        amount = sum(shares.values())
        if amount <= 0:
            state.skip(offer, "no_eligible_lines")
        elif not state.fits(offer, amount):
            state.skip(offer, "budget")
        else:
            scored.append((amount, -offer.promotion_id, offer, shares))
    scored.sort(key=lambda c: (c[0], c[1]), reverse=True)
    for i, (_, _, offer, shares) in enumerate(scored):
        if i == 0:
            state.take(offer, shares)
        else:
            state.skip(offer, "outbid")


def _coupons(state: _State, offers: Sequence[Offer]) -> None:
    def eligible(offer: Offer, seller: int | None = None) -> list[int]:
        return [k for k, ln in state.lines.items() if (seller is None or ln.seller_id == seller) and matches(offer, ln)]

    for seller in sorted({ln.seller_id for ln in state.lines.values()}):
        mine = [o for o in offers if o.seller_id == seller]
        if mine:
            _best_coupon(state, mine, lambda o, s=seller: eligible(o, s))  # type: ignore[misc]
    platform = [o for o in offers if o.seller_id is None]
    if platform:
        _best_coupon(state, platform, eligible)


def _free_shipping(state: _State, offers: Sequence[Offer], fee_for: Callable[[int], int]) -> None:
    for seller in sorted({ln.seller_id for ln in state.lines.values()}):
        keys = [k for k, ln in state.lines.items() if ln.seller_id == seller]
        goods = sum(state.lines[k].subtotal_cents for k in keys)
        fee = shipping_fee(fee_for, goods, sum(state.net[k] for k in keys))
        if fee <= 0:
            continue
        best: Offer | None = None
        for offer in sorted(offers, key=lambda o: (o.seller_share_bps, o.promotion_id)):
            if offer.seller_id is not None and offer.seller_id != seller:
                continue
            if offer.seller_share_bps > 0 and any(state.lines[k].selling_mode != "seller_fulfilled" for k in keys):
                continue  # a seller pays shipping only on orders it ships itself
            scoped = [k for k in keys if in_scope(offer, state.lines[k])]
            base = sum(state.net[k] for k in scoped)
            if not scoped:
                continue
            if base < offer.min_spend_cents:
                state.skip(offer, "min_spend", offer.min_spend_cents - base)
                continue
            if not state.fits(offer, fee):
                state.skip(offer, "budget")
                continue
            best = offer
            break
        if best is not None:
            state.book(best, DiscountKind.SHIPPING, seller, None, fee)


def apply(lines: Sequence[Line], offers: Sequence[Offer], *, fee_for: Callable[[int], int]) -> Discounts:
    """The discounts ``offers`` give ``lines`` (one line per variant), with ``fee_for(goods)`` the
    shipping fee of a seller order whose goods come to ``goods`` cents (see ``shipping_fee``)."""
    if len({ln.key for ln in lines}) < len(lines):
        raise ValueError("one line per variant")
    state = _State(lines={ln.key: ln for ln in lines}, net={ln.key: ln.subtotal_cents for ln in lines})
    by_kind: dict[PromotionKind, list[Offer]] = {}
    for offer in sorted(offers, key=lambda o: o.promotion_id):
        by_kind.setdefault(offer.kind, []).append(offer)
    _price_discounts(state, by_kind.get(K.PRODUCT_DISCOUNT, []))
    _bundles(state, by_kind.get(K.BUNDLE, []))
    _coupons(state, by_kind.get(K.COUPON, []))
    _free_shipping(state, by_kind.get(K.FREE_SHIPPING, []), fee_for)
    applied = {a.promotion_id for a in state.adjustments}
    skipped = {s.promotion_id: s for s in state.skipped if s.promotion_id not in applied}
    return Discounts(tuple(state.adjustments), tuple(skipped.values()))
