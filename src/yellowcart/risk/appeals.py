"""Due process: the account sees its actions and the reason *category* (never the rules, the detection
details or the evidence), appeals each action once with a statement and documents, and an operator
decides. Overturning reinstates the account: every action of the case still in force is overturned
(holds and restrictions end, a seller's status comes back, held money goes out with the next
settlement), the case closes, and the same rules stop acting on the account automatically for a while.

Uploaded documents are kept as bytes in the database, at most ``MAX_DOCUMENTS`` of ``MAX_DOCUMENT_BYTES``
each, PDF, PNG or JPEG only: the declared type must be on the allow-list *and* the bytes must start the
way that type does (a renamed executable is refused).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, defer

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.db import flush_guarded
from yellowcart.errors import Conflict, DomainError, InvalidInput, NotFound
from yellowcart.risk import actions, cases
from yellowcart.risk.actions import Effects, LiftReason
from yellowcart.risk.case_models import (
    CURRENT,
    MAX_DOCUMENT_BYTES,
    MAX_DOCUMENTS,
    MAX_STATEMENT,
    ActionStatus,
    AppealStatus,
    CaseStatus,
    EventKind,
    RiskAction,
    RiskAppeal,
    RiskAppealDocument,
    RiskCase,
)

#: Allowed document types and how their bytes start.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
_UNSAFE_NAME = re.compile(r"[^\w.\- ()]+", re.ASCII)


class AppealExists(Conflict):
    code, title = "appeal_exists", "This action has been appealed already"


class ActionNotInForce(Conflict):
    code, title = "action_not_active", "The action is no longer in force"


class AppealDecided(Conflict):
    code, title = "appeal_decided", "The appeal has been decided"


class DocumentTooLarge(DomainError):
    status, code, title = 413, "file_too_large", "File too large"


class DocumentTypeRefused(DomainError):
    status, code, title = 415, "unsupported_document_type", "Unsupported document type"


class Outcome(enum.StrEnum):
    UPHOLD = "uphold"
    OVERTURN = "overturn"


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


def check_documents(uploads: Sequence[Upload]) -> list[Upload]:
    """Refuse too many, too large, empty or not-what-they-claim files (pure)."""
    if len(uploads) > MAX_DOCUMENTS:
        raise InvalidInput(f"At most {MAX_DOCUMENTS} documents per appeal.", field="documents")
    checked = []
    for upload in uploads:
        kind = upload.content_type.split(";")[0].strip().lower()
        if len(upload.data) > MAX_DOCUMENT_BYTES:
            raise DocumentTooLarge(f"A document is over {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB.", field="documents")
        if not upload.data:
            raise InvalidInput("A document is empty.", field="documents")
        if kind not in SIGNATURES:
            raise DocumentTypeRefused(
                f"Send PDF, PNG or JPEG documents (not {kind or 'untyped'}).", allowed=sorted(SIGNATURES)
            )
        if not upload.data.startswith(SIGNATURES[kind]):
            raise DocumentTypeRefused(f"A document's content is not {kind}.", allowed=sorted(SIGNATURES))
        name = _UNSAFE_NAME.sub("_", upload.filename.replace("\\", "/").rsplit("/", 1)[-1]).strip()[:200]
        checked.append(Upload(name or "document", kind, upload.data))
    return checked


# ---- the account ------------------------------------------------------------------------------------------


def _own(principal: Principal) -> list[object]:
    """The actions an account answers for: its user's, and its seller account's for a seller's members."""
    mine: list[object] = [RiskAction.user_id == principal.user_id]
    if principal.role is Role.SELLER and principal.seller_id is not None:
        mine.append(RiskAction.seller_id == principal.seller_id)
    return mine


def my_actions(session: Session, *, principal: Principal) -> list[tuple[RiskAction, RiskAppeal | None]]:
    """Newest first, each with its appeal (if any)."""
    rows = session.execute(
        select(RiskAction, RiskAppeal)
        .outerjoin(RiskAppeal, RiskAppeal.action_id == RiskAction.id)
        .where(or_(*_own(principal)))  # type: ignore[arg-type]
        .order_by(RiskAction.id.desc())
    ).all()
    return [(action, appeal) for action, appeal in rows]


def my_action(session: Session, *, principal: Principal, action_id: int, lock: bool = False) -> RiskAction:
    """Another account's action is missing, not forbidden (it does not reveal that it exists)."""
    query = select(RiskAction).where(RiskAction.id == action_id, or_(*_own(principal)))  # type: ignore[arg-type]
    action = session.scalar(query.with_for_update() if lock else query)
    if action is None:
        raise NotFound(f"Action {action_id} does not exist.")
    return action


def documents_of(session: Session, appeal_ids: Sequence[int]) -> dict[int, list[RiskAppealDocument]]:
    """Documents' metadata per appeal (the bytes are deferred: only a download reads them)."""
    found: dict[int, list[RiskAppealDocument]] = {i: [] for i in appeal_ids}
    if not appeal_ids:
        return found
    rows = session.scalars(
        select(RiskAppealDocument)
        .options(defer(RiskAppealDocument.data))
        .where(RiskAppealDocument.appeal_id.in_(list(appeal_ids)))
        .order_by(RiskAppealDocument.id)
    )
    for row in rows:
        found[row.appeal_id].append(row)
    return found


def submit(
    session: Session,
    *,
    principal: Principal,
    action_id: int,
    statement: str,
    uploads: Sequence[Upload],
    now: dt.datetime,
) -> RiskAppeal:
    """The account's one appeal of an action in force."""
    action = my_action(session, principal=principal, action_id=action_id, lock=True)
    if action.status is not ActionStatus.ACTIVE:
        raise ActionNotInForce(f"Action {action.id} is {action.status.value}; there is nothing to appeal.")
    text = statement.strip()
    if "\x00" in text:
        raise InvalidInput("NUL characters are not allowed.", field="statement")
    if not 10 <= len(text) <= MAX_STATEMENT:
        raise InvalidInput(f"Explain in 10 to {MAX_STATEMENT} characters.", field="statement")
    appeal = RiskAppeal(action_id=action.id, case_id=action.case_id, appellant_user_id=principal.user_id,
                        statement=text, status=AppealStatus.PENDING, submitted_at=now)  # fmt: skip
    exists = AppealExists(f"Action {action.id} has been appealed already.", action_id=action.id)
    flush_guarded(session, lambda: session.add(appeal), lambda: exists)
    for upload in uploads:
        session.add(
            RiskAppealDocument(
                appeal_id=appeal.id, filename=upload.filename, content_type=upload.content_type,
                size_bytes=len(upload.data), sha256=hashlib.sha256(upload.data).hexdigest(), data=upload.data,
                uploaded_at=now,
            )
        )  # fmt: skip
    case = cases.get_case(session, case_id=action.case_id)
    detail = {"appeal_id": appeal.id, "documents": len(uploads)}
    actions.add_event(session, case, EventKind.APPEAL, at=now, actor_id=principal.user_id, action_id=action.id,
                      detail=detail)  # fmt: skip
    actions.audit(
        session, actor_id=principal.user_id, action="risk.appeal.submitted", subject_kind=action.subject_kind.value,
        subject_id=actions.subject_id(action), detail={**detail, "case_id": case.id, "action_id": action.id},
    )  # fmt: skip
    session.flush()
    return appeal


def my_appeal(session: Session, *, principal: Principal, appeal_id: int) -> tuple[RiskAppeal, RiskAction]:
    appeal = session.get(RiskAppeal, appeal_id)
    if appeal is None:
        raise NotFound(f"Appeal {appeal_id} does not exist.")
    try:
        action = my_action(session, principal=principal, action_id=appeal.action_id)
    except NotFound:
        raise NotFound(f"Appeal {appeal_id} does not exist.") from None
    return appeal, action


# ---- operators --------------------------------------------------------------------------------------------


def list_appeals(
    session: Session, *, status: AppealStatus | None = None, after_id: int | None = None, limit: int = 50
) -> Sequence[RiskAppeal]:
    """Pending ones oldest first (the queue); otherwise newest first."""
    query = select(RiskAppeal)
    if status is not None:
        query = query.where(RiskAppeal.status == status)
    if after_id is not None:
        query = query.where(RiskAppeal.id < after_id)
    return session.scalars(query.order_by(RiskAppeal.id.desc()).limit(limit)).all()


def get_appeal(session: Session, *, appeal_id: int, lock: bool = False) -> RiskAppeal:
    appeal = session.get(RiskAppeal, appeal_id, with_for_update=lock)
    if appeal is None:
        raise NotFound(f"Appeal {appeal_id} does not exist.")
    return appeal


def document(session: Session, *, appeal_id: int, document_id: int) -> RiskAppealDocument:
    row = session.get(RiskAppealDocument, document_id)
    if row is None or row.appeal_id != appeal_id:
        raise NotFound(f"Document {document_id} of appeal {appeal_id} does not exist.")
    return row


def decide(
    session: Session, *, principal: Principal, appeal_id: int, outcome: Outcome, note: str, now: dt.datetime
) -> tuple[RiskAppeal, Effects]:
    """Uphold (the action stands) or overturn (the account is reinstated); the note is shown to the account."""
    appeal = get_appeal(session, appeal_id=appeal_id, lock=True)
    if appeal.status is not AppealStatus.PENDING:
        raise AppealDecided(f"Appeal {appeal.id} is {appeal.status.value}.", status=appeal.status.value)
    case = cases.get_case(session, case_id=appeal.case_id, lock=True)
    effects = actions.new_effects()
    actor = principal.user_id
    appeal.status = AppealStatus.UPHELD if outcome is Outcome.UPHOLD else AppealStatus.OVERTURNED
    appeal.decided_at, appeal.decided_by_user_id, appeal.decision_note = now, actor, note
    if outcome is Outcome.OVERTURN:
        _reinstate(session, case, actor=actor, note=note, now=now, effects=effects)
    detail = {"appeal_id": appeal.id, "outcome": outcome.value}
    actions.add_event(session, case, EventKind.APPEAL_DECIDED, at=now, actor_id=actor, action_id=appeal.action_id,
                      detail=detail, note=note)  # fmt: skip
    actions.audit(
        session, actor_id=actor, action="risk.appeal.decided", subject_kind=case.subject_kind.value,
        subject_id=actions.subject_id(case), detail={**detail, "case_id": case.id, "note": note},
    )  # fmt: skip
    session.flush()
    return appeal, effects


def _reinstate(session: Session, case: RiskCase, *, actor: int, note: str, now: dt.datetime, effects: Effects) -> None:
    """Every action of the case still in force is overturned; the case closes, the account is cleared."""
    in_force = [a for a in actions.active_actions(session, case) if a.case_id == case.id]
    actions.lift_all(session, case=case, actions=in_force, actor_id=actor, reason=LiftReason.APPEAL, now=now,
                     effects=effects, note=note)  # fmt: skip
    cases.close_pending_appeals(session, case, actor=actor, note=note, now=now)
    if case.status in CURRENT:
        case.status, case.open_key, case.closed_at = CaseStatus.CLOSED, None, now
    case.cleared_at, case.updated_at = now, now
