"""Customer service rules as pure functions (no I/O): the first-response clock, idle auto-close,
retention, the e-mail throttle, who answers which order, and the seller-health rate.

The first-response clock starts at the first shopper message a person must answer (a self-service
answer does not start it) and stops at the first answer from the counterpart's side (the seller's
staff, or an operator). A conversation's first response is on time when it came by the due time;
one still unanswered says nothing until it is due, and one the shopper closed before it was due
needed no answer. The seller-health threshold is ours, not a marketplace's published number:
at least 90% of first responses within the SLA.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from yellowcart.catalog.modes import SellingMode
from yellowcart.fulfillment.sla import Threshold
from yellowcart.support.models import Counterpart

#: At least 90% of the seller's conversations answered within the first-response SLA.
FIRST_RESPONSE = Threshold(900, at_most=False)
PLATFORM_MODES = frozenset({SellingMode.FULL_CUSTODY, SellingMode.PLATFORM_OWNED})


@dataclass(frozen=True, slots=True)
class SupportConfig:
    first_response_hours: int = 12
    auto_close_days: int = 7  # open conversations idle this long are closed (resolved by the system)
    retention_days: int = 730  # messages older than this are deleted
    email_after_minutes: int = 15  # unread this long: e-mail the other side, at most once per window


def counterparts(modes: Iterable[SellingMode]) -> list[Counterpart]:
    """Who answers questions about an order with lines in these modes: the seller for the goods it
    ships itself, the platform for goods it holds (full custody) or owns; both for a mixed order."""
    found = set(modes)
    out = []
    if SellingMode.SELLER_FULFILLED in found:
        out.append(Counterpart.SELLER)
    if found & PLATFORM_MODES:
        out.append(Counterpart.PLATFORM)
    return out


def first_response_due(started: dt.datetime, hours: int) -> dt.datetime:
    return started + dt.timedelta(hours=hours)


def first_response_breached(due: dt.datetime | None, answered: dt.datetime | None, *, now: dt.datetime) -> bool:
    """Answered after the due time, or still unanswered once it passed."""
    if due is None:
        return False
    return (answered or now) > due


def counts_for_health(
    due: dt.datetime | None, answered: dt.datetime | None, closed: dt.datetime | None, *, now: dt.datetime
) -> bool | None:
    """True: answered in time; False: breached; None: says nothing (no clock, not due yet, or closed
    by the shopper before it was due without needing the answer)."""
    if due is None:
        return None
    if answered is not None:
        return answered <= due
    if closed is not None and closed <= due:
        return None
    return None if now <= due else False


def idle_since(last_activity: dt.datetime, *, now: dt.datetime, days: int) -> bool:
    return now - last_activity >= dt.timedelta(days=days)


def retention_cutoff(now: dt.datetime, days: int) -> dt.datetime:
    """Messages created before this instant are past retention."""
    return now - dt.timedelta(days=days)


def may_email(last_emailed: dt.datetime | None, *, now: dt.datetime, minutes: int) -> bool:
    """At most one e-mail per conversation and side per ``minutes``."""
    return last_emailed is None or now - last_emailed >= dt.timedelta(minutes=minutes)


def unread_due(message_at: dt.datetime, *, now: dt.datetime, minutes: int) -> bool:
    """A message unread this long is worth an e-mail."""
    return now - message_at >= dt.timedelta(minutes=minutes)
