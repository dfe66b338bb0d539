"""Risk cases and what follows from them: one open case per subject (a seller account or a user), its
append-only evidence history, the actions taken on the account, the account's appeals (with uploaded
documents) and the operators' per-rule automation flags.

A case's ``open_key`` ("seller:3", "user:7") is set while the case is open or actioned and cleared when
it is dismissed or closed: a UNIQUE column (NULLs never collide) so the database itself keeps one open
case per subject. An action's ``active_key`` does the same for one action in force per subject and kind.
Levels are stored as their names (``risk.scoring.Level`` values) with a CHECK, so this module does not
import the scoring code."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yellowcart.db import Base, UTCDateTime, str_enum, utcnow

#: The risk levels in order (the values of ``risk.scoring.Level``): each includes the ones before.
LEVELS = ("allow", "step_up", "hold_payouts", "restrict", "suspend", "ban")
#: The largest uploaded appeal document, and how many one appeal may carry.
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_DOCUMENTS = 3
MAX_STATEMENT = 4000


class SubjectKind(enum.StrEnum):
    SELLER = "seller"  # a seller account (its members are users with the seller role)
    USER = "user"  # a shopper or a creator


class CaseStatus(enum.StrEnum):
    OPEN = "open"  # not decided by an operator yet (automatic actions may be in force)
    ACTIONED = "actioned"  # an operator took an action on it
    DISMISSED = "dismissed"  # an operator found nothing wrong: every action lifted
    CLOSED = "closed"  # finished: actions stand (a ban), or were all overturned on appeal


#: A subject's current case is in one of these (``open_key`` is set exactly then).
CURRENT = (CaseStatus.OPEN, CaseStatus.ACTIONED)


class ActionKind(enum.StrEnum):
    """The actions by level, in order (``allow`` takes none)."""

    STEP_UP = "step_up"
    HOLD_PAYOUTS = "hold_payouts"
    RESTRICT = "restrict"
    SUSPEND = "suspend"
    BAN = "ban"


class ActionStatus(enum.StrEnum):
    ACTIVE = "active"
    LIFTED = "lifted"  # by an operator, by the account's re-verification, or by a dismissal
    OVERTURNED = "overturned"  # on appeal


class AppealStatus(enum.StrEnum):
    PENDING = "pending"
    UPHELD = "upheld"
    OVERTURNED = "overturned"


class EventKind(enum.StrEnum):
    ASSESSMENT = "assessment"  # a scoring run: level, score, reasons with their evidence
    ACTION = "action"  # an action applied (automatically or by an operator)
    LIFTED = "lifted"  # an action lifted
    DECISION = "decision"  # an operator's decision on the case (dismiss, close)
    WITHHELD = "withheld"  # automatic actions not applied (an operator cleared these rules recently)
    VERIFICATION = "verification"  # the account re-verified (or failed to)
    APPEAL = "appeal"  # the account appealed an action
    APPEAL_DECIDED = "appeal_decided"


def known(column: str, values: type[enum.StrEnum] | tuple[str, ...]) -> str:
    names = values if isinstance(values, tuple) else tuple(v.value for v in values)
    return f"{column} IN ({', '.join(repr(v) for v in names)})"


ONE_SUBJECT = (
    "(subject_kind = 'seller' AND seller_id IS NOT NULL AND user_id IS NULL) OR "
    "(subject_kind = 'user' AND user_id IS NOT NULL AND seller_id IS NULL)"
)


class RiskCase(Base):
    __tablename__ = "risk_cases"
    __table_args__ = (
        CheckConstraint(ONE_SUBJECT, name="one_subject"),
        CheckConstraint(known("subject_kind", SubjectKind), name="subject_kind_known"),
        CheckConstraint(known("status", CaseStatus), name="status_known"),
        CheckConstraint(known("level", LEVELS), name="level_known"),
        CheckConstraint("score >= 0 AND score <= 1", name="score_in_range"),
        CheckConstraint("(open_key IS NOT NULL) = (status IN ('open', 'actioned'))", name="open_key_iff_current"),
        CheckConstraint("(closed_at IS NOT NULL) = (status IN ('dismissed', 'closed'))", name="closed_has_time"),
        Index("ix_risk_cases_status_level", "status", "level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[SubjectKind] = mapped_column(str_enum(SubjectKind, 8))
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    open_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus, 16), default=CaseStatus.OPEN)
    level: Mapped[str] = mapped_column(String(16))  # the highest level assessed while the case is current
    score: Mapped[float] = mapped_column(Float)  # the latest assessment's
    anomaly: Mapped[float | None] = mapped_column(Float)
    rules: Mapped[list[str]] = mapped_column(JSON, default=list)  # every rule that fired on the case
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)  # what the account is told
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_note: Mapped[str | None] = mapped_column(String(1000))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Set when an operator cleared the account (dismissal, or an appeal overturned): for a while the
    # same rules no longer act automatically on it (``cases.CLEARED_GRACE``).
    cleared_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class RiskCaseEvent(Base):
    """The case's history and evidence, append-only: nothing updates or deletes a row (code never does)."""

    __tablename__ = "risk_case_events"
    __table_args__ = (
        CheckConstraint(known("kind", EventKind), name="kind_known"),
        Index("ix_risk_case_events_case", "case_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("risk_cases.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind, 16))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # None: the system
    level: Mapped[str | None] = mapped_column(String(16))
    score: Mapped[float | None] = mapped_column(Float)
    anomaly: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # rule, category, explanation, evidence
    action_id: Mapped[int | None] = mapped_column(ForeignKey("risk_actions.id", ondelete="SET NULL"))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(String(1000))


class RiskAction(Base):
    """An action on an account. Enforcement reads the active ones (``risk.enforcement``)."""

    __tablename__ = "risk_actions"
    __table_args__ = (
        CheckConstraint(ONE_SUBJECT, name="one_subject"),
        CheckConstraint(known("subject_kind", SubjectKind), name="subject_kind_known"),
        CheckConstraint(known("kind", ActionKind), name="kind_known"),
        CheckConstraint(known("status", ActionStatus), name="status_known"),
        CheckConstraint("(active_key IS NOT NULL) = (status = 'active')", name="active_key_iff_active"),
        CheckConstraint("(lifted_at IS NULL) = (status = 'active')", name="lifted_has_time"),
        CheckConstraint("challenge_attempts >= 0", name="attempts_not_negative"),
        Index("ix_risk_actions_seller_status", "seller_id", "status"),
        Index("ix_risk_actions_user_status", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("risk_cases.id"), index=True)
    subject_kind: Mapped[SubjectKind] = mapped_column(str_enum(SubjectKind, 8))
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[ActionKind] = mapped_column(str_enum(ActionKind, 16))
    status: Mapped[ActionStatus] = mapped_column(str_enum(ActionStatus, 16), default=ActionStatus.ACTIVE)
    active_key: Mapped[str | None] = mapped_column(String(60), unique=True)  # "seller:3:restrict" while active
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)  # the reason categories the account sees
    automatic: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lifted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    lifted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    lift_reason: Mapped[str | None] = mapped_column(String(32))  # verified, operator, dismissed, appeal
    # Suspension and ban of a seller: its status before, restored when the last of them is lifted.
    previous_seller_status: Mapped[str | None] = mapped_column(String(16))
    # Step-up: a user's one-time e-mail code (keyed hash, expiry) and the verification attempts so far.
    challenge_hash: Mapped[str | None] = mapped_column(String(64))
    challenge_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    challenge_attempts: Mapped[int] = mapped_column(default=0)


class RiskAppeal(Base):
    """The account's one appeal of one action (UNIQUE action), decided by an operator."""

    __tablename__ = "risk_appeals"
    __table_args__ = (
        CheckConstraint(known("status", AppealStatus), name="status_known"),
        CheckConstraint("(decided_at IS NULL) = (status = 'pending')", name="decided_has_time"),
        CheckConstraint("status = 'pending' OR decision_note IS NOT NULL", name="decision_has_note"),
        Index("ix_risk_appeals_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("risk_actions.id"), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("risk_cases.id"), index=True)
    appellant_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    statement: Mapped[str] = mapped_column(Text)
    status: Mapped[AppealStatus] = mapped_column(str_enum(AppealStatus, 16), default=AppealStatus.PENDING)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_note: Mapped[str | None] = mapped_column(String(1000))  # shown to the account


class RiskAppealDocument(Base):
    """A document uploaded with an appeal, kept as bytes (size-limited, type-checked by its content)."""

    __tablename__ = "risk_appeal_documents"
    __table_args__ = (
        CheckConstraint(f"size_bytes > 0 AND size_bytes <= {MAX_DOCUMENT_BYTES}", name="size_in_range"),
        CheckConstraint("length(sha256) = 64", name="sha256_is_hex"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("risk_appeals.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RiskRuleSetting(Base):
    """An operator's per-rule setting: ``automatic`` lets the rule's cases suspend or ban without a
    decision (otherwise automatic actions stop at ``restrict``)."""

    __tablename__ = "risk_rule_settings"

    rule: Mapped[str] = mapped_column(String(64), primary_key=True)
    automatic: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
