"""Risk cases API shapes. Two audiences, two families of shapes: operators see everything (rules,
explanations, evidence); the account sees its actions with the reason *category* only, so nothing in
the ``My*`` shapes can carry detection details."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from yellowcart.db import MAX_ID
from yellowcart.risk.actions import Verification
from yellowcart.risk.appeals import Outcome
from yellowcart.risk.case_models import (
    ActionKind,
    ActionStatus,
    AppealStatus,
    CaseStatus,
    EventKind,
    SubjectKind,
)
from yellowcart.risk.cases import Decision
from yellowcart.sellers.onboarding_schemas import DocumentIn, PhoneIn

Note = Annotated[str, Field(min_length=3, max_length=1000)]
RULE_PATTERN = r"^[a-z0-9][a-z0-9_.:-]{0,63}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# ---- operators --------------------------------------------------------------------------------------------


class ReasonOut(BaseModel):
    rule: str
    category: str
    explanation: str
    evidence: dict[str, Any]


class CaseEventOut(_Out):
    id: int
    at: dt.datetime
    kind: EventKind
    actor_user_id: int | None
    level: str | None
    score: float | None
    anomaly: float | None
    reasons: list[ReasonOut]
    action_id: int | None
    detail: dict[str, Any]
    note: str | None


class ActionOut(_Out):
    id: int
    case_id: int
    subject_kind: SubjectKind
    seller_id: int | None
    user_id: int | None
    kind: ActionKind
    status: ActionStatus
    automatic: bool
    categories: list[str]
    created_at: dt.datetime
    created_by_user_id: int | None
    lifted_at: dt.datetime | None
    lifted_by_user_id: int | None
    lift_reason: str | None
    verification_attempts: int = Field(validation_alias="challenge_attempts")


class DocumentOut(_Out):
    id: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: dt.datetime


class AppealOut(_Out):
    id: int
    action_id: int
    case_id: int
    appellant_user_id: int | None
    statement: str
    status: AppealStatus
    submitted_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by_user_id: int | None
    decision_note: str | None
    documents: list[DocumentOut] = []


class CaseOut(_Out):
    id: int
    subject_kind: SubjectKind
    seller_id: int | None
    user_id: int | None
    status: CaseStatus
    level: str
    score: float
    anomaly: float | None
    rules: list[str]
    categories: list[str]
    opened_at: dt.datetime
    updated_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by_user_id: int | None
    decision_note: str | None
    closed_at: dt.datetime | None
    cleared_at: dt.datetime | None
    awaiting_decision: bool = Field(
        default=False, description="Open, and its level asks for more than is in force (suspend or ban held back)"
    )


class CaseDetailOut(CaseOut):
    events: list[CaseEventOut]
    actions: list[ActionOut]
    appeals: list[AppealOut]


class CasePage(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None


class DecisionIn(_In):
    decision: Decision
    action: ActionKind | None = Field(default=None, description="decision=action: the level to put in force")
    action_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="decision=lift: the action")
    note: Note = Field(description="Why (kept in the case's history and the audit log)")

    @model_validator(mode="after")
    def _fields(self) -> DecisionIn:
        if (self.decision is Decision.ACTION) != (self.action is not None):
            raise ValueError("'action' goes with decision=action, and only with it")
        if (self.decision is Decision.LIFT) != (self.action_id is not None):
            raise ValueError("'action_id' goes with decision=lift, and only with it")
        return self


class DecisionOut(BaseModel):
    case: CaseOut
    applied: list[ActionOut]
    lifted: list[ActionOut]
    tokens_revoked: int


class RuleSettingIn(_In):
    automatic: bool = Field(description="true: this rule's cases may suspend or ban without a decision")
    note: Annotated[str, Field(max_length=500)] | None = None


class RuleSettingOut(_Out):
    rule: str
    automatic: bool
    note: str | None
    updated_at: dt.datetime
    updated_by_user_id: int | None


class AppealPage(BaseModel):
    items: list[AppealOut]
    next_cursor: str | None


class AppealDecisionIn(_In):
    outcome: Outcome
    note: Note = Field(description="Shown to the account")


class AppealDecisionOut(BaseModel):
    appeal: AppealOut
    lifted: list[ActionOut]


# ---- the account ------------------------------------------------------------------------------------------


class MyDocumentOut(_Out):
    id: int
    filename: str
    size_bytes: int


class MyAppealOut(_Out):
    id: int
    action_id: int
    status: AppealStatus
    submitted_at: dt.datetime
    decided_at: dt.datetime | None
    decision_note: str | None = Field(description="The operator's answer")
    documents: list[MyDocumentOut] = []


class MyActionOut(BaseModel):
    """What the account is told: the action, since when, the reason categories. Never rules or evidence."""

    id: int
    kind: ActionKind
    status: ActionStatus
    categories: list[str]
    created_at: dt.datetime
    lifted_at: dt.datetime | None
    can_appeal: bool
    appeal: MyAppealOut | None
    next_step: str | None = Field(description="What the account can do about it")


class SellerVerifyIn(_In):
    document: DocumentIn
    phone: PhoneIn


class VerifyOut(BaseModel):
    outcome: Verification
    attempts_left: int


class StepUpCodeIn(_In):
    email: str = Field(min_length=3, max_length=254)  # as in LoginIn: looked up, never validated
    password: str = Field(min_length=1, max_length=200)


class StepUpVerifyIn(StepUpCodeIn):
    code: str = Field(pattern=r"^\d{6}$")
