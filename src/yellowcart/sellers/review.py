"""Seller onboarding, the operators' side: the review queue, decisions, and what a reviewer sees.

Decisions: approve (only while every rule passes on the day of the decision; activates a PENDING
seller), reject with a reason, or ask for more information with a reason (the seller may then edit
and resubmit). Each is an audited status change (``onboarding.record_transition``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from yellowcart.auth.service import Principal
from yellowcart.db import id_in
from yellowcart.errors import InvalidInput
from yellowcart.sellers import assessment, onboarding
from yellowcart.sellers.lifecycle import DECISION_TARGET, QUEUE_RANK, REASON_REQUIRED, Decision, check_transition
from yellowcart.sellers.models import (
    ApplicationStatus,
    GmvSource,
    Seller,
    SellerApplication,
    SellerApplicationHistory,
    SellerGmvDay,
    SellerIdDocument,
    SellerStatus,
)

A = SellerApplication


# ---- the queue -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueKey:
    """Where a page of the queue ends: (status rank, time it entered the queue, id)."""

    rank: int
    queued_at: dt.datetime
    id: int

    def encode(self) -> str:
        raw = f"q:{self.rank}:{self.queued_at.astimezone(dt.UTC).isoformat()}:{self.id}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def of(cls, application: SellerApplication) -> QueueKey:
        assert application.queued_at is not None
        return cls(QUEUE_RANK[application.status], application.queued_at, application.id)

    @classmethod
    def decode(cls, cursor: str) -> QueueKey:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            kind, rank, rest = raw.split(":", 2)
            stamp, last_id = rest.rsplit(":", 1)
            key = cls(int(rank), dt.datetime.fromisoformat(stamp), int(last_id))
            if kind != "q" or key.rank not in QUEUE_RANK.values() or key.queued_at.tzinfo is None or key.id < 1:
                raise ValueError(raw)
            return key
        except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidInput(
                "The cursor is not valid; use next_cursor from the previous page.", field="cursor"
            ) from exc


def review_queue(
    session: Session,
    *,
    statuses: Sequence[ApplicationStatus],
    market_code: str | None = None,
    after: QueueKey | None = None,
    limit: int = 50,
) -> list[SellerApplication]:
    """Submitted first, then those waiting for the seller; each oldest (in the queue) first."""
    found: list[SellerApplication] = []
    for status in sorted(set(statuses), key=QUEUE_RANK.__getitem__):
        rank = QUEUE_RANK[status]
        if after is not None and rank < after.rank:
            continue
        query = select(A).where(A.status == status)
        if market_code is not None:
            query = query.where(A.market_code == market_code)
        if after is not None and rank == after.rank:
            at = after.queued_at
            query = query.where(or_(A.queued_at > at, and_(A.queued_at == at, A.id > after.id)))
        found += session.scalars(query.order_by(A.queued_at, A.id).limit(limit - len(found))).all()
        if len(found) >= limit:
            break
    return found


def list_applications(
    session: Session,
    *,
    principal: Principal,
    status: ApplicationStatus | None = None,
    market_code: str | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> Sequence[SellerApplication]:
    """Operators: every application, newest first; a seller: its own."""
    query = select(A)
    if not principal.is_operator:
        query = query.where(A.seller_id == principal.seller_id)
    if status is not None:
        query = query.where(A.status == status)
    if market_code is not None:
        query = query.where(A.market_code == market_code)
    if after_id is not None:
        query = query.where(A.id < after_id)
    return session.scalars(query.order_by(A.id.desc()).limit(limit)).all()


# ---- decisions -------------------------------------------------------------------------------------


def decide(
    session: Session,
    *,
    principal: Principal,
    application_id: int,
    decision: Decision,
    reason: str | None,
    now: dt.datetime,
) -> SellerApplication:
    """An operator's decision on a submitted application (the caller checked the operator role)."""
    application = onboarding.get_application(session, principal=principal, application_id=application_id, lock=True)
    target = DECISION_TARGET[decision]
    check_transition(application.status, target)
    if target in REASON_REQUIRED and not reason:
        raise InvalidInput(f"Say why ({decision.value}): the seller is shown the reason.", field="reason")
    if target is ApplicationStatus.APPROVED:
        evaluation = assessment.reevaluate(session, application=application, now=now)
        if not evaluation.eligible:
            raise onboarding.NotEligible(
                "The application no longer meets the market's policy; request more information instead.",
                failing=[{"kind": r.kind, "explanation": r.explanation, "fix": r.fix} for r in evaluation.failing()],
            )
        _activate(session, application.seller_id)
    onboarding.record_transition(
        session, application=application, target=target, actor=principal, reason=reason, now=now
    )
    application.decision_reason = reason
    if target is not ApplicationStatus.NEEDS_INFO:
        application.decided_at = now
    session.flush()
    return application


def _activate(session: Session, seller_id: int) -> None:
    """A PENDING seller may now sell. A suspended one stays suspended: that is a separate decision."""
    seller = session.get(Seller, seller_id, with_for_update=True)
    if seller is not None and seller.status is SellerStatus.PENDING:
        seller.status = SellerStatus.ACTIVE


# ---- what a reviewer (or the seller) sees ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reuse:
    """How many *other* applications carry the same document number or EIN (keyed hashes compared)."""

    document: int = 0
    ein: int = 0


@dataclass(frozen=True, slots=True)
class GmvSummary:
    imported_days: int
    platform_days: int
    first_day: dt.date | None
    last_day: dt.date | None


@dataclass(frozen=True, slots=True)
class Details:
    application: SellerApplication
    seller_name: str
    document: SellerIdDocument | None
    history: Sequence[SellerApplicationHistory]
    gmv: GmvSummary
    reuse: Reuse | None  # operators only


def reuse_of(session: Session, applications: Sequence[SellerApplication]) -> dict[int, Reuse]:
    """Per application: other applications sharing its ID document or EIN (two grouped queries)."""
    ids = [a.id for a in applications]
    docs = dict(
        session.execute(
            select(SellerIdDocument.application_id, SellerIdDocument.number_hmac).where(
                id_in(session, SellerIdDocument.application_id, ids)
            )
        ).all()
    )
    doc_counts = _hash_counts(session, SellerIdDocument.number_hmac, list(docs.values()))
    eins = [a.ein_hmac for a in applications if a.ein_hmac]
    ein_counts = _hash_counts(session, A.ein_hmac, eins)
    return {
        a.id: Reuse(
            document=doc_counts.get(docs.get(a.id, ""), 1) - 1 if a.id in docs else 0,
            ein=ein_counts.get(a.ein_hmac, 1) - 1 if a.ein_hmac else 0,
        )
        for a in applications
    }


def _hash_counts(session: Session, column: InstrumentedAttribute[Any], hashes: list[str]) -> dict[str, int]:
    if not hashes:
        return {}
    rows = session.execute(select(column, func.count()).where(column.in_(sorted(set(hashes)))).group_by(column))
    return {str(digest): int(count) for digest, count in rows}


def gmv_summary(session: Session, application_id: int) -> GmvSummary:
    rows = session.execute(
        select(SellerGmvDay.source, func.count(), func.min(SellerGmvDay.day), func.max(SellerGmvDay.day))
        .where(SellerGmvDay.application_id == application_id)
        .group_by(SellerGmvDay.source)
    ).all()
    counts = {GmvSource(source): int(n) for source, n, _, _ in rows}
    firsts = [first for _, _, first, _ in rows if first is not None]
    lasts = [last for _, _, _, last in rows if last is not None]
    return GmvSummary(
        imported_days=counts.get(GmvSource.IMPORTED, 0),
        platform_days=counts.get(GmvSource.PLATFORM, 0),
        first_day=min(firsts) if firsts else None,
        last_day=max(lasts) if lasts else None,
    )


def details(session: Session, *, application: SellerApplication, for_operator: bool) -> Details:
    seller = session.get(Seller, application.seller_id)
    history = session.scalars(
        select(SellerApplicationHistory)
        .where(SellerApplicationHistory.application_id == application.id)
        .order_by(SellerApplicationHistory.id)
    ).all()
    return Details(
        application=application,
        seller_name=seller.name if seller else "",
        document=assessment.document_of(session, application.id),
        history=history,
        gmv=gmv_summary(session, application.id),
        reuse=reuse_of(session, [application])[application.id] if for_operator else None,
    )


def seller_names(session: Session, applications: Sequence[SellerApplication]) -> dict[int, str]:
    ids = {a.seller_id for a in applications}
    return dict(session.execute(select(Seller.id, Seller.name).where(id_in(session, Seller.id, ids))).all())
