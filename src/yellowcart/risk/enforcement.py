"""Enforcement hooks other domains call: is this party's payout held, may this account add listings or
go live, may this user log in or check out. Read-only, one indexed query each (they sit on hot paths:
login, checkout, product creation, settlement).

What each active action means (a level includes the ones before it, and so does its enforcement):
- ``step_up``: a user's login and checkout answer ``403 step_up_required`` until the user re-verifies
  (a one-time e-mail code) or an operator clears it; a seller cannot add listings or go live until it
  re-submits its ID document and phone (``risk.actions.verify_seller``).
- ``hold_payouts``: settlement skips the party; what it is owed stays owed and is paid by the first
  settlement after the hold is lifted.
- ``restrict``: no new listings and no going live (``403 account_restricted``).
- ``suspend`` / ``ban``: all of the above, the seller's status SUSPENDED (listings off sale), every token
  revoked, a user's checkout refused (``403 account_suspended``). The account can still log in to see
  the action and appeal it.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yellowcart.errors import Forbidden
from yellowcart.risk.case_models import ActionKind, ActionStatus, RiskAction

K = ActionKind
HOLDING = frozenset({K.HOLD_PAYOUTS, K.SUSPEND, K.BAN})
RESTRICTING = frozenset({K.RESTRICT, K.SUSPEND, K.BAN})
SUSPENDING = frozenset({K.SUSPEND, K.BAN})


class AccountRestricted(Forbidden):
    code, title = "account_restricted", "The account is restricted"


class StepUpRequired(Forbidden):
    code, title = "step_up_required", "The account must re-verify"


class AccountSuspended(Forbidden):
    code, title = "account_suspended", "The account is suspended"


def active_kinds(session: Session, *, seller_id: int | None = None, user_id: int | None = None) -> set[ActionKind]:
    """The kinds of action in force on the seller account and/or the user (either may be None)."""
    who = []
    if seller_id is not None:
        who.append(RiskAction.seller_id == seller_id)
    if user_id is not None:
        who.append(RiskAction.user_id == user_id)
    if not who:
        return set()
    rows = session.scalars(select(RiskAction.kind).where(or_(*who), RiskAction.status == ActionStatus.ACTIVE))
    return set(rows)


def payouts_held(session: Session, *, seller_id: int | None = None, user_id: int | None = None) -> bool:
    """Settlement must not pay this seller (or this creator, a user) now."""
    return bool(active_kinds(session, seller_id=seller_id, user_id=user_id) & HOLDING)


def require_not_restricted(
    session: Session, *, seller_id: int | None = None, user_id: int | None = None, what: str
) -> None:
    """Refuse ``what`` ("new listings", "going live") for a restricted account, or one owing a step-up."""
    kinds = active_kinds(session, seller_id=seller_id, user_id=user_id)
    if kinds & RESTRICTING:
        raise AccountRestricted(
            f"This account is restricted: {what} is not allowed. See GET /v1/me/risk-actions to appeal.", what=what
        )
    if K.STEP_UP in kinds:
        raise StepUpRequired(f"This account must re-verify before {what}. See GET /v1/me/risk-actions.", what=what)


def require_no_step_up(session: Session, *, user_id: int, what: str) -> None:
    """A user owing a step-up is answered 403 ``step_up_required`` (login)."""
    if K.STEP_UP in active_kinds(session, user_id=user_id):
        raise StepUpRequired(
            f"Re-verify this account before {what}: ask for a code with POST /v1/risk/step-up/code.", what=what
        )


def require_may_checkout(session: Session, *, user_id: int) -> None:
    """Checkout: refused while a step-up is owed or the account is suspended or banned."""
    kinds = active_kinds(session, user_id=user_id)
    if kinds & SUSPENDING:
        raise AccountSuspended("This account is suspended; see GET /v1/me/risk-actions to appeal.", what="checkout")
    if K.STEP_UP in kinds:
        raise StepUpRequired(
            "Re-verify this account before checkout: ask for a code with POST /v1/risk/step-up/code.", what="checkout"
        )
