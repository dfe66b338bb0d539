"""Pure rules of live-only deals (no I/O): valid terms, the countdown, what the job does with a deal,
why a purchase was refused. The service applies them; hypothesis tests their edges."""

from __future__ import annotations

import datetime as dt
import enum
import math
from dataclasses import dataclass

#: A deal is a live moment: at least 10 seconds, at most 24 hours.
MIN_LENGTH = dt.timedelta(seconds=10)
MAX_LENGTH = dt.timedelta(hours=24)
#: How far ahead a deal may be scheduled.
MAX_LEAD = dt.timedelta(days=30)
MAX_QUANTITY = 100_000
#: The set-aside outlives the deal by this much: the hold sweep's safety net if the end job never ran.
SET_ASIDE_GRACE = dt.timedelta(minutes=15)


class Refusal(enum.StrEnum):
    """Why a deal cannot be bought right now (each is a 409 with this code)."""

    NOT_STARTED = "deal_not_started"
    ENDED = "deal_ended"
    SOLD_OUT = "deal_sold_out"


class Action(enum.StrEnum):
    START = "start"
    END = "end"
    CANCEL = "cancel"


@dataclass(frozen=True, slots=True)
class Terms:
    price_cents: int
    was_cents: int
    supply_price_cents: int | None  # full custody: the seller is owed this per unit
    quantity: int
    per_shopper_limit: int | None
    starts_at: dt.datetime
    ends_at: dt.datetime


def term_problems(terms: Terms, *, now: dt.datetime) -> dict[str, str]:
    """Field -> what is wrong; empty when the terms are valid."""
    wrong: dict[str, str] = {}
    if terms.price_cents <= 0 or terms.price_cents >= terms.was_cents:
        wrong["price_cents"] = f"must be above 0 and below the normal price ({terms.was_cents} cents)"
    elif terms.supply_price_cents is not None and terms.price_cents < terms.supply_price_cents:
        wrong["price_cents"] = f"must not be below the supply price ({terms.supply_price_cents} cents)"
    if not 1 <= terms.quantity <= MAX_QUANTITY:
        wrong["quantity"] = f"must be between 1 and {MAX_QUANTITY}"
    if terms.per_shopper_limit is not None and not 1 <= terms.per_shopper_limit <= 999:
        wrong["per_shopper_limit"] = "must be between 1 and 999"
    length = terms.ends_at - terms.starts_at
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        wrong["ends_at"] = "the deal must last between 10 seconds and 24 hours"
    elif terms.ends_at <= now:
        wrong["ends_at"] = "must be in the future"
    if terms.starts_at > now + MAX_LEAD:
        wrong["starts_at"] = "at most 30 days ahead"
    return wrong


def seconds_between(later: dt.datetime, now: dt.datetime) -> int:
    """Whole seconds from ``now`` to ``later`` rounded up (a countdown shows 1 until it is over), never < 0."""
    return max(0, math.ceil((later - now).total_seconds()))


def countdown(
    status: str, *, starts_at: dt.datetime, ends_at: dt.datetime, now: dt.datetime
) -> tuple[int | None, int | None]:
    """(seconds until it starts, seconds until it ends); None where it does not apply."""
    if status == "scheduled":
        return seconds_between(starts_at, now), None
    if status == "running":
        return None, seconds_between(ends_at, now)
    return None, None


def buyable(status: str, *, ends_at: dt.datetime, now: dt.datetime) -> bool:
    return status == "running" and now < ends_at


def refusal(status: str, *, ends_at: dt.datetime, now: dt.datetime) -> Refusal:
    """Why a purchase found nothing to take (read after the conditional UPDATE missed, or before it)."""
    if status == "scheduled":
        return Refusal.NOT_STARTED
    if not buyable(status, ends_at=ends_at, now=now):
        return Refusal.ENDED
    return Refusal.SOLD_OUT  # too few left (even if more came back between the UPDATE and this read)


def job_action(
    status: str,
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    room_live: bool,
    room_ended: bool,
    now: dt.datetime,
    sold_out: bool = False,
) -> Action | None:
    """What the periodic job does with a deal now. A scheduled deal starts only while its room is on
    air (a deal outside the room is meaningless); one whose time passed, or whose room ended, never ran.
    ``sold_out``: a running deal with nothing left that ends at once (flash deals, which have no room
    and are passed ``room_live=True``)."""
    if status == "scheduled":
        if room_ended or ends_at <= now:
            return Action.CANCEL
        if starts_at <= now and room_live:
            return Action.START
        return None
    if status == "running" and (ends_at <= now or room_ended or sold_out):
        return Action.END
    return None


def shifted(starts_at: dt.datetime, ends_at: dt.datetime, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Starting early or late keeps the deal's length: the countdown the host announced."""
    return now, now + (ends_at - starts_at)
