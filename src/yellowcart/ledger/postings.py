"""Posting rules: which postings each money movement makes. Pure (no I/O), property-tested.

Every function returns postings that sum to zero (``check_balanced``). Who bears what, by selling mode:

- seller_fulfilled: the seller is credited goods and shipping and debited commission and fee; a refund
  or chargeback debits the seller for goods and shipping, and gives back commission and fee in
  proportion to the goods reversed.
- full_custody: the platform sells (retail revenue, shipping revenue) and owes the seller the supply
  price per unit sold; a refund with returned units reverses the seller's supply payable for those
  units; money given back is the platform's (refunds / chargebacks).
- platform_owned: the platform sells; no seller payable at all.
- tax is always the platform's liability (marketplace facilitator): collected on sale, reduced on refund.

Promotions (docs/architecture.md, "Promotions' money"): goods are what the shopper paid for them
(after every discount). The platform-funded part of a line's discounts (goods discounts, a flash deal's
price below the list price, its share of a waived shipping fee) is the platform's cost: debited to
promotion_expense and credited to the seller (seller-fulfilled: it is paid its goods and shipping
before the platform's discounts) or to the platform's own retail / shipping revenue (full custody,
platform owned: revenue at the price before the platform's discounts; the supply price owed is
unchanged). The seller-funded part simply lowers what the seller is credited. Commission and the fee
are charged on the seller's amounts before the platform's discounts (after its own), so a platform
subsidy never lowers them. Refunds and chargebacks reverse the promotion part in proportion to the
goods reversed, like commission, so a line reversed in full in any number of steps ends at 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from yellowcart.catalog.modes import SellingMode
from yellowcart.ledger.chart import CREATOR_ACCOUNTS, PARTY_ACCOUNTS, SELLER_ACCOUNTS, Account, Component, EntryKind
from yellowcart.ledger.parties import Party
from yellowcart.money import allocate, percent_of

A, C, M = Account, Component, SellingMode
#: Components a shopper paid for; refunds and chargebacks take money back from these.
PAID = (C.GOODS, C.SHIPPING, C.TAX)
BPS = Decimal(10_000)
Key = tuple[int, Component]  # (order line id, component)


class UnbalancedEntry(ValueError):
    """An entry whose postings do not sum to zero: a bug, never posted."""


@dataclass(frozen=True, slots=True)
class Posting:
    account: Account
    amount: int  # cents, debit positive, credit negative
    component: Component
    seller_id: int | None = None
    mode: SellingMode | None = None
    line_id: int | None = None
    units: int | None = None  # units sold (+) or returned (-), on goods postings
    rate_bps: int | None = None  # commission or fee rate applied
    creator_id: int | None = None  # affiliate commission: the creator (a user id) it is about

    def __post_init__(self) -> None:
        if self.account in SELLER_ACCOUNTS and self.seller_id is None:
            raise ValueError(f"a posting to {self.account.value} must name the seller")
        if self.account in CREATOR_ACCOUNTS and self.creator_id is None:
            raise ValueError(f"a posting to {self.account.value} must name the creator")


def check_balanced(postings: Iterable[Posting]) -> list[Posting]:
    """The postings that move something, after checking they sum to zero."""
    kept = [p for p in postings if p.amount != 0 or p.units]
    total = sum(p.amount for p in kept)
    if total != 0:
        raise UnbalancedEntry(f"postings sum to {total}, not 0")
    return kept


def bps_of(cents: int, bps: int) -> int:
    """``cents x bps / 10,000``, rounded half-up to a cent (money.percent_of)."""
    return percent_of(cents, Decimal(bps) / BPS)


def scaled(total: int, part: int, whole: int) -> int:
    """``total x part / whole`` rounded half-up, in integers: what is left of a derived amount
    (commission, supply) when ``part`` of its ``whole`` base is left. Recomputing from what is left,
    instead of subtracting rounded shares, means a line reversed in any number of steps ends at exactly 0."""
    if whole <= 0:
        return 0
    return (2 * total * part + whole) // (2 * whole)


# ---- sale ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SaleLine:
    """One order line as sold: the goods, shipping and tax the shopper paid for it, and the
    platform-funded part of its promotions (off its goods or deal price, and of a waived shipping fee)."""

    line_id: int
    mode: SellingMode
    units: int
    goods: int
    shipping: int
    tax: int
    supply_unit: int = 0  # full custody: the supply price snapshot
    commission_bps: int = 0
    fee_bps: int = 0
    promo_goods: int = 0  # platform-funded goods and deal discounts
    promo_shipping: int = 0  # platform-funded share of a waived shipping fee

    @property
    def promotion(self) -> int:
        return self.promo_goods + self.promo_shipping

    @property
    def commission(self) -> int:
        """On the seller's goods before the platform's discounts (after its own)."""
        return bps_of(self.goods + self.promo_goods, self.commission_bps) if self.mode is M.SELLER_FULFILLED else 0

    @property
    def fee(self) -> int:
        """On the seller's goods and shipping before the platform's discounts."""
        if self.mode is not M.SELLER_FULFILLED:
            return 0
        return bps_of(self.goods + self.shipping + self.promotion, self.fee_bps)


@dataclass(frozen=True, slots=True)
class _Tag:
    """Makes postings tagged with one line's seller, mode and id."""

    seller_id: int
    mode: SellingMode
    line_id: int

    def __call__(
        self, account: Account, amount: int, comp: Component, *, units: int | None = None, rate_bps: int | None = None
    ) -> Posting:
        return Posting(account, amount, comp, self.seller_id, self.mode, self.line_id, units, rate_bps)


def sale_postings(seller_id: int, lines: Iterable[SaleLine]) -> list[Posting]:
    """Payment captured: cash in, tax owed, and per mode the seller's share or the platform's revenue."""
    out: list[Posting] = []
    for ln in lines:
        if not ln.mode.closed_loop:
            raise ValueError("redirect lines are never sold through checkout")
        p = _Tag(seller_id, ln.mode, ln.line_id)
        out += [p(A.PAYMENT_CLEARING, ln.goods + ln.shipping + ln.tax, C.CASH), p(A.SALES_TAX_PAYABLE, -ln.tax, C.TAX)]
        out.append(p(A.PROMOTION_EXPENSE, ln.promotion, C.PROMOTION))
        if ln.mode is M.SELLER_FULFILLED:
            out += [
                p(A.SELLER_PAYABLE, -ln.goods, C.GOODS, units=ln.units),
                p(A.SELLER_PAYABLE, -ln.shipping, C.SHIPPING),
                p(A.SELLER_PAYABLE, -ln.promotion, C.PROMOTION),
                p(A.SELLER_PAYABLE, ln.commission, C.COMMISSION, rate_bps=ln.commission_bps),
                p(A.COMMISSION_REVENUE, -ln.commission, C.COMMISSION, rate_bps=ln.commission_bps),
                p(A.SELLER_PAYABLE, ln.fee, C.FEE, rate_bps=ln.fee_bps),
                p(A.FEE_REVENUE, -ln.fee, C.FEE, rate_bps=ln.fee_bps),
            ]
            continue
        out += [
            p(A.RETAIL_REVENUE, -ln.goods, C.GOODS, units=ln.units),
            p(A.RETAIL_REVENUE, -ln.promo_goods, C.PROMOTION),
            p(A.SHIPPING_REVENUE, -ln.shipping, C.SHIPPING),
            p(A.SHIPPING_REVENUE, -ln.promo_shipping, C.PROMOTION),
        ]
        if ln.mode is M.FULL_CUSTODY:
            supply = ln.supply_unit * ln.units
            out += [p(A.COST_OF_GOODS, supply, C.SUPPLY), p(A.SELLER_PAYABLE, -supply, C.SUPPLY)]
    return check_balanced(out)


# ---- what is left of a sold line -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Amounts:
    units: int = 0
    goods: int = 0
    shipping: int = 0
    tax: int = 0
    commission: int = 0
    fee: int = 0
    supply: int = 0
    promotion: int = 0

    def get(self, comp: Component) -> int:
        return int(getattr(self, comp.value))

    def plus(self, **changes: int) -> Amounts:
        return replace(self, **{k: getattr(self, k) + v for k, v in changes.items()})


@dataclass(frozen=True, slots=True)
class LineState:
    """A sold line: what the sale booked and what is still booked after refunds and chargebacks."""

    line_id: int
    mode: SellingMode
    sold: Amounts
    left: Amounts

    @property
    def cash_left(self) -> int:
        return self.left.goods + self.left.shipping + self.left.tax


#: The account whose postings measure a component (sign: +1 debit-normal, -1 credit-normal); goods,
#: shipping and tax postings are one-sided (their other side is cash), so any account measures them.
MEASURE: dict[Component, tuple[Account | None, int]] = {
    C.GOODS: (None, -1),
    C.SHIPPING: (None, -1),
    C.TAX: (None, -1),
    C.COMMISSION: (A.COMMISSION_REVENUE, -1),
    C.FEE: (A.FEE_REVENUE, -1),
    C.SUPPLY: (A.COST_OF_GOODS, 1),
    C.PROMOTION: (A.PROMOTION_EXPENSE, 1),
}


@dataclass(frozen=True, slots=True)
class PostedRow:
    """An order's postings summed by (line, component, account, whether the entry is the sale)."""

    line_id: int
    mode: SellingMode
    is_sale: bool
    component: Component
    account: Account
    amount: int
    units: int


def line_states(rows: Iterable[PostedRow]) -> dict[int, LineState]:
    """Fold an order's posted rows into each line's sold and left amounts."""
    sold: dict[int, Amounts] = {}
    left: dict[int, Amounts] = {}
    modes: dict[int, SellingMode] = {}
    for r in rows:
        measure = MEASURE.get(r.component)
        if measure is None or (measure[0] is not None and measure[0] is not r.account):
            continue
        modes[r.line_id] = r.mode
        change = {r.component.value: measure[1] * r.amount}
        if r.component is C.GOODS:
            change["units"] = r.units
        left[r.line_id] = left.get(r.line_id, Amounts()).plus(**change)
        if r.is_sale:
            sold[r.line_id] = sold.get(r.line_id, Amounts()).plus(**change)
    return {lid: LineState(lid, modes[lid], sold.get(lid, Amounts()), left[lid]) for lid in sorted(left) if lid in sold}


# ---- refunds and chargebacks -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reversal:
    """Money taken back from an order: a refund (``units`` returned, when known) or a chargeback."""

    kind: EntryKind
    amount: int
    units: Mapping[int, int] | None = None  # order line id -> units returned


def returned_units(lines: Mapping[int, LineState], reversal: Reversal) -> dict[int, int]:
    """Units coming back per line: as given (capped at what is left), all of them for a refund of
    everything that is left, none for a partial refund without units or for a chargeback."""
    if reversal.kind is not EntryKind.REFUND:
        return {}
    if reversal.units is not None:
        return {lid: min(max(u, 0), lines[lid].left.units) for lid, u in reversal.units.items() if lid in lines}
    if reversal.amount >= sum(s.cash_left for s in lines.values()):
        return {lid: s.left.units for lid, s in lines.items()}
    return {}


def _targets(lines: Mapping[int, LineState], reversal: Reversal, units: Mapping[int, int]) -> dict[Key, int]:
    """What the reversal is about: the returned units' share of their lines, else everything left."""
    if reversal.kind is EntryKind.REFUND and reversal.units is not None:
        return {
            (lid, comp): scaled(lines[lid].left.get(comp), u, lines[lid].left.units)
            for lid, u in units.items()
            for comp in PAID
        }
    return {(lid, comp): s.left.get(comp) for lid, s in lines.items() for comp in PAID}


def spread(amount: int, first: Mapping[Key, int], room: Mapping[Key, int]) -> tuple[dict[Key, int], int]:
    """Split ``amount`` over ``first`` in proportion (at most their sum), then what is still over the
    rest of ``room`` in proportion; returns the parts and what no component could take (the excess)."""
    parts: dict[Key, int] = {}
    for weights in (dict(first), {k: room[k] - min(room[k], first.get(k, 0)) for k in room}):
        keys = sorted(k for k in weights if weights[k] > 0)
        take = min(amount, sum(weights[k] for k in keys))
        for k, part in zip(keys, allocate(take, [weights[k] for k in keys]), strict=True):
            parts[k] = parts.get(k, 0) + part
        amount -= take
    return parts, amount


def reversal_postings(seller_id: int, lines: Mapping[int, LineState], reversal: Reversal) -> list[Posting]:
    """Money back to the shopper (refund) or taken by the bank (chargeback), line by line."""
    if reversal.amount < 0:
        raise ValueError("a reversal amount is not negative")
    units = returned_units(lines, reversal)
    room = {(lid, comp): s.left.get(comp) for lid, s in lines.items() for comp in PAID}
    parts, excess = spread(reversal.amount, _targets(lines, reversal, units), room)
    loss = A.REFUNDS if reversal.kind is EntryKind.REFUND else A.CHARGEBACKS
    out: list[Posting] = []
    for lid, state in lines.items():
        taken = Amounts(units.get(lid, 0), *(parts.get((lid, comp), 0) for comp in PAID))
        out += _line_reversal(seller_id, state, taken, loss)
    if excess:
        out += [
            Posting(A.PAYMENT_CLEARING, -excess, C.CASH, seller_id),
            Posting(loss, excess, C.EXCESS, seller_id),
        ]
    return check_balanced(out)


def _kept(total: int, s: LineState, taken: Amounts, *, with_shipping: bool = False) -> int:
    """What is left of a derived amount (commission, fee, promotion) once ``taken`` is reversed: its
    sold total scaled by the paid base left (goods, plus shipping for the fee); a line whose base was 0
    (a promotion took its whole price) scales by units instead."""
    base_sold = s.sold.goods + (s.sold.shipping if with_shipping else 0)
    if base_sold > 0:
        left = s.left.goods - taken.goods + ((s.left.shipping - taken.shipping) if with_shipping else 0)
        return scaled(total, left, base_sold)
    return scaled(total, s.left.units - taken.units, s.sold.units)


def _line_reversal(seller_id: int, s: LineState, taken: Amounts, loss: Account) -> list[Posting]:
    p = _Tag(seller_id, s.mode, s.line_id)
    bearer = A.SELLER_PAYABLE if s.mode is M.SELLER_FULFILLED else loss
    promotion = s.left.promotion - _kept(s.sold.promotion, s, taken)
    out = [
        p(A.PAYMENT_CLEARING, -(taken.goods + taken.shipping + taken.tax), C.CASH),
        p(A.SALES_TAX_PAYABLE, taken.tax, C.TAX),
        p(bearer, taken.goods, C.GOODS, units=-taken.units or None),
        p(bearer, taken.shipping, C.SHIPPING),
        p(A.PROMOTION_EXPENSE, -promotion, C.PROMOTION),
        p(bearer, promotion, C.PROMOTION),
    ]
    if s.mode is M.SELLER_FULFILLED:
        commission = s.left.commission - _kept(s.sold.commission, s, taken)
        fee = s.left.fee - _kept(s.sold.fee, s, taken, with_shipping=True)
        out += [
            p(A.COMMISSION_REVENUE, commission, C.COMMISSION),
            p(A.SELLER_PAYABLE, -commission, C.COMMISSION),
            p(A.FEE_REVENUE, fee, C.FEE),
            p(A.SELLER_PAYABLE, -fee, C.FEE),
        ]
    elif s.mode is M.FULL_CUSTODY and taken.units:
        supply = s.left.supply - scaled(s.sold.supply, s.left.units - taken.units, s.sold.units)
        out += [p(A.SELLER_PAYABLE, supply, C.SUPPLY), p(A.COST_OF_GOODS, -supply, C.SUPPLY)]
    return out


# ---- redirect commissions, netting, payouts --------------------------------------------------------


def redirect_postings(seller_id: int, commission: int, *, reverse: bool = False) -> list[Posting]:
    """Commission invoiced on a store order the platform's link brought (a receivable), or withdrawn."""
    if commission < 0:
        raise ValueError("a commission is not negative")
    sign = -1 if reverse else 1
    mode = M.REDIRECT
    return check_balanced(
        [
            Posting(A.REDIRECT_RECEIVABLE, sign * commission, C.REDIRECT, seller_id, mode),
            Posting(A.REDIRECT_COMMISSION_REVENUE, -sign * commission, C.REDIRECT, seller_id, mode),
        ]
    )


@dataclass(frozen=True, slots=True)
class Settlement:
    """What closing a period does for one seller: net invoiced commission against what we owe, pay the rest."""

    netting: int
    payout: int


def settlement_plan(payable_sum: int, receivable_sum: int) -> Settlement:
    """From the balances at the period's end (signed sums of the two seller accounts)."""
    owed, invoiced = -payable_sum, receivable_sum
    if invoiced < 0:
        # Commission credited back after it had been netted (the store refunded the order later): the
        # credit moves back into what the platform owes (a negative netting), then is paid out.
        netting = invoiced
    elif owed > 0 and invoiced > 0:
        netting = min(owed, invoiced)
    else:
        netting = 0
    return Settlement(netting=netting, payout=max(owed - netting, 0))


def netting_postings(seller_id: int, amount: int) -> list[Posting]:
    return check_balanced(
        [
            Posting(A.SELLER_PAYABLE, amount, C.NETTING, seller_id),
            Posting(A.REDIRECT_RECEIVABLE, -amount, C.NETTING, seller_id),
        ]
    )


def payout_postings(party: Party, amount: int) -> list[Posting]:
    """The party's payable emptied into the bank (a seller's or a creator's)."""
    if amount <= 0:
        raise ValueError("a payout is positive")
    sid, cid = party.seller_id, party.creator_id
    return check_balanced(
        [
            Posting(party.payable, amount, C.PAYOUT, seller_id=sid, creator_id=cid),
            Posting(A.PAYOUTS, -amount, C.PAYOUT, seller_id=sid, creator_id=cid),
        ]
    )


def seller_view(account: Account, amount: int) -> int:
    """A posting as its party (seller or creator) reads it: + the platform owes more, - less (or the
    seller owes)."""
    return -amount if account in PARTY_ACCOUNTS else 0
