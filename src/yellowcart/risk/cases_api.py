"""Risk cases endpoints. Operators: the case queue, a case with its evidence, decisions, per-rule
automation, appeals and their documents. Accounts: their actions (reason categories only), appeals,
a seller's step-up. Public: a user's step-up by e-mailed code (login is what step-up blocks).

Thin: parse, authorise, call ``cases`` / ``appeals`` / ``actions``, shape the reply. After a decision
that revoked tokens, this process's token cache is emptied so they stop working at once here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import structlog
from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.db import utcnow
from yellowcart.errors import Conflict, InvalidInput, Unauthorized
from yellowcart.http import App, Caller, Db, PathId, decode_cursor, next_cursor, problems, require
from yellowcart.risk import actions, appeals, cases
from yellowcart.risk.actions import Effects, Verification
from yellowcart.risk.case_models import (
    LEVELS,
    MAX_DOCUMENT_BYTES,
    MAX_DOCUMENTS,
    ActionKind,
    ActionStatus,
    AppealStatus,
    CaseStatus,
    RiskAction,
    RiskAppeal,
    RiskAppealDocument,
    RiskCase,
    SubjectKind,
)
from yellowcart.risk.case_schemas import (
    RULE_PATTERN,
    ActionOut,
    AppealDecisionIn,
    AppealDecisionOut,
    AppealOut,
    AppealPage,
    CaseDetailOut,
    CaseEventOut,
    CaseOut,
    CasePage,
    DecisionIn,
    DecisionOut,
    DocumentOut,
    MyActionOut,
    MyAppealOut,
    MyDocumentOut,
    RuleSettingIn,
    RuleSettingOut,
    SellerVerifyIn,
    StepUpCodeIn,
    StepUpVerifyIn,
    VerifyOut,
)
from yellowcart.sellers import identity
from yellowcart.support.email import EmailError, Mail

log = structlog.get_logger(__name__)
router = APIRouter(tags=["risk"])
Operator = Annotated[Principal, require(Role.OPERATOR)]
Limit = Annotated[int, Query(ge=1, le=200)]
PROBLEMS = problems()


class VerificationFailed(InvalidInput):
    code, title = "verification_failed", "The verification did not match"


class VerificationLocked(Conflict):
    code, title = "verification_locked", "Too many attempts: an operator will review the account"


class CodeExpired(Conflict):
    code, title = "code_expired", "The code expired or was never sent"


class NoStepUpPending(Conflict):
    code, title = "no_step_up_pending", "No verification is pending"


# ---- shaping ----------------------------------------------------------------------------------------------


def _case_out(case: RiskCase, in_force: Sequence[RiskAction]) -> CaseOut:
    out = CaseOut.model_validate(case)
    out.awaiting_decision = cases.awaiting_decision(case, in_force)
    return out


def _appeal_out(appeal: RiskAppeal, documents: dict[int, list[RiskAppealDocument]]) -> AppealOut:
    out = AppealOut.model_validate(appeal)
    out.documents = [DocumentOut.model_validate(d) for d in documents.get(appeal.id, [])]
    return out


def _tokens_revoked(app: App, effects: Effects) -> None:
    if effects.tokens_revoked:
        app.tokens.clear()


# ---- operators: cases -------------------------------------------------------------------------------------


@router.get("/v1/operator/risk/cases", response_model=CasePage, responses=PROBLEMS, summary="The risk case queue")
def list_cases(
    db: Db,
    who: Operator,
    status: CaseStatus | None = None,
    level: Annotated[str | None, Query(pattern="^(" + "|".join(LEVELS) + ")$")] = None,
    subject_kind: SubjectKind | None = None,
    cursor: str | None = None,
    limit: Limit = 50,
) -> CasePage:
    with db.transaction() as session:
        found = cases.list_cases(
            session, status=status, level=level, subject_kind=subject_kind, after_id=decode_cursor(cursor),
            limit=limit + 1,
        )  # fmt: skip
        page = list(found[:limit])
        by_case = cases.actions_by_case(session, [c.id for c in page])
        items = [_case_out(c, by_case[c.id]) for c in page]
        return CasePage(items=items, next_cursor=next_cursor(page, len(found) > limit))


@router.get(
    "/v1/operator/risk/cases/{case_id}",
    response_model=CaseDetailOut,
    responses=PROBLEMS,
    summary="A case with its evidence history, actions and appeals",
)
def get_case(case_id: PathId, db: Db, who: Operator) -> CaseDetailOut:
    with db.transaction() as session:
        detail = cases.case_detail(session, case_id=case_id)
        documents = appeals.documents_of(session, [a.id for a in detail.appeals])
        base = _case_out(detail.case, detail.actions)
        return CaseDetailOut(
            **base.model_dump(),
            events=[CaseEventOut.model_validate(e) for e in detail.events],
            actions=[ActionOut.model_validate(a) for a in detail.actions],
            appeals=[_appeal_out(a, documents) for a in detail.appeals],
        )


@router.post(
    "/v1/operator/risk/cases/{case_id}/decisions",
    response_model=DecisionOut,
    responses=problems(s409="The case is dismissed or closed, or the action is not in force"),
    summary="Decide: put an action level in force, lift one action, dismiss or close the case",
)
def decide_case(case_id: PathId, body: DecisionIn, db: Db, app: App, who: Operator) -> DecisionOut:
    with db.transaction() as session:
        case, effects = cases.decide(
            session, principal=who, case_id=case_id, decision=body.decision, note=body.note, now=utcnow(),
            action=body.action, action_id=body.action_id,
        )  # fmt: skip
        out = DecisionOut(
            case=_case_out(case, cases.actions_by_case(session, [case.id])[case.id]),
            applied=[ActionOut.model_validate(a) for a in effects.applied],
            lifted=[ActionOut.model_validate(a) for a in effects.lifted],
            tokens_revoked=effects.tokens_revoked,
        )
    _tokens_revoked(app, effects)
    return out


# ---- operators: per-rule automation -----------------------------------------------------------------------


@router.get("/v1/operator/risk/rules", response_model=list[RuleSettingOut], summary="Rules' automation flags")
def list_rule_settings(db: Db, who: Operator) -> list[RuleSettingOut]:
    with db.transaction() as session:
        return [RuleSettingOut.model_validate(r) for r in cases.rule_settings(session)]


@router.put(
    "/v1/operator/risk/rules/{rule}",
    response_model=RuleSettingOut,
    responses=PROBLEMS,
    summary="Mark a rule automatic (its cases may suspend or ban without a decision) or not",
)
def put_rule_setting(
    rule: Annotated[str, Path(pattern=RULE_PATTERN)], body: RuleSettingIn, db: Db, who: Operator
) -> RuleSettingOut:
    with db.transaction() as session:
        row = cases.set_rule_automation(
            session, principal=who, rule=rule, automatic=body.automatic, note=body.note, now=utcnow()
        )
        return RuleSettingOut.model_validate(row)


# ---- operators: appeals -----------------------------------------------------------------------------------


@router.get("/v1/operator/risk/appeals", response_model=AppealPage, responses=PROBLEMS, summary="Appeals")
def list_appeals(
    db: Db, who: Operator, status: AppealStatus | None = None, cursor: str | None = None, limit: Limit = 50
) -> AppealPage:
    with db.transaction() as session:
        found = appeals.list_appeals(session, status=status, after_id=decode_cursor(cursor), limit=limit + 1)
        page = list(found[:limit])
        documents = appeals.documents_of(session, [a.id for a in page])
        return AppealPage(
            items=[_appeal_out(a, documents) for a in page], next_cursor=next_cursor(page, len(found) > limit)
        )


@router.get("/v1/operator/risk/appeals/{appeal_id}", response_model=AppealOut, responses=PROBLEMS)
def get_appeal(appeal_id: PathId, db: Db, who: Operator) -> AppealOut:
    with db.transaction() as session:
        appeal = appeals.get_appeal(session, appeal_id=appeal_id)
        return _appeal_out(appeal, appeals.documents_of(session, [appeal.id]))


@router.get(
    "/v1/operator/risk/appeals/{appeal_id}/documents/{document_id}",
    responses={200: {"content": {t: {} for t in appeals.SIGNATURES}}, **PROBLEMS},
    response_class=Response,
    summary="Download a document of an appeal",
)
def get_appeal_document(appeal_id: PathId, document_id: PathId, db: Db, who: Operator) -> Response:
    with db.transaction() as session:
        row = appeals.document(session, appeal_id=appeal_id, document_id=document_id)
        data, kind, name = row.data, row.content_type, row.filename
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    return Response(data, media_type=kind, headers=headers)


@router.post(
    "/v1/operator/risk/appeals/{appeal_id}/decision",
    response_model=AppealDecisionOut,
    responses=problems(s409="Decided already"),
    summary="Uphold the action, or overturn it and reinstate the account",
)
def decide_appeal(appeal_id: PathId, body: AppealDecisionIn, db: Db, app: App, who: Operator) -> AppealDecisionOut:
    with db.transaction() as session:
        appeal, effects = appeals.decide(
            session, principal=who, appeal_id=appeal_id, outcome=body.outcome, note=body.note, now=utcnow()
        )
        out = AppealDecisionOut(
            appeal=_appeal_out(appeal, appeals.documents_of(session, [appeal.id])),
            lifted=[ActionOut.model_validate(a) for a in effects.lifted],
        )
    _tokens_revoked(app, effects)
    return out


# ---- the account ------------------------------------------------------------------------------------------


def _next_step(action: RiskAction, appeal: RiskAppeal | None) -> str | None:
    if action.status is not ActionStatus.ACTIVE:
        return None
    if action.kind is ActionKind.STEP_UP:
        if action.seller_id is not None:
            return f"Re-verify: POST /v1/me/risk-actions/{action.id}/verify with your ID document and phone."
        return "Re-verify: POST /v1/risk/step-up/code, then POST /v1/risk/step-up/verify with the e-mailed code."
    if appeal is None:
        return f"You may appeal once: POST /v1/me/risk-actions/{action.id}/appeals."
    return "Your appeal is being reviewed." if appeal.status is AppealStatus.PENDING else None


def _my_appeal_out(appeal: RiskAppeal, documents: dict[int, list[RiskAppealDocument]]) -> MyAppealOut:
    out = MyAppealOut.model_validate(appeal)
    out.documents = [MyDocumentOut.model_validate(d) for d in documents.get(appeal.id, [])]
    return out


def _my_action_out(
    action: RiskAction, appeal: RiskAppeal | None, documents: dict[int, list[RiskAppealDocument]]
) -> MyActionOut:
    return MyActionOut(
        id=action.id, kind=action.kind, status=action.status, categories=list(action.categories),
        created_at=action.created_at, lifted_at=action.lifted_at,
        can_appeal=action.status is ActionStatus.ACTIVE and appeal is None,
        appeal=_my_appeal_out(appeal, documents) if appeal is not None else None,
        next_step=_next_step(action, appeal),
    )  # fmt: skip


@router.get(
    "/v1/me/risk-actions",
    response_model=list[MyActionOut],
    responses=PROBLEMS,
    summary="Actions on my account (and my seller account): the reason category, my appeals",
)
def my_actions(db: Db, who: Caller) -> list[MyActionOut]:
    with db.transaction() as session:
        rows = appeals.my_actions(session, principal=who)
        documents = appeals.documents_of(session, [ap.id for _, ap in rows if ap is not None])
        return [_my_action_out(action, appeal, documents) for action, appeal in rows]


async def _appeal_form(request: Request) -> tuple[str, list[appeals.Upload]]:
    """``statement`` (text) and up to ``MAX_DOCUMENTS`` files in ``documents`` (multipart/form-data)."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise InvalidInput("Send multipart/form-data: a 'statement' field and 'documents' files.", field="body")
    async with request.form(max_files=MAX_DOCUMENTS + 1, max_fields=5) as form:
        statement = form.get("statement")
        if not isinstance(statement, str):
            raise InvalidInput("Say why the action is wrong in the 'statement' field.", field="statement")
        uploads = []
        for item in form.getlist("documents"):
            if not isinstance(item, UploadFile):
                raise InvalidInput("'documents' are files.", field="documents")
            data = await item.read(MAX_DOCUMENT_BYTES + 1)
            uploads.append(appeals.Upload(item.filename or "document", item.content_type or "", data))
    return statement, appeals.check_documents(uploads)


APPEAL_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["statement"],
                    "properties": {
                        "statement": {"type": "string", "minLength": 10, "maxLength": 4000},
                        "documents": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    },
                }
            }
        },
    }
}


@router.post(
    "/v1/me/risk-actions/{action_id}/appeals",
    response_model=MyAppealOut,
    status_code=201,
    responses=problems(
        s409="Appealed already, or no longer in force", s413="Document over 5 MB", s415="Not PDF/PNG/JPEG"
    ),
    openapi_extra=APPEAL_BODY,
    summary="Appeal an action once: a statement and up to 3 documents (PDF, PNG, JPEG; 5 MB each)",
)
async def submit_appeal(action_id: PathId, request: Request, db: Db, who: Caller) -> MyAppealOut:
    statement, uploads = await _appeal_form(request)
    return await run_in_threadpool(_submit, db, who, action_id, statement, uploads)


def _submit(db: Db, who: Principal, action_id: int, statement: str, uploads: list[appeals.Upload]) -> MyAppealOut:
    with db.transaction() as session:
        appeal = appeals.submit(
            session, principal=who, action_id=action_id, statement=statement, uploads=uploads, now=utcnow()
        )
        return _my_appeal_out(appeal, appeals.documents_of(session, [appeal.id]))


@router.get("/v1/me/risk-appeals/{appeal_id}", response_model=MyAppealOut, responses=PROBLEMS, summary="My appeal")
def my_appeal(appeal_id: PathId, db: Db, who: Caller) -> MyAppealOut:
    with db.transaction() as session:
        appeal, _ = appeals.my_appeal(session, principal=who, appeal_id=appeal_id)
        return _my_appeal_out(appeal, appeals.documents_of(session, [appeal.id]))


def _verify_reply(outcome: Verification | None, attempts: int) -> VerifyOut:
    """Raised only after the attempt was committed: a wrong answer still counts."""
    left = max(actions.MAX_ATTEMPTS - attempts, 0)
    if outcome is None:
        raise NoStepUpPending("No verification is pending on this account.")
    if outcome is Verification.MISMATCH:
        raise VerificationFailed("That did not match what we have on file.", attempts_left=left)
    if outcome is Verification.LOCKED:
        raise VerificationLocked("Too many attempts; an operator will review the account (you may appeal).")
    if outcome is Verification.EXPIRED:
        raise CodeExpired("The code expired or was never sent; ask for a new one.")
    return VerifyOut(outcome=outcome, attempts_left=left)


@router.post(
    "/v1/me/risk-actions/{action_id}/verify",
    response_model=VerifyOut,
    responses=problems(s409="Not a step-up in force, or too many attempts", s422="Did not match"),
    summary="A seller's step-up: re-submit the ID document and phone the account was approved with",
)
def verify_seller(action_id: PathId, body: SellerVerifyIn, db: Db, app: App, who: Caller) -> VerifyOut:
    key = identity.pii_key(app.settings.pii_hash_key)
    with db.transaction() as session:
        action = appeals.my_action(session, principal=who, action_id=action_id, lock=True)
        if (
            action.kind is not ActionKind.STEP_UP
            or action.seller_id is None
            or action.status is not ActionStatus.ACTIVE
        ):
            raise NoStepUpPending(f"Action {action.id} is not a seller step-up in force.")
        outcome = actions.verify_seller(
            session, action=action, document=body.document.model_dump(mode="json"), phone=body.phone.phone,
            actor_id=who.user_id, key=key, now=utcnow(),
        )  # fmt: skip
        attempts = action.challenge_attempts
    return _verify_reply(outcome, attempts)


# ---- public: a user's step-up by e-mailed code ------------------------------------------------------------


@router.post(
    "/v1/risk/step-up/code",
    status_code=202,
    responses=PROBLEMS,
    summary="E-mail a one-time code to re-verify an account (answered the same whether or not one was sent)",
)
def step_up_code(body: StepUpCodeIn, db: Db, app: App) -> dict[str, str]:
    key = identity.pii_key(app.settings.pii_hash_key)
    with db.transaction() as session:
        user = actions.user_by_credentials(session, email=body.email, password=body.password)
        code = actions.issue_code(session, user=user, key=key, now=utcnow()) if user is not None else None
        to = user.email if user is not None else ""
    if code is not None:
        body_text = f"Your yellowcart verification code is {code}. It expires in 15 minutes."
        try:
            app.support.email.send(Mail(to=to, subject="Your verification code", body=body_text))
        except EmailError:
            log.warning("risk.step_up_code_not_sent")
    return {"status": "If this account has a verification pending, a code is on its way."}


@router.post(
    "/v1/risk/step-up/verify",
    response_model=VerifyOut,
    responses=problems(s409="Nothing pending, code expired, or too many attempts", s422="Wrong code"),
    summary="Re-verify with the e-mailed code: clears the step-up (login and checkout work again)",
)
def step_up_verify(body: StepUpVerifyIn, db: Db, app: App) -> VerifyOut:
    key = identity.pii_key(app.settings.pii_hash_key)
    with db.transaction() as session:
        user = actions.user_by_credentials(session, email=body.email, password=body.password)
        if user is None:
            raise Unauthorized("Email or password is wrong.")
        outcome = actions.verify_code(session, user=user, code=body.code, key=key, now=utcnow())
        pending = actions.pending_step_up(session, user_id=user.id)
        attempts = pending.challenge_attempts if pending is not None else 0
    return _verify_reply(outcome, attempts)
