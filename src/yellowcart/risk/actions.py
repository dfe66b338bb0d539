"""Actions on accounts: apply one (with its side effects), lift one (undoing them), and the account's own
way out of a step-up (a user's one-time e-mail code; a seller's ID document and phone, as in onboarding).

Every change is written to the case's append-only history and to the audit log (``audit.log.record``)
with its evidence. Side effects outside the risk tables are deliberately few and named: a suspension or
ban sets the seller's status to SUSPENDED (restored when the last one is lifted) and revokes every API
token of the account's users (they log in again to see the action and appeal; tokens cached by a
process stop working within the token cache's few seconds). Holds and restrictions have no side
effect: enforcement reads the active rows (``risk.enforcement``), so lifting them is enough, and held
money was never moved: the next settlement pays it.
"""

from __future__ import annotations

import datetime as dt
import enum
import hmac
import importlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import structlog
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from yellowcart.auth.models import ApiToken, User
from yellowcart.auth.service import verify_password
from yellowcart.db import flush_guarded
from yellowcart.errors import Conflict
from yellowcart.risk.case_models import (
    ActionKind,
    ActionStatus,
    EventKind,
    RiskAction,
    RiskCase,
    RiskCaseEvent,
    SubjectKind,
)
from yellowcart.sellers import identity
from yellowcart.sellers.models import Seller, SellerApplication, SellerIdDocument, SellerStatus

log = structlog.get_logger(__name__)

LADDER: tuple[ActionKind, ...] = tuple(ActionKind)
#: Automatic actions stop here unless an operator marked one of the case's rules automatic.
AUTO_CAP = ActionKind.RESTRICT
SUSPENDING = frozenset({ActionKind.SUSPEND, ActionKind.BAN})
CODE_TTL = dt.timedelta(minutes=15)
CODE_RESEND_AFTER = dt.timedelta(seconds=60)
MAX_ATTEMPTS = 5


class LiftReason(enum.StrEnum):
    OPERATOR = "operator"
    VERIFIED = "verified"
    DISMISSED = "dismissed"
    APPEAL = "appeal"


# ---- audit and history -------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _audit_record() -> Callable[..., Any] | None:
    """R3's ``audit.log.record`` when it is installed (guarded: the risk tables keep the history anyway)."""
    try:
        module = importlib.import_module("yellowcart.audit.log")
    except ImportError:
        return None
    found = getattr(module, "record", None)
    return found if callable(found) else None


def audit(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    subject_kind: str,
    subject_id: int | str,
    detail: dict[str, Any],
) -> None:
    record = _audit_record()
    if record is not None:
        record(
            session, actor_id=actor_id, action=action, subject_kind=subject_kind, subject_id=subject_id, detail=detail
        )
    log.info(action, subject_kind=subject_kind, subject_id=subject_id, actor_id=actor_id)


def add_event(
    session: Session,
    case: RiskCase,
    kind: EventKind,
    *,
    at: dt.datetime,
    actor_id: int | None = None,
    action_id: int | None = None,
    detail: dict[str, Any] | None = None,
    note: str | None = None,
    reasons: list[dict[str, Any]] | None = None,
    level: str | None = None,
    score: float | None = None,
    anomaly: float | None = None,
) -> RiskCaseEvent:
    """Append to the case's history (never updated afterwards)."""
    event = RiskCaseEvent(
        case_id=case.id, at=at, kind=kind, actor_user_id=actor_id, action_id=action_id, detail=detail or {},
        note=note, reasons=reasons or [], level=level, score=score, anomaly=anomaly,
    )  # fmt: skip
    session.add(event)
    return event


def subject_id(row: RiskCase | RiskAction) -> int:
    found = row.seller_id if row.subject_kind is SubjectKind.SELLER else row.user_id
    assert found is not None  # the one_subject CHECK
    return found


def subject_key(row: RiskCase | RiskAction) -> str:
    return f"{row.subject_kind.value}:{subject_id(row)}"


def latest_evidence(session: Session, case: RiskCase) -> list[dict[str, Any]]:
    """The reasons (with evidence) of the case's latest assessment: what an action is taken on."""
    reasons = session.scalar(
        select(RiskCaseEvent.reasons)
        .where(RiskCaseEvent.case_id == case.id, RiskCaseEvent.kind == EventKind.ASSESSMENT)
        .order_by(RiskCaseEvent.id.desc())
        .limit(1)
    )
    return list(reasons or [])


# ---- apply and lift ------------------------------------------------------------------------------------


@dataclass
class Effects:
    """What happened beyond the risk tables, for the caller to act on after commit."""

    applied: list[RiskAction]
    lifted: list[RiskAction]
    tokens_revoked: int = 0


def new_effects() -> Effects:
    return Effects(applied=[], lifted=[])


def ladder_upto(kind: ActionKind) -> list[ActionKind]:
    """A level includes the ones before it: ``restrict`` is step-up, hold and restrict."""
    return list(LADDER[: LADDER.index(kind) + 1])


def active_actions(session: Session, case: RiskCase) -> list[RiskAction]:
    """The subject's actions in force (from any of its cases)."""
    column = RiskAction.seller_id if case.subject_kind is SubjectKind.SELLER else RiskAction.user_id
    return list(
        session.scalars(
            select(RiskAction)
            .where(column == subject_id(case), RiskAction.status == ActionStatus.ACTIVE)
            .order_by(RiskAction.id)
        )
    )


class _AlreadyActive(Exception):
    pass


def apply(
    session: Session,
    *,
    case: RiskCase,
    kind: ActionKind,
    actor_id: int | None,
    now: dt.datetime,
    effects: Effects,
    note: str | None = None,
) -> RiskAction | None:
    """Put ``kind`` in force on the case's subject, unless it already is (returns None then)."""
    action = RiskAction(
        case_id=case.id, subject_kind=case.subject_kind, seller_id=case.seller_id, user_id=case.user_id, kind=kind,
        status=ActionStatus.ACTIVE, active_key=f"{subject_key(case)}:{kind.value}", categories=list(case.categories),
        automatic=actor_id is None, created_at=now, created_by_user_id=actor_id, challenge_attempts=0,
    )  # fmt: skip
    try:
        flush_guarded(session, lambda: session.add(action), _AlreadyActive)
    except _AlreadyActive:
        return None
    if kind in SUSPENDING:
        _suspend(session, action, now=now, effects=effects)
    evidence = latest_evidence(session, case)
    detail = {"kind": kind.value, "automatic": action.automatic, "categories": action.categories}
    add_event(session, case, EventKind.ACTION, at=now, actor_id=actor_id, action_id=action.id, detail=detail, note=note)
    audit(
        session, actor_id=actor_id, action="risk.action.applied", subject_kind=case.subject_kind.value,
        subject_id=subject_id(case), detail={**detail, "case_id": case.id, "action_id": action.id,
                                             "note": note, "evidence": evidence},
    )  # fmt: skip
    effects.applied.append(action)
    return action


def _suspend(session: Session, action: RiskAction, *, now: dt.datetime, effects: Effects) -> None:
    """The seller goes SUSPENDED (remembering its status before); every token of its users is revoked."""
    target: ColumnElement[bool]
    if action.seller_id is not None:
        seller = session.get(Seller, action.seller_id, with_for_update=True)
        assert seller is not None
        earlier = session.scalar(
            select(RiskAction.previous_seller_status).where(
                RiskAction.seller_id == action.seller_id,
                RiskAction.status == ActionStatus.ACTIVE,
                RiskAction.kind.in_(SUSPENDING),
                RiskAction.id != action.id,
            )
        )
        action.previous_seller_status = earlier or seller.status.value
        seller.status = SellerStatus.SUSPENDED
        users = select(User.id).where(User.seller_id == action.seller_id).scalar_subquery()
        target = ApiToken.user_id.in_(users)
    else:
        target = ApiToken.user_id == action.user_id
    revoked = session.execute(
        update(ApiToken).where(target, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    ).rowcount  # type: ignore[attr-defined]
    effects.tokens_revoked += int(revoked or 0)


def lift(
    session: Session,
    *,
    case: RiskCase,
    action: RiskAction,
    actor_id: int | None,
    reason: LiftReason,
    now: dt.datetime,
    effects: Effects,
    note: str | None = None,
) -> None:
    """End an action (appeal: ``overturned``, otherwise ``lifted``) and undo what it did."""
    if action.status is not ActionStatus.ACTIVE:
        raise Conflict(f"Action {action.id} is {action.status.value} already.", action_id=action.id)
    action.status = ActionStatus.OVERTURNED if reason is LiftReason.APPEAL else ActionStatus.LIFTED
    action.active_key, action.lifted_at, action.lifted_by_user_id = None, now, actor_id
    action.lift_reason, action.challenge_hash, action.challenge_expires_at = reason.value, None, None
    session.flush()
    if action.kind in SUSPENDING and action.seller_id is not None:
        _maybe_reinstate_seller(session, action)
    detail = {"kind": action.kind.value, "reason": reason.value, "status": action.status.value}
    add_event(session, case, EventKind.LIFTED, at=now, actor_id=actor_id, action_id=action.id, detail=detail, note=note)
    audit(
        session, actor_id=actor_id, action="risk.action.lifted", subject_kind=action.subject_kind.value,
        subject_id=subject_id(action), detail={**detail, "case_id": case.id, "action_id": action.id, "note": note},
    )  # fmt: skip
    effects.lifted.append(action)


def _maybe_reinstate_seller(session: Session, action: RiskAction) -> None:
    """The last suspension or ban lifted: the seller gets back the status it had before the first one."""
    still = session.scalar(
        select(RiskAction.id).where(
            RiskAction.seller_id == action.seller_id,
            RiskAction.status == ActionStatus.ACTIVE,
            RiskAction.kind.in_(SUSPENDING),
        )
    )
    seller = session.get(Seller, action.seller_id, with_for_update=True)
    if still is None and seller is not None and seller.status is SellerStatus.SUSPENDED:
        seller.status = SellerStatus(action.previous_seller_status or SellerStatus.ACTIVE.value)


def lift_all(
    session: Session,
    *,
    case: RiskCase,
    actions: Sequence[RiskAction],
    actor_id: int | None,
    reason: LiftReason,
    now: dt.datetime,
    effects: Effects,
    note: str | None,
) -> None:
    # Highest first: the seller's status is restored once the last suspension goes.
    for action in sorted(actions, key=lambda a: LADDER.index(a.kind), reverse=True):
        if action.status is ActionStatus.ACTIVE:
            lift(session, case=case, action=action, actor_id=actor_id, reason=reason, now=now, effects=effects,
                 note=note)  # fmt: skip


# ---- step-up: the account re-verifies ------------------------------------------------------------------


class Verification(enum.StrEnum):
    VERIFIED = "verified"
    MISMATCH = "mismatch"
    EXPIRED = "expired"
    LOCKED = "locked"  # too many attempts: an operator decides


def code_hash(key: bytes, action_id: int, code: str) -> str:
    return identity.keyed_hash(key, "step_up", str(action_id), code)


def pending_step_up(session: Session, *, user_id: int) -> RiskAction | None:
    return session.scalar(
        select(RiskAction)
        .where(
            RiskAction.user_id == user_id,
            RiskAction.kind == ActionKind.STEP_UP,
            RiskAction.status == ActionStatus.ACTIVE,
        )
        .with_for_update()
    )


def user_by_credentials(session: Session, *, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active or not verify_password(password, user.password_hash):
        return None
    return user


def issue_code(session: Session, *, user: User, key: bytes, now: dt.datetime) -> str | None:
    """A fresh one-time code for the user's pending step-up (None: nothing pending, or one just sent)."""
    action = pending_step_up(session, user_id=user.id)
    if action is None or action.challenge_attempts >= MAX_ATTEMPTS:
        return None
    if action.challenge_expires_at is not None and action.challenge_expires_at - CODE_TTL + CODE_RESEND_AFTER > now:
        return None
    code = f"{secrets.randbelow(1_000_000):06d}"
    action.challenge_hash, action.challenge_expires_at = code_hash(key, action.id, code), now + CODE_TTL
    session.flush()
    return code


def verify_code(session: Session, *, user: User, code: str, key: bytes, now: dt.datetime) -> Verification | None:
    """Check the e-mailed code; a match lifts the step-up. Attempts count (and are kept) either way."""
    action = pending_step_up(session, user_id=user.id)
    if action is None:
        return None
    case = session.get(RiskCase, action.case_id)
    assert case is not None
    if action.challenge_attempts >= MAX_ATTEMPTS:
        return Verification.LOCKED
    if action.challenge_hash is None or action.challenge_expires_at is None or action.challenge_expires_at <= now:
        return Verification.EXPIRED
    action.challenge_attempts += 1
    matched = hmac.compare_digest(action.challenge_hash, code_hash(key, action.id, code))
    return _verified(session, case, action, matched=matched, detail={"method": "email_code"}, now=now)


def verify_seller(
    session: Session,
    *,
    action: RiskAction,
    document: dict[str, Any],
    phone: str,
    actor_id: int,
    key: bytes,
    now: dt.datetime,
) -> Verification:
    """A seller's step-up: the ID document and the phone it was approved with, re-submitted (onboarding's
    normalised forms). Both must match what onboarding recorded (the keyed hash of the document)."""
    case = session.get(RiskCase, action.case_id)
    assert case is not None
    if action.challenge_attempts >= MAX_ATTEMPTS:
        return Verification.LOCKED
    action.challenge_attempts += 1
    application = session.scalar(select(SellerApplication).where(SellerApplication.seller_id == action.seller_id))
    on_file = (
        None
        if application is None
        else session.scalar(select(SellerIdDocument).where(SellerIdDocument.application_id == application.id))
    )
    offered = identity.document_hash(
        key, doc_type=document["type"], country=document["issuing_country"], state=document.get("issuing_state"),
        number=document["number"],
    )  # fmt: skip
    doc_ok = on_file is not None and hmac.compare_digest(on_file.number_hmac, offered)
    phone_ok = application is not None and application.phone_e164 == phone
    detail = {"method": "id_document_and_phone", "document_matched": doc_ok, "phone_matched": phone_ok}
    return _verified(session, case, action, matched=doc_ok and phone_ok, detail=detail, now=now, actor_id=actor_id)


def _verified(
    session: Session,
    case: RiskCase,
    action: RiskAction,
    *,
    matched: bool,
    detail: dict[str, Any],
    now: dt.datetime,
    actor_id: int | None = None,
) -> Verification:
    detail = {**detail, "matched": matched, "attempt": action.challenge_attempts}
    add_event(session, case, EventKind.VERIFICATION, at=now, actor_id=actor_id, action_id=action.id, detail=detail)
    audit(
        session, actor_id=actor_id, action="risk.step_up.verification", subject_kind=action.subject_kind.value,
        subject_id=subject_id(action), detail={**detail, "case_id": case.id, "action_id": action.id},
    )  # fmt: skip
    if not matched:
        return Verification.LOCKED if action.challenge_attempts >= MAX_ATTEMPTS else Verification.MISMATCH
    lift(session, case=case, action=action, actor_id=actor_id, reason=LiftReason.VERIFIED, now=now,
         effects=new_effects())  # fmt: skip
    return Verification.VERIFIED
