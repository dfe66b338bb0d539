"""Risk checks on the hot paths: login, checkout and payout-destination change.

Each is a few indexed reads: the account's remembered level (written by the periodic job, so no
features are computed and no model is run on the request path) and, for logins and payout changes, the
account's recent places to tell whether this request comes from somewhere new. They differ in how
they fail:
- checkout fails OPEN: an exception or a check slower than ``CHECKOUT_BUDGET_MS`` lets the checkout
  through with a log line (``risk_check_failed_open``); risk being slow or down never blocks a sale;
- login fails open the same way;
- payout change fails CLOSED: if the check cannot run (or runs past its budget) the change is refused
  with 503 ``risk_unavailable`` and can be retried; money must not move to an unchecked account.
A check's own decision to refuse is not a failure: it raises a 403 problem.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.auth.service import Principal
from yellowcart.errors import DomainError, Forbidden
from yellowcart.risk import signals
from yellowcart.risk.context import RequestContext
from yellowcart.risk.features import Subject
from yellowcart.risk.rules import Level
from yellowcart.risk.scoring import cached
from yellowcart.risk.signal_models import RiskSignal

log = structlog.get_logger(__name__)

CHECKOUT_BUDGET_MS = 50.0
LOGIN_BUDGET_MS = 50.0
PAYOUT_BUDGET_MS = 500.0
RECENT_PLACES = 50
KNOWN_AFTER = dt.timedelta(hours=24)
T = TypeVar("T")


class AccountSuspended(Forbidden):
    code, title = "account_suspended", "The account is suspended"


class PayoutChangeNeedsVerification(Forbidden):
    code, title = "payout_change_needs_verification", "Verify your identity before changing the payout account"


class RiskUnavailable(DomainError):
    status, code, title = 503, "risk_unavailable", "The risk check is unavailable; try again shortly"


@dataclass(frozen=True)
class Decision:
    outcome: str  # "allow" | "step_up" | "deny"
    level: Level
    why: tuple[str, ...] = ()
    elapsed_ms: float = 0.0
    failed_open: bool = False
    detail: dict[str, object] = field(default_factory=dict)


ALLOW = Decision("allow", Level.ALLOW)


def _timed(check: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = check()
    return result, (time.perf_counter() - started) * 1000


def _fail_open(name: str, check: Callable[[], Decision], session: Session, budget_ms: float) -> Decision:
    """Run ``check`` in a savepoint; on any exception or past the budget, allow (and say so in the log)."""
    started = time.perf_counter()
    try:
        with session.begin_nested():
            decision = check()
    except Exception:
        log.warning("risk_check_failed_open", check=name, cause="error", exc_info=True)
        return Decision("allow", Level.ALLOW, ("check_failed",), _ms(started), failed_open=True)
    elapsed = _ms(started)
    if elapsed > budget_ms:
        log.warning("risk_check_failed_open", check=name, cause="slow", elapsed_ms=round(elapsed, 1))
        return Decision("allow", Level.ALLOW, ("check_slow",), elapsed, failed_open=True)
    if decision.outcome != "allow":
        log.info("risk_check", check=name, outcome=decision.outcome, level=decision.level.value, why=decision.why)
    return Decision(decision.outcome, decision.level, decision.why, elapsed, detail=decision.detail)


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _known_places(session: Session, condition: object, now: dt.datetime) -> tuple[set[str], set[str], set[str], int]:
    rows = session.execute(
        select(RiskSignal.device_hash, RiskSignal.network, RiskSignal.timezone, RiskSignal.at)
        .where(condition, RiskSignal.at <= now)  # type: ignore[arg-type]
        .order_by(RiskSignal.at.desc())
        .limit(RECENT_PLACES)
    ).all()
    devices = {r[0] for r in rows if r[0]}
    networks = {r[1] for r in rows if r[1]}
    zones = {r[2] for r in rows if r[2]}
    return devices, networks, zones, len(rows)


def _novelty(context: RequestContext, known: tuple[set[str], set[str], set[str], int]) -> list[str]:
    devices, networks, zones, seen = known
    if not seen:
        return []
    new = []
    if context.device_hash and context.device_hash not in devices:
        new.append("new_device")
    if context.network and context.network not in networks:
        new.append("new_network")
    if context.timezone and context.timezone not in zones:
        new.append("new_timezone")
    return new


# ---- login -----------------------------------------------------------------------------------------


def login_decision(
    session: Session, *, user_id: int, seller_id: int | None, context: RequestContext, now: dt.datetime
) -> Decision:
    level = cached(session, Subject("user", user_id))
    if seller_id is not None:
        level = max(level, cached(session, Subject("seller", seller_id)), key=lambda lv: lv.rank)
    # An assessed level is a suspicion, not a decision: suspension and bans take an operator (or a rule
    # an operator made automatic) and are enforced from the actions in force (risk.enforcement), so an
    # account can still sign in to see the action and appeal it. Here a high level only asks for a step-up.
    new = _novelty(context, _known_places(session, RiskSignal.user_id == user_id, now))
    if len(new) == 3 or level.at_least(Level.STEP_UP):
        return Decision("step_up", level, tuple(new) or ("assessed",))
    return Decision("allow", level, tuple(new))


def login(
    session: Session,
    *,
    user_id: int,
    seller_id: int | None,
    context: RequestContext,
    now: dt.datetime,
    budget_ms: float = LOGIN_BUDGET_MS,
) -> Decision:
    """Check a login and record it (with the outcome); fails open. Raises AccountSuspended on deny."""
    decision = _fail_open(
        "login",
        lambda: login_decision(session, user_id=user_id, seller_id=seller_id, context=context, now=now),
        session,
        budget_ms,
    )
    if decision.outcome == "deny":
        raise AccountSuspended("This account is suspended; see your account's risk status.")
    signals.record_login(
        session, user_id=user_id, seller_id=seller_id, context=context, now=now, check=decision.outcome
    )
    return decision


# ---- checkout --------------------------------------------------------------------------------------


def checkout_decision(session: Session, *, principal: Principal) -> Decision:
    level = cached(session, Subject("user", principal.user_id))  # suspensions in force: risk.enforcement
    return Decision("step_up" if level.at_least(Level.STEP_UP) else "allow", level)


def checkout(
    session: Session,
    *,
    principal: Principal,
    payment_method: str,
    ship_to: dict[str, Any] | None,
    context: RequestContext,
    now: dt.datetime,
    budget_ms: float = CHECKOUT_BUDGET_MS,
) -> Decision:
    """The checkout's check, first thing in its transaction: fails open (a savepoint keeps a failing
    check from spoiling the checkout's transaction). Records the checkout's signal."""

    def check() -> Decision:
        decision = checkout_decision(session, principal=principal)
        if decision.outcome != "deny":
            signals.record_checkout(
                session,
                user_id=principal.user_id,
                payment_method=payment_method,
                ship_to=ship_to,
                context=context,
                now=now,
            )
            session.flush()
        return decision

    decision = _fail_open("checkout", check, session, budget_ms)
    if decision.outcome == "deny":
        raise AccountSuspended("This account is suspended; it cannot place orders.")
    return decision


# ---- payout change ---------------------------------------------------------------------------------


def payout_decision(
    session: Session, *, seller_id: int, user_id: int, context: RequestContext, now: dt.datetime
) -> Decision:
    """Refuse (step up) when the shop is held or worse, or the request comes from a device and a network
    none of the shop's people used a day ago or earlier (using a device for a minute first does not make it
    known). A shop with no history that old has nothing to protect yet."""
    level = max(
        cached(session, Subject("seller", seller_id)), cached(session, Subject("user", user_id)), key=lambda lv: lv.rank
    )
    if level.at_least(Level.HOLD_PAYOUTS):
        return Decision("step_up", level, ("account_held",))
    known = _known_places(session, RiskSignal.seller_id == seller_id, now - KNOWN_AFTER)
    new = _novelty(context, known)
    if "new_device" in new and "new_network" in new:
        return Decision("step_up", level, tuple(new))
    return Decision("allow", level, tuple(new))


def payout_change(
    session: Session,
    *,
    seller_id: int,
    user_id: int,
    context: RequestContext,
    now: dt.datetime,
    budget_ms: float = PAYOUT_BUDGET_MS,
) -> Decision:
    """Fails CLOSED: any failure (or past the budget) raises RiskUnavailable (503)."""
    try:
        with session.begin_nested():
            decision, elapsed = _timed(
                lambda: payout_decision(session, seller_id=seller_id, user_id=user_id, context=context, now=now)
            )
    except Exception as exc:
        log.warning("risk_check_failed_closed", check="payout_change", cause="error", exc_info=True)
        raise RiskUnavailable("The payout account cannot be changed right now; try again in a few minutes.") from exc
    if elapsed > budget_ms:
        log.warning("risk_check_failed_closed", check="payout_change", cause="slow", elapsed_ms=round(elapsed, 1))
        raise RiskUnavailable("The payout account cannot be changed right now; try again in a few minutes.")
    if decision.outcome != "allow":
        log.info("risk_check", check="payout_change", outcome=decision.outcome, why=decision.why)
    return Decision(decision.outcome, decision.level, decision.why, elapsed)
