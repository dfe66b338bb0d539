"""Return policy: what may be returned, until when, who pays the way back and what is refunded (pure).

A policy is the platform default overlaid by override rules, least to most specific: selling mode,
then category (a longer category path beats a shorter one), then seller. Each rule sets only the
fields it names. Eligibility is per order line and per reason:

* the window runs from the line's delivery to the end of the day ``window_days`` later *in the
  shopper's time zone* (a parcel delivered at 11 pm in Los Angeles on the 1st may be returned until
  midnight Los Angeles time on the 31st, whatever UTC says);
* damaged and defective items keep a longer guarantee (``guarantee_days``, 90 by default);
* non-returnable categories (intimates, perishables, personalised goods) refuse every reason except
  the guarantee ones: a lawful claim for a broken or wrong item is never refused by category;
* units already returned or in an open return are not returnable again.

Money: the refund of ``q`` of a line's ``n`` units is the units' exact share of the line's subtotal
and tax (``money.allocate``, so returning a line unit by unit adds up to the line, cent for cent),
plus its share of the shipping paid when the reason is the seller's or the platform's fault, minus a
restocking fee (only for change-of-mind returns, only where the policy allows one) and minus the
return label when the shopper pays for it.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from yellowcart.errors import InvalidInput
from yellowcart.money import allocate, percent_of


class Reason(enum.StrEnum):
    NO_REASON = "no_reason"
    CHANGED_MIND = "changed_mind"
    WRONG_ITEM = "wrong_item"
    DAMAGED = "damaged"
    DEFECTIVE = "defective"
    NOT_AS_DESCRIBED = "not_as_described"
    LATE = "late"


class Payer(enum.StrEnum):
    SHOPPER = "shopper"
    SELLER = "seller"
    PLATFORM = "platform"


#: Reasons where the item, not the shopper's mind, is at fault: shipping refunded, no restocking fee.
FAULT_REASONS = frozenset({Reason.WRONG_ITEM, Reason.DAMAGED, Reason.DEFECTIVE, Reason.NOT_AS_DESCRIBED, Reason.LATE})
#: Reasons covered past the ordinary window, up to ``guarantee_days``, even in non-returnable categories.
GUARANTEE_REASONS = frozenset({Reason.DAMAGED, Reason.DEFECTIVE, Reason.WRONG_ITEM})
#: Change of mind: no question asked inside the window.
NO_FAULT_REASONS = frozenset({Reason.NO_REASON, Reason.CHANGED_MIND})

DEFAULT_PAYERS: Mapping[Reason, Payer] = {
    Reason.NO_REASON: Payer.PLATFORM,  # Amazon-style free returns are what US shoppers compare with
    Reason.CHANGED_MIND: Payer.PLATFORM,
    Reason.WRONG_ITEM: Payer.SELLER,
    Reason.DAMAGED: Payer.SELLER,
    Reason.DEFECTIVE: Payer.SELLER,
    Reason.NOT_AS_DESCRIBED: Payer.SELLER,
    Reason.LATE: Payer.PLATFORM,
}


@dataclass(frozen=True, slots=True)
class Policy:
    window_days: int = 30
    guarantee_days: int = 90
    returnable: bool = True
    restocking_fee_bps: int = 0  # charged on change-of-mind returns only
    return_shipping_payer: Mapping[Reason, Payer] = field(default_factory=lambda: dict(DEFAULT_PAYERS))
    #: Returnless refund: refund without the item when it is worth less than this (0: never) ...
    returnless_below_cents: int = 0
    #: ... or when the label would cost more than this share of the refund (bps; 0: never).
    returnless_label_share_bps: int = 0

    def payer(self, reason: Reason) -> Payer:
        return self.return_shipping_payer.get(reason, DEFAULT_PAYERS[reason])


#: Fields a rule may set, with their validators: unknown fields or bad values are a 422.
_INT_FIELDS = {
    "window_days": (0, 365),
    "guarantee_days": (0, 730),
    "restocking_fee_bps": (0, 5000),
    "returnless_below_cents": (0, 10_000_000),
    "returnless_label_share_bps": (0, 100_000),
}


def check_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a rule's settings (API edge): known fields, sane ranges, known reasons and payers."""
    clean: dict[str, Any] = {}
    for name, value in settings.items():
        if name in _INT_FIELDS:
            low, high = _INT_FIELDS[name]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InvalidInput(f"{name} must be a whole number from {low} to {high}.", field=name)
            clean[name] = value
        elif name == "returnable":
            if not isinstance(value, bool):
                raise InvalidInput("returnable must be true or false.", field=name)
            clean[name] = value
        elif name == "return_shipping_payer":
            clean[name] = _check_payers(value)
        else:
            raise InvalidInput(f"Unknown policy setting {name!r}.", field=name)
    return clean


def _check_payers(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InvalidInput("return_shipping_payer maps reasons to payers.", field="return_shipping_payer")
    try:
        return {Reason(k).value: Payer(v).value for k, v in value.items()}
    except ValueError as exc:
        raise InvalidInput(f"return_shipping_payer: {exc}.", field="return_shipping_payer") from None


@dataclass(frozen=True, slots=True)
class Rule:
    """An override: ``scope`` is mode, category (a category path such as ``apparel/intimates/``) or
    seller (its id as text)."""

    scope: str
    key: str
    settings: Mapping[str, Any]


def _specificity(rule: Rule) -> tuple[int, int]:
    order = {"mode": 0, "category": 1, "seller": 2}
    return order[rule.scope], len(rule.key)


def resolve(base: Policy, rules: Iterable[Rule], *, mode: str, category_path: str, seller_id: int) -> Policy:
    """The policy for one line: the rules that apply, applied least specific first."""
    applying = [
        r
        for r in rules
        if (r.scope == "mode" and r.key == mode)
        or (r.scope == "category" and category_path.startswith(r.key))
        or (r.scope == "seller" and r.key == str(seller_id))
    ]
    policy = base
    for rule in sorted(applying, key=_specificity):
        policy = _apply(policy, rule.settings)
    return policy


def _apply(policy: Policy, settings: Mapping[str, Any]) -> Policy:
    changes = {k: v for k, v in settings.items() if k != "return_shipping_payer"}
    if "return_shipping_payer" in settings:
        payers = dict(policy.return_shipping_payer)
        payers.update({Reason(k): Payer(v) for k, v in settings["return_shipping_payer"].items()})
        changes["return_shipping_payer"] = payers
    return replace(policy, **changes)


# ---- eligibility ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineFacts:
    order_line_id: int
    quantity: int  # bought
    delivered_quantity: int  # of those, delivered (a line may ship in several packages)
    delivered_at: dt.datetime | None  # the latest delivery of its units
    taken: int  # units already returned or in an open return


@dataclass(frozen=True, slots=True)
class LineEligibility:
    order_line_id: int
    returnable_quantity: int
    window_ends_at: dt.datetime | None  # the ordinary deadline, UTC (exclusive)
    guarantee_ends_at: dt.datetime | None  # damaged / defective / wrong item, UTC (exclusive)
    reasons: tuple[Reason, ...]  # the reasons accepted now
    why_not: str | None  # when nothing can be returned now, why
    note: str | None = None  # a limit worth saying even when something can be returned


def deadline(delivered_at: dt.datetime, days: int, tz: str) -> dt.datetime:
    """The end of the ``days``-th local day after delivery in ``tz``, as UTC (exclusive bound)."""
    zone = ZoneInfo(tz)
    local_day = delivered_at.astimezone(zone).date() + dt.timedelta(days=days + 1)
    return dt.datetime.combine(local_day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


def accepted_reasons(policy: Policy, *, now: dt.datetime, window: dt.datetime, guarantee: dt.datetime) -> set[Reason]:
    """Inside the window: every fault reason, and change of mind where the category allows it; after
    it, until the guarantee ends: damaged, defective, wrong item."""
    reasons: set[Reason] = set()
    if now < window:
        reasons |= FAULT_REASONS | (NO_FAULT_REASONS if policy.returnable else frozenset())
    if now < guarantee:
        reasons |= GUARANTEE_REASONS
    return reasons


def line_eligibility(facts: LineFacts, policy: Policy, *, now: dt.datetime, tz: str) -> LineEligibility:
    """Which units of a line can come back now, under which reasons, and why not when none can."""
    if facts.delivered_at is None or facts.delivered_quantity == 0:
        return LineEligibility(facts.order_line_id, 0, None, None, (), "not delivered yet")
    window = deadline(facts.delivered_at, policy.window_days, tz)
    guarantee = deadline(facts.delivered_at, max(policy.guarantee_days, policy.window_days), tz)
    reasons = tuple(r for r in Reason if r in accepted_reasons(policy, now=now, window=window, guarantee=guarantee))
    left = facts.delivered_quantity - facts.taken
    why = None
    if left <= 0:
        why = "every delivered unit is already returned or in an open return"
    elif not reasons:
        why = f"the return window ended {window:%Y-%m-%d %H:%M} UTC and the guarantee {guarantee:%Y-%m-%d %H:%M} UTC"
    note = None
    if not policy.returnable:
        note = "not returnable for a change of mind (category); damaged, defective or wrong items still are"
    elif reasons and now >= window:
        note = "the return window ended; damaged, defective or wrong items are covered by the guarantee"
    quantity = max(left, 0) if reasons else 0
    return LineEligibility(facts.order_line_id, quantity, window, guarantee, reasons, why, note)


# ---- money -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineMoney:
    quantity: int
    subtotal_cents: int
    tax_cents: int
    shipping_cents: int


@dataclass(frozen=True, slots=True)
class RefundParts:
    goods_cents: int
    tax_cents: int
    shipping_cents: int
    restocking_fee_cents: int
    return_label_cents: int  # deducted (the shopper pays for the label)

    @property
    def total_cents(self) -> int:
        gross = self.goods_cents + self.tax_cents + self.shipping_cents
        return max(gross - self.restocking_fee_cents - self.return_label_cents, 0)


def unit_shares(total: int, quantity: int) -> list[int]:
    """``total`` split over ``quantity`` units, exactly (earlier units take the odd cents)."""
    return allocate(total, [1] * quantity)


def share(total: int, quantity: int, *, already: int, take: int) -> int:
    """The share of units ``already .. already+take`` of a line: consecutive returns add up exactly."""
    parts = unit_shares(total, quantity)
    return sum(parts[already : already + take])


def refund_parts(
    line: LineMoney,
    *,
    already_refunded_units: int,
    units: int,
    reason: Reason,
    policy: Policy,
    label_cents: int,
) -> RefundParts:
    """What returning ``units`` more of a line refunds, by part (see the module's docstring)."""
    if units <= 0 or already_refunded_units + units > line.quantity:
        raise InvalidInput("Cannot refund more units than were bought.", field="quantity")
    goods = share(line.subtotal_cents, line.quantity, already=already_refunded_units, take=units)
    tax = share(line.tax_cents, line.quantity, already=already_refunded_units, take=units)
    fault = reason in FAULT_REASONS
    shipping = share(line.shipping_cents, line.quantity, already=already_refunded_units, take=units) if fault else 0
    fee = percent_of(goods, Decimal(policy.restocking_fee_bps) / 10_000) if reason in NO_FAULT_REASONS else 0
    label = label_cents if policy.payer(reason) is Payer.SHOPPER else 0
    return RefundParts(goods, tax, shipping, fee, label)


def returnless(policy: Policy, *, refund_cents: int, label_cents: int) -> bool:
    """Refund without asking for the item back: it is worth too little, or the way back costs too much."""
    if policy.returnless_below_cents and refund_cents < policy.returnless_below_cents:
        return True
    share_bps = policy.returnless_label_share_bps
    return bool(share_bps) and label_cents * 10_000 > refund_cents * share_bps
