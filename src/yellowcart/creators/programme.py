"""The affiliate programme: creators join by accepting its terms; operators suspend and reinstate them.

Who may see what: a creator's programme data (membership, commissions, money, dashboard) is the creator's
own and the operators'; another creator's reads as missing (404), other roles are refused (403).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yellowcart.auth.models import Role, User
from yellowcart.auth.service import Principal
from yellowcart.creators.models import TERMS_VERSION, Membership, MemberStatus
from yellowcart.errors import Conflict, Forbidden, InvalidInput, NotFound


class NotAMember(Conflict):
    code, title = "not_a_member", "Not an active member of the affiliate programme"


def require_creator(session: Session, *, creator_id: int) -> User:
    """The user must exist and have the creator role."""
    user = session.get(User, creator_id)
    if user is None or user.role is not Role.CREATOR:
        raise NotFound(f"Creator {creator_id} does not exist.")
    return user


def require_creator_access(session: Session, *, principal: Principal, creator_id: int) -> None:
    """The creator itself or an operator; another creator's data reads as missing."""
    if principal.role not in (Role.CREATOR, Role.OPERATOR):
        raise Forbidden("A creator's programme data is for the creator and operators.")
    if principal.role is Role.CREATOR and principal.user_id != creator_id:
        raise NotFound(f"Creator {creator_id} does not exist.")
    require_creator(session, creator_id=creator_id)


def join(
    session: Session, *, principal: Principal, creator_id: int, accept_terms: bool, now: dt.datetime
) -> tuple[Membership, bool]:
    """Join the programme (True: newly joined). Joining again changes nothing, a suspension included."""
    if principal.role is not Role.CREATOR or principal.user_id != creator_id:
        raise Forbidden("Only the creator itself can accept the programme terms.")
    if not accept_terms:
        raise InvalidInput("Joining the programme means accepting its terms.", field="accept_terms")
    known = session.get(Membership, creator_id)
    if known is not None:
        return known, False
    member = Membership(creator_id=creator_id, terms_version=TERMS_VERSION, accepted_terms_at=now, joined_at=now)
    session.flush()
    try:
        with session.begin_nested():
            session.add(member)
            session.flush()
    except IntegrityError:  # a concurrent join won: the same membership
        raced = session.get(Membership, creator_id)
        if raced is None:
            raise
        return raced, False
    return member, True


def get_membership(session: Session, *, principal: Principal, creator_id: int) -> Membership:
    require_creator_access(session, principal=principal, creator_id=creator_id)
    member = session.get(Membership, creator_id)
    if member is None:
        raise NotFound(f"Creator {creator_id} has not joined the programme.")
    return member


def set_status(
    session: Session,
    *,
    principal: Principal,
    creator_id: int,
    status: MemberStatus,
    reason: str | None,
    now: dt.datetime,
) -> Membership:
    """Operators suspend (with a reason) or reinstate a member."""
    if not principal.is_operator:
        raise Forbidden("Operators suspend and reinstate programme members.")
    member = session.get(Membership, creator_id, with_for_update=True)
    if member is None:
        raise NotFound(f"Creator {creator_id} has not joined the programme.")
    if status is MemberStatus.SUSPENDED and not (reason or "").strip():
        raise InvalidInput("A suspension needs a reason.", field="reason")
    if status is not member.status:
        member.status = status
        member.suspended_at = now if status is MemberStatus.SUSPENDED else None
        member.suspended_reason = reason.strip() if status is MemberStatus.SUSPENDED and reason else None
        session.flush()
    return member


def require_active(session: Session, *, creator_id: int) -> Membership:
    member = session.get(Membership, creator_id)
    if member is None:
        raise NotAMember("Join the affiliate programme first (accept its terms).", creator_id=creator_id)
    if member.status is not MemberStatus.ACTIVE:
        raise NotAMember("The creator's programme membership is suspended.", creator_id=creator_id)
    return member


def active_members(session: Session, creator_ids: Iterable[int], *, joined_by: dt.datetime | None = None) -> set[int]:
    """Which of these creators are active members (and had joined by ``joined_by``, when given)."""
    wanted = sorted(set(creator_ids))
    if not wanted:
        return set()
    query = select(Membership.creator_id).where(
        Membership.creator_id.in_(wanted), Membership.status == MemberStatus.ACTIVE
    )
    if joined_by is not None:
        query = query.where(Membership.joined_at <= joined_by)
    return set(session.scalars(query))


def list_members(
    session: Session, *, principal: Principal, status: MemberStatus | None, after_id: int | None, limit: int
) -> list[Membership]:
    """Operators: members newest first (cursor on the creator id)."""
    if not principal.is_operator:
        raise Forbidden("The member list is for operators.")
    query = select(Membership)
    if status is not None:
        query = query.where(Membership.status == status)
    if after_id is not None:
        query = query.where(Membership.creator_id < after_id)
    return list(session.scalars(query.order_by(Membership.creator_id.desc()).limit(limit)))
