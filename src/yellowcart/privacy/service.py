"""Privacy requests (US state privacy laws such as the CCPA): a user downloads everything held about
them, or has it erased.

An export is built from the registry in the request's transaction (a JSON document, stored gzip-
compressed until it expires) and downloaded by its owner only. A deletion needs proof that the
account holder is at the keyboard (the current password, or a token minted in the last minutes),
waits for orders and returns in progress, then runs every holding's eraser in one transaction and
writes the tombstone; the account cannot log in afterwards. Both are written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import importlib
import json
from collections.abc import Sequence
from typing import Any

import structlog
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from yellowcart.auth.models import ApiToken, Role, User
from yellowcart.auth.service import Principal, hash_token, verify_password
from yellowcart.db import flush_guarded
from yellowcart.errors import Conflict, DomainError, Forbidden, NotFound
from yellowcart.privacy.models import Channel, ExportDocument, PrivacyRequest, Reauth, RequestKind, RequestStatus
from yellowcart.privacy.registry import REGISTRY, Subject

log = structlog.get_logger(__name__)

FORMAT = "yellowcart.personal-data/1"
#: How long an export can be downloaded; afterwards its document is purged.
EXPORT_TTL = dt.timedelta(days=7)
#: A token this young proves a recent login, like typing the password again.
FRESH_TOKEN = dt.timedelta(minutes=10)
#: Accounts that may erase themselves. Seller staff and operators act for a business: their accounts
#: are closed by an operator, and the seller's records are kept for tax and KYC.
SELF_SERVICE = frozenset({Role.SHOPPER, Role.CREATOR})


class ReauthenticationRequired(Forbidden):
    code, title = "reauthentication_required", "Confirm it is you"


class DeletionNotAvailable(Forbidden):
    code, title = "deletion_not_self_service", "This account cannot be deleted by itself"


class DeletionBlocked(Conflict):
    code, title = "deletion_blocked", "Something in progress must finish first"


class ExportExpired(DomainError):
    status, code, title = 410, "export_expired", "The export has expired"


# ---- audit (R3's log; guarded until it exists) ---------------------------------------------------------


def _audit(session: Session, *, actor_id: int, action: str, user_id: int, detail: dict[str, Any]) -> None:
    try:
        audit_log = importlib.import_module("yellowcart.audit.log")
    except ImportError:  # the audit log is not installed: say so in the (personal-data-free) log
        log.warning("privacy.audit_unavailable", action=action, user_id=user_id)
        return
    audit_log.record(session, actor_id=actor_id, action=action, subject_kind="user", subject_id=user_id, detail=detail)


# ---- exports -------------------------------------------------------------------------------------------


def subject_of(session: Session, user_id: int, *, lock: bool = False) -> tuple[User, Subject]:
    query = select(User).where(User.id == user_id)
    user = session.scalar(query.with_for_update() if lock else query)
    if user is None:
        raise NotFound(f"User {user_id} does not exist.")
    return user, Subject(user_id=user.id, role=user.role, seller_id=user.seller_id)


def build_document(session: Session, subject: Subject, *, now: dt.datetime) -> dict[str, Any]:
    """Every holding's export, as one JSON-ready document."""
    return {
        "format": FORMAT,
        "generated_at": now.isoformat(),
        "user_id": subject.user_id,
        "sections": {h.section: h.export(session, subject) for h in REGISTRY},
    }


def _rows_per_section(document: dict[str, Any]) -> dict[str, int]:
    sections: dict[str, dict[str, Any]] = document["sections"]
    return {
        name: sum(len(v) if isinstance(v, list) else 1 for v in tables.values()) for name, tables in sections.items()
    }


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def start_export(session: Session, *, principal: Principal, now: dt.datetime) -> PrivacyRequest:
    """Build and store the caller's export (ready at once; expires after ``EXPORT_TTL``)."""
    _, subject = subject_of(session, principal.user_id)
    document = build_document(session, subject, now=now)
    raw = encode(document)
    request = PrivacyRequest(
        kind=RequestKind.EXPORT,
        user_id=subject.user_id,
        requested_by=principal.user_id,
        channel=Channel.SELF,
        status=RequestStatus.READY,
        requested_at=now,
        completed_at=now,
        expires_at=now + EXPORT_TTL,
        summary=_rows_per_section(document),
        size_bytes=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
    )
    session.add(request)
    session.flush()
    session.add(ExportDocument(request_id=request.id, content=gzip.compress(raw, compresslevel=6), created_at=now))
    _audit(
        session,
        actor_id=principal.user_id,
        action="privacy.export_created",
        user_id=subject.user_id,
        detail={"request_id": request.id, "size_bytes": len(raw)},
    )
    return request


def _own_export(session: Session, *, principal: Principal, request_id: int) -> PrivacyRequest:
    """Only the owner sees an export: anyone else (operators too) is told it does not exist."""
    request = session.get(PrivacyRequest, request_id)
    if request is None or request.kind is not RequestKind.EXPORT or request.user_id != principal.user_id:
        raise NotFound(f"Export {request_id} does not exist.")
    return request


def list_exports(session: Session, *, principal: Principal) -> Sequence[PrivacyRequest]:
    query = select(PrivacyRequest).where(
        PrivacyRequest.user_id == principal.user_id, PrivacyRequest.kind == RequestKind.EXPORT
    )
    return session.scalars(query.order_by(PrivacyRequest.id.desc()).limit(50)).all()


def get_export(session: Session, *, principal: Principal, request_id: int) -> PrivacyRequest:
    return _own_export(session, principal=principal, request_id=request_id)


def download(
    session: Session, *, principal: Principal, request_id: int, now: dt.datetime
) -> tuple[PrivacyRequest, bytes]:
    """The export's JSON bytes (its owner only; 410 once expired)."""
    request = _own_export(session, principal=principal, request_id=request_id)
    document = session.get(ExportDocument, request.id)
    if document is None or request.expires_at is None or request.expires_at <= now:
        raise ExportExpired(f"Export {request_id} has expired; request a new one.")
    _audit(
        session,
        actor_id=principal.user_id,
        action="privacy.export_downloaded",
        user_id=principal.user_id,
        detail={"request_id": request.id},
    )
    return request, gzip.decompress(document.content)


def purge_expired(session: Session, *, now: dt.datetime) -> int:
    """Periodic: drop expired exports' documents (the request row stays, as ``expired``)."""
    expired = list(
        session.scalars(
            select(PrivacyRequest).where(
                PrivacyRequest.kind == RequestKind.EXPORT,
                PrivacyRequest.status == RequestStatus.READY,
                PrivacyRequest.expires_at <= now,
            )
        )
    )
    if expired:
        session.execute(delete(ExportDocument).where(ExportDocument.request_id.in_([r.id for r in expired])))
        for request in expired:
            request.status = RequestStatus.EXPIRED
    return len(expired)


# ---- deletions -----------------------------------------------------------------------------------------


def reauthenticate(session: Session, user: User, *, password: str | None, token: str, now: dt.datetime) -> Reauth:
    """The current password, or (without one) a token minted within ``FRESH_TOKEN``."""
    if password is not None:
        if not verify_password(password, user.password_hash):
            raise ReauthenticationRequired("The password is wrong.", field="password")
        return Reauth.PASSWORD
    minted = session.scalar(select(ApiToken.created_at).where(ApiToken.token_hash == hash_token(token)))
    if minted is not None and now - minted <= FRESH_TOKEN:
        return Reauth.FRESH_TOKEN
    minutes = int(FRESH_TOKEN.total_seconds() // 60)
    raise ReauthenticationRequired(
        f"Send your current password, or log in again and call within {minutes} minutes.", field="password"
    )


def blockers(session: Session, subject: Subject) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for holding in REGISTRY:
        if holding.blockers is not None:
            found.update(holding.blockers(session, subject))
    return found


def erase(session: Session, subject: Subject, *, now: dt.datetime) -> dict[str, dict[str, int]]:
    """Run every holding's eraser (the account last, so nothing can log in half-erased); idempotent."""
    summary: dict[str, dict[str, int]] = {}
    for holding in sorted(REGISTRY, key=lambda h: h.section == "account"):
        for name, actions in holding.erase(session, subject, now).items():
            merged = summary.setdefault(name, {})
            for action, count in actions.items():
                merged[action] = merged.get(action, 0) + count
    return summary


def _tombstone(session: Session, user_id: int) -> PrivacyRequest | None:
    return session.scalar(
        select(PrivacyRequest).where(PrivacyRequest.user_id == user_id, PrivacyRequest.kind == RequestKind.DELETION)
    )


def _delete(
    session: Session,
    subject: Subject,
    *,
    actor_id: int,
    channel: Channel,
    reauth: Reauth,
    note: str | None,
    now: dt.datetime,
) -> PrivacyRequest:
    waiting = blockers(session, subject)
    if waiting:
        raise DeletionBlocked(
            "Orders, returns or cases in progress must finish first; try again once they are done.", **waiting
        )
    summary = erase(session, subject, now=now)
    request = PrivacyRequest(
        kind=RequestKind.DELETION,
        user_id=subject.user_id,
        requested_by=actor_id,
        channel=channel,
        status=RequestStatus.COMPLETED,
        reauth=reauth,
        requested_at=now,
        completed_at=now,
        summary=summary,
        note=note,
    )
    flush_guarded(
        session, lambda: session.add(request), lambda: Conflict("This account's deletion is already running.")
    )
    _audit(
        session,
        actor_id=actor_id,
        action="privacy.deletion",
        user_id=subject.user_id,
        detail={"request_id": request.id, "channel": channel.value, "tables": sorted(summary)},
    )
    return request


def delete_own_account(
    session: Session, *, principal: Principal, password: str | None, token: str, now: dt.datetime
) -> PrivacyRequest:
    """The caller's own deletion (shoppers and creators), after re-authentication."""
    user, subject = subject_of(session, principal.user_id, lock=True)
    if subject.role not in SELF_SERVICE:
        raise DeletionNotAvailable("Seller and operator accounts are closed by an operator; contact support.")
    reauth = reauthenticate(session, user, password=password, token=token, now=now)
    done = _tombstone(session, subject.user_id)
    if done is not None:
        return done
    return _delete(
        session, subject, actor_id=principal.user_id, channel=Channel.SELF, reauth=reauth, note=None, now=now
    )


def delete_for_user(
    session: Session, *, operator: Principal, user_id: int, note: str | None, now: dt.datetime
) -> tuple[PrivacyRequest, bool]:
    """An operator carries out a request received elsewhere. Repeating it sweeps again (anything that
    arrived since, such as a late event, is erased too) and returns the first tombstone."""
    _, subject = subject_of(session, user_id, lock=True)
    if subject.role is Role.OPERATOR:
        raise DeletionNotAvailable("Operator accounts are deactivated, not erased through this call.")
    done = _tombstone(session, subject.user_id)
    if done is not None:
        swept = erase(session, subject, now=now)
        if swept:
            _audit(
                session,
                actor_id=operator.user_id,
                action="privacy.deletion_repeated",
                user_id=subject.user_id,
                detail={"request_id": done.id, "tables": sorted(swept)},
            )
        return done, False
    made = _delete(
        session,
        subject,
        actor_id=operator.user_id,
        channel=Channel.OPERATOR,
        reauth=Reauth.OPERATOR,
        note=note,
        now=now,
    )
    return made, True


def list_requests(
    session: Session, *, kind: RequestKind | None, user_id: int | None, after: int | None, limit: int
) -> tuple[list[PrivacyRequest], bool]:
    """Operators: every request, newest first; ``limit + 1`` rows tell whether there is a next page."""
    query = select(PrivacyRequest)
    if kind is not None:
        query = query.where(PrivacyRequest.kind == kind)
    if user_id is not None:
        query = query.where(PrivacyRequest.user_id == user_id)
    if after is not None:
        query = query.where(PrivacyRequest.id < after)
    found = list(session.scalars(query.order_by(PrivacyRequest.id.desc()).limit(limit + 1)))
    return found[:limit], len(found) > limit
