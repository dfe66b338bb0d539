"""Affiliate rules without I/O: which touch an order line is credited to, at what rate, and how much
commission a line should hold as its order completes and units come back. Unit-tested with hypothesis.

Attribution is last touch: of the shopper's views and cart taps on programme content tagging the
listing, within the window before the order (the redirect domain's window rule: at most ``window``
before, never after), the latest wins (ties: the later event). A creator buying through its own content
earns nothing, and nobody else does instead. Without a rate for that creator (targeted, else open) the
line earns nothing either.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass

from yellowcart.ledger.postings import bps_of, scaled
from yellowcart.redirect.rules import in_window

RATE_MIN_BPS = 100  # 1%
RATE_MAX_BPS = 8000  # 80%
DEFAULT_WINDOW = dt.timedelta(days=7)


class TouchKind(enum.StrEnum):
    """The content touch an attribution rests on."""

    VIEW = "view"
    CART_TAP = "cart_tap"
    CLICK = "click"  # a redirect click from the creator's content (store orders)


class RateKind(enum.StrEnum):
    OPEN = "open"
    TARGETED = "targeted"


class Outcome(enum.StrEnum):
    ATTRIBUTED = "attributed"
    NO_TOUCH = "no_touch"  # no programme content touch in the window
    SELF_REFERRAL = "self_referral"  # the last touch is the shopper's own content
    NO_RATE = "no_rate"  # the listing offers that creator no rate


@dataclass(frozen=True, slots=True)
class Touch:
    event_id: int
    content_id: int
    creator_id: int
    at: dt.datetime
    kind: TouchKind


@dataclass(frozen=True, slots=True)
class OfferedRate:
    bps: int
    kind: RateKind


def valid_rate(bps: int) -> bool:
    return RATE_MIN_BPS <= bps <= RATE_MAX_BPS


def effective_rate(open_bps: int | None, targeted_bps: int | None) -> OfferedRate | None:
    """A targeted rate overrides the open one; neither: no offer."""
    if targeted_bps is not None:
        return OfferedRate(targeted_bps, RateKind.TARGETED)
    if open_bps is not None:
        return OfferedRate(open_bps, RateKind.OPEN)
    return None


def last_touch(touches: Iterable[Touch], *, ordered_at: dt.datetime, window: dt.timedelta) -> Touch | None:
    """The latest touch in the window before the order (ties broken by the later event)."""
    eligible = [t for t in touches if in_window(t.at, ordered_at, window)]
    return max(eligible, key=lambda t: (t.at, t.event_id), default=None)


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    touch: Touch | None = None
    rate: OfferedRate | None = None


def decide(touch: Touch | None, *, shopper_id: int | None, rate: OfferedRate | None) -> Decision:
    """Whether the last touch earns its creator a commission."""
    if touch is None:
        return Decision(Outcome.NO_TOUCH)
    if shopper_id is not None and touch.creator_id == shopper_id:
        return Decision(Outcome.SELF_REFERRAL, touch)
    if rate is None:
        return Decision(Outcome.NO_RATE, touch)
    return Decision(Outcome.ATTRIBUTED, touch, rate)


def commission(base_cents: int, rate_bps: int) -> int:
    """The commission on ``base_cents`` at ``rate_bps``, half-up to a cent (the ledger's rounding)."""
    return bps_of(base_cents, rate_bps)


def line_target(*, commission_cents: int, units: int, returned_units: int, earned: bool) -> int:
    """What an attributed line should hold: nothing until its order completes, then the commission on
    the units kept. Recomputed from what is kept (never by subtracting rounded shares), so a line
    returned unit by unit ends at exactly zero."""
    if not earned or units <= 0:
        return 0
    return scaled(commission_cents, max(units - returned_units, 0), units)


def conversion_target(*, commission_cents: int, gmv_cents: int, refunded_gmv_cents: int, reversed: bool) -> int:
    """What a store order's creator should hold: the commission on the GMV not refunded (nothing once the
    store cancelled or refunded it whole)."""
    if reversed or gmv_cents <= 0:
        return 0
    return scaled(commission_cents, max(gmv_cents - refunded_gmv_cents, 0), gmv_cents)
