"""Risk signals endpoints: a seller's payout destination (masked; the change is checked and fails
closed), operators' view of an account's signals and live assessment, and the rules' settings."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select

from yellowcart.audit import log as audit_log
from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.db import utcnow
from yellowcart.errors import InvalidInput, NotFound
from yellowcart.http import App, PathId, problems, require
from yellowcart.risk import checks, rules, signals
from yellowcart.risk.checks import PayoutChangeNeedsVerification
from yellowcart.risk.context import current
from yellowcart.risk.features import Subject
from yellowcart.risk.scoring import assess
from yellowcart.risk.signal_models import PayoutDestination, RiskSignal
from yellowcart.sellers.identity import pii_key

router = APIRouter(tags=["risk"])
Operator = require(Role.OPERATOR)


class PayoutDestinationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    routing_number: str = Field(pattern=r"^\d{9}$", description="ABA routing number (9 digits)")
    account_number: str = Field(pattern=r"^\d{4,17}$", description="Bank account number; stored only masked")

    @field_validator("routing_number")
    @classmethod
    def _checksum(cls, value: str) -> str:
        if not signals.valid_routing_number(value):
            raise ValueError("not a valid ABA routing number (checksum)")
        return value


class PayoutDestinationOut(BaseModel):
    seller_id: int
    routing_number: str
    account: str = Field(description="Masked: the last four digits only")
    set_at: dt.datetime

    @classmethod
    def of(cls, row: PayoutDestination) -> PayoutDestinationOut:
        return cls(
            seller_id=row.seller_id,
            routing_number=row.routing_number,
            account=f"****{row.account_last4}",
            set_at=row.created_at,
        )


def _own_shop(who: Principal, seller_id: int) -> None:
    if who.seller_id != seller_id:
        raise NotFound(f"Seller {seller_id} does not exist.")


@router.put(
    "/v1/sellers/{seller_id}/payout-destination",
    response_model=PayoutDestinationOut,
    responses=problems(s403="Verify identity first (payout_change_needs_verification)", s503="Risk check unavailable"),
    summary="Set the shop's payout bank account (the seller's people only; checked, fails closed)",
)
def set_payout_destination(
    seller_id: PathId, body: PayoutDestinationIn, app: App, who: Principal = require(Role.SELLER)
) -> PayoutDestinationOut:
    _own_shop(who, seller_id)
    context, now = current(), utcnow()
    account_hash = signals.payout_account_hash(
        pii_key(app.settings.pii_hash_key), body.routing_number, body.account_number
    )
    with app.db.transaction() as session:
        decision = checks.payout_change(session, seller_id=seller_id, user_id=who.user_id, context=context, now=now)
        if decision.outcome == "allow":
            row = signals.set_payout_destination(
                session,
                seller_id=seller_id,
                user_id=who.user_id,
                routing=body.routing_number,
                account_hash=account_hash,
                account_last4=body.account_number[-4:],
                context=context,
                now=now,
            )
            return PayoutDestinationOut.of(row)
    with app.db.transaction() as session:  # the refused attempt is evidence too
        signals.record_payout_change(
            session,
            seller_id=seller_id,
            user_id=who.user_id,
            account_hash=account_hash,
            context=context,
            now=now,
            outcome="refused",
        )
    raise PayoutChangeNeedsVerification(
        "The payout account cannot change from this device and network without verifying your identity; "
        "contact support.",
        reasons=list(decision.why),
    )


@router.get(
    "/v1/sellers/{seller_id}/payout-destination",
    response_model=PayoutDestinationOut,
    responses=problems(s404="No payout account set"),
    summary="The shop's payout bank account, masked (the seller's people and operators)",
)
def get_payout_destination(
    seller_id: PathId, app: App, who: Principal = require(Role.SELLER, Role.OPERATOR)
) -> PayoutDestinationOut:
    if not who.is_operator:
        _own_shop(who, seller_id)
    with app.db.transaction() as session:
        row = signals.current_payout_destination(session, seller_id=seller_id)
        if row is None:
            raise NotFound(f"Seller {seller_id} has no payout account.")
        return PayoutDestinationOut.of(row)


# ---- operators -------------------------------------------------------------------------------------


class SignalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    at: dt.datetime
    user_id: int | None
    seller_id: int | None
    network: str | None
    ip_hash: str | None
    device_hash: str | None
    ua_family: str | None
    timezone: str | None
    zip: str | None
    fingerprint: str | None
    detail: dict[str, Any]


class ReasonOut(BaseModel):
    rule: str
    category: str
    explanation: str
    evidence: dict[str, Any]


class AssessmentOut(BaseModel):
    subject_kind: str
    subject_id: int
    level: str
    score: float
    anomaly: float | None
    reasons: list[ReasonOut]
    at: dt.datetime


class RuleOut(BaseModel):
    name: str
    subject_kind: str
    category: str
    level: str
    weak: bool
    enabled: bool
    params: dict[str, float]
    summary: str


class RulePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = None
    level: Literal["allow", "step_up", "hold_payouts", "restrict", "suspend", "ban"] | None = None
    params: dict[str, Annotated[float, Field(ge=0, le=1_000_000)]] | None = None


SubjectKind = Literal["user", "seller"]


@router.get(
    "/v1/operator/risk/subjects/{kind}/{subject_id}/signals",
    response_model=list[SignalOut],
    responses=problems(),
    summary="An account's recent risk signals, newest first (operators; minimised: prefixes and hashes)",
)
def list_signals(
    kind: SubjectKind,
    subject_id: PathId,
    app: App,
    who: Principal = Operator,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SignalOut]:
    column = RiskSignal.user_id if kind == "user" else RiskSignal.seller_id
    with app.db.transaction() as session:
        rows = session.scalars(
            select(RiskSignal)
            .where(column == subject_id)
            .order_by(RiskSignal.at.desc(), RiskSignal.id.desc())
            .limit(limit)
        ).all()
        return [SignalOut.model_validate(r) for r in rows]


@router.get(
    "/v1/operator/risk/subjects/{kind}/{subject_id}/assessment",
    response_model=AssessmentOut,
    responses=problems(),
    summary="Assess an account now: its level, the rules that fire with their explanations and evidence (operators)",
)
def assess_now(kind: SubjectKind, subject_id: PathId, app: App, who: Principal = Operator) -> AssessmentOut:
    with app.db.transaction() as session:
        result = assess(session, subject=Subject(kind, subject_id), now=utcnow())
    return AssessmentOut(
        subject_kind=kind,
        subject_id=subject_id,
        level=result.level.value,
        score=result.score,
        anomaly=result.anomaly,
        reasons=[
            ReasonOut(rule=r.rule, category=r.category, explanation=r.explanation, evidence=dict(r.evidence))
            for r in result.reasons
        ],
        at=result.at,
    )


@router.get(
    "/v1/operator/risk/detection-rules",
    response_model=list[RuleOut],
    responses=problems(),
    summary="The risk rules (operators)",
)
def list_rules(app: App, who: Principal = Operator) -> list[RuleOut]:
    with app.db.transaction() as session:
        return [RuleOut(**rules.describe(rule)) for rule in rules.load(session)]


@router.patch(
    "/v1/operator/risk/detection-rules/{name}",
    response_model=RuleOut,
    responses=problems(s404="No such rule"),
    summary="Change a rule: on/off, level, thresholds (operators; audited)",
)
def patch_rule(name: str, body: RulePatch, app: App, who: Principal = Operator) -> RuleOut:
    if body.enabled is None and body.level is None and not body.params:
        raise InvalidInput("Send enabled, level or params.", field="body")
    with app.db.transaction() as session:
        rule = rules.configure(
            session,
            name=name,
            enabled=body.enabled,
            level=body.level,
            params=body.params,
            actor_id=who.user_id,
            now=utcnow(),
        )
        _audit(session, who, name, body.model_dump(exclude_none=True))
        return RuleOut(**rules.describe(rule))


def _audit(session: Any, who: Principal, name: str, detail: dict[str, Any]) -> None:
    audit_log.record(
        session,
        actor_id=who.user_id,
        action="risk.rule_changed",
        subject_kind="risk_rule",
        subject_id=name,
        detail=detail,
    )
